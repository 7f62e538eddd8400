# The customer stages, compiled.
#
# Design note.  A wave is a batch of k touches, one per customer in `cust` (unique indices
# into the population).  Each stage is one loop over the batch that reads the population's
# arrays (struct of arrays, owned by Python) and the batch's per-touch arrays, and writes
# only the rows of its own customers, so touches are independent and the loop runs in
# parallel without locks.  Model arithmetic is done in double precision and stored back as
# float32, in the same order as the NumPy twins (sim/core/twins/stages.py), which therefore
# agree with these kernels to the last bit except where libm's exp() and NumPy's differ.
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
#   item_feat int8[M, D]    item features, 127 = 1.0; relevance = pref . feat / 127^2
#   trust     float32[N]    in [0, 1]
#   fatigue   float32[C, N] a row of every customer's fatigue per channel (onsite, email,
#             push, ads): the population's (N, C) array in column order, so that a day's
#             decay sweeps only the rows of channels in use
#   hist_item int32[N, H], hist_day int16[N, H]  recent purchases (NO_DAY = empty slot)

cimport cython
from cython.parallel cimport parallel, prange
from libc.stdlib cimport free, malloc
from libc.string cimport memmove, memset
from libc.math cimport exp, log
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t

from sim.core._common cimport (
    CH_ONSITE, NO_DAY, PREFETCH_AHEAD, UNIT_SQ, above_exp_bound, below_sigmoid, clamp01, dot_i8, dots8,
    OrderScratch, exposure_order, first_max_i32, give_order, prefetch_r, prefetch_w, sigmoid, take_order,
)
from sim.core._random cimport (
    SIMD_AVX512, bits_to_uniform, bounded_low, customer_base, customer_draws, draw_bits, draw_uniform, get_simd,
    get_simd_widest, listed_draws, set_simd as set_simd_level, uniform_threshold,
)

# The visitors of a block of customers, compacted.  With AVX-512 eight customers are decided
# per step: the same double arithmetic as the scalar loop, operation by operation (no fused
# multiply-add), then their indices compressed into the next slots; otherwise one at a time.
# Both write the visitors' indices at out[0], out[1], ... and return how many; past those
# they leave scratch (each customer, or step of eight, is written at the next free slots,
# which only visitors keep), never beyond the block's own n slots.
cdef extern from *:
    """
    static inline ptrdiff_t sim_visitors_scalar(const uint64_t* bits, const uint8_t* active, const float* trust,
                                                const float* visit_rate, ptrdiff_t lo, ptrdiff_t n,
                                                double slope, int64_t* out) {
        ptrdiff_t w = 0;
        for (ptrdiff_t q = 0; q < n; q++) {
            double p = (double)visit_rate[q] * (1.0 + slope * ((double)trust[q] - 0.5));
            out[w] = (int64_t)(lo + q);
            w += (active[q] != 0) & ((double)(bits[q] >> 11) * (1.0 / 9007199254740992.0) < p);
        }
        return w;
    }
    #if SIM_X86_SIMD
    /* Which of the eight bytes at p are nonzero (an active flag per customer), as a mask. */
    SIM_TARGET_AVX512 static inline __mmask8 sim_nonzero8(const uint8_t* p) {
        return _mm512_test_epi64_mask(_mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i*)p)),
                                      _mm512_set1_epi64(0xFF));
    }
    SIM_TARGET_AVX512 static ptrdiff_t sim_visitors_avx512(const uint64_t* bits, const uint8_t* active,
                                                           const float* trust, const float* visit_rate,
                                                           ptrdiff_t lo, ptrdiff_t n, double slope, int64_t* out) {
        const __m512d half = _mm512_set1_pd(0.5), one = _mm512_set1_pd(1.0), vslope = _mm512_set1_pd(slope);
        const __m512d unit = _mm512_set1_pd(1.0 / 9007199254740992.0);
        const __m512i iota = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
        ptrdiff_t q = 0, w = 0;
        for (; q + 8 <= n; q += 8) {
            __m512d tr = _mm512_cvtps_pd(_mm256_loadu_ps(trust + q));
            __m512d rate = _mm512_cvtps_pd(_mm256_loadu_ps(visit_rate + q));
            __m512d p = _mm512_mul_pd(rate, _mm512_add_pd(one, _mm512_mul_pd(vslope, _mm512_sub_pd(tr, half))));
            __m512d u = _mm512_mul_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(_mm512_loadu_si512((const void*)(bits + q)), 11)),
                                      unit);
            __mmask8 on = sim_nonzero8(active + q);
            __mmask8 visit = _mm512_mask_cmp_pd_mask(on, u, p, _CMP_LT_OQ);
            /* Compressed in a register and stored whole (a compressing store to memory is slow
               on some CPUs); the lanes past the visitors are scratch, and out + w + 7 <= lo + q + 7
               stays inside the block. */
            _mm512_storeu_si512((void*)(out + w), _mm512_maskz_compress_epi64(
                visit, _mm512_add_epi64(_mm512_set1_epi64((long long)(lo + q)), iota)));
            w += __builtin_popcount((unsigned)visit);
        }
        return w + sim_visitors_scalar(bits + q, active + q, trust + q, visit_rate + q, lo + q, n - q, slope, out + w);
    }
    #endif
    static inline ptrdiff_t sim_visitors(const uint64_t* bits, const uint8_t* active, const float* trust,
                                         const float* visit_rate, ptrdiff_t lo, ptrdiff_t n, double slope,
                                         int64_t* out) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512) return sim_visitors_avx512(bits, active, trust, visit_rate, lo, n, slope, out);
    #endif
        return sim_visitors_scalar(bits, active, trust, visit_rate, lo, n, slope, out);
    }
    """
    Py_ssize_t block_visitors "sim_visitors"(const uint64_t* bits, const uint8_t* active, const float* trust,
                                             const float* visit_rate, Py_ssize_t lo, Py_ssize_t n, double slope,
                                             int64_t* out) noexcept nogil


