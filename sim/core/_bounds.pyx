# The index-range scan behind sim.core.kernels._check, compiled.
#
# Design note.  Every kernel call validates its index arrays (the kernels run with bounds
# checks off).  With NumPy that took a boolean mask (to drop the sentinel), a filtered copy
# and two reductions per array: for population-sized arrays (N x H purchase history, the
# firm's per-customer categories) several full passes and temporaries on every call.  This
# scan makes one pass, allocates nothing and can restrict itself to the rows a kernel reads
# (the wave's customers), which the validated call then uses for N-row arrays.

cimport cython
from libc.stdint cimport INT64_MAX, INT64_MIN, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t

from sim.core._common cimport PREFETCH_AHEAD, prefetch_r

ctypedef fused index_t:
    int8_t
    uint8_t
    int16_t
    uint16_t
    int32_t
    int64_t


def index_range(const index_t[:, ::1] a, const int64_t[::1] rows, bint use_rows,
                bint has_sentinel, int64_t sentinel, const uint8_t[::1] row_mask=None):
    """(count, lo, hi) of the values of ``a`` other than ``sentinel`` (when ``has_sentinel``).

    a : (R, W) any integer dtype above, C-contiguous (a 1-d array viewed as (R, 1))
    rows : int64 (r,) the rows to scan when ``use_rows`` (each in [0, R), checked by the
        caller beforehand), else ignored and every row is scanned
    row_mask : uint8 (r,) or None; with ``use_rows``, only rows[q] with row_mask[q] != 0 are
        scanned (a kernel that skips unexposed touches never reads their customers' rows)
    Returns count = 0 (and lo, hi meaningless) when no value is left.
    """
    cdef Py_ssize_t n_rows = rows.shape[0] if use_rows else a.shape[0]
    cdef Py_ssize_t w = a.shape[1], r, c
    cdef int64_t v, lo = INT64_MAX, hi = INT64_MIN, count = 0
    cdef index_t x, xlo, xhi
    cdef const index_t* p
    cdef bint masked = use_rows and row_mask is not None
    if a.shape[0] == 0 or w == 0:
        return 0, 0, 0
    if masked and row_mask.shape[0] != rows.shape[0]:
        raise ValueError("row_mask and rows differ in length")
    if not use_rows:
        # A dense array: one pass over its memory as a single row.
        n_rows = 1
        w = a.shape[0] * a.shape[1]
    # Branch-free selects (min/max instructions): no data-dependent branch to mispredict.
    with nogil:
        for r in range(n_rows):
            if use_rows:
                # The rows are a sparse subset of an array larger than the caches: ask for a
                # later row now so that its miss overlaps this row's work.
                if r + PREFETCH_AHEAD < n_rows:
                    prefetch_r(&a[rows[r + PREFETCH_AHEAD], 0])
                if masked and not row_mask[r]:
                    continue
            p = &a[rows[r], 0] if use_rows else &a[0, 0]
            if has_sentinel:
                for c in range(w):
                    v = p[c]
                    lo = v if (v < lo and v != sentinel) else lo
                    hi = v if (v > hi and v != sentinel) else hi
                    count = count + (v != sentinel)
            else:
                # In the array's own type, so that the compiler can vectorize the pass.
                xlo = p[0]
                xhi = p[0]
                for c in range(w):
                    x = p[c]
                    xlo = x if x < xlo else xlo
                    xhi = x if x > xhi else xhi
                lo = xlo if xlo < lo else lo
                hi = xhi if xhi > hi else hi
                count = count + w
    return count, lo, hi
