# Summaries for the daily series, compiled: the population's trust each day, and each
# finished wave's counters.
#
# Design note.  Sums over a million customers must not depend on the thread count, so each
# fixed chunk of customers accumulates into its own row of the output and Python reduces the
# rows in order.  Counts are integers, hence exact in any order anyway.  A wave's tally is one
# serial pass (a wave is small next to the population): it replaces a dozen NumPy passes,
# masked copies and bincounts per wave that cost more than some of the model's stages.

cimport cython
from cython.parallel cimport parallel, prange
from libc.stdint cimport int32_t, int64_t, uint8_t



cdef inline Py_ssize_t unit_bin(double v, Py_ssize_t n_bins) noexcept nogil:
    """The bin of v in [0, 1] among n_bins equal bins (values outside go to the end bins)."""
    cdef Py_ssize_t b = <Py_ssize_t>(v * n_bins)
    return n_bins - 1 if b >= n_bins else (0 if b < 0 else b)


def value_histogram(
    const float[::1] values,            # IN  float32[N] values in [0, 1]
    int64_t[:, ::1] counts,             # OUT int64[n_chunks, n_bins]
    double[::1] sums,                   # OUT float64[n_chunks]
    Py_ssize_t chunk, int n_threads,
):
    """Histogram of values in [0, 1] into n_bins equal bins, and per-chunk sums.

    A chunk's sum runs in eight interleaved partial sums (value j of the chunk into partial
    j mod 8; the last j mod 8 values of the chunk into the first partials), added pairwise
    at the end: one running sum is a chain of dependent additions that took most of the
    pass.  The result depends only on the values and the chunk size, never on the thread
    count.
    """
    cdef Py_ssize_t n = values.shape[0], n_chunks = counts.shape[0], n_bins = counts.shape[1]
    cdef Py_ssize_t c, i, lo, hi, b, end8
    cdef double p0, p1, p2, p3, p4, p5, p6, p7
    cdef const float* vals
    cdef int64_t* cnt
    if n_chunks == 0:
        return
    with nogil, parallel(num_threads=n_threads):
        # Raw pointers as thread-private locals: a memoryview write inside the loop would
        # reload the view's data pointer after every store.
        vals = &values[0] if n > 0 else NULL
        for c in prange(n_chunks, schedule="static"):
            cnt = &counts[c, 0]
            for b in range(n_bins):
                cnt[b] = 0
            lo = c * chunk
            hi = lo + chunk
            if hi > n:
                hi = n
            p0 = p1 = p2 = p3 = p4 = p5 = p6 = p7 = 0.0
            end8 = lo + (hi - lo) // 8 * 8
            for i in range(lo, end8, 8):
                p0 = p0 + vals[i]
                p1 = p1 + vals[i + 1]
                p2 = p2 + vals[i + 2]
                p3 = p3 + vals[i + 3]
                p4 = p4 + vals[i + 4]
                p5 = p5 + vals[i + 5]
                p6 = p6 + vals[i + 6]
                p7 = p7 + vals[i + 7]
                cnt[unit_bin(vals[i], n_bins)] += 1
                cnt[unit_bin(vals[i + 1], n_bins)] += 1
                cnt[unit_bin(vals[i + 2], n_bins)] += 1
                cnt[unit_bin(vals[i + 3], n_bins)] += 1
                cnt[unit_bin(vals[i + 4], n_bins)] += 1
                cnt[unit_bin(vals[i + 5], n_bins)] += 1
                cnt[unit_bin(vals[i + 6], n_bins)] += 1
                cnt[unit_bin(vals[i + 7], n_bins)] += 1
            for i in range(end8, hi):
                if i - end8 == 0:
                    p0 = p0 + vals[i]
                elif i - end8 == 1:
                    p1 = p1 + vals[i]
                elif i - end8 == 2:
                    p2 = p2 + vals[i]
                elif i - end8 == 3:
                    p3 = p3 + vals[i]
                elif i - end8 == 4:
                    p4 = p4 + vals[i]
                elif i - end8 == 5:
                    p5 = p5 + vals[i]
                else:
                    p6 = p6 + vals[i]
                cnt[unit_bin(vals[i], n_bins)] += 1
            sums[c] = ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))