# A day's recovery of customers [lo, hi) on AVX-512: trust eight customers per step, a
# channel's fatigue sixteen per step, with the same float-to-double operations, in the same
# order, as recover_block; each returns the first customer it left for recover_block (hi, or
# the start of a tail shorter than a step, or lo without AVX-512).
cdef extern from *:
    """
    #if SIM_X86_SIMD
    SIM_TARGET_AVX512 static ptrdiff_t sim_relax8_avx512(ptrdiff_t lo, ptrdiff_t hi, const uint8_t* active,
                                                         float* trust, const float* trust_base, double relax) {
        const __m512d vrelax = _mm512_set1_pd(relax);
        ptrdiff_t i = lo;
        for (; i + 8 <= hi; i += 8) {
            __m256 tf = _mm256_loadu_ps(trust + i);
            __m512d t = _mm512_cvtps_pd(tf);
            __m512d r = _mm512_add_pd(t, _mm512_mul_pd(vrelax, _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(trust_base + i)), t)));
            __mmask8 on = sim_nonzero8(active + i);
            _mm256_storeu_ps(trust + i, _mm256_mask_blend_ps(on, tf, _mm512_cvtpd_ps(r)));
        }
        return i;
    }
    SIM_TARGET_AVX512 static ptrdiff_t sim_decay16_avx512(ptrdiff_t lo, ptrdiff_t hi, float* f, double decay) {
        const __m512d d = _mm512_set1_pd(decay);
        ptrdiff_t i = lo;
        for (; i + 16 <= hi; i += 16) {
            _mm256_storeu_ps(f + i, _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(f + i)), d)));
            _mm256_storeu_ps(f + i + 8, _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(f + i + 8)), d)));
        }
        return i;
    }
    #endif
    static inline ptrdiff_t sim_relax8(ptrdiff_t lo, ptrdiff_t hi, const uint8_t* active, float* trust,
                                       const float* trust_base, double relax) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512) return sim_relax8_avx512(lo, hi, active, trust, trust_base, relax);
    #endif
        return lo;
    }
    static inline ptrdiff_t sim_decay16(ptrdiff_t lo, ptrdiff_t hi, float* f, double decay) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512) return sim_decay16_avx512(lo, hi, f, decay);
    #endif
        return lo;
    }
    """
    Py_ssize_t relax_vector "sim_relax8"(Py_ssize_t lo, Py_ssize_t hi, const uint8_t* active, float* trust,
                                         const float* trust_base, double relax) noexcept nogil
    Py_ssize_t decay_vector "sim_decay16"(Py_ssize_t lo, Py_ssize_t hi, float* f, double decay) noexcept nogil


