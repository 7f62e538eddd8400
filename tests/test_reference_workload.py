"""The reference workload ref-v1: compiled kernels against the NumPy twin, determinism,
the schedule of the waves, hand-derivable rates, and the wrappers' argument checks."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from benchmarks.refv1 import (
    DAYS,
    NO_CATEGORY,
    NO_DAY,
    RESULT_KEYS,
    Catalog,
    Customers,
    ReferenceRun,
    ReferenceWorld,
    compiled_kernels,
    email_wave,
    run_reference,
    visit_wave,
)
from sim.core.twins.random import customer_base, draw_uniform

TIMING_KEYS = ("seconds", "init_seconds")
STATE = ("trust", "fatigue", "churned", "last_cat", "last_day")


def outcomes(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in TIMING_KEYS}


def run_world(n: int, seed: int, impl: str, threads: int = 1) -> ReferenceRun:
    run = ReferenceRun(ReferenceWorld(n, seed), threads, impl)
    run.run()
    return run


def assert_same_state(a: Customers, b: Customers) -> None:
    """Discrete state identical; float state equal up to last-bit exp() differences."""
    for name in ("churned", "last_cat", "last_day"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_allclose(a.trust, b.trust, rtol=1e-6, atol=0, err_msg="trust")
    np.testing.assert_allclose(a.fatigue, b.fatigue, rtol=1e-6, atol=0, err_msg="fatigue")


# --------------------------------------------------------------------------- compiled == twin


@pytest.fixture(params=["portable", "avx2"])
def score_path(request):
    """Run the compiled kernel with its portable scores, then (if the CPU has it) AVX2's."""
    kernels = compiled_kernels()
    if request.param == "avx2" and not kernels.has_avx2():
        pytest.skip("this CPU has no AVX2")
    previous = kernels.set_avx2(request.param == "avx2")
    yield request.param
    kernels.set_avx2(previous)


def test_compiled_kernels_and_numpy_twin_agree_over_the_90_days(score_path):
    # Same world, same counter-based draws: every count and every customer's state agree.
    # Float state can only differ where libm's exp() and NumPy's differ in the last bit.
    compiled = run_world(3000, seed=11, impl="compiled")
    twin = run_world(3000, seed=11, impl="numpy")
    a, b = compiled.outcomes(), twin.outcomes()
    for key in ("visits", "emails_sent", "emails_opened", "purchases", "interactions", "churn_fraction"):
        assert a[key] == b[key], key
    assert a["revenue"] == pytest.approx(b["revenue"], rel=1e-12)
    assert a["mean_trust"] == pytest.approx(b["mean_trust"], rel=1e-9)
    assert_same_state(compiled.world.customers, twin.world.customers)
    assert a["purchases"] > 0 and a["churn_fraction"] > 0  # the run is not degenerate


def hand_made_world(n: int = 3000, day: int = 50) -> tuple[Catalog, Customers, np.ndarray]:
    """A small catalog and a mixed population that reach every branch of an interaction.

    12 items in 3 categories (j mod 3), items 0, 4, 8 sensitive, so slates often hold a
    sensitive item or one of the customer's last category.  Customers: every 10th churned;
    privacy 0.3 everywhere; trust 0.5, except 0.02 (a penalty clamps it to 0) and 0.16 (a
    penalty makes it churn); last purchase recent (day - 5), old (day - 40) or never.
    Returns the catalog, the customers and their group (0: trust 0.5, 1: 0.02, 2: 0.16).
    """
    rng = np.random.default_rng(2024)
    m = 12
    feat = rng.standard_normal((m, 8))
    catalog = Catalog(
        features=(feat / np.linalg.norm(feat, axis=1, keepdims=True)).astype(np.float32),
        category=(np.arange(m) % 3).astype(np.int32),
        sensitive=(np.arange(m) % 4 == 0).astype(np.uint8),
        price=rng.uniform(5, 50, m),
    )
    pref = rng.standard_normal((n, 8))
    i = np.arange(n)
    group = np.where(i % 7 == 3, 1, np.where(i % 7 == 5, 2, 0))
    history = i % 3  # 0: recent purchase, 1: old one, 2: none
    customers = Customers(
        pref=(pref / np.linalg.norm(pref, axis=1, keepdims=True)).astype(np.float32),
        privacy=np.full(n, 0.3, dtype=np.float32),
        trust=np.choose(group, [0.5, 0.02, 0.16]).astype(np.float32),
        fatigue=rng.uniform(0, 1, n).astype(np.float32),
        churned=(i % 10 == 9).astype(np.uint8),
        last_cat=np.where(history == 2, NO_CATEGORY, rng.integers(0, 3, n)).astype(np.int32),
        last_day=np.choose(history, [day - 5, day - 40, NO_DAY]).astype(np.int32),
    )
    return catalog, customers, group


