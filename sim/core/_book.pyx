# The contact book's per-wave update, compiled.
#
# Design note.  After every wave the firm notes, per touched customer, the hour of the visit,
# the purchase and the last activity.  As NumPy that is three scatters through boolean masks
# and gathered index arrays per wave; one pass over the wave writes the same values.

cimport cython
from libc.stdint cimport int32_t, int64_t, uint8_t


def note_wave(
    const int64_t[::1] cust,            # IN  int64[k] unique customers, each in [0, N)
    const uint8_t[::1] clicked,         # IN  uint8[k]
    const int32_t[::1] bought,          # IN  int32[k] item bought, -1 when none
    int32_t[::1] last_visit,            # IN/OUT int32[N]
    int32_t[::1] last_purchase,         # IN/OUT int32[N]
    int32_t[::1] last_active,           # IN/OUT int32[N]
    bint visit, int32_t now,
):
    """Write hour ``now`` as the last purchase of every buyer and, for a visits wave
    (``visit``), as every visitor's last visit and activity; for an outbound wave, as the
    last activity of those who clicked or bought.  Returns 0, or 1 + the first touch whose
    customer is out of range (nothing is written from it on)."""
    cdef Py_ssize_t k = cust.shape[0], n = last_visit.shape[0], t, i, bad = 0
    if last_purchase.shape[0] != n or last_active.shape[0] != n:
        raise ValueError("last_visit, last_purchase and last_active differ in length")
    with nogil:
        for t in range(k):
            i = cust[t]
            if i < 0 or i >= n:
                bad = t + 1
                break
            if bought[t] >= 0:
                last_purchase[i] = now
            if visit:
                last_visit[i] = now
                last_active[i] = now
            elif bought[t] >= 0 or clicked[t]:
                last_active[i] = now
    return bad
