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
