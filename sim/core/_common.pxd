# Shared constants and one-element helpers of the customer kernels.
#
# Channel and data-basis codes are mirrored in sim/codes.py (the Python side); the tests
# check that both agree.

from libc.math cimport exp

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
