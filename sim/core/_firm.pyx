# The firm's side, compiled: slate selection and learning from what the firm observes.
#
# Design note.  These kernels take only arrays a real firm has: its own preference
# estimates (int8, 127 = 1.0), observation counts, the last viewed item, the purchase
# history (the firm saw those sales), the catalog and aggregate popularity.  They never take
# the customer's true taste, trust or privacy sensitivity; the signature is the guarantee.
#
# One kernel fills every strategy's slates: a strategy is a list of slot *sources* (where
# each slot's item comes from: editorial, popular, stated, behavioural, retarget,
# replenish, inferred, offsite) plus levers (suppression window, exploration, ...).  Slates
# are filled only for exposed touches (an unopened email's slate is never seen and changes
# nothing), into caller-provided rows: slate int32[k, S], basis uint8[k, S] (the data basis
# of each slot) and score float32[k, S] (the firm's model score of each shown item).
# Randomness is the firm's own stream (a wave key per strategy), separate from every
# customer stream; draws are numbered sequentially per touch as the procedure uses them,
# and the NumPy twin (sim/core/twins/firm.py) follows the same procedure.
#
# Where the CPU has AVX2 or AVX-512 (decided when the module loads), the candidate steps of
# fill_slates run on vector C helpers: the candidates' draws, dot products and keys, and the
# choice of behavioural slots.  They compute the same integers in a different order of
# work, so slates, bases and scores are identical on every path; set_simd picks a path
# (the tests run each one the CPU has).  On the AVX-512 path observe's D = 8 update is one
# vector of eight doubles (the same operations as SSE2's pairs, so the same estimates).

from cython.parallel cimport parallel, prange, threadid
from libc.math cimport fabs
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memset
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t

from sim.core._common cimport (
    BASIS_INFERRED, BASIS_NONE, BASIS_OFFSITE, BASIS_ONSITE, BASIS_STATED, NO_DAY, PREFETCH_AHEAD, UNIT_SQ,
    OrderScratch, dot_i8, dots8, exposure_order, give_order, prefetch_r, prefetch_w, take_order,
)
from sim.core._random cimport (
    SIMD_AVX512, SIMD_SCALAR, bounded_low, customer_base, customer_draws, draw_below_run, draw_bits,
    draw_run, draw_uniform, get_simd, get_simd_widest, set_simd as set_simd_level, uniform_threshold,
)


# Candidate keys (see below), shared with the C helpers; and one D = 8 dot product with SSE2
# (x86-64 has it everywhere): the shown items' scores that no candidate key carries
# (fallbacks, exploration) cost a few instructions instead of sixteen byte loads.
cdef extern from *:
    """
    #include <stdint.h>
    #define SIM_MASKED INT32_MIN        /* below every real score or key */
    #define SIM_KEY_ABOVE INT32_MAX     /* above every key */
    #define SIM_KEY_BITS 12
    #define SIM_KEY_SPAN 4096
    #if defined(__SSE2__)
    #include <emmintrin.h>
    #endif
    static inline int32_t sim_dot8(const int8_t* a, const int8_t* b) {
    #if defined(__SSE2__)
        __m128i x = _mm_loadl_epi64((const __m128i*)a), y = _mm_loadl_epi64((const __m128i*)b);
        __m128i p = _mm_madd_epi16(_mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8),
                                   _mm_srai_epi16(_mm_unpacklo_epi8(y, y), 8));
        p = _mm_add_epi32(p, _mm_shuffle_epi32(p, _MM_SHUFFLE(1, 0, 3, 2)));
        return _mm_cvtsi128_si32(_mm_add_epi32(p, _mm_shuffle_epi32(p, _MM_SHUFFLE(2, 3, 0, 1))));
    #else
        int32_t s = 0;
        for (int d = 0; d < 8; d++) s += (int32_t)a[d] * (int32_t)b[d];
        return s;
    #endif
    }
    """
    enum:
        MASKED "SIM_MASKED"    # INT_MIN: below every real score (|score| <= 127 * 127 * D)
        KEY_ABOVE "SIM_KEY_ABOVE"
        KEY_BITS "SIM_KEY_BITS"
        KEY_SPAN "SIM_KEY_SPAN"
    int32_t dot8 "sim_dot8"(const int8_t* a, const int8_t* b) noexcept nogil


cdef inline int item_dot(const int8_t* pref, const int8_t* feat, Py_ssize_t d_dim) noexcept nogil:
    """The firm's int8 dot product of a taste row and an item row (exact integer sums)."""
    if d_dim == 8:
        return dot8(pref, feat)
    return dot_i8(pref, feat, d_dim)


cdef inline bint in_row(const int32_t* row, Py_ssize_t upto, int32_t item) noexcept nogil:
    """True when ``item`` is among the first ``upto`` entries of a slate row."""
    cdef Py_ssize_t j
    for j in range(upto):
        if row[j] == item:
            return True
    return False


cdef enum:
    TOUCH_BLOCK = 64           # exposed touches per block of fill_slates' parallel loop
    OBSERVE_BLOCK = 4096       # touches per block of observe's parallel loop


cdef enum Source:
    # Mirrored by sim.codes.SOURCES.
    SRC_EDITORIAL = 0
    SRC_POPULAR = 1
    SRC_STATED = 2
    SRC_BEHAVIOURAL = 3
    SRC_RETARGET = 4
    SRC_REPLENISH = 5
    SRC_INFERRED = 6
    SRC_OFFSITE = 7

cdef enum:
    NO_CAT = 255               # stated / inferred / offsite category: none known
    PICK_TRIES = 16            # draws before a list pick gives up on distinctness
    CAT_TRIES = 4              # draws before a category pick gives up


cdef inline void zero_rows(int32_t* slate, uint8_t* basis, float* score, Py_ssize_t n_slot, Py_ssize_t lo,
                           Py_ssize_t hi) noexcept nogil:
    """Zero rows lo to hi - 1 of the (k, n_slot) slate, basis and score (nothing if hi <= lo)."""
    if hi > lo and n_slot > 0:
        memset(slate + lo * n_slot, 0, (hi - lo) * n_slot * sizeof(int32_t))
        memset(basis + lo * n_slot, 0, (hi - lo) * n_slot * sizeof(uint8_t))
        memset(score + lo * n_slot, 0, (hi - lo) * n_slot * sizeof(float))


cdef inline bint suppressed(int cat, const int* sup, int n_sup) noexcept nogil:
    cdef int h
    for h in range(n_sup):
        if sup[h] == cat:
            return True
    return False


cdef inline int32_t pick_from_list(const int32_t* items, Py_ssize_t n_items, const int32_t* row,
                                   Py_ssize_t filled, const int32_t* item_cat, const int* sup,
                                   int n_sup, uint64_t base, uint64_t* j) noexcept nogil:
    """A random item of a list, not yet in the row and not of a suppressed category.

    One draw per attempt; after PICK_TRIES attempts the last drawn item is taken anyway.
    """
    cdef int _attempt
    cdef int32_t item = items[0]
    for _attempt in range(PICK_TRIES):
        item = items[bounded_low(draw_bits(base, j[0]), <unsigned int>n_items)]
        j[0] = j[0] + 1
        if not in_row(row, filled, item) and not suppressed(item_cat[item], sup, n_sup):
            return item
    return item


cdef inline int32_t pick_in_category(int cat, const int32_t* cat_start, const int32_t* cat_items,
                                     const int32_t* row, Py_ssize_t filled, uint64_t base,
                                     uint64_t* j) noexcept nogil:
    """A random item of category ``cat`` not yet in the row, or -1 after CAT_TRIES draws."""
    cdef int _attempt
    cdef int32_t item
    cdef int32_t lo = cat_start[cat], n = cat_start[cat + 1] - cat_start[cat]
    for _attempt in range(CAT_TRIES):
        item = cat_items[lo + bounded_low(draw_bits(base, j[0]), <unsigned int>n)]
        j[0] = j[0] + 1
        if not in_row(row, filled, item):
            return item
    return -1


cdef inline int32_t take_best(const int32_t* cand_item, int32_t* cand_score, Py_ssize_t n_cand,
                              const int32_t* row, Py_ssize_t filled) noexcept nogil:
    """The best remaining candidate not in the row (ties: the earlier one), or -1.

    An argmax pass written as selects; the taken item's copies are then masked.
    """
    cdef Py_ssize_t c, best_c
    cdef int32_t best_v, v
    cdef int32_t item
    while True:
        best_v = MASKED
        best_c = -1
        for c in range(n_cand):
            v = cand_score[c]
            best_c = c if v > best_v else best_c
            best_v = v if v > best_v else best_v
        if best_c < 0:
            return -1
        item = cand_item[best_c]
        for c in range(n_cand):
            cand_score[c] = MASKED if cand_item[c] == item else cand_score[c]
        if not in_row(row, filled, item):
            return item


# Candidate selection on packed keys.  A candidate's key is score * KEY_SPAN + (KEY_SPAN-1 - c):
# keys are distinct, and a larger key is a higher score or, at an equal score, an earlier
# candidate, so the best remaining candidate (ties: the earlier one) is the largest key.  One
# int32 max pass then finds it and one compare-and-select pass masks the taken item's copies;
# both are plain loops the compiler vectorizes (SSE2: no packed int32 max, so a compare and a
# select per step).  Exact: the same integer scores, the same order.  Used when every key fits
# in an int32 (|score| <= 128 * 128 * D, so D <= KEY_MAX_DIM) and there are at most KEY_SPAN
# candidates; otherwise take_best above.  The wider paths are C helpers further down.
cdef enum:
    KEY_MAX_DIM = 31

