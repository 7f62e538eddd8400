# Summaries for the daily series, compiled: the population's trust each day, and each
# finished wave's counters.
#
# Design note.  Sums over a million customers must not depend on the thread count, so each
# fixed chunk of customers accumulates into its own row of the output and Python reduces the
# rows in order.  Counts are integers, hence exact in any order anyway.  A wave's tally is one
# pass over its touches: it replaces a dozen NumPy passes, masked copies and bincounts per
# wave that cost more than some of the model's stages.  It runs between the wave's kernels,
# where only the calling thread works, so an email wave's million touches are tallied the same
# way: fixed chunks of TALLY_CHUNK touches (not a function of the thread count), each counted
# into its own row of scratch by whichever thread takes it, the rows then reduced in chunk
# order.  A per-segment revenue is therefore the sum, in chunk order, of per-chunk sums taken
# in touch order: the same on any number of threads, and for a wave of one chunk the single
# ascending sum of np.bincount, to the last bit.

from cython.parallel cimport parallel, prange
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t
from libc.stdlib cimport calloc, free, malloc

from sim.core._common cimport PREFETCH_AHEAD, prefetch_r
from sim.core._random cimport get_simd_widest, set_simd as set_simd_level

cdef enum:
    # Touches per chunk of a wave's tally: about a hundred microseconds of work, so that a wave
    # of a million touches makes some sixty chunks that two or more threads share evenly, while
    # the chunks' scratch rows (a few dozen numbers each) stay negligible.  Fixed: the float
    # sums, taken per chunk, must not depend on the thread count.  Mirrored in
    # sim/core/twins/bookkeeping.py (the tests check that both agree).
    TALLY_CHUNK_ = 16384
    # Touches tested at once for anything to count by segment (tally_chunk).
    EVENT_GROUP = 16
    # Counters per chunk: exposed, clicks, orders, optouts, persofails, creepy.
    N_COUNTS = 6
    # Sums per chunk: the purchases' revenue and margin, the exposed touches' relevance and
    # best slot score.
    N_SUMS = 4

TALLY_CHUNK = TALLY_CHUNK_


cdef inline Py_ssize_t unit_bin(double v, Py_ssize_t n_bins) noexcept nogil:
    """The bin of v in [0, 1] among n_bins equal bins (values outside go to the end bins)."""
    cdef Py_ssize_t b = <Py_ssize_t>(v * n_bins)
    return n_bins - 1 if b >= n_bins else (0 if b < 0 else b)


