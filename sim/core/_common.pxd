# Shared constants and one-element helpers of the customer kernels.
#
# Channel and data-basis codes are mirrored in sim/codes.py (the Python side); the tests
# check that both agree.

from cython.parallel cimport parallel, prange
from libc.math cimport exp
from libc.stdint cimport int8_t, int32_t, uint8_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memchr, memcpy

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

cdef inline double pow2(int e) noexcept nogil:
    """2**e for -1022 <= e <= 1023, made from its bits (ldexp is a library call)."""
    cdef uint64_t bits = <uint64_t>(e + 1023) << 52
    cdef double out
    memcpy(&out, &bits, sizeof(double))
    return out

cdef inline bint above_exp_bound(double u, double scale, double x) noexcept nogil:
    """True when u >= scale * 2**(floor(x log2 e) + 2), which is more than twice scale * exp(x)
    (scale >= 0): a coin ``u < scale * exp(x)``, or ``u <`` anything below it, is then "no",
    decided without exp(); the factor of two covers every rounding.  False (undecided) where
    the power of two would leave the normal range (|x log2 e| >= 1000) and for NaN.  The
    product with an exact power of two is rounded once, as ldexp(scale, e) is: the same
    value."""
    cdef double y = x * 1.4426950408889634   # log2(e)
    cdef int e
    if not (-1000.0 < y < 1000.0):
        return False
    e = <int>y                 # truncation; floor below (|y| < 1000 fits an int exactly)
    e = e - (y < e)
    return u >= scale * pow2(e + 2)

cdef inline Py_ssize_t first_max_i32(const int32_t* v, Py_ssize_t n) noexcept nogil:
    """The index of the first largest of v[0 .. n-1] (n >= 1), found with bit masks: which
    value beats the best so far is a coin flip, and the compiler turns a select of the index
    into a branch that mispredicts it."""
    cdef Py_ssize_t j, best_j = 0, beats
    cdef int32_t best = v[0]
    for j in range(1, n):
        beats = <Py_ssize_t>0 - <Py_ssize_t>(v[j] > best)    # all ones or zero
        best_j = best_j ^ ((best_j ^ j) & beats)
        best = best ^ ((best ^ v[j]) & <int32_t>beats)
    return best_j

# u < sigmoid(x) without exp() in most cases.  A purchase or click coin compares a uniform u
# with a logistic probability; exp() costs more than the rest of the decision.  u < sigmoid(x)
# is x > logit(u), and logit is increasing: with u in the bin [i/K, (i+1)/K) of K = 1024
# equal bins, x above logit((i+1)/K) means yes and x at or below logit(i/K) means no.  The
# two bounds of every bin are a table made once when the module loads, each moved outward by
# 1e-9 (far more than the rounding of exp() and log() in double, far less than a bin), so
# only an x inside u's own bin (about one coin in a thousand) needs the exact sigmoid: the
# outcome is always that of ``u < sigmoid(x)``.  Without a compiler that runs load-time
# constructors the table stays empty and every coin takes the exact path.
cdef extern from *:
    """
    #include <math.h>
    #define SIM_LOGIT_BINS 1024
    static double sim_logit_lo[SIM_LOGIT_BINS];   /* logit(i / K) - 1e-9, -inf for i = 0 */
    static double sim_logit_hi[SIM_LOGIT_BINS];   /* logit((i + 1) / K) + 1e-9, +inf for the last */
    static int sim_logit_ready = 0;
    static double sim_logit(double p) { return log(p) - log1p(-p); }
    #if defined(__GNUC__) || defined(__clang__)
    __attribute__((constructor)) static void sim_fill_logit_bounds(void) {
        for (int i = 0; i < SIM_LOGIT_BINS; i++) {
            sim_logit_lo[i] = i == 0 ? -INFINITY : sim_logit((double)i / SIM_LOGIT_BINS) - 1e-9;
            sim_logit_hi[i] = i == SIM_LOGIT_BINS - 1 ? INFINITY : sim_logit((double)(i + 1) / SIM_LOGIT_BINS) + 1e-9;
        }
        sim_logit_ready = 1;
    }
    #endif
    """
    const double* logit_lo "sim_logit_lo"
    const double* logit_hi "sim_logit_hi"
    bint logit_ready "sim_logit_ready"
    int LOGIT_BINS "SIM_LOGIT_BINS"

cdef inline bint below_sigmoid(double u, double x) noexcept nogil:
    """``u < sigmoid(x)``, exactly, usually without calling exp() (see above)."""
    cdef int i
    if logit_ready and 0.0 <= u < 1.0:
        i = <int>(u * LOGIT_BINS)        # exact: K is a power of two
        if x > logit_hi[i]:
            return True
        if x <= logit_lo[i]:
            return False
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


cdef enum:
    # Touches per block of exposure_order's parallel passes, and the fewest touches for which
    # it starts threads at all (an onsite wave of a few ten thousand stays on one thread).
    ORDER_BLOCK = 32768
    ORDER_PARALLEL_MIN = 4 * ORDER_BLOCK

cdef struct OrderScratch:
    # A module's kept buffer for exposure_order (see take_order): NULL when none is kept.
    Py_ssize_t* buf
    Py_ssize_t cap


