# The contact policy's frequency caps, compiled.
#
# Design note.  Every outbound wave passes its reachable customers through the caps: an email
# wave, most of the population.  As NumPy that is a gather from each counter array, a mask,
# a filtered copy and two scatters per wave; one pass over the candidates decides, compacts
# and counts the same way (sim.campaigns.policy keeps the NumPy version as its twin).

cimport cython
from libc.stdint cimport int64_t, uint8_t


def admit(
    const int64_t[::1] cust,            # IN  int64[k] unique customers, ascending, each in [0, N)
    uint8_t[:, ::1] sent_this_week,     # IN/OUT uint8[N, C] contacts this calendar week per channel
    uint8_t[:, ::1] sent_today,         # IN/OUT uint8[N, C] contacts today per channel
    const uint8_t[::1] outbound,        # IN  uint8[C] 1 for the channels the all-channel cap counts
    int64_t[::1] admitted,              # OUT int64[k] the admitted customers first, in order
    int channel, int cap_per_week, int cap_per_day, int all_channels_per_week,
):
    """The customers of ``cust`` under every cap (a cap of 0 is no cap), in order, written to
    the start of ``admitted``; each admitted customer's two counters of ``channel`` go up by
    one (modulo 256, as uint8 arithmetic does).  The all-channel cap compares the sum of the
    week's counters of the ``outbound`` channels, before this wave.  Returns the number
    admitted, or -(1 + t) for the first touch t whose customer is out of range (nothing is
    written from it on)."""
    cdef Py_ssize_t k = cust.shape[0], n = sent_this_week.shape[0], n_ch = sent_this_week.shape[1]
    cdef Py_ssize_t t, i, c, w = 0, bad = 0
    cdef int64_t week_total
    cdef bint under
    if sent_today.shape[0] != n or sent_today.shape[1] != n_ch or outbound.shape[0] != n_ch:
        raise ValueError("sent_this_week, sent_today and outbound differ in shape")
    if admitted.shape[0] < k:
        raise ValueError(f"admitted holds {admitted.shape[0]} entries, fewer than the {k} customers")
    if not 0 <= channel < n_ch:
        raise ValueError(f"channel {channel} is not one of the {n_ch} channels")
    with nogil:
        for t in range(k):
            i = cust[t]
            if i < 0 or i >= n:
                bad = 1 + t
                break
            under = True
            if cap_per_week:
                under = under and sent_this_week[i, channel] < cap_per_week
            if cap_per_day:
                under = under and sent_today[i, channel] < cap_per_day
            if all_channels_per_week:
                week_total = 0
                for c in range(n_ch):
                    if outbound[c]:
                        week_total = week_total + sent_this_week[i, c]
                under = under and week_total < all_channels_per_week
            if under:
                admitted[w] = i
                w = w + 1
                sent_this_week[i, channel] = <uint8_t>(sent_this_week[i, channel] + 1)
                sent_today[i, channel] = <uint8_t>(sent_today[i, channel] + 1)
    return -bad if bad else w