# A chunk's histogram and sum with AVX-512, sixteen values per step: the scalar loop of
# value_histogram, operation by operation.
#   * The eight lanes of one double accumulator are the eight partial sums: lane q takes value
#     i + q, then value i + 8 + q, the same additions in the same order as the scalar loop.
#     The partial sum is the first operand (sim_add_acc), as in the scalar p = p + v: of two
#     NaNs, x86 keeps the first operand's, and a compiler may swap an addition's operands.
#     The chunk's last values (fewer than sixteen) are loaded with zeros in the missing lanes,
#     and adding 0.0 leaves a partial sum as it is (it starts at +0.0, so it is never -0.0).
#   * A bin is the scalar one: the product v * n_bins in double, truncated to int64 by the same
#     conversion as the scalar cast (NaN and products beyond the int64 range give INT64_MIN,
#     hence bin 0 on both paths), clamped to [0, n_bins - 1].
#   * The counting stays sixteen scalar increments per step (a scattered increment has no fast
#     vector form), but of the bins of SIM_HIST_LAG steps earlier, kept in a ring of
#     SIM_HIST_SLOTS steps: read straight after the vector stores that wrote them, the narrow
#     loads of the bins waited on those stores and the pass took as long as the scalar loop.
# sim_histogram_chunk counts values lo to hi into cnt[n_bins] (zeroed) and returns their sum;
# sim_histogram_vector tells whether it runs (AVX-512 in use), else value_histogram's scalar
# loop does the work.
cdef extern from *:
    """
    /* a + b with a as the first operand: of two NaNs, x86 keeps the first operand's, and a
       compiler may swap an addition's operands as it likes. */
    static inline double sim_add_left(double a, double b) {
    #if SIM_X86_SIMD
        __asm__("addsd {%1, %0|%0, %1}" : "+x"(a) : "x"(b));
        return a;
    #else
        return a + b;
    #endif
    }
    /* A chunk's sum from its eight partial sums, pairwise, in the operand order the summaries
       have always had, so that a NaN sum keeps its bits from build to build. */
    static inline double sim_pairwise8(double p0, double p1, double p2, double p3, double p4, double p5,
                                       double p6, double p7) {
        return sim_add_left(sim_add_left(sim_add_left(p0, p1), sim_add_left(p3, p2)),
                            sim_add_left(sim_add_left(p4, p5), sim_add_left(p7, p6)));
    }
    #if SIM_X86_SIMD
    #define SIM_HIST_SLOTS 16
    #define SIM_HIST_LAG (SIM_HIST_SLOTS - 1)
    SIM_TARGET_AVX512 static inline __m512d sim_add_acc(__m512d acc, __m512d x) {
        __m512d sum;
        __asm__("vaddpd {%2, %1, %0|%0, %1, %2}" : "=v"(sum) : "v"(acc), "v"(x));
        return sum;
    }
    SIM_TARGET_AVX512 static inline void sim_bins8(__m512d x, __m512d scale, __m512i top, int64_t* out) {
        __m512i b = _mm512_cvttpd_epi64(_mm512_mul_pd(x, scale));
        _mm512_store_si512((void*)out, _mm512_min_epi64(_mm512_max_epi64(b, _mm512_setzero_si512()), top));
    }
    SIM_TARGET_AVX512 static void sim_histogram_avx512(const float* vals, ptrdiff_t lo, ptrdiff_t hi,
                                                       ptrdiff_t n_bins, int64_t* cnt, double* partial) {
        const __m512d scale = _mm512_set1_pd((double)n_bins);
        const __m512i top = _mm512_set1_epi64((long long)(n_bins - 1));
        __m512d acc = _mm512_setzero_pd();
        int64_t ring[SIM_HIST_SLOTS * 16] __attribute__((aligned(64)));
        const ptrdiff_t steps = (hi - lo) / 16, rest = (hi - lo) % 16;
        ptrdiff_t s;
        for (s = 0; s < steps; s++) {
            const float* v = vals + lo + 16 * s;
            int64_t* slot = ring + 16 * (s % SIM_HIST_SLOTS);
            __m512d a = _mm512_cvtps_pd(_mm256_loadu_ps(v)), b = _mm512_cvtps_pd(_mm256_loadu_ps(v + 8));
            acc = sim_add_acc(sim_add_acc(acc, a), b);
            sim_bins8(a, scale, top, slot);
            sim_bins8(b, scale, top, slot + 8);
            if (s >= SIM_HIST_LAG) {
                const int64_t* old = ring + 16 * ((s - SIM_HIST_LAG) % SIM_HIST_SLOTS);
                for (int q = 0; q < 16; q++)
                    cnt[old[q]] += 1;
            }
        }
        /* The last SIM_HIST_LAG steps' bins, still in the ring. */
        for (s = steps > SIM_HIST_LAG ? steps - SIM_HIST_LAG : 0; s < steps; s++) {
            const int64_t* old = ring + 16 * (s % SIM_HIST_SLOTS);
            for (int q = 0; q < 16; q++)
                cnt[old[q]] += 1;
        }
        if (rest > 0) {
            const float* v = vals + lo + 16 * steps;
            const __mmask16 on = (__mmask16)((1u << rest) - 1u);
            __m512d a = _mm512_cvtps_pd(_mm256_maskz_loadu_ps((__mmask8)on, v));
            __m512d b = _mm512_cvtps_pd(_mm256_maskz_loadu_ps((__mmask8)(on >> 8), v + 8));
            acc = sim_add_acc(sim_add_acc(acc, a), b);
            sim_bins8(a, scale, top, ring);
            sim_bins8(b, scale, top, ring + 8);
            for (ptrdiff_t q = 0; q < rest; q++)
                cnt[ring[q]] += 1;
        }
        _mm512_storeu_pd(partial, acc);
    }
    #endif
    static inline int sim_histogram_vector(void) {
    #if SIM_X86_SIMD
        return sim_simd == SIM_SIMD_AVX512;
    #else
        return 0;
    #endif
    }
    static inline double sim_histogram_chunk(const float* vals, ptrdiff_t lo, ptrdiff_t hi, ptrdiff_t n_bins,
                                             int64_t* cnt) {
        double p[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    #if SIM_X86_SIMD
        sim_histogram_avx512(vals, lo, hi, n_bins, cnt, p);
    #endif
        return sim_pairwise8(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
    }
    /* x, or +0.0 when the touch was not exposed: a bit mask, not a branch (a branch on a coin
       flip mispredicts) and not a product (0 * NaN is NaN).  Adding +0.0 leaves a partial sum
       as it is (it starts at +0.0, so it is never -0.0): the same as skipping the touch. */
    static inline double sim_if_exposed(uint8_t exposed, double x) {
        uint64_t bits, keep = (uint64_t)0 - (uint64_t)(exposed != 0);
        memcpy(&bits, &x, sizeof bits);
        bits &= keep;
        memcpy(&x, &bits, sizeof x);
        return x;
    }
    /* The highest of a touch's slot scores: the first, replaced by each later one that is
       greater (0 without slots). */
    static inline float sim_best_score(const float* row, ptrdiff_t n_slot) {
        float best = n_slot > 0 ? row[0] : 0.0f;
        for (ptrdiff_t s = 1; s < n_slot; s++)
            best = row[s] > best ? row[s] : best;
        return best;
    }
    /* A tally chunk's sums of the exposed touches' relevance (sums[0]) and best slot score
       (sums[1]): eight partial sums each, partial sum q taking touches lo + q, lo + 8 + q, ...
       in order, added pairwise at the end. */
    static void sim_tally_sums_scalar(const uint8_t* exposed, const float* rel, const float* score,
                                      ptrdiff_t n_slot, ptrdiff_t lo, ptrdiff_t hi, double* sums) {
        double re[8] = {0}, be[8] = {0};
        for (ptrdiff_t t = lo; t < hi; t++) {
            ptrdiff_t q = (t - lo) % 8;
            re[q] = re[q] + sim_if_exposed(exposed[t], (double)rel[t]);
            be[q] = be[q] + sim_if_exposed(exposed[t], (double)sim_best_score(score + n_slot * t, n_slot));
        }
        sums[0] = sim_pairwise8(re[0], re[1], re[2], re[3], re[4], re[5], re[6], re[7]);
        sums[1] = sim_pairwise8(be[0], be[1], be[2], be[3], be[4], be[5], be[6], be[7]);
    }
    #if SIM_X86_SIMD
    /* The same sums with AVX-512, eight touches per step: lane q of each accumulator is
       partial sum q.  An unexposed lane is left as it is by a masked add, as adding +0.0
       would leave it.  With four slots a touch's best score is its row of four in one 128-bit
       lane, maxed as the scalar code does, (r1 > r0 ? r1 : r0), then r2 and r3 (vmaxps keeps
       its first operand when it is greater, else the second: the same choice, NaNs and zeros
       included).  Other slate sizes go through the scalar function; the last touches take
       its arithmetic. */
    SIM_TARGET_AVX512 static void sim_tally_sums_avx512(const uint8_t* exposed, const float* rel, const float* score,
                                                        ptrdiff_t n_slot, ptrdiff_t lo, ptrdiff_t hi, double* sums) {
        if (n_slot != 4) {
            sim_tally_sums_scalar(exposed, rel, score, n_slot, lo, hi, sums);
            return;
        }
        __m512d re = _mm512_setzero_pd(), be = _mm512_setzero_pd();
        const __m512i first_of_row = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0);
        ptrdiff_t t = lo;
        for (; t + 8 <= hi; t += 8) {
            __mmask8 e = _mm_cmpneq_epi8_mask(_mm_loadl_epi64((const __m128i*)(exposed + t)), _mm_setzero_si128());
            re = _mm512_mask_add_pd(re, e, re, _mm512_cvtps_pd(_mm256_loadu_ps(rel + t)));
            __m512 a = _mm512_loadu_ps(score + 4 * t), b = _mm512_loadu_ps(score + 4 * t + 16);
            a = _mm512_max_ps(_mm512_permute_ps(a, 3), _mm512_max_ps(_mm512_permute_ps(a, 2),
                              _mm512_max_ps(_mm512_permute_ps(a, 1), a)));
            b = _mm512_max_ps(_mm512_permute_ps(b, 3), _mm512_max_ps(_mm512_permute_ps(b, 2),
                              _mm512_max_ps(_mm512_permute_ps(b, 1), b)));
            __m256 best = _mm512_castps512_ps256(_mm512_permutex2var_ps(a, first_of_row, b));
            be = _mm512_mask_add_pd(be, e, be, _mm512_cvtps_pd(best));
        }
        double p[2][8];
        _mm512_storeu_pd(p[0], re);
        _mm512_storeu_pd(p[1], be);
        for (ptrdiff_t q = 0; t < hi; t++, q++) {
            p[0][q] = p[0][q] + sim_if_exposed(exposed[t], (double)rel[t]);
            p[1][q] = p[1][q] + sim_if_exposed(exposed[t], (double)sim_best_score(score + 4 * t, 4));
        }
        for (int j = 0; j < 2; j++)
            sums[j] = sim_pairwise8(p[j][0], p[j][1], p[j][2], p[j][3], p[j][4], p[j][5], p[j][6], p[j][7]);
    }
    #endif
    static inline void sim_tally_sums(const uint8_t* exposed, const float* rel, const float* score,
                                      ptrdiff_t n_slot, ptrdiff_t lo, ptrdiff_t hi, double* sums) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512) {
            sim_tally_sums_avx512(exposed, rel, score, n_slot, lo, hi, sums);
            return;
        }
    #endif
        sim_tally_sums_scalar(exposed, rel, score, n_slot, lo, hi, sums);
    }
    """
    void tally_sums "sim_tally_sums"(const uint8_t* exposed, const float* rel, const float* score,
                                     Py_ssize_t n_slot, Py_ssize_t lo, Py_ssize_t hi, double* sums) noexcept nogil
    double add_left "sim_add_left"(double a, double b) noexcept nogil
    double pairwise8 "sim_pairwise8"(double p0, double p1, double p2, double p3, double p4, double p5, double p6,
                                     double p7) noexcept nogil
    bint vector_histogram "sim_histogram_vector"() noexcept nogil
    double histogram_chunk "sim_histogram_chunk"(const float* vals, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t n_bins,
                                                 int64_t* cnt) noexcept nogil


