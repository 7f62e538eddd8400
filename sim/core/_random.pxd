# Counter-based random numbers for the compiled kernels.
#
# Design note.  Every random number in a kernel is a pure function of
# (stream key, wave key, customer index, draw number): a SplitMix64 finalizer applied to a
# counter.  Nothing is carried from one customer to the next, so
#   * results do not depend on how a wave is split across threads or chunks,
#   * a customer's own noise is the same whatever the strategy did to other customers
#     (common random numbers across strategies),
#   * the NumPy twins (sim/core/twins/random.py) reproduce every draw bit for bit.
# Keys are uint64 values derived in Python (sim.rng); kernels never seed anything.

from libc.math cimport ceil
from libc.stdint cimport int64_t, uint32_t, uint64_t

cdef enum:
    _GOLDEN = 0x9E3779B97F4A7C15

cdef inline uint64_t mix64(uint64_t z) noexcept nogil:
    """SplitMix64 finalizer: a bijective 64-bit mix with full avalanche."""
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)

cdef inline uint64_t customer_base(uint64_t wave_key, uint64_t customer) noexcept nogil:
    """The starting counter of one customer's draws within one wave."""
    return mix64(wave_key ^ (customer * <uint64_t>0x9E3779B97F4A7C15ULL))

cdef inline uint64_t draw_bits(uint64_t base, uint64_t j) noexcept nogil:
    """Draw number j (0, 1, 2, ...) of a customer: 64 random bits."""
    return mix64(base + (j + 1) * <uint64_t>0x9E3779B97F4A7C15ULL)

cdef inline double bits_to_uniform(uint64_t bits) noexcept nogil:
    """The top 53 bits as a double in [0, 1)."""
    return <double>(bits >> 11) * (1.0 / 9007199254740992.0)

cdef inline double draw_uniform(uint64_t base, uint64_t j) noexcept nogil:
    return bits_to_uniform(draw_bits(base, j))

cdef inline uint64_t uniform_threshold(double p) noexcept nogil:
    """The integer k with  draw_uniform(b, j) < p  <=>  (draw_bits(b, j) >> 11) < k.

    A uniform is (bits >> 11) * 2**-53, so it is below p exactly when the integer
    bits >> 11 is below p * 2**53 (an exact product), i.e. below its ceiling: 0 for p <= 0
    (or NaN), 2**53 (above every draw) for p >= 1.  A coin is then decided without
    converting its draw to a double.
    """
    if not p > 0.0:
        return 0
    if p >= 1.0:
        return <uint64_t>9007199254740992ULL
    return <uint64_t>ceil(p * 9007199254740992.0)


cdef inline uint32_t bounded_low(uint64_t bits, uint32_t n) noexcept nogil:
    """An integer in [0, n) from the low 32 bits (multiply-shift, Lemire 2019)."""
    return <uint32_t>(((bits & <uint64_t>0xFFFFFFFFULL) * <uint64_t>n) >> 32)

cdef inline uint32_t bounded_high(uint64_t bits, uint32_t n) noexcept nogil:
    """An integer in [0, n) from the high 32 bits."""
    return <uint32_t>(((bits >> 32) * <uint64_t>n) >> 32)


