"""Thread-count-independent summaries of per-customer values."""

from __future__ import annotations

import numpy as np

from sim.core import load_compiled

__all__ = ["summarize_unit_values", "UnitSummary", "CHUNK", "BINS"]

CHUNK = 65536
BINS = 1024


class UnitSummary:
    """Mean and 10th percentile of n float32 values in [0, 1], with its scratch kept from call
    to call (the recorder summarizes the population's trust every day).

    The mean is exact up to float64 summation in a fixed chunk order; the percentile is the
    lower edge of the histogram bin (width 1/1024) where the cumulative share reaches 10%.
    Both are identical at any thread count.
    """

    def __init__(self, n: int, threads: int = 1):
        self.n, self.threads = n, threads
        n_chunks = max(1, (n + CHUNK - 1) // CHUNK)
        self._counts = np.empty((n_chunks, BINS), dtype=np.int64)  # every entry written by the kernel
        self._sums = np.empty(n_chunks, dtype=np.float64)
        self._total = np.empty(BINS, dtype=np.int64)
        self._histogram = load_compiled("_tally").value_histogram

    def __call__(self, values: np.ndarray) -> tuple[float, float]:
        """(mean, 10th percentile) of ``values``, float32 (n,)."""
        n = self.n
        if values.shape != (n,):
            raise ValueError(f"expected {n} values, got an array of shape {values.shape}")
        if n == 0:
            return float("nan"), float("nan")
        self._histogram(np.ascontiguousarray(values, dtype=np.float32), self._counts, self._sums, CHUNK, self.threads)
        cum = np.cumsum(self._counts.sum(axis=0, out=self._total), out=self._total)
        p10_bin = int(np.searchsorted(cum, 0.1 * n))
        return float(self._sums.sum() / n), p10_bin / BINS


def summarize_unit_values(values: np.ndarray, threads: int = 1) -> tuple[float, float]:
    """Mean and 10th percentile of float32 values in [0, 1] (see :class:`UnitSummary`)."""
    return UnitSummary(values.shape[0], threads)(values)
