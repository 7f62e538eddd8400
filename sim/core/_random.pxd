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

from libc.stdint cimport uint32_t, uint64_t

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

cdef inline uint32_t bounded_low(uint64_t bits, uint32_t n) noexcept nogil:
    """An integer in [0, n) from the low 32 bits (multiply-shift, Lemire 2019)."""
    return <uint32_t>(((bits & <uint64_t>0xFFFFFFFFULL) * <uint64_t>n) >> 32)

cdef inline uint32_t bounded_high(uint64_t bits, uint32_t n) noexcept nogil:
    """An integer in [0, n) from the high 32 bits."""
    return <uint32_t>(((bits >> 32) * <uint64_t>n) >> 32)


# A block of customers' draws, four at a time with AVX2 where the CPU has it (decided when
# the module loads), else one at a time.  The day kernels draw for every customer (visits,
# churn: two hashes each, a million customers a day), and the scalar multiply chain of mix64
# is most of their work.  The AVX2 path builds each 64-bit product from three 32 x 32-bit
# multiplies (exact modulo 2**64), so every value equals the scalar one bit for bit; the
# tests run both paths.
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
    static int sim_use_avx2_draws = 0;
    #if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    #include <immintrin.h>
    #define SIM_AVX2_DRAWS 1
    __attribute__((constructor)) static void sim_detect_avx2_draws(void) {
        __builtin_cpu_init();
        sim_use_avx2_draws = __builtin_cpu_supports("avx2");
    }
    /* a * c modulo 2**64 in each lane, c given as its low and high 32 bits. */
    __attribute__((target("avx2"))) static inline __m256i sim_mul64c(__m256i a, __m256i c_lo, __m256i c_hi) {
        __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), c_lo), _mm256_mul_epu32(a, c_hi));
        return _mm256_add_epi64(_mm256_mul_epu32(a, c_lo), _mm256_slli_epi64(cross, 32));
    }
    __attribute__((target("avx2"))) static inline __m256i sim_mix64x4(__m256i z) {
        const __m256i m1_lo = _mm256_set1_epi64x((long long)(SIM_MIX1 & 0xFFFFFFFFULL));
        const __m256i m1_hi = _mm256_set1_epi64x((long long)(SIM_MIX1 >> 32));
        const __m256i m2_lo = _mm256_set1_epi64x((long long)(SIM_MIX2 & 0xFFFFFFFFULL));
        const __m256i m2_hi = _mm256_set1_epi64x((long long)(SIM_MIX2 >> 32));
        z = sim_mul64c(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)), m1_lo, m1_hi);
        z = sim_mul64c(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)), m2_lo, m2_hi);
        return _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
    }
    __attribute__((target("avx2"))) static void sim_customer_draws_avx2(uint64_t key, uint64_t first,
                                                                       ptrdiff_t count, uint64_t j, uint64_t* out) {
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
    #else
    #define SIM_AVX2_DRAWS 0
    #endif
    /* out[q] = draw_bits(customer_base(key, first + q), j) for 0 <= q < count. */
    static inline void sim_customer_draws(uint64_t key, uint64_t first, ptrdiff_t count, uint64_t j, uint64_t* out) {
    #if SIM_AVX2_DRAWS
        if (sim_use_avx2_draws) { sim_customer_draws_avx2(key, first, count, j, out); return; }
    #endif
        for (ptrdiff_t q = 0; q < count; q++)
            out[q] = sim_mix64(sim_mix64(key ^ ((first + (uint64_t)q) * SIM_GOLDEN)) + (j + 1) * SIM_GOLDEN);
    }
    /* Use the AVX2 path (where the CPU has it) or not; returns the previous setting. */
    static inline int sim_set_avx2_draws(int enabled) {
        int previous = sim_use_avx2_draws;
    #if SIM_AVX2_DRAWS
        __builtin_cpu_init();
        sim_use_avx2_draws = enabled && __builtin_cpu_supports("avx2");
    #else
        (void)enabled;
    #endif
        return previous;
    }
    """
    void customer_draws "sim_customer_draws"(uint64_t key, uint64_t first, Py_ssize_t count, uint64_t j,
                                             uint64_t* out) noexcept nogil
    int set_avx2_draws "sim_set_avx2_draws"(int enabled) noexcept nogil
