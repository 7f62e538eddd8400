# The contact policy, compiled: who an outbound wave can reach, and who of them the
# frequency caps admit.
#
# Design note.  A scheduled wave's audience is every active customer who consents to the
# channel (for some campaigns, who also meets an extra condition): for an email wave, most
# of the population.  As NumPy that is three boolean passes over the population, an index
# pass and a copy, then, for the caps, a gather from each counter array, a mask, a filtered
# copy and two scatters.  Here a scheduled wave is one scan of the population,
# ``admit_reachable``, that finds the reachable customers and decides their caps as it
# goes: the audience is never a list of its own, only the admitted customers are written.
# ``reachable`` is the same scan without the caps, and ``admit`` decides the caps of a
# candidate list (a triggered or retargeting wave).  sim.campaigns.policy keeps the NumPy
# versions as the twins.
#
# The scan reads the population 64 customers at a time: eight bytes of each array at once
# make a 64-bit mask of who is reachable, and only the customers of the mask are visited
# (whether a customer is reachable is a coin flip, which a branch per customer would
# mispredict).
#
# Both run between the wave's kernels, where only the calling thread works, so a large
# input is split into fixed blocks that the threads take in parallel, each customer decided
# once:
#
# * pass 1 bounds each block's output and writes nothing: the scan counts the block's
#   reachable customers; the list checks its touches (in range, strictly ascending);
# * the bounds, summed in order, give each block its own output slots;
# * pass 2 decides the block's customers in order, writes the admitted ones from the start
#   of its slots and counts their contacts;
# * where a cap held customers back, the blocks' outputs are packed together, in order.
#
# The blocks do not depend on the thread count, and each block writes only its own slots
# and its own customers' counters (the customers are unique: the population's, or a list
# checked to be strictly ascending), so the result is the same on any count.  Pass 1 also
# finds a list's first customer out of range before anything is written, so that error
# leaves what the serial pass leaves; a list that is not strictly ascending takes the
# serial pass, the reference.

from cython.parallel cimport prange
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memmove, memset

import numpy as np

cdef extern from *:
    """
    #define sim_ctz64(x) __builtin_ctzll(x)
    #define sim_popcount64(x) __builtin_popcountll(x)
    #define SIM_BYTE_ONES 0x0101010101010101ULL
    #define SIM_BYTE_LOW7 0x7F7F7F7F7F7F7F7FULL
    #define SIM_BYTES_TO_BITS 0x0102040810204080ULL
    """
    int ctz64 "sim_ctz64"(uint64_t x) noexcept nogil           # x != 0
    int popcount64 "sim_popcount64"(uint64_t x) noexcept nogil
    # Bit 0 of every byte; the low seven bits of every byte; the multiplier that gathers
    # bit 0 of byte j into bit 56 + j.
    const uint64_t BYTE_ONES "SIM_BYTE_ONES"
    const uint64_t BYTE_LOW7 "SIM_BYTE_LOW7"
    const uint64_t BYTES_TO_BITS "SIM_BYTES_TO_BITS"

cdef enum:
    # Customers per block of a scan: a customer costs a few bytes read, so a block is large
    # for its work (tens of microseconds) to dwarf its scheduling.  A multiple of 64, the
    # customers of one mask.
    SCAN_BLOCK = 32768
    # Touches per block of a candidate list (each: a counter row read and written).
    LIST_BLOCK = 8192
    # Below this many customers (a scan) or touches (a list) the work stays on the calling
    # thread: no parallel region to start (waking the threads costs microseconds, a sizeable
    # part of a small wave's pass).
    PARALLEL_MIN = 16384

BLOCKS = {"scan": SCAN_BLOCK, "list": LIST_BLOCK, "parallel_min": PARALLEL_MIN}
"""The block sizes and the parallel threshold, so that tests can aim at their boundaries."""


# ---------------------------------------------------------------------- who is reachable

cdef struct Reach:
    # Who a wave can reach: bit ``channel`` of consent[i] set, active[i] and extra[i] nonzero.
    const uint8_t* consent              # uint8[n]
    const uint8_t* active               # uint8[n]
    const uint8_t* extra                # uint8[n], or NULL for no extra condition
    Py_ssize_t n
    int channel


