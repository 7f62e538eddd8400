"""NumPy twins of ``sim/core/_firm.pyx``: slate selection and the firm's learning.

The slate kernels are sequential per touch (rejection of duplicates, a top-S insertion), so
these twins loop over touches in Python with the same draws.  They are references for the
tests and for small runs, not fast paths.
"""

from __future__ import annotations

import numpy as np

from sim.codes import (
    BASIS_INFERRED,
    BASIS_NONE,
    BASIS_OFFSITE,
    BASIS_ONSITE,
    BASIS_STATED,
    NO_DAY,
)
from sim.core.twins.model import UNIT_SQ
from sim.core.twins.random import bits_to_uniform, customer_base, mix64

__all__ = ["fill_slates", "observe"]

_GOLDEN = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1


class _Draws:
    """One customer's counter-based draws, as Python ints (mirrors draw_bits/draw_uniform)."""

    def __init__(self, base: int):
        self.base = int(base)

    def bits(self, j: int) -> int:
        z = (self.base + (j + 1) * _GOLDEN) & _MASK
        return int(mix64(np.array([z], dtype=np.uint64))[0])

    def uniform(self, j: int) -> float:
        return float(bits_to_uniform(np.array([self.bits(j)], dtype=np.uint64))[0])

    def below(self, j: int, n: int) -> int:
        return ((self.bits(j) & 0xFFFFFFFF) * n) >> 32


EDITORIAL, POPULAR, STATED, BEHAVIOURAL, RETARGET, REPLENISH, INFERRED, OFFSITE = range(8)
NO_CAT = 255
PICK_TRIES, CAT_TRIES = 16, 4
MASKED = -(2**31)


class _Touch:
    """The mutable state of one touch while its slate is filled (mirrors the kernel's locals)."""

    def __init__(self, base: int):
        self.dr = _Draws(base)
        self.j = 0

    def draw_below(self, n: int) -> int:
        v = self.dr.below(self.j, n)
        self.j += 1
        return v


def _pick_from_list(items, row, filled, item_cat, sup, tt: _Touch) -> int:
    item = int(items[0])
    for _ in range(PICK_TRIES):
        item = int(items[tt.draw_below(len(items))])
        if item not in row[:filled] and int(item_cat[item]) not in sup:
            return item
    return item


def _pick_in_category(cat, cat_start, cat_items, row, filled, tt: _Touch) -> int:
    lo, n = int(cat_start[cat]), int(cat_start[cat + 1] - cat_start[cat])
    for _ in range(CAT_TRIES):
        item = int(cat_items[lo + tt.draw_below(n)])
        if item not in row[:filled]:
            return item
    return -1


def _take_best(cand_item, cand_score, row, filled) -> int:
    while True:
        best_v, best_c = MASKED, -1
        for c, v in enumerate(cand_score):
            if v > best_v:
                best_v, best_c = v, c
        if best_c < 0:
            return -1
        item = cand_item[best_c]
        for c in range(len(cand_item)):
            if cand_item[c] == item:
                cand_score[c] = MASKED
        if item not in row[:filled]:
            return item


