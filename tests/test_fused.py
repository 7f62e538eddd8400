"""A phase in one kernel call gives exactly what it gives split around a behavior.

The customer model runs ``perceive``, ``creep``, ``engage``, ``trust``, ``fatigue`` and
``optout`` as one ``respond`` call unless a behavior sits between or instead of them, which
splits the call in two (a stage mask each); likewise the day's ``recovery`` and ``churn``.  A
behavior that does nothing forces the split without changing any result, so the two paths
can be compared on whole runs.  (Every split of the kernels themselves is compared in
tests/test_kernels.py.)
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from sim.behavior import Behavior
from sim.core.params import DAY_STAGES, RESPONSE_STAGES, stage_mask
from sim.metrics import TIMING_METRICS
from sim.scenario import Scenario

TIMING = set(TIMING_METRICS)
STATE = ("trust", "rel_mean", "fatigue", "consent", "hist_item", "hist_day", "active")


class Nothing(Behavior):
    """A wave stage that changes nothing; placed between two built-in stages."""

    def on_wave(self, ctx):
        pass


def _run(overrides: tuple[str, ...], fused: bool):
    from sim.config.preflight import compose_config

    cfg = compose_config(["population.size=1500", "horizon_days=21", "output.journeys=0", *overrides])
    s = Scenario(cfg, behaviors=[] if fused else [Nothing(after="creep")])
    assert s.customer.fused is fused
    return s, s.run()


@pytest.mark.parametrize(
    "overrides",
    [
        ("strategy=none",),
        ("strategy=recommend",),
        ("strategy=retarget_naive",),
        ("strategy=recommend_purchase_aware",),
        ("strategy=inferred_sensitive",),
        ("strategy=retarget_naive", "campaign=omnichannel"),
    ],
)
def test_fused_path_equals_stage_by_stage_on_whole_runs(overrides):
    (s_fused, fused), (s_staged, staged) = _run(overrides, True), _run(overrides, False)
    _assert_same_runs(s_fused, fused, s_staged, staged)
    assert fused.segments == staged.segments


def _assert_same_runs(s_a, a, s_b, b):
    """Two runs agree: every metric but the timings, and every customer state array."""
    assert {k: v for k, v in a.metrics.items() if k not in TIMING} == {
        k: v for k, v in b.metrics.items() if k not in TIMING
    }
    for name in STATE:
        np.testing.assert_array_equal(getattr(s_a.population, name), getattr(s_b.population, name), err_msg=name)


class Marker(Behavior):
    def on_wave(self, ctx):
        pass


@pytest.mark.parametrize(
    "placement, fused",
    [
        (dict(after="exposure"), True),
        (dict(after="optout"), True),
        (dict(after="churn"), True),
        (dict(after="perceive"), False),
        (dict(after="fatigue"), False),
        (dict(replaces="optout"), False),
        (dict(replaces="perceive"), False),
        (dict(replaces="churn"), True),
    ],
)
def test_the_fused_path_is_taken_only_when_no_behavior_interrupts_the_response(small_config, placement, fused):
    s = Scenario(small_config(), behaviors=[Marker(**placement)])
    assert s.customer.fused is fused
    steps = s.customer._respond_steps
    calls = _stage_calls(steps)
    if fused:
        assert calls == [stage_mask(RESPONSE_STAGES)]
    else:
        assert len(calls) >= 1 and s.customer.behaviors[0].on_wave in steps
        assert stage_mask(RESPONSE_STAGES) not in calls


def _stage_calls(steps) -> list[int]:
    """The stage masks of a phase's built-in kernel calls, in order."""
    return [step.keywords["stages"] for step in steps if isinstance(step, partial)]


def test_the_logistic_coin_without_exp_decides_as_the_exact_one():
    # Uniforms right at, just below and just above each probability, and random ones: the
    # estimate-first decision always equals u < sigmoid(x) (compiled, same libm exp).
    from sim.core import load_compiled

    rng = np.random.default_rng(5)
    x = np.concatenate([np.linspace(-30.0, 30.0, 20001), rng.normal(0.0, 8.0, 200000)])
    p = 1.0 / (1.0 + np.exp(-x))
    u = np.concatenate(
        [p, np.nextafter(p, 0.0), np.nextafter(p, 1.0), p + 9e-4, p - 9e-4, p + 1.1e-3, rng.random(x.size)]
    )
    x = np.tile(x, 7)
    fast, exact = np.zeros(u.size, np.uint8), np.zeros(u.size, np.uint8)
    load_compiled("_stages")._below_sigmoid(u, x, fast, exact)
    np.testing.assert_array_equal(fast, exact)
    assert 0 < exact.mean() < 1


class NothingToday(Behavior):
    """A day stage that changes nothing; placed between recovery and churn."""

    def on_day(self, ctx):
        pass


@pytest.mark.parametrize(
    "overrides",
    [
        ("strategy=recommend",),
        ("strategy=retarget_naive", "campaign=omnichannel"),
        ("strategy=retarget_naive", "customer.churn.hazard_max=0.2", "threads=2"),
    ],
)
def test_fused_day_equals_recovery_then_churn_on_whole_runs(overrides):
    from sim.config.preflight import compose_config

    cfg = compose_config(["population.size=1500", "horizon_days=21", "output.journeys=0", *overrides])
    runs = []
    for behaviors in ([], [NothingToday(after="recovery")]):
        s = Scenario(cfg, behaviors=behaviors)
        assert s.customer.day_fused is (not behaviors)
        runs.append((s, s.run()))
    (s_fused, fused), (s_staged, staged) = runs
    _assert_same_runs(s_fused, fused, s_staged, staged)
    assert fused.daily == staged.daily and sum(row["churned"] for row in fused.daily) > 0


class DayMarker(Behavior):
    def on_day(self, ctx):
        pass


@pytest.mark.parametrize(
    "placement, fused",
    [
        (dict(after="start"), True),
        (dict(after="trust"), True),
        (dict(after="churn"), True),
        (dict(replaces="optout"), True),
        (dict(after="recovery"), False),
        (dict(replaces="recovery"), False),
        (dict(replaces="churn"), False),
    ],
)
def test_the_fused_day_is_taken_only_when_no_behavior_interrupts_recovery_and_churn(small_config, placement, fused):
    s = Scenario(small_config(), behaviors=[DayMarker(**placement)])
    m = s.customer
    assert m.day_fused is fused
    calls = _stage_calls(m._day_steps)
    assert m.behaviors[0].on_day in m._day_steps
    if fused:
        assert calls == [stage_mask(DAY_STAGES)]
    else:
        assert stage_mask(DAY_STAGES) not in calls and len(calls) >= 1


@pytest.mark.parametrize("replaces", [None, "churn"])
def test_churned_is_cleared_every_day_on_either_path(small_config, replaces):
    # The fused kernel clears everyone's ``churned``; unfused, on_day does it before the
    # stages, so a behavior replacing churn starts from zeros (and recovery still runs).
    from sim.customer import DayContext

    seen = []

    class Count(Behavior):
        def on_day(self, ctx):
            seen.append((int(np.count_nonzero(ctx.churned)), float(ctx.pop.fatigue.sum())))

    s = Scenario(small_config("customer.churn.hazard_max=0"), behaviors=[Count(replaces=replaces, after="churn")])
    pop = s.population
    pop.fatigue[:] = 1.0
    churned = np.ones(pop.n, np.uint8)
    for day in (0, 1):
        s.customer.on_day(DayContext(pop, day, s.streams, 1, "compiled", churned))
    assert seen[0] == (0, pop.fatigue.size) and seen[1][0] == 0 and seen[1][1] < seen[0][1]