# The next churn candidate (active, draw below the hazard bound) at or after position q of
# n, or n: few customers are candidates on a day, so with AVX-512 eight are ruled out per
# step, otherwise one at a time.
cdef extern from *:
    """
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
            __mmask8 hit = _mm512_mask_cmplt_epu64_mask(on, _mm512_srli_epi64(_mm512_loadu_si512((const void*)(bits + q)), 11),
                                                        vbelow);
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
# are hashed together (four at a time with AVX2), then its customers are decided.  A block's
# recovery and churn are the two helpers below, so the fused kernel (recover_and_churn) and
# the separate ones run the very same arithmetic.

cdef union FloatBits:
    float f
    uint32_t u


cdef inline void recover_block(
    Py_ssize_t lo, Py_ssize_t hi, const uint8_t* active, float* trust, const float* trust_base,
    float* fatigue, Py_ssize_t n, Py_ssize_t n_ch, const uint8_t* live, double relax, const double* decay,
) noexcept nogil:
    """Customers [lo, hi) spend a day without contact: an active customer's trust relaxes
    toward its baseline, everyone's fatigue decays.  ``fatigue`` holds a row of ``n``
    customers per channel; only the channels with ``live[c]`` are touched (the others hold
    nothing but zeros, which decay to zeros: skipping them spares the day's pass most of its
    memory traffic)."""
    cdef Py_ssize_t i, c, start
    cdef double d
    cdef float* f
    cdef FloatBits t, relaxed
    cdef uint32_t keep
    for i in range(relax_vector(lo, hi, active, trust, trust_base, relax), hi):   # the vector path leaves a tail
        # Computed for everyone, then the inactive customers' old values put back with a bit
        # mask: the compiler vectorizes that, but neither a branch nor a select of floats.
        t.f = trust[i]
        relaxed.f = <float>(t.f + relax * (<double>trust_base[i] - t.f))
        keep = <uint32_t>0 - <uint32_t>(active[i] != 0)
        relaxed.u = (relaxed.u & keep) | (t.u & ~keep)
        trust[i] = relaxed.f
    for c in range(n_ch):
        if not live[c]:
            continue
        f = fatigue + c * n
        d = decay[c]
        start = decay_vector(lo, hi, f, d)
        for i in range(start, hi):
            f[i] = <float>(f[i] * d)


cdef inline Py_ssize_t churn_block(
    Py_ssize_t lo, Py_ssize_t hi, const uint64_t* bits, uint8_t* active, const float* trust,
    uint8_t* churned, uint8_t* consent, double hazard_max, double trust_mid, double slope,
) noexcept nogil:
    """Churn among customers [lo, hi), ``bits[i - lo]`` being customer i's draw: a churner's
    ``active`` becomes 0, its ``churned`` 1 (everyone else's 0) and, unless ``consent`` is
    NULL, its consent bits 0.  Returns the number of churners."""
    cdef Py_ssize_t i, n_churned = 0
    cdef double h, u, z
    # h <= hazard_max, so a customer with u >= hazard_max stays, decided without exp() and
    # without converting the draw to a double (uniform_threshold).
    cdef uint64_t below = uniform_threshold(hazard_max)
    cdef Py_ssize_t q
    memset(&churned[lo], 0, hi - lo)
    q = next_churn_candidate(bits, &active[lo], 0, hi - lo, below)
    while q < hi - lo:
        i = lo + q
        u = bits_to_uniform(bits[q])
        z = slope * (trust_mid - trust[i])
        # h < hazard_max * exp(z): most candidates (trust well above trust_mid) stay, decided
        # without exp().
        if above_exp_bound(u, hazard_max, z):
            q = next_churn_candidate(bits, &active[lo], q + 1, hi - lo, below)
            continue
        h = hazard_max * sigmoid(z)
        if u < h:
            active[i] = 0
            churned[i] = 1
            n_churned += 1
            if consent != NULL:
                consent[i] = 0
        q = next_churn_candidate(bits, &active[lo], q + 1, hi - lo, below)
    return n_churned


cdef inline Py_ssize_t count_active(Py_ssize_t lo, Py_ssize_t hi, const uint8_t* active) noexcept nogil:
    """The active customers among [lo, hi) (a loop the compiler vectorizes)."""
    cdef Py_ssize_t i, n = 0
    for i in range(lo, hi):
        n += active[i] != 0
    return n


def relax_and_decay(
    const uint8_t[::1] active,          # IN  uint8[N]
    float[::1] trust,                   # IN/OUT float32[N]
    const float[::1] trust_base,        # IN  float32[N]
    float[:, ::1] fatigue,              # IN/OUT float32[C, N] a row per channel
    double relax,                       # fraction of the gap to baseline closed per day
    const double[::1] decay,            # IN  float64[C] fatigue multiplier per day
    const uint8_t[::1] live,            # IN  uint8[C] 0: the channel's fatigue is all zero (left as is)
    int n_threads,
):
    """One day without contact: trust relaxes toward its baseline, fatigue decays."""
    cdef Py_ssize_t n = trust.shape[0], n_ch = fatigue.shape[0], blk, lo, hi
    cdef Py_ssize_t n_blocks = (n + DRAW_BLOCK - 1) // DRAW_BLOCK
    if n == 0:
        return
    cdef const uint8_t* act = &active[0]
    cdef float* tr = &trust[0]
    cdef const float* base = &trust_base[0]
    cdef float* fat = &fatigue[0, 0]
    cdef const double* dec = &decay[0]
    cdef const uint8_t* lv = &live[0]
    for blk in prange(n_blocks, nogil=True, num_threads=n_threads, schedule="static"):
        lo = blk * DRAW_BLOCK
        hi = lo + DRAW_BLOCK if lo + DRAW_BLOCK < n else n
        recover_block(lo, hi, act, tr, base, fat, n, n_ch, lv, relax, dec)


def churn_day(
    uint8_t[::1] active,                # IN/OUT uint8[N]; set to 0 on churn
    const float[::1] trust,             # IN  float32[N]
    uint8_t[::1] churned,               # OUT uint8[N]; 1 where the customer churned today
    double hazard_max, double trust_mid, double slope,
    uint64_t key, int n_threads,
):
    """Daily churn: hazard = hazard_max * sigmoid(slope * (trust_mid - trust)).  Draw j=0."""
    cdef Py_ssize_t n = trust.shape[0], blk, lo, hi
    cdef Py_ssize_t n_blocks = (n + DRAW_BLOCK - 1) // DRAW_BLOCK
    cdef uint64_t* bits = NULL
    if n == 0:
        return
    cdef uint8_t* act = &active[0]
    cdef const float* tr = &trust[0]
    cdef uint8_t* out = &churned[0]
    with nogil, parallel(num_threads=n_threads):
        bits = <uint64_t*>malloc(DRAW_BLOCK * sizeof(uint64_t))
        for blk in prange(n_blocks, schedule="static"):
            lo = blk * DRAW_BLOCK
            hi = lo + DRAW_BLOCK if lo + DRAW_BLOCK < n else n
            customer_draws(key, lo, hi - lo, 0, bits)
            churn_block(lo, hi, bits, act, tr, out, NULL, hazard_max, trust_mid, slope)
        free(bits)


def recover_and_churn(
    uint8_t[::1] active,                # IN/OUT uint8[N]; set to 0 on churn
    float[::1] trust,                   # IN/OUT float32[N]
    const float[::1] trust_base,        # IN  float32[N]
    float[:, ::1] fatigue,              # IN/OUT float32[C, N] a row per channel
    const double[::1] decay,            # IN  float64[C] fatigue multiplier per day
    const uint8_t[::1] live,            # IN  uint8[C] 0: the channel's fatigue is all zero (left as is)
    uint8_t[::1] churned,               # OUT uint8[N]; 1 where the customer churned today
    uint8_t[::1] consent,               # IN/OUT uint8[N]; a churner's becomes 0
    bint recover, double relax,
    double hazard_max, double trust_mid, double slope,
    uint64_t key, int n_threads,
):
    """The day's recovery and churn in one pass: relax_and_decay (when ``recover``), then
    churn_day, then ``consent[churned] = 0``.  Returns (customers who churned, customers
    active after the churn), counted in the same pass.

    The same results bit for bit as the two kernels and the assignment in turn: each
    customer's recovery, draw and decision depend on nothing but its own row, and a block's
    recovery runs before its churn.  The rows are read once instead of twice, and no pass
    over N is left to Python.  Parameters: see the two kernels.
    """
    cdef Py_ssize_t n = trust.shape[0], n_ch = fatigue.shape[0], blk, lo, hi
    cdef Py_ssize_t n_blocks = (n + DRAW_BLOCK - 1) // DRAW_BLOCK
    cdef uint64_t* bits = NULL
    cdef Py_ssize_t n_churned = 0, n_active = 0
    if n == 0:
        return 0, 0
    cdef uint8_t* act = &active[0]
    cdef float* tr = &trust[0]
    cdef const float* base = &trust_base[0]
    cdef float* fat = &fatigue[0, 0]
    cdef const double* dec = &decay[0]
    cdef const uint8_t* lv = &live[0]
    cdef uint8_t* out = &churned[0]
    cdef uint8_t* cons = &consent[0]
    with nogil, parallel(num_threads=n_threads):
        bits = <uint64_t*>malloc(DRAW_BLOCK * sizeof(uint64_t))
        for blk in prange(n_blocks, schedule="static"):
            lo = blk * DRAW_BLOCK
            hi = lo + DRAW_BLOCK if lo + DRAW_BLOCK < n else n
            customer_draws(key, lo, hi - lo, 0, bits)
            if recover:
                recover_block(lo, hi, act, tr, base, fat, n, n_ch, lv, relax, dec)
            n_churned += churn_block(lo, hi, bits, act, tr, out, cons, hazard_max, trust_mid, slope)
            n_active += count_active(lo, hi, act)
        free(bits)
    return n_churned, n_active


def select_visitors(
    const uint8_t[::1] active,          # IN  uint8[N]
    const float[::1] trust,             # IN  float32[N]
    const float[::1] visit_rate,        # IN  float32[N] visit probability per day at trust 0.5
    int64_t[::1] visitors,              # OUT int64[N]; the first (returned) count: today's visitors
    double trust_slope,
    uint64_t key, int n_threads,
):
    """Organic visits today: p = rate * max(0, 1 + trust_slope * (trust - 0.5)).  Draw j=0.

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
                # Compaction without a branch (whether a customer visits is a coin flip,
                # which a branch would mispredict); w <= lo, so the part's writes stay
                # inside the part.  An inactive customer's draw is ignored.
                w = w + block_visitors(bits, &act[lo], &tr[lo], &rate[lo], lo, hi - lo, trust_slope, &out[w])
            count[part] = w - first
        free(bits)
    total = 0
    for part in range(n_parts):
        first = part * n_blocks // n_parts * DRAW_BLOCK
        memmove(&out[total], &out[first], count[part] * sizeof(int64_t))   # total <= first
        total += count[part]
    free(count)
    return total


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
        __m512i f = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_inserti128_si256(_mm256_castsi128_si256(f01), f23, 1)),
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
            uint32_t item = (uint32_t)(((sim_mix64(base + (j + 1) * SIM_GOLDEN) & 0xFFFFFFFFULL) * (uint64_t)bound) >> 32);
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
    int day, double replenish_lo, double replenish_hi, double replenish_boost, int n_look, bint vector_look8,
    uint64_t key, int32_t* look, int32_t* look_dot, int32_t* out_item, float* out_rel, int64_t* bad,
) noexcept nogil:
    """Touch t's browsing (customer i): see browse.  ``look`` and ``look_dot`` are scratch of
    n_look entries; ``bad`` receives 1 + i when i's history holds an item outside [0, m)."""
    cdef Py_ssize_t j, h, best_item
    cdef double ratio
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
        if not dur[hitem] and hday > due_day:
            ratio = <double>(day - hday) / <double>cyc[hitem]
            if ratio >= replenish_lo and ratio <= replenish_hi:
                due_day = hday
                best_item = hitem
    if best_item >= 0:
        out_item[t] = <int32_t>best_item
        out_rel[t] = <float>(dot_i8(&pr[i * d_dim], &feat[best_item * d_dim], d_dim) * (1.0 / UNIT_SQ)
                             + replenish_boost)
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
        # (scaling by 1 / UNIT_SQ keeps their order).
        j = first_max_i32(look_dot, n_look)
        best_look = look[j]
        best_dot = look_dot[j]
    out_item[t] = best_look
    out_rel[t] = <float>(best_dot * (1.0 / UNIT_SQ))


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
    int day, double replenish_lo, double replenish_hi, double replenish_boost,
    int n_look, uint64_t key, int n_threads,
):
    """A visitor's own search.

    A visitor with a consumable due again (bought between ``replenish_lo`` and
    ``replenish_hi`` cycles ago; the most recent such purchase) comes for it: it views that
    item, with relevance pref . feat + ``replenish_boost``.  Otherwise, of n_look random
    items it views the one it likes best.  Draws j = 0 .. n_look-1 (one item index each, low
    32 bits), made only when nothing is due.

    Returns 0, or 1 + a customer whose purchase history holds an item outside [0, M) in a
    filled slot (that slot is then ignored).
    """
    cdef Py_ssize_t k = cust.shape[0], d_dim = pref.shape[1], m = item_feat.shape[0]
    cdef Py_ssize_t n_hist = hist_item.shape[1]
    cdef Py_ssize_t t, ia
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
        raise ValueError(f"browse: n_look is {n_look}, must be at least 1")
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
            browse_touch(t, cu[t], pr, d_dim, feat, m, dur, cyc, hi_item, hi_day, n_hist, day, replenish_lo,
                         replenish_hi, replenish_boost, n_look, vector_look8, key, look, look_dot, out_item,
                         out_rel, bad)
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
    int channel, double base_rate, double trust_elasticity, double fatigue_k,
    uint64_t key, int n_threads,
):
    """Is a sent message noticed (an email opened, a push seen)?  Draw j=0.

    p = base_rate * (trust / 0.5) ** trust_elasticity * exp(-fatigue_k * fatigue[channel]),
    capped at 1.
    """
    cdef Py_ssize_t k = cust.shape[0], t, i
    cdef double p, tr, u, f, x
    # With trust <= 1, fatigue >= 0 and both exponents' signs as the schema requires, p is at
    # most base_rate * 2 ** trust_elasticity: a draw above that decides "not noticed" without
    # the log and two exp() (most touches: open rates are low).
    cdef bint monotone = trust_elasticity >= 0.0 and fatigue_k >= 0.0
    cdef double p_max = base_rate * exp(trust_elasticity * log(2.0)) if monotone else 2.0
    # Below p_max (about twice the open rate), p is bracketed without log() and exp(): the
    # trust factor (trust / 0.5) ** elasticity, increasing in trust, lies between its values
    # at the edges of the trust's bin (of EXPOSE_BINS, tabled once per call), and the fatigue
    # factor exp(-x), x = fatigue_k * fatigue >= 0, between 1 - x and 1 / (1 + x).  A draw
    # above the upper end is "not noticed", below the lower end "noticed"; only the few in
    # between (a band of about x ** 2 of p) compute p.  The bounds are widened by a relative
    # 1e-9, far more than the rounding of log(), exp() and the products, so every decision is
    # the one the computed p gives.
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
            t_lo[b] = base_rate * exp(trust_elasticity * log(b / (0.5 * EXPOSE_BINS))) * (1.0 - 1e-9) if b > 0 else 0.0
            t_hi[b] = base_rate * exp(trust_elasticity * log((b + 1) / (0.5 * EXPOSE_BINS))) * (1.0 + 1e-9)
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
                    x = fatigue_k * (f if binned else 0.0)
                    no = binned & (u * (1.0 + x) >= t_hi[b])
                    yes = binned & (u < t_lo[b] * (1.0 - x))
                    if above | no | yes:
                        out[t] = yes & (not above) & (not no)
                        continue
                elif (bits[t - lo] >> 11) >= below and tr <= 1.0 and f >= 0.0:
                    out[t] = 0
                    continue
                if tr <= 0.0:
                    p = 0.0
                else:
                    p = base_rate * exp(trust_elasticity * log(tr / 0.5)) * exp(-fatigue_k * f)
                out[t] = u < p
        free(bits)
    free(t_lo)
    free(t_hi)