@pytest.mark.parametrize("wave", [visit_wave, email_wave])
def test_single_wave_agrees_with_the_twin_on_a_hand_made_state(wave, score_path):
    day, key = 50, 987654321
    catalog, start, _ = hand_made_world(day=day)
    compiled, twin = start.copy(), start.copy()
    a = wave(compiled, catalog, day, key, 2, impl="compiled")
    b = wave(twin, catalog, day, key, 1, impl="numpy")
    assert dataclasses.astuple(a)[:4] == dataclasses.astuple(b)[:4]  # the four counts
    assert a.revenue == pytest.approx(b.revenue, rel=1e-12)
    assert_same_state(compiled, twin)


def test_hand_made_visit_wave_reaches_every_branch():
    # Which branch a visitor took shows in its trust change.  From trust 0.5 with privacy 0.3:
    #   persofail only  0.5 - 0.05                = 0.45
    #   creepy only     0.5 - 0.10 * 0.3          = 0.47
    #   both            0.5 - 0.05 - 0.03         = 0.42
    #   neither, r > .5 0.5 + 0.02 * (1 - 0.5)    = 0.51
    #   neither, r <= .5 0.5 - 0.01 * 0.5         = 0.495
    # Trust 0.02 with any penalty is clamped to 0; trust 0.16 minus 0.03 or more is < 0.15,
    # so the customer churns.
    day, key = 50, 987654321
    catalog, before, group = hand_made_world(day=day)
    after = before.copy()
    visit_wave(after, catalog, day, key, 1, impl="compiled")

    idx = np.arange(before.trust.size)
    visited = (before.churned == 0) & (draw_uniform(customer_base(key, idx), 0) < 0.2)
    untouched = ~visited
    for name in ("trust", "churned", "last_cat", "last_day"):
        np.testing.assert_array_equal(getattr(after, name)[untouched], getattr(before, name)[untouched])

    new_trust = after.trust[visited & (group == 0)]
    branches = (0.45, 0.47, 0.42, 0.51, 0.495)
    for expected in branches:  # every branch was taken ...
        assert np.any(np.isclose(new_trust, expected, atol=1e-6)), expected
    nearest = np.abs(new_trust[:, None] - np.array(branches)[None, :]).min(axis=1)
    assert np.all(nearest < 1e-6)  # ... and nothing else happened
    assert np.any(after.trust[visited & (group == 1)] == 0.0)  # clamped at 0
    assert np.all(after.churned[visited & (group == 2) & (after.trust < 0.15)] == 1)
    assert np.any(after.churned[visited & (group == 2)] == 1)  # churned today
    assert np.any(after.last_day[visited] == day)  # purchases


# --------------------------------------------------------------------------- determinism


def test_results_are_bit_identical_for_one_and_two_threads():
    # 20 000 customers are 5 chunks of 4096, so two threads really split the work; each
    # chunk's draws and sums do not depend on which thread runs it.  (Without OpenMP both
    # runs are serial and the test checks determinism.)
    one = run_world(20_000, seed=5, impl="compiled", threads=1)
    two = run_world(20_000, seed=5, impl="compiled", threads=2)
    assert one.outcomes() == two.outcomes()
    for name in STATE:
        np.testing.assert_array_equal(
            getattr(one.world.customers, name), getattr(two.world.customers, name), err_msg=name
        )
    assert outcomes(run_reference(20_000, 5, 1, "engine")) == outcomes(run_reference(20_000, 5, 2, "engine"))


def test_same_seed_repeats_and_another_seed_differs():
    first, again = run_reference(2000, 3, 1, "engine"), run_reference(2000, 3, 1, "engine")
    other = run_reference(2000, 4, 1, "engine")
    assert outcomes(first) == outcomes(again)
    assert outcomes(first) != outcomes(other)
    assert first["revenue"] != other["revenue"]


def test_run_reference_returns_exactly_the_documented_keys():
    result = run_reference(500, 0, 1, "numpy")
    assert tuple(result) == RESULT_KEYS
    assert result["interactions"] == result["visits"] + result["emails_sent"]
    assert 0 <= result["emails_opened"] <= result["emails_sent"]


# --------------------------------------------------------------------------- schedule and rates


def test_waves_run_daily_with_twelve_campaigns_after_that_days_visits():
    run = run_world(100, seed=0, impl="compiled")
    visit_days = [day for _, kind, day in run.log if kind == "visit"]
    email_days = [day for _, kind, day in run.log if kind == "email"]
    assert visit_days == list(range(DAYS))
    assert email_days == list(range(6, 90, 7))  # days 6, 13, ..., 83
    assert len(email_days) == 12
    # SimPy time is in hours: visits at 24 d + 1, the campaign at 24 d + 2, in that order.
    assert [t for t, kind, _ in run.log if kind == "email"] == [24 * d + 2 for d in email_days]
    assert [t for t, kind, _ in run.log if kind == "visit"] == [24 * d + 1 for d in visit_days]
    order = [(day, kind) for _, kind, day in run.log]
    assert all(order.index((d, "visit")) < order.index((d, "email")) for d in email_days)


