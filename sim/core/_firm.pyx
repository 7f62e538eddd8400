# The firm's side, compiled: slate selection and learning from what the firm observes.
#
# Design note.  These kernels take only arrays a real firm has: its own preference
# estimates (int8, 127 = 1.0), observation counts, the last viewed item, the purchase
# history (the firm saw those sales), the catalog and aggregate popularity.  They never take
# the customer's true taste, trust or privacy sensitivity; the signature is the guarantee.
#
# Slates are filled only for exposed touches (an unopened email's slate is never seen and
# changes nothing), into caller-provided rows: slate int32[k, S], basis uint8[k, S] (the
# data basis of each slot) and score float32[k, S] (the firm's model score of each slot).
# The output rows double as the working buffer of a top-S insertion, so kernels need no
# per-thread scratch memory.  Randomness is the firm's own stream (a wave key per strategy),
# separate from every customer stream.

cimport cython
from cython.parallel cimport parallel, prange
from libc.stdlib cimport free, malloc
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint64_t

from sim.core._common cimport BASIS_NONE, NO_DAY, UNIT_SQ, dot_i8
from sim.core._random cimport customer_base, draw_bits, draw_uniform, bounded_low


cdef enum:
    MASKED = -2147483647 - 1   # INT_MIN: below every real score (|score| <= 127 * 127 * D)


cdef inline bint in_row(const int32_t* row, Py_ssize_t upto, int32_t item) noexcept nogil:
    """True when ``item`` is among the first ``upto`` entries of a slate row."""
    cdef Py_ssize_t j
    for j in range(upto):
        if row[j] == item:
            return True
    return False


cdef inline uint64_t fill_popular(int32_t* row, uint8_t* row_basis, float* row_score,
                                  Py_ssize_t start, Py_ssize_t n_slot,
                                  const int32_t* popular, Py_ssize_t n_popular,
                                  uint64_t base, uint64_t j) noexcept nogil:
    """Fill slots start..n_slot-1 of one row with distinct items from the popular list.

    Draws j, j+1, ... (one per attempt); returns the next unused draw number.  Gives up on
    distinctness after 16 attempts per slot (only possible when the list is tiny).  Helpers
    take raw row pointers: passing memoryviews would touch a shared reference count on every
    call, which serializes threads.
    """
    cdef Py_ssize_t s, tries
    cdef int32_t item
    for s in range(start, n_slot):
        tries = 0
        while True:
            item = popular[bounded_low(draw_bits(base, j), <unsigned int>n_popular)]
            j = j + 1
            tries = tries + 1
            if not in_row(row, s, item) or tries >= 16:
                break
        row[s] = item
        row_basis[s] = BASIS_NONE
        row_score[s] = 0.0
    return j


def popular_slates(
    const int64_t[::1] cust,            # IN  int64[k]
    const uint8_t[::1] exposed,         # IN  uint8[k] rows left untouched where 0
    const int32_t[::1] popular,         # IN  int32[P] the current best sellers, P >= S
    int32_t[:, ::1] slate,              # OUT int32[k, S]
    uint8_t[:, ::1] basis,              # OUT uint8[k, S] all BASIS_NONE
    float[:, ::1] score,                # OUT float32[k, S] all 0
    uint64_t key, int n_threads,
):
    """Editorial slates: S distinct items drawn from the popular list, no personal data."""
    cdef Py_ssize_t k = cust.shape[0], n_slot = slate.shape[1], p = popular.shape[0], t
    for t in prange(k, nogil=True, num_threads=n_threads, schedule="static"):
        if not exposed[t]:
            continue
        fill_popular(&slate[t, 0], &basis[t, 0], &score[t, 0], 0, n_slot, &popular[0], p,
                     customer_base(key, cust[t]), 0)