cdef inline void candidate_keys8(const int8_t* pref, const int8_t* feat, const int32_t* cand,
                                 Py_ssize_t n, int32_t* key) noexcept nogil:
    """key[c] = (pref . feat[cand[c]]) * KEY_SPAN + (KEY_SPAN-1 - c) for c < n, with D = 8 int8 features.

    The dots four at a time (``dots8``, exact integer sums), then the packing, a loop the
    compiler vectorizes.
    """
    cdef Py_ssize_t c
    dots8(pref, feat, cand, n, key)
    for c in range(n):
        key[c] = key[c] * KEY_SPAN + <int32_t>(KEY_SPAN - 1 - c)


cdef inline int32_t take_best_key(const int32_t* cand_item, int32_t* key, Py_ssize_t n_cand,
                                  const int32_t* row, Py_ssize_t filled, int* raw_score) noexcept nogil:
    """take_best on packed keys: the same item; ``raw_score`` gets its int8 dot product."""
    cdef Py_ssize_t c
    cdef int32_t best_k, kc, item
    while True:
        best_k = MASKED
        for c in range(n_cand):
            kc = key[c]
            best_k = kc if kc > best_k else best_k
        if best_k == MASKED:
            return -1
        item = cand_item[KEY_SPAN - 1 - (best_k & (KEY_SPAN - 1))]
        for c in range(n_cand):
            key[c] = MASKED if cand_item[c] == item else key[c]
        if not in_row(row, filled, item):
            raw_score[0] = best_k >> KEY_BITS   # floor division: exact for negative scores too
            return item