def value_histogram(
    const float[::1] values,            # IN  float32[N] values in [0, 1]
    int64_t[:, ::1] counts,             # OUT int64[n_chunks, n_bins]
    double[::1] sums,                   # OUT float64[n_chunks]
    Py_ssize_t chunk, int n_threads,
):
    """Histogram of values in [0, 1] into n_bins equal bins, and per-chunk sums.

    Chunk c covers values[c * chunk : (c + 1) * chunk]; its histogram goes to counts[c] and
    its sum to sums[c].  A value v goes to bin int(v * n_bins) (in double), clamped to
    [0, n_bins - 1]; NaN, and values whose product overflows int64, go to bin 0.

    A chunk's sum runs in eight interleaved partial sums (value j of the chunk into partial
    j mod 8; the last j mod 8 values of the chunk into the first partials), added pairwise
    at the end: one running sum is a chain of dependent additions that took most of the
    pass.  With AVX-512 (the widest path, see set_simd) a vector helper takes each chunk,
    twice as fast: its eight double lanes are those partial sums, its bins the scalar ones,
    and it counts each step's bins a few steps later, once their vector store has reached
    the cache.  The result depends only on the values and the chunk size, never on the
    thread count or the path, to the last bit (NaN sums included).
    """
    cdef Py_ssize_t n = values.shape[0], n_chunks = counts.shape[0], n_bins = counts.shape[1]
    cdef Py_ssize_t c, i, q, lo, hi, b, end8
    cdef double p0, p1, p2, p3, p4, p5, p6, p7
    cdef const float* vals = NULL
    cdef int64_t* cnt = NULL
    cdef double* out = NULL
    if n_chunks == 0:
        return
    if n_bins < 1 or sums.shape[0] < n_chunks:
        raise ValueError("value_histogram: counts needs at least one bin and sums a row per chunk")
    # Raw pointers as thread-private locals (vals, cnt, out): a memoryview write inside the
    # loop would reload the view's data pointer after every store.
    if vector_histogram():
        # A parallel loop of its own: inside the scalar loop's, the call made the compiler
        # lay out the scalar loop differently, some 4% slower.
        with nogil, parallel(num_threads=n_threads):
            vals = &values[0] if n > 0 else NULL
            out = &sums[0]
            for c in prange(n_chunks, schedule="static"):
                cnt = &counts[c, 0]
                for b in range(n_bins):
                    cnt[b] = 0
                lo = c * chunk
                hi = lo + chunk if lo + chunk < n else n
                if hi < lo:
                    hi = lo     # a row past the values: left empty
                out[c] = histogram_chunk(vals, lo, hi, n_bins, cnt)
        return
    with nogil, parallel(num_threads=n_threads):
        vals = &values[0] if n > 0 else NULL
        out = &sums[0]
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
                for q in range(8):
                    cnt[unit_bin(vals[i + q], n_bins)] += 1
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
            out[c] = pairwise8(p0, p1, p2, p3, p4, p5, p6, p7)