cdef inline uint64_t load8(const uint8_t* p) noexcept nogil:
    """Bytes p[0..7] as one little-endian word (one unaligned load)."""
    cdef uint64_t x
    memcpy(&x, p, 8)
    return x


cdef inline uint64_t nonzero_bytes(uint64_t x) noexcept nogil:
    """Per byte of x: 1 where it is nonzero, 0 where it is zero (bit 7 of (b & 0x7F) + 0x7F,
    or b's own bit 7, is set exactly when b != 0; no carry crosses a byte)."""
    return ((((x & BYTE_LOW7) + BYTE_LOW7) | x) >> 7) & BYTE_ONES


cdef inline uint64_t reached8(const Reach* r, Py_ssize_t i) noexcept nogil:
    """Bits 0-7: whether customers i..i+7 (all < n) are reached.  The bytes of ``keep`` are
    0 or 1; the multiplication gathers byte j into bit 56 + j, carry-free."""
    cdef uint64_t keep = (load8(r.consent + i) >> r.channel) & BYTE_ONES
    keep = keep & nonzero_bytes(load8(r.active + i))
    if r.extra != NULL:
        keep = keep & nonzero_bytes(load8(r.extra + i))
    return (keep * BYTES_TO_BITS) >> 56


cdef inline uint64_t reached64(const Reach* r, Py_ssize_t i) noexcept nogil:
    """Bit j: whether customer i + j is reached (0 from n on)."""
    cdef uint64_t m = 0
    cdef Py_ssize_t j
    if i + 64 <= r.n:
        for j in range(8):
            m = m | (reached8(r, i + 8 * j) << (8 * j))
        return m
    for j in range(r.n - i):                    # the population's last, partial mask
        if (r.consent[i + j] >> r.channel) & 1 and r.active[i + j] and (r.extra == NULL or r.extra[i + j]):
            m = m | (<uint64_t>1 << j)
    return m


# ---------------------------------------------------------------------- the caps

cdef struct Caps:
    # The per-customer counters (row-major uint8[N, C]) and the caps of one wave's channel.
    uint8_t* week                       # sent_this_week
    uint8_t* today                      # sent_today
    const uint8_t* outbound             # uint8[C]: 1 for the channels the all-channel cap counts
    Py_ssize_t n, n_ch
    int channel, per_week, per_day, all_per_week


cdef inline Caps copy_of(const Caps* caps) noexcept nogil:
    """``caps[0]``, or all zero (no counters, no cap) for NULL: a block function's own copy,
    which the compiler keeps in registers (a store through the counters could change what a
    pointer points to, never a local)."""
    cdef Caps k
    memset(&k, 0, sizeof(Caps))
    if caps != NULL:
        k = caps[0]
    return k


cdef inline bint any_cap(const Caps* k) noexcept nogil:
    return k.per_week != 0 or k.per_day != 0 or k.all_per_week != 0


cdef inline Py_ssize_t under_caps(const Caps* k, int64_t i) noexcept nogil:
    """1 if customer i (in range) is under every cap (a cap of 0 is no cap), else 0.  Which
    caps there are is a branch (the same for every customer; a counter no cap reads is not
    loaded), whether the customer is under them arithmetic: a matter of data, which a
    branch would mispredict."""
    cdef const uint8_t* row = k.week + i * k.n_ch
    cdef int64_t week_total = 0
    cdef Py_ssize_t c, ok = 1
    if k.per_week:
        ok = row[k.channel] < k.per_week
    if k.per_day:
        ok = ok & (k.today[i * k.n_ch + k.channel] < k.per_day)
    if k.all_per_week:
        for c in range(k.n_ch):
            if k.outbound[c]:
                week_total = week_total + row[c]
        ok = ok & (week_total < k.all_per_week)
    return ok


cdef inline void count_contact(const Caps* k, int64_t i, uint8_t d) noexcept nogil:
    """Customer i's two counters of the channel go up by d (modulo 256, as uint8 does)."""
    k.week[i * k.n_ch + k.channel] = <uint8_t>(k.week[i * k.n_ch + k.channel] + d)
    k.today[i * k.n_ch + k.channel] = <uint8_t>(k.today[i * k.n_ch + k.channel] + d)


# ---------------------------------------------------------------------- a scan's blocks
# Each pass is a loop over the blocks: serial for one thread or a small population (no
# parallel region to start), else parallel.