# The candidate steps on AVX2 or AVX-512, where the CPU has them (sim_simd, chosen when the
# module loads; see _random.pxd and set_simd).  The x86-64 baseline this package is compiled
# for is SSE2, which has no packed int32 max, no int8 -> int16 widening and no gather (nor
# a packed 64-bit multiply, which only AVX-512 has).  Same integer arithmetic and the same
# order of choice, so the same items and scores on every path:
#   * candidates8: a touch's candidates in one pass for D = 8: their draws (eight or four
#     SplitMix64 hashes per instruction, bounded_low of each), the dot products (the
#     candidates' feature rows gathered, or on AVX-512 loaded one by one, int8 -> int16,
#     multiply-add of pairs, a transposed sum) and the packed keys, as the scalar loop and
#     candidate_keys8 make them;
#   * next_best_key: take_best_key's choices without writing anything back.  take_best_key
#     always takes the largest remaining key, so the keys left after it has taken some are
#     exactly those below the last one taken (keys are distinct); the kernel keeps that key
#     (key_below) and each call takes the largest key below it.  take_best_key also masks
#     the other copies of a taken item; here such a copy comes up later, but its item is in
#     the row by then (an item taken is either in the row already or put there by the slot
#     that asked for it), so it is passed over just the same.  The running maximum is kept
#     in every lane, so a pick is a short chain of vector steps;
#   * behavioural_slots: next_best_key for every slot of an all-behavioural row (the common
#     strategies) in one call, up to 32 keys staying in registers through the row.  On
#     AVX-512 a sorting network first finds the four largest keys at once; they are the
#     row's first four slots unless a candidate drawn twice comes up among them (then the
#     picks go on one at a time from there, exactly as next_best_key's would).
cdef extern from *:
    """
    static inline int sim_in_row(const int32_t* row, ptrdiff_t upto, int32_t item) {
        for (ptrdiff_t j = 0; j < upto; j++)
            if (row[j] == item) return 1;
        return 0;
    }
    /* The candidate of a key, and its int8 dot product (floor division: exact for negative
       scores too, >> being arithmetic with the compilers that build this). */
    #define SIM_KEY_CAND(k) (SIM_KEY_SPAN - 1 - ((k) & (SIM_KEY_SPAN - 1)))
    #define SIM_KEY_DOT(k) ((k) >> SIM_KEY_BITS)
    /* The scalar candidate: its item and key. */
    static inline void sim_candidate8(uint64_t base, uint64_t j0, ptrdiff_t c, uint32_t bound, const int8_t* pref,
                                      const int8_t* feat, int32_t* items, int32_t* key) {
        uint64_t bits = sim_mix64(base + (j0 + (uint64_t)c + 1) * SIM_GOLDEN);
        items[c] = (int32_t)(((bits & 0xFFFFFFFFULL) * (uint64_t)bound) >> 32);
        key[c] = sim_dot8(pref, feat + 8 * (size_t)items[c]) * SIM_KEY_SPAN + (int32_t)(SIM_KEY_SPAN - 1 - c);
    }
    #if SIM_X86_SIMD
    SIM_TARGET_AVX2 static void sim_candidates8_avx2(uint64_t base, uint64_t j0, ptrdiff_t n, uint32_t bound,
                                                     const int8_t* pref, const int8_t* feat, int32_t* items,
                                                     int32_t* key) {
        const __m256i p = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)pref)));
        const __m256i step = _mm256_set1_epi64x((long long)(4 * SIM_GOLDEN));
        const __m256i vbound = _mm256_set1_epi64x((long long)bound);
        const __m256i odd = _mm256_setr_epi32(1, 3, 5, 7, 1, 3, 5, 7);
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        __m256i tie = _mm256_sub_epi32(_mm256_set1_epi32(SIM_KEY_SPAN - 1), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256i z = sim_run_start4(base, j0);
        ptrdiff_t c = 0;
        for (; c + 8 <= n; c += 8) {
            /* Eight draws, bounded_low of each (the high halves of 32 x 32-bit products). */
            __m128i i0 = _mm256_castsi256_si128(
                _mm256_permutevar8x32_epi32(_mm256_mul_epu32(sim_mix64x4(z), vbound), odd));
            z = _mm256_add_epi64(z, step);
            __m128i i1 = _mm256_castsi256_si128(
                _mm256_permutevar8x32_epi32(_mm256_mul_epu32(sim_mix64x4(z), vbound), odd));
            z = _mm256_add_epi64(z, step);
            __m256i f0 = _mm256_i32gather_epi64((const long long*)feat, i0, 8);
            __m256i f1 = _mm256_i32gather_epi64((const long long*)feat, i1, 8);
            /* Each 128-bit lane: one candidate's four pair sums. */
            __m256i q01 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(f0)), p);
            __m256i q23 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(f0, 1)), p);
            __m256i q45 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(f1)), p);
            __m256i q67 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(f1, 1)), p);
            /* Lanes of the sums: 0, 2, 4, 6 | 1, 3, 5, 7; then in order. */
            __m256i dot = _mm256_hadd_epi32(_mm256_hadd_epi32(q01, q23), _mm256_hadd_epi32(q45, q67));
            dot = _mm256_permutevar8x32_epi32(dot, order);
            _mm_storeu_si128((__m128i*)(items + c), i0);
            _mm_storeu_si128((__m128i*)(items + c + 4), i1);
            _mm256_storeu_si256((__m256i*)(key + c), _mm256_add_epi32(_mm256_slli_epi32(dot, SIM_KEY_BITS), tie));
            tie = _mm256_sub_epi32(tie, _mm256_set1_epi32(8));
        }
        for (; c < n; c++)
            sim_candidate8(base, j0, c, bound, pref, feat, items, key);
    }
    /* Two feature rows (eight bytes each), by the indices in the low halves of x's 64-bit
       lanes. */
    SIM_TARGET_AVX512 static inline __m128i sim_rows2(const int8_t* feat, __m128i x) {
        return _mm_insert_epi64(_mm_loadl_epi64((const __m128i*)(feat + 8 * (size_t)_mm_cvtsi128_si64(x))),
                                *(const long long*)(feat + 8 * (size_t)_mm_extract_epi64(x, 1)), 1);
    }
    /* Eight feature rows as one vector, by the indices in the low halves of v's 64-bit lanes:
       eight scalar loads, which cost less than one gather on AMD Zen 4 (whose gathers are
       slow), and much the same elsewhere. */
    SIM_TARGET_AVX512 static inline __m512i sim_rows8(const int8_t* feat, __m512i v) {
        __m256i lo = _mm256_inserti128_si256(_mm256_castsi128_si256(sim_rows2(feat, _mm512_castsi512_si128(v))),
                                             sim_rows2(feat, _mm512_extracti32x4_epi32(v, 1)), 1);
        __m256i hi = _mm256_inserti128_si256(_mm256_castsi128_si256(sim_rows2(feat, _mm512_extracti32x4_epi32(v, 2))),
                                             sim_rows2(feat, _mm512_extracti32x4_epi32(v, 3)), 1);
        return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    }
    /* The dot products of sixteen candidates, their feature rows f0 (candidates 0-7) and f1
       (8-15).  After the multiply-add of pairs each 128-bit lane holds one candidate's four
       pair sums; two rounds each add the even elements of two vectors to their odd ones (a
       pair of two-source permutes), which leaves the sixteen dot products in candidate
       order.  Exact integer sums, in another order than the scalar loop's. */
    SIM_TARGET_AVX512 static inline __m512i sim_dots16(__m512i p, __m512i f0, __m512i f1) {
        const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        __m512i a = _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm512_castsi512_si256(f0)), p);
        __m512i b = _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64(f0, 1)), p);
        __m512i c = _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm512_castsi512_si256(f1)), p);
        __m512i d = _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64(f1, 1)), p);
        __m512i x = _mm512_add_epi32(_mm512_permutex2var_epi32(a, even, b), _mm512_permutex2var_epi32(a, odd, b));
        __m512i y = _mm512_add_epi32(_mm512_permutex2var_epi32(c, even, d), _mm512_permutex2var_epi32(c, odd, d));
        return _mm512_add_epi32(_mm512_permutex2var_epi32(x, even, y), _mm512_permutex2var_epi32(x, odd, y));
    }
    /* Sixteen candidates per step, the items going straight from the draws to the row loads
       (every lane's draw is a valid item, so the loads past n are harmless; only the stores
       are masked). */
    SIM_TARGET_AVX512 static void sim_candidates8_avx512(uint64_t base, uint64_t j0, ptrdiff_t n, uint32_t bound,
                                                         const int8_t* pref, const int8_t* feat, int32_t* items,
                                                         int32_t* key) {
        const __m512i p = _mm512_broadcast_i32x4(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)pref)));
        const __m512i step = _mm512_set1_epi64((long long)(8 * SIM_GOLDEN));
        const __m512i vbound = _mm512_set1_epi64((long long)bound);
        __m512i tie = _mm512_sub_epi32(_mm512_set1_epi32(SIM_KEY_SPAN - 1),
                                       _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
        __m512i z = sim_run_start8(base, j0);
        for (ptrdiff_t c = 0; c < n; c += 16) {
            /* Sixteen draws, bounded_low of each (in the low halves of 64-bit lanes). */
            __m512i b0 = _mm512_srli_epi64(_mm512_mul_epu32(sim_mix64x8(z), vbound), 32);
            z = _mm512_add_epi64(z, step);
            __m512i b1 = _mm512_srli_epi64(_mm512_mul_epu32(sim_mix64x8(z), vbound), 32);
            z = _mm512_add_epi64(z, step);
            __m512i k = _mm512_add_epi32(_mm512_slli_epi32(sim_dots16(p, sim_rows8(feat, b0), sim_rows8(feat, b1)),
                                                           SIM_KEY_BITS), tie);
            __m512i it = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(b0)),
                                            _mm512_cvtepi64_epi32(b1), 1);
            if (n - c >= 16) {
                _mm512_storeu_si512((void*)(items + c), it);
                _mm512_storeu_si512((void*)(key + c), k);
            } else {
                __mmask16 m = (__mmask16)((1u << (n - c)) - 1u);
                _mm512_mask_storeu_epi32((void*)(items + c), m, it);
                _mm512_mask_storeu_epi32((void*)(key + c), m, k);
            }
            tie = _mm512_sub_epi32(tie, _mm512_set1_epi32(16));
        }
    }
    #endif

    #if SIM_X86_SIMD
    /* next_best_key: the best candidate with a key below *below whose item is not in the
       row.  Lanes past n hold masked keys. */
    SIM_TARGET_AVX2 static inline __m256i sim_keys_below8(__m256i k, __m256i vb) {
        return _mm256_blendv_epi8(_mm256_set1_epi32(SIM_MASKED), k, _mm256_cmpgt_epi32(vb, k));
    }
    /* The largest element of v, in every lane. */
    SIM_TARGET_AVX2 static inline __m256i sim_allmax8(__m256i v) {
        v = _mm256_max_epi32(v, _mm256_permute2x128_si256(v, v, 1));
        v = _mm256_max_epi32(v, _mm256_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
        return _mm256_max_epi32(v, _mm256_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
    }
    SIM_TARGET_AVX2 static int32_t sim_next_best_key_avx2(const int32_t* item, const int32_t* key, ptrdiff_t n,
                                                          const int32_t* row, ptrdiff_t filled, int32_t* below,
                                                          int* raw) {
        const __m256i masked = _mm256_set1_epi32(SIM_MASKED);
        __m256i vb = _mm256_set1_epi32(*below);
        int32_t best;
        if (n <= 32) {
            /* Up to four blocks of eight, in registers across the passes. */
            const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            __m256i k[4];
            for (int q = 0; q < 4; q++) {
                k[q] = masked;
                if (8 * q + 8 <= n) {
                    k[q] = _mm256_loadu_si256((const __m256i*)(key + 8 * q));
                } else if (8 * q < n) {
                    __m256i in = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - 8 * q)), lane);
                    k[q] = _mm256_blendv_epi8(masked, _mm256_maskload_epi32(key + 8 * q, in), in);
                }
            }
            for (;;) {
                vb = sim_allmax8(_mm256_max_epi32(
                    _mm256_max_epi32(sim_keys_below8(k[0], vb), sim_keys_below8(k[1], vb)),
                    _mm256_max_epi32(sim_keys_below8(k[2], vb), sim_keys_below8(k[3], vb))));
                best = _mm_cvtsi128_si32(_mm256_castsi256_si128(vb));
                if (best == SIM_MASKED) break;
                int32_t taken = item[SIM_KEY_CAND(best)];
                if (!sim_in_row(row, filled, taken)) { *below = best; *raw = SIM_KEY_DOT(best); return taken; }
            }
        } else {
            for (;;) {
                __m256i mx = masked;
                ptrdiff_t c = 0;
                for (; c + 8 <= n; c += 8)
                    mx = _mm256_max_epi32(mx, sim_keys_below8(_mm256_loadu_si256((const __m256i*)(key + c)), vb));
                best = _mm_cvtsi128_si32(_mm256_castsi256_si128(sim_allmax8(mx)));
                for (; c < n; c++)
                    best = key[c] < *below && key[c] > best ? key[c] : best;
                if (best == SIM_MASKED) break;
                *below = best;
                vb = _mm256_set1_epi32(best);
                int32_t taken = item[SIM_KEY_CAND(best)];
                if (!sim_in_row(row, filled, taken)) { *raw = SIM_KEY_DOT(best); return taken; }
            }
        }
        *below = SIM_MASKED;
        return -1;
    }
    SIM_TARGET_AVX512 static inline __m512i sim_allmax16(__m512i v) {
        v = _mm512_max_epi32(v, _mm512_shuffle_i32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
        v = _mm512_max_epi32(v, _mm512_shuffle_i32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
        v = _mm512_max_epi32(v, _mm512_shuffle_epi32(v, _MM_PERM_BADC));
        return _mm512_max_epi32(v, _mm512_shuffle_epi32(v, _MM_PERM_CDAB));
    }
    SIM_TARGET_AVX512 static int32_t sim_next_best_key_avx512(const int32_t* item, const int32_t* key, ptrdiff_t n,
                                                              const int32_t* row, ptrdiff_t filled, int32_t* below,
                                                              int* raw) {
        const __m512i masked = _mm512_set1_epi32(SIM_MASKED);
        __m512i vb = _mm512_set1_epi32(*below);
        int32_t best;
        if (n <= 32) {
            /* Two blocks of sixteen, in registers across the passes. */
            __mmask16 in0 = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
            __mmask16 in1 = n >= 32 ? (__mmask16)0xFFFF : n <= 16 ? (__mmask16)0 : (__mmask16)((1u << (n - 16)) - 1u);
            __m512i k0 = n >= 16 ? _mm512_loadu_si512((const void*)key) : _mm512_mask_loadu_epi32(masked, in0, key);
            __m512i k1 = n >= 32 ? _mm512_loadu_si512((const void*)(key + 16))
                                 : _mm512_mask_loadu_epi32(masked, in1, key + 16);
            for (;;) {
                __m512i m0 = _mm512_mask_mov_epi32(masked, _mm512_cmplt_epi32_mask(k0, vb), k0);
                vb = sim_allmax16(_mm512_mask_max_epi32(m0, _mm512_cmplt_epi32_mask(k1, vb), m0, k1));
                best = _mm_cvtsi128_si32(_mm512_castsi512_si128(vb));
                if (best == SIM_MASKED) break;
                int32_t taken = item[SIM_KEY_CAND(best)];
                if (!sim_in_row(row, filled, taken)) { *below = best; *raw = SIM_KEY_DOT(best); return taken; }
            }
        } else {
            for (;;) {
                __m512i mx = masked;
                ptrdiff_t c = 0;
                for (; c + 16 <= n; c += 16) {
                    __m512i kc = _mm512_loadu_si512((const void*)(key + c));
                    mx = _mm512_mask_max_epi32(mx, _mm512_cmplt_epi32_mask(kc, vb), mx, kc);
                }
                __mmask16 tail = (__mmask16)((1u << (n - c)) - 1u);
                __m512i kc = _mm512_mask_loadu_epi32(masked, tail, key + c);
                mx = _mm512_mask_max_epi32(mx, _mm512_cmplt_epi32_mask(kc, vb), mx, kc);
                vb = sim_allmax16(mx);
                best = _mm_cvtsi128_si32(_mm512_castsi512_si128(vb));
                if (best == SIM_MASKED) break;
                int32_t taken = item[SIM_KEY_CAND(best)];
                if (!sim_in_row(row, filled, taken)) { *below = best; *raw = SIM_KEY_DOT(best); return taken; }
            }
        }
        *below = SIM_MASKED;
        return -1;
    }

    /* behavioural_slots for up to 32 candidates: the keys stay in registers through the whole
       row.  Lanes past n hold masked keys. */
    SIM_TARGET_AVX2 static ptrdiff_t sim_behavioural_slots_avx2(const int32_t* item, const int32_t* key, ptrdiff_t n,
                                                                int32_t* below, ptrdiff_t n_slot, int32_t* row,
                                                                uint8_t* basis, float* score, uint8_t onsite,
                                                                double unit) {
        const __m256i masked = _mm256_set1_epi32(SIM_MASKED);
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i k[4];
        for (int q = 0; q < 4; q++) {
            k[q] = masked;
            if (8 * q + 8 <= n) {
                k[q] = _mm256_loadu_si256((const __m256i*)(key + 8 * q));
            } else if (8 * q < n) {
                __m256i in = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - 8 * q)), lane);
                k[q] = _mm256_blendv_epi8(masked, _mm256_maskload_epi32(key + 8 * q, in), in);
            }
        }
        __m256i vb = _mm256_set1_epi32(*below);
        int32_t best = *below, taken;
        for (ptrdiff_t s = 0; s < n_slot; s++) {
            do {
                vb = sim_allmax8(_mm256_max_epi32(
                    _mm256_max_epi32(sim_keys_below8(k[0], vb), sim_keys_below8(k[1], vb)),
                    _mm256_max_epi32(sim_keys_below8(k[2], vb), sim_keys_below8(k[3], vb))));
                best = _mm_cvtsi128_si32(_mm256_castsi256_si128(vb));
                if (best == SIM_MASKED) { *below = SIM_MASKED; return s; }
                taken = item[SIM_KEY_CAND(best)];
            } while (sim_in_row(row, s, taken));
            row[s] = taken;
            basis[s] = onsite;
            score[s] = (float)((double)SIM_KEY_DOT(best) * unit);
        }
        *below = best;
        return n_slot;
    }
    /* The four largest of up to 32 keys, in order, in one pass (a sorting network): the
       keys as four rows of eight lanes; each lane's four keys sorted (five compare-exchanges),
       then three rounds that merge each lane's sorted four with another lane's (lanes i and
       i ^ 4, i ^ 2, i ^ 1) keeping the four largest: max(a[r], b[3 - r]) is a bitonic
       sequence holding the four largest of both, which two rounds of compare-exchanges sort.
       Every lane ends with the same four keys, t[0] > t[1] > t[2] > t[3] (or masked keys,
       which may repeat, when fewer than four are real).  Min and max of distinct integers:
       exact whatever the order of work. */
    #define SIM_CX8(a, b) do { __m256i hi_ = _mm256_max_epi32(a, b); b = _mm256_min_epi32(a, b); a = hi_; } while (0)
    #define SIM_LANES_X4(v) _mm256_permute2x128_si256(v, v, 1)
    #define SIM_LANES_X2(v) _mm256_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2))
    #define SIM_LANES_X1(v) _mm256_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1))
    #define SIM_TOP4_ROUND(t, LANES) sim_top4_merge8(t, LANES(t[0]), LANES(t[1]), LANES(t[2]), LANES(t[3]))
    /* t[0..3]: each lane's sorted four; s0..s3 another lane's: t becomes the four largest of both. */
    SIM_TARGET_AVX512 static inline void sim_top4_merge8(__m256i t[4], __m256i s0, __m256i s1, __m256i s2,
                                                         __m256i s3) {
        t[0] = _mm256_max_epi32(t[0], s3);
        t[1] = _mm256_max_epi32(t[1], s2);
        t[2] = _mm256_max_epi32(t[2], s1);
        t[3] = _mm256_max_epi32(t[3], s0);
        SIM_CX8(t[0], t[2]); SIM_CX8(t[1], t[3]);
        SIM_CX8(t[0], t[1]); SIM_CX8(t[2], t[3]);
    }
    SIM_TARGET_AVX512 static inline void sim_top4_of32(const int32_t* key, ptrdiff_t n, int32_t out[4]) {
        const __m256i masked = _mm256_set1_epi32(SIM_MASKED);
        __m256i t[4];
        for (int q = 0; q < 4; q++) {
            ptrdiff_t left = n - 8 * q;
            __mmask8 in = left >= 8 ? (__mmask8)0xFF : left <= 0 ? (__mmask8)0 : sim_head8(left);
            t[q] = _mm256_mask_loadu_epi32(masked, in, key + 8 * q);
        }
        SIM_CX8(t[0], t[1]); SIM_CX8(t[2], t[3]);
        SIM_CX8(t[0], t[2]); SIM_CX8(t[1], t[3]);
        SIM_CX8(t[1], t[2]);
        SIM_TOP4_ROUND(t, SIM_LANES_X4);
        SIM_TOP4_ROUND(t, SIM_LANES_X2);
        SIM_TOP4_ROUND(t, SIM_LANES_X1);
        for (int r = 0; r < 4; r++) out[r] = _mm_cvtsi128_si32(_mm256_castsi256_si128(t[r]));
    }
    SIM_TARGET_AVX512 static ptrdiff_t sim_behavioural_slots_avx512(
            const int32_t* item, const int32_t* key, ptrdiff_t n, int32_t* below, ptrdiff_t n_slot, int32_t* row,
            uint8_t* basis, float* score, uint8_t onsite, double unit) {
        /* The first slots straight from the four largest keys, in order, while their items
           are new to the row; from a key whose item is in the row already (a candidate
           drawn twice), or after four slots, the passes below go on as next_best_key would. */
        ptrdiff_t s = 0;
        int32_t best = *below, taken;
        if (best == SIM_KEY_ABOVE) {
            int32_t top[4];
            sim_top4_of32(key, n, top);
            for (; s < n_slot && s < 4; s++) {
                best = top[s];
                if (best == SIM_MASKED) { *below = SIM_MASKED; return s; }
                taken = item[SIM_KEY_CAND(best)];
                if (sim_in_row(row, s, taken)) break;
                row[s] = taken;
                basis[s] = onsite;
                score[s] = (float)((double)SIM_KEY_DOT(best) * unit);
            }
            if (s == n_slot) { *below = best; return n_slot; }
        }
        const __m512i masked = _mm512_set1_epi32(SIM_MASKED);
        __mmask16 in0 = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
        __mmask16 in1 = n >= 32 ? (__mmask16)0xFFFF : n <= 16 ? (__mmask16)0 : (__mmask16)((1u << (n - 16)) - 1u);
        __m512i k0 = n >= 16 ? _mm512_loadu_si512((const void*)key) : _mm512_mask_loadu_epi32(masked, in0, key);
        __m512i k1 = n >= 32 ? _mm512_loadu_si512((const void*)(key + 16))
                             : _mm512_mask_loadu_epi32(masked, in1, key + 16);
        __m512i vb = _mm512_set1_epi32(best);
        for (; s < n_slot; s++) {
            do {
                __m512i m0 = _mm512_mask_mov_epi32(masked, _mm512_cmplt_epi32_mask(k0, vb), k0);
                vb = sim_allmax16(_mm512_mask_max_epi32(m0, _mm512_cmplt_epi32_mask(k1, vb), m0, k1));
                best = _mm_cvtsi128_si32(_mm512_castsi512_si128(vb));
                if (best == SIM_MASKED) { *below = SIM_MASKED; return s; }
                taken = item[SIM_KEY_CAND(best)];
            } while (sim_in_row(row, s, taken));
            row[s] = taken;
            basis[s] = onsite;
            score[s] = (float)((double)SIM_KEY_DOT(best) * unit);
        }
        *below = best;
        return n_slot;
    }
    #endif

    /* Dispatch on sim_simd.  fill_slates calls these only on a vector path (the scalar path
       is candidate_keys8 / take_best_key); the scalar code here keeps them complete. */
    static inline void sim_candidates8(uint64_t base, uint64_t j0, ptrdiff_t n, uint32_t bound, const int8_t* pref,
                                       const int8_t* feat, int32_t* items, int32_t* key) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512) { sim_candidates8_avx512(base, j0, n, bound, pref, feat, items, key); return; }
        if (sim_simd == SIM_SIMD_AVX2) { sim_candidates8_avx2(base, j0, n, bound, pref, feat, items, key); return; }
    #endif
        for (ptrdiff_t c = 0; c < n; c++)
            sim_candidate8(base, j0, c, bound, pref, feat, items, key);
    }
    static inline int32_t sim_next_best_key(const int32_t* item, const int32_t* key, ptrdiff_t n,
                                            const int32_t* row, ptrdiff_t filled, int32_t* below, int* raw) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512) return sim_next_best_key_avx512(item, key, n, row, filled, below, raw);
        if (sim_simd == SIM_SIMD_AVX2) return sim_next_best_key_avx2(item, key, n, row, filled, below, raw);
    #endif
        for (;;) {
            int32_t best = SIM_MASKED, taken;
            for (ptrdiff_t c = 0; c < n; c++) best = key[c] < *below && key[c] > best ? key[c] : best;
            *below = best;
            if (best == SIM_MASKED) return -1;
            taken = item[SIM_KEY_CAND(best)];
            if (!sim_in_row(row, filled, taken)) { *raw = SIM_KEY_DOT(best); return taken; }
        }
    }
    /* A row whose every slot is behavioural: next_best_key for slots 0, 1, ..., writing each
       slot's item, basis (onsite) and score (raw * unit, as the kernel computes it), until the
       candidates run out; returns the number of slots filled. */
    static inline ptrdiff_t sim_behavioural_slots(const int32_t* item, const int32_t* key, ptrdiff_t n,
                                                  int32_t* below, ptrdiff_t n_slot, int32_t* row, uint8_t* basis,
                                                  float* score, uint8_t onsite, double unit) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512 && n <= 32)
            return sim_behavioural_slots_avx512(item, key, n, below, n_slot, row, basis, score, onsite, unit);
        if (sim_simd == SIM_SIMD_AVX2 && n <= 32)
            return sim_behavioural_slots_avx2(item, key, n, below, n_slot, row, basis, score, onsite, unit);
    #endif
        for (ptrdiff_t s = 0; s < n_slot; s++) {
            int raw;
            int32_t taken = sim_next_best_key(item, key, n, row, s, below, &raw);
            if (taken < 0) return s;
            row[s] = taken;
            basis[s] = onsite;
            score[s] = (float)((double)raw * unit);
        }
        return n_slot;
    }
    """
    void candidates8 "sim_candidates8"(uint64_t base, uint64_t j0, Py_ssize_t n, uint32_t bound, const int8_t* pref,
                                       const int8_t* feat, int32_t* items, int32_t* key) noexcept nogil
    int32_t next_best_key "sim_next_best_key"(const int32_t* cand_item, const int32_t* key, Py_ssize_t n_cand,
                                              const int32_t* row, Py_ssize_t filled, int32_t* below,
                                              int* raw_score) noexcept nogil
    Py_ssize_t behavioural_slots "sim_behavioural_slots"(
        const int32_t* cand_item, const int32_t* key, Py_ssize_t n_cand, int32_t* below, Py_ssize_t n_slot,
        int32_t* row, uint8_t* basis, float* score, uint8_t onsite, double unit) noexcept nogil


