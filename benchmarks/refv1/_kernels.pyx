# The reference workload "ref-v1", compiled (the model is restated in benchmarks/refv1/__init__.py).
#
# Design note.  One call is one wave over the whole population: `ref_visit_wave` is one day's
# fatigue decay and organic visits, `ref_email_wave` one weekly email campaign.  Customers are
# split into fixed chunks of `chunk_size` consecutive indices; chunks run in parallel
# (`prange`, dynamic schedule) and chunk c writes only its own customers' state and row c of
# the caller's partial counters.  Within a chunk, revenue is summed in customer order; the
# caller reduces the partials over chunks in a fixed order.  With counter-based draws this
# makes every result bit-identical for any thread count.
#
# Arithmetic is done in double precision on float32 state (stored back as float32), in the
# order the NumPy twin (benchmarks/refv1/twin.py) uses, so both agree to the last bit
# except where libm's exp() and NumPy's differ by an ulp.  Dot products are summed
# sequentially over k = 0..7.
#
# Draw layout.  For customer i in a wave with key K, base = customer_base(K, i); then
#   j = 0        the gate: visit (u < 0.2) or email open (u < 0.3 * trust)
#   j = 1 .. 8   candidates: draw_bits(base, j) gives candidate 2(j-1) from its low 32 bits
#                and candidate 2(j-1)+1 from its high 32 bits (bounded to [0, M))
#   j = 9        the purchase uniform
# Draws 1..9 are made only when the gate opens.
#
# Speed.  Each measure below was worth 5-25% at N = 1e6 on one core.  The interaction is
# compute-bound and its outcomes are coin flips, so data-dependent branches, which the CPU
# mispredicts, are avoided: a chunk is gated in blocks (one pass collects the customers
# whose gate opens, a second runs their interactions back to back), and the trust, purchase
# and churn updates are selects or multiplications by 0/1 (exact: x - 0.0 == x).  Of the
# slate (the top 4 of 16) only two facts matter: its best candidate (an argmax) and whether
# a *flagged* candidate (sensitive, or of the category bought in the last 30 days) is on it.
# A per-wave table gives each candidate's flag with one load, and ranks are computed for
# flagged candidates only (~1 per interaction).  The scores use AVX2 when the CPU has it;
# the argmax and ranks use SSE2 on x86-64.  The purchase coin is decided by a cheap estimate
# of the logistic unless it lands within 1e-3 of it, where exp() decides (same outcomes).
# Visitors are sparse in DRAM-sized arrays, so each one's state is prefetched a few
# interactions ahead.

# Arrays (N customers, M items):
#   pref float32[N, 8] unit rows     privacy float32[N]      trust float32[N] in [0, 1]
#   fatigue float32[N]               churned uint8[N]        last_cat int32[N] (-1: none)
#   last_day int32[N] (very negative: none)
#   item_feat float32[M, 8] unit rows   item_cat int32[M]   item_sensitive uint8[M]
#   item_price float64[M]
#   counts int64[n_chunks, 4] (visits, emails sent, emails opened, purchases), revenue
#   float64[n_chunks]; n_chunks = ceil(N / chunk_size).  Both are overwritten.

from cython.parallel cimport prange
from libc.math cimport exp, fabs, ldexp
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

from sim.core._random cimport (
    bounded_high, bounded_low, customer_base, draw_bits, draw_uniform, uniform_threshold,
)

