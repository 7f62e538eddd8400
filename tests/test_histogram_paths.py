"""The daily value histogram (sim.core._tally.value_histogram) on each vector path: every path
gives the scalar loop's counts and sums to the last bit, on any input and thread count."""

import numpy as np
import pytest

from sim.core import load_compiled

tally = load_compiled("_tally")


def nan32(bits):
    """The float32 NaN with these bits (quiet or signaling, either sign)."""
    return np.array([bits], np.uint32).view(np.float32)[0]


NANS = [np.float32(np.nan), nan32(0x7FC00001), nan32(0xFFC00123), nan32(0x7F800001), nan32(0xFF812345)]
SPECIAL = np.array(
    [
        0.0,
        -0.0,
        1.0,
        np.nextafter(np.float32(1), np.float32(0)),
        np.nextafter(np.float32(0), np.float32(1)),
        -1e-8,
        -0.5,
        -1.0,
        1.5,
        2.0,
        1e30,
        -1e30,
        np.inf,
        -np.inf,
        3e-39,
        2.0**62,
        # Around 2**63 / 1024, where the product v * 1024 leaves the int64 range.
        np.nextafter(np.float32(2.0**53), np.float32(0)),
        np.float32(2.0**53),
    ]
    + NANS,
    np.float32,
)
EDGES = (np.arange(1025) / 1024).astype(np.float32)  # the bin edges k / 1024, 0 and 1 included


def histogram(values, chunk, n_bins=1024, threads=1, path="scalar", n_chunks=None):
    """(counts int64[n_chunks, n_bins], sums as int64 bits [n_chunks]) on the given path, from
    outputs filled with garbage first (every entry must be written)."""
    if n_chunks is None:
        n_chunks = max(1, -(-len(values) // chunk))
    counts = np.full((n_chunks, n_bins), -7, np.int64)
    sums = np.full(n_chunks, -3.0)
    previous = tally.set_simd(path)
    try:
        tally.value_histogram(np.ascontiguousarray(values, np.float32), counts, sums, chunk, threads)
    finally:
        tally.set_simd(previous)
    return counts, sums.view(np.int64)


def expected_bins(values, n_bins):
    """Bin of each value: int(v * n_bins) in double, clamped to [0, n_bins - 1]; NaN, and products
    beyond the int64 range (as the conversion of the compiled code gives them), in bin 0."""
    with np.errstate(invalid="ignore"):  # signaling NaNs
        x = values.astype(np.float64) * n_bins
    inside = (x >= 0) & (x < 2.0**63)
    return np.where(inside, np.minimum(np.floor(np.where(inside, x, 0)), n_bins - 1), 0).astype(np.int64)


def expected_sum(values):
    """A chunk's sum: value j into partial j mod 8 in order, then the pairs added pairwise."""
    with np.errstate(invalid="ignore"):  # signaling NaNs, inf - inf
        p = [np.cumsum(values[q::8].astype(np.float64))[-1] if len(values) > q else 0.0 for q in range(8)]
    return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]))


def assert_every_path_agrees(values, chunk, n_bins=1024, n_chunks=None):
    ref = histogram(values, chunk, n_bins, 1, "scalar", n_chunks)
    for path in tally.simd_paths():
        for threads in (1, 2):
            counts, sums = histogram(values, chunk, n_bins, threads, path, n_chunks)
            assert np.array_equal(counts, ref[0]), (path, threads)
            assert np.array_equal(sums, ref[1]), (path, threads)  # bits: NaN sums included
    return ref


def inputs(n, seed):
    """Random values in [0, 1], the special values and the bin edges, in random orders."""
    rng = np.random.default_rng(seed)
    pool = np.concatenate([SPECIAL, EDGES, rng.random(64).astype(np.float32)])
    return [rng.random(n).astype(np.float32), rng.choice(SPECIAL, n), rng.choice(pool, n)]


@pytest.mark.parametrize("n", list(range(0, 41)) + [47, 48, 49, 255, 256, 257, 1000])
def test_every_path_gives_the_scalar_histogram_for_short_inputs(n):
    # Short inputs: no whole step of sixteen, one, a few, and every tail length after them.
    for values in inputs(n, n):
        for chunk in (1, 8, 16, 17, 40, 64, 65536):
            assert_every_path_agrees(values, chunk)


@pytest.mark.parametrize("chunk", [16, 24, 1000, 4096, 65536])
@pytest.mark.parametrize("n_bins", [1, 3, 1000, 1024])
def test_every_path_gives_the_scalar_histogram_over_several_chunks(chunk, n_bins):
    for values in inputs(3 * 4096 + 13, chunk + n_bins):
        assert_every_path_agrees(values, chunk, n_bins)