def fill_slates(
    cust,
    exposed,
    slot_source,
    est_pref,
    n_obs,
    last_view_item,
    last_view_day,
    hist_item,
    hist_day,
    stated_cats,
    inferred_cat,
    offsite_cat,
    item_feat,
    item_cat,
    item_durable,
    item_cycle,
    cat_start,
    cat_items,
    popular,
    editorial,
    slate,
    basis,
    score,
    day,
    n_candidates,
    exploration,
    suppress_window,
    suppress_cycle,
    retarget_window,
    replenish_lo,
    replenish_hi,
    key,
    n_threads=1,
):
    """Twin of ``fill_slates``: the same procedure, touch by touch, in Python."""
    n_slot = slate.shape[1]
    m = item_feat.shape[0]
    sources = [int(x) for x in slot_source]
    need_cands = BEHAVIOURAL in sources or REPLENISH in sources
    bases = customer_base(key, cust)

    def firm_score(i, item):
        return float(
            np.float32(int((est_pref[i].astype(np.int64) * item_feat[item].astype(np.int64)).sum()) * (1.0 / UNIT_SQ))
        )

    unexposed = np.asarray(exposed) == 0
    slate[unexposed] = 0
    basis[unexposed] = 0
    score[unexposed] = 0.0
    for t in np.flatnonzero(exposed):
        i = int(cust[t])
        tt = _Touch(bases[t])
        hist = [(int(hist_item[i, h]), int(hist_day[i, h])) for h in range(hist_item.shape[1])]
        sup: list[int] = []
        if suppress_window > 0 or suppress_cycle:
            sup = [
                int(item_cat[it])
                for it, d in hist
                if d != NO_DAY
                and item_durable[it]
                and (day - d < suppress_window or (suppress_cycle and day - d < float(item_cycle[it])))
            ]
        cand_item: list[int] = []
        cand_score: list[int] = []
        have_cands = need_cands and n_obs[i] > 0
        if have_cands:
            cand_item = [tt.dr.below(tt.j + c, m) for c in range(n_candidates)]
            tt.j += n_candidates
            est = est_pref[i].astype(np.int64)
            cand_score = [
                MASKED if (sup and int(item_cat[it]) in sup) else int((est * item_feat[it].astype(np.int64)).sum())
                for it in cand_item
            ]
        row: list[int] = [0] * n_slot
        rb: list[int] = [0] * n_slot
        for s in range(n_slot):
            src = sources[s]
            item, b = -1, BASIS_NONE
            if src == REPLENISH:
                best_day = NO_DAY
                for it, d in hist:
                    if d != NO_DAY and not item_durable[it]:
                        ratio = float(day - d) / float(item_cycle[it])
                        if replenish_lo <= ratio <= replenish_hi and d > best_day and it not in row[:s]:
                            best_day, item = d, it
                if item >= 0:
                    b = BASIS_ONSITE
                else:
                    src = BEHAVIOURAL
            if src == BEHAVIOURAL:
                if have_cands:
                    item = _take_best(cand_item, cand_score, row, s)
                    if item >= 0:
                        b = BASIS_ONSITE
            elif src == RETARGET:
                anchor, anchor_day = -1, NO_DAY
                for it, d in hist:
                    if d != NO_DAY and d > anchor_day and int(item_cat[it]) not in sup:
                        anchor, anchor_day = it, d
                if anchor < 0 or day - anchor_day > retarget_window:
                    anchor, anchor_day = int(last_view_item[i]), int(last_view_day[i])
                    if anchor >= 0 and int(item_cat[anchor]) in sup:
                        anchor = -1
                if anchor >= 0 and anchor_day != NO_DAY and day - anchor_day <= retarget_window:
                    if anchor not in row[:s]:
                        item = anchor
                    else:
                        item = _pick_in_category(int(item_cat[anchor]), cat_start, cat_items, row, s, tt)
                    if item >= 0:
                        b = BASIS_ONSITE
            elif src in (STATED, INFERRED, OFFSITE):
                if src == STATED:
                    cat = int(stated_cats[i, 0])
                    if stated_cats[i, 1] != NO_CAT:
                        if tt.dr.uniform(tt.j) < 0.5:
                            cat = int(stated_cats[i, 1])
                        tt.j += 1
                    b = BASIS_STATED
                elif src == INFERRED:
                    cat, b = int(inferred_cat[i]), BASIS_INFERRED
                else:
                    cat, b = int(offsite_cat[i]), BASIS_OFFSITE
                if cat != NO_CAT and cat not in sup:
                    item = _pick_in_category(cat, cat_start, cat_items, row, s, tt)
            elif src == EDITORIAL:
                item, b = _pick_from_list(editorial, row, s, item_cat, sup, tt), BASIS_NONE
            if item < 0:
                item, b = _pick_from_list(popular, row, s, item_cat, sup, tt), BASIS_NONE
            row[s], rb[s] = item, b
        for s in range(n_slot):
            if tt.dr.uniform(tt.j) < exploration:
                item = int(popular[tt.dr.below(tt.j + 1, len(popular))])
                if item not in row and int(item_cat[item]) not in sup:
                    row[s], rb[s] = item, BASIS_NONE
            tt.j += 2
        slate[t] = row
        basis[t] = rb
        score[t] = [firm_score(i, it) for it in row]


def observe(
    cust,
    viewed,
    clicked,
    best,
    slate,
    bought,
    item_feat,
    est_pref,
    n_obs,
    last_view_item,
    last_view_day,
    sales,
    day,
    w_view,
    w_click,
    w_buy,
    n_threads=1,
):
    """Vectorized over touches; the three events are applied in order view, click, buy.

    Returns 0, or 1 + the first clicked touch whose best slot or its item is out of range
    (nothing is learned from that click)."""
    n_slot, m = slate.shape[1], item_feat.shape[0]
    np.add.at(sales, bought[bought >= 0], 1.0)
    clicked_item = np.full(cust.shape[0], -1, dtype=np.int32)
    rows = np.flatnonzero(clicked != 0)
    slot = best[rows].astype(np.int64)
    ok = (slot >= 0) & (slot < n_slot)
    items = np.full(rows.shape[0], -1, dtype=np.int64)
    items[ok] = slate[rows[ok], slot[ok]]
    valid = (items >= 0) & (items < m)
    clicked_item[rows[valid]] = items[valid]
    bad = int(rows[~valid][0]) + 1 if (~valid).any() else 0
    for e, (items, weight) in enumerate(((viewed, w_view), (clicked_item, w_click), (bought, w_buy))):
        has = items >= 0
        c = cust[has]
        it = items[has]
        w = weight / (1.0 + n_obs[c].astype(np.float64))
        w = np.maximum(w, weight / 8.0)
        v = est_pref[c].astype(np.float64) * (1.0 / 127.0)
        v = v + w[:, None] * (item_feat[it] * (1.0 / 127.0) - v)
        v = np.clip(v * 127.0, -127.0, 127.0)
        q = np.where(v >= 0, np.floor(v + 0.5), -np.floor(-v + 0.5))
        est_pref[c] = q.astype(np.int8)
        n_obs[c] = np.minimum(n_obs[c].astype(np.int64) + 1, 65535).astype(np.uint16)
        if e < 2:
            last_view_item[c] = it
            last_view_day[c] = day
    return bad