# simd_paths() and set_simd(path): which path fill_slates, observe's D = 8 update and this
# module's draws run on.
include "_simd.pxi"


def _draw_runs(
    uint64_t base, uint64_t j0, uint32_t bound,
    uint64_t[::1] bits,                 # OUT uint64[n] draw_bits(base, j0 + c)
    uint32_t[::1] below,                # OUT uint32[n] bounded_low(draw_bits(base, j0 + c), bound)
    uint64_t key, uint64_t first,
    uint64_t[::1] block,                # OUT uint64[q] draw_bits(customer_base(key, first + q), j0)
):
    """The run and block draw helpers on the current path, for the tests (they must equal the
    scalar draw_bits)."""
    draw_run(base, j0, bits.shape[0], &bits[0] if bits.shape[0] else NULL)
    draw_below_run(base, j0, below.shape[0], bound, &below[0] if below.shape[0] else NULL)
    customer_draws(key, first, block.shape[0], j0, &block[0] if block.shape[0] else NULL)


cdef OrderScratch kept_order = OrderScratch(NULL, 0)   # fill_slates' exposure order, kept call to call


def fill_slates(
    const int64_t[::1] cust,            # IN  int64[k]
    const uint8_t[::1] exposed,         # IN  uint8[k] rows zeroed where 0
    const uint8_t[::1] slot_source,     # IN  uint8[S] source of each slot (Source)
    const int8_t[:, ::1] est_pref,      # IN  int8[N, D] the firm's taste estimate (127 = 1)
    const uint16_t[::1] n_obs,          # IN  uint16[N] observations behind the estimate
    const int32_t[::1] last_view_item,  # IN  int32[N] -1 when none
    const int16_t[::1] last_view_day,   # IN  int16[N]
    const int32_t[:, ::1] hist_item,    # IN  int32[N, H] purchases the firm recorded
    const int16_t[:, ::1] hist_day,     # IN  int16[N, H]
    const uint8_t[:, ::1] stated_cats,  # IN  uint8[N, 2] preference-centre categories, 255 none
    const uint8_t[::1] inferred_cat,    # IN  uint8[N] the firm's inferred category, 255 none
    const uint8_t[::1] offsite_cat,     # IN  uint8[N] third-party category, 255 none
    const int8_t[:, ::1] item_feat,     # IN  int8[M, D]
    const int32_t[::1] item_cat,        # IN  int32[M]
    const uint8_t[::1] item_durable,    # IN  uint8[M]
    const float[::1] item_cycle,        # IN  float32[M] repurchase cycle, days
    const int32_t[::1] cat_start,       # IN  int32[C+1] CSR offsets into cat_items
    const int32_t[::1] cat_items,       # IN  int32[M] items grouped by category
    const int32_t[::1] popular,         # IN  int32[P] current best sellers
    const int32_t[::1] editorial,       # IN  int32[E] the editors' picks
    int32_t[:, ::1] slate,              # OUT int32[k, S]
    uint8_t[:, ::1] basis,              # OUT uint8[k, S]
    float[:, ::1] score,                # OUT float32[k, S]
    int day, int n_candidates, double exploration, double suppress_window, bint suppress_cycle,
    int retarget_window,
    double replenish_lo, double replenish_hi,
    uint64_t key, int n_threads,
):
    """Fill the slates of exposed touches, slot by slot from each slot's source.

    Per touch, in order (draws numbered as used):
    1. Suppressed categories: those of durables bought less than ``suppress_window`` days
       ago, or (``suppress_cycle``) less than their own repurchase cycle ago.  No source
       shows an item of a suppressed category; with no suppression ``retarget`` keeps
       showing a just-bought durable, which is what makes naive retargeting naive.
    2. If a slot is ``behavioural`` or ``replenish`` and the firm has observed the customer:
       ``n_candidates`` random candidates (one draw each), scored est_pref . item_feat,
       suppressed ones masked.
    3. Each slot from its source, never repeating an item of the row:
       ``behavioural`` the best remaining candidate; ``replenish`` the most recently bought
       consumable now between ``replenish_lo`` and ``replenish_hi`` cycles old (else as
       behavioural); ``retarget`` the latest purchase (else the last view) at most
       ``retarget_window`` days old, and for later retarget slots items of its category;
       ``stated`` / ``inferred`` / ``offsite`` a random item of that category (stated: one
       draw picks which of two); ``editorial`` / ``popular`` a random item of that list.
       A personal source with nothing to offer falls back to ``popular`` (basis none).
    4. Exploration: each slot, with probability ``exploration`` (one draw, then one for the
       item), becomes a popular item not already shown.
    Every slot's score is the firm's model score of its item, est_pref . item_feat / 127^2.
    The rows of unexposed touches (an unopened email's) are zeroed: item 0, basis 0, score 0,
    by the thread that fills the next exposed row (the rows in between are contiguous), so
    that the caller need not clear the arrays beforehand.
    """
    cdef Py_ssize_t k = cust.shape[0], n_slot = slate.shape[1], d_dim = item_feat.shape[1]
    cdef Py_ssize_t m = item_feat.shape[0], n_hist = hist_item.shape[1], n_stated = stated_cats.shape[1]
    cdef Py_ssize_t n_pop = popular.shape[0], n_edit = editorial.shape[0]
    cdef Py_ssize_t t, e, i, c, s, h, ia, n_todo
    cdef Py_ssize_t* todo          # the exposed touches, in order
    cdef Py_ssize_t todo_cap = 0
    cdef int32_t item, anchor
    cdef int src, cat, n_sup, anchor_day, best_day
    cdef bint need_cands, have_cands, need_hist, need_view, need_cats, use_keys, have_raw
    cdef int raw
    cdef int32_t key_below         # next_best_key: every candidate above it is taken or in the row
    cdef uint8_t b
    cdef uint64_t base, j
    cdef double ratio
    cdef int32_t* cand_items = NULL
    cdef int32_t* cand_keys = NULL
    cdef int32_t* cand_item        # this touch's candidates: items
    cdef int32_t* cand_score       # and their scores, or packed keys when use_keys
    cdef Py_ssize_t blk, e_lo, e_hi, ea, n_blocks
    cdef bint ahead, all_behavioural
    cdef Py_ssize_t n_done
    cdef int* sup = NULL
    cdef int simd = get_simd()
    # The exploration coin, draw_uniform < exploration, on the draw's top 53 bits as an integer.
    cdef uint64_t explore_below = uniform_threshold(exploration)
    # Raw pointers, made inside the parallel block so that each thread holds them in its own
    # locals: a memoryview read inside the loop reloads the view's data pointer and stride
    # after every store (a store through a char pointer may alias them).
    cdef const int64_t* cu = NULL
    cdef const uint8_t* srcs = NULL
    cdef const int8_t* ep = NULL
    cdef const uint16_t* nob = NULL
    cdef const int32_t* lv_item = NULL
    cdef const int16_t* lv_day = NULL
    cdef const int32_t* hi_item = NULL
    cdef const int16_t* hi_day = NULL
    cdef const uint8_t* st_cats = NULL
    cdef const uint8_t* inf_cat = NULL
    cdef const uint8_t* off_cat = NULL
    cdef const int8_t* feat = NULL
    cdef const int32_t* icat = NULL
    cdef const uint8_t* dur = NULL
    cdef const float* cyc = NULL
    cdef const int32_t* cstart = NULL
    cdef const int32_t* citems = NULL
    cdef const int32_t* pop = NULL
    cdef const int32_t* edit = NULL
    cdef int32_t* sl = NULL
    cdef uint8_t* ba = NULL
    cdef float* sc = NULL
    cdef const int8_t* pref_i      # this touch's customer: est_pref row
    cdef int32_t* row              # and slate row, its bases and scores
    cdef uint8_t* row_basis = NULL
    cdef float* row_score = NULL
    cdef int32_t hitem
    cdef int hday
    need_cands = False
    all_behavioural = True
    need_view = False
    need_cats = False
    need_hist = suppress_window > 0 or suppress_cycle
    use_keys = d_dim <= KEY_MAX_DIM and n_candidates <= KEY_SPAN
    for s in range(n_slot):
        if slot_source[s] == SRC_BEHAVIOURAL or slot_source[s] == SRC_REPLENISH:
            need_cands = True
        if slot_source[s] != SRC_BEHAVIOURAL:
            all_behavioural = False
        if slot_source[s] == SRC_REPLENISH or slot_source[s] == SRC_RETARGET:
            need_hist = True
        if slot_source[s] == SRC_RETARGET:
            need_view = True
        if slot_source[s] == SRC_STATED or slot_source[s] == SRC_INFERRED or slot_source[s] == SRC_OFFSITE:
            need_cats = True
    # The exposed touches first, branch-free: exposure is a coin flip per touch, which a branch
    # in the main loop would mispredict about once per exposed touch; this also lets the
    # prefetches look exactly PREFETCH_AHEAD exposed touches ahead.  (exposure_order, on the
    # run's threads for a large wave; the unexposed touches, at the back, are not used here.)
    todo = take_order(&kept_order, k + 1, &todo_cap)
    if todo == NULL:
        raise MemoryError()
    with nogil:
        n_todo = exposure_order(&exposed[0] if k > 0 else NULL, k, todo, n_threads)
    if n_todo < 0:
        give_order(&kept_order, todo, todo_cap)
        raise MemoryError()
    # On a vector path with packed keys and D = 8, each touch's candidates (draws, dot
    # products, keys: one pass of candidates8) are made one touch ahead, so that their long
    # latencies (the gathers) overlap the previous touch's slot choices; the parallel loop
    # runs over blocks of TOUCH_BLOCK exposed touches, one touch ahead within each block.
    ahead = need_cands and simd != SIMD_SCALAR and use_keys and d_dim == 8
    n_blocks = (n_todo + TOUCH_BLOCK - 1) // TOUCH_BLOCK
    if n_todo == 0 and k > 0 and n_slot > 0:
        with nogil:
            zero_rows(&slate[0, 0], &basis[0, 0], &score[0, 0], n_slot, 0, k)
    with nogil, parallel(num_threads=n_threads):
        # Two touches' candidates: this one's and the next one's (see ahead).
        cand_items = <int32_t*>malloc(2 * (n_candidates + 1) * sizeof(int32_t))
        cand_keys = <int32_t*>malloc(2 * (n_candidates + 1) * sizeof(int32_t))
        sup = <int*>malloc((n_hist + 1) * sizeof(int))
        cu = &cust[0] if k > 0 else NULL
        srcs = &slot_source[0] if n_slot > 0 else NULL
        ep = &est_pref[0, 0]
        nob = &n_obs[0]
        lv_item = &last_view_item[0]
        lv_day = &last_view_day[0]
        hi_item = &hist_item[0, 0]
        hi_day = &hist_day[0, 0]
        st_cats = &stated_cats[0, 0]
        inf_cat = &inferred_cat[0]
        off_cat = &offsite_cat[0]
        feat = &item_feat[0, 0]
        icat = &item_cat[0]
        dur = &item_durable[0]
        cyc = &item_cycle[0]
        cstart = &cat_start[0]
        citems = &cat_items[0]
        pop = &popular[0] if n_pop > 0 else NULL
        edit = &editorial[0] if n_edit > 0 else NULL
        sl = &slate[0, 0] if k > 0 and n_slot > 0 else NULL
        ba = &basis[0, 0] if k > 0 and n_slot > 0 else NULL
        sc = &score[0, 0] if k > 0 and n_slot > 0 else NULL
        for blk in prange(n_blocks, schedule="static"):
            e_lo = blk * TOUCH_BLOCK
            e_hi = e_lo + TOUCH_BLOCK if e_lo + TOUCH_BLOCK < n_todo else n_todo
            for e in range(e_lo, e_hi):
                if e + PREFETCH_AHEAD < n_todo:
                    ia = cu[todo[e + PREFETCH_AHEAD]]
                    prefetch_r(&ep[ia * d_dim])
                    prefetch_r(&nob[ia])
                    if need_hist:
                        prefetch_r(&hi_item[ia * n_hist])
                        prefetch_r(&hi_day[ia * n_hist])
                    if need_view:
                        prefetch_r(&lv_item[ia])
                        prefetch_r(&lv_day[ia])
                    if need_cats:
                        prefetch_r(&st_cats[ia * n_stated])
                        prefetch_r(&inf_cat[ia])
                        prefetch_r(&off_cat[ia])
                cand_item = cand_items + (e & 1) * (n_candidates + 1)
                cand_score = cand_keys + (e & 1) * (n_candidates + 1)
                if ahead:
                    # The next touch's candidates now (and at a block's first touch its own), so
                    # that their draws and gathers run while this touch's slots are chosen.  They
                    # are a touch's first draws (j = 0 ...), so the customer is all they need.
                    for ea in range(e if e == e_lo else e + 1, e + 2 if e + 2 < e_hi else e_hi):
                        ia = cu[todo[ea]]
                        if nob[ia] > 0:
                            candidates8(customer_base(key, ia), 0, n_candidates, <uint32_t>m, &ep[ia * d_dim],
                                        feat, cand_items + (ea & 1) * (n_candidates + 1),
                                        cand_keys + (ea & 1) * (n_candidates + 1))
                t = todo[e]
                # The unexposed rows before this one (and after the last exposed one).
                zero_rows(sl, ba, sc, n_slot, todo[e - 1] + 1 if e > 0 else 0, t)
                if e == n_todo - 1:
                    zero_rows(sl, ba, sc, n_slot, t + 1, k)
                i = cu[t]
                pref_i = ep + i * d_dim
                row = sl + t * n_slot
                row_basis = ba + t * n_slot
                row_score = sc + t * n_slot
                base = customer_base(key, i)
                j = 0
                n_sup = 0
                if suppress_window > 0 or suppress_cycle:
                    for h in range(n_hist):
                        hday = hi_day[i * n_hist + h]
                        if hday == NO_DAY:
                            continue
                        hitem = hi_item[i * n_hist + h]
                        if dur[hitem] and (day - hday < suppress_window
                                           or (suppress_cycle and day - hday < cyc[hitem])):
                            sup[n_sup] = icat[hitem]
                            n_sup = n_sup + 1
                have_cands = need_cands and nob[i] > 0
                if have_cands:
                    if not ahead:
                        if simd != SIMD_SCALAR:
                            draw_below_run(base, j, n_candidates, <uint32_t>m, <uint32_t*>cand_item)
                        else:
                            for c in range(n_candidates):
                                cand_item[c] = <int32_t>bounded_low(draw_bits(base, j + c), <unsigned int>m)
                        if use_keys:
                            if d_dim == 8:
                                candidate_keys8(pref_i, feat, cand_item, n_candidates, cand_score)
                            else:
                                for c in range(n_candidates):
                                    cand_score[c] = (dot_i8(pref_i, &feat[cand_item[c] * d_dim], d_dim)
                                                     * KEY_SPAN + <int>(KEY_SPAN - 1 - c))
                        else:
                            for c in range(n_candidates):
                                cand_score[c] = dot_i8(pref_i, &feat[cand_item[c] * d_dim], d_dim)
                    j = j + n_candidates
                    key_below = KEY_ABOVE
                    if n_sup > 0:
                        for c in range(n_candidates):
                            if suppressed(icat[cand_item[c]], sup, n_sup):
                                cand_score[c] = MASKED
                # A row of behavioural slots on a vector path: the slots in one call, its keys
                # staying in registers (the loop below then fills only slots it leaves: those
                # after the candidates run out).
                n_done = 0
                if all_behavioural and have_cands and use_keys and simd != SIMD_SCALAR:
                    n_done = behavioural_slots(cand_item, cand_score, n_candidates, &key_below, n_slot, row,
                                               row_basis, row_score, BASIS_ONSITE, 1.0 / UNIT_SQ)
                for s in range(n_done, n_slot):
                    src = srcs[s]
                    item = -1
                    b = BASIS_NONE
                    have_raw = False
                    if src == SRC_REPLENISH:
                        best_day = NO_DAY
                        for h in range(n_hist):
                            hday = hi_day[i * n_hist + h]
                            if hday == NO_DAY:
                                continue
                            hitem = hi_item[i * n_hist + h]
                            if not dur[hitem]:
                                ratio = <double>(day - hday) / <double>cyc[hitem]
                                if (ratio >= replenish_lo and ratio <= replenish_hi and hday > best_day
                                        and not in_row(row, s, hitem)):
                                    best_day = hday
                                    item = hitem
                        if item >= 0:
                            b = BASIS_ONSITE
                        else:
                            src = SRC_BEHAVIOURAL
                    if src == SRC_BEHAVIOURAL:
                        if have_cands:
                            if use_keys and simd != SIMD_SCALAR:
                                item = next_best_key(cand_item, cand_score, n_candidates, row, s, &key_below, &raw)
                                have_raw = item >= 0
                            elif use_keys:
                                item = take_best_key(cand_item, cand_score, n_candidates, row, s, &raw)
                                have_raw = item >= 0
                            else:
                                item = take_best(cand_item, cand_score, n_candidates, row, s)
                            if item >= 0:
                                b = BASIS_ONSITE
                    elif src == SRC_RETARGET:
                        anchor = -1
                        anchor_day = NO_DAY
                        for h in range(n_hist):
                            hday = hi_day[i * n_hist + h]
                            if hday == NO_DAY or hday <= anchor_day:
                                continue
                            hitem = hi_item[i * n_hist + h]
                            if not suppressed(icat[hitem], sup, n_sup):
                                anchor = hitem
                                anchor_day = hday
                        if anchor < 0 or day - anchor_day > retarget_window:
                            anchor = lv_item[i]
                            anchor_day = lv_day[i]
                            if anchor >= 0 and suppressed(icat[anchor], sup, n_sup):
                                anchor = -1
                        if anchor >= 0 and anchor_day != NO_DAY and day - anchor_day <= retarget_window:
                            if not in_row(row, s, anchor):
                                item = anchor
                            else:
                                item = pick_in_category(icat[anchor], cstart, citems, row, s, base, &j)
                            if item >= 0:
                                b = BASIS_ONSITE
                    elif src == SRC_STATED or src == SRC_INFERRED or src == SRC_OFFSITE:
                        if src == SRC_STATED:
                            cat = st_cats[i * n_stated]
                            if st_cats[i * n_stated + 1] != NO_CAT:
                                if draw_uniform(base, j) < 0.5:
                                    cat = st_cats[i * n_stated + 1]
                                j = j + 1
                            b = BASIS_STATED
                        elif src == SRC_INFERRED:
                            cat = inf_cat[i]
                            b = BASIS_INFERRED
                        else:
                            cat = off_cat[i]
                            b = BASIS_OFFSITE
                        if cat != NO_CAT and not suppressed(cat, sup, n_sup):
                            item = pick_in_category(cat, cstart, citems, row, s, base, &j)
                    elif src == SRC_EDITORIAL:
                        item = pick_from_list(edit, n_edit, row, s, icat, sup, n_sup, base, &j)
                        b = BASIS_NONE
                    if item < 0:
                        item = pick_from_list(pop, n_pop, row, s, icat, sup, n_sup, base, &j)
                        b = BASIS_NONE
                    row[s] = item
                    row_basis[s] = b
                    if not have_raw:
                        raw = item_dot(pref_i, &feat[item * d_dim], d_dim)
                    row_score[s] = <float>(raw * (1.0 / UNIT_SQ))
                # Exploration, one draw at a time: a few independent hashes, which the core
                # overlaps by itself (a vector run of them is no cheaper).
                for s in range(n_slot):
                    if (draw_bits(base, j) >> 11) < explore_below:
                        item = pop[bounded_low(draw_bits(base, j + 1), <unsigned int>n_pop)]
                        if not in_row(row, n_slot, item) and not suppressed(icat[item], sup, n_sup):
                            row[s] = item
                            row_basis[s] = BASIS_NONE
                            row_score[s] = <float>(item_dot(pref_i, &feat[item * d_dim], d_dim) * (1.0 / UNIT_SQ))
                    j = j + 2
        free(cand_items)
        free(cand_keys)
        free(sup)
    give_order(&kept_order, todo, todo_cap)


