"""Exact shortcuts in the compiled kernels: a coin decided without computing its probability
must come out as it would with the probability computed, also on inputs outside the model's
ranges (where the shortcut must not be taken)."""

from dataclasses import replace

import numpy as np
import pytest

from sim.core.kernels import call
from tests.test_kernels import DIMS, STAGES, _inputs


def _exact(name: str, params, *args) -> float:
    """A compiled equation's value on one customer's values (libm's exp and log, as the
    kernels' exact path computes it)."""
    from sim.core import load_compiled

    return getattr(load_compiled("_equations"), name)(params.compiled(), *args)


@pytest.mark.parametrize("elasticity, fatigue_k", [(1.0, 0.15), (0.0, 0.0), (2.5, 0.3), (-1.0, 0.2), (1.0, -0.5)])
def test_expose_equals_the_twin_when_it_skips_the_probability(elasticity, fatigue_k):
    args = _inputs("expose", seed=4)
    rng = np.random.default_rng(4)
    n = DIMS["N"]
    # In range for most customers; some out of range (trust above 1, negative fatigue), where
    # the bound behind the shortcut does not hold.
    args["trust"] = np.where(rng.random(n) < 0.1, 1.5, rng.random(n)).astype(np.float32)
    args["fatigue"] = np.where(rng.random((DIMS["C"], n)) < 0.1, -3.0, 2 * rng.random((DIMS["C"], n))).astype(
        np.float32
    )
    args["params"] = replace(
        args["params"],
        open_base_rate=(0.0, 0.3, 0.3, 0.3),
        open_trust_elasticity=(0.0, elasticity, elasticity, elasticity),
        open_fatigue_k=(0.0, fatigue_k, fatigue_k, fatigue_k),
    )
    got = {**args, "exposed": np.zeros_like(args["exposed"])}
    want = {**args, "exposed": np.zeros_like(args["exposed"])}
    call("expose", "compiled", **{**got, "n_threads": 1})
    call("expose", "numpy", **{**want, "n_threads": 1})
    np.testing.assert_array_equal(got["exposed"], want["exposed"])
    assert 0 < got["exposed"].sum() < len(got["exposed"])


def test_the_logistic_coin_is_exact_at_the_bounds_of_its_table():
    # below_sigmoid decides from a table of logit values at the bin edges i / 1024: coins with
    # u on and next to those edges, and x on and next to logit(u), must decide as u < sigmoid(x).
    from sim.core import load_compiled

    edges = np.arange(1, 1024) / 1024.0
    u = np.concatenate([edges, np.nextafter(edges, 0.0), np.nextafter(edges, 1.0), [0.0]])
    logit = np.log(u[:-1]) - np.log1p(-u[:-1])
    us, xs = [], []
    for dx in (0.0, 1e-12, -1e-12, 1e-9, -1e-9, 2e-9, -2e-9, 1e-6, -1e-6):
        us.append(u[:-1])
        xs.append(logit + dx)
    us.append(np.zeros(5))
    xs.append(np.array([-50.0, -1.0, 0.0, 1.0, 50.0]))
    u, x = np.concatenate(us), np.concatenate(xs)
    fast, exact = np.zeros(u.size, np.uint8), np.zeros(u.size, np.uint8)
    load_compiled("_stages")._below_sigmoid(u, x, fast, exact)
    np.testing.assert_array_equal(fast, exact)
    assert 0 < exact.mean() < 1


@pytest.mark.parametrize(
    "base_hazard, fatigue_k, trust_k",
    [(0.0075, 0.25, 3.0), (0.3, 0.6, 3.0), (0.0, 0.25, 3.0), (0.05, 2.0, -4.0), (1e-300, 0.25, 3.0)],
)
def test_the_opt_out_coin_is_decided_as_with_the_hazard_computed(base_hazard, fatigue_k, trust_k):
    # respond rules out an opt-out without exp() when the draw is above a power-of-two bound
    # of the hazard.  Every decision must be u < optout_hazard computed in full, from the
    # fatigue and trust the stage saw (those the response leaves: opt-out is its last stage).
    # Fatigue from none to far beyond the model's range (where the bound is not used),
    # creepy touches and not.
    from sim.core.twins.random import customer_base, draw_uniform

    args = _inputs("respond", seed=9)
    rng = np.random.default_rng(9)
    args["fatigue"][1] = np.where(rng.random(DIMS["N"]) < 0.05, 1e4, 8 * rng.random(DIMS["N"]))
    params = replace(
        args["params"],
        fatigue_cost=(0.0, 0.5, 0.5, 0.5),
        optout_base_hazard=(0.0, base_hazard, base_hazard, base_hazard),
        optout_fatigue_k=(0.0, fatigue_k, fatigue_k, fatigue_k),
        optout_trust_k=trust_k,
    )
    args.update(channel=1, params=params)
    call("respond", "compiled", n_threads=1, **args)
    u = draw_uniform(customer_base(args["optout_key"], args["cust"]), 0)
    fatigue, trust = args["fatigue"][1].astype(float), args["trust"].astype(float)
    want = [
        bool(e) and float(ui) < _exact("optout_hazard", params, 1, fatigue[i], trust[i], bool(c), float(r))
        for e, ui, i, c, r in zip(args["exposed"], u, args["cust"], args["creepy"], args["rel"])
    ]
    np.testing.assert_array_equal(args["opted_out"].astype(bool), want)
    if base_hazard >= 0.05:
        assert 0 < args["opted_out"].sum() < args["exposed"].sum()