def perceive(
    const int64_t[::1] cust,            # IN  int64[k]
    const uint8_t[::1] exposed,         # IN  uint8[k]
    const int32_t[:, ::1] slate,        # IN  int32[k, S]
    const int8_t[:, ::1] pref,          # IN  int8[N, D]
    const int8_t[:, ::1] item_feat,     # IN  int8[M, D]
    const int32_t[::1] item_cat,        # IN  int32[M]
    const uint8_t[::1] item_durable,    # IN  uint8[M]
    const float[::1] item_cycle,        # IN  float32[M] repurchase cycle, days
    const int32_t[:, ::1] hist_item,    # IN  int32[N, H]
    const int16_t[:, ::1] hist_day,     # IN  int16[N, H]
    float[::1] rel,                     # OUT float32[k] perceived relevance of the slate
    int8_t[::1] best,                   # OUT int8[k] slot the customer likes best (-1: none)
    uint8_t[::1] persofail,             # OUT uint8[k] 1 + the first slot showing a just-bought durable, 0 if none
    int day, double persofail_window, double persofail_relevance,
    double replenish_lo, double replenish_hi, double replenish_boost,
    int n_threads,
):
    """Perceived relevance of each slot: taste match, corrected by purchase history.

    A durable whose category was bought less than ``persofail_window`` days ago is a
    persofail: its relevance becomes ``persofail_relevance``; ``persofail`` records 1 + the
    first such slot (0: none), so reports can name the rule that filled it.  A consumable whose category
    was bought between ``replenish_lo`` and ``replenish_hi`` cycles ago gains
    ``replenish_boost``.  The slate's relevance is its best slot's.  No random draws.
    """
    cdef Py_ssize_t k = cust.shape[0], n_slot = slate.shape[1], d_dim = pref.shape[1]
    cdef Py_ssize_t n_hist = hist_item.shape[1]
    cdef Py_ssize_t t, i, j, d, h, item, best_j, n_valid, ia
    cdef double s, best_s, age, min_age, ratio
    cdef int cat
    cdef uint8_t pf
    cdef int* h_cat = NULL
    cdef double* h_age = NULL
    with nogil, parallel(num_threads=n_threads):
        # The customer's purchases (category, age) are gathered once per touch, not once
        # per slot; the per-slot scan then reads them in the same order as before.
        h_cat = <int*>malloc((n_hist + 1) * sizeof(int))
        h_age = <double*>malloc((n_hist + 1) * sizeof(double))
        for t in prange(k, schedule="static"):
            if t + PREFETCH_AHEAD < k and exposed[t + PREFETCH_AHEAD]:
                ia = cust[t + PREFETCH_AHEAD]
                prefetch_r(&pref[ia, 0])
                prefetch_r(&hist_item[ia, 0])
                prefetch_r(&hist_day[ia, 0])
            rel[t] = 0.0
            best[t] = -1
            persofail[t] = 0
            if not exposed[t]:
                continue
            i = cust[t]
            n_valid = 0
            for h in range(n_hist):
                if hist_day[i, h] != NO_DAY:
                    h_cat[n_valid] = item_cat[hist_item[i, h]]
                    h_age[n_valid] = <double>(day - hist_day[i, h])
                    n_valid = n_valid + 1
            best_s = -1e300
            best_j = 0
            pf = 0
            for j in range(n_slot):
                item = slate[t, j]
                s = dot_i8(&pref[i, 0], &item_feat[item, 0], d_dim) * (1.0 / UNIT_SQ)
                # The most recent purchase in the same category, if any.
                cat = item_cat[item]
                min_age = 1e300
                for h in range(n_valid):
                    age = h_age[h]
                    min_age = age if (h_cat[h] == cat and age < min_age) else min_age
                if min_age < 1e299:
                    if item_durable[item]:
                        if min_age < persofail_window:
                            s = persofail_relevance
                            if pf == 0:
                                pf = <uint8_t>(j + 1)
                    else:
                        ratio = min_age / item_cycle[item]
                        if ratio >= replenish_lo and ratio <= replenish_hi:
                            s = s + replenish_boost
                if s > best_s:
                    best_s = s
                    best_j = j
            rel[t] = <float>best_s
            best[t] = <int8_t>best_j
            persofail[t] = pf
        free(h_cat)
        free(h_age)