cdef Py_ssize_t count_reached(Reach r, Py_ssize_t b) noexcept nogil:
    """Pass 1: how many of block b's customers are reached."""
    cdef Py_ssize_t i, lo = b * SCAN_BLOCK, hi = min(lo + SCAN_BLOCK, r.n), seen = 0
    for i in range(lo, hi, 64):
        seen += popcount64(reached64(&r, i))
    return seen


cdef Py_ssize_t keep_block(Reach r, const Caps* caps, Py_ssize_t b, Py_ssize_t w, Py_ssize_t end,
                           int64_t* out) noexcept nogil:
    """Pass 2 over block b's customers: the reached ones (``caps`` NULL), or those of them
    under every cap of ``caps``, whose contacts it counts, ascending into out[w:end], the
    block's slots (one per reached customer).  Returns how many it wrote."""
    cdef Py_ssize_t i, lo = b * SCAN_BLOCK, hi = min(lo + SCAN_BLOCK, r.n), w0 = w, kept
    cdef int64_t c
    cdef uint64_t m
    cdef Caps k = copy_of(caps)
    cdef bint decide = any_cap(&k)
    for i in range(lo, hi, 64):
        m = reached64(&r, i)
        if not decide:                          # every reached customer is kept
            while m and w < end:
                c = i + ctz64(m)
                m = m & (m - 1)
                out[w] = c
                w += 1
                if caps != NULL:
                    count_contact(&k, c, 1)
            continue
        while m and w < end:
            # No branch on the decision: the customer is written at out[w], a slot of this
            # block's, and w moves on only if it is kept; its counters go up by 1 or 0.
            c = i + ctz64(m)
            m = m & (m - 1)
            kept = under_caps(&k, c)
            out[w] = c
            w += kept
            count_contact(&k, c, <uint8_t>kept)
    return w - w0


cdef void count_blocks(Reach r, Py_ssize_t n_blocks, int n_threads, Py_ssize_t* reached) noexcept nogil:
    """Pass 1 over every block: reached[b] (see count_reached)."""
    cdef Py_ssize_t b
    if n_threads <= 1:
        for b in range(n_blocks):
            reached[b] = count_reached(r, b)
        return
    for b in prange(n_blocks, schedule="static", num_threads=n_threads):
        reached[b] = count_reached(r, b)


cdef void keep_blocks(Reach r, const Caps* caps, Py_ssize_t n_blocks, int n_threads, const Py_ssize_t* first,
                      int64_t* out, Py_ssize_t* kept) noexcept nogil:
    """Pass 2 over every block: block b's customers (see keep_block) from out[first[b]] on,
    up to first[b + 1]; kept[b] of them."""
    cdef Py_ssize_t b
    if n_threads <= 1:
        for b in range(n_blocks):
            kept[b] = keep_block(r, caps, b, first[b], first[b + 1], out)
        return
    for b in prange(n_blocks, schedule="static", num_threads=n_threads):
        kept[b] = keep_block(r, caps, b, first[b], first[b + 1], out)


cdef void pack_blocks(const int64_t* src, const Py_ssize_t* first, const Py_ssize_t* place, Py_ssize_t n_blocks,
                      int n_threads, int64_t* out) noexcept nogil:
    """Block b's place[b + 1] - place[b] customers, from src[first[b]], to out[place[b]]
    (``out`` apart from ``src``, so the blocks copy in parallel)."""
    cdef Py_ssize_t b
    if n_threads <= 1:
        for b in range(n_blocks):
            memcpy(out + place[b], src + first[b], (place[b + 1] - place[b]) * sizeof(int64_t))
        return
    for b in prange(n_blocks, schedule="static", num_threads=n_threads):
        memcpy(out + place[b], src + first[b], (place[b + 1] - place[b]) * sizeof(int64_t))