@pytest.mark.parametrize(
    "hazard_max, trust_mid, slope",
    [(0.02, 0.2, 15.0), (0.5, 0.4, 10.0), (1.0, 0.5, 3.0), (0.3, 0.9, 2000.0), (0.02, 0.2, 0.0)],
)
def test_churn_is_decided_as_with_the_hazard_computed(hazard_max, trust_mid, slope):
    # A churn candidate (draw below the hazard's bound) with trust well above the midpoint
    # is ruled out against a power-of-two bound of its hazard, without exp(): every decision
    # must be u < churn_hazard computed in full.
    from sim.core.twins.random import customer_base, draw_uniform
    from tests.test_kernels import PARAMS

    n = 50_000
    rng = np.random.default_rng(int(slope) + 3)
    params = replace(PARAMS, churn_hazard_max=hazard_max, churn_trust_mid=trust_mid, churn_slope=slope)
    active = (rng.random(n) < 0.95).astype(np.uint8)
    trust = rng.random(n).astype(np.float32)
    args = dict(
        active=active.copy(),
        trust=trust,
        trust_base=trust.copy(),
        fatigue=np.zeros((4, n), np.float32),
        live=np.zeros(4, np.uint8),
        churned=np.zeros(n, np.uint8),
        consent=np.zeros(n, np.uint8),
        params=params,
        stages=STAGES["churn"],
        key=5,
    )
    call("recover_and_churn", "compiled", n_threads=2, **args)
    u = draw_uniform(customer_base(5, np.arange(n, dtype=np.int64)), 0)
    want = [bool(a) and float(ui) < _exact("churn_hazard", params, float(t)) for a, ui, t in zip(active, u, trust)]
    np.testing.assert_array_equal(args["churned"].astype(bool), want)
    assert args["churned"].any()


