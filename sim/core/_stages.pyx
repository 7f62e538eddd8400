# The customer stages, compiled.
#
# Design note.  A wave is a batch of k touches, one per customer in `cust` (unique indices
# into the population).  A phase is one loop over the batch (or, for the day, over every
# customer) that reads the population's arrays (struct of arrays, owned by Python) and the
# batch's per-touch arrays, and writes only the rows of its own customers, so touches are
# independent and the loop runs in parallel without locks.  The model itself is the
# equations of _model.pxd, each called with the run's parameters (a Params, packed once per
# run): this file is the loops around them, the order of the stages, the random draws and
# the shortcuts that decide a coin without exp().  Values pass between stages through the
# per-touch arrays' own types (float32 relevance, uint8 flags), so a phase run in parts
# (a stage mask, with a researcher's behavior between the parts) gives the same results as
# one call.  The NumPy twins (sim/core/twins/stages.py) follow the same order.
#
# Index checks: sim.core.kernels.call checks index arrays before a kernel runs, except the
# purchase history in browse and respond, which read it at every touch: they check each
# filled slot's item as they read the row (one compare on data already loaded, instead of a
# separate pass over the same rows), skip a bad one and return 1 + its customer, and the call
# fails.
#
# Randomness: every stage gets its own wave key; a customer's draws are
# draw_uniform(customer_base(key, customer), j) with j listed in each kernel's docstring.
#
# Arrays (N customers, M items, D features, H history slots, S slate slots, k touches):
#   cust      int64[k]      customer index of each touch
#   slate     int32[k, S]   items shown; basis uint8[k, S] the data basis of each slot
#   pref      int8[N, D]    the customer's true taste, 127 = 1.0 (hidden from the firm)
#   item_feat int8[M, D]    item features, 127 = 1.0; a match is pref . feat / 127^2
#   trust     float32[N]    in [0, 1]
#   fatigue   float32[C, N] a row of every customer's fatigue per channel (onsite, email,
#             push, ads): the population's (N, C) array in column order, so that a day's
#             decay sweeps only the rows of channels in use
#   hist_item int32[N, H], hist_day int16[N, H]  recent purchases (NO_DAY = empty slot)

from cython.parallel cimport parallel, prange
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memmove, memset

from sim.core._common cimport (
    NO_DAY, PREFETCH_AHEAD, OrderScratch, above_exp_bound, below_sigmoid, dot_i8, dots8, exposure_order,
    first_max_i32, give_order, prefetch_r, prefetch_w, sigmoid, take_order,
)
from sim.core._equations cimport Params
from sim.core._model cimport (
    ALL_RESPONSE_STAGES, NEVER_BOUGHT_AGE, STAGE_CHURN, STAGE_CREEP, STAGE_ENGAGE,
    STAGE_FATIGUE, STAGE_OPTOUT, STAGE_PERCEIVE, STAGE_RECOVERY, STAGE_TRUST, CustomerParams, LogLinear,
    ScaledLogistic, churn_hazard, click_logit, covert_multiplier, creep_probability, fatigue_after_contact,
    fatigue_after_day, feels_valued, is_persofail, is_replenishment_due, log_linear, open_fatigue_exponent,
    open_probability, open_trust_factor, optout_hazard, perceived_relevance, personal_look, purchase_logit,
    reminder_probability,
    relevance_memory_after_touch, scaled_logistic, slot_intrusion, taste_match, transparency_relief,
    trust_after_day, trust_after_touch, visit_probability,
)
from sim.core._random cimport (
    SIMD_AVX512, bits_to_uniform, bounded_low, customer_base, customer_draws, draw_bits, draw_uniform, get_simd,
    get_simd_widest, listed_draws, set_simd as set_simd_level, uniform_threshold,
)

# The next churn candidate (active, draw below the hazard bound) at or after position q of
# n, or n: few customers are candidates on a day, so with AVX-512 eight are ruled out per
# step, otherwise one at a time.
cdef extern from *:
    """
    #if SIM_X86_SIMD
    /* Which of the eight bytes at p are nonzero (an active flag per customer), as a mask. */
    SIM_TARGET_AVX512 static inline __mmask8 sim_nonzero8(const uint8_t* p) {
        return _mm512_test_epi64_mask(_mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i*)p)),
                                      _mm512_set1_epi64(0xFF));
    }
    #endif
    static inline ptrdiff_t sim_next_candidate_scalar(const uint64_t* bits, const uint8_t* active, ptrdiff_t q,
                                                      ptrdiff_t n, uint64_t below) {
        for (; q < n; q++)
            if (active[q] && (bits[q] >> 11) < below)
                return q;
        return n;
    }
    #if SIM_X86_SIMD
    SIM_TARGET_AVX512 static ptrdiff_t sim_next_candidate_avx512(const uint64_t* bits, const uint8_t* active,
                                                                 ptrdiff_t q, ptrdiff_t n, uint64_t below) {
        const __m512i vbelow = _mm512_set1_epi64((long long)below);
        for (; q + 8 <= n; q += 8) {
            __mmask8 on = sim_nonzero8(active + q);
            __m512i draw = _mm512_srli_epi64(_mm512_loadu_si512((const void*)(bits + q)), 11);
            __mmask8 hit = _mm512_mask_cmplt_epu64_mask(on, draw, vbelow);
            if (hit)
                return q + __builtin_ctz((unsigned)hit);
        }
        return sim_next_candidate_scalar(bits, active, q, n, below);
    }
    #endif
    static inline ptrdiff_t sim_next_candidate(const uint64_t* bits, const uint8_t* active, ptrdiff_t q, ptrdiff_t n,
                                               uint64_t below) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512) return sim_next_candidate_avx512(bits, active, q, n, below);
    #endif
        return sim_next_candidate_scalar(bits, active, q, n, below);
    }
    """
    Py_ssize_t next_churn_candidate "sim_next_candidate"(const uint64_t* bits, const uint8_t* active, Py_ssize_t q,
                                                         Py_ssize_t n, uint64_t below) noexcept nogil


cdef enum:
    DRAW_BLOCK = 512           # customers (touches) per block of the day kernels' (expose's) draws


# --------------------------------------------------------------------------- day hooks
#
# The day kernels run over every customer, DRAW_BLOCK customers at a time: a block's draws
# are hashed together (four at a time with AVX2), then its customers are decided.

cdef union FloatBits:
    float f
    uint32_t u


cdef inline void recover_block(
    Py_ssize_t lo, Py_ssize_t hi, const uint8_t* active, float* trust, const float* trust_base,
    float* fatigue, Py_ssize_t n, Py_ssize_t n_ch, const uint8_t* live, const CustomerParams* p,
) noexcept nogil:
    """Customers [lo, hi) spend a day without contact: an active customer's trust relaxes
    toward its baseline (trust_after_day), everyone's fatigue decays (fatigue_after_day).
    ``fatigue`` holds a row of ``n`` customers per channel; only the channels with
    ``live[c]`` are touched (the others hold nothing but zeros, which decay to zeros:
    skipping them spares the day's pass most of its memory traffic)."""
    cdef Py_ssize_t i, c
    cdef float* f
    cdef FloatBits t, relaxed
    cdef uint32_t keep
    for i in range(lo, hi):
        # Computed for everyone, then the inactive customers' old values put back with a bit
        # mask: the compiler vectorizes that, but neither a branch nor a select of floats.
        t.f = trust[i]
        relaxed.f = <float>trust_after_day(p, t.f, trust_base[i])
        keep = <uint32_t>0 - <uint32_t>(active[i] != 0)
        relaxed.u = (relaxed.u & keep) | (t.u & ~keep)
        trust[i] = relaxed.f
    for c in range(n_ch):
        if not live[c]:
            continue
        f = fatigue + c * n
        for i in range(lo, hi):
            f[i] = <float>fatigue_after_day(p, <int>c, f[i])


