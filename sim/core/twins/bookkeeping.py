"""NumPy twins of the bookkeeping kernels: a wave's tally (sim.core._stats.tally_wave) and the
contact book's update (sim.core._book.note_wave)."""

from __future__ import annotations

import numpy as np

__all__ = ["tally_wave", "note_wave", "TALLY_CHUNK"]

TALLY_CHUNK = 16384
"""Touches per chunk of the compiled tally (sim.core._stats.TALLY_CHUNK; a test checks both
agree): its per-segment revenue and its sums are sums of per-chunk sums, taken here in the
same order."""


def tally_wave(
    cust,
    segment,
    exposed,
    clicked,
    bought,
    revenue,
    margin,
    persofail,
    creepy,
    opted_out,
    basis,
    rel,
    score,
    counts,
    persofail_slot_basis,
    creepy_basis,
    by_segment,
    sums,
    n_threads=1,
) -> int:
    """See the compiled kernel; the same outputs, bit for bit (out-of-range checks left to
    NumPy's indexing; ``n_threads`` is ignored)."""
    n_seg = by_segment.shape[1]
    ex = exposed != 0
    n_exposed = int(np.count_nonzero(ex))
    sold = bought >= 0
    counts[:] = (
        n_exposed,
        np.count_nonzero(clicked),
        np.count_nonzero(sold),
        np.count_nonzero(opted_out),
        np.count_nonzero(persofail),
        np.count_nonzero(creepy),
    )
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
    # Revenue and margin as the kernel sums them: per chunk of touches in touch order, the
    # chunks in order.
    by_segment[0] = 0.0
    by_segment[5] = 0.0
    for lo in range(0, len(cust), TALLY_CHUNK):
        r = lo + np.flatnonzero(sold[lo : lo + TALLY_CHUNK])
        by_segment[0] += np.bincount(seg[r], weights=revenue[r], minlength=n_seg)
        by_segment[5] += np.bincount(seg[r], weights=margin[r], minlength=n_seg)
    best = score.max(axis=1).astype(np.float64) if score.shape[1] else np.zeros(len(cust))
    sums[:] = 0.0
    for lo in range(0, len(cust), TALLY_CHUNK):
        part = slice(lo, lo + TALLY_CHUNK)
        r = lo + np.flatnonzero(sold[part])
        sums[0] += in_order(revenue[r])
        sums[1] += in_order(margin[r])
        sums[2] += lane_sum(np.where(ex[part], rel[part].astype(np.float64), 0.0))
        sums[3] += lane_sum(np.where(ex[part], best[part], 0.0))
    return 0


def in_order(values: np.ndarray) -> float:
    """0.0 + values[0] + values[1] + ..., one addition at a time.  ``values``: float64 (n,)."""
    return float(np.add.accumulate(np.concatenate(([0.0], values)))[-1])


def lane_sum(values: np.ndarray) -> float:
    """A chunk's sum as the compiled tally takes it: eight partial sums, partial sum q of values
    q, q + 8, q + 16, ... in order, then added pairwise ((p0 + p1) + (p3 + p2)) + ((p4 + p5) +
    (p7 + p6)).  ``values``: float64 (n,)."""
    # A first row of zeros: each partial sum starts at +0.0, as the kernel's do.
    lanes = np.zeros(8 + -(-len(values) // 8) * 8)
    lanes[8 : 8 + len(values)] = values
    p = np.add.accumulate(lanes.reshape(-1, 8), axis=0)[-1]
    return float(((p[0] + p[1]) + (p[3] + p[2])) + ((p[4] + p[5]) + (p[7] + p[6])))


def note_wave(
    cust, clicked, bought, last_visit, last_purchase, last_engaged, visit: bool, now: int, n_threads: int = 1
) -> int:
    """See the compiled kernel (``n_threads`` is ignored)."""
    sold = bought >= 0
    last_purchase[cust[sold]] = now
    if visit:
        last_visit[cust] = now
    else:
        last_engaged[cust[sold | (clicked != 0)]] = now
    return 0