cdef inline Py_ssize_t* take_order(OrderScratch* kept, Py_ssize_t n, Py_ssize_t* cap) noexcept:
    """``n`` entries for an exposure order: the module's kept buffer when it holds enough,
    else a new one (NULL when out of memory); ``cap`` receives its capacity.  Give it back
    with give_order.  Call both with the GIL held: the buffer is out of ``kept`` while in
    use, so a call from another Python thread at the same time allocates its own.

    Why keep one: a wave's order is k + 1 entries (8 bytes each), several megabytes for an
    email wave; a fresh allocation that large is memory the pass first has to fetch (or get
    from the system), while the kept one was written by the last wave: respond and
    fill_slates ran some 5% faster with it."""
    cdef Py_ssize_t* b
    if kept.buf != NULL and kept.cap >= n:
        b = kept.buf
        cap[0] = kept.cap
        kept.buf = NULL
        kept.cap = 0
        return b
    cap[0] = n
    return <Py_ssize_t*>malloc((n if n > 0 else 1) * sizeof(Py_ssize_t))


cdef inline void give_order(OrderScratch* kept, Py_ssize_t* b, Py_ssize_t cap) noexcept:
    """Return a buffer from take_order: the larger of it and the kept one stays (so a
    module keeps at most one, as large as its largest wave), the other is freed."""
    if b == NULL:
        return
    if kept.buf == NULL:
        kept.buf = b
        kept.cap = cap
    elif cap > kept.cap:
        free(kept.buf)
        kept.buf = b
        kept.cap = cap
    else:
        free(b)


cdef inline Py_ssize_t order_block(const uint8_t* exposed, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t k,
                                   Py_ssize_t* order, Py_ssize_t seen, Py_ssize_t seen_end,
                                   Py_ssize_t unseen, Py_ssize_t unseen_end) noexcept nogil:
    """Touches lo to hi of exposure_order: the exposed ones to order[seen], order[seen + 1],
    ... (below seen_end), the others to order[k - 1 - unseen], order[k - 2 - unseen], ...
    (unseen below unseen_end).  Every touch is written to both of its possible slots,
    branch-free (exposure is a coin flip that a branch mispredicts): the slot it does not
    take belongs to a later touch of the same pass, which overwrites it, or lies past this
    pass's share, and then the spare entry order[k] takes it instead, so that a block never
    writes into another block's (another thread's) entries.  (With seen_end = unseen_end = k,
    one pass over every touch: a slot not taken is then a later touch's, whichever part it
    lies in.)  Returns the exposed count after the block (seen)."""
    cdef Py_ssize_t t
    cdef bint e
    for t in range(lo, hi):
        e = exposed[t] != 0
        order[seen if seen < seen_end else k] = t
        order[k - 1 - unseen if unseen < unseen_end else k] = t
        seen = seen + e
        unseen = unseen + (not e)
    return seen


cdef inline Py_ssize_t exposure_order(const uint8_t* exposed, Py_ssize_t k, Py_ssize_t* order,
                                      int n_threads) noexcept nogil:
    """The touches split by exposure, each part in ascending order: order[0 .. n_seen - 1]
    the exposed ones, order[k - 1], order[k - 2], ... the others (order holds k + 1 entries;
    order[k] is scratch).  Returns n_seen, or -1 when out of memory.  A wave of
    ORDER_PARALLEL_MIN touches or more is split on ``n_threads`` threads in two passes over
    fixed blocks (count, then place), the same result on any thread count."""
    cdef Py_ssize_t n_blocks = (k + ORDER_BLOCK - 1) // ORDER_BLOCK, b, lo, hi, t, n_seen = 0
    cdef Py_ssize_t* first_seen = NULL
    cdef Py_ssize_t cnt
    if k > 0 and memchr(exposed, 0, k) == NULL:
        # Every touch exposed (every onsite wave): the order is the touches' own, written
        # without a pass that counts.  (An email wave has its first unopened touch within
        # the first few, so the search costs it nothing.)
        for t in range(k):
            order[t] = t
        return k
    if n_threads <= 1 or k < ORDER_PARALLEL_MIN:
        return order_block(exposed, 0, k, k, order, 0, k, 0, k)
    first_seen = <Py_ssize_t*>malloc((n_blocks + 1) * sizeof(Py_ssize_t))
    if first_seen == NULL:
        return -1
    with parallel(num_threads=n_threads):
        for b in prange(n_blocks, schedule="static"):
            lo = b * ORDER_BLOCK
            hi = lo + ORDER_BLOCK if lo + ORDER_BLOCK < k else k
            cnt = 0
            for t in range(lo, hi):
                cnt = cnt + (exposed[t] != 0)
            first_seen[b + 1] = cnt
    first_seen[0] = 0
    for b in range(n_blocks):
        first_seen[b + 1] = first_seen[b + 1] + first_seen[b]
    n_seen = first_seen[n_blocks]
    with parallel(num_threads=n_threads):
        for b in prange(n_blocks, schedule="static"):
            lo = b * ORDER_BLOCK
            hi = lo + ORDER_BLOCK if lo + ORDER_BLOCK < k else k
            # Unexposed before this block: the touches before lo minus the exposed ones.
            order_block(exposed, lo, hi, k, order, first_seen[b], first_seen[b + 1], lo - first_seen[b],
                        hi - first_seen[b + 1])
    free(first_seen)
    return n_seen
