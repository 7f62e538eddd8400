"""Thread-count-independent summaries of per-customer values."""

from __future__ import annotations

import numpy as np

from sim.core import load_compiled

__all__ = ["summarize_unit_values", "CHUNK", "BINS"]

CHUNK = 65536
BINS = 1024


def summarize_unit_values(values: np.ndarray, threads: int = 1) -> tuple[float, float]:
    """Mean and 10th percentile of float32 values in [0, 1].

    The mean is exact up to float64 summation in a fixed chunk order; the percentile is the
    lower edge of the histogram bin (width 1/1024) where the cumulative share reaches 10%.
    Both are identical at any thread count.
    """
    n = values.shape[0]
    if n == 0:
        return float("nan"), float("nan")
    n_chunks = (n + CHUNK - 1) // CHUNK
    counts = np.zeros((n_chunks, BINS), dtype=np.int64)
    sums = np.zeros(n_chunks, dtype=np.float64)
    load_compiled("_stats").value_histogram(np.ascontiguousarray(values, dtype=np.float32),
                                            counts, sums, CHUNK, threads)
    total = counts.sum(axis=0)
    cum = np.cumsum(total)
    p10_bin = int(np.searchsorted(cum, 0.1 * n))
    return float(sums.sum() / n), p10_bin / BINS
