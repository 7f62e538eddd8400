"""Customer equity and value: the tail that values the customers a run leaves (sim/value.py)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from sim.codes import EMAIL
from sim.scenario import Scenario
from sim.value import customer_equity, discount_factors, tail_sample

FIXED_PURCHASE = [
    # One category of identical items: every purchase earns margin 0.5 * 20 = 10.
    "catalog.categories=[{name: things, kind: durable, cycle_days: 100000, sensitivity: ordinary, share: 1.0, "
    "price_median: 20, price_sigma: 0.0, margin_rate: 0.5}]",
    "catalog.items=50",
    # Visits do not depend on trust; a visitor never clicks a slate and buys the item it
    # browsed with the fixed probability p = 0.3 (logit -0.8473).
    "customer.visits.trust_slope=0",
    "campaign.scheduled.newsletter.enabled=false",
    "customer.engagement.click_bias_onsite=-60",
    "customer.engagement.buy_relevance=0",
    "customer.engagement.buy_trust=0",
    "customer.engagement.price_elasticity=0",
    f"customer.engagement.organic_bias={math.log(0.3 / 0.7)}",
    # A constant churn hazard: hazard_max * sigmoid(0) = 0.004 / 2 per day.
    "customer.churn.slope=0",
    "customer.churn.hazard_max=0.004",
    # The tail: 200 days, every customer, no newsletter, 10% a year.
    "value.tail_days=200",
    "value.sample_share=1.0",
    "value.tail_email_cadence=''",
    "value.discount_rate_annual=0.1",
]


def test_equity_of_a_fixed_purchase_probability_and_retention_is_the_geometric_series(small_config):
    # A customer active at the horizon visits with probability v a day and buys with p = 0.3
    # a visit, margin m = 10; each day starts with churn at hazard h = 0.002.  Tail day d
    # (0-based) is reached with probability (1 - h) ** (d + 1) and discounted by
    # delta ** (d + 1), delta = 1.1 ** (-1 / 365), so with q = (1 - h) * delta
    #     E[equity] = m * p * sum_i v_i * (q + q**2 + ... + q**T) = m p (sum v_i) q (1 - q**T) / (1 - q).
    s = Scenario(small_config("population.size=10000", "horizon_days=10", *FIXED_PURCHASE))
    m = s.run().metrics
    active = s.population.active.astype(bool)
    v = s.population.visit_rate[active].astype(np.float64).sum()
    q = (1 - 0.002) * 1.1 ** (-1 / 365)
    expected = 10 * 0.3 * v * q * (1 - q**200) / (1 - q)
    assert m["equity_sample"] == 10000
    # About 30 000 purchases: the sampling error is near 0.6%; 3% is five of them.
    assert m["customer_equity"] == pytest.approx(expected, rel=0.03)
    assert m["value"] == m["margin"] + m["customer_equity"]


def test_discount_factors_are_the_annual_rate_per_day():
    d = discount_factors(730, 0.1)
    assert (
        d[0] == pytest.approx(1.1 ** (-1 / 365))
        and d[364] == pytest.approx(1 / 1.1)
        and d[729] == pytest.approx(1 / 1.21)
    )
    np.testing.assert_array_equal(discount_factors(5, 0.0), np.ones(5))


def test_the_sample_depends_on_the_seed_only_and_has_the_share_asked_for():
    a, b, c = tail_sample(3, 100_000, 0.1), tail_sample(3, 100_000, 0.1), tail_sample(4, 100_000, 0.1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert abs(a.size - 10_000) < 400 and (np.diff(a) > 0).all()
    np.testing.assert_array_equal(tail_sample(3, 50, 1.0), np.arange(50))


def _ended(small_config, *overrides, tail_days=120):
    s = Scenario(small_config("population.size=3000", "horizon_days=30", f"value.tail_days={tail_days}", *overrides))
    return s, s.run()


def test_what_a_run_burns_is_worth_less_afterwards(small_config):
    # The same end state, then one without email consent, one with every customer churned,
    # one with trust at a tenth: each is worth less, and the churned base nothing.  The email
    # list is worth about 0.6% of a year's equity: a shorter tail would leave it in the noise.
    s, result = _ended(small_config, tail_days=365)
    base = customer_equity(s).total
    assert base == pytest.approx(result.metrics["customer_equity"])  # the tail is deterministic
    saved = {name: a.copy() for name, a in s.population.arrays.items()}

    def equity_after(change) -> float:
        for name, a in saved.items():
            s.population.arrays[name][...] = a
        change(s.population)
        return customer_equity(s).total

    no_email = equity_after(lambda pop: pop.consent.__iand__(np.uint8(~(1 << EMAIL) & 0xFF)))
    distrust = equity_after(lambda pop: pop.trust.__imul__(np.float32(0.1)))
    gone = equity_after(lambda pop: pop.active.fill(0))
    assert gone == 0.0
    assert 0 < no_email < base and 0 < distrust < base


def test_equity_is_the_same_for_every_thread_count_and_the_segments_add_up(small_config):
    runs = [_ended(small_config, f"threads={t}")[1] for t in (1, 2)]
    assert runs[0].metrics["customer_equity"] == runs[1].metrics["customer_equity"] > 0
    segs = runs[0].segments
    assert sum(row["customer_equity"] for row in segs) == pytest.approx(runs[0].metrics["customer_equity"])
    assert sum(row["margin"] for row in segs) == pytest.approx(runs[0].metrics["margin"])
    assert all(row["value"] == row["margin"] + row["customer_equity"] for row in segs)


def test_strategies_of_one_seed_share_the_sample_and_the_tail_plan(small_config):
    # Common random numbers: two strategies' tails follow the same customers under the same
    # reference plan; without tail days there is no equity and value is the margin.
    a = _ended(small_config, "strategy=none", "population.size=50000", "value.sample_min=1000")[1].metrics
    b = _ended(small_config, "strategy=recommend", "population.size=50000", "value.sample_min=1000")[1].metrics
    assert a["equity_sample"] == b["equity_sample"] == tail_sample(0, 50000, 0.1).size
    off = _ended(small_config, "value.tail_days=0")[1].metrics
    assert off["customer_equity"] == 0.0 and off["value"] == off["margin"] and off["equity_sample"] == 0


def test_a_behavior_follows_every_customer_in_the_tail(small_config):
    m = _ended(small_config, "behavior=word_of_mouth")[1].metrics
    assert m["equity_sample"] == 3000 and m["customer_equity"] > 0


@pytest.mark.parametrize(
    "override, message",
    [
        ("value.discount_rate_annual=1.0", "value.discount_rate_annual: 1.0 is not allowed; allowed: >= 0 and < 1"),
        ("value.discount_rate_annual=-0.1", "value.discount_rate_annual"),
        ("value.tail_days=-5", "value.tail_days"),
        ("value.sample_share=0", "value.sample_share"),
        ("value.tail_strategy=nonsense", "value.tail_strategy"),
        ("value.tail_email_cadence=weekly", "value.tail_email_cadence"),
    ],
)
def test_bad_value_settings_are_refused_in_one_line_before_anything_runs(tmp_path, override, message):
    out = subprocess.run(
        [sys.executable, "-m", "sim", override, f"hydra.run.dir={tmp_path / 'run'}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and message.split(":")[0] in lines[0], out.stderr
    assert not (tmp_path / "run").exists()
