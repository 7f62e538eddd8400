"""The bookkeeping kernels (a wave's tally, the contact book's update) against their NumPy twins."""

import numpy as np
import pytest

from sim.core import load_compiled
from sim.core.twins import bookkeeping as twin

N, S, B, G = 500, 4, 5, 3


def random_wave(rng, k, all_exposed=False):
    # A wave larger than the population (several tally chunks) repeats customers: the tally
    # does not mind (the contact book's update needs unique customers, so it gets small waves).
    cust = np.sort(rng.choice(N, k, replace=k > N)).astype(np.int64)
    fail = rng.random(k) < 0.2
    return dict(
        cust=cust,
        segment=rng.integers(0, G, N).astype(np.uint8),
        exposed=np.ones(k, np.uint8) if all_exposed else (rng.random(k) < 0.3).astype(np.uint8),
        clicked=(rng.random(k) < 0.2).astype(np.uint8),
        bought=np.where(rng.random(k) < 0.1, rng.integers(0, 100, k), -1).astype(np.int32),
        revenue=rng.lognormal(3, 0.5, k),
        margin=rng.normal(5, 3, k),
        persofail=np.where(fail, rng.integers(1, S + 1, k), 0).astype(np.uint8),
        creepy=(rng.random(k) < 0.1).astype(np.uint8),
        opted_out=(rng.random(k) < 0.05).astype(np.uint8),
        basis=rng.integers(0, B, (k, S)).astype(np.uint8),
        rel=rng.random(k).astype(np.float32),
        score=rng.standard_normal((k, S)).astype(np.float32),
    )


def tally_outputs(k):
    return dict(
        counts=np.zeros(6, np.int64),
        persofail_slot_basis=np.zeros((S, B), np.int64),
        creepy_basis=np.zeros(B, np.int64),
        by_segment=np.zeros((6, G)),
        sums=np.zeros(4),
    )