def recommend_slates(
    const int64_t[::1] cust,            # IN  int64[k]
    const uint8_t[::1] exposed,         # IN  uint8[k] rows left untouched where 0
    const int8_t[:, ::1] est_pref,      # IN  int8[N, D] the firm's taste estimate (127 = 1)
    const uint16_t[::1] n_obs,          # IN  uint16[N] observations behind the estimate
    const int8_t[:, ::1] item_feat,     # IN  int8[M, D]
    const int32_t[::1] popular,         # IN  int32[P]
    int32_t[:, ::1] slate,              # OUT int32[k, S]
    uint8_t[:, ::1] basis,              # OUT uint8[k, S]
    float[:, ::1] score,                # OUT float32[k, S]
    int n_candidates, double exploration, int data_basis,
    uint64_t key, int n_threads,
):
    """Behavioural recommendations: the S best-scoring distinct items of n_candidates random ones.

    Score = est_pref . item_feat (an exact integer dot; reported as score / 127^2).  The
    slate is the S distinct items with the highest scores, best first; among equal scores the
    earlier candidate wins.  A customer with no observations gets an editorial slate (cold
    start).  Each chosen slot is then, with probability ``exploration``, swapped for a
    popular item (basis none).  Draws: j < n_candidates pick candidates; then per slot one
    uniform and one popular index; then popular fills.
    """
    cdef Py_ssize_t k = cust.shape[0], n_slot = slate.shape[1], d_dim = item_feat.shape[1]
    cdef Py_ssize_t m = item_feat.shape[0], p = popular.shape[0]
    cdef Py_ssize_t t, i, c, s, filled, best_c
    cdef int32_t item
    cdef int best_v, v
    cdef uint64_t base, j
    cdef int32_t* cand_item
    cdef int* cand_score
    with nogil, parallel(num_threads=n_threads):
        # Per-thread scratch.  Every candidate is scored first; the top S are then taken by S
        # argmax passes written as selects (no data-dependent branches to mispredict), each
        # pass masking every copy of the item it took.
        cand_item = <int32_t*>malloc(n_candidates * sizeof(int32_t))
        cand_score = <int*>malloc(n_candidates * sizeof(int))
        for t in prange(k, schedule="static"):
            if not exposed[t]:
                continue
            i = cust[t]
            base = customer_base(key, i)
            if n_obs[i] == 0:
                fill_popular(&slate[t, 0], &basis[t, 0], &score[t, 0], 0, n_slot, &popular[0], p, base, 0)
                continue
            for c in range(n_candidates):
                cand_item[c] = <int32_t>bounded_low(draw_bits(base, c), <unsigned int>m)
            for c in range(n_candidates):
                cand_score[c] = dot_i8(&est_pref[i, 0], &item_feat[cand_item[c], 0], d_dim)
            filled = 0
            for s in range(n_slot):
                best_v = MASKED
                best_c = -1
                for c in range(n_candidates):
                    v = cand_score[c]
                    best_c = c if v > best_v else best_c
                    best_v = v if v > best_v else best_v
                if best_c < 0:
                    break   # fewer distinct candidates than slots
                item = cand_item[best_c]
                slate[t, s] = item
                score[t, s] = <float>(best_v * (1.0 / UNIT_SQ))
                basis[t, s] = <uint8_t>data_basis
                filled = filled + 1
                for c in range(n_candidates):
                    cand_score[c] = MASKED if cand_item[c] == item else cand_score[c]
            j = <uint64_t>n_candidates
            if filled < n_slot:
                j = fill_popular(&slate[t, 0], &basis[t, 0], &score[t, 0], filled, n_slot, &popular[0], p,
                                 base, j)
            for s in range(n_slot):
                if draw_uniform(base, j) < exploration:
                    item = popular[bounded_low(draw_bits(base, j + 1), <unsigned int>p)]
                    if not in_row(&slate[t, 0], n_slot, item):
                        slate[t, s] = item
                        basis[t, s] = BASIS_NONE
                        score[t, s] = 0.0
                j = j + 2
        free(cand_item)
        free(cand_score)