cdef extern from *:
    """
    #if defined(__SSE2__)
    #include <emmintrin.h>
    /* learn_row for D = 8, two components per SSE2 instruction: the same IEEE double
       operations in the same order per component (explicit multiplies and adds, never
       fused), the clamps as min/max with the bound first (a NaN passes through, as in the
       ternaries), the rounding on the magnitude with the sign put back by a mask.  Each
       stored value therefore equals the scalar loop's. */
    static inline __m128d sim_learn_pair(__m128i e32, __m128i f32, __m128d w) {
        const __m128d k = _mm_set1_pd(1.0 / 127.0), hi = _mm_set1_pd(127.0), lo = _mm_set1_pd(-127.0);
        const __m128d half = _mm_set1_pd(0.5), sign = _mm_set1_pd(-0.0), zero = _mm_setzero_pd();
        __m128d v = _mm_mul_pd(_mm_cvtepi32_pd(e32), k);
        v = _mm_add_pd(v, _mm_mul_pd(w, _mm_sub_pd(_mm_mul_pd(_mm_cvtepi32_pd(f32), k), v)));
        v = _mm_mul_pd(v, hi);
        v = _mm_min_pd(hi, v);                          /* 127 < v ? 127 : v */
        v = _mm_max_pd(lo, v);                          /* -127 > v ? -127 : v */
        __m128d q = _mm_cvtepi32_pd(_mm_cvttpd_epi32(_mm_add_pd(_mm_andnot_pd(sign, v), half)));
        __m128d nonneg = _mm_cmpge_pd(v, zero);
        return _mm_or_pd(_mm_and_pd(nonneg, q), _mm_andnot_pd(nonneg, _mm_sub_pd(zero, q)));
    }
    static inline void sim_learn_row8(signed char* est, const signed char* feat, double w) {
        __m128d vw = _mm_set1_pd(w);
        __m128i e = _mm_loadl_epi64((const __m128i*)est), f = _mm_loadl_epi64((const __m128i*)feat);
        e = _mm_srai_epi16(_mm_unpacklo_epi8(e, e), 8);
        f = _mm_srai_epi16(_mm_unpacklo_epi8(f, f), 8);
        __m128i e03 = _mm_srai_epi32(_mm_unpacklo_epi16(e, e), 16), e47 = _mm_srai_epi32(_mm_unpackhi_epi16(e, e), 16);
        __m128i f03 = _mm_srai_epi32(_mm_unpacklo_epi16(f, f), 16), f47 = _mm_srai_epi32(_mm_unpackhi_epi16(f, f), 16);
        __m128i r01 = _mm_cvttpd_epi32(sim_learn_pair(e03, f03, vw));
        __m128i r23 = _mm_cvttpd_epi32(sim_learn_pair(_mm_srli_si128(e03, 8), _mm_srli_si128(f03, 8), vw));
        __m128i r45 = _mm_cvttpd_epi32(sim_learn_pair(e47, f47, vw));
        __m128i r67 = _mm_cvttpd_epi32(sim_learn_pair(_mm_srli_si128(e47, 8), _mm_srli_si128(f47, 8), vw));
        /* |values| <= 127: the saturating packs are exact. */
        __m128i r16 = _mm_packs_epi32(_mm_unpacklo_epi64(r01, r23), _mm_unpacklo_epi64(r45, r67));
        _mm_storel_epi64((__m128i*)est, _mm_packs_epi16(r16, r16));
    }
    #define SIM_HAVE_LEARN_ROW8 1
    #else
    static inline void sim_learn_row8(signed char* est, const signed char* feat, double w) {
        (void)est; (void)feat; (void)w;
    }
    #define SIM_HAVE_LEARN_ROW8 0
    #endif
    #if SIM_X86_SIMD
    /* learn_row8 with AVX-512, the eight components in one vector: the same IEEE double
       operations in the same order, the same clamps; the sign put back on the rounded
       magnitude in int32 (q or 0 - q, which the double select then truncation also gives). */
    SIM_TARGET_AVX512 static void sim_learn_row8_avx512(signed char* est, const signed char* feat, double w) {
        const __m512d k = _mm512_set1_pd(1.0 / 127.0), hi = _mm512_set1_pd(127.0), lo = _mm512_set1_pd(-127.0);
        __m512d e = _mm512_cvtepi32_pd(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)est)));
        __m512d f = _mm512_cvtepi32_pd(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)feat)));
        __m512d v = _mm512_mul_pd(e, k);
        v = _mm512_add_pd(v, _mm512_mul_pd(_mm512_set1_pd(w), _mm512_sub_pd(_mm512_mul_pd(f, k), v)));
        v = _mm512_mul_pd(v, hi);
        v = _mm512_min_pd(hi, v);                       /* 127 < v ? 127 : v */
        v = _mm512_max_pd(lo, v);                       /* -127 > v ? -127 : v */
        __m256i q = _mm512_cvttpd_epi32(_mm512_add_pd(_mm512_abs_pd(v), _mm512_set1_pd(0.5)));
        __mmask8 neg = _mm512_cmp_pd_mask(v, _mm512_setzero_pd(), _CMP_NGE_UQ);   /* not v >= 0 */
        q = _mm256_mask_sub_epi32(q, neg, _mm256_setzero_si256(), q);
        _mm_storel_epi64((__m128i*)est, _mm256_cvtepi32_epi8(q));    /* |values| <= 127: exact */
    }
    #else
    static void sim_learn_row8_avx512(signed char* est, const signed char* feat, double w) {
        (void)est; (void)feat; (void)w;
    }
    #endif
    """
    void learn_row8 "sim_learn_row8"(int8_t* est, const int8_t* feat, double w) noexcept nogil
    void learn_row8_avx512 "sim_learn_row8_avx512"(int8_t* est, const int8_t* feat, double w) noexcept nogil
    bint HAVE_LEARN_ROW8 "SIM_HAVE_LEARN_ROW8"


