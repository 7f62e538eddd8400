"""The fused response kernel gives exactly what the six response stages give one by one.

The customer model runs ``perceive``, ``creep``, ``engage``, ``trust``, ``fatigue`` and
``optout`` as one kernel (``respond``) unless a behavior sits between or instead of them; a
behavior placed after ``creep`` that does nothing forces the stage-by-stage path without
changing any result, so the two paths can be compared on whole runs.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_kernels import SCALARS, _inputs

from sim.behavior import Behavior
from sim.core.kernels import call
from sim.scenario import Scenario

TIMING = {"sim_seconds", "init_seconds", "wall_seconds", "interactions_per_second"}
STATE = ("trust", "rel_mean", "fatigue", "consent", "hist_item", "hist_day", "active")


class Nothing(Behavior):
    """A wave stage that changes nothing; placed between two built-in stages."""

    def on_wave(self, ctx):
        pass


def _stage_by_stage(args: dict) -> None:
    """The six compiled stage kernels in pipeline order, on the fused kernel's arguments."""
    a = args
    common = dict(cust=a["cust"], n_threads=1)
    call(
        "perceive",
        **common,
        exposed=a["exposed"],
        slate=a["slate"],
        pref=a["pref"],
        item_feat=a["item_feat"],
        item_cat=a["item_cat"],
        item_durable=a["item_durable"],
        item_cycle=a["item_cycle"],
        hist_item=a["hist_item"],
        hist_day=a["hist_day"],
        rel=a["rel"],
        best=a["best"],
        persofail=a["persofail"],
        day=a["day"],
        persofail_window=a["persofail_window"],
        persofail_relevance=a["persofail_relevance"],
        replenish_lo=a["replenish_lo"],
        replenish_hi=a["replenish_hi"],
        replenish_boost=a["replenish_boost"],
    )
    call(
        "creep",
        **common,
        exposed=a["exposed"],
        slate=a["slate"],
        basis=a["basis"],
        item_sensitivity=a["item_sensitivity"],
        privacy=a["privacy"],
        intrusiveness=a["intrusiveness"],
        creepy=a["creepy"],
        obtrusiveness=a["obtrusiveness"],
        sensitivity_floor=a["sensitivity_floor"],
        covert_factor=a["covert_factor"],
        relief=a["relief"],
        scale=a["scale"],
        key=a["creep_key"],
    )
    call(
        "engage",
        **common,
        exposed=a["exposed"],
        slate=a["slate"],
        rel=a["rel"],
        best=a["best"],
        creepy=a["creepy"],
        viewed=a["viewed"],
        viewed_rel=a["viewed_rel"],
        trust=a["trust"],
        fatigue=a["fatigue"],
        price_sensitivity=a["price_sensitivity"],
        price=a["price"],
        log_price_ratio=a["log_price_ratio"],
        margin=a["margin"],
        hist_item=a["hist_item"],
        hist_day=a["hist_day"],
        clicked=a["clicked"],
        bought=a["bought"],
        revenue=a["revenue"],
        margin_out=a["margin_out"],
        channel=a["channel"],
        day=a["day"],
        **{
            k: a[k]
            for k in (
                "click_bias",
                "click_relevance",
                "click_trust",
                "click_fatigue",
                "click_creepy",
                "buy_bias",
                "buy_relevance",
                "buy_trust",
                "price_elasticity",
                "organic_bias",
            )
        },
        key=a["engage_key"],
    )
    call(
        "update_trust",
        **common,
        exposed=a["exposed"],
        rel=a["rel"],
        persofail=a["persofail"],
        creepy=a["creepy"],
        privacy=a["privacy"],
        trust=a["trust"],
        rel_mean=a["rel_mean"],
        **{
            k: a[k]
            for k in (
                "gain",
                "loss_irrelevant",
                "loss_persofail",
                "loss_creepy",
                "relevant_above",
                "irrelevant_below",
                "rel_memory",
            )
        },
    )
    if a["fatigue_cost"] > 0.0:
        call(
            "add_fatigue",
            **common,
            fatigue_sensitivity=a["fatigue_sensitivity"],
            fatigue=a["fatigue"],
            channel=a["channel"],
            cost=a["fatigue_cost"],
        )
    if a["optout"]:
        call(
            "opt_out",
            **common,
            exposed=a["exposed"],
            creepy=a["creepy"],
            trust=a["trust"],
            fatigue=a["fatigue"],
            consent=a["consent"],
            opted_out=a["opted_out"],
            channel=a["channel"],
            base_hazard=a["base_hazard"],
            fatigue_k=a["optout_fatigue_k"],
            trust_k=a["trust_k"],
            creepy_multiplier=a["creepy_multiplier"],
            key=a["optout_key"],
        )


@pytest.mark.parametrize(
    "channel, fatigue_cost, optout, seed",
    [(0, 0.0, 0, 0), (0, 0.5, 0, 1), (1, 1.0, 1, 2), (2, 0.0, 1, 3), (3, 0.3, 1, 4)],
)
@pytest.mark.parametrize("threads", [1, 2])
def test_fused_kernel_equals_the_stage_kernels_bit_for_bit(channel, fatigue_cost, optout, seed, threads):
    fused = _inputs("respond", seed)
    fused.update(channel=channel, fatigue_cost=fatigue_cost, optout=optout)
    staged = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in fused.items()}
    call("respond", "compiled", n_threads=threads, **fused)
    _stage_by_stage(staged)
    for name, a in fused.items():
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, staged[name], err_msg=name)


def test_scalars_of_the_fused_kernel_cover_both_optional_stages():
    assert SCALARS["respond"]["fatigue_cost"] > 0 and SCALARS["respond"]["optout"] == 1


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
    names = [getattr(step, "__name__", "") for step in steps]
    if fused:
        assert names[0] == "_respond_fused" and "_perceive" not in names
    else:
        assert "_respond_fused" not in names and s.customer.behaviors[0].on_wave in steps


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
    names = [getattr(step, "__name__", "") for step in m._day_steps]
    assert m.behaviors[0].on_day in m._day_steps
    if fused:
        assert names[0] == "_recover_and_churn" and "_recovery" not in names and "_churn" not in names
    else:
        assert "_recover_and_churn" not in names


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