cdef inline double creep_probability(const uint8_t* basis, const int32_t* slate, Py_ssize_t n_slot,
                                     const double* intrusiveness, const float* item_sensitivity,
                                     double sensitivity_floor, double scale, double obtrusiveness,
                                     double privacy, double covert_factor, double relief) noexcept nogil:
    """The chance that a touch feels creepy: its most intrusive slot (data basis x item
    sensitivity) scaled by the channel, the customer's privacy sensitivity and the strategy's
    covertness and relief, at most 1.  Shared by ``creep`` and ``respond``."""
    cdef Py_ssize_t j
    cdef double s, top = 0.0, p
    for j in range(n_slot):
        s = intrusiveness[basis[j]] * (sensitivity_floor + item_sensitivity[slate[j]])
        if s > top:
            top = s
    p = scale * top * obtrusiveness * privacy * covert_factor * relief
    return 1.0 if p > 1.0 else p


def creep(
    const int64_t[::1] cust,            # IN  int64[k]
    const uint8_t[::1] exposed,         # IN  uint8[k]
    const int32_t[:, ::1] slate,        # IN  int32[k, S]
    const uint8_t[:, ::1] basis,        # IN  uint8[k, S]
    const float[::1] item_sensitivity,  # IN  float32[M] in [0, 1]
    const float[::1] privacy,           # IN  float32[N] in [0, 1]
    const double[::1] intrusiveness,    # IN  float64[5] per data basis
    uint8_t[::1] creepy,                # OUT uint8[k]
    double obtrusiveness, double sensitivity_floor, double covert_factor,
    double relief, double scale,
    uint64_t key, int n_threads,
):
    """Does the touch feel creepy?  Draw j=0.

    score = max over slots of intrusiveness[basis] * (sensitivity_floor + item_sensitivity)
            * obtrusiveness * privacy * covert_factor * relief;
    p = min(1, scale * score).  ``covert_factor`` (>= 1 for covert collection) and ``relief``
    (<= 1 with explanation or control) are the strategy's, the same for every touch.
    """
    cdef Py_ssize_t k = cust.shape[0], n_slot = slate.shape[1], t, i, ta
    cdef double p
    for t in prange(k, nogil=True, num_threads=n_threads, schedule="static"):
        ta = t + 2 * PREFETCH_AHEAD
        if ta < k and exposed[ta]:
            prefetch_r(&privacy[cust[ta]])
        creepy[t] = 0
        if not exposed[t]:
            continue
        i = cust[t]
        p = creep_probability(&basis[t, 0], &slate[t, 0], n_slot, &intrusiveness[0], &item_sensitivity[0],
                              sensitivity_floor, scale, obtrusiveness, privacy[i], covert_factor, relief)
        creepy[t] = draw_uniform(customer_base(key, i), 0) < p