cdef inline Py_ssize_t tally_events(
        const Py_ssize_t* events, Py_ssize_t n_events, const int64_t* cust, const uint8_t* segment, Py_ssize_t n_cust,
        Py_ssize_t n_seg, const int32_t* bought, const double* revenue, const double* margin,
        const uint8_t* persofail, const uint8_t* creepy, const uint8_t* opted_out, const uint8_t* basis,
        Py_ssize_t n_slot, Py_ssize_t n_basis, int64_t* counts, int64_t* slot_basis, int64_t* creepy_basis,
        double* by_segment, double* sales) noexcept nogil:
    """The purchases, persofails, creepy touches and opt-outs of the touches listed in
    ``events`` (ascending), counted into the chunk's rows (see tally_chunk), the purchases'
    revenue and margin added to sales[0] and sales[1] in touch order; returns 0, or 1 + the
    first bad touch.  Each touch's segment is asked for PREFETCH_AHEAD events ahead: the
    customers of a visits wave are spread over the population, and waiting for each one's
    segment byte took half the tally's time."""
    cdef Py_ssize_t t, s, seg, e
    cdef int64_t i, ia
    cdef int b, top, slot, bb
    for e in range(n_events):
        if e + PREFETCH_AHEAD < n_events:
            ia = cust[events[e + PREFETCH_AHEAD]]
            if ia >= 0 and ia < n_cust:
                prefetch_r(&segment[ia])
        t = events[e]
        i = cust[t]
        if i < 0 or i >= n_cust or segment[i] >= n_seg:
            return t + 1
        seg = segment[i]
        if bought[t] >= 0:
            counts[2] += 1
            by_segment[seg] = by_segment[seg] + revenue[t]
            by_segment[n_seg + seg] = by_segment[n_seg + seg] + 1.0
            by_segment[5 * n_seg + seg] = by_segment[5 * n_seg + seg] + margin[t]
            sales[0] = sales[0] + revenue[t]
            sales[1] = sales[1] + margin[t]
        if persofail[t]:
            slot = persofail[t] - 1
            if slot >= n_slot:
                return t + 1
            bb = basis[t * n_slot + slot]
            if bb >= n_basis:
                return t + 1
            counts[4] += 1
            slot_basis[slot * n_basis + bb] += 1
            by_segment[2 * n_seg + seg] = by_segment[2 * n_seg + seg] + 1.0
        if creepy[t]:
            top = 0
            for s in range(n_slot):
                b = basis[t * n_slot + s]
                top = b if b > top else top
            if top >= n_basis:
                return t + 1
            counts[5] += 1
            creepy_basis[top] += 1
            by_segment[3 * n_seg + seg] = by_segment[3 * n_seg + seg] + 1.0
        if opted_out[t]:
            counts[3] += 1
            by_segment[4 * n_seg + seg] = by_segment[4 * n_seg + seg] + 1.0
    return 0