cdef object scan(Reach r, const Caps* caps, int n_threads, Py_ssize_t* n_reached):
    """int64[k']: the customers ``keep_block`` keeps (the reached ones, or those of them
    under every cap, whose contacts are counted), ascending; the number reached goes to
    ``*n_reached``.  Fixed blocks of SCAN_BLOCK customers; a population of PARALLEL_MIN or
    more on ``n_threads`` threads."""
    cdef Py_ssize_t n_blocks = (r.n + SCAN_BLOCK - 1) // SCAN_BLOCK, b, total = 0, n_kept = 0
    # [n_blocks + 1] each: the blocks' reached customers, then their first slots; the
    # numbers they keep, then their places in the packed output.
    cdef Py_ssize_t* first = NULL
    cdef Py_ssize_t* kept = NULL
    cdef int nt = n_threads if r.n >= PARALLEL_MIN else 1
    cdef int64_t[::1] slots_view, out_view
    n_reached[0] = 0
    if r.n == 0:
        return np.zeros(0, dtype=np.int64)
    first = <Py_ssize_t*>malloc((n_blocks + 1) * sizeof(Py_ssize_t))
    kept = <Py_ssize_t*>malloc((n_blocks + 1) * sizeof(Py_ssize_t))
    try:
        if first == NULL or kept == NULL:
            raise MemoryError()
        with nogil:
            count_blocks(r, n_blocks, nt, first)
        for b in range(n_blocks):           # counts -> first slots (an exclusive prefix sum)
            first[b], total = total, total + first[b]
        first[n_blocks] = total
        n_reached[0] = total
        slots = np.empty(total, dtype=np.int64)
        if total == 0:
            return slots
        slots_view = slots
        with nogil:
            keep_blocks(r, caps, n_blocks, nt, first, &slots_view[0], kept)
        for b in range(n_blocks):           # kept -> places in the packed output
            kept[b], n_kept = n_kept, n_kept + kept[b]
        kept[n_blocks] = n_kept
        if n_kept == total:                 # nobody held back: the slots are the output
            return slots
        out = np.empty(n_kept, dtype=np.int64)
        if n_kept:
            out_view = out
            with nogil:
                pack_blocks(&slots_view[0], first, kept, n_blocks, nt, &out_view[0])
        return out
    finally:
        free(first)
        free(kept)


cdef Reach reach_of(const uint8_t[::1] consent, const uint8_t[::1] active, const uint8_t[::1] extra,
                    int channel) except *:
    """The Reach of the arrays (checked: the same length, a channel with a consent bit)."""
    cdef Reach r
    cdef Py_ssize_t n = consent.shape[0]
    if active.shape[0] != n or (extra is not None and extra.shape[0] != n):
        raise ValueError("consent, active and extra differ in length")
    if not 0 <= channel < 8:
        raise ValueError(f"channel {channel} has no consent bit")
    r.consent = &consent[0] if n > 0 else NULL
    r.active = &active[0] if n > 0 else NULL
    r.extra = &extra[0] if extra is not None and n > 0 else NULL
    r.n, r.channel = n, channel
    return r


cdef Caps caps_of(uint8_t[:, ::1] sent_this_week, uint8_t[:, ::1] sent_today, const uint8_t[::1] outbound,
                  int channel, int cap_per_week, int cap_per_day, int all_channels_per_week) except *:
    """The Caps of the counters (checked: the same shapes, a channel among them)."""
    cdef Caps k
    cdef Py_ssize_t n = sent_this_week.shape[0], n_ch = sent_this_week.shape[1]
    if sent_today.shape[0] != n or sent_today.shape[1] != n_ch or outbound.shape[0] != n_ch:
        raise ValueError("sent_this_week, sent_today and outbound differ in shape")
    if not 0 <= channel < n_ch:
        raise ValueError(f"channel {channel} is not one of the {n_ch} channels")
    k.week = &sent_this_week[0, 0] if n > 0 else NULL
    k.today = &sent_today[0, 0] if n > 0 else NULL
    k.outbound = &outbound[0]
    k.n, k.n_ch, k.channel = n, n_ch, channel
    k.per_week, k.per_day, k.all_per_week = cap_per_week, cap_per_day, all_channels_per_week
    return k


def reachable(
    const uint8_t[::1] consent,         # IN  uint8[N] consent bits by channel code
    const uint8_t[::1] active,          # IN  uint8[N] nonzero until the customer churns
    const uint8_t[::1] extra,           # IN  uint8[N] the audience's extra condition, or None
    int channel, int n_threads=1,
):
    """int64[k]: the customers i, ascending, with bit ``channel`` of ``consent[i]`` set,
    ``active[i]`` nonzero and (unless ``extra`` is None) ``extra[i]`` nonzero.  A population
    of PARALLEL_MIN or more is scanned on ``n_threads`` threads (the same result on any
    count)."""
    cdef Py_ssize_t n_reached
    return scan(reach_of(consent, active, extra, channel), NULL, n_threads, &n_reached)


