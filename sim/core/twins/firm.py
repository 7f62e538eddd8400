"""NumPy twins of ``sim/core/_firm.pyx``: slate selection and the firm's learning.

The slate kernels are sequential per touch (rejection of duplicates, a top-S insertion), so
these twins loop over touches in Python with the same draws.  They are references for the
tests and for small runs, not fast paths.
"""

from __future__ import annotations

import numpy as np

from sim.codes import BASIS_NONE, NO_DAY
from sim.core.twins.random import bits_to_uniform, customer_base, draw_bits, mix64
from sim.core.twins.stages import UNIT_SQ

__all__ = ["popular_slates", "recommend_slates", "retarget_slates", "observe"]

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


def _fill_popular(row, row_basis, row_score, start, popular, dr: _Draws, j: int) -> int:
    n_slot = len(row)
    for s in range(start, n_slot):
        tries = 0
        while True:
            item = int(popular[dr.below(j, len(popular))])
            j += 1
            tries += 1
            if item not in row[:s] or tries >= 16:
                break
        row[s] = item
        row_basis[s] = BASIS_NONE
        row_score[s] = 0.0
    return j


def popular_slates(cust, exposed, popular, slate, basis, score, key, n_threads=1):
    bases = customer_base(key, cust)
    for t in np.flatnonzero(exposed):
        row, rb, rs = list(slate[t]), list(basis[t]), list(score[t])
        _fill_popular(row, rb, rs, 0, popular, _Draws(bases[t]), 0)
        slate[t], basis[t], score[t] = row, rb, rs


def recommend_slates(cust, exposed, est_pref, n_obs, item_feat, popular, slate, basis, score,
                     n_candidates, exploration, data_basis, key, n_threads=1):
    n_slot = slate.shape[1]
    m = item_feat.shape[0]
    bases = customer_base(key, cust)
    for t in np.flatnonzero(exposed):
        i = int(cust[t])
        dr = _Draws(bases[t])
        row, rb, rs = list(slate[t]), list(basis[t]), [float(x) for x in score[t]]
        if n_obs[i] == 0:
            _fill_popular(row, rb, rs, 0, popular, dr, 0)
            slate[t], basis[t], score[t] = row, rb, rs
            continue
        items = [dr.below(c, m) for c in range(n_candidates)]
        scores = (est_pref[i].astype(np.int64) * item_feat[items].astype(np.int64)).sum(axis=1)
        # Best score first; among equal scores the earlier candidate; each item once.
        order = sorted(range(n_candidates), key=lambda c: (-scores[c], c))
        chosen: list[int] = []
        for c in order:
            if items[c] not in chosen:
                chosen.append(items[c])
                s = len(chosen) - 1
                row[s], rb[s], rs[s] = items[c], data_basis, float(np.float32(scores[c] * (1.0 / UNIT_SQ)))
            if len(chosen) == n_slot:
                break
        filled = len(chosen)
        j = n_candidates
        if filled < n_slot:
            j = _fill_popular(row, rb, rs, filled, popular, dr, j)
        for s in range(n_slot):
            if dr.uniform(j) < exploration:
                item = int(popular[dr.below(j + 1, len(popular))])
                if item not in row:
                    row[s], rb[s], rs[s] = item, BASIS_NONE, 0.0
            j += 2
        slate[t], basis[t], score[t] = row, rb, rs


def retarget_slates(cust, exposed, last_view_item, last_view_day, hist_item, hist_day, item_cat, cat_start,
                    cat_items, popular, slate, basis, score, day, window, data_basis, key,
                    n_threads=1):
    n_slot = slate.shape[1]
    bases = customer_base(key, cust)
    for t in np.flatnonzero(exposed):
        i = int(cust[t])
        dr = _Draws(bases[t])
        row, rb, rs = list(slate[t]), list(basis[t]), list(score[t])
        anchor, anchor_day = -1, NO_DAY
        for h in range(hist_item.shape[1]):
            if hist_day[i, h] != NO_DAY and hist_day[i, h] > anchor_day:
                anchor, anchor_day = int(hist_item[i, h]), int(hist_day[i, h])
        if anchor < 0 or day - anchor_day > window:
            anchor, anchor_day = int(last_view_item[i]), int(last_view_day[i])
        if anchor < 0 or anchor_day == NO_DAY or day - anchor_day > window:
            _fill_popular(row, rb, rs, 0, popular, dr, 0)
        else:
            row[0], rb[0], rs[0] = anchor, data_basis, 1.0
            cat = int(item_cat[anchor])
            lo, n_in_cat = int(cat_start[cat]), int(cat_start[cat + 1] - cat_start[cat])
            j, s, tries = 0, 1, 0
            while s < n_slot and tries < 4 * n_slot:
                item = int(cat_items[lo + dr.below(j, n_in_cat)])
                j += 1
                tries += 1
                if item in row[:s]:
                    continue
                row[s], rb[s], rs[s] = item, data_basis, 1.0
                s += 1
            if s < n_slot:
                _fill_popular(row, rb, rs, s, popular, dr, 64)
        slate[t], basis[t], score[t] = row, rb, rs


def observe(cust, viewed, clicked_item, bought, item_feat, est_pref, n_obs, last_view_item,
            last_view_day, day, w_view, w_click, w_buy, n_threads=1):
    """Vectorized over touches; the three events are applied in order view, click, buy."""
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