def engage(
    const int64_t[::1] cust,            # IN  int64[k]
    const uint8_t[::1] exposed,         # IN  uint8[k]
    const int32_t[:, ::1] slate,        # IN  int32[k, S]
    const float[::1] rel,               # IN  float32[k]
    const int8_t[::1] best,             # IN  int8[k]
    const uint8_t[::1] creepy,          # IN  uint8[k]
    const int32_t[::1] viewed,          # IN  int32[k] browsed item, -1 when none
    const float[::1] viewed_rel,        # IN  float32[k]
    const float[::1] trust,             # IN  float32[N]
    const float[:, ::1] fatigue,        # IN  float32[C, N] a row per channel
    const float[::1] price_sensitivity, # IN  float32[N] multiplier of price_elasticity
    const double[::1] price,            # IN  float64[M]
    const double[::1] log_price_ratio,  # IN  float64[M] log(price / reference price)
    const double[::1] margin,           # IN  float64[M] margin per unit sold
    int32_t[:, ::1] hist_item,          # IN/OUT int32[N, H]
    int16_t[:, ::1] hist_day,           # IN/OUT int16[N, H]
    uint8_t[::1] clicked,               # OUT uint8[k]
    int32_t[::1] bought,                # OUT int32[k] item bought, -1 when none
    double[::1] revenue,                # OUT float64[k]
    double[::1] margin_out,             # OUT float64[k]
    int channel, int day,
    double click_bias, double click_relevance, double click_trust, double click_fatigue,
    double click_creepy, double buy_bias, double buy_relevance, double buy_trust,
    double price_elasticity, double organic_bias,
    uint64_t key, int n_threads,
):
    """Click and purchase.  Draws: j=0 click, j=1 purchase of the clicked item, j=2 organic.

    p_click = sigmoid(click_bias + click_relevance*rel + click_trust*(trust-0.5)
                      - click_fatigue*fatigue[channel] - click_creepy*creepy)
    p_buy   = sigmoid(bias + buy_relevance*r + buy_trust*(trust-0.5)
                      - price_elasticity*price_sensitivity*log_price_ratio[item])
    with bias = buy_bias for the clicked slot (r = rel) and organic_bias for the browsed item
    (r = viewed_rel), which is considered only when the slate sold nothing.  A purchase
    replaces the oldest slot of the purchase history.
    """
    cdef Py_ssize_t k = cust.shape[0], n_hist = hist_item.shape[1], t, i, h, oldest, ia
    cdef double tr, p, x
    cdef int32_t item
    cdef uint64_t base
    for t in prange(k, nogil=True, num_threads=n_threads, schedule="static"):
        if t + PREFETCH_AHEAD < k and exposed[t + PREFETCH_AHEAD]:
            ia = cust[t + PREFETCH_AHEAD]
            prefetch_r(&trust[ia])
            prefetch_r(&fatigue[channel, ia])
            prefetch_r(&price_sensitivity[ia])
            prefetch_w(&hist_item[ia, 0])
            prefetch_w(&hist_day[ia, 0])
        clicked[t] = 0
        bought[t] = -1
        revenue[t] = 0.0
        margin_out[t] = 0.0
        if not exposed[t]:
            continue
        i = cust[t]
        base = customer_base(key, i)
        tr = trust[i] - 0.5
        item = -1
        if best[t] >= 0:
            x = (click_bias + click_relevance * rel[t] + click_trust * tr
                 - click_fatigue * fatigue[channel, i] - click_creepy * creepy[t])
            if draw_uniform(base, 0) < sigmoid(x):
                clicked[t] = 1
                item = slate[t, best[t]]
                x = (buy_bias + buy_relevance * rel[t] + buy_trust * tr
                     - price_elasticity * price_sensitivity[i] * log_price_ratio[item])
                if not (draw_uniform(base, 1) < sigmoid(x)):
                    item = -1
        if item < 0 and viewed[t] >= 0:
            x = (organic_bias + buy_relevance * viewed_rel[t] + buy_trust * tr
                 - price_elasticity * price_sensitivity[i] * log_price_ratio[viewed[t]])
            if draw_uniform(base, 2) < sigmoid(x):
                item = viewed[t]
        if item >= 0:
            bought[t] = item
            revenue[t] = price[item]
            margin_out[t] = margin[item]
            oldest = 0
            for h in range(1, n_hist):
                if hist_day[i, h] < hist_day[i, oldest]:
                    oldest = h
            hist_item[i, oldest] = item
            hist_day[i, oldest] = <int16_t>day


def update_trust(
    const int64_t[::1] cust,            # IN  int64[k]
    const uint8_t[::1] exposed,         # IN  uint8[k]
    const float[::1] rel,               # IN  float32[k]
    const uint8_t[::1] persofail,       # IN  uint8[k]
    const uint8_t[::1] creepy,          # IN  uint8[k]
    const float[::1] privacy,           # IN  float32[N]
    float[::1] trust,                   # IN/OUT float32[N]
    float[::1] rel_mean,                # IN/OUT float32[N] running perceived relevance
    double gain, double loss_irrelevant, double loss_persofail, double loss_creepy,
    double relevant_above, double irrelevant_below, double rel_memory,
    int n_threads,
):
    """Asymmetric trust update of exposed touches.  No random draws.

    A creepy touch costs loss_creepy * privacy * t and a persofail loss_persofail * t (both
    when both); otherwise a relevant touch (rel >= relevant_above) gains gain * (1 - t), an
    irrelevant one (rel < irrelevant_below) costs loss_irrelevant * t, and one in between
    leaves trust alone.  rel_mean <- (1 - rel_memory) * rel_mean + rel_memory * rel.
    """
    cdef Py_ssize_t k = cust.shape[0], t, i, ta
    cdef double tr, r
    for t in prange(k, nogil=True, num_threads=n_threads, schedule="static"):
        ta = t + 2 * PREFETCH_AHEAD
        if ta < k and exposed[ta]:
            prefetch_w(&trust[cust[ta]])
            prefetch_r(&privacy[cust[ta]])
            prefetch_w(&rel_mean[cust[ta]])
        if not exposed[t]:
            continue
        i = cust[t]
        tr = trust[i]
        r = rel[t]
        if creepy[t] or persofail[t]:
            if creepy[t]:
                tr = tr - loss_creepy * privacy[i] * tr
            if persofail[t]:
                tr = tr - loss_persofail * tr
        elif r >= relevant_above:
            tr = tr + gain * (1.0 - tr)
        elif r < irrelevant_below:
            tr = tr - loss_irrelevant * tr
        trust[i] = <float>clamp01(tr)
        rel_mean[i] = <float>((1.0 - rel_memory) * rel_mean[i] + rel_memory * r)


def add_fatigue(
    const int64_t[::1] cust,            # IN  int64[k]
    const float[::1] fatigue_sensitivity,  # IN  float32[N]
    float[:, ::1] fatigue,              # IN/OUT float32[C, N] a row per channel
    int channel, double cost, int n_threads,
):
    """Every contact on a channel adds ``cost * fatigue_sensitivity`` to that channel's fatigue."""
    cdef Py_ssize_t k = cust.shape[0], t, i
    for t in prange(k, nogil=True, num_threads=n_threads, schedule="static"):
        i = cust[t]
        fatigue[channel, i] = <float>(fatigue[channel, i] + cost * fatigue_sensitivity[i])