@pytest.mark.parametrize("path", ["scalar", "avx2", "avx512"])
def test_the_histogram_and_sums_are_the_documented_ones(path):
    # Bins and sums from their definitions, independently of the compiled code, on each path:
    # values on the bin edges, just below 1, outside [0, 1], infinite and NaN included.
    if path not in tally.simd_paths():
        pytest.skip(f"this CPU has no {path} path")
    chunk = 1000
    for values in inputs(2 * chunk + 37, 11):
        counts, sums = histogram(values, chunk, path=path)
        for c in range(counts.shape[0]):
            part = values[c * chunk : (c + 1) * chunk]
            assert np.array_equal(counts[c], np.bincount(expected_bins(part, 1024), minlength=1024))
            want = expected_sum(part)
            got = sums[c : c + 1].view(np.float64)[0]
            assert (np.isnan(got) and np.isnan(want)) or got == want


def test_edges_and_end_values_go_to_their_bins():
    values = np.concatenate(
        [EDGES, [np.nextafter(np.float32(1), np.float32(0)), -0.0, -1e-8, 1.5, 1e30, -1e30, np.inf, -np.inf, np.nan]]
    ).astype(np.float32)
    want = list(range(1024)) + [1023, 1023, 0, 0, 1023, 0, 0, 0, 0, 0]
    for path in tally.simd_paths():
        counts, _ = histogram(values, 65536, path=path)
        assert np.array_equal(counts[0], np.bincount(want, minlength=1024)), path


@pytest.mark.parametrize("n_bins", [3, 1000, 1024])
def test_values_next_to_the_bin_edges_go_to_their_bins(n_bins):
    # Each float32 nearest k / n_bins and its two neighbours: the product v * n_bins is taken in
    # double, where it is exact (in float32 it would round some of them onto the edge).
    near = (np.arange(n_bins + 1) / n_bins).astype(np.float32)
    values = np.concatenate([np.nextafter(near, np.float32(-1)), near, np.nextafter(near, np.float32(2))])
    for path in tally.simd_paths():
        counts, _ = histogram(values, 4096, n_bins, path=path)
        assert np.array_equal(counts[0], np.bincount(expected_bins(values, n_bins), minlength=n_bins)), path


def test_a_sum_of_nans_keeps_the_nan_the_summaries_always_kept():
    # Of two NaNs, an addition keeps its first operand's: each partial sum's own, and in the
    # final pairs the one of partial 0, 3, 4 and 7 (the order is pinned; the bits are those of
    # every earlier build).  A float32 NaN's payload moves to the top of the double's.
    a, b = nan32(0x7FC00001), nan32(0xFFC00123)
    bits = {a.view(np.uint32): 0x7FF8000020000000, b.view(np.uint32): 0xFFF8002460000000}
    for path in tally.simd_paths():
        for values, first in [
            ([a] * 8 + [b] * 8, a),
            ([b] * 8 + [a] * 8, b),
            ([0, 0, a, b, 0, 0, 0, 0] * 2, b),
            ([0, 0, b, a, 0, 0, 0, 0] * 2, a),
            ([0, 0, 0, 0, 0, 0, a, b] * 2, b),
            ([a, b, 0, 0, 0, 0, 0, 0] * 2, a),
        ]:
            _, sums = histogram(np.array(values * 3, np.float32), 48, path=path)
            assert int(sums[0]) & (2**64 - 1) == bits[first.view(np.uint32)], (path, values)


def test_no_values_and_rows_past_the_values():
    for path in tally.simd_paths():
        counts, sums = histogram(np.zeros(0, np.float32), 16, path=path)
        assert not counts.any() and not sums.any()
        # More rows than chunks: the last rows are emptied (counts and sums zero).
        counts, sums = histogram(np.full(40, 0.5, np.float32), 16, path=path, n_chunks=5)
        assert counts.sum(axis=1).tolist() == [16, 16, 8, 0, 0]
        assert sums.view(np.float64).tolist() == [8.0, 8.0, 4.0, 0.0, 0.0]


def test_outputs_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match="bin"):
        tally.value_histogram(np.zeros(4, np.float32), np.zeros((1, 0), np.int64), np.zeros(1), 16, 1)
    with pytest.raises(ValueError, match="row per chunk"):
        tally.value_histogram(np.zeros(40, np.float32), np.zeros((3, 8), np.int64), np.zeros(2), 16, 1)