def test_day_0_visits_and_a_first_campaigns_opens_match_their_binomial_rates():
    # A fresh world of N = 50 000: nobody has churned, trust is 0.5 everywhere.
    # Day 0 visits ~ Binomial(N, 0.2): mean 10 000, sd sqrt(N 0.2 0.8) = 89.4; allow 5 sd.
    # A campaign on that world: every customer is sent one, opened with 0.3 * 0.5 = 0.15:
    # mean 7 500, sd sqrt(N 0.15 0.85) = 79.8; allow 5 sd.
    n = 50_000
    world = ReferenceWorld(n, seed=1)
    visits = visit_wave(world.customers, world.catalog, 0, world.visit_key(0)).visits
    assert abs(visits - 0.2 * n) < 5 * math.sqrt(n * 0.2 * 0.8)

    fresh = ReferenceWorld(n, seed=1)
    sent = email_wave(fresh.customers, fresh.catalog, 6, fresh.email_key(6))
    assert sent.emails_sent == n
    assert abs(sent.emails_opened - 0.15 * n) < 5 * math.sqrt(n * 0.15 * 0.85)
    np.testing.assert_allclose(fresh.customers.fatigue[fresh.customers.churned == 0], 0.3, rtol=1e-7)


def test_world_follows_the_specification():
    world = ReferenceWorld(1000, seed=0)
    q, c = world.catalog, world.customers
    assert q.features.shape == (1000, 8) and q.features.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(q.features, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(c.pref, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(q.category, np.arange(1000) % 50)
    np.testing.assert_array_equal(np.flatnonzero(q.sensitive), np.arange(0, 1000, 20))
    # lognormal(3, 0.5): median e**3 = 20.1; Beta(2, 5): mean 2/7 = 0.286.
    assert 18 < np.median(q.price) < 22.5
    assert abs(c.privacy.mean() - 2 / 7) < 0.02
    assert np.all(c.trust == 0.5) and np.all(c.fatigue == 0) and not c.churned.any()
    assert np.all(c.last_cat == NO_CATEGORY) and np.all(c.last_day == NO_DAY)


# --------------------------------------------------------------------------- argument checks


def _bad(field: str, value) -> tuple[Customers, Catalog]:
    world = ReferenceWorld(50, seed=0)
    return dataclasses.replace(world.customers, **{field: value}), world.catalog


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
@pytest.mark.parametrize(
    "field, make, message",
    [
        ("trust", lambda n: np.full(n, 0.5), r"customers\.trust: dtype float64, expected float32"),
        ("trust", lambda n: np.full(2 * n, 0.5, dtype=np.float32)[::2], r"customers\.trust: .*not C-contiguous"),
        ("fatigue", lambda n: np.zeros(n - 1, dtype=np.float32), r"customers\.fatigue: shape \(49,\), expected N = 50"),
        ("pref", lambda n: np.zeros((n, 4), dtype=np.float32), r"customers\.pref: shape \(50, 4\), expected 8"),
        ("churned", lambda n: np.zeros(n, dtype=bool), r"customers\.churned: dtype bool, expected uint8"),
    ],
)
def test_wrappers_reject_bad_customer_arrays(impl, field, make, message):
    customers, catalog = _bad(field, make(50))
    with pytest.raises(ValueError, match=message):
        visit_wave(customers, catalog, 0, 1, impl=impl)


def test_wrappers_reject_read_only_state_bad_catalogs_and_arguments():
    world = ReferenceWorld(50, seed=0)
    frozen = world.customers.copy()
    frozen.trust.flags.writeable = False
    with pytest.raises(ValueError, match=r"customers\.trust: array is read-only"):
        email_wave(frozen, world.catalog, 6, 1)
    short = dataclasses.replace(world.catalog, price=world.catalog.price[:-1].copy())
    with pytest.raises(ValueError, match=r"catalog\.price: shape \(999,\), expected M = 1000"):
        visit_wave(world.customers, short, 0, 1)
    negative = dataclasses.replace(world.catalog, category=-world.catalog.category)
    with pytest.raises(ValueError, match=r"catalog\.category: values span"):
        visit_wave(world.customers, negative, 0, 1)
    with pytest.raises(ValueError, match="day"):
        visit_wave(world.customers, world.catalog, -1, 1)
    with pytest.raises(ValueError, match="n_threads"):
        visit_wave(world.customers, world.catalog, 0, 1, n_threads=0)
    with pytest.raises(ValueError, match="impl"):
        visit_wave(world.customers, world.catalog, 0, 1, impl="fortran")
    with pytest.raises(ValueError, match="impl"):
        run_reference(10, 0, 1, "fortran")


# --------------------------------------------------------------------------- the benchmark CLI


def test_benchmark_cli_prints_the_result_keys_as_json(capsys):
    from benchmarks.cli import count
    from benchmarks.refv1.__main__ import main

    assert count("1e6") == count("1000000") == 1_000_000
    assert main(["--impl", "engine", "--n", "2e3", "--threads", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert list(result) == [*RESULT_KEYS, "peak_rss_mib"]
    assert result["interactions"] > 0 and result["peak_rss_mib"] > 0