def opt_out(
    const int64_t[::1] cust,            # IN  int64[k]
    const uint8_t[::1] exposed,         # IN  uint8[k]
    const uint8_t[::1] creepy,          # IN  uint8[k]
    const float[::1] trust,             # IN  float32[N]
    const float[:, ::1] fatigue,        # IN  float32[C, N] a row per channel
    uint8_t[::1] consent,               # IN/OUT uint8[N] bit `channel` cleared on opt-out
    uint8_t[::1] opted_out,             # OUT uint8[k]
    int channel, double base_hazard, double fatigue_k, double trust_k, double creepy_multiplier,
    uint64_t key, int n_threads,
):
    """Unsubscribe from a channel after an exposed touch.  Draw j=0.

    h = base_hazard * exp(fatigue_k * fatigue[channel] + trust_k * (0.5 - trust))
        * (creepy_multiplier if creepy else 1), capped at 1.
    """
    cdef Py_ssize_t k = cust.shape[0], t, i
    cdef double h
    cdef uint8_t bit = <uint8_t>(1 << channel)
    for t in prange(k, nogil=True, num_threads=n_threads, schedule="static"):
        opted_out[t] = 0
        if not exposed[t]:
            continue
        i = cust[t]
        h = base_hazard * exp(fatigue_k * fatigue[channel, i] + trust_k * (0.5 - trust[i]))
        if creepy[t]:
            h = h * creepy_multiplier
        if draw_uniform(customer_base(key, i), 0) < h:
            opted_out[t] = 1
            consent[i] = consent[i] & (~bit)


