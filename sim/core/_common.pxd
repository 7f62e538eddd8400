# Shared constants and one-element helpers of the customer kernels.
#
# Channel and data-basis codes are mirrored in sim/codes.py (the Python side); the tests
# check that both agree.

from libc.math cimport exp, fabs
from libc.stdint cimport int8_t, int32_t

cdef enum Channel:
    CH_ONSITE = 0
    CH_EMAIL = 1
    CH_PUSH = 2
    CH_ADS = 3
    N_CHANNELS = 4

cdef enum DataBasis:
    BASIS_NONE = 0
    BASIS_STATED = 1
    BASIS_ONSITE = 2
    BASIS_INFERRED = 3
    BASIS_OFFSITE = 4
    N_BASES = 5

# hist_day value of an empty purchase-history slot.
cdef enum:
    NO_DAY = -32768

cdef inline double sigmoid(double x) noexcept nogil:
    return 1.0 / (1.0 + exp(-x))

# u < sigmoid(x) without exp() in most cases.  A purchase or click coin compares a uniform u
# with a logistic probability; exp() costs more than the rest of the decision.  An estimate
# of e**y good to a relative 6e-5 puts the probability within 2e-5 of the exact one, so when
# u is farther than 1e-3 from the estimate (all but ~0.2% of coins) it lies on the same side
# of both, and otherwise the exact sigmoid decides: the outcome is always that of
# ``u < sigmoid(x)``.
cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    /* 2**n for -1022 <= n <= 1023, from the exponent bits. */
    static inline double sim_pow2i(int n) {
        uint64_t bits = (uint64_t)(n + 1023) << 52;
        double d;
        memcpy(&d, &bits, sizeof d);
        return d;
    }
    """
    double pow2i "sim_pow2i"(int n) noexcept nogil

cdef inline double exp_estimate(double y) noexcept nogil:
    """e**y within a relative 6e-5, for |y| <= 20.

    e**y = 2**n * e**f with n = round(y / ln 2) and |f| <= ln(2) / 2; e**f by its degree-4
    Taylor polynomial, whose remainder is below 1.42 * 0.347**5 / 120 < 6e-5.
    """
    cdef double z = y * 1.4426950408889634          # y / ln 2
    cdef int n = <int>(z + 32.5) - 32               # round(z); z + 32.5 > 0, so <int> floors
    cdef double f = (z - n) * 0.6931471805599453
    return (1.0 + f * (1.0 + f * (0.5 + f * (1.0 / 6.0 + f * (1.0 / 24.0))))) * pow2i(n)

cdef inline bint below_sigmoid(double u, double x) noexcept nogil:
    """``u < sigmoid(x)``, exactly, usually without calling exp().

    With a = 1 + exp_estimate(-x), the estimate of sigmoid(x) is p = 1 / a, within 1.5e-5 of
    the exact value; u < p is u * a < 1, decided without a division when u is more than
    1e-3 away from p (|u * a - 1| > 1e-3 * a).  Nearer than that, sigmoid(x) is computed.
    """
    cdef double y = -x, a, d
    if -20.0 <= y <= 20.0:
        a = 1.0 + exp_estimate(y)
        d = u * a - 1.0
        if fabs(d) > 1e-3 * a:
            return d < 0.0
    return u < sigmoid(x)

cdef inline double clamp01(double x) noexcept nogil:
    if x < 0.0:
        return 0.0
    if x > 1.0:
        return 1.0
    return x


# Tastes and item features are int8 (127 = 1.0): a dot product is an exact integer sum,
# identical in any order, so the NumPy twins match bit for bit and the loop is cheap.
cdef enum:
    UNIT_SQ = 16129       # 127 * 127: an int8 dot divided by this is the cosine-like match

cdef inline int dot_i8(const signed char* a, const signed char* b, Py_ssize_t n) noexcept nogil:
    cdef int s = 0
    cdef Py_ssize_t d
    if n == 8:
        # The default dimension, unrolled: no loop control, independent products.
        return ((<int>a[0] * b[0] + <int>a[1] * b[1]) + (<int>a[2] * b[2] + <int>a[3] * b[3])
                + ((<int>a[4] * b[4] + <int>a[5] * b[5]) + (<int>a[6] * b[6] + <int>a[7] * b[7])))
    for d in range(n):
        s = s + <int>a[d] * <int>b[d]
    return s


# Several dot products with one taste row at once (D = 8): four items per step with SSE2
# (each dot as two int16 multiply-adds and a transposed sum; x86-64 has SSE2 everywhere),
# elsewhere one at a time.  Integer sums are exact, so out[c] equals dot_i8 bit for bit.
cdef extern from *:
    """
    #include <stdint.h>
    #if defined(__SSE2__)
    #include <emmintrin.h>
    #endif
    static inline void sim_dots8(const signed char* pref, const signed char* feat, const int32_t* items,
                                 Py_ssize_t n, int32_t* out) {
        Py_ssize_t c = 0;
    #if defined(__SSE2__)
        __m128i p = _mm_loadl_epi64((const __m128i*)pref);
        p = _mm_srai_epi16(_mm_unpacklo_epi8(p, p), 8);
        for (; c + 4 <= n; c += 4) {
            __m128i f0 = _mm_loadl_epi64((const __m128i*)(feat + 8 * (size_t)items[c]));
            __m128i f1 = _mm_loadl_epi64((const __m128i*)(feat + 8 * (size_t)items[c + 1]));
            __m128i f2 = _mm_loadl_epi64((const __m128i*)(feat + 8 * (size_t)items[c + 2]));
            __m128i f3 = _mm_loadl_epi64((const __m128i*)(feat + 8 * (size_t)items[c + 3]));
            __m128i q0 = _mm_madd_epi16(p, _mm_srai_epi16(_mm_unpacklo_epi8(f0, f0), 8));
            __m128i q1 = _mm_madd_epi16(p, _mm_srai_epi16(_mm_unpacklo_epi8(f1, f1), 8));
            __m128i q2 = _mm_madd_epi16(p, _mm_srai_epi16(_mm_unpacklo_epi8(f2, f2), 8));
            __m128i q3 = _mm_madd_epi16(p, _mm_srai_epi16(_mm_unpacklo_epi8(f3, f3), 8));
            __m128i s01 = _mm_add_epi32(_mm_unpacklo_epi32(q0, q1), _mm_unpackhi_epi32(q0, q1));
            __m128i s23 = _mm_add_epi32(_mm_unpacklo_epi32(q2, q3), _mm_unpackhi_epi32(q2, q3));
            _mm_storeu_si128((__m128i*)(out + c),
                             _mm_add_epi32(_mm_unpacklo_epi64(s01, s23), _mm_unpackhi_epi64(s01, s23)));
        }
    #endif
        for (; c < n; c++) {
            const signed char* f = feat + 8 * (size_t)items[c];
            int32_t dot = 0;
            for (int d = 0; d < 8; d++) dot += (int32_t)pref[d] * (int32_t)f[d];
            out[c] = dot;
        }
    }
    """
    void dots8 "sim_dots8"(const int8_t* pref, const int8_t* feat, const int32_t* items, Py_ssize_t n,
                           int32_t* out) noexcept nogil


# A wave's customers are a sparse, ascending subset of a population far larger than the
# caches, so the first read of a customer's row in each per-customer array misses; with a
# long loop body the core cannot run ahead to the next touch's misses on its own.  Kernels
# therefore ask for the rows of the touch PREFETCH_AHEAD positions ahead.  A prefetch is
# only a hint: it never faults and never changes a result.
cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define SIM_PREFETCH_R(p) __builtin_prefetch((const void*)(p), 0, 3)
    #define SIM_PREFETCH_W(p) __builtin_prefetch((const void*)(p), 1, 3)
    #else
    #define SIM_PREFETCH_R(p) ((void)(p))
    #define SIM_PREFETCH_W(p) ((void)(p))
    #endif
    """
    void prefetch_r "SIM_PREFETCH_R"(const void* p) noexcept nogil
    void prefetch_w "SIM_PREFETCH_W"(const void* p) noexcept nogil

cdef enum:
    PREFETCH_AHEAD = 8