cdef inline Py_ssize_t churn_block(
    Py_ssize_t lo, Py_ssize_t hi, const uint64_t* bits, uint8_t* active, const float* trust,
    uint8_t* churned, uint8_t* consent, const CustomerParams* p, uint64_t below,
) noexcept nogil:
    """Churn among customers [lo, hi), ``bits[i - lo]`` being customer i's draw: a churner
    (draw below churn_hazard) gets ``active`` 0, ``churned`` 1 (everyone else's 0) and its
    consent bits 0.  ``below`` is uniform_threshold of the hazard's bound: a customer whose
    draw is not below it stays, decided without reading its trust.  Returns the number of
    churners."""
    cdef Py_ssize_t i, q, n_churned = 0
    cdef double u
    cdef ScaledLogistic h
    memset(&churned[lo], 0, hi - lo)
    q = next_churn_candidate(bits, &active[lo], 0, hi - lo, below)
    while q < hi - lo:
        i = lo + q
        u = bits_to_uniform(bits[q])
        h = churn_hazard(p, trust[i])
        # h < scale * exp(z): most candidates (trust well above the midpoint) stay, decided
        # without exp().
        if not above_exp_bound(u, h.scale, h.z) and u < scaled_logistic(h):
            active[i] = 0
            churned[i] = 1
            consent[i] = 0
            n_churned += 1
        q = next_churn_candidate(bits, &active[lo], q + 1, hi - lo, below)
    return n_churned


cdef inline Py_ssize_t count_active(Py_ssize_t lo, Py_ssize_t hi, const uint8_t* active) noexcept nogil:
    """The active customers among [lo, hi) (a loop the compiler vectorizes)."""
    cdef Py_ssize_t i, n = 0
    for i in range(lo, hi):
        n += active[i] != 0
    return n


def recover_and_churn(
    uint8_t[::1] active,                # IN/OUT uint8[N]; set to 0 on churn
    float[::1] trust,                   # IN/OUT float32[N]
    const float[::1] trust_base,        # IN  float32[N]
    float[:, ::1] fatigue,              # IN/OUT float32[C, N] a row per channel
    const uint8_t[::1] live,            # IN  uint8[C] 0: the channel's fatigue is all zero (left as is)
    uint8_t[::1] churned,               # OUT uint8[N] (with churn); 1 where the customer churned today
    uint8_t[::1] consent,               # IN/OUT uint8[N]; a churner's becomes 0
    Params params,
    int stages,                         # STAGE_RECOVERY | STAGE_CHURN: which of the two run
    uint64_t key, int n_threads,
):
    """The day's stages, in one pass over the customers: recovery (trust relaxes toward its
    baseline, fatigue decays), then churn (draw j = 0 below churn_hazard: the customer leaves,
    its consents end).  ``stages`` says which run (a behavior between them splits the day
    into two calls; the results are the same as one).

    Returns (customers who churned, customers active after the day's stages), counted in
    the same pass; the churned count is 0 without the churn stage.
    """
    cdef Py_ssize_t n = trust.shape[0], n_ch = fatigue.shape[0], blk, lo, hi
    cdef Py_ssize_t n_blocks = (n + DRAW_BLOCK - 1) // DRAW_BLOCK
    cdef uint64_t* bits = NULL
    cdef Py_ssize_t n_churned = 0, n_active = 0
    cdef const CustomerParams* p = &params.c
    cdef bint recover = (stages & STAGE_RECOVERY) != 0, churn = (stages & STAGE_CHURN) != 0
    # The hazard's bound does not depend on trust (churn_hazard's scale).
    cdef uint64_t below = uniform_threshold(churn_hazard(p, 0.5).scale)
    if n == 0:
        return 0, 0
    cdef uint8_t* act = &active[0]
    cdef float* tr = &trust[0]
    cdef const float* base = &trust_base[0]
    cdef float* fat = &fatigue[0, 0]
    cdef const uint8_t* lv = &live[0]
    cdef uint8_t* out = &churned[0]
    cdef uint8_t* cons = &consent[0]
    with nogil, parallel(num_threads=n_threads):
        bits = <uint64_t*>malloc(DRAW_BLOCK * sizeof(uint64_t))
        for blk in prange(n_blocks, schedule="static"):
            lo = blk * DRAW_BLOCK
            hi = lo + DRAW_BLOCK if lo + DRAW_BLOCK < n else n
            if recover:
                recover_block(lo, hi, act, tr, base, fat, n, n_ch, lv, p)
            if churn:
                customer_draws(key, lo, hi - lo, 0, bits)
                n_churned += churn_block(lo, hi, bits, act, tr, out, cons, p, below)
            n_active += count_active(lo, hi, act)
        free(bits)
    return n_churned, n_active


cdef inline Py_ssize_t block_visitors(const uint64_t* bits, const uint8_t* active, const float* trust,
                                      const float* visit_rate, Py_ssize_t lo, Py_ssize_t n,
                                      const CustomerParams* p, int64_t* out) noexcept nogil:
    """The visitors among customers lo .. lo + n - 1 (draw below visit_probability, active),
    compacted: their indices at out[0], out[1], ...; returns how many.  Past those, out holds
    scratch, never beyond its n slots.  Branch-free: whether a customer visits is a coin
    flip, which a branch would mispredict (every customer is written at the next free slot,
    which only a visitor keeps)."""
    cdef Py_ssize_t q, w = 0
    for q in range(n):
        out[w] = lo + q
        w += (active[q] != 0) & (bits_to_uniform(bits[q]) < visit_probability(p, visit_rate[q], trust[q]))
    return w


