# The index-range scan behind sim.core.kernels._check, compiled.
#
# Design note.  Every kernel call validates its index arrays (the kernels run with bounds
# checks off).  With NumPy that took a boolean mask (to drop the sentinel), a filtered copy
# and two reductions per array: for population-sized arrays (N x H purchase history, the
# firm's per-customer categories) several full passes and temporaries on every call.  This
# scan makes one pass, allocates nothing but three numbers per block (below) and can restrict
# itself to the rows a kernel reads (the wave's customers), which the validated call then
# uses for N-row arrays.
#
# The scans run between the kernels, where only the calling thread works, so a large input
# (an email wave's touches: about a million values per array) is split into fixed blocks of
# rows (of values, for a dense array) that the threads scan in parallel, each block keeping
# its own count, minimum and maximum, combined after the loop.  Integer minima, maxima and
# counts do not depend on how the values are grouped, so the result is the same for any
# thread count.  The passes compare in the array's own type, with branch-free selects that
# the compiler vectorizes (int64 stays scalar without 64-bit vector compares): the sentinel
# is replaced by a value that cannot move the minimum (the type's maximum) or the maximum
# (the type's minimum).

from cython.parallel cimport parallel, prange
from libc.stdint cimport (INT8_MAX, INT8_MIN, INT16_MAX, INT16_MIN, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN,
                          UINT8_MAX, UINT16_MAX, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t)
from libc.stdlib cimport free, malloc

from sim.core._common cimport PREFETCH_AHEAD, prefetch_r

ctypedef fused index_t:
    int8_t
    uint8_t
    int16_t
    uint16_t
    int32_t
    int64_t

# x, its value hidden from the optimizer.  The sentinel loop replaces the sentinel by the
# type's maximum (minimum) before taking a minimum (maximum); knowing that constant, the
# compiler turned the select into a branch around the update ("a sentinel changes nothing"),
# which cannot be vectorized and mispredicts on mixed values: ten times slower.
cdef extern from *:
    """
    #include <stdint.h>
    #if defined(__GNUC__) || defined(__clang__)
    static inline int64_t sim_opaque_i64(int64_t x) { __asm__("" : "+r"(x)); return x; }
    #else
    static inline int64_t sim_opaque_i64(int64_t x) { return x; }
    #endif
    """
    int64_t opaque "sim_opaque_i64"(int64_t x) noexcept nogil

cdef enum:
    # Values per block of the parallel scan: large enough that a block's bookkeeping (three
    # numbers) is nothing next to its pass, small enough that two threads share a wave-sized
    # array evenly.
    SCAN_BLOCK = 16384
    # Below this many values the scan stays on the calling thread (and enters no parallel
    # region): waking the threads costs microseconds, a sizeable part of such a scan (about
    # 20 us for 64k int32 values on one thread).
    PARALLEL_MIN = 65536


cdef inline void scan_values(const index_t* p, Py_ssize_t n, bint has_sentinel, index_t sentinel,
                             index_t type_min, index_t type_max, int64_t* out) noexcept nogil:
    """Fold the n values at p into out = [count, lo, hi] (values equal to the sentinel left out
    when ``has_sentinel``)."""
    cdef index_t x, xl, xh, xlo = type_max, xhi = type_min, y, ylo, yhi
    cdef Py_ssize_t c, h, n_sentinel = 0
    cdef bint is_sentinel
    if n <= 0:
        return
    if has_sentinel and index_t is int64_t:
        # Without 64-bit vector compares (baseline x86-64) this loop stays scalar, where the
        # compiler keeps these conditional moves but made the selects below a branch.
        for c in range(n):
            x = p[c]
            is_sentinel = x == sentinel
            n_sentinel = n_sentinel + is_sentinel
            xlo = x if (x < xlo and not is_sentinel) else xlo
            xhi = x if (x > xhi and not is_sentinel) else xhi
        if n_sentinel == n:
            return   # nothing but sentinels
    elif has_sentinel:
        for c in range(n):
            x = p[c]
            is_sentinel = x == sentinel
            n_sentinel = n_sentinel + is_sentinel
            xl = type_max if is_sentinel else x
            xh = type_min if is_sentinel else x
            xlo = xl if xl < xlo else xlo
            xhi = xh if xh > xhi else xhi
        if n_sentinel == n:
            return   # nothing but sentinels: xlo and xhi are not values of the array
    else:
        # A long run as two halves side by side: two loads per step, faster, and a speed that
        # no longer hinges on where the compiler places the loop's few instructions (a
        # one-load loop ran at half speed in some builds).  A short row (a customer's) in one
        # plain loop.  p[n - 1] starts all four: it covers the odd value out.
        h = n // 2 if n >= 64 else 0
        xlo = p[n - 1]
        xhi = p[n - 1]
        ylo = p[n - 1]
        yhi = p[n - 1]
        for c in range(h):
            x = p[c]
            y = p[h + c]
            xlo = x if x < xlo else xlo
            xhi = x if x > xhi else xhi
            ylo = y if y < ylo else ylo
            yhi = y if y > yhi else yhi
        for c in range(2 * h, n):
            x = p[c]
            xlo = x if x < xlo else xlo
            xhi = x if x > xhi else xhi
        xlo = ylo if ylo < xlo else xlo
        xhi = yhi if yhi > xhi else xhi
    out[0] = out[0] + (n - n_sentinel)
    out[1] = xlo if xlo < out[1] else out[1]
    out[2] = xhi if xhi > out[2] else out[2]