cdef inline void learn_row(int8_t* est, const int8_t* feat, double w, Py_ssize_t d_dim) noexcept nogil:
    """est <- round(127 * clamp(est/127 + w * (feat/127 - est/127), -1, 1)), half away from zero.

    Branch-free: the sign of each component is a coin flip, so a branch on it would be
    mispredicted about every other time; the clamps are min/max and the rounding takes the
    magnitude's and puts the sign back with a select (|v| + 0.5 is -v + 0.5 exactly when
    v < 0, so the values are those of rounding each sign separately).
    """
    cdef Py_ssize_t d
    cdef double v
    cdef int q
    for d in range(d_dim):
        v = est[d] * (1.0 / 127.0)
        v = v + w * (feat[d] * (1.0 / 127.0) - v)
        v = v * 127.0
        v = 127.0 if v > 127.0 else v
        v = -127.0 if v < -127.0 else v
        q = <int>(fabs(v) + 0.5)
        est[d] = <int8_t>(q if v >= 0 else -q)


cdef bint use_sse2_learn = True     # learn_row8 for D = 8 (where SSE2 is there); see set_sse2_learn


def best_sellers(
    const double[::1] sales,            # IN  float64[M] units sold (whole numbers)
    const double[::1] tiebreak,         # IN  float64[M] distinct fractions in [0, 1)
    int32_t[::1] out,                   # OUT int32[P] the best sellers, best first
):
    """The min(P, M) items with the largest sales + tiebreak, best first (the keys are
    distinct, so the order is that of a full sort); returns how many were written.

    One pass over the catalogue keeps the best so far in order (an item enters only when it
    beats the last of them): a wave's best-seller list without NumPy's passes over the
    catalogue, which cost more than the list itself.
    """
    cdef Py_ssize_t m = sales.shape[0], pool = out.shape[0], n = 0, j, q
    cdef double key
    cdef double* keys = NULL
    if tiebreak.shape[0] != m:
        raise ValueError("best_sellers: sales and tiebreak differ in length")
    if pool > m:
        pool = m
    if pool == 0:
        return 0
    keys = <double*>malloc(pool * sizeof(double))
    if keys == NULL:
        raise MemoryError()
    with nogil:
        for j in range(m):
            key = sales[j] + tiebreak[j]
            if n == pool and not (key > keys[pool - 1]):
                continue
            q = n if n < pool else pool - 1     # the slot it takes before moving up
            while q > 0 and key > keys[q - 1]:
                keys[q] = keys[q - 1]
                out[q] = out[q - 1]
                q = q - 1
            keys[q] = key
            out[q] = <int32_t>j
            if n < pool:
                n = n + 1
    free(keys)
    return n