def test_the_hazard_bound_is_the_ldexp_bound_to_the_last_bit():
    # above_exp_bound builds 2**e from its bits instead of calling ldexp: for draws on, just
    # below and just above the bound, tiny, huge and zero scales (subnormal products included),
    # exponents at and beyond the +-1000 limit, and NaN, it must decide as
    # u >= ldexp(scale, floor(x log2 e) + 2) within the limit, and "undecided" outside it.
    import math

    from sim.core import load_compiled

    rng = np.random.default_rng(3)
    x = np.concatenate(
        [
            rng.uniform(-30, 30, 4000),
            rng.uniform(-700, 700, 500),
            [-693.1, -692.9, 692.9, 693.1, 0.0, -0.0, 1e-300, -1e-300, 1000.0, -1000.0, np.inf, -np.inf, np.nan],
            np.arange(-40, 41) / 1.4426950408889634,
        ]
    )  # y on whole numbers
    scale = np.concatenate([rng.choice([0.0, 1e-300, 5e-324, 0.0075, 0.3, 1.0, 7.5], x.size)])
    x = np.repeat(x, 3)
    scale = np.repeat(scale, 3)
    bound = np.array(
        [
            math.ldexp(s, math.floor(xi * 1.4426950408889634) + 2)
            if -1000.0 < xi * 1.4426950408889634 < 1000.0
            else np.nan
            for s, xi in zip(scale, x)
        ]
    )
    # u on the bound, one step below and one above it (where the bound is a number)
    u = np.where(np.isnan(bound), 0.5, bound)
    u[1::3] = np.nextafter(u[1::3], -np.inf)
    u[2::3] = np.nextafter(u[2::3], np.inf)
    out = np.zeros(u.size, np.uint8)
    load_compiled("_stages")._above_exp_bound(u, scale, x, out)
    expected = np.where(np.isnan(bound), False, u >= np.nan_to_num(bound, nan=np.inf))
    np.testing.assert_array_equal(out.astype(bool), expected)
    assert 0 < out.mean() < 1


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_exposure_order_splits_touches_in_order_on_any_thread_count(threads):
    # fill_slates and respond take the exposed touches in order from the front of one array
    # and the unexposed ones from its back; a large wave is split on the run's threads in
    # fixed blocks (32768 touches), whose branch-free writes must never land in another
    # block's entries.  Sizes around the blocks and the parallel threshold, exposure from
    # none to all, and blocks with no exposed (or no unexposed) touch at all.
    from sim.core import load_compiled

    block = 32768
    rng = np.random.default_rng(11)
    cases = []
    for k in (0, 1, 7, 4 * block - 1, 4 * block, 4 * block + 1, 6 * block + 123):
        for p in (0.0, 0.01, 0.3, 0.99, 1.0):
            cases.append((rng.random(k) < p).astype(np.uint8))
    lumpy = np.zeros(5 * block + 17, np.uint8)
    lumpy[block : 2 * block] = 1  # one block all exposed, the others none
    lumpy[3 * block + 5] = 1
    cases += [lumpy, 1 - lumpy, rng.integers(1, 256, 5 * block + 3).astype(np.uint8)]  # exposed: any nonzero
    for exposed in cases:
        k = exposed.size
        order = np.full(k + 1, -5, dtype=np.intp)
        n_seen = load_compiled("_stages")._exposure_order(exposed, order, threads)
        seen, unseen = np.flatnonzero(exposed), np.flatnonzero(exposed == 0)
        assert n_seen == seen.size
        np.testing.assert_array_equal(order[:n_seen], seen)
        np.testing.assert_array_equal(order[n_seen:k], unseen[::-1])


@pytest.mark.parametrize("elasticity, fatigue_k", [(1.0, 0.15), (0.0, 0.0), (0.5, 3.0), (2.5, 0.15), (1.0, 40.0)])
def test_the_open_coin_is_decided_as_with_the_probability_computed(elasticity, fatigue_k):
    # expose brackets p = base * (trust / 0.5) ** elasticity * exp(-k * fatigue) between
    # tabled trust-bin edges and 1 - x <= exp(-x) <= 1 / (1 + x), computing p only for draws
    # in between.  Trust on and next to the bins' edges (1/1024), at 1 and near 0, fatigue
    # from none to far beyond the model's range: every decision must be u < p with p computed
    # as libm computes it.
    import math

    from sim.core import load_compiled
    from sim.core.twins.random import customer_base, draw_uniform

    rng = np.random.default_rng(17)
    edges = np.arange(0, 1025) / 1024.0
    trust = np.concatenate(
        [edges, np.nextafter(edges, 0.0), np.nextafter(edges, 2.0), rng.random(30000), [1e-30, 1e-7, 0.0, 1.0]]
    ).astype(np.float32)
    trust = np.clip(trust, 0.0, 1.0)
    n = trust.size
    fatigue = np.zeros((4, n), dtype=np.float32)
    fatigue[1] = np.where(rng.random(n) < 0.3, 0.0, rng.exponential(1.0, n) * rng.choice([0.1, 1.0, 30.0], n))
    cust = np.arange(n, dtype=np.int64)
    out = np.zeros(n, np.uint8)
    key = 2024
    from tests.test_kernels import PARAMS

    params = replace(
        PARAMS,
        open_base_rate=(0.0, 0.22, 0.22, 0.22),
        open_trust_elasticity=(0.0, elasticity, elasticity, elasticity),
        open_fatigue_k=(0.0, fatigue_k, fatigue_k, fatigue_k),
    )
    load_compiled("_stages").expose(cust, trust, fatigue, out, 1, params.compiled(), key, 1)
    u = draw_uniform(customer_base(key, cust), 0)
    want = np.array(
        [
            float(ui)
            < (
                0.22 * math.exp(elasticity * math.log(float(t) / 0.5)) * math.exp(-fatigue_k * float(f))
                if t > 0.0
                else 0.0
            )
            for ui, t, f in zip(u, trust, fatigue[1])
        ]
    )
    np.testing.assert_array_equal(out.astype(bool), want)
    assert 0.02 < out.mean() < 0.6
