"""A wave's audience and its caps, compiled: the same customers, counters and counts as the
NumPy twins, on one thread or two, at every block boundary."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest

from sim.campaigns.policy import ContactPolicy
from sim.codes import ADS, EMAIL, OUTBOUND, PUSH
from sim.config.schema import ChannelLimitsConfig, LimitsConfig
from sim.core import load_compiled

BLOCKS = load_compiled("_policy").BLOCKS
SCAN, LIST, PARALLEL_MIN = BLOCKS["scan"], BLOCKS["list"], BLOCKS["parallel_min"]
THREADS = [1, 2]
CAPS = [(0, 0, 0), (2, 0, 0), (0, 1, 0), (3, 2, 4), (255, 255, 255)]
"""(email cap per week, per day, all channels per week): none, each alone, all, and at the
uint8 limit (the counters wrap at 256)."""

# Population sizes around the scan's masks (64 customers) and blocks, and one above the
# parallel threshold that ends in a partial mask of a partial block.
SIZES = [0, 1, 63, 64, 65, SCAN - 1, SCAN, SCAN + 1, 2 * SCAN + 65]


def population(n: int, seed: int, *, consent=None, active=None):
    """Random consent bits, activity (some nonzero values other than 1) and counters near the
    caps."""
    rng = np.random.default_rng(seed)
    return SimpleNamespace(
        consent=(rng.integers(0, 16, n) if consent is None else np.full(n, consent)).astype(np.uint8),
        active=(rng.choice([0, 1, 2, 255], n, p=[0.1, 0.7, 0.1, 0.1]) if active is None else np.full(n, active)).astype(
            np.uint8
        ),
        sent_this_week=rng.choice([0, 1, 2, 3, 254, 255], (n, 4)).astype(np.uint8),
        sent_today=rng.choice([0, 1, 2, 255], (n, 4)).astype(np.uint8),
    )


def policies(pop, caps=(0, 0, 0), threads=1):
    """The compiled policy and its NumPy twin, each on its own copy of ``pop``, with the
    suppressions they count."""
    week, day, all_week = caps
    limits = LimitsConfig(email=ChannelLimitsConfig(cap_per_week=week, cap_per_day=day), all_channels_per_week=all_week)
    out = {}
    for impl in ("compiled", "numpy"):
        copy = SimpleNamespace(**{k: v.copy() for k, v in vars(pop).items()})
        held = Counter()
        out[impl] = (
            ContactPolicy(limits, copy, lambda ch, name, k, held=held: held.update({(ch, name): k}), impl, threads),
            copy,
            held,
        )
    return out


def assert_same(out, got, want):
    """The same customers (int64), counters and counted suppressions from both policies."""
    assert got.dtype == want.dtype == np.int64
    np.testing.assert_array_equal(got, want)
    (_, a, held_a), (_, b, held_b) = out["compiled"], out["numpy"]
    np.testing.assert_array_equal(a.sent_this_week, b.sent_this_week)
    np.testing.assert_array_equal(a.sent_today, b.sent_today)
    assert held_a == held_b


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("n", SIZES)
def test_the_reachable_customers_are_the_numpy_twins(n, threads):
    pop = population(n, n)
    extra = np.random.default_rng(n + 1).random(n) < 0.5
    out = policies(pop, threads=threads)
    for channel in OUTBOUND:
        for mask in (None, extra):
            got = out["compiled"][0].reachable_customers(channel, mask)
            want = out["numpy"][0].reachable_customers(channel, mask)
            assert got.dtype == np.int64
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("who", ["everyone", "nobody consents", "nobody active"])
def test_the_reachable_customers_when_everyone_or_nobody_is(who, threads):
    n = 2 * SCAN + 65
    pop = population(n, 7, consent=0 if who == "nobody consents" else 0xFF, active=0 if who == "nobody active" else 1)
    out = policies(pop, threads=threads)
    for channel in (EMAIL, PUSH, ADS):
        got = out["compiled"][0].reachable_customers(channel)
        np.testing.assert_array_equal(got, np.arange(n) if who == "everyone" else [])
        assert got.dtype == np.int64
        assert_same(out, out["compiled"][0].admit_reachable(channel), out["numpy"][0].admit_reachable(channel))


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("caps", CAPS)
@pytest.mark.parametrize("n", [0, 65, SCAN + 1, 2 * SCAN + 65])
def test_the_audience_under_the_caps_in_one_scan_is_the_numpy_twins(n, caps, threads):
    # admit_reachable: the audience found and the caps applied in one scan; its twin is
    # admit() of the NumPy audience.  Twice, so that the second wave meets counters the
    # first one incremented.
    pop = population(n, sum(caps) + n)
    extra = np.random.default_rng(3).random(n) < 0.7
    out = policies(pop, caps, threads)
    reachable = out["numpy"][0].reachable_customers(EMAIL)
    admitted = []
    for mask in (None, extra):
        got = out["compiled"][0].admit_reachable(EMAIL, mask)
        assert_same(out, got, out["numpy"][0].admit_reachable(EMAIL, mask))
        admitted.append(len(got))
    if any(caps) and n > 1000:
        assert 0 < admitted[0] < len(reachable)  # the caps held some back, not all


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("caps", CAPS)
@pytest.mark.parametrize("k", [PARALLEL_MIN, 2 * LIST + 1, 5 * LIST - 1])
def test_a_long_candidate_list_is_admitted_as_the_numpy_twin_admits_it(k, caps, threads):
    n = 3 * k
    pop = population(n, k + sum(caps))
    cust = np.sort(np.random.default_rng(k).choice(n, k, replace=False)).astype(np.int64)
    out = policies(pop, caps, threads)
    got = out["compiled"][0].admit(EMAIL, cust)
    assert_same(out, got, out["numpy"][0].admit(EMAIL, cust))
    if any(caps):
        assert 0 < len(got) < k


def test_empty_candidate_lists_and_populations_admit_nobody():
    for n in (0, 10):
        out = policies(population(n, 1), (3, 2, 4), threads=2)
        for impl in ("compiled", "numpy"):
            policy, _, held = out[impl]
            assert policy.admit(EMAIL, np.zeros(0, np.int64)).tolist() == []
            assert policy.admit_reachable(EMAIL, np.zeros(n, bool)).tolist() == []
            assert not held
        assert_same(out, out["compiled"][0].admit_reachable(EMAIL), out["numpy"][0].admit_reachable(EMAIL))


def kernel_admit(cust, pop, threads, caps=(3, 2, 4), admitted=None):
    """The compiled caps pass itself: (return value, admitted, counters)."""
    week, today = pop.sent_this_week.copy(), pop.sent_today.copy()
    admitted = np.full(len(cust), -7, np.int64) if admitted is None else admitted
    outbound = np.array([c in OUTBOUND for c in range(4)], np.uint8)
    w = load_compiled("_policy").admit(cust, week, today, outbound, admitted, EMAIL, *caps, threads)
    return w, admitted, week, today


@pytest.mark.parametrize("first_bad", [0, LIST - 1, LIST, 3 * LIST + 5])
@pytest.mark.parametrize("bad_value", [-1, 10**9])
def test_the_first_customer_out_of_range_fails_a_long_list_the_same_way_on_two_threads(first_bad, bad_value):
    # A bad customer in a later block too: the first one decides, and the touches before it
    # are admitted and counted on two threads exactly as on one.
    n, k = 20 * LIST, 5 * LIST
    pop = population(n, 5)
    cust = np.arange(0, 4 * k, 4, dtype=np.int64)
    cust[first_bad] = bad_value
    cust[4 * LIST + 9] = n
    runs = [kernel_admit(cust, pop, threads) for threads in THREADS]
    w1, admitted1, *counters1 = runs[0]
    for w, admitted, *counters in runs[1:]:
        assert w == w1 == -(1 + first_bad)
        for a, b in zip(counters, counters1):
            np.testing.assert_array_equal(a, b)
    policy = policies(pop, (3, 2, 4), threads=2)["compiled"][0]
    with pytest.raises(ValueError, match=rf"customer {bad_value} of candidate {first_bad} is out of range"):
        policy.admit(EMAIL, cust)


@pytest.mark.parametrize("where", ["repeat", "descent", "repeat across blocks"])
def test_a_long_list_that_is_not_strictly_ascending_is_admitted_as_on_one_thread(where):
    # A customer touched twice, one contact short of the weekly cap: the serial pass admits
    # the first touch and holds the second back; two threads give that outcome.
    n, k = 20 * LIST, 3 * LIST
    pop = population(n, 9)
    cust = np.arange(0, 4 * k, 4, dtype=np.int64)
    if where == "repeat across blocks":
        cust[2 * LIST] = cust[2 * LIST - 1]
    else:
        cust[2 * LIST + 3] = cust[2 * LIST + 2] if where == "repeat" else cust[LIST]
    again = cust[2 * LIST] if where == "repeat across blocks" else cust[2 * LIST + 3]
    pop.sent_this_week[again] = [0, 2, 0, 0]  # the weekly email cap is 3
    pop.sent_today[again] = 0
    one, two = kernel_admit(cust, pop, 1), kernel_admit(cust, pop, 2)
    assert one[0] == two[0] > 0
    for a, b in zip(one[1:], two[1:]):
        np.testing.assert_array_equal(a[: one[0]] if a.ndim == 1 else a, b[: one[0]] if b.ndim == 1 else b)


def test_a_long_list_admitted_in_place_is_admitted_as_on_one_thread():
    n, k = 20 * LIST, 3 * LIST
    pop = population(n, 11)
    cust = np.arange(0, 4 * k, 4, dtype=np.int64)
    one = kernel_admit(cust, pop, 1)
    in_place = cust.copy()
    two = kernel_admit(in_place, pop, 2, admitted=in_place)
    assert one[0] == two[0] > 0
    np.testing.assert_array_equal(two[1][: two[0]], one[1][: one[0]])
    for a, b in zip(one[2:], two[2:]):
        np.testing.assert_array_equal(a, b)