# Small C helpers: the lowest set bit, a prefetch hint, the candidates' scores with AVX2
# (used when the CPU has it, decided once at import), and the two 16-wide scans over the
# scores (argmax, rank) with SSE2 intrinsics on x86-64, where SSE2 is part of the baseline.
# Elsewhere each is the obvious portable C.
cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define ref_ctz(x) __builtin_ctz(x)
    #else
    static int ref_ctz(unsigned int x) { int n = 0; while (!(x & 1u)) { x >>= 1; n++; } return n; }
    #endif

    /* A hint to start loading the cache line at p; no effect on results.  A macro, not a
       function: a compiler may drop calls to a function whose only effect is a prefetch. */
    #if defined(__GNUC__) || defined(__clang__)
    #define ref_prefetch(p) __builtin_prefetch(p)
    #else
    #define ref_prefetch(p) ((void)(p))
    #endif

    /* The 16 candidates' scores with AVX2, four candidates per instruction: a 4 x 4 block of
       feature rows is transposed so that lane c holds candidate g + c.  Same operations in the
       same order as score_candidates, hence the same results.  Compiled for AVX2 on its own
       and called only when the CPU has it (ref_have_avx2), so the module runs on any x86-64. */
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    #include <immintrin.h>
    __attribute__((target("avx2")))
    static void ref_score16_avx2(const float* p, const double* feat, const uint32_t* cand,
                                 double* score) {
        __m256d pk[8];
        int k, g, h;
        for (k = 0; k < 8; k++)
            pk[k] = _mm256_set1_pd((double)p[k]);
        for (g = 0; g < 16; g += 4) {
            const double* a = feat + (size_t)cand[g] * 8;
            const double* b = feat + (size_t)cand[g + 1] * 8;
            const double* c = feat + (size_t)cand[g + 2] * 8;
            const double* d = feat + (size_t)cand[g + 3] * 8;
            __m256d s = _mm256_setzero_pd();
            for (h = 0; h < 8; h += 4) {
                __m256d ra = _mm256_loadu_pd(a + h), rb = _mm256_loadu_pd(b + h);
                __m256d rc = _mm256_loadu_pd(c + h), rd = _mm256_loadu_pd(d + h);
                __m256d t0 = _mm256_unpacklo_pd(ra, rb), t1 = _mm256_unpackhi_pd(ra, rb);
                __m256d t2 = _mm256_unpacklo_pd(rc, rd), t3 = _mm256_unpackhi_pd(rc, rd);
                /* q_k: dimension h + k of the four candidates */
                __m256d q0 = _mm256_permute2f128_pd(t0, t2, 0x20);
                __m256d q1 = _mm256_permute2f128_pd(t1, t3, 0x20);
                __m256d q2 = _mm256_permute2f128_pd(t0, t2, 0x31);
                __m256d q3 = _mm256_permute2f128_pd(t1, t3, 0x31);
                s = _mm256_add_pd(s, _mm256_mul_pd(pk[h], q0));
                s = _mm256_add_pd(s, _mm256_mul_pd(pk[h + 1], q1));
                s = _mm256_add_pd(s, _mm256_mul_pd(pk[h + 2], q2));
                s = _mm256_add_pd(s, _mm256_mul_pd(pk[h + 3], q3));
            }
            _mm256_storeu_pd(score + g, s);
        }
    }
    static int ref_have_avx2(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx2"); }
    #else
    static void ref_score16_avx2(const float* p, const double* feat, const uint32_t* cand,
                                 double* score) { (void)p; (void)feat; (void)cand; (void)score; }
    static int ref_have_avx2(void) { return 0; }
    #endif

    #if defined(__SSE2__) || defined(_M_X64)
    #include <emmintrin.h>

    /* Position of the largest of s[0..15], the earliest one on ties. */
    static inline int ref_argmax16(const double* s) {
        __m128d m = _mm_max_pd(
            _mm_max_pd(_mm_max_pd(_mm_loadu_pd(s), _mm_loadu_pd(s + 2)),
                       _mm_max_pd(_mm_loadu_pd(s + 4), _mm_loadu_pd(s + 6))),
            _mm_max_pd(_mm_max_pd(_mm_loadu_pd(s + 8), _mm_loadu_pd(s + 10)),
                       _mm_max_pd(_mm_loadu_pd(s + 12), _mm_loadu_pd(s + 14))));
        unsigned at_max = 0;
        int p;
        m = _mm_max_pd(m, _mm_shuffle_pd(m, m, 1));          /* the maximum in both lanes */
        for (p = 0; p < 8; p++)
            at_max |= (unsigned)_mm_movemask_pd(_mm_cmpeq_pd(_mm_loadu_pd(s + 2 * p), m)) << (2 * p);
        return ref_ctz(at_max);
    }

    /* How many of s[0..15] beat s[a]: higher, or equal at an earlier position. */
    static inline int ref_rank16(const double* s, int a) {
        const __m128d v = _mm_set1_pd(s[a]), before = _mm_set1_pd((double)a);
        __m128i beaten = _mm_setzero_si128();
        int p;
        for (p = 0; p < 8; p++) {
            __m128d x = _mm_loadu_pd(s + 2 * p);
            __m128d position = _mm_set_pd((double)(2 * p + 1), (double)(2 * p));
            __m128d beats = _mm_or_pd(_mm_cmpgt_pd(x, v),
                                      _mm_and_pd(_mm_cmpeq_pd(x, v), _mm_cmplt_pd(position, before)));
            beaten = _mm_sub_epi64(beaten, _mm_castpd_si128(beats));   /* a true lane is -1 */
        }
        return (int)(_mm_cvtsi128_si64(beaten) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(beaten, beaten)));
    }
    #else
    static inline int ref_argmax16(const double* s) {
        int a, best = 0;
        for (a = 1; a < 16; a++)
            if (s[a] > s[best]) best = a;
        return best;
    }

    static inline int ref_rank16(const double* s, int a) {
        int b, beaten = 0;
        for (b = 0; b < 16; b++)
            beaten += (s[b] > s[a]) | ((s[b] == s[a]) & (b < a));
        return beaten;
    }
    #endif
    """
    int ref_ctz(unsigned int x) noexcept nogil         # index of the lowest set bit of x != 0
    void ref_prefetch(const void* p) noexcept nogil
    int ref_argmax16(const double* s) noexcept nogil   # see the C comments above
    int ref_rank16(const double* s, int a) noexcept nogil
    void ref_score16_avx2(const float* p, const double* feat, const uint32_t* cand,
                          double* score) noexcept nogil
    int ref_have_avx2() noexcept nogil

cdef enum:
    DIM = 8             # feature dimension
    N_CAND = 16         # candidates drawn per interaction
    N_PAIRS = 8         # N_CAND / 2: candidate draws (two items each)
    SLATE = 4           # slate size
    RECENT_DAYS = 30    # a purchase this recent makes a same-category slate item a persofail
    BLOCK = 1024        # customers gated per pass
    AHEAD = 4           # interactions between prefetching a customer's state and using it
    MAX_CATEGORIES = 4096   # item categories lie in [0, MAX_CATEGORIES) (slate-flag table)
    MAX_FLAG_TABLE = 1 << 28    # bytes: (categories + 1) x items
    J_GATE = 0          # draw numbers, see the design note
    J_CAND = 1
    J_BUY = 9
    C_VISITS = 0        # columns of the partial counters
    C_SENT = 1
    C_OPENED = 2
    C_PURCHASES = 3
    N_COUNTERS = 4


cdef struct Catalog:
    const double* feat          # [M, DIM], the float32 features widened once per wave
    const int32_t* cat          # [M], in [0, n_cat)
    const uint8_t* sensitive    # [M]
    const double* price         # [M]
    const uint8_t* flags        # [n_cat + 1, M], see slate_flag_table
    uint32_t n_items
    int32_t n_cat


cdef struct Customers:
    const float* pref           # [N, DIM]
    const float* privacy        # [N]
    float* trust                # [N]
    float* fatigue              # [N]
    uint8_t* churned            # [N]
    int32_t* last_cat           # [N]
    int32_t* last_day           # [N]


cdef struct Tally:
    int64_t n[N_COUNTERS]
    double revenue


cdef bint use_avx2 = ref_have_avx2()     # score with ref_score16_avx2; see set_avx2


def has_avx2():
    """True when this CPU has AVX2 (the candidates' scores then use it)."""
    return bool(ref_have_avx2())


def set_avx2(bint enabled):
    """Use the AVX2 scores (if the CPU has them) or the portable loop; returns the previous
    setting.  Results are the same either way: this exists so that tests can run both."""
    global use_avx2
    previous = use_avx2
    use_avx2 = enabled and ref_have_avx2()
    return previous


# --------------------------------------------------------------------------- model rules

cdef inline double decayed_fatigue(double f) noexcept nogil:
    return f * 0.9


cdef inline double email_fatigue(double f) noexcept nogil:
    return f + 0.3


cdef inline double open_probability(double t) noexcept nogil:
    return 0.3 * t


cdef inline double clamp01(double x) noexcept nogil:
    x = 0.0 if x < 0.0 else x
    return 1.0 if x > 1.0 else x


cdef inline double updated_trust(double t, double privacy, double r,
                                 bint persofail, bint creepy) noexcept nogil:
    """Trust after one slate: penalties if it failed, else a small move on relevance r.

    Branch-free: each rule's change is multiplied by its condition (0 or 1), which gives
    exactly the rule's value (x - 0.0 == x), so the NumPy twin can use plain selects.
    """
    cdef bint neither = not (persofail or creepy)
    t = t - 0.05 * <double>persofail
    t = t - (0.10 * privacy) * <double>creepy
    t = (t + (0.02 * (1.0 - t)) * <double>(neither and r > 0.5)) \
        - (0.01 * t) * <double>(neither and not r > 0.5)
    return clamp01(t)


cdef inline double purchase_probability(double r, double t, double f) noexcept nogil:
    """sigmoid(-3 + 4 r + 2 t - f), summed left to right."""
    cdef double x = -3.0 + 4.0 * r + 2.0 * t - f
    return 1.0 / (1.0 + exp(-x))


cdef double POW2[65]                # POW2[k] = 2**(k - 32), for exp_estimate
cdef int _k
for _k in range(65):
    POW2[_k] = ldexp(1.0, _k - 32)


cdef inline double exp_estimate(double y) noexcept nogil:
    """e**y within a relative 1e-4, for |y| <= 20.

    e**y = 2**n * e**f with n = round(y / ln 2) and |f| <= ln(2) / 2; e**f by its degree-4
    Taylor polynomial, whose remainder is below 1.42 * 0.347**5 / 120 < 6e-5.
    """
    cdef double z = y * 1.4426950408889634          # y / ln 2
    cdef int n = <int>(z + 32.5) - 32               # round(z); z + 32.5 > 0, so <int> floors
    cdef double f = (z - n) * 0.6931471805599453
    return (1.0 + f * (1.0 + f * (0.5 + f * (1.0 / 6.0 + f * (1.0 / 24.0))))) * POW2[n + 32]


cdef inline bint buys(double u, double r, double t, double f) noexcept nogil:
    """u < purchase_probability(r, t, f), usually decided without calling exp().

    The estimate of the probability is within 0.25 * 1e-4 of it; only when u lies within
    1e-3 of the estimate (0.2% of the time) could the two disagree, and then the exact
    probability decides.  The outcome is therefore exactly that of the exact comparison.
    """
    cdef double y = 3.0 - 4.0 * r - 2.0 * t + f     # -x of purchase_probability
    cdef double p
    if -20.0 <= y <= 20.0:
        p = 1.0 / (1.0 + exp_estimate(y))
        if fabs(u - p) > 1e-3:
            return u < p
    return u < purchase_probability(r, t, f)


cdef inline bint churns(double t) noexcept nogil:
    return t < 0.15


# --------------------------------------------------------------------------- one interaction

cdef inline void draw_candidates(uint64_t base, uint32_t n_items, uint32_t* cand) noexcept nogil:
    """16 items uniformly with replacement, two per 64-bit draw (draws J_CAND .. J_CAND+7)."""
    cdef int j
    cdef uint64_t bits
    for j in range(N_PAIRS):
        bits = draw_bits(base, J_CAND + j)
        cand[2 * j] = bounded_low(bits, n_items)
        cand[2 * j + 1] = bounded_high(bits, n_items)


cdef inline void score_candidates(const float* p, const double* feat, const uint32_t* cand,
                                  double* score) noexcept nogil:
    """score[a] = p . feat[cand[a]] in double, summed over k = 0..DIM-1 in order."""
    cdef int a, k
    cdef double s
    cdef double pd[DIM]
    cdef const double* q
    for k in range(DIM):
        pd[k] = p[k]
    for a in range(N_CAND):
        q = feat + <size_t>cand[a] * DIM
        s = 0.0
        for k in range(DIM):
            s = s + pd[k] * q[k]
        score[a] = s


cdef inline int best_candidate(const double* score) noexcept nogil:
    """Position of the highest score, the earliest on ties (the slate's top item)."""
    return ref_argmax16(score)


cdef inline bint on_slate(const double* score, int a) noexcept nogil:
    """Is candidate a among the SLATE best?  Candidates that beat it have a higher score, or
    an equal one at an earlier position (duplicates are common: 16 draws from 1000 items)."""
    return ref_rank16(score, a) < SLATE


cdef inline void interact(const Catalog* cat, Customers* cu, Py_ssize_t i, int day,
                          uint64_t base, Tally* tally) noexcept nogil:
    """One interaction of customer i (see benchmarks/refv1/__init__.py for the rules)."""
    cdef uint32_t cand[N_CAND]
    cdef double score[N_CAND]
    cdef int a, top
    cdef uint32_t item, flagged = 0
    cdef bint recent, on, bought
    cdef bint persofail = False, creepy = False
    cdef int32_t row, last_cat = cu.last_cat[i]
    cdef const uint8_t* flags
    cdef double r, t

    draw_candidates(base, cat.n_items, cand)
    if use_avx2:
        ref_score16_avx2(cu.pref + <size_t>i * DIM, cat.feat, cand, score)
    else:
        score_candidates(cu.pref + <size_t>i * DIM, cat.feat, cand, score)
    top = best_candidate(score)
    r = score[top]

    recent = <int64_t>day - <int64_t>cu.last_day[i] < RECENT_DAYS
    row = cat.n_cat                 # the row of "no recent purchase": sensitive items only
    if recent & (<uint32_t>last_cat < <uint32_t>cat.n_cat):
        row = last_cat
    flags = cat.flags + <size_t>row * cat.n_items
    for a in range(N_CAND):
        flagged |= <uint32_t>flags[cand[a]] << a
    while flagged:
        a = ref_ctz(flagged)
        flagged &= flagged - 1
        item = cand[a]
        on = on_slate(score, a)
        creepy |= on & (cat.sensitive[item] != 0)
        persofail |= on & recent & (cat.cat[item] == last_cat)

    t = updated_trust(cu.trust[i], cu.privacy[i], r, persofail, creepy)
    cu.trust[i] = <float>t
    t = cu.trust[i]                 # the model reads the stored (float32) state from here on

    bought = buys(draw_uniform(base, J_BUY), r, t, cu.fatigue[i])
    item = cand[top]
    tally.n[C_PURCHASES] += bought
    tally.revenue += cat.price[item] if bought else 0.0
    cu.last_cat[i] = cat.cat[item] if bought else last_cat
    cu.last_day[i] = day if bought else cu.last_day[i]
    cu.churned[i] = cu.churned[i] | churns(t)


# --------------------------------------------------------------------------- one chunk

cdef inline void tally_clear(Tally* tally) noexcept nogil:
    cdef int c
    for c in range(N_COUNTERS):
        tally.n[c] = 0
    tally.revenue = 0.0


cdef inline void tally_store(const Tally* tally, int64_t* counts_row, double* revenue) noexcept nogil:
    cdef int c
    for c in range(N_COUNTERS):
        counts_row[c] = tally.n[c]
    revenue[0] = tally.revenue


cdef void interact_gated(const Catalog* cat, Customers* cu, Py_ssize_t start,
                         const uint32_t* who, const uint64_t* bases, Py_ssize_t n_open,
                         int day, Tally* tally) noexcept nogil:
    """Interactions of the n_open customers start + who[k] whose gate opened (bases: their
    draw bases).  A customer's state is prefetched AHEAD interactions before it is used:
    at N = 1e6 the rows are scattered over 60 MB, and waiting for DRAM costs ~20%."""
    cdef Py_ssize_t k, i
    for k in range(-AHEAD, n_open):
        if k + AHEAD < n_open:
            i = start + who[k + AHEAD]
            ref_prefetch(cu.pref + i * DIM)
            ref_prefetch(cu.pref + i * DIM + DIM - 1)      # a row may straddle two lines
            ref_prefetch(cu.trust + i)
            ref_prefetch(cu.privacy + i)
            ref_prefetch(cu.last_cat + i)
            ref_prefetch(cu.last_day + i)
        if k >= 0:
            interact(cat, cu, start + who[k], day, bases[k], tally)


cdef void visit_chunk(const Catalog* cat, Customers* cu, Py_ssize_t lo, Py_ssize_t hi,
                      int day, uint64_t key, int64_t* counts_row, double* revenue) noexcept nogil:
    """Customers lo..hi-1 on one day: fatigue decay (after day 0), then visits.

    Block by block: the first pass decays fatigue and collects the visitors (the gate is
    a 1-in-5 coin flip, too costly as a branch), the second runs their interactions.
    """
    cdef Tally tally
    cdef Py_ssize_t b, start, stop, i, n_open
    cdef uint32_t who[BLOCK]
    cdef uint64_t bases[BLOCK]
    cdef uint64_t base, visit_below = uniform_threshold(0.2)
    tally_clear(&tally)
    for b in range((hi - lo + BLOCK - 1) // BLOCK):
        start = lo + b * BLOCK
        stop = min(start + BLOCK, hi)
        if day > 0:
            for i in range(start, stop):
                cu.fatigue[i] = <float>decayed_fatigue(cu.fatigue[i])
        n_open = 0
        for i in range(start, stop):
            base = customer_base(key, <uint64_t>i)
            who[n_open] = <uint32_t>(i - start)
            bases[n_open] = base
            n_open += (cu.churned[i] == 0) & ((draw_bits(base, J_GATE) >> 11) < visit_below)
        tally.n[C_VISITS] += n_open
        interact_gated(cat, cu, start, who, bases, n_open, day, &tally)
    tally_store(&tally, counts_row, revenue)


cdef void email_chunk(const Catalog* cat, Customers* cu, Py_ssize_t lo, Py_ssize_t hi,
                      int day, uint64_t key, int64_t* counts_row, double* revenue) noexcept nogil:
    """Customers lo..hi-1 in one campaign: send (fatigue), open, interact (blocked as visits)."""
    cdef Tally tally
    cdef Py_ssize_t b, start, i, n_open
    cdef uint32_t who[BLOCK]
    cdef uint64_t bases[BLOCK]
    cdef uint64_t base
    tally_clear(&tally)
    for b in range((hi - lo + BLOCK - 1) // BLOCK):
        start = lo + b * BLOCK
        n_open = 0
        for i in range(start, min(start + BLOCK, hi)):
            if cu.churned[i]:       # rare, so well predicted
                continue
            cu.fatigue[i] = <float>email_fatigue(cu.fatigue[i])
            tally.n[C_SENT] += 1
            base = customer_base(key, <uint64_t>i)
            who[n_open] = <uint32_t>(i - start)
            bases[n_open] = base
            n_open += draw_uniform(base, J_GATE) < open_probability(cu.trust[i])
        tally.n[C_OPENED] += n_open
        interact_gated(cat, cu, start, who, bases, n_open, day, &tally)
    tally_store(&tally, counts_row, revenue)


# --------------------------------------------------------------------------- the waves

ctypedef void (*chunk_fn)(const Catalog*, Customers*, Py_ssize_t, Py_ssize_t, int, uint64_t,
                          int64_t*, double*) noexcept nogil


cdef void run_chunks(chunk_fn fn, const Catalog* cat, Customers* cu, Py_ssize_t n,
                     Py_ssize_t chunk_size, int day, uint64_t key,
                     int64_t[:, ::1] counts, double[::1] revenue, int n_threads) noexcept nogil:
    """Chunk c (customers c * chunk_size .. + chunk_size - 1) fills counts[c] and revenue[c];
    chunks are independent, so they run in parallel in any order."""
    cdef Py_ssize_t n_chunks = counts.shape[0], c, lo, hi
    for c in prange(n_chunks, num_threads=n_threads, schedule="dynamic"):
        lo = c * chunk_size
        hi = min(lo + chunk_size, n)
        fn(cat, cu, lo, hi, day, key, &counts[c, 0], &revenue[c])


cdef Customers customers_view(const float[:, ::1] pref, const float[::1] privacy,
                              float[::1] trust, float[::1] fatigue, uint8_t[::1] churned,
                              int32_t[::1] last_cat, int32_t[::1] last_day):
    cdef Customers cu
    cu.pref = &pref[0, 0]
    cu.privacy = &privacy[0]
    cu.trust = &trust[0]
    cu.fatigue = &fatigue[0]
    cu.churned = &churned[0]
    cu.last_cat = &last_cat[0]
    cu.last_day = &last_day[0]
    return cu


cdef Catalog catalog_view(const int32_t[::1] item_cat, const uint8_t[::1] item_sensitive,
                          const double[::1] item_price):
    """The catalog's pointers; the widened features and the flag table are run_wave's."""
    cdef Catalog cat
    cat.feat = NULL
    cat.flags = NULL
    cat.n_cat = 0
    cat.cat = &item_cat[0]
    cat.sensitive = &item_sensitive[0]
    cat.price = &item_price[0]
    cat.n_items = <uint32_t>item_price.shape[0]
    return cat


cdef int32_t n_categories(const int32_t[::1] item_cat) except -1:
    """1 + the largest category; categories must lie in [0, MAX_CATEGORIES)."""
    cdef Py_ssize_t j
    cdef int32_t c, top = -1
    for j in range(item_cat.shape[0]):
        c = item_cat[j]
        if c < 0 or c >= MAX_CATEGORIES:
            raise ValueError(f"item category {c} is outside [0, {MAX_CATEGORIES})")
        top = max(top, c)
    return top + 1


cdef double* widened(const float[:, ::1] item_feat) except NULL:
    """A malloc'ed float64 copy of the features (exact; saves a conversion per product)."""
    cdef Py_ssize_t m = item_feat.shape[0], j, k
    cdef double* out = <double*>malloc(m * DIM * sizeof(double))
    if out == NULL:
        raise MemoryError()
    for j in range(m):
        for k in range(DIM):
            out[j * DIM + k] = item_feat[j, k]
    return out


cdef uint8_t* slate_flag_table(const int32_t[::1] item_cat, const uint8_t[::1] item_sensitive,
                               int32_t n_cat) except NULL:
    """A malloc'ed uint8[n_cat + 1, M]: row c flags the items that are sensitive or of
    category c; row n_cat (no recent purchase) flags the sensitive ones.  One load per
    candidate then tells whether it could make a slate fail.  Categories: [0, n_cat).
    """
    cdef Py_ssize_t m = item_cat.shape[0], c, j
    cdef uint8_t* out
    cdef uint8_t* sensitive_row
    if (n_cat + 1) * m > MAX_FLAG_TABLE:
        raise ValueError(f"{n_cat} categories x {m} items: the slate-flag table would exceed "
                         f"{MAX_FLAG_TABLE} bytes")
    out = <uint8_t*>malloc((n_cat + 1) * m)
    if out == NULL:
        raise MemoryError()
    sensitive_row = out + n_cat * m
    for j in range(m):
        sensitive_row[j] = item_sensitive[j] != 0
    for c in range(n_cat):
        memcpy(out + c * m, sensitive_row, m)
    for j in range(m):
        out[item_cat[j] * m + j] = 1
    return out


cdef run_wave(chunk_fn fn, const float[:, ::1] pref, const float[::1] privacy,
              float[::1] trust, float[::1] fatigue, uint8_t[::1] churned,
              int32_t[::1] last_cat, int32_t[::1] last_day,
              const float[:, ::1] item_feat, const int32_t[::1] item_cat,
              const uint8_t[::1] item_sensitive, const double[::1] item_price,
              int day, uint64_t key, Py_ssize_t chunk_size,
              int64_t[:, ::1] counts, double[::1] revenue, int n_threads):
    """The body of both waves: builds the per-wave catalog tables, then runs the chunks
    without the GIL."""
    if pref.shape[0] == 0:
        return
    cdef Customers cu = customers_view(pref, privacy, trust, fatigue, churned, last_cat, last_day)
    cdef Catalog cat = catalog_view(item_cat, item_sensitive, item_price)
    cat.n_cat = n_categories(item_cat)
    cat.feat = widened(item_feat)
    try:
        cat.flags = slate_flag_table(item_cat, item_sensitive, cat.n_cat)
        try:
            with nogil:
                run_chunks(fn, &cat, &cu, pref.shape[0], chunk_size, day, key,
                           counts, revenue, n_threads)
        finally:
            free(<void*>cat.flags)
    finally:
        free(<void*>cat.feat)


def ref_visit_wave(
    const float[:, ::1] pref,           # IN  float32[N, 8]
    const float[::1] privacy,           # IN  float32[N]
    float[::1] trust,                   # IN/OUT float32[N]
    float[::1] fatigue,                 # IN/OUT float32[N]
    uint8_t[::1] churned,               # IN/OUT uint8[N]
    int32_t[::1] last_cat,              # IN/OUT int32[N]
    int32_t[::1] last_day,              # IN/OUT int32[N]
    const float[:, ::1] item_feat,      # IN  float32[M, 8]
    const int32_t[::1] item_cat,        # IN  int32[M]
    const uint8_t[::1] item_sensitive,  # IN  uint8[M]
    const double[::1] item_price,       # IN  float64[M]
    int day, uint64_t key, Py_ssize_t chunk_size,
    int64_t[:, ::1] counts,             # OUT int64[n_chunks, 4]
    double[::1] revenue,                # OUT float64[n_chunks]
    int n_threads,
):
    """One day: every customer's fatigue decays (if day > 0), each non-churned one visits
    with probability 0.2 and a visit runs one interaction.  Draws as in the design note.

    Unchecked: call through ``benchmarks.refv1.visit_wave``, which validates the arrays.
    """
    run_wave(visit_chunk, pref, privacy, trust, fatigue, churned, last_cat, last_day,
             item_feat, item_cat, item_sensitive, item_price, day, key, chunk_size,
             counts, revenue, n_threads)


def ref_email_wave(
    const float[:, ::1] pref,           # IN  float32[N, 8]
    const float[::1] privacy,           # IN  float32[N]
    float[::1] trust,                   # IN/OUT float32[N]
    float[::1] fatigue,                 # IN/OUT float32[N]
    uint8_t[::1] churned,               # IN/OUT uint8[N]
    int32_t[::1] last_cat,              # IN/OUT int32[N]
    int32_t[::1] last_day,              # IN/OUT int32[N]
    const float[:, ::1] item_feat,      # IN  float32[M, 8]
    const int32_t[::1] item_cat,        # IN  int32[M]
    const uint8_t[::1] item_sensitive,  # IN  uint8[M]
    const double[::1] item_price,       # IN  float64[M]
    int day, uint64_t key, Py_ssize_t chunk_size,
    int64_t[:, ::1] counts,             # OUT int64[n_chunks, 4]
    double[::1] revenue,                # OUT float64[n_chunks]
    int n_threads,
):
    """One email campaign: every non-churned customer is sent an email (fatigue += 0.3),
    opens it with probability 0.3 * trust, and an open runs one interaction.

    Unchecked: call through ``benchmarks.refv1.email_wave``, which validates the arrays.
    """
    run_wave(email_chunk, pref, privacy, trust, fatigue, churned, last_cat, last_day,
             item_feat, item_cat, item_sensitive, item_price, day, key, chunk_size,
             counts, revenue, n_threads)