# --------------------------------------------------------------------------- fused response

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
    const double[::1] intrusiveness,    # IN  float64[5] per data basis
    const float[::1] privacy,           # IN  float32[N] in [0, 1]
    const float[::1] price_sensitivity, # IN  float32[N]
    const float[::1] fatigue_sensitivity,  # IN  float32[N]
    float[::1] trust,                   # IN/OUT float32[N]
    float[::1] rel_mean,                # IN/OUT float32[N]
    float[:, ::1] fatigue,              # IN/OUT float32[C, N] a row per channel
    uint8_t[::1] consent,               # IN/OUT uint8[N]
    int32_t[:, ::1] hist_item,          # IN/OUT int32[N, H]
    int16_t[:, ::1] hist_day,           # IN/OUT int16[N, H]
    float[::1] rel,                     # OUT float32[k]
    int8_t[::1] best,                   # OUT int8[k]
    uint8_t[::1] persofail,             # OUT uint8[k]
    uint8_t[::1] creepy,                # OUT uint8[k]
    uint8_t[::1] clicked,               # OUT uint8[k]
    int32_t[::1] bought,                # OUT int32[k]
    double[::1] revenue,                # OUT float64[k]
    double[::1] margin_out,             # OUT float64[k]
    uint8_t[::1] opted_out,             # OUT uint8[k] (written only when ``optout``)
    int channel, int day,
    # perceive
    double persofail_window, double persofail_relevance,
    double replenish_lo, double replenish_hi, double replenish_boost,
    # creep
    double obtrusiveness, double sensitivity_floor, double covert_factor, double relief, double scale,
    uint64_t creep_key,
    # engage
    double click_bias, double click_relevance, double click_trust, double click_fatigue,
    double click_creepy, double buy_bias, double buy_relevance, double buy_trust,
    double price_elasticity, double organic_bias, uint64_t engage_key,
    # update_trust
    double gain, double loss_irrelevant, double loss_persofail, double loss_creepy,
    double relevant_above, double irrelevant_below, double rel_memory,
    # add_fatigue (skipped when fatigue_cost <= 0)
    double fatigue_cost,
    # opt_out (skipped when optout == 0)
    int optout, double base_hazard, double optout_fatigue_k, double trust_k, double creepy_multiplier,
    uint64_t optout_key,
    int n_threads,
    # browse (when ``browse_visits``)
    bint browse_visits=False, int n_look=8, uint64_t browse_key=0,
    # False: this channel's fatigue row is all zeros (and fatigue_cost is 0), so not read
    bint fatigue_live=True,
):
    """perceive, creep, engage, update_trust, add_fatigue, opt_out in one pass per touch.

    Each touch runs the six stages' bodies in pipeline order on its own customer, so the
    results are bit for bit those of calling the six kernels in turn (same draws from each
    stage's key, same operations in the same order, values passed between stages through
    float32 exactly as the per-touch arrays store them): customers are unique within a wave,
    so no touch sees another's writes.  The customer's rows are loaded once instead of once
    per stage, and the purchase history is scanned once (perceive's categories and ages and
    engage's oldest slot).  ``add_fatigue`` runs when ``fatigue_cost > 0``, ``opt_out`` when
    ``optout`` is nonzero, as in the customer model.  Parameters: see the six kernels.

    With ``browse_visits`` (a visits wave: every touch exposed), each touch first runs
    browse's body with ``n_look`` and ``browse_key``, writing ``viewed`` and ``viewed_rel``:
    the same results as browse before this call, bit for bit (browse reads nothing that the
    strategy's slates or an earlier touch of this call change), with the customer's taste
    and purchase rows read once for both.

    ``fatigue_live=False`` says that the channel's fatigue row holds zeros only (onsite,
    whose visits add no fatigue): the response then takes the fatigue as 0 without reading
    the row, sparing a visit one of the rows it fetches.  It needs ``fatigue_cost <= 0``.

    Returns 0, or 1 + an exposed customer whose purchase history holds an item outside
    [0, M) in a filled slot (that slot is then ignored).
    """
    cdef Py_ssize_t k = cust.shape[0], n_slot = slate.shape[1], d_dim = pref.shape[1]
    cdef Py_ssize_t n_hist = hist_item.shape[1]
    cdef Py_ssize_t t, i, j, h, item_j, best_j, n_valid, oldest, ia
    cdef double s, best_s, age, min_age, ratio, p, tr, r, x, hz, u
    cdef int cat
    cdef uint8_t pf, cr
    cdef bint durable, fail, due
    cdef float rel_f
    cdef int32_t item
    cdef uint64_t base
    cdef uint8_t bit = <uint8_t>(1 << channel)
    cdef bint add_fat = fatigue_cost > 0.0
    cdef float fat_i                  # the customer's fatigue on this channel (0 when not live)
    cdef int* h_cat = NULL
    cdef double* h_age = NULL
    cdef int32_t* slot_dot = NULL
    cdef Py_ssize_t m_items = item_cat.shape[0]
    cdef int64_t bad_customer = 0
    cdef int64_t* bad = &bad_customer
    cdef Py_ssize_t e, n_seen, n_unseen
    cdef Py_ssize_t* order = NULL
    cdef Py_ssize_t order_cap = 0
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
    n_seen = 0
    n_unseen = 0
    # Raw pointers, made inside each parallel block so that every thread holds them in its own
    # locals (see browse): rows are indexed with the row lengths below.
    cdef const int64_t* cu = NULL
    cdef const int8_t* pr = NULL
    cdef const int8_t* feat = NULL
    cdef const int32_t* sl = NULL
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
    if add_fat and not fatigue_live:
        give_order(&kept_order, order, order_cap)
        raise ValueError(f"respond: fatigue_live is False (a row of zeros) but fatigue_cost is {fatigue_cost}, "
                         "which adds fatigue; allowed: fatigue_cost <= 0 with fatigue_live False")
    if browse_visits and (n_unseen > 0 or n_look < 1):
        give_order(&kept_order, order, order_cap)
        raise ValueError(f"respond: browse_visits needs every touch exposed ({n_unseen} are not) and n_look >= 1 "
                         f"(n_look is {n_look})")
    with nogil, parallel(num_threads=n_threads):
        cu = &cust[0] if k > 0 else NULL
        fat = &fatigue[channel, 0]       # this channel's row
        fsens = &fatigue_sensitivity[0]
        # The unexposed touches: nothing seen, only the contact's fatigue.
        for e in prange(n_unseen, schedule="static"):
            t = order[k - 1 - e]
            if add_fat and e + PREFETCH_AHEAD < n_unseen:
                ia = cu[order[k - 1 - e - PREFETCH_AHEAD]]
                prefetch_w(&fat[ia])
                prefetch_r(&fsens[ia])
            i = cu[t]
            rel[t] = 0.0
            best[t] = -1
            persofail[t] = 0
            creepy[t] = 0
            clicked[t] = 0
            bought[t] = -1
            revenue[t] = 0.0
            margin_out[t] = 0.0
            if add_fat:
                fat[i] = <float>(fat[i] + fatigue_cost * fsens[i])
            if optout:
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
                if optout:
                    prefetch_w(&cons[ia])
                if add_fat:
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
                browse_touch(t, i, pr, d_dim, feat, m_items, idur, icyc, hitem, hday, n_hist, day, replenish_lo,
                             replenish_hi, replenish_boost, n_look, vector_look8, browse_key, look, look_dot,
                             o_viewed, o_vrel, bad)

            # perceive ---------------------------------------------------------------
            # One scan of the history: the valid purchases (category, age) for perceive and
            # the oldest slot (first minimum of hist_day) for a purchase in engage.
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
                # products (scaling by 1 / UNIT_SQ keeps their order and ties), without the
                # slots' catalogue lookups and cycle divisions below.
                best_j = first_max_i32(slot_dot, n_slot)
                best_s = slot_dot[best_j] * (1.0 / UNIT_SQ)
            for j in range(0 if n_valid == 0 else n_slot):
                item_j = sl[t * n_slot + j]
                s = slot_dot[j] * (1.0 / UNIT_SQ)
                cat = icat[item_j]
                min_age = 1e300
                for h in range(n_valid):
                    age = h_age[h]
                    min_age = age if (h_cat[h] == cat and age < min_age) else min_age
                # perceive's rules as selects (whether a slot's category was bought, and when,
                # varies from slot to slot, so branches on it would be mispredicted): a
                # just-bought durable is a persofail, a consumable due again gets the boost.
                ratio = min_age / icyc[item_j]
                durable = idur[item_j] != 0
                fail = (min_age < 1e299) & durable & (min_age < persofail_window)
                due = (min_age < 1e299) & (not durable) & (ratio >= replenish_lo) & (ratio <= replenish_hi)
                s = persofail_relevance if fail else (s + replenish_boost if due else s)
                pf = <uint8_t>(j + 1) if (fail and pf == 0) else pf
                best_j = j if s > best_s else best_j
                best_s = s if s > best_s else best_s
            rel_f = <float>best_s
            o_rel[t] = rel_f
            o_best[t] = <int8_t>best_j
            o_pf[t] = pf

            # creep ------------------------------------------------------------------
            p = creep_probability(&basis[t, 0], &sl[t * n_slot], n_slot, &intrusiveness[0], isens,
                                  sensitivity_floor, scale, obtrusiveness, priv[i], covert_factor, relief)
            cr = draw_uniform(customer_base(creep_key, i), 0) < p
            o_creepy[t] = cr

            # engage (best_j >= 0: every exposed touch has a best slot) ----------------
            o_clicked[t] = 0
            base = customer_base(engage_key, i)
            tr = trs[i] - 0.5
            item = -1
            fat_i = fat[i] if fatigue_live else 0.0
            x = (click_bias + click_relevance * rel_f + click_trust * tr
                 - click_fatigue * fat_i - click_creepy * cr)
            if below_sigmoid(draw_uniform(base, 0), x):
                o_clicked[t] = 1
                item = sl[t * n_slot + best_j]
                x = (buy_bias + buy_relevance * rel_f + buy_trust * tr
                     - price_elasticity * psens[i] * i_lpr[item])
                if not below_sigmoid(draw_uniform(base, 1), x):
                    item = -1
            viewed_item = i_viewed[t]
            if item < 0 and viewed_item >= 0:
                x = (organic_bias + buy_relevance * i_vrel[t] + buy_trust * tr
                     - price_elasticity * psens[i] * i_lpr[viewed_item])
                if below_sigmoid(draw_uniform(base, 2), x):
                    item = viewed_item
            if item >= 0:
                o_bought[t] = item
                o_rev[t] = i_price[item]
                o_margin[t] = i_margin[item]
                hitem[i * n_hist + oldest] = item
                hday[i * n_hist + oldest] = <int16_t>day
            else:
                o_bought[t] = -1
                o_rev[t] = 0.0
                o_margin[t] = 0.0

            # update_trust -------------------------------------------------------------
            tr = trs[i]
            r = rel_f
            if cr or pf:
                if cr:
                    tr = tr - loss_creepy * priv[i] * tr
                if pf:
                    tr = tr - loss_persofail * tr
            else:
                # Relevant, irrelevant or in between as selects (the relevance of a slate is
                # not predictable from the previous touch's).
                tr = (tr + gain * (1.0 - tr) if r >= relevant_above
                      else (tr - loss_irrelevant * tr if r < irrelevant_below else tr))
            trs[i] = <float>clamp01(tr)
            rmean[i] = <float>((1.0 - rel_memory) * rmean[i] + rel_memory * r)

            # add_fatigue ----------------------------------------------------------------
            if add_fat:
                fat_i = <float>(fat_i + fatigue_cost * fsens[i])
                fat[i] = fat_i

            # opt_out ----------------------------------------------------------------------
            if optout:
                o_opted[t] = 0
                x = optout_fatigue_k * fat_i + trust_k * (0.5 - trs[i])
                u = draw_uniform(customer_base(optout_key, i), 0)
                # Hazards are small: most opened emails keep the subscription, decided
                # without exp().
                if above_exp_bound(u, (creepy_multiplier if cr else 1.0) * base_hazard, x):
                    continue
                hz = base_hazard * exp(x)
                if cr:
                    hz = hz * creepy_multiplier
                if u < hz:
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