def select_visitors(
    const uint8_t[::1] active,          # IN  uint8[N]
    const float[::1] trust,             # IN  float32[N]
    const float[::1] visit_rate,        # IN  float32[N] visit probability per day at trust 0.5
    int64_t[::1] visitors,              # OUT int64[N]; the first (returned) count: today's visitors
    Params params,
    uint64_t key, int n_threads,
):
    """Organic visits today: an active customer visits when its draw j = 0 is below
    visit_probability.

    Returns the number of visitors k; ``visitors[:k]`` are their indices, ascending, and
    the entries after them are scratch.  Each thread compacts the visitors of one contiguous
    part of the customers to the start of that part of ``visitors``, then the parts are moved
    together in order, so the result is the same for any number of threads.
    """
    cdef Py_ssize_t n = trust.shape[0], blk, lo, hi, part, first, w, total
    cdef Py_ssize_t n_blocks = (n + DRAW_BLOCK - 1) // DRAW_BLOCK
    cdef Py_ssize_t n_parts = max(1, min(n_threads, n_blocks))
    cdef uint64_t* bits = NULL
    cdef Py_ssize_t* count = NULL
    cdef const CustomerParams* p = &params.c
    if n == 0:
        return 0
    cdef int64_t* out = &visitors[0]
    cdef const uint8_t* act = &active[0]
    cdef const float* tr = &trust[0]
    cdef const float* rate = &visit_rate[0]
    count = <Py_ssize_t*>malloc(n_parts * sizeof(Py_ssize_t))
    with nogil, parallel(num_threads=n_threads):
        bits = <uint64_t*>malloc(DRAW_BLOCK * sizeof(uint64_t))
        for part in prange(n_parts, schedule="static"):
            first = part * n_blocks // n_parts * DRAW_BLOCK
            w = first
            for blk in range(part * n_blocks // n_parts, (part + 1) * n_blocks // n_parts):
                lo = blk * DRAW_BLOCK
                hi = lo + DRAW_BLOCK if lo + DRAW_BLOCK < n else n
                customer_draws(key, lo, hi - lo, 0, bits)
                # w <= lo, so the part's writes stay inside the part.
                w = w + block_visitors(bits, &act[lo], &tr[lo], &rate[lo], lo, hi - lo, p, &out[w])
            count[part] = w - first
        free(bits)
    total = 0
    for part in range(n_parts):
        first = part * n_blocks // n_parts * DRAW_BLOCK
        memmove(&out[total], &out[first], count[part] * sizeof(int64_t))   # total <= first
        total += count[part]
    free(count)
    return total


def flag_valued(
    const uint8_t[::1] active,          # IN  uint8[N]
    const float[::1] rel_mean,          # IN  float32[N]
    const float[::1] trust,             # IN  float32[N]
    uint8_t[::1] valued,                # OUT uint8[N] feels_valued of each customer
    Params params, int n_threads,
):
    """Who feels valued (feels_valued); returns how many do."""
    cdef Py_ssize_t n = trust.shape[0], i, count = 0
    cdef const CustomerParams* p = &params.c
    for i in prange(n, nogil=True, num_threads=n_threads, schedule="static"):
        valued[i] = feels_valued(p, active[i] != 0, rel_mean[i], trust[i])
        count += valued[i]
    return count


include "_simd.pxi"


def _listed_draws(uint64_t key, const int64_t[::1] cust, uint64_t j,
                  uint64_t[::1] out):         # OUT uint64[k] draw_bits(customer_base(key, cust[q]), j)
    """The listed-customers draw helper on the current path, for the tests (it must equal the
    scalar draw_bits)."""
    if out.shape[0] != cust.shape[0]:
        raise ValueError("cust and out differ in length")
    listed_draws(key, &cust[0] if cust.shape[0] else NULL, cust.shape[0], j, &out[0] if out.shape[0] else NULL)


# --------------------------------------------------------------------------- wave stages

# browse's common case, a visitor's n_look = 8 random items with D = 8, in registers with
# AVX-512: the eight draws (one SplitMix64 hash per lane), bounded_low of each, the eight
# feature rows (one 64-bit lane each), the eight int8 dot products (int8 -> int16,
# multiply-add of pairs, a transposed sum) and the first best.  The result is one packed key,
#     dot * 2**35 + (7 - j) * 2**32 + item      (j: the draw number, item < 2**32)
# with |dot| <= 8 * 128 * 128 = 2**17, so keys order by the dot product first, then by the
# earlier draw: the largest key is the scalar loop's choice (the first maximum).  All of it is
# exact integer arithmetic, so the item and dot product are the scalar loop's on every path.
# browse calls this on the AVX-512 path only (the other paths run its scalar loop); the
# scalar code here keeps it complete.
cdef extern from *:
    """
    #define SIM_LOOK8_ITEM(key) ((int32_t)((uint64_t)(key) & 0xFFFFFFFFULL))
    #define SIM_LOOK8_DOT(key) ((int32_t)((key) >> 35))   /* >> is arithmetic with the compilers that build this */
    #if SIM_X86_SIMD
    /* The eight bytes at a, then the eight at b. */
    SIM_TARGET_AVX512 static inline __m128i sim_rows2(const int8_t* a, const int8_t* b) {
        return _mm_castpd_si128(_mm_loadh_pd(_mm_castsi128_pd(_mm_loadl_epi64((const __m128i*)a)), (const double*)b));
    }
    SIM_TARGET_AVX512 static int64_t sim_look8_avx512(uint64_t base, uint32_t bound, const int8_t* pref,
                                                      const int8_t* feat) {
        const __m512i p = _mm512_broadcast_i32x4(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)pref)));
        /* (7 - j) * 2**32 in the lane where the sums below leave draw j: 0, 4, 1, 5, 2, 6, 3, 7. */
        const __m512i tie = _mm512_setr_epi64(7LL << 32, 3LL << 32, 6LL << 32, 2LL << 32,
                                              5LL << 32, 1LL << 32, 4LL << 32, 0LL);
        const __m512i order = _mm512_setr_epi64(0, 4, 1, 5, 2, 6, 3, 7);
        __m512i item = _mm512_srli_epi64(_mm512_mul_epu32(sim_mix64x8(sim_run_start8(base, 0)),
                                                          _mm512_set1_epi64((long long)bound)), 32);
        /* The eight feature rows, two per 128-bit lane in draw order (eight loads: no slower
           than a gather of the eight, and faster on some CPUs). */
        int64_t row[8] __attribute__((aligned(64)));
        _mm512_store_si512((void*)row, item);
        __m128i f01 = sim_rows2(feat + 8 * row[0], feat + 8 * row[1]);
        __m128i f23 = sim_rows2(feat + 8 * row[2], feat + 8 * row[3]);
        __m128i f45 = sim_rows2(feat + 8 * row[4], feat + 8 * row[5]);
        __m128i f67 = sim_rows2(feat + 8 * row[6], feat + 8 * row[7]);
        __m512i f = _mm512_inserti64x4(_mm512_castsi256_si512(
                                           _mm256_inserti128_si256(_mm256_castsi128_si256(f01), f23, 1)),
                                       _mm256_inserti128_si256(_mm256_castsi128_si256(f45), f67, 1), 1);
        /* Each 128-bit lane L: draw L's four pair sums in a, draw L + 4's in b. */
        __m512i a = _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm512_castsi512_si256(f)), p);
        __m512i b = _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64(f, 1)), p);
        /* Summed to one dot product per 64-bit lane (in both halves): draw L's in lane 2L,
           draw L + 4's in lane 2L + 1.  Shifted left by 35, the low half gives dot * 2**35. */
        __m512i s = _mm512_add_epi32(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
        s = _mm512_add_epi32(s, _mm512_shuffle_epi32(s, _MM_PERM_CDAB));
        __m512i key = _mm512_or_si512(_mm512_slli_epi64(s, 35),
                                      _mm512_or_si512(tie, _mm512_permutexvar_epi64(order, item)));
        /* The largest key, in lane 0. */
        __m256i m4 = _mm256_max_epi64(_mm512_castsi512_si256(key), _mm512_extracti64x4_epi64(key, 1));
        __m128i m2 = _mm_max_epi64(_mm256_castsi256_si128(m4), _mm256_extracti128_si256(m4, 1));
        m2 = _mm_max_epi64(m2, _mm_unpackhi_epi64(m2, m2));
        return (int64_t)_mm_cvtsi128_si64(m2);
    }
    #endif
    static inline int64_t sim_look8(uint64_t base, uint32_t bound, const int8_t* pref, const int8_t* feat) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512) return sim_look8_avx512(base, bound, pref, feat);
    #endif
        int64_t best = INT64_MIN;
        for (uint64_t j = 0; j < 8; j++) {
            uint64_t low = sim_mix64(base + (j + 1) * SIM_GOLDEN) & 0xFFFFFFFFULL;
            uint32_t item = (uint32_t)((low * (uint64_t)bound) >> 32);
            int32_t dot = 0;
            for (int d = 0; d < 8; d++) dot += (int32_t)pref[d] * (int32_t)feat[8 * (size_t)item + d];
            int64_t key = (int64_t)dot * ((int64_t)1 << 35) + (int64_t)((7 - j) << 32) + (int64_t)item;
            best = key > best ? key : best;
        }
        return best;
    }
    """
    int64_t look8 "sim_look8"(uint64_t base, uint32_t bound, const int8_t* pref, const int8_t* feat) noexcept nogil
    int32_t look8_item "SIM_LOOK8_ITEM"(int64_t key) noexcept nogil
    int32_t look8_dot "SIM_LOOK8_DOT"(int64_t key) noexcept nogil


cdef inline void browse_touch(
    Py_ssize_t t, int64_t i, const int8_t* pr, Py_ssize_t d_dim, const int8_t* feat, Py_ssize_t m,
    const uint8_t* dur, const float* cyc, const int32_t* hi_item, const int16_t* hi_day, Py_ssize_t n_hist,
    int day, const CustomerParams* p, bint vector_look8,
    uint64_t key, int32_t* look, int32_t* look_dot, int32_t* out_item, float* out_rel, int64_t* bad,
) noexcept nogil:
    """Touch t's browsing (customer i): see browse.  ``look`` and ``look_dot`` are scratch of
    p.browse_items entries; ``bad`` receives 1 + i when i's history holds an item outside [0, m)."""
    cdef Py_ssize_t j, h, best_item
    cdef int n_look = p.browse_items
    cdef int due_day, hday
    cdef uint64_t base
    cdef int32_t hitem, best_dot, best_look
    cdef int64_t picked
    due_day = NO_DAY
    best_item = -1
    for h in range(n_hist):
        hday = hi_day[i * n_hist + h]
        if hday == NO_DAY:
            continue
        hitem = hi_item[i * n_hist + h]
        if <uint64_t>hitem >= <uint64_t>m:
            bad[0] = i + 1     # checked here, where the row is read (see the design note)
            continue
        # The most recent purchase that is due again.
        if hday > due_day and is_replenishment_due(p, dur[hitem] != 0, <double>(day - hday), cyc[hitem]):
            due_day = hday
            best_item = hitem
    if best_item >= 0:
        out_item[t] = <int32_t>best_item
        out_rel[t] = <float>perceived_relevance(
            p, taste_match(dot_i8(&pr[i * d_dim], &feat[best_item * d_dim], d_dim)), False, True)
        return
    base = customer_base(key, i)
    if vector_look8:
        picked = look8(base, <uint32_t>m, &pr[i * d_dim], feat)
        best_look = look8_item(picked)
        best_dot = look8_dot(picked)
    else:
        # The n_look items first, then their matches (with D = 8 four at a time).
        for j in range(n_look):
            look[j] = bounded_low(draw_bits(base, j), <unsigned int>m)
        if d_dim == 8:
            dots8(&pr[i * d_dim], feat, look, n_look, look_dot)
        else:
            for j in range(n_look):
                look_dot[j] = dot_i8(&pr[i * d_dim], &feat[look[j] * d_dim], d_dim)
        # The best match (the first, on ties) found on the integer dot products
        # (taste_match is increasing in them).
        j = first_max_i32(look_dot, n_look)
        best_look = look[j]
        best_dot = look_dot[j]
    out_item[t] = best_look
    out_rel[t] = <float>taste_match(best_dot)


def browse(
    const int64_t[::1] cust,            # IN  int64[k]
    const int8_t[:, ::1] pref,          # IN  int8[N, D]
    const int8_t[:, ::1] item_feat,     # IN  int8[M, D]
    const uint8_t[::1] item_durable,    # IN  uint8[M]
    const float[::1] item_cycle,        # IN  float32[M] repurchase cycle, days
    const int32_t[:, ::1] hist_item,    # IN  int32[N, H]
    const int16_t[:, ::1] hist_day,     # IN  int16[N, H]
    int32_t[::1] viewed,                # OUT int32[k] the item the customer looked at
    float[::1] viewed_rel,              # OUT float32[k] its relevance to the customer
    int day, Params params, uint64_t key, int n_threads,
):
    """A visitor's own search.

    A visitor with a consumable due again (is_replenishment_due; the most recent such
    purchase) comes for it: it views that item, with its perceived relevance as due.
    Otherwise, of browse_items random items it views the one it likes best (taste_match).
    Draws j = 0 .. browse_items - 1 (one item index each, low 32 bits), made only when
    nothing is due.

    Returns 0, or 1 + a customer whose purchase history holds an item outside [0, M) in a
    filled slot (that slot is then ignored).
    """
    cdef Py_ssize_t k = cust.shape[0], d_dim = pref.shape[1], m = item_feat.shape[0]
    cdef Py_ssize_t n_hist = hist_item.shape[1]
    cdef Py_ssize_t t, ia
    cdef const CustomerParams* p = &params.c
    cdef int n_look = p.browse_items
    cdef int32_t* look = NULL
    cdef int32_t* look_dot = NULL
    cdef int64_t bad_customer = 0
    cdef int64_t* bad = &bad_customer
    # Raw pointers, made inside the parallel block so that each thread holds them in its own
    # locals: a memoryview read inside the loop reloads the view's data pointer and stride
    # after every store (a store through a char pointer may alias them).
    cdef const int64_t* cu = NULL
    cdef const int8_t* pr = NULL
    cdef const int8_t* feat = NULL
    cdef const uint8_t* dur = NULL
    cdef const float* cyc = NULL
    cdef const int32_t* hi_item = NULL
    cdef const int16_t* hi_day = NULL
    cdef int32_t* out_item = NULL
    cdef float* out_rel = NULL
    # The default shape (D = 8, eight items) on the AVX-512 path: all of a visitor's looking in
    # registers (look8).
    cdef bint vector_look8 = d_dim == 8 and n_look == 8 and get_simd() == SIMD_AVX512
    if n_look < 1:
        raise ValueError(f"browse: browse_items is {n_look}, must be at least 1")
    with nogil, parallel(num_threads=n_threads):
        look = <int32_t*>malloc((n_look + 1) * sizeof(int32_t))
        look_dot = <int32_t*>malloc((n_look + 1) * sizeof(int32_t))
        cu = &cust[0] if k > 0 else NULL
        pr = &pref[0, 0]
        feat = &item_feat[0, 0]
        dur = &item_durable[0]
        cyc = &item_cycle[0]
        hi_item = &hist_item[0, 0]
        hi_day = &hist_day[0, 0]
        out_item = &viewed[0] if k > 0 else NULL
        out_rel = &viewed_rel[0] if k > 0 else NULL
        for t in prange(k, schedule="static"):
            # The purchase rows (read first) for a touch twice as far ahead as the taste row.
            if t + 2 * PREFETCH_AHEAD < k:
                ia = cu[t + 2 * PREFETCH_AHEAD]
                prefetch_r(&hi_day[ia * n_hist])
                prefetch_r(&hi_item[ia * n_hist])
            if t + PREFETCH_AHEAD < k:
                prefetch_r(&pr[cu[t + PREFETCH_AHEAD] * d_dim])
            browse_touch(t, cu[t], pr, d_dim, feat, m, dur, cyc, hi_item, hi_day, n_hist, day, p, vector_look8,
                         key, look, look_dot, out_item, out_rel, bad)
        free(look)
        free(look_dot)
    return bad_customer


cdef enum:
    # Trust bins of expose's bracket of the open probability (see there).
    EXPOSE_BINS = 1024


def expose(
    const int64_t[::1] cust,            # IN  int64[k]
    const float[::1] trust,             # IN  float32[N]
    const float[:, ::1] fatigue,        # IN  float32[C, N] a row per channel
    uint8_t[::1] exposed,               # OUT uint8[k]
    int channel, Params params, uint64_t key, int n_threads,
):
    """Is a sent message noticed (an email opened, a push read, an ad noticed)?  Draw j = 0
    below open_probability."""
    cdef Py_ssize_t k = cust.shape[0], t, i
    cdef const CustomerParams* p = &params.c
    cdef double tr, u, f, x
    # The shortcuts below rest on open_probability's form, open_trust_factor(trust) *
    # exp(-open_fatigue_exponent(fatigue)): a trust factor increasing in trust (elasticity
    # >= 0) and an exponent >= 0 (fatigue_k >= 0, fatigue >= 0).  Then p is at most the
    # factor at trust 1: a draw above that decides "not noticed" without the log and two
    # exp() (most touches: open rates are low).
    cdef bint monotone = p.open_trust_elasticity[channel] >= 0.0 and p.open_fatigue_k[channel] >= 0.0
    cdef double p_max = open_trust_factor(p, channel, 1.0) if monotone else 2.0
    # Below p_max, p is bracketed without log() and exp(): the trust factor lies between its
    # values at the edges of the trust's bin (of EXPOSE_BINS, tabled once per call), and the
    # fatigue factor exp(-x) between 1 - x and 1 / (1 + x).  A draw above the upper end is
    # "not noticed", below the lower end "noticed"; only the few in between (a band of about
    # x ** 2 of p) compute p.  The bounds are widened by a relative 1e-9, far more than the
    # rounding of log(), exp() and the products, so every decision is the one the computed p
    # gives.
    cdef double* t_lo = NULL
    cdef double* t_hi = NULL
    cdef int b
    cdef bint above, binned, no, yes
    cdef Py_ssize_t blk, lo, hi
    cdef Py_ssize_t n_blocks = (k + DRAW_BLOCK - 1) // DRAW_BLOCK
    # The usual "not noticed" (u >= p_max) decided on the integer draw, as in churn_block.
    cdef uint64_t below = uniform_threshold(p_max)
    cdef const int64_t* cu = NULL
    cdef const float* trs = NULL
    cdef const float* fat = NULL
    cdef uint8_t* out = NULL
    cdef uint64_t* bits = NULL
    if monotone and k > 0:
        t_lo = <double*>malloc((EXPOSE_BINS + 2) * sizeof(double))
        t_hi = <double*>malloc((EXPOSE_BINS + 2) * sizeof(double))
        if t_lo == NULL or t_hi == NULL:
            free(t_lo)
            free(t_hi)
            raise MemoryError()
        for b in range(EXPOSE_BINS + 2):
            # bin b holds trust in [b, b + 1) / EXPOSE_BINS (bin EXPOSE_BINS: trust 1 exactly)
            t_lo[b] = open_trust_factor(p, channel, <double>b / EXPOSE_BINS) * (1.0 - 1e-9) if b > 0 else 0.0
            t_hi[b] = open_trust_factor(p, channel, <double>(b + 1) / EXPOSE_BINS) * (1.0 + 1e-9)
    with nogil, parallel(num_threads=n_threads):
        # Raw pointers as thread-private locals (see browse).
        cu = &cust[0] if k > 0 else NULL
        out = &exposed[0] if k > 0 else NULL
        trs = &trust[0]
        fat = &fatigue[channel, 0]       # this channel's row
        bits = <uint64_t*>malloc(DRAW_BLOCK * sizeof(uint64_t))
        # Blocks of touches: a block's draws are hashed together, eight at a time where the
        # CPU can, then its touches decided one by one.
        for blk in prange(n_blocks, schedule="static"):
            lo = blk * DRAW_BLOCK
            hi = lo + DRAW_BLOCK if lo + DRAW_BLOCK < k else k
            listed_draws(key, &cu[lo], hi - lo, 0, bits)
            for t in range(lo, hi):
                i = cu[t]
                tr = trs[i]
                f = fat[i]
                u = bits_to_uniform(bits[t - lo])
                if t_lo != NULL:
                    # The shortcuts above, branch-free: whether a message is noticed is a coin
                    # flip at about the open rate, which branches on it mispredicted about once
                    # a touch.  Only the draws inside their bin's band take a branch (rarely).
                    # The upper bound is compared as u * (1 + x) >= hi rather than
                    # u >= hi / (1 + x): the same conclusion (u above p) within the bounds'
                    # margin, without a division.
                    above = ((bits[t - lo] >> 11) >= below) & (tr <= 1.0) & (f >= 0.0)
                    binned = (0.0 < tr) & (tr <= 1.0) & (0.0 <= f) & (f < 1e300)
                    b = <int>((tr if binned else 0.0) * EXPOSE_BINS)
                    x = open_fatigue_exponent(p, channel, f if binned else 0.0)
                    no = binned & (u * (1.0 + x) >= t_hi[b])
                    yes = binned & (u < t_lo[b] * (1.0 - x))
                    if above | no | yes:
                        out[t] = yes & (not above) & (not no)
                        continue
                elif (bits[t - lo] >> 11) >= below and tr <= 1.0 and f >= 0.0:
                    out[t] = 0
                    continue
                out[t] = u < open_probability(p, channel, tr, f)
        free(bits)
    free(t_lo)
    free(t_hi)


def return_visits(
    const int64_t[::1] cust,            # IN  int64[k] an ads wave's customers
    const uint8_t[::1] exposed,         # IN  uint8[k] the ad was noticed
    const uint8_t[::1] clicked,         # IN  uint8[k] the ad was clicked
    const float[::1] since_visit,       # IN  float32[k] days since the customer's last visit
    uint8_t[::1] returning,             # OUT uint8[k] 1: the customer comes to the site now
    Params params, uint64_t key, int n_threads,
):
    """Who an ads wave brings back to the site: everyone who clicked, and a noticed ad's
    customer when draw j = 0 is below reminder_probability of the days since its last visit.
    Returns how many come."""
    cdef Py_ssize_t k = cust.shape[0], t, count = 0
    cdef const CustomerParams* p = &params.c
    for t in prange(k, nogil=True, num_threads=n_threads, schedule="static"):
        returning[t] = (clicked[t] != 0) | ((exposed[t] != 0) & (
            draw_uniform(customer_base(key, cust[t]), 0) < reminder_probability(p, since_visit[t])))
        count += returning[t]
    return count


# --------------------------------------------------------------------------- the response

cdef OrderScratch kept_order = OrderScratch(NULL, 0)   # respond's exposure order, kept call to call


def respond(
    const int64_t[::1] cust,            # IN  int64[k]
    const uint8_t[::1] exposed,         # IN  uint8[k]
    const int32_t[:, ::1] slate,        # IN  int32[k, S]
    const uint8_t[:, ::1] basis,        # IN  uint8[k, S]
    int32_t[::1] viewed,                # IN  int32[k] browsed item, -1 when none (OUT with browse_visits)
    float[::1] viewed_rel,              # IN  float32[k] (OUT with browse_visits)
    const int8_t[:, ::1] pref,          # IN  int8[N, D]
    const int8_t[:, ::1] item_feat,     # IN  int8[M, D]
    const int32_t[::1] item_cat,        # IN  int32[M]
    const uint8_t[::1] item_durable,    # IN  uint8[M]
    const float[::1] item_cycle,        # IN  float32[M] repurchase cycle, days
    const float[::1] item_sensitivity,  # IN  float32[M] in [0, 1]
    const double[::1] price,            # IN  float64[M]
    const double[::1] log_price_ratio,  # IN  float64[M] log(price / reference price)
    const double[::1] margin,           # IN  float64[M] margin per unit sold
    const float[::1] privacy,           # IN  float32[N] in [0, 1]
    const float[::1] price_sensitivity,  # IN  float32[N]
    const float[::1] fatigue_sensitivity,  # IN  float32[N]
    float[::1] trust,                   # IN/OUT float32[N]
    float[::1] rel_mean,                # IN/OUT float32[N]
    float[:, ::1] fatigue,              # IN/OUT float32[C, N] a row per channel
    uint8_t[::1] consent,               # IN/OUT uint8[N]
    int32_t[:, ::1] hist_item,          # IN/OUT int32[N, H]
    int16_t[:, ::1] hist_day,           # IN/OUT int16[N, H]
    float[::1] rel,                     # OUT float32[k] (perceive; IN to later stages without it)
    int8_t[::1] best,                   # OUT int8[k] (perceive; IN likewise)
    uint8_t[::1] persofail,             # OUT uint8[k] (perceive; IN likewise)
    uint8_t[::1] creepy,                # OUT uint8[k] (creep; IN likewise)
    uint8_t[::1] clicked,               # OUT uint8[k] (engage)
    int32_t[::1] bought,                # OUT int32[k] (engage)
    double[::1] revenue,                # OUT float64[k] (engage)
    double[::1] margin_out,             # OUT float64[k] (engage)
    uint8_t[::1] opted_out,             # OUT uint8[k] (optout)
    int channel, int day,
    Params params,
    int stages,                         # which response stages run (STAGE_* bits, _model.pxd)
    bint covert, bint explained, bint control,   # the strategy's levers (creep)
    uint64_t creep_key, uint64_t engage_key, uint64_t optout_key,
    int n_threads,
    bint browse_visits=False, uint64_t browse_key=0,
    bint fatigue_live=True,
):
    """The response to a wave, one pass per touch through the stages in ``stages``, in order:

    * perceive: each slot's perceived relevance (taste_match, is_persofail,
      is_replenishment_due, perceived_relevance); the slate's relevance ``rel`` and ``best``
      slot are its best slot's (the first, on ties); ``persofail`` 1 + the first persofail
      slot, 0 if none;
    * creep: the touch feels creepy when draw j = 0 of ``creep_key`` is below
      creep_probability of its most intrusive slot (slot_intrusion);
    * engage: the best slot is clicked when draw j = 0 of ``engage_key`` is below
      sigmoid(click_logit), and bought when draw j = 1 is below sigmoid(purchase_logit); when
      the slate sold nothing, the browsed item (``viewed``) is bought when draw j = 2 is below
      sigmoid(purchase_logit, organic).  A purchase replaces the oldest slot of the purchase
      history and books ``price`` and ``margin``;
    * trust: trust_after_touch and relevance_memory_after_touch;
    * fatigue: fatigue_after_contact (every touch, noticed or not);
    * optout: the customer withdraws consent to the channel when draw j = 0 of ``optout_key``
      is below optout_hazard.
    Unnoticed touches (``exposed`` 0) get no relevance, no click and no opt-out, only the
    contact's fatigue.

    A stage not in ``stages`` leaves its outputs alone and the later stages read them from
    the per-touch arrays (a researcher's behavior placed between two stages runs between two
    calls): the results are bit for bit those of one call with every stage, whatever the
    split, since values pass between stages through the arrays' own types and every stage
    draws from its own key.  Customers are unique within a wave, so no touch sees another's
    writes.

    With ``browse_visits`` (a visits wave: every touch exposed), each touch first runs
    browse's body with ``browse_key``, writing ``viewed`` and ``viewed_rel``: the same
    results as browse before this call (browse reads nothing that the strategy's slates or
    an earlier touch of this call change), with the customer's taste and purchase rows read
    once for both.

    ``fatigue_live=False`` says that the channel's fatigue row holds zeros only (onsite,
    whose visits add no fatigue): the response then takes the fatigue as 0 without reading
    the row.  It needs the fatigue stage off.

    Returns 0, or 1 + a noticed customer whose purchase history holds an item outside
    [0, M) in a filled slot (that slot is then ignored).
    """
    cdef Py_ssize_t k = cust.shape[0], n_slot = slate.shape[1], d_dim = pref.shape[1]
    cdef Py_ssize_t n_hist = hist_item.shape[1]
    cdef Py_ssize_t t, i, j, h, item_j, best_j, n_valid, oldest, ia
    cdef double s, best_s, age, min_age, top, intrusion, tr, u, x, touch_look, fail_look, slot_look
    cdef int cat
    cdef uint8_t pf, cr
    cdef bint durable, fail, due
    cdef float rel_f
    cdef int32_t item
    cdef uint64_t base
    cdef LogLinear hz
    cdef const CustomerParams* p = &params.c
    cdef uint8_t bit = <uint8_t>(1 << channel)
    cdef bint do_perceive = (stages & STAGE_PERCEIVE) != 0
    cdef bint do_creep = (stages & STAGE_CREEP) != 0
    cdef bint do_engage = (stages & STAGE_ENGAGE) != 0
    cdef bint do_trust = (stages & STAGE_TRUST) != 0
    cdef bint do_fatigue = (stages & STAGE_FATIGUE) != 0
    cdef bint do_optout = (stages & STAGE_OPTOUT) != 0
    # The strategy's levers, the same for every touch of the wave.
    cdef double covert_mult = covert_multiplier(p, covert)
    cdef double relief = transparency_relief(p, explained, control)
    cdef float fat_i                  # the customer's fatigue on this channel (0 when not live)
    cdef int n_look = p.browse_items
    cdef int* h_cat = NULL
    cdef double* h_age = NULL
    cdef int32_t* slot_dot = NULL
    cdef Py_ssize_t m_items = item_cat.shape[0]
    cdef int64_t bad_customer = 0
    cdef int64_t* bad = &bad_customer
    cdef Py_ssize_t e, n_seen, n_unseen
    cdef Py_ssize_t* order = NULL
    cdef Py_ssize_t order_cap = 0
    if stages & ~ALL_RESPONSE_STAGES:
        raise ValueError(f"respond: stages is {stages}; allowed: a combination of the bits 1 .. 32 (0 .. 63)")
    if do_fatigue and not fatigue_live:
        raise ValueError("respond: fatigue_live is False (a row of zeros) but the fatigue stage runs, which adds "
                         "fatigue; allowed: fatigue_live False only without the fatigue stage")
    # The touches split by exposure, branch-free, each part in ascending order: the exposed
    # ones from the front of ``order``, the unexposed ones from the back (reversed).  Exposure
    # is a coin flip per touch (an email is opened or not), which a branch in one loop over
    # every touch mispredicted; apart, each loop is uniform and its prefetches look exactly
    # PREFETCH_AHEAD of its own touches ahead.  Touches are independent (unique customers),
    # so the results are those of one loop in touch order.  (exposure_order: on the run's
    # threads for a large wave.)
    order = take_order(&kept_order, k + 1, &order_cap)
    if order == NULL:
        raise MemoryError()
    # Raw pointers, made inside each parallel block so that every thread holds them in its own
    # locals (see browse): rows are indexed with the row lengths below.
    cdef const int64_t* cu = NULL
    cdef const int8_t* pr = NULL
    cdef const int8_t* feat = NULL
    cdef const int32_t* sl = NULL
    cdef const uint8_t* bas = NULL
    cdef const int32_t* icat = NULL
    cdef const uint8_t* idur = NULL
    cdef const float* icyc = NULL
    cdef const float* isens = NULL
    cdef const float* priv = NULL
    cdef const float* psens = NULL
    cdef const float* fsens = NULL
    cdef float* trs = NULL
    cdef float* rmean = NULL
    cdef float* fat = NULL
    cdef uint8_t* cons = NULL
    cdef int32_t* hitem = NULL
    cdef int16_t* hday = NULL
    cdef int16_t hd
    cdef int32_t hi
    cdef int32_t viewed_item
    cdef float* o_rel = NULL
    cdef int8_t* o_best = NULL
    cdef uint8_t* o_pf = NULL
    cdef uint8_t* o_creepy = NULL
    cdef uint8_t* o_clicked = NULL
    cdef int32_t* o_bought = NULL
    cdef double* o_rev = NULL
    cdef double* o_margin = NULL
    cdef uint8_t* o_opted = NULL
    cdef const int32_t* i_viewed = NULL
    cdef const float* i_vrel = NULL
    cdef int32_t* o_viewed = NULL
    cdef float* o_vrel = NULL
    cdef int32_t* look = NULL
    cdef int32_t* look_dot = NULL
    cdef bint vector_look8 = d_dim == 8 and n_look == 8 and get_simd() == SIMD_AVX512
    cdef const double* i_price = NULL
    cdef const double* i_lpr = NULL
    cdef const double* i_margin = NULL
    with nogil:
        n_seen = exposure_order(&exposed[0] if k > 0 else NULL, k, order, n_threads)
    if n_seen < 0:
        give_order(&kept_order, order, order_cap)
        raise MemoryError()
    n_unseen = k - n_seen
    if browse_visits and (n_unseen > 0 or n_look < 1):
        give_order(&kept_order, order, order_cap)
        raise ValueError(f"respond: browse_visits needs every touch exposed ({n_unseen} are not) and browse_items "
                         f">= 1 (it is {n_look})")
    with nogil, parallel(num_threads=n_threads):
        cu = &cust[0] if k > 0 else NULL
        fat = &fatigue[channel, 0]       # this channel's row
        fsens = &fatigue_sensitivity[0]
        # The unexposed touches: nothing seen, only the contact's fatigue.
        for e in prange(n_unseen, schedule="static"):
            t = order[k - 1 - e]
            if do_fatigue and e + PREFETCH_AHEAD < n_unseen:
                ia = cu[order[k - 1 - e - PREFETCH_AHEAD]]
                prefetch_w(&fat[ia])
                prefetch_r(&fsens[ia])
            i = cu[t]
            if do_perceive:
                rel[t] = 0.0
                best[t] = -1
                persofail[t] = 0
            if do_creep:
                creepy[t] = 0
            if do_engage:
                clicked[t] = 0
                bought[t] = -1
                revenue[t] = 0.0
                margin_out[t] = 0.0
            if do_fatigue:
                fat[i] = <float>fatigue_after_contact(p, channel, fat[i], fsens[i])
            if do_optout:
                opted_out[t] = 0
    with nogil, parallel(num_threads=n_threads):
        h_cat = <int*>malloc((n_hist + 1) * sizeof(int))
        h_age = <double*>malloc((n_hist + 1) * sizeof(double))
        slot_dot = <int32_t*>malloc((n_slot + 1) * sizeof(int32_t))
        if browse_visits:   # browsing scratch (free() of NULL does nothing)
            look = <int32_t*>malloc((n_look + 1) * sizeof(int32_t))
            look_dot = <int32_t*>malloc((n_look + 1) * sizeof(int32_t))
        cu = &cust[0] if k > 0 else NULL
        sl = &slate[0, 0] if k > 0 else NULL
        bas = &basis[0, 0] if k > 0 else NULL
        pr = &pref[0, 0]
        feat = &item_feat[0, 0]
        icat = &item_cat[0]
        idur = &item_durable[0]
        icyc = &item_cycle[0]
        isens = &item_sensitivity[0]
        priv = &privacy[0]
        psens = &price_sensitivity[0]
        fsens = &fatigue_sensitivity[0]
        trs = &trust[0]
        rmean = &rel_mean[0]
        fat = &fatigue[channel, 0]       # this channel's row
        cons = &consent[0]
        hitem = &hist_item[0, 0]
        hday = &hist_day[0, 0]
        o_rel = &rel[0] if k > 0 else NULL
        o_best = &best[0] if k > 0 else NULL
        o_pf = &persofail[0] if k > 0 else NULL
        o_creepy = &creepy[0] if k > 0 else NULL
        o_clicked = &clicked[0] if k > 0 else NULL
        o_bought = &bought[0] if k > 0 else NULL
        o_rev = &revenue[0] if k > 0 else NULL
        o_margin = &margin_out[0] if k > 0 else NULL
        o_opted = &opted_out[0] if k > 0 else NULL
        o_viewed = &viewed[0] if k > 0 else NULL
        o_vrel = &viewed_rel[0] if k > 0 else NULL
        i_viewed = o_viewed
        i_vrel = o_vrel
        i_price = &price[0]
        i_lpr = &log_price_ratio[0]
        i_margin = &margin[0]
        for e in prange(n_seen, schedule="static"):
            t = order[e]
            # The rows asked for in three batches, each for a different touch ahead: the rows
            # no earlier stage of the wave read (fatigue, trust, traits) farthest, the
            # purchase rows nearer, the taste row nearest.  Issued as one batch of ten for
            # one touch, the last ones arrived late (the fatigue row's load held up a third
            # of an onsite respond); spread out, an onsite respond takes about a quarter less.
            if e + 2 * PREFETCH_AHEAD < n_seen:
                ia = cu[order[e + 2 * PREFETCH_AHEAD]]
                if fatigue_live:
                    prefetch_w(&fat[ia])
                prefetch_w(&trs[ia])
                prefetch_r(&priv[ia])
                prefetch_r(&psens[ia])
                prefetch_w(&rmean[ia])
                if do_optout:
                    prefetch_w(&cons[ia])
                if do_fatigue:
                    prefetch_r(&fsens[ia])
            if e + PREFETCH_AHEAD + PREFETCH_AHEAD // 2 < n_seen:
                ia = cu[order[e + PREFETCH_AHEAD + PREFETCH_AHEAD // 2]]
                prefetch_w(&hday[ia * n_hist])
                prefetch_w(&hitem[ia * n_hist])
            if e + PREFETCH_AHEAD < n_seen:
                prefetch_r(&pr[cu[order[e + PREFETCH_AHEAD]] * d_dim])
            i = cu[t]

            # browse (a visit) ---------------------------------------------------------
            if browse_visits:
                browse_touch(t, i, pr, d_dim, feat, m_items, idur, icyc, hitem, hday, n_hist, day, p, vector_look8,
                             browse_key, look, look_dot, o_viewed, o_vrel, bad)

            # perceive ---------------------------------------------------------------
            oldest = -1   # the purchase history's oldest slot, found by the scan below
            if do_perceive:
                # One scan of the history: the valid purchases (category, age) for perceive
                # and the oldest slot (first minimum of hist_day) for a purchase in engage.
                n_valid = 0
                oldest = 0
                for h in range(n_hist):
                    hd = hday[i * n_hist + h]
                    hi = hitem[i * n_hist + h]
                    if hd != NO_DAY and <uint64_t>hi >= <uint64_t>m_items:
                        bad[0] = i + 1     # checked here, where the row is read (see the design note)
                    elif hd != NO_DAY:
                        h_cat[n_valid] = icat[hi]
                        h_age[n_valid] = <double>(day - hd)
                        n_valid = n_valid + 1
                    if h > 0 and hd < hday[i * n_hist + oldest]:
                        oldest = h
                best_s = -1e300
                best_j = 0
                pf = 0
                if d_dim == 8:
                    dots8(&pr[i * d_dim], feat, &sl[t * n_slot], n_slot, slot_dot)   # all slots at once
                else:
                    for j in range(n_slot):
                        slot_dot[j] = dot_i8(&pr[i * d_dim], &feat[sl[t * n_slot + j] * d_dim], d_dim)
                if n_valid == 0 and n_slot > 0:
                    # Nothing bought on record (most customers): no slot is a persofail or due
                    # again, so the best slot is the first best match, found on the integer dot
                    # products (taste_match keeps their order and ties), without the slots'
                    # catalogue lookups below.
                    best_j = first_max_i32(slot_dot, n_slot)
                    best_s = taste_match(slot_dot[best_j])
                for j in range(0 if n_valid == 0 else n_slot):
                    item_j = sl[t * n_slot + j]
                    cat = icat[item_j]
                    # The latest purchase in the slot's category, if any.
                    min_age = NEVER_BOUGHT_AGE
                    for h in range(n_valid):
                        age = h_age[h]
                        min_age = age if (h_cat[h] == cat and age < min_age) else min_age
                    durable = idur[item_j] != 0
                    fail = is_persofail(p, durable, min_age)
                    due = is_replenishment_due(p, durable, min_age, icyc[item_j])
                    s = perceived_relevance(p, taste_match(slot_dot[j]), fail, due)
                    # Selects, not branches: whether a slot's category was bought, and when,
                    # varies from slot to slot.
                    pf = <uint8_t>(j + 1) if (fail and pf == 0) else pf
                    best_j = j if s > best_s else best_j
                    best_s = s if s > best_s else best_s
                rel_f = <float>best_s
                o_rel[t] = rel_f
                o_best[t] = <int8_t>best_j
                o_pf[t] = pf
            else:
                rel_f = o_rel[t]
                best_j = o_best[t]
                pf = o_pf[t]

            # creep ------------------------------------------------------------------
            if do_creep:
                top = 0.0
                for j in range(n_slot):
                    intrusion = slot_intrusion(p, bas[t * n_slot + j], isens[sl[t * n_slot + j]])
                    top = intrusion if intrusion > top else top
                cr = draw_uniform(customer_base(creep_key, i), 0) < creep_probability(
                    p, channel, top, priv[i], covert_mult, relief)
                o_creepy[t] = cr
            else:
                cr = o_creepy[t]

            fat_i = fat[i] if fatigue_live else 0.0
            # How personal the touch looks (its most personal slot), and its persofail slot.
            touch_look = 0.0
            fail_look = 0.0
            if do_engage or do_trust:
                for j in range(n_slot):
                    slot_look = personal_look(p, bas[t * n_slot + j])
                    touch_look = slot_look if slot_look > touch_look else touch_look
                if 0 < pf <= n_slot:
                    fail_look = personal_look(p, bas[t * n_slot + pf - 1])

            # engage -----------------------------------------------------------------
            if do_engage:
                o_clicked[t] = 0
                base = customer_base(engage_key, i)
                tr = trs[i]
                item = -1
                if best_j >= 0:     # always, after perceive
                    x = click_logit(p, channel, rel_f, tr, fat_i, cr != 0, touch_look, control, explained)
                    if below_sigmoid(draw_uniform(base, 0), x):
                        o_clicked[t] = 1
                        item = sl[t * n_slot + best_j]
                        if not below_sigmoid(draw_uniform(base, 1),
                                             purchase_logit(p, False, rel_f, tr, psens[i], i_lpr[item])):
                            item = -1
                viewed_item = i_viewed[t]
                if item < 0 and viewed_item >= 0:
                    if below_sigmoid(draw_uniform(base, 2),
                                     purchase_logit(p, True, i_vrel[t], tr, psens[i], i_lpr[viewed_item])):
                        item = viewed_item
                if item >= 0:
                    if oldest < 0:
                        # Without the perceive stage in this call: the first minimum of hist_day.
                        oldest = 0
                        for h in range(1, n_hist):
                            if hday[i * n_hist + h] < hday[i * n_hist + oldest]:
                                oldest = h
                    o_bought[t] = item
                    o_rev[t] = i_price[item]
                    o_margin[t] = i_margin[item]
                    hitem[i * n_hist + oldest] = item
                    hday[i * n_hist + oldest] = <int16_t>day
                else:
                    o_bought[t] = -1
                    o_rev[t] = 0.0
                    o_margin[t] = 0.0

            # trust ------------------------------------------------------------------
            if do_trust:
                trs[i] = <float>trust_after_touch(p, trs[i], rel_f, pf != 0, cr != 0, priv[i], fail_look, touch_look,
                                                  control)
                rmean[i] = <float>relevance_memory_after_touch(p, rmean[i], rel_f)

            # fatigue ----------------------------------------------------------------
            if do_fatigue:
                fat_i = <float>fatigue_after_contact(p, channel, fat_i, fsens[i])
                fat[i] = fat_i

            # opt-out ----------------------------------------------------------------
            if do_optout:
                o_opted[t] = 0
                hz = optout_hazard(p, channel, fat_i, trs[i], cr != 0, rel_f)
                u = draw_uniform(customer_base(optout_key, i), 0)
                # Hazards are small: most noticed touches keep the consent, decided without
                # exp().
                if not above_exp_bound(u, hz.factor * hz.base, hz.exponent) and u < log_linear(hz):
                    o_opted[t] = 1
                    cons[i] = cons[i] & (~bit)
        free(h_cat)
        free(h_age)
        free(slot_dot)
        free(look)
        free(look_dot)
    give_order(&kept_order, order, order_cap)
    return bad_customer


def _exposure_order(
    const uint8_t[::1] exposed,         # IN  uint8[k]
    Py_ssize_t[::1] order,              # OUT intp[k + 1] (see exposure_order)
    int n_threads,
):
    """exposure_order, for the tests: returns the exposed count."""
    if order.shape[0] != exposed.shape[0] + 1:
        raise ValueError("order must hold k + 1 entries")
    return exposure_order(&exposed[0] if exposed.shape[0] > 0 else NULL, exposed.shape[0], &order[0], n_threads)


def _above_exp_bound(
    const double[::1] u,                # IN  float64[n]
    const double[::1] scale,            # IN  float64[n] >= 0
    const double[::1] x,                # IN  float64[n]
    uint8_t[::1] out,                   # OUT uint8[n] above_exp_bound(u, scale, x)
):
    """The exp()-free bound of the hazard coins, element by element, for the tests."""
    cdef Py_ssize_t n = u.shape[0], t
    for t in range(n):
        out[t] = above_exp_bound(u[t], scale[t], x[t])


def _below_sigmoid(
    const double[::1] u,                # IN  float64[n]
    const double[::1] x,                # IN  float64[n]
    uint8_t[::1] fast,                  # OUT uint8[n] below_sigmoid(u, x)
    uint8_t[::1] exact,                 # OUT uint8[n] u < sigmoid(x)
):
    """Both ways of deciding a logistic coin, for the tests (they must always agree)."""
    cdef Py_ssize_t n = u.shape[0], t
    for t in range(n):
        fast[t] = below_sigmoid(u[t], x[t])
        exact[t] = u[t] < sigmoid(x[t])