CHUNK = twin.TALLY_CHUNK


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("every", [7, 40, 1000])
def test_a_tally_of_rare_events_matches_the_twin(every, threads):
    # Most touches of a real wave have nothing to count by segment, and the kernel skips such
    # runs of touches at once: events one touch in ``every``, some at a group's edges.
    k = 3 * CHUNK + 5
    rng = np.random.default_rng(every)
    wave = random_wave(rng, k)
    quiet = np.ones(k, bool)
    quiet[rng.choice(k, k // every, replace=False)] = False
    quiet[[15, 16, 31, 32, k - 1]] = False
    wave["bought"][quiet] = -1
    for name in ("persofail", "creepy", "opted_out"):
        wave[name][quiet] = 0
    got, want = tally_outputs(k), tally_outputs(k)
    assert load_compiled("_stats").tally_wave(**wave, **got, n_threads=threads) == 0
    twin.tally_wave(**wave, **want)
    assert got["counts"].tolist() == want["counts"].tolist() and want["counts"][2] > 0
    for name in ("persofail_slot_basis", "creepy_basis", "by_segment"):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def test_tally_chunk_is_the_same_in_kernel_and_twin():
    assert load_compiled("_stats").TALLY_CHUNK == twin.TALLY_CHUNK


@pytest.mark.parametrize(
    "k, all_exposed, threads",
    [
        (0, False, 1),
        (1, True, 1),
        (300, False, 1),
        (300, True, 2),
        (CHUNK, False, 2),
        (2 * CHUNK + 1, False, 1),
        (2 * CHUNK + 1, False, 2),
        (5 * CHUNK // 2, True, 3),
    ],
)
def test_tally_wave_matches_twin(k, all_exposed, threads):
    # Bit for bit, revenue and sums included: the twin sums per chunk of TALLY_CHUNK touches
    # and then over the chunks in order, as the kernel does.
    wave = random_wave(np.random.default_rng(k), k, all_exposed)
    got, want = tally_outputs(k), tally_outputs(k)
    assert load_compiled("_stats").tally_wave(**wave, **got, n_threads=threads) == 0
    twin.tally_wave(**wave, **want)
    assert got["counts"].tolist() == want["counts"].tolist()
    for name in ("persofail_slot_basis", "creepy_basis", "by_segment", "sums"):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)  # bit for bit
    # What the sums are: revenue and margin of the purchases (the random wave has some on
    # touches without one, which do not count), relevance and best slot score of the exposed
    # touches (up to rounding: the order of the additions differs).
    ex, sold = wave["exposed"] != 0, wave["bought"] >= 0
    best = wave["score"].max(axis=1)
    np.testing.assert_allclose(
        got["sums"],
        [
            wave["revenue"][sold].sum(),
            wave["margin"][sold].sum(),
            wave["rel"][ex].astype(float).sum(),
            best[ex].astype(float).sum(),
        ],
        rtol=1e-12,
        atol=1e-9,
    )
    if k:
        assert got["counts"][1:].sum() > 0  # the random wave has something to count


def test_tally_wave_reports_the_first_bad_touch():
    wave = random_wave(np.random.default_rng(1), 50)
    hit = np.flatnonzero(wave["persofail"])[0]
    wave["basis"][hit, wave["persofail"][hit] - 1] = B  # a basis code the recorder does not know
    assert load_compiled("_stats").tally_wave(**wave, **tally_outputs(50)) == hit + 1


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_tally_wave_reports_the_first_bad_touch_of_a_wave_of_several_chunks(threads):
    # Bad touches in the second and the third chunk (and a later one in the second): the
    # smallest is reported, whichever thread counts which chunk.
    k = 3 * CHUNK
    wave = random_wave(np.random.default_rng(2), k)
    fails = np.flatnonzero(wave["persofail"])
    first, later = fails[fails > CHUNK + 100][0], fails[fails > CHUNK + 200][0]
    third = np.flatnonzero(wave["creepy"][2 * CHUNK :])[0] + 2 * CHUNK
    for t in (first, later):
        wave["basis"][t, wave["persofail"][t] - 1] = B
    wave["basis"][third, 0] = B
    assert load_compiled("_stats").tally_wave(**wave, **tally_outputs(k), n_threads=threads) == first + 1


def test_tally_wave_is_identical_on_any_thread_count():
    # Several chunks, every output (the float sums too) equal to the last bit on 1, 2 and 3 threads.
    k = 4 * CHUNK + 123
    wave = random_wave(np.random.default_rng(3), k)
    outs = [tally_outputs(k) for _ in range(3)]
    for threads, out in zip((1, 2, 3), outs):
        assert load_compiled("_stats").tally_wave(**wave, **out, n_threads=threads) == 0
    for out in outs[1:]:
        for name in out:
            np.testing.assert_array_equal(out[name], outs[0][name], err_msg=name)


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
    assert book[0][3] == 5 and not book[0][:3].any() and not book[0][4:].any()


def large_wave(seed, n=300_000, k=120_000):
    # Large enough to run on several threads (blocks of touches): unique customers, as in a wave.
    rng = np.random.default_rng(seed)
    cust = np.sort(rng.choice(n, k, replace=False)).astype(np.int64)
    clicked = (rng.random(k) < 0.2).astype(np.uint8)
    bought = np.where(rng.random(k) < 0.1, rng.integers(0, 100, k), -1).astype(np.int32)
    book = tuple(rng.integers(-5, 5, n).astype(np.int32) for _ in range(3))
    return cust, clicked, bought, book


@pytest.mark.parametrize("visit", [True, False])
def test_note_wave_is_identical_on_any_thread_count(visit):
    cust, clicked, bought, book = large_wave(8)
    want = tuple(a.copy() for a in book)
    twin.note_wave(cust, clicked, bought, *want, visit, 77)
    for threads in (1, 2, 3):
        got = tuple(a.copy() for a in book)
        assert load_compiled("_book").note_wave(cust, clicked, bought, *got, visit, 77, threads) == 0
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_note_wave_reports_the_first_customer_out_of_range_of_a_large_wave(threads):
    # Bad customers in several blocks of touches: the first is reported on any thread count,
    # and every touch before it is noted.
    cust, clicked, bought, book = large_wave(9)
    n, k = book[0].shape[0], cust.shape[0]
    first = k // 3 + 5
    cust[[first, first + 3, k - 10]] = [n, -1, n + 7]
    got = tuple(a.copy() for a in book)
    assert load_compiled("_book").note_wave(cust, clicked, bought, *got, True, 77, threads) == first + 1
    assert (got[0][cust[:first]] == 77).all()


@pytest.mark.parametrize("kernel", ["browse", "respond"])
def test_kernels_that_check_the_history_themselves_reject_a_bad_item(kernel):
    # browse and respond check the purchase history as they read it (no scan beforehand):
    # a filled slot with an item outside the catalog fails the call and names the customer;
    # an empty slot's value is never read, so it does not matter.
    from sim.codes import NO_DAY
    from sim.core.kernels import KernelArgumentError, call
    from tests.test_kernels import DIMS, _inputs

    args = _inputs(kernel)
    exposed = args["exposed"].astype(bool) if "exposed" in args else np.ones(len(args["cust"]), bool)
    i = int(args["cust"][np.flatnonzero(exposed)[0]])
    args["hist_day"][i, 0] = NO_DAY
    args["hist_item"][i, 0] = DIMS["M"] + 5  # an empty slot: ignored
    call(kernel, "compiled", n_threads=1, **args)
    args = _inputs(kernel)
    args["hist_day"][i, 1] = 3
    args["hist_item"][i, 1] = DIMS["M"] + 5
    with pytest.raises(KernelArgumentError, match=rf"{kernel}\(hist_item\): customer {i} holds items"):
        call(kernel, "compiled", n_threads=1, **args)
    # Also when the engine's built-in pipeline skips the argument checks (check=False).
    fresh = _inputs(kernel)
    fresh["hist_day"][i, 1] = 3
    fresh["hist_item"][i, 1] = DIMS["M"] + 5
    with pytest.raises(KernelArgumentError, match=rf"{kernel}\(hist_item\): customer {i} holds items"):
        call(kernel, "compiled", check=False, n_threads=1, **fresh)
    with pytest.raises(KernelArgumentError, match=rf"{kernel}\(hist_item\): indices span"):
        call(kernel, "numpy", n_threads=1, **args)  # the twin's arrays are scanned first


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


def test_a_kept_daily_summary_gives_each_day_its_own_values():
    # The recorder keeps one summary (its scratch reused) for the whole run: each call must
    # equal a fresh summary of that day's values, whatever the days before it held.
    from sim.stats import UnitSummary, summarize_unit_values

    n = 3 * 65536 + 11
    rng = np.random.default_rng(4)
    kept = UnitSummary(n, threads=2)
    for centre in (0.9, 0.2, 0.55, 0.2):
        values = np.clip(rng.normal(centre, 0.1, n), 0, 1).astype(np.float32)
        assert kept(values) == summarize_unit_values(values, 1)
    with pytest.raises(ValueError, match="expected"):
        kept(values[:-1])


def tally_sums_on(path, wave, threads=1):
    """The tally's sums (as int64 bits) on one vector path."""
    stats = load_compiled("_stats")
    k, n_slot = wave["basis"].shape
    out = tally_outputs(k)
    out["persofail_slot_basis"] = np.zeros((n_slot, B), np.int64)
    previous = stats.set_simd(path)
    try:
        assert stats.tally_wave(**wave, **out, n_threads=threads) == 0
    finally:
        stats.set_simd(previous)
    return out["sums"].view(np.int64)


@pytest.mark.parametrize("with_nan", [False, True])
@pytest.mark.parametrize("n_slot", [4, 3])
@pytest.mark.parametrize("k", [1, 7, 8, 9, 301, CHUNK + 13])
def test_tally_sums_are_the_same_on_every_vector_path(k, n_slot, with_nan):
    # The exposed touches' relevance and best score with odd values among them (zeros of
    # either sign, infinities, tiny values, ties between slots; NaN in a second run, where
    # the sums become NaN and their bits are compared), on unexposed touches too: every path
    # gives the scalar loop's bits, the wave's last touches (after the last step of eight)
    # included.
    rng = np.random.default_rng(k + n_slot)
    wave = random_wave(rng, k)
    wave["persofail"][:] = 0  # slots beyond n_slot
    wave["basis"] = wave["basis"][:, :n_slot].copy()
    odd = np.array([0.0, -0.0, 1e-40, -3.0] + ([np.nan, np.inf, -np.inf] if with_nan else []), np.float32)
    score = rng.standard_normal((k, n_slot)).astype(np.float32)
    hits = rng.random((k, n_slot)) < 0.15
    score[hits] = rng.choice(odd, int(hits.sum()))
    score[::5, 1:] = score[::5, :1]  # ties
    rel = rng.random(k).astype(np.float32)
    hits = rng.random(k) < 0.1
    rel[hits] = rng.choice(odd, int(hits.sum()))
    wave.update(score=score, rel=rel)
    stats = load_compiled("_stats")
    scalar = tally_sums_on("scalar", wave)
    if not with_nan:
        assert not np.isnan(scalar.view(np.float64)).any()
    for path in stats.simd_paths():
        for threads in (1, 2):
            np.testing.assert_array_equal(tally_sums_on(path, wave, threads), scalar, err_msg=f"{path}, {threads}")


def test_each_touch_best_score_is_the_scalar_one_on_every_vector_path():
    # Every row of four slot scores drawn from NaN, zeros of either sign and +-1, at each
    # position of a step of eight and in the last touches: a row's best score is the first
    # slot's, replaced by each later slot that is greater (a NaN slot is never greater), so
    # a NaN first slot makes the sum NaN and a later one does not.
    stats = load_compiled("_stats")
    values = np.array([np.nan, -0.0, 0.0, 1.0, -1.0], np.float32)
    rows = np.array(np.meshgrid(values, values, values, values, indexing="ij")).reshape(4, -1).T
    k = 17
    for r, row in enumerate(rows):
        wave = random_wave(np.random.default_rng(r), k, all_exposed=True)
        wave["persofail"][:] = 0
        wave["rel"][:] = 0.5
        wave["score"][:] = 0.25
        wave["score"][r % k] = row
        first_nan = np.isnan(row[0])
        scalar = tally_sums_on("scalar", wave)
        assert np.isnan(scalar.view(np.float64)[3]) == first_nan, row
        for path in stats.simd_paths():
            np.testing.assert_array_equal(tally_sums_on(path, wave), scalar, err_msg=f"{path}, {row}")


def test_the_book_s_last_activity_is_the_last_visit_click_or_purchase():
    # The book stores visits and outbound clicks or purchases apart and derives the last
    # activity from them: after any sequence of waves (in time order, as a run makes them) it
    # must be what writing "now" at every visit, click and purchase would leave.
    from sim.campaigns.book import NEVER, ContactBook
    from sim.codes import EMAIL, ONSITE
    from sim.touch import TouchBatch

    rng = np.random.default_rng(12)
    book = ContactBook(N)
    active = np.zeros(N, np.int64)  # 0 until the first activity, as documented
    purchase = np.full(N, NEVER, np.int64)
    for now in sorted(rng.choice(24 * 60, 40, replace=False).tolist()):
        channel = ONSITE if rng.random() < 0.5 else EMAIL
        cust = np.sort(rng.choice(N, int(rng.integers(1, 120)), replace=False)).astype(np.int64)
        batch = TouchBatch(channel, now // 24, now % 24, cust, 4)
        batch.clicked[:] = rng.random(len(cust)) < 0.3
        batch.bought[:] = np.where(rng.random(len(cust)) < 0.2, 5, -1)
        book.note_wave(batch, now, threads=2)
        engaged = cust if channel == ONSITE else cust[(batch.clicked != 0) | (batch.bought >= 0)]
        active[engaged] = now
        purchase[cust[batch.bought >= 0]] = now
    np.testing.assert_array_equal(book.last_active, active)
    np.testing.assert_array_equal(book.last_purchase, purchase)
    assert (active > 0).sum() > N // 2 and (active == 0).any()
