# The contact book's per-wave update, compiled.
#
# Design note.  After every wave the firm notes, per touched customer, the hour of the visit,
# the purchase, or of a click or purchase on an outbound contact (a customer's last activity
# is the later of its last visit and that, so it is not stored: a visit writes one entry, not
# two, and a visits wave's update is that of fetching its customers' lines).  As NumPy that
# is three scatters through boolean masks and gathered index arrays per wave; one pass over
# the wave writes the same values.  The pass runs between the wave's kernels, where only the
# calling thread works, so a large wave
# is split into fixed blocks of touches that the threads note in parallel: a wave's customers
# are unique, so no two touches write the same entry, and every entry written gets the same
# value (``now``) whichever thread writes it.  Each block stops at its first customer out of
# range; the wave's first one is the smallest of the blocks' (the same on any thread count).

from cython.parallel cimport parallel, prange
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport free, malloc

cdef enum:
    # Touches per block: enough work (tens of microseconds) to dwarf a block's scheduling,
    # few enough that two threads share a wave of a few hundred thousand touches evenly.
    NOTE_BLOCK = 8192
    # Below this many touches the update stays on the calling thread (no parallel region to
    # start: waking the threads costs microseconds, a sizeable part of a small wave's update).
    PARALLEL_MIN = 16384


cdef inline Py_ssize_t note_block(Py_ssize_t lo, Py_ssize_t hi, const int64_t* cust, const uint8_t* clicked,
                                  const int32_t* bought, int32_t* last_visit, int32_t* last_purchase,
                                  int32_t* last_engaged, Py_ssize_t n, bint visit, int32_t now) noexcept nogil:
    """Note touches lo to hi; returns 0, or 1 + the first whose customer is out of range
    (nothing written from it on within this block)."""
    cdef Py_ssize_t t
    cdef int64_t i
    for t in range(lo, hi):
        i = cust[t]
        if i < 0 or i >= n:
            return t + 1
        if bought[t] >= 0:
            last_purchase[i] = now
        if visit:
            last_visit[i] = now
        elif bought[t] >= 0 or clicked[t]:
            last_engaged[i] = now
    return 0


def note_wave(
    const int64_t[::1] cust,            # IN  int64[k] unique customers, each in [0, N)
    const uint8_t[::1] clicked,         # IN  uint8[k]
    const int32_t[::1] bought,          # IN  int32[k] item bought, -1 when none
    int32_t[::1] last_visit,            # IN/OUT int32[N]
    int32_t[::1] last_purchase,         # IN/OUT int32[N]
    int32_t[::1] last_engaged,          # IN/OUT int32[N]
    bint visit, int32_t now, int n_threads=1,
):
    """Write hour ``now`` as the last purchase of every buyer and, for a visits wave
    (``visit``), as every visitor's last visit; for an outbound wave, as the last click or
    purchase on an outbound contact (``last_engaged``) of those who clicked or bought.  A
    wave of PARALLEL_MIN touches or more is noted on ``n_threads`` threads (the result is the
    same on any count).

    Returns 0, or 1 + the first touch whose customer is out of range: the touches before it
    are noted, and on one thread nothing from it on; on several threads some touches after it
    may have been noted too (the caller abandons the run).
    """
    cdef Py_ssize_t k = cust.shape[0], n = last_visit.shape[0], n_blocks, b, lo, hi, bad = 0
    cdef Py_ssize_t* block_bad = NULL
    # Raw pointers, set inside the parallel block so that each thread holds them in its own
    # locals (a memoryview read in OpenMP code reloads the view's data pointer after a store).
    cdef const int64_t* cu = NULL
    cdef const uint8_t* cl = NULL
    cdef const int32_t* bo = NULL
    cdef int32_t* lv = NULL
    cdef int32_t* lp = NULL
    cdef int32_t* le = NULL
    if last_purchase.shape[0] != n or last_engaged.shape[0] != n:
        raise ValueError("last_visit, last_purchase and last_engaged differ in length")
    if clicked.shape[0] != k or bought.shape[0] != k:
        raise ValueError("cust, clicked and bought differ in length")
    if k == 0:
        return 0
    if n_threads <= 1 or k < PARALLEL_MIN:
        with nogil:
            bad = note_block(0, k, &cust[0], &clicked[0], &bought[0], &last_visit[0] if n > 0 else NULL,
                             &last_purchase[0] if n > 0 else NULL, &last_engaged[0] if n > 0 else NULL,
                             n, visit, now)
        return bad
    n_blocks = (k + NOTE_BLOCK - 1) // NOTE_BLOCK
    block_bad = <Py_ssize_t*>malloc(n_blocks * sizeof(Py_ssize_t))
    if block_bad == NULL:
        raise MemoryError()
    try:
        with nogil, parallel(num_threads=n_threads):
            cu = &cust[0]
            cl = &clicked[0]
            bo = &bought[0]
            lv = &last_visit[0] if n > 0 else NULL
            lp = &last_purchase[0] if n > 0 else NULL
            le = &last_engaged[0] if n > 0 else NULL
            for b in prange(n_blocks, schedule="static"):
                lo = b * NOTE_BLOCK
                hi = lo + NOTE_BLOCK if lo + NOTE_BLOCK < k else k
                block_bad[b] = note_block(lo, hi, cu, cl, bo, lv, lp, le, n, visit, now)
        for b in range(n_blocks):
            if block_bad[b]:
                bad = block_bad[b]
                break
    finally:
        free(block_bad)
    return bad