def admit_reachable(
    const uint8_t[::1] consent,         # IN  uint8[N] consent bits by channel code
    const uint8_t[::1] active,          # IN  uint8[N] nonzero until the customer churns
    const uint8_t[::1] extra,           # IN  uint8[N] the audience's extra condition, or None
    uint8_t[:, ::1] sent_this_week,     # IN/OUT uint8[N, C] contacts this calendar week per channel
    uint8_t[:, ::1] sent_today,         # IN/OUT uint8[N, C] contacts today per channel
    const uint8_t[::1] outbound,        # IN  uint8[C] 1 for the channels the all-channel cap counts
    int channel, int cap_per_week, int cap_per_day, int all_channels_per_week, int n_threads=1,
):
    """``admit`` of ``reachable``'s customers, in one scan of the population.  Returns
    (admitted, reached): int64[k'] the admitted customers, ascending, whose two counters of
    ``channel`` went up by one; and k, the number of reachable customers.  A population of
    PARALLEL_MIN or more is scanned on ``n_threads`` threads (the same result on any
    count)."""
    cdef Py_ssize_t n_reached
    cdef Reach r = reach_of(consent, active, extra, channel)
    cdef Caps k = caps_of(sent_this_week, sent_today, outbound, channel, cap_per_week, cap_per_day,
                          all_channels_per_week)
    if k.n != r.n:
        raise ValueError(f"the counters hold {k.n} customers, the population {r.n}")
    admitted = scan(r, &k, n_threads, &n_reached)
    return admitted, n_reached


# ---------------------------------------------------------------------- a candidate list

cdef Py_ssize_t admit_touches(Caps k, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t w,
                              const int64_t* cust, int64_t* admitted, Py_ssize_t* stop) noexcept nogil:
    """Decide touches lo..hi-1 in order: each admitted customer is written at admitted[w]
    (w then moves on) and its contact counted.  Returns the next w.  Stops at the first
    touch t whose customer is out of range, with ``*stop = 1 + t`` (0 when none).

    No branch on the decision: every customer is written at admitted[w] (w <= t: a slot of
    the touches lo..t, already read), and w moves on only if it is admitted; its counters
    go up by 1 or 0."""
    cdef Py_ssize_t t, ok = 1
    cdef int64_t i
    cdef bint decide = any_cap(&k)
    stop[0] = 0
    for t in range(lo, hi):
        i = cust[t]
        if i < 0 or i >= k.n:
            stop[0] = 1 + t
            break
        if decide:
            ok = under_caps(&k, i)
        admitted[w] = i
        w = w + ok
        count_contact(&k, i, <uint8_t>ok)
    return w


cdef Py_ssize_t check_touches(Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t n, const int64_t* cust) noexcept nogil:
    """Pass 1 over touches lo..hi-1: 0, or for the first touch t whose customer is out of
    range [0, n), 1 + t, or for the first not above the touch before it (the list may repeat
    a customer), -(1 + t)."""
    cdef Py_ssize_t t
    cdef int64_t i, before = cust[lo - 1] if lo > 0 else -1
    for t in range(lo, hi):
        i = cust[t]
        if i < 0 or i >= n:
            return 1 + t
        if i <= before:
            return -(1 + t)
        before = i
    return 0