cdef inline Py_ssize_t tally_chunk(
        Py_ssize_t lo, Py_ssize_t hi, const int64_t* cust, const uint8_t* segment, Py_ssize_t n_cust,
        Py_ssize_t n_seg, const uint8_t* exposed, const uint8_t* clicked, const int32_t* bought,
        const double* revenue, const double* margin, const uint8_t* persofail, const uint8_t* creepy,
        const uint8_t* opted_out, const uint8_t* basis, const float* rel, const float* score, Py_ssize_t n_slot,
        Py_ssize_t n_basis, int64_t* counts, int64_t* slot_basis, int64_t* creepy_basis, double* by_segment,
        double* sums, Py_ssize_t* events) noexcept nogil:
    """Count touches lo to hi into this chunk's zeroed rows (counts[N_COUNTS], slot_basis[S * B],
    creepy_basis[B], by_segment[6 * G]) and sum them into sums[N_SUMS] (see tally_wave);
    returns 0, or 1 + the first bad touch (then stops).  ``events`` is scratch for hi - lo
    touch indices."""
    cdef Py_ssize_t t, g, g_hi, bad, n_events = 0
    cdef uint32_t any_event
    # The two counters every touch adds to, in locals: through the pointer, each touch's add
    # waited for the previous touch's store.
    cdef int64_t n_exposed = 0, n_clicked = 0
    for t in range(lo, hi):
        n_exposed += exposed[t] != 0
        n_clicked += clicked[t] != 0
    tally_sums(exposed, rel, score, n_slot, lo, hi, sums + 2)
    # Most touches have nothing to count by segment (no purchase, persofail, creepiness or
    # opt-out): groups of EVENT_GROUP touches are tested at once, in a loop without exits that
    # the compiler vectorizes, and only a group with something in it is gone through, its
    # touches with something listed (in order) for tally_events.
    g = lo
    while g < hi:
        g_hi = g + EVENT_GROUP if g + EVENT_GROUP < hi else hi
        any_event = 0
        for t in range(g, g_hi):
            any_event = any_event | ((<uint32_t>bought[t] >> 31) ^ 1) | persofail[t] | creepy[t] | opted_out[t]
        if any_event:
            for t in range(g, g_hi):
                events[n_events] = t
                n_events = n_events + ((bought[t] >= 0) | (persofail[t] != 0) | (creepy[t] != 0)
                                       | (opted_out[t] != 0))
        g = g_hi
    bad = tally_events(events, n_events, cust, segment, n_cust, n_seg, bought, revenue, margin, persofail, creepy,
                       opted_out, basis, n_slot, n_basis, counts, slot_basis, creepy_basis, by_segment, sums)
    if bad:
        return bad
    counts[0] += n_exposed
    counts[1] += n_clicked
    return 0


