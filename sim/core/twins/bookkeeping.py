"""NumPy twins of the bookkeeping kernels: a wave's tally (sim.core._stats.tally_wave) and the
contact book's update (sim.core._book.note_wave)."""

from __future__ import annotations

import numpy as np

__all__ = ["tally_wave", "note_wave", "TALLY_CHUNK"]

TALLY_CHUNK = 16384
"""Touches per chunk of the compiled tally (sim.core._stats.TALLY_CHUNK; a test checks both
agree): its per-segment revenue is a sum of per-chunk sums, taken here in the same order."""


def tally_wave(cust, segment, exposed, clicked, bought, revenue, persofail, creepy, opted_out, basis, rel, score,
               counts, persofail_slot_basis, creepy_basis, by_segment, exposed_rel, exposed_best, n_threads=1) -> int:
    """See the compiled kernel; the same outputs, bit for bit (out-of-range checks left to
    NumPy's indexing; ``n_threads`` is ignored)."""
    n_seg = by_segment.shape[1]
    ex = exposed != 0
    n_exposed = int(np.count_nonzero(ex))
    sold = bought >= 0
    counts[:] = (n_exposed, np.count_nonzero(clicked), np.count_nonzero(sold), np.count_nonzero(opted_out),
                 np.count_nonzero(persofail), np.count_nonzero(creepy))
    persofail_slot_basis[:] = 0
    rows = np.flatnonzero(persofail)
    slot = persofail[rows].astype(np.int64) - 1
    np.add.at(persofail_slot_basis, (slot, basis[rows, slot]), 1)
    creepy_rows = basis[creepy != 0]
    creepy_basis[:] = np.bincount(creepy_rows.max(axis=1), minlength=creepy_basis.shape[0]) if creepy_rows.size else 0
    seg = segment[cust]
    for row, hit in enumerate((sold, sold, persofail != 0, creepy != 0, opted_out != 0)):
        r = np.flatnonzero(hit)
        by_segment[row] = np.bincount(seg[r], minlength=n_seg)
    # Revenue as the kernel sums it: per chunk of touches in touch order, the chunks in order.
    by_segment[0] = 0.0
    for lo in range(0, len(cust), TALLY_CHUNK):
        r = lo + np.flatnonzero(sold[lo:lo + TALLY_CHUNK])
        by_segment[0] += np.bincount(seg[r], weights=revenue[r], minlength=n_seg)
    exposed_rel[:n_exposed] = rel[ex]
    exposed_best[:n_exposed] = score[ex].max(axis=1) if score.shape[1] else 0.0
    return 0


def note_wave(cust, clicked, bought, last_visit, last_purchase, last_active, visit: bool, now: int,
              n_threads: int = 1) -> int:
    """See the compiled kernel (``n_threads`` is ignored)."""
    sold = bought >= 0
    last_purchase[cust[sold]] = now
    if visit:
        last_visit[cust] = now
        last_active[cust] = now
    else:
        last_active[cust[sold | (clicked != 0)]] = now
    return 0