cdef Py_ssize_t admit_list(Caps k, const int64_t* cust, Py_ssize_t n_cust, int64_t* admitted, int n_threads,
                           Py_ssize_t* stop, Py_ssize_t* kept) noexcept nogil:
    """``admit``'s work (see there): serially when ``stop`` is NULL, else in blocks of
    LIST_BLOCK touches on ``n_threads`` threads, ``stop`` and ``kept`` one entry per block.
    Block b's admitted customers go first to its own slots, from admitted[b * LIST_BLOCK],
    then down to their place."""
    cdef Py_ssize_t n_blocks = (n_cust + LIST_BLOCK - 1) // LIST_BLOCK, b, w = 0, bad = 0, end = n_cust, s
    cdef bint serial = stop == NULL
    if not serial:
        for b in prange(n_blocks, schedule="static", num_threads=n_threads):
            stop[b] = check_touches(b * LIST_BLOCK, min((b + 1) * LIST_BLOCK, n_cust), k.n, cust)
        # The first block that stopped decides: at a customer out of range, pass 2 admits the
        # touches before it (and no block after it); at a repeat, the serial pass runs.
        for b in range(n_blocks):
            if stop[b] < 0:
                serial = True
            elif stop[b] > 0:
                bad = stop[b]
                end = bad - 1
                n_blocks = b + 1
            if stop[b]:
                break
    if serial:
        w = admit_touches(k, 0, n_cust, 0, cust, admitted, &s)
        return -s if s else w
    for b in prange(n_blocks, schedule="static", num_threads=n_threads):
        kept[b] = admit_touches(k, b * LIST_BLOCK, min((b + 1) * LIST_BLOCK, end), b * LIST_BLOCK, cust,
                                admitted, &stop[b]) - b * LIST_BLOCK
    for b in range(n_blocks):               # down to their place, in order (nothing moves
        if w != b * LIST_BLOCK:             # while nobody was held back)
            memmove(admitted + w, admitted + b * LIST_BLOCK, kept[b] * sizeof(int64_t))
        w = w + kept[b]
    return -bad if bad else w


def admit(
    const int64_t[::1] cust,            # IN  int64[k] unique customers, ascending, each in [0, N)
    uint8_t[:, ::1] sent_this_week,     # IN/OUT uint8[N, C] contacts this calendar week per channel
    uint8_t[:, ::1] sent_today,         # IN/OUT uint8[N, C] contacts today per channel
    const uint8_t[::1] outbound,        # IN  uint8[C] 1 for the channels the all-channel cap counts
    int64_t[::1] admitted,              # OUT int64[k] the admitted customers first, in order
    int channel, int cap_per_week, int cap_per_day, int all_channels_per_week, int n_threads=1,
):
    """The customers of ``cust`` under every cap (a cap of 0 is no cap), in order, written to
    the start of ``admitted``; each admitted customer's two counters of ``channel`` go up by
    one (modulo 256, as uint8 arithmetic does).  The all-channel cap compares the sum of the
    week's counters of the ``outbound`` channels, before this wave.  Returns the number
    admitted, or -(1 + t) for the first touch t whose customer is out of range: the touches
    before it are admitted and counted, nothing from it on.

    A strictly ascending list of PARALLEL_MIN touches or more is decided on ``n_threads``
    threads: a first pass, which writes nothing, finds the first customer out of range, so
    the outcome, an error's included, is the serial pass's on any thread count.  Any other
    list (a repeated customer; ``admitted`` overlapping ``cust``) is decided serially.  The
    entries of ``admitted`` past those returned are scratch.
    """
    cdef Py_ssize_t k = cust.shape[0], n_blocks = (k + LIST_BLOCK - 1) // LIST_BLOCK, w
    cdef Py_ssize_t* stop = NULL        # [n_blocks]: each block's check (see check_touches)
    cdef Py_ssize_t* kept = NULL        # [n_blocks]: each block's admitted touches
    cdef Caps caps = caps_of(sent_this_week, sent_today, outbound, channel, cap_per_week, cap_per_day,
                             all_channels_per_week)
    if admitted.shape[0] < k:
        raise ValueError(f"admitted holds {admitted.shape[0]} entries, fewer than the {k} customers")
    if k == 0:
        return 0
    # An admitted overlapping cust (the list compacted in place) takes the serial pass,
    # which writes admitted[w] only after reading cust[t], t >= w.
    if not (n_threads <= 1 or k < PARALLEL_MIN
            or (&admitted[0] < &cust[0] + k and &cust[0] < &admitted[0] + admitted.shape[0])):
        stop = <Py_ssize_t*>malloc(n_blocks * sizeof(Py_ssize_t))
        kept = <Py_ssize_t*>malloc(n_blocks * sizeof(Py_ssize_t))
        if stop == NULL or kept == NULL:
            free(stop)
            free(kept)
            raise MemoryError()
    try:
        with nogil:
            w = admit_list(caps, &cust[0], k, &admitted[0], n_threads, stop, kept)
    finally:
        free(stop)
        free(kept)
    return w