def tally_wave(
    const int64_t[::1] cust,            # IN  int64[k]
    const uint8_t[::1] segment,         # IN  uint8[N] segment code of each customer
    const uint8_t[::1] exposed,         # IN  uint8[k]
    const uint8_t[::1] clicked,         # IN  uint8[k]
    const int32_t[::1] bought,          # IN  int32[k] item bought, -1 when none
    const double[::1] revenue,          # IN  float64[k]
    const double[::1] margin,           # IN  float64[k]
    const uint8_t[::1] persofail,       # IN  uint8[k] 1 + slot of the persofail, 0 when none
    const uint8_t[::1] creepy,          # IN  uint8[k]
    const uint8_t[::1] opted_out,       # IN  uint8[k]
    const uint8_t[:, ::1] basis,        # IN  uint8[k, S]
    const float[::1] rel,               # IN  float32[k]
    const float[:, ::1] score,          # IN  float32[k, S]
    int64_t[::1] counts,                # OUT int64[6]: exposed, clicks, orders, optouts, persofails, creepy
    int64_t[:, ::1] persofail_slot_basis,  # OUT int64[S, B] persofails by slot and that slot's basis
    int64_t[::1] creepy_basis,          # OUT int64[B] creepy touches by their most intrusive basis
    double[:, ::1] by_segment,          # OUT float64[6, G] revenue, orders, persofails, creepy, optouts, margin
    double[::1] sums,                   # OUT float64[4] the purchases' revenue and margin, the exposed
                                        #     touches' relevance and best slot score
    int n_threads=1,
):
    """A finished wave's counters and sums in one pass over its k touches; returns 0, or 1 +
    the first touch whose persofail slot, data basis or segment is out of range.

    Every output is overwritten.  The touches are counted in fixed chunks of TALLY_CHUNK (on
    ``n_threads`` threads when there are several chunks), each into its own scratch row,
    reduced in chunk order, so that no output depends on the thread count (counts are exact
    integers anyway):
      * a per-segment value is the sum over chunks, in chunk order, of sums over the chunk's
        touches in touch order (for a wave of one chunk the revenue equals ``np.bincount``'s to
        the last bit);
      * the revenue and margin of ``sums`` are sums over chunks, in chunk order, of the chunk's
        purchases in touch order (touches without a purchase are not read);
      * the relevance and best slot score (over the exposed touches) are sums over chunks, in
        chunk order, of each chunk's eight partial sums (partial sum q: the chunk's touches q,
        q + 8, q + 16, ... in order) added pairwise by sim_pairwise8.
    """
    cdef Py_ssize_t k = cust.shape[0], n_slot = basis.shape[1], n_basis = creepy_basis.shape[0]
    cdef Py_ssize_t n_seg = by_segment.shape[1], n_cust = segment.shape[0]
    cdef Py_ssize_t n_chunks = (k + TALLY_CHUNK_ - 1) // TALLY_CHUNK_
    # One scratch row per chunk: its first bad touch, counters, persofails by slot and basis,
    # creepy touches by basis; and its per-segment sums followed by its N_SUMS sums.
    cdef Py_ssize_t row_len = 1 + N_COUNTS + n_slot * n_basis + n_basis, seg_len = 6 * n_seg + N_SUMS
    cdef int64_t* rows = NULL
    cdef double* seg_rows = NULL
    cdef Py_ssize_t c, j, lo, hi
    # Raw pointers, set inside the parallel block so that each thread holds them in its own
    # locals (a memoryview read in OpenMP code reloads the view's data pointer after a store).
    cdef const int64_t* cu = NULL
    cdef const uint8_t* sg = NULL
    cdef const uint8_t* ex = NULL
    cdef const uint8_t* cl = NULL
    cdef const int32_t* bo = NULL
    cdef const double* rv = NULL
    cdef const double* mg = NULL
    cdef const uint8_t* pf = NULL
    cdef const uint8_t* cr = NULL
    cdef const uint8_t* oo = NULL
    cdef const uint8_t* ba = NULL
    cdef const float* re = NULL
    cdef const float* sc = NULL
    cdef int64_t* row = NULL
    cdef double* seg_row = NULL
    cdef Py_ssize_t* events = NULL
    # The kernel runs without bounds checks: the shapes it relies on, checked once.
    if not (exposed.shape[0] == clicked.shape[0] == bought.shape[0] == k
            and revenue.shape[0] == margin.shape[0] == persofail.shape[0] == creepy.shape[0] == k
            and opted_out.shape[0] == basis.shape[0] == rel.shape[0] == score.shape[0] == k
            and score.shape[1] == n_slot):
        raise ValueError("tally_wave: the per-touch arrays differ in length (or basis and score in slots)")
    if not (counts.shape[0] == N_COUNTS and persofail_slot_basis.shape[0] == n_slot
            and persofail_slot_basis.shape[1] == n_basis and by_segment.shape[0] == 6 and sums.shape[0] == N_SUMS):
        raise ValueError("tally_wave: an output array has the wrong shape")
    if n_chunks < 2 or n_threads < 1:
        n_threads = 1     # one chunk: nothing to share
    persofail_slot_basis[:, :] = 0
    creepy_basis[:] = 0
    by_segment[:, :] = 0.0
    counts[:] = 0
    sums[:] = 0.0
    if k == 0:
        return 0
    rows = <int64_t*>calloc(n_chunks * row_len, sizeof(int64_t))
    seg_rows = <double*>calloc(n_chunks * seg_len, sizeof(double))
    try:
        if rows == NULL or seg_rows == NULL:
            raise MemoryError()
        with nogil, parallel(num_threads=n_threads):
            cu = &cust[0]
            sg = &segment[0] if n_cust > 0 else NULL
            ex = &exposed[0]
            cl = &clicked[0]
            bo = &bought[0]
            rv = &revenue[0]
            mg = &margin[0]
            pf = &persofail[0]
            cr = &creepy[0]
            oo = &opted_out[0]
            ba = &basis[0, 0] if n_slot > 0 else NULL
            re = &rel[0]
            sc = &score[0, 0] if n_slot > 0 else NULL
            events = <Py_ssize_t*>malloc(TALLY_CHUNK_ * sizeof(Py_ssize_t))   # this thread's scratch
            for c in prange(n_chunks, schedule="static"):
                lo = c * TALLY_CHUNK_
                hi = lo + TALLY_CHUNK_ if lo + TALLY_CHUNK_ < k else k
                row = rows + c * row_len
                seg_row = seg_rows + c * seg_len
                row[0] = tally_chunk(lo, hi, cu, sg, n_cust, n_seg, ex, cl, bo, rv, mg, pf, cr, oo, ba, re, sc,
                                     n_slot, n_basis, row + 1, row + 1 + N_COUNTS,
                                     row + 1 + N_COUNTS + n_slot * n_basis, seg_row, seg_row + 6 * n_seg,
                                     events)
            free(events)
        # Reduce the chunks in order; the first bad chunk holds the wave's first bad touch.
        for c in range(n_chunks):
            row = rows + c * row_len
            if row[0]:
                return row[0]
            for j in range(N_COUNTS):
                counts[j] += row[1 + j]
            for j in range(n_slot * n_basis):
                persofail_slot_basis[j // n_basis, j % n_basis] += row[1 + N_COUNTS + j]
            for j in range(n_basis):
                creepy_basis[j] += row[1 + N_COUNTS + n_slot * n_basis + j]
            for j in range(6 * n_seg):
                by_segment[j // n_seg, j % n_seg] += seg_rows[c * seg_len + j]
            for j in range(N_SUMS):
                sums[j] = add_left(sums[j], seg_rows[c * seg_len + 6 * n_seg + j])
    finally:
        free(rows)
        free(seg_rows)
    return 0


include "_simd.pxi"