def tally_wave(
    const int64_t[::1] cust,            # IN  int64[k]
    const uint8_t[::1] segment,         # IN  uint8[N] segment code of each customer
    const uint8_t[::1] exposed,         # IN  uint8[k]
    const uint8_t[::1] clicked,         # IN  uint8[k]
    const int32_t[::1] bought,          # IN  int32[k] item bought, -1 when none
    const double[::1] revenue,          # IN  float64[k]
    const uint8_t[::1] persofail,       # IN  uint8[k] 1 + slot of the persofail, 0 when none
    const uint8_t[::1] creepy,          # IN  uint8[k]
    const uint8_t[::1] opted_out,       # IN  uint8[k]
    const uint8_t[:, ::1] basis,        # IN  uint8[k, S]
    const float[::1] rel,               # IN  float32[k]
    const float[:, ::1] score,          # IN  float32[k, S]
    int64_t[::1] counts,                # OUT int64[6]: exposed, clicks, orders, optouts, persofails, creepy
    int64_t[:, ::1] persofail_slot_basis,  # OUT int64[S, B] persofails by slot and that slot's basis
    int64_t[::1] creepy_basis,          # OUT int64[B] creepy touches by their most intrusive basis
    double[:, ::1] by_segment,          # OUT float64[5, G] revenue, orders, persofails, creepy, optouts
    double[::1] exposed_rel,            # OUT float64[k] rel of the exposed touches, in order
    double[::1] exposed_best,           # OUT float64[k] best slot score of the exposed touches, in order
):
    """A finished wave's counters in one pass over its k touches; returns 0, or 1 + the
    first touch whose persofail slot, data basis or segment is out of range.

    Every output is overwritten.  Per-segment values accumulate touch by touch in ascending
    order, as ``np.bincount`` does, so they equal its result to the last bit; the exposed
    touches' relevance and best score are copied out (the first ``counts[0]`` entries) for
    NumPy to sum, so those sums equal a masked NumPy sum too.
    """
    cdef Py_ssize_t k = cust.shape[0], n_slot = basis.shape[1], n_basis = creepy_basis.shape[0]
    cdef Py_ssize_t n_seg = by_segment.shape[1], n_cust = segment.shape[0]
    cdef Py_ssize_t t, s, q = 0, seg, bad = 0
    cdef int64_t n_click = 0, n_order = 0, n_opt = 0, n_fail = 0, n_creepy = 0
    cdef int b, top, slot
    cdef float best
    persofail_slot_basis[:, :] = 0
    creepy_basis[:] = 0
    by_segment[:, :] = 0.0
    with nogil:
        for t in range(k):
            n_click = n_click + (clicked[t] != 0)
            if exposed[t]:
                exposed_rel[q] = rel[t]
                best = score[t, 0]
                for s in range(1, n_slot):
                    best = score[t, s] if score[t, s] > best else best
                exposed_best[q] = best
                q = q + 1
            if bought[t] < 0 and not persofail[t] and not creepy[t] and not opted_out[t]:
                continue   # most touches: nothing to count by segment
            if cust[t] < 0 or cust[t] >= n_cust or segment[cust[t]] >= n_seg:
                bad = t + 1
                break
            seg = segment[cust[t]]
            if bought[t] >= 0:
                n_order = n_order + 1
                by_segment[0, seg] = by_segment[0, seg] + revenue[t]
                by_segment[1, seg] = by_segment[1, seg] + 1.0
            if persofail[t]:
                slot = persofail[t] - 1
                if slot >= n_slot or basis[t, slot] >= n_basis:
                    bad = t + 1
                    break
                n_fail = n_fail + 1
                persofail_slot_basis[slot, basis[t, slot]] += 1
                by_segment[2, seg] = by_segment[2, seg] + 1.0
            if creepy[t]:
                top = 0
                for s in range(n_slot):
                    b = basis[t, s]
                    top = b if b > top else top
                if top >= n_basis:
                    bad = t + 1
                    break
                n_creepy = n_creepy + 1
                creepy_basis[top] += 1
                by_segment[3, seg] = by_segment[3, seg] + 1.0
            if opted_out[t]:
                n_opt = n_opt + 1
                by_segment[4, seg] = by_segment[4, seg] + 1.0
    if bad:
        return bad
    counts[0] = q
    counts[1] = n_click
    counts[2] = n_order
    counts[3] = n_opt
    counts[4] = n_fail
    counts[5] = n_creepy
    return 0
