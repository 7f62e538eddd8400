"""The bookkeeping kernels (a wave's tally, the contact book's update) against their NumPy twins."""

import numpy as np
import pytest

from sim.core import load_compiled
from sim.core.twins import bookkeeping as twin

N, S, B, G = 500, 4, 5, 3


def random_wave(rng, k, all_exposed=False):
    cust = np.sort(rng.choice(N, k, replace=False)).astype(np.int64)
    fail = rng.random(k) < 0.2
    return dict(
        cust=cust,
        segment=rng.integers(0, G, N).astype(np.uint8),
        exposed=np.ones(k, np.uint8) if all_exposed else (rng.random(k) < 0.3).astype(np.uint8),
        clicked=(rng.random(k) < 0.2).astype(np.uint8),
        bought=np.where(rng.random(k) < 0.1, rng.integers(0, 100, k), -1).astype(np.int32),
        revenue=rng.lognormal(3, 0.5, k),
        persofail=np.where(fail, rng.integers(1, S + 1, k), 0).astype(np.uint8),
        creepy=(rng.random(k) < 0.1).astype(np.uint8),
        opted_out=(rng.random(k) < 0.05).astype(np.uint8),
        basis=rng.integers(0, B, (k, S)).astype(np.uint8),
        rel=rng.random(k).astype(np.float32),
        score=rng.standard_normal((k, S)).astype(np.float32),
    )


def tally_outputs(k):
    return dict(counts=np.zeros(6, np.int64), persofail_slot_basis=np.zeros((S, B), np.int64),
                creepy_basis=np.zeros(B, np.int64), by_segment=np.zeros((5, G)),
                exposed_rel=np.zeros(k), exposed_best=np.zeros(k))


@pytest.mark.parametrize("k, all_exposed", [(0, False), (1, True), (300, False), (300, True)])
def test_tally_wave_matches_twin(k, all_exposed):
    wave = random_wave(np.random.default_rng(k), k, all_exposed)
    got, want = tally_outputs(k), tally_outputs(k)
    assert load_compiled("_stats").tally_wave(**wave, **got) == 0
    twin.tally_wave(**wave, **want)
    n = int(want["counts"][0])
    assert got["counts"].tolist() == want["counts"].tolist()
    for name in ("persofail_slot_basis", "creepy_basis", "by_segment"):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)   # bit for bit
    np.testing.assert_array_equal(got["exposed_rel"][:n], want["exposed_rel"][:n])
    np.testing.assert_array_equal(got["exposed_best"][:n], want["exposed_best"][:n])
    if k:
        assert got["counts"][1:].sum() > 0   # the random wave has something to count


def test_tally_wave_reports_the_first_bad_touch():
    wave = random_wave(np.random.default_rng(1), 50)
    hit = np.flatnonzero(wave["persofail"])[0]
    wave["basis"][hit, wave["persofail"][hit] - 1] = B     # a basis code the recorder does not know
    assert load_compiled("_stats").tally_wave(**wave, **tally_outputs(50)) == hit + 1


@pytest.mark.parametrize("visit", [True, False])
def test_note_wave_matches_twin(visit):
    rng = np.random.default_rng(7)
    wave = random_wave(rng, 200)
    books = [tuple(rng.integers(-5, 5, N).astype(np.int32) for _ in range(3)) for _ in range(2)]
    books[1] = tuple(a.copy() for a in books[0])
    args = (wave["cust"], wave["clicked"], wave["bought"])
    assert load_compiled("_book").note_wave(*args, *books[0], visit, 99) == 0
    twin.note_wave(*args, *books[1], visit, 99)
    for got, want in zip(*books):
        np.testing.assert_array_equal(got, want)
    assert (books[0][1] == 99).sum() == (wave["bought"] >= 0).sum()


def test_note_wave_refuses_a_customer_out_of_range():
    cust = np.array([3, N], dtype=np.int64)
    book = [np.zeros(N, np.int32) for _ in range(3)]
    bad = load_compiled("_book").note_wave(cust, np.zeros(2, np.uint8), np.full(2, -1, np.int32), *book, True, 5)
    assert bad == 2


@pytest.mark.parametrize("kernel", ["browse", "respond"])
def test_kernels_that_check_the_history_themselves_reject_a_bad_item(kernel):
    # browse and respond check the purchase history as they read it (no scan beforehand):
    # a filled slot with an item outside the catalog fails the call and names the customer;
    # an empty slot's value is never read, so it does not matter.
    from tests.test_kernels import DIMS, _inputs
    from sim.core.kernels import KernelArgumentError, call
    from sim.codes import NO_DAY

    args = _inputs(kernel)
    exposed = args["exposed"].astype(bool) if "exposed" in args else np.ones(len(args["cust"]), bool)
    i = int(args["cust"][np.flatnonzero(exposed)[0]])
    args["hist_day"][i, 0] = NO_DAY
    args["hist_item"][i, 0] = DIMS["M"] + 5          # an empty slot: ignored
    call(kernel, "compiled", n_threads=1, **args)
    args = _inputs(kernel)
    args["hist_day"][i, 1] = 3
    args["hist_item"][i, 1] = DIMS["M"] + 5
    with pytest.raises(KernelArgumentError, match=rf"{kernel}\(hist_item\): customer {i} holds items"):
        call(kernel, "compiled", n_threads=1, **args)
    with pytest.raises(KernelArgumentError, match=rf"{kernel}\(hist_item\): indices span"):
        call(kernel, "numpy", n_threads=1, **args)    # the twin's arrays are scanned first


@pytest.mark.parametrize("n", [1, 7, 9, 65536, 65543, 200_003])
def test_daily_trust_summary_matches_numpy_at_any_thread_count(n):
    # The mean's chunked, eight-way partial sums stay within rounding of the float64 mean,
    # the 10th percentile is the lower edge of the bin where 10% of customers is reached,
    # and neither depends on the thread count.
    from sim.stats import BINS, summarize_unit_values

    rng = np.random.default_rng(n)
    values = np.clip(rng.normal(0.58, 0.1, n), 0, 1).astype(np.float32)
    mean, p10 = summarize_unit_values(values, 1)
    assert (mean, p10) == summarize_unit_values(values, 2)
    assert mean == pytest.approx(values.astype(np.float64).mean(), rel=1e-13, abs=0)
    bins = np.minimum((values.astype(np.float64) * BINS).astype(np.int64), BINS - 1)
    cum = np.cumsum(np.bincount(bins, minlength=BINS))
    assert p10 == int(np.searchsorted(cum, 0.1 * n)) / BINS