def set_sse2_learn(bint enabled):
    """Use learn_row8 (SSE2; learn_row8_avx512 on the AVX-512 path) for D = 8 or the scalar
    learn_row; returns the previous setting.  Results are the same either way: this exists so
    that tests can run both."""
    global use_sse2_learn
    previous = use_sse2_learn
    use_sse2_learn = enabled
    return previous


def observe(
    const int64_t[::1] cust,            # IN  int64[k]
    const int32_t[::1] viewed,          # IN  int32[k] item viewed while browsing, -1 none
    const uint8_t[::1] clicked,         # IN  uint8[k] the slate's best slot was clicked
    const int8_t[::1] best,             # IN  int8[k] that slot, in [0, S) where clicked
    const int32_t[:, ::1] slate,        # IN  int32[k, S] items shown (read where clicked)
    const int32_t[::1] bought,          # IN  int32[k] item bought, -1 none
    const int8_t[:, ::1] item_feat,     # IN  int8[M, D]
    int8_t[:, ::1] est_pref,            # IN/OUT int8[N, D]
    uint16_t[::1] n_obs,                # IN/OUT uint16[N]
    int32_t[::1] last_view_item,        # IN/OUT int32[N]
    int16_t[::1] last_view_day,         # IN/OUT int16[N]
    double[::1] sales,                  # IN/OUT float64[M] units sold per item
    int day, double w_view, double w_click, double w_buy, int n_threads,
):
    """What the firm learns from a wave: views, clicks and purchases move its estimate.

    Each observed item moves the estimate toward the item's features:
    est <- est + w * (feat - est), with w = max(weight / (1 + n_obs), weight / 8), so early
    observations count fully and later ones still adapt; est is stored as round(127 * est).
    The clicked item is ``slate[t, best[t]]`` where ``clicked[t]``; every item bought adds
    one to its ``sales``.

    Returns 0, or 1 + the first clicked touch whose best slot is outside [0, S) or shows an
    item outside [0, M) (checked here, where it is read; nothing is learned from it).
    """
    cdef Py_ssize_t k = cust.shape[0], d_dim = item_feat.shape[1], t, i, e, ia
    cdef Py_ssize_t n_slot = slate.shape[1], m = item_feat.shape[0], c
    cdef int32_t item, click, buy
    cdef int8_t b
    cdef double w, weight
    cdef uint16_t seen
    cdef bint row8 = d_dim == 8 and HAVE_LEARN_ROW8 and use_sse2_learn
    cdef bint row8_avx512 = row8 and get_simd() == SIMD_AVX512
    cdef int n_parts = n_threads if n_threads > 1 else 1
    # Each thread counts the sales of its touches in its own row of ``part_sales`` and keeps
    # its first bad click in ``part_bad``; both are combined after the loop.  The counts are
    # whole numbers, so adding the rows gives the same sales in any order (and on any thread
    # count), and the first bad click is the smallest of the threads' firsts.
    cdef double* part_sales = NULL
    cdef Py_ssize_t* part_bad = NULL
    cdef Py_ssize_t bad = 0
    cdef int part
    # Raw pointers, made inside the parallel block so that each thread holds them in its own
    # locals: a memoryview read inside the loop reloads the view's data pointer and stride
    # after every store (a store through a char pointer may alias them).
    cdef const int64_t* cu = NULL
    cdef const int32_t* vw = NULL
    cdef const uint8_t* cl = NULL
    cdef const int8_t* be = NULL
    cdef const int32_t* sl = NULL
    cdef const int32_t* bt = NULL
    cdef const int8_t* feat = NULL
    cdef int8_t* ep = NULL
    cdef uint16_t* nob = NULL
    cdef int32_t* lv_item = NULL
    cdef int16_t* lv_day = NULL
    cdef double* my_sales = NULL
    cdef Py_ssize_t* seen_t = NULL      # a block's touches with something observed
    cdef int32_t* seen_click = NULL     # and their clicked items (-1 none)
    cdef Py_ssize_t n_blocks = (k + OBSERVE_BLOCK - 1) // OBSERVE_BLOCK, blk, lo, hi, q, n_seen
    if k == 0:
        return 0
    part_sales = <double*>calloc(n_parts * m + 1, sizeof(double))
    part_bad = <Py_ssize_t*>malloc(n_parts * sizeof(Py_ssize_t))
    if part_sales == NULL or part_bad == NULL:
        free(part_sales)
        free(part_bad)
        raise MemoryError()
    for part in range(n_parts):
        part_bad[part] = k
    with nogil, parallel(num_threads=n_parts):
        cu = &cust[0]
        vw = &viewed[0]
        cl = &clicked[0]
        be = &best[0]
        sl = &slate[0, 0] if n_slot > 0 else NULL
        bt = &bought[0]
        feat = &item_feat[0, 0]
        ep = &est_pref[0, 0]
        nob = &n_obs[0]
        lv_item = &last_view_item[0]
        lv_day = &last_view_day[0]
        part = threadid()
        my_sales = part_sales + part * m
        seen_t = <Py_ssize_t*>malloc(OBSERVE_BLOCK * sizeof(Py_ssize_t))
        seen_click = <int32_t*>malloc(OBSERVE_BLOCK * sizeof(int32_t))
        for blk in prange(n_blocks, schedule="static"):
            lo = blk * OBSERVE_BLOCK
            hi = lo + OBSERVE_BLOCK if lo + OBSERVE_BLOCK < k else k
            # A block in two passes.  First its sales, and its touches with something observed
            # (a view, a click or a purchase) listed with their clicked item, branch-free: in an
            # email wave a few in a hundred, in a visits wave nearly all.  Then the listed
            # touches' learning, their rows asked for some touches ahead in the list, in two
            # batches (a batch of four for one touch came late, as in respond): ahead in the
            # list, not in the wave, or an email wave's few would be asked for too late.
            n_seen = 0
            for t in range(lo, hi):
                buy = bt[t]
                if buy >= 0:
                    my_sales[buy] += 1.0
                # The clicked item: the best slot's, checked here, where it is read.
                click = -1
                if cl[t]:
                    b = be[t]
                    if <uint64_t>b < <uint64_t>n_slot:
                        click = sl[t * n_slot + b]
                    if <uint64_t>click >= <uint64_t>m:
                        if t < part_bad[part]:
                            part_bad[part] = t
                        click = -1
                seen_t[n_seen] = t
                seen_click[n_seen] = click
                n_seen = n_seen + ((vw[t] & click & buy) >= 0)   # negative only when all three are
            for q in range(n_seen):
                if q + 2 * PREFETCH_AHEAD < n_seen:
                    ia = cu[seen_t[q + 2 * PREFETCH_AHEAD]]
                    prefetch_w(&ep[ia * d_dim])
                    prefetch_w(&nob[ia])
                if q + PREFETCH_AHEAD < n_seen:
                    ia = cu[seen_t[q + PREFETCH_AHEAD]]
                    prefetch_w(&lv_item[ia])
                    prefetch_w(&lv_day[ia])
                t = seen_t[q]
                click = seen_click[q]
                buy = bt[t]
                i = cu[t]
                # The observation count in a local: the estimate's int8 stores would otherwise
                # reload it at each observation.
                seen = nob[i]
                for e in range(3):
                    if e == 0:
                        item = vw[t]
                        weight = w_view
                    elif e == 1:
                        item = click
                        weight = w_click
                    else:
                        item = buy
                        weight = w_buy
                    if item < 0:
                        continue
                    w = weight / (1.0 + seen)
                    if w < weight / 8.0:
                        w = weight / 8.0
                    if row8_avx512:
                        learn_row8_avx512(&ep[i * d_dim], &feat[item * d_dim], w)
                    elif row8:
                        learn_row8(&ep[i * d_dim], &feat[item * d_dim], w)
                    else:
                        learn_row(&ep[i * d_dim], &feat[item * d_dim], w, d_dim)
                    if seen < 65535:
                        seen = seen + 1
                        nob[i] = seen
                    if e < 2:
                        lv_item[i] = item
                        lv_day[i] = <int16_t>day
        free(seen_t)
        free(seen_click)
    # The threads' counts summed first (whole numbers: exact), then added to the sales once,
    # so that the result is the same on any thread count whatever the sales held before.
    for part in range(1, n_parts):
        for c in range(m):
            part_sales[c] += part_sales[part * m + c]
    for c in range(m):
        if part_sales[c] != 0.0:
            sales[c] += part_sales[c]
    for part in range(n_parts):
        if part_bad[part] < k and (bad == 0 or part_bad[part] + 1 < bad):
            bad = part_bad[part] + 1
    free(part_sales)
    free(part_bad)
    return bad
