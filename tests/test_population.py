"""Populations: segments mixed by share, with their own distributions."""

from __future__ import annotations

import numpy as np
import pytest

from sim.scenario import Scenario


@pytest.mark.parametrize("population", ["retail", "subscription"])
def test_segments_have_their_exact_shares(small_config, population):
    s = Scenario(small_config(f"population={population}", "population.size=10000"))
    shares = np.bincount(s.population.segment) / s.population.n
    expected = [seg.share for seg in s.config.population.segments]
    np.testing.assert_allclose(shares, expected, atol=1 / s.population.n)


def test_segments_differ_as_configured(small_config):
    s = Scenario(small_config("population.size=40000"))
    names = [seg.name for seg in s.config.population.segments]
    pop = s.population

    def mean(field, name):
        return float(pop[field][pop.segment == names.index(name)].mean())

    # Beta(5, 2) has mean 5/7 ~ 0.71; Beta(1.5, 2.8) has mean ~0.35.
    assert mean("privacy", "privacy_conscious") == pytest.approx(5 / 7, abs=0.01)
    assert mean("privacy", "loyal") == pytest.approx(1.5 / 4.3, abs=0.01)
    assert mean("trust", "loyal") > mean("trust", "new_customers") + 0.15
    assert mean("price_sensitivity", "bargain_hunters") == 2.0
    # A quarter of each segment wears out badly (fatigue_sensitivity 3), the rest normally.
    wears_out = float(np.mean(pop.fatigue_sensitivity == 3.0))
    assert wears_out == pytest.approx(0.25, abs=0.01)


def test_retail_privacy_matches_the_survey_anchor(small_config):
    # About 25% find most personalization very creepy, about 75% at least somewhat creepy.
    pop = Scenario(small_config("population.size=100000")).population
    assert float(np.mean(pop.privacy > 0.6)) == pytest.approx(0.25, abs=0.03)
    assert float(np.mean(pop.privacy > 0.25)) == pytest.approx(0.72, abs=0.05)


def test_segment_breakdown_adds_up(small_config):
    result = Scenario(small_config()).run()
    rows = result.segments
    assert [r["segment"] for r in rows] == ["loyal", "bargain_hunters", "privacy_conscious", "new_customers"]
    assert sum(r["customers"] for r in rows) == result.metrics["customers"]
    assert sum(r["orders"] for r in rows) == result.metrics["orders"]
    assert sum(r["revenue"] for r in rows) == pytest.approx(result.metrics["revenue"])
    assert sum(r["persofails"] for r in rows) == result.metrics["persofails"]


def test_state_stays_within_128_bytes_per_customer(small_config):
    s = Scenario(small_config())
    assert s.population.bytes_per_customer() + s.firm.bytes_per_customer() <= 128