# Runs of draws, hashed several at a time.  Three shapes recur: a block of customers' draws
# (the day kernels draw for every customer, visits and churn: two hashes each, a million
# customers a day), the same draw of a wave's listed customers (an email wave's exposure
# coin, most of the population) and a run of one customer's consecutive draws (fill_slates
# draws 32 candidates for each touch; its D = 8 pass uses the lane helpers here directly).
# The scalar multiply chain of mix64 is most of that work, so all are hashed with the widest
# vector path the CPU has, decided when the module loads:
#   * AVX-512 (F, DQ, BW, VL): eight lanes, each 64-bit product one native multiply
#     (_mm512_mullo_epi64, exact modulo 2**64);
#   * AVX2: four lanes, each 64-bit product built from three 32 x 32-bit multiplies (exact
#     modulo 2**64);
#   * otherwise (other CPUs or compilers) one at a time.
# Every value equals the scalar one bit for bit, whatever the path; the tests run every path
# the CPU has.  The setting (sim_simd) is per compiled module, each module including this
# code; the firm kernels' other vector helpers dispatch on it too.  Change it only between
# kernel calls.
cdef extern from *:
    """
    #include <stdint.h>
    #include <stddef.h>
    #define SIM_GOLDEN 0x9E3779B97F4A7C15ULL
    #define SIM_MIX1 0xBF58476D1CE4E5B9ULL
    #define SIM_MIX2 0x94D049BB133111EBULL
    static inline uint64_t sim_mix64(uint64_t z) {
        z = (z ^ (z >> 30)) * SIM_MIX1;
        z = (z ^ (z >> 27)) * SIM_MIX2;
        return z ^ (z >> 31);
    }
    /* The vector paths, narrowest first. */
    #define SIM_SIMD_SCALAR 0
    #define SIM_SIMD_AVX2 1
    #define SIM_SIMD_AVX512 2
    static int sim_simd_widest = SIM_SIMD_SCALAR;   /* the widest path this CPU has */
    static int sim_simd = SIM_SIMD_SCALAR;          /* the path in use */
    #if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    #include <immintrin.h>
    #define SIM_X86_SIMD 1
    #define SIM_TARGET_AVX2 __attribute__((target("avx2")))
    #define SIM_TARGET_AVX512 __attribute__((target("avx2,avx512f,avx512dq,avx512bw,avx512vl")))
    __attribute__((constructor)) static void sim_detect_simd(void) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
                && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
            sim_simd_widest = SIM_SIMD_AVX512;
        else if (__builtin_cpu_supports("avx2"))
            sim_simd_widest = SIM_SIMD_AVX2;
        sim_simd = sim_simd_widest;
    }
    /* a * c modulo 2**64 in each lane, c given as its low and high 32 bits. */
    SIM_TARGET_AVX2 static inline __m256i sim_mul64c(__m256i a, __m256i c_lo, __m256i c_hi) {
        __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), c_lo), _mm256_mul_epu32(a, c_hi));
        return _mm256_add_epi64(_mm256_mul_epu32(a, c_lo), _mm256_slli_epi64(cross, 32));
    }
    SIM_TARGET_AVX2 static inline __m256i sim_mix64x4(__m256i z) {
        const __m256i m1_lo = _mm256_set1_epi64x((long long)(SIM_MIX1 & 0xFFFFFFFFULL));
        const __m256i m1_hi = _mm256_set1_epi64x((long long)(SIM_MIX1 >> 32));
        const __m256i m2_lo = _mm256_set1_epi64x((long long)(SIM_MIX2 & 0xFFFFFFFFULL));
        const __m256i m2_hi = _mm256_set1_epi64x((long long)(SIM_MIX2 >> 32));
        z = sim_mul64c(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)), m1_lo, m1_hi);
        z = sim_mul64c(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)), m2_lo, m2_hi);
        return _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
    }
    SIM_TARGET_AVX512 static inline __m512i sim_mix64x8(__m512i z) {
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), _mm512_set1_epi64((long long)SIM_MIX1));
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), _mm512_set1_epi64((long long)SIM_MIX2));
        return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
    }
    /* The first lanes of a last, partial step of eight. */
    static inline __mmask8 sim_head8(ptrdiff_t count) { return (__mmask8)((1u << count) - 1u); }

    SIM_TARGET_AVX2 static void sim_customer_draws_avx2(uint64_t key, uint64_t first, ptrdiff_t count,
                                                        uint64_t j, uint64_t* out) {
        ptrdiff_t q = 0;
        const __m256i vkey = _mm256_set1_epi64x((long long)key);
        const __m256i step = _mm256_set1_epi64x((long long)(4 * SIM_GOLDEN));
        const __m256i jg = _mm256_set1_epi64x((long long)((j + 1) * SIM_GOLDEN));
        __m256i cg = _mm256_set_epi64x((long long)((first + 3) * SIM_GOLDEN), (long long)((first + 2) * SIM_GOLDEN),
                                       (long long)((first + 1) * SIM_GOLDEN), (long long)(first * SIM_GOLDEN));
        for (; q + 4 <= count; q += 4) {
            __m256i base = sim_mix64x4(_mm256_xor_si256(vkey, cg));      /* customer_base */
            _mm256_storeu_si256((__m256i*)(out + q), sim_mix64x4(_mm256_add_epi64(base, jg)));   /* draw_bits */
            cg = _mm256_add_epi64(cg, step);
        }
        for (; q < count; q++)
            out[q] = sim_mix64(sim_mix64(key ^ ((first + (uint64_t)q) * SIM_GOLDEN)) + (j + 1) * SIM_GOLDEN);
    }
    SIM_TARGET_AVX512 static void sim_customer_draws_avx512(uint64_t key, uint64_t first, ptrdiff_t count,
                                                            uint64_t j, uint64_t* out) {
        const __m512i vkey = _mm512_set1_epi64((long long)key);
        const __m512i step = _mm512_set1_epi64((long long)(8 * SIM_GOLDEN));
        const __m512i jg = _mm512_set1_epi64((long long)((j + 1) * SIM_GOLDEN));
        __m512i cg = _mm512_mullo_epi64(_mm512_add_epi64(_mm512_set1_epi64((long long)first),
                                                         _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7)),
                                        _mm512_set1_epi64((long long)SIM_GOLDEN));
        for (ptrdiff_t q = 0; q < count; q += 8) {
            __m512i v = sim_mix64x8(_mm512_add_epi64(sim_mix64x8(_mm512_xor_si512(vkey, cg)), jg));
            if (q + 8 <= count)
                _mm512_storeu_si512((void*)(out + q), v);
            else
                _mm512_mask_storeu_epi64((void*)(out + q), sim_head8(count - q), v);
            cg = _mm512_add_epi64(cg, step);
        }
    }

    /* Counters of a run: base + (j0 + 1 + lane) * golden in lane 0, 1, 2, ... */
    SIM_TARGET_AVX2 static inline __m256i sim_run_start4(uint64_t base, uint64_t j0) {
        return _mm256_add_epi64(_mm256_set1_epi64x((long long)(base + (j0 + 1) * SIM_GOLDEN)),
                                _mm256_setr_epi64x(0, (long long)SIM_GOLDEN, (long long)(2 * SIM_GOLDEN),
                                                   (long long)(3 * SIM_GOLDEN)));
    }
    SIM_TARGET_AVX512 static inline __m512i sim_run_start8(uint64_t base, uint64_t j0) {
        return _mm512_add_epi64(_mm512_set1_epi64((long long)(base + (j0 + 1) * SIM_GOLDEN)),
                                _mm512_setr_epi64(0, (long long)SIM_GOLDEN, (long long)(2 * SIM_GOLDEN),
                                                  (long long)(3 * SIM_GOLDEN), (long long)(4 * SIM_GOLDEN),
                                                  (long long)(5 * SIM_GOLDEN), (long long)(6 * SIM_GOLDEN),
                                                  (long long)(7 * SIM_GOLDEN)));
    }
    SIM_TARGET_AVX2 static void sim_draw_run_avx2(uint64_t base, uint64_t j0, ptrdiff_t n, uint64_t* out) {
        const __m256i step = _mm256_set1_epi64x((long long)(4 * SIM_GOLDEN));
        __m256i z = sim_run_start4(base, j0);
        ptrdiff_t c = 0;
        for (; c + 4 <= n; c += 4) {
            _mm256_storeu_si256((__m256i*)(out + c), sim_mix64x4(z));
            z = _mm256_add_epi64(z, step);
        }
        for (; c < n; c++)
            out[c] = sim_mix64(base + (j0 + (uint64_t)c + 1) * SIM_GOLDEN);
    }
    SIM_TARGET_AVX512 static void sim_draw_run_avx512(uint64_t base, uint64_t j0, ptrdiff_t n, uint64_t* out) {
        const __m512i step = _mm512_set1_epi64((long long)(8 * SIM_GOLDEN));
        __m512i z = sim_run_start8(base, j0);
        for (ptrdiff_t c = 0; c < n; c += 8) {
            if (c + 8 <= n)
                _mm512_storeu_si512((void*)(out + c), sim_mix64x8(z));
            else
                _mm512_mask_storeu_epi64((void*)(out + c), sim_head8(n - c), sim_mix64x8(z));
            z = _mm512_add_epi64(z, step);
        }
    }
    /* bounded_low of each lane: the high half of (bits mod 2**32) * bound, a 32 x 32-bit
       multiply; the four results land in the odd 32-bit elements, gathered to the low half. */
    SIM_TARGET_AVX2 static void sim_draw_below_run_avx2(uint64_t base, uint64_t j0, ptrdiff_t n, uint32_t bound,
                                                        uint32_t* out) {
        const __m256i step = _mm256_set1_epi64x((long long)(4 * SIM_GOLDEN));
        const __m256i vbound = _mm256_set1_epi64x((long long)bound);
        const __m256i odd = _mm256_setr_epi32(1, 3, 5, 7, 1, 3, 5, 7);
        __m256i z = sim_run_start4(base, j0);
        ptrdiff_t c = 0;
        for (; c + 4 <= n; c += 4) {
            __m256i prod = _mm256_mul_epu32(sim_mix64x4(z), vbound);
            _mm_storeu_si128((__m128i*)(out + c), _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(prod, odd)));
            z = _mm256_add_epi64(z, step);
        }
        for (; c < n; c++)
            out[c] = (uint32_t)(((sim_mix64(base + (j0 + (uint64_t)c + 1) * SIM_GOLDEN) & 0xFFFFFFFFULL)
                                 * (uint64_t)bound) >> 32);
    }
    /* Sixteen per step, each stored as one 64-byte block. */
    SIM_TARGET_AVX512 static void sim_draw_below_run_avx512(uint64_t base, uint64_t j0, ptrdiff_t n, uint32_t bound,
                                                            uint32_t* out) {
        const __m512i step = _mm512_set1_epi64((long long)(8 * SIM_GOLDEN));
        const __m512i vbound = _mm512_set1_epi64((long long)bound);
        __m512i z = sim_run_start8(base, j0);
        for (ptrdiff_t c = 0; c < n; c += 16) {
            __m256i lo = _mm512_cvtepi64_epi32(_mm512_srli_epi64(_mm512_mul_epu32(sim_mix64x8(z), vbound), 32));
            z = _mm512_add_epi64(z, step);
            __m256i hi = _mm512_cvtepi64_epi32(_mm512_srli_epi64(_mm512_mul_epu32(sim_mix64x8(z), vbound), 32));
            z = _mm512_add_epi64(z, step);
            __m512i below = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
            if (c + 16 <= n)
                _mm512_storeu_si512((void*)(out + c), below);
            else
                _mm512_mask_storeu_epi32((void*)(out + c), (__mmask16)((1u << (n - c)) - 1u), below);
        }
    }
    /* Listed customers: lane q is customer cust[q] (any order), its draw number j. */
    SIM_TARGET_AVX2 static void sim_listed_draws_avx2(uint64_t key, const int64_t* cust, ptrdiff_t count,
                                                      uint64_t j, uint64_t* out) {
        const __m256i vkey = _mm256_set1_epi64x((long long)key);
        const __m256i jg = _mm256_set1_epi64x((long long)((j + 1) * SIM_GOLDEN));
        const __m256i g_lo = _mm256_set1_epi64x((long long)(SIM_GOLDEN & 0xFFFFFFFFULL));
        const __m256i g_hi = _mm256_set1_epi64x((long long)(SIM_GOLDEN >> 32));
        ptrdiff_t q = 0;
        for (; q + 4 <= count; q += 4) {
            __m256i cg = sim_mul64c(_mm256_loadu_si256((const __m256i*)(cust + q)), g_lo, g_hi);
            __m256i base = sim_mix64x4(_mm256_xor_si256(vkey, cg));
            _mm256_storeu_si256((__m256i*)(out + q), sim_mix64x4(_mm256_add_epi64(base, jg)));
        }
        for (; q < count; q++)
            out[q] = sim_mix64(sim_mix64(key ^ ((uint64_t)cust[q] * SIM_GOLDEN)) + (j + 1) * SIM_GOLDEN);
    }
    SIM_TARGET_AVX512 static void sim_listed_draws_avx512(uint64_t key, const int64_t* cust, ptrdiff_t count,
                                                          uint64_t j, uint64_t* out) {
        const __m512i vkey = _mm512_set1_epi64((long long)key);
        const __m512i jg = _mm512_set1_epi64((long long)((j + 1) * SIM_GOLDEN));
        const __m512i golden = _mm512_set1_epi64((long long)SIM_GOLDEN);
        for (ptrdiff_t q = 0; q < count; q += 8) {
            __mmask8 lanes = q + 8 <= count ? (__mmask8)0xFF : sim_head8(count - q);
            __m512i cg = _mm512_mullo_epi64(_mm512_maskz_loadu_epi64(lanes, (const void*)(cust + q)), golden);
            __m512i v = sim_mix64x8(_mm512_add_epi64(sim_mix64x8(_mm512_xor_si512(vkey, cg)), jg));
            _mm512_mask_storeu_epi64((void*)(out + q), lanes, v);
        }
    }
    #else
    #define SIM_X86_SIMD 0
    #endif

    /* out[q] = draw_bits(customer_base(key, first + q), j) for 0 <= q < count. */
    static inline void sim_customer_draws(uint64_t key, uint64_t first, ptrdiff_t count, uint64_t j, uint64_t* out) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512) { sim_customer_draws_avx512(key, first, count, j, out); return; }
        if (sim_simd == SIM_SIMD_AVX2) { sim_customer_draws_avx2(key, first, count, j, out); return; }
    #endif
        for (ptrdiff_t q = 0; q < count; q++)
            out[q] = sim_mix64(sim_mix64(key ^ ((first + (uint64_t)q) * SIM_GOLDEN)) + (j + 1) * SIM_GOLDEN);
    }
    /* out[q] = draw_bits(customer_base(key, cust[q]), j) for 0 <= q < count. */
    static inline void sim_listed_draws(uint64_t key, const int64_t* cust, ptrdiff_t count, uint64_t j,
                                        uint64_t* out) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512) { sim_listed_draws_avx512(key, cust, count, j, out); return; }
        if (sim_simd == SIM_SIMD_AVX2) { sim_listed_draws_avx2(key, cust, count, j, out); return; }
    #endif
        for (ptrdiff_t q = 0; q < count; q++)
            out[q] = sim_mix64(sim_mix64(key ^ ((uint64_t)cust[q] * SIM_GOLDEN)) + (j + 1) * SIM_GOLDEN);
    }
    /* out[c] = draw_bits(base, j0 + c) for 0 <= c < n: a run of one customer's draws. */
    static inline void sim_draw_run(uint64_t base, uint64_t j0, ptrdiff_t n, uint64_t* out) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512) { sim_draw_run_avx512(base, j0, n, out); return; }
        if (sim_simd == SIM_SIMD_AVX2) { sim_draw_run_avx2(base, j0, n, out); return; }
    #endif
        for (ptrdiff_t c = 0; c < n; c++)
            out[c] = sim_mix64(base + (j0 + (uint64_t)c + 1) * SIM_GOLDEN);
    }
    /* out[c] = bounded_low(draw_bits(base, j0 + c), bound) for 0 <= c < n. */
    static inline void sim_draw_below_run(uint64_t base, uint64_t j0, ptrdiff_t n, uint32_t bound, uint32_t* out) {
    #if SIM_X86_SIMD
        if (sim_simd == SIM_SIMD_AVX512) { sim_draw_below_run_avx512(base, j0, n, bound, out); return; }
        if (sim_simd == SIM_SIMD_AVX2) { sim_draw_below_run_avx2(base, j0, n, bound, out); return; }
    #endif
        for (ptrdiff_t c = 0; c < n; c++)
            out[c] = (uint32_t)(((sim_mix64(base + (j0 + (uint64_t)c + 1) * SIM_GOLDEN) & 0xFFFFFFFFULL)
                                 * (uint64_t)bound) >> 32);
    }
    /* Use path `level` (clamped to what the CPU has); returns the previous path. */
    static inline int sim_set_simd(int level) {
        int previous = sim_simd;
        sim_simd = level < SIM_SIMD_SCALAR ? SIM_SIMD_SCALAR : level > sim_simd_widest ? sim_simd_widest : level;
        return previous;
    }
    static inline int sim_get_simd(void) { return sim_simd; }
    static inline int sim_get_simd_widest(void) { return sim_simd_widest; }
    """
    enum:
        SIMD_SCALAR "SIM_SIMD_SCALAR"
        SIMD_AVX2 "SIM_SIMD_AVX2"
        SIMD_AVX512 "SIM_SIMD_AVX512"
    void customer_draws "sim_customer_draws"(uint64_t key, uint64_t first, Py_ssize_t count, uint64_t j,
                                             uint64_t* out) noexcept nogil
    void listed_draws "sim_listed_draws"(uint64_t key, const int64_t* cust, Py_ssize_t count, uint64_t j,
                                         uint64_t* out) noexcept nogil
    void draw_run "sim_draw_run"(uint64_t base, uint64_t j0, Py_ssize_t n, uint64_t* out) noexcept nogil
    void draw_below_run "sim_draw_below_run"(uint64_t base, uint64_t j0, Py_ssize_t n, uint32_t bound,
                                             uint32_t* out) noexcept nogil
    int set_simd "sim_set_simd"(int level) noexcept nogil
    int get_simd "sim_get_simd"() noexcept nogil
    int get_simd_widest "sim_get_simd_widest"() noexcept nogil
