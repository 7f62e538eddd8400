# Population summaries for the daily series, compiled.
#
# Design note.  Sums over a million customers must not depend on the thread count, so each
# fixed chunk of customers accumulates into its own row of the output and Python reduces the
# rows in order.  Counts are integers, hence exact in any order anyway.

cimport cython
from cython.parallel cimport prange
from libc.stdint cimport int64_t


def value_histogram(
    const float[::1] values,            # IN  float32[N] values in [0, 1]
    int64_t[:, ::1] counts,             # OUT int64[n_chunks, n_bins]
    double[::1] sums,                   # OUT float64[n_chunks]
    Py_ssize_t chunk, int n_threads,
):
    """Histogram of values in [0, 1] into n_bins equal bins, and per-chunk sums."""
    cdef Py_ssize_t n = values.shape[0], n_chunks = counts.shape[0], n_bins = counts.shape[1]
    cdef Py_ssize_t c, i, lo, hi, b
    cdef double s, v
    for c in prange(n_chunks, nogil=True, num_threads=n_threads, schedule="static"):
        for b in range(n_bins):
            counts[c, b] = 0
        lo = c * chunk
        hi = lo + chunk
        if hi > n:
            hi = n
        s = 0.0
        for i in range(lo, hi):
            v = values[i]
            s = s + v
            b = <Py_ssize_t>(v * n_bins)
            if b >= n_bins:
                b = n_bins - 1
            elif b < 0:
                b = 0
            counts[c, b] = counts[c, b] + 1
        sums[c] = s