def retarget_slates(
    const int64_t[::1] cust,            # IN  int64[k]
    const uint8_t[::1] exposed,         # IN  uint8[k] rows left untouched where 0
    const int32_t[::1] last_view_item,  # IN  int32[N] -1 when none
    const int16_t[::1] last_view_day,   # IN  int16[N]
    const int32_t[:, ::1] hist_item,    # IN  int32[N, H] purchases the firm recorded
    const int16_t[:, ::1] hist_day,     # IN  int16[N, H]
    const int32_t[::1] item_cat,        # IN  int32[M]
    const int32_t[::1] cat_start,       # IN  int32[C+1] CSR offsets into cat_items
    const int32_t[::1] cat_items,       # IN  int32[M] items grouped by category
    const int32_t[::1] popular,         # IN  int32[P]
    int32_t[:, ::1] slate,              # OUT int32[k, S]
    uint8_t[:, ::1] basis,              # OUT uint8[k, S]
    float[:, ::1] score,                # OUT float32[k, S]
    int day, int window, int data_basis,
    uint64_t key, int n_threads,
):
    """Naive retargeting: the last bought (else last viewed) item, then more of its category.

    The anchor is the latest purchase at most ``window`` days old, or else the last viewed
    item if that is at most ``window`` days old; nothing is suppressed, so a just-bought
    durable keeps coming back for the whole window.  Without an anchor the slate is editorial.  Draws: one per same-category slot
    attempt, then popular fills.
    """
    cdef Py_ssize_t k = cust.shape[0], n_slot = slate.shape[1], n_hist = hist_item.shape[1]
    cdef Py_ssize_t p = popular.shape[0]
    cdef Py_ssize_t t, i, h, s, tries, n_in_cat
    cdef int32_t anchor, item, cat
    cdef int anchor_day
    cdef uint64_t base, j
    for t in prange(k, nogil=True, num_threads=n_threads, schedule="static"):
        if not exposed[t]:
            continue
        i = cust[t]
        base = customer_base(key, i)
        # The latest purchase inside the window is the anchor; without one, the last view.
        anchor = -1
        anchor_day = NO_DAY
        for h in range(n_hist):
            if hist_day[i, h] != NO_DAY and hist_day[i, h] > anchor_day:
                anchor = hist_item[i, h]
                anchor_day = hist_day[i, h]
        if anchor < 0 or day - anchor_day > window:
            anchor = last_view_item[i]
            anchor_day = last_view_day[i]
        if anchor < 0 or anchor_day == NO_DAY or day - anchor_day > window:
            fill_popular(&slate[t, 0], &basis[t, 0], &score[t, 0], 0, n_slot, &popular[0], p, base, 0)
            continue
        slate[t, 0] = anchor
        basis[t, 0] = <uint8_t>data_basis
        score[t, 0] = 1.0
        cat = item_cat[anchor]
        n_in_cat = cat_start[cat + 1] - cat_start[cat]
        j = 0
        s = 1
        tries = 0
        while s < n_slot and tries < 4 * n_slot:
            item = cat_items[cat_start[cat] + bounded_low(draw_bits(base, j), <unsigned int>n_in_cat)]
            j = j + 1
            tries = tries + 1
            if in_row(&slate[t, 0], s, item):
                continue
            slate[t, s] = item
            basis[t, s] = <uint8_t>data_basis
            score[t, s] = 1.0
            s = s + 1
        if s < n_slot:
            fill_popular(&slate[t, 0], &basis[t, 0], &score[t, 0], s, n_slot, &popular[0], p, base, 64)


def observe(
    const int64_t[::1] cust,            # IN  int64[k]
    const int32_t[::1] viewed,          # IN  int32[k] item viewed while browsing, -1 none
    const int32_t[::1] clicked_item,    # IN  int32[k] slate item clicked, -1 none
    const int32_t[::1] bought,          # IN  int32[k] item bought, -1 none
    const int8_t[:, ::1] item_feat,     # IN  int8[M, D]
    int8_t[:, ::1] est_pref,            # IN/OUT int8[N, D]
    uint16_t[::1] n_obs,                # IN/OUT uint16[N]
    int32_t[::1] last_view_item,        # IN/OUT int32[N]
    int16_t[::1] last_view_day,         # IN/OUT int16[N]
    int day, double w_view, double w_click, double w_buy, int n_threads,
):
    """What the firm learns from a wave: views, clicks and purchases move its estimate.

    Each observed item moves the estimate toward the item's features:
    est <- est + w * (feat - est), with w = max(weight / (1 + n_obs), weight / 8), so early
    observations count fully and later ones still adapt; est is stored as round(127 * est).
    """
    cdef Py_ssize_t k = cust.shape[0], d_dim = item_feat.shape[1], t, i, d, e
    cdef int32_t item
    cdef double w, v, weight
    for t in prange(k, nogil=True, num_threads=n_threads, schedule="static"):
        i = cust[t]
        for e in range(3):
            if e == 0:
                item = viewed[t]
                weight = w_view
            elif e == 1:
                item = clicked_item[t]
                weight = w_click
            else:
                item = bought[t]
                weight = w_buy
            if item < 0:
                continue
            w = weight / (1.0 + n_obs[i])
            if w < weight / 8.0:
                w = weight / 8.0
            for d in range(d_dim):
                v = est_pref[i, d] * (1.0 / 127.0)
                v = v + w * (item_feat[item, d] * (1.0 / 127.0) - v)
                v = v * 127.0
                if v > 127.0:
                    v = 127.0
                elif v < -127.0:
                    v = -127.0
                # Round half away from zero, identically in the twin.
                if v >= 0:
                    est_pref[i, d] = <int8_t>(<int>(v + 0.5))
                else:
                    est_pref[i, d] = <int8_t>(-<int>(-v + 0.5))
            if n_obs[i] < 65535:
                n_obs[i] = n_obs[i] + 1
            if e < 2:
                last_view_item[i] = item
                last_view_day[i] = <int16_t>day