cdef inline void scan_block(const index_t* a, Py_ssize_t w, const int64_t* rows, const uint8_t* row_mask,
                            Py_ssize_t r0, Py_ssize_t r1, Py_ssize_t n_rows, bint has_sentinel,
                            index_t sentinel, index_t type_min, index_t type_max, int64_t* out) noexcept nogil:
    """Fold units r0 to r1 of the input into out: the values a[r0:r1] of a dense array
    (``rows`` NULL, w = 1), else the rows rows[r0:r1] of the (R, w) array at a, those with
    row_mask[r] == 0 skipped when row_mask is not NULL (n_rows is the length of rows)."""
    cdef Py_ssize_t r
    if rows == NULL:
        scan_values(a + r0, r1 - r0, has_sentinel, sentinel, type_min, type_max, out)
        return
    for r in range(r0, r1):
        # The rows are a sparse subset of an array larger than the caches: ask for a later
        # row now so that its miss overlaps this row's work.
        if r + PREFETCH_AHEAD < n_rows:
            prefetch_r(a + rows[r + PREFETCH_AHEAD] * w)
        if row_mask != NULL and not row_mask[r]:
            continue
        scan_values(a + rows[r] * w, w, has_sentinel, sentinel, type_min, type_max, out)


def index_range(const index_t[:, ::1] a, const int64_t[::1] rows, bint use_rows,
                bint has_sentinel, int64_t sentinel, const uint8_t[::1] row_mask=None,
                int n_threads=1):
    """(count, lo, hi) of the values of ``a`` other than ``sentinel`` (when ``has_sentinel``).

    a : (R, W) any integer dtype above, C-contiguous (a 1-d array viewed as (R, 1))
    rows : int64 (r,) the rows to scan when ``use_rows`` (each in [0, R), checked by the
        caller beforehand), else ignored and every row is scanned
    row_mask : uint8 (r,) or None; with ``use_rows``, only rows[q] with row_mask[q] != 0 are
        scanned (a kernel that skips unexposed touches never reads their customers' rows)
    n_threads : threads for a large input (PARALLEL_MIN values or more); the result is the
        same for any count
    Returns count = 0 (and lo, hi meaningless) when no value is left.
    """
    cdef Py_ssize_t n_units = rows.shape[0] if use_rows else a.shape[0]
    cdef Py_ssize_t w = a.shape[1], per_block, n_blocks, b, r0, r1
    cdef int64_t result[3]
    cdef int64_t* block_out = NULL
    cdef index_t sent = <index_t>sentinel, type_min, type_max
    cdef bint masked = use_rows and row_mask is not None
    # Raw pointers, set inside the parallel block so that each thread holds them in its own
    # locals (a memoryview read in OpenMP code reloads the view's data pointer after a store).
    cdef const index_t* base = NULL
    cdef const int64_t* rw = NULL
    cdef const uint8_t* mk = NULL
    if index_t is int8_t:
        type_min, type_max = INT8_MIN, INT8_MAX
    elif index_t is uint8_t:
        type_min, type_max = 0, UINT8_MAX
    elif index_t is int16_t:
        type_min, type_max = INT16_MIN, INT16_MAX
    elif index_t is uint16_t:
        type_min, type_max = 0, UINT16_MAX
    elif index_t is int32_t:
        type_min, type_max = INT32_MIN, INT32_MAX
    else:
        type_min, type_max = INT64_MIN, INT64_MAX
    type_min, type_max = <index_t>opaque(type_min), <index_t>opaque(type_max)
    # A sentinel the dtype cannot hold (-1 in a uint8 array) equals none of its values.
    has_sentinel = has_sentinel and <int64_t>sent == sentinel
    if a.shape[0] == 0 or w == 0:
        return 0, 0, 0
    if masked and row_mask.shape[0] != rows.shape[0]:
        raise ValueError("row_mask and rows differ in length")
    if use_rows and n_units == 0:
        return 0, INT64_MAX, INT64_MIN
    if not use_rows:
        # A dense array: one pass over its memory as a single row, in blocks of values.
        n_units = a.shape[0] * w
        w = 1
    result[0], result[1], result[2] = 0, INT64_MAX, INT64_MIN
    per_block = SCAN_BLOCK // w if w < SCAN_BLOCK else 1
    n_blocks = (n_units + per_block - 1) // per_block
    if n_threads <= 1 or n_blocks < 2 or n_units * w < PARALLEL_MIN:
        with nogil:
            scan_block(&a[0, 0], w, &rows[0] if use_rows else NULL, &row_mask[0] if masked else NULL,
                       0, n_units, n_units, has_sentinel, sent, type_min, type_max, result)
        return result[0], result[1], result[2]
    block_out = <int64_t*>malloc(3 * n_blocks * sizeof(int64_t))
    if block_out == NULL:
        raise MemoryError()
    try:
        with nogil, parallel(num_threads=n_threads):
            base = &a[0, 0]
            rw = &rows[0] if use_rows else NULL
            mk = &row_mask[0] if masked else NULL
            for b in prange(n_blocks, schedule="static"):
                block_out[3 * b] = 0
                block_out[3 * b + 1] = INT64_MAX
                block_out[3 * b + 2] = INT64_MIN
                r0 = b * per_block
                r1 = r0 + per_block if r0 + per_block < n_units else n_units
                scan_block(base, w, rw, mk, r0, r1, n_units, has_sentinel, sent, type_min, type_max,
                           &block_out[3 * b])
        for b in range(n_blocks):
            if block_out[3 * b]:
                result[0] += block_out[3 * b]
                result[1] = block_out[3 * b + 1] if block_out[3 * b + 1] < result[1] else result[1]
                result[2] = block_out[3 * b + 2] if block_out[3 * b + 2] > result[2] else result[2]
    finally:
        free(block_out)
    return result[0], result[1], result[2]
