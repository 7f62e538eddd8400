"""NumPy twin of ``benchmarks/refv1/_kernels.pyx``: the reference workload's two waves, vectorized.

Same names, arguments and effects as the compiled kernels: a wave is vectorized over the
customers it touches (the day's visitors, or the campaign's recipients), which is exact
because a customer interacts at most once per wave and customers never read each other's
state.  Arithmetic is float64 in the kernels' order on float32 state, stored back as
float32; the draws are the same counter-based draws (layout in the kernel's design note).

The slate is found differently from the kernel, on purpose: here it is the first
:data:`SLATE` positions of a stable descending sort of the 16 scores, there an argmax plus
on-demand ranks.  Both define "the 4 best, ties to the earlier candidate", so agreement of
the two is a check of the kernel's shortcut.

``n_threads`` is accepted and ignored.
"""

from __future__ import annotations

import numpy as np

from sim.core.twins.random import bounded_high, bounded_low, customer_base, draw_bits, draw_uniform

__all__ = ["ref_visit_wave", "ref_email_wave"]

N_CAND = 16
SLATE = 4
RECENT_DAYS = 30
J_GATE, J_CAND, J_BUY = 0, 1, 9
C_VISITS, C_SENT, C_OPENED, C_PURCHASES = 0, 1, 2, 3

VISIT_P = 0.2
FATIGUE_DECAY = 0.9
EMAIL_FATIGUE = 0.3
OPEN_P_PER_TRUST = 0.3

# Visitors are processed in blocks so the (block, 16) temporaries stay a few MiB.
_BLOCK = 16384

_f64 = np.float64


def ref_visit_wave(
    pref,
    privacy,
    trust,
    fatigue,
    churned,
    last_cat,
    last_day,
    item_feat,
    item_cat,
    item_sensitive,
    item_price,
    day,
    key,
    chunk_size,
    counts,
    revenue,
    n_threads=1,
):
    """One day: fatigue decay (if ``day > 0``), visits with probability 0.2, interactions.

    Arrays and effects as in ``benchmarks.refv1._kernels.ref_visit_wave``.
    """
    if day > 0:
        fatigue[:] = (fatigue.astype(_f64) * FATIGUE_DECAY).astype(np.float32)
    cust = np.flatnonzero(churned == 0)
    base = customer_base(key, cust)
    visit = draw_uniform(base, J_GATE) < VISIT_P
    counts[:] = 0
    counts[:, C_VISITS] = _per_chunk(cust[visit], chunk_size, counts.shape[0])
    _interact_all(
        cust[visit],
        base[visit],
        day,
        pref,
        privacy,
        trust,
        fatigue,
        churned,
        last_cat,
        last_day,
        item_feat,
        item_cat,
        item_sensitive,
        item_price,
        chunk_size,
        counts,
        revenue,
    )


def ref_email_wave(
    pref,
    privacy,
    trust,
    fatigue,
    churned,
    last_cat,
    last_day,
    item_feat,
    item_cat,
    item_sensitive,
    item_price,
    day,
    key,
    chunk_size,
    counts,
    revenue,
    n_threads=1,
):
    """One campaign: send to the non-churned (fatigue += 0.3), open with p = 0.3 * trust.

    Arrays and effects as in ``benchmarks.refv1._kernels.ref_email_wave``.
    """
    cust = np.flatnonzero(churned == 0)
    fatigue[cust] = (fatigue[cust].astype(_f64) + EMAIL_FATIGUE).astype(np.float32)
    base = customer_base(key, cust)
    opened = draw_uniform(base, J_GATE) < OPEN_P_PER_TRUST * trust[cust].astype(_f64)
    counts[:] = 0
    counts[:, C_SENT] = _per_chunk(cust, chunk_size, counts.shape[0])
    counts[:, C_OPENED] = _per_chunk(cust[opened], chunk_size, counts.shape[0])
    _interact_all(
        cust[opened],
        base[opened],
        day,
        pref,
        privacy,
        trust,
        fatigue,
        churned,
        last_cat,
        last_day,
        item_feat,
        item_cat,
        item_sensitive,
        item_price,
        chunk_size,
        counts,
        revenue,
    )


# --------------------------------------------------------------------------- helpers


def _per_chunk(cust: np.ndarray, chunk_size: int, n_chunks: int) -> np.ndarray:
    """How many of the customer indices ``cust`` fall in each chunk; int64[n_chunks]."""
    return np.bincount(cust // chunk_size, minlength=n_chunks)[:n_chunks]


def _sequential_sums(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum ``values`` per group, left to right within each group, as the kernel's loop does.

    ``groups`` (int64[k], non-decreasing) names each value's group.  ``np.add.reduceat`` and
    ``np.sum`` sum pairwise, which rounds differently; a cumulative sum along the rows of a
    zero-padded (group, position) matrix is strictly sequential, and adding the padding's
    zeros is exact.  Returns float64[n_groups].
    """
    out = np.zeros(n_groups, dtype=_f64)
    if values.size == 0:
        return out
    sizes = np.bincount(groups, minlength=n_groups)
    first = np.cumsum(sizes) - sizes
    padded = np.zeros((n_groups, int(sizes.max())), dtype=_f64)
    padded[groups, np.arange(values.size) - first[groups]] = values
    return np.cumsum(padded, axis=1)[:, -1]


def _interact_all(
    cust,
    base,
    day,
    pref,
    privacy,
    trust,
    fatigue,
    churned,
    last_cat,
    last_day,
    item_feat,
    item_cat,
    item_sensitive,
    item_price,
    chunk_size,
    counts,
    revenue,
):
    """Run one interaction for each customer in ``cust`` (int64[k], increasing); fill the
    purchase counts and the per-chunk revenue."""
    buyers, prices = [], []
    for lo in range(0, cust.size, _BLOCK):
        b, p = _interact(
            cust[lo : lo + _BLOCK],
            base[lo : lo + _BLOCK],
            day,
            pref,
            privacy,
            trust,
            fatigue,
            churned,
            last_cat,
            last_day,
            item_feat,
            item_cat,
            item_sensitive,
            item_price,
        )
        buyers.append(b)
        prices.append(p)
    buyers = np.concatenate(buyers) if buyers else np.zeros(0, dtype=np.int64)
    prices = np.concatenate(prices) if prices else np.zeros(0, dtype=_f64)
    n_chunks = counts.shape[0]
    counts[:, C_PURCHASES] = _per_chunk(buyers, chunk_size, n_chunks)
    revenue[:] = _sequential_sums(buyers // chunk_size, prices, n_chunks)


def _candidates(base: np.ndarray, n_items: int) -> np.ndarray:
    """16 candidate items per customer from draws J_CAND..J_CAND+7 (low bits, then high); int64[k, 16]."""
    cand = np.empty((base.size, N_CAND), dtype=np.int64)
    for j in range(N_CAND // 2):
        bits = draw_bits(base, J_CAND + j)
        cand[:, 2 * j] = bounded_low(bits, n_items)
        cand[:, 2 * j + 1] = bounded_high(bits, n_items)
    return cand


def _scores(p: np.ndarray, feat_t: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Scores of the candidates: p (float32[k, D]) . item features, in float64, summed over D
    in index order.  feat_t is the feature table transposed and widened (float64[D, M]), so
    that each term is one gather; cand is int64[k, C].  Returns float64[k, C]."""
    s = np.zeros(cand.shape, dtype=_f64)
    for d in range(feat_t.shape[0]):
        s = s + p[:, d, None].astype(_f64) * feat_t[d][cand]
    return s


def _updated_trust(t, privacy, r, persofail, creepy):
    """Trust after one slate (float64 arrays); the kernel's ``updated_trust``."""
    t = np.where(persofail, t - 0.05, t)
    t = np.where(creepy, t - 0.10 * privacy, t)
    neither = ~(persofail | creepy)
    t = np.where(neither & (r > 0.5), t + 0.02 * (1.0 - t), t)
    t = np.where(neither & ~(r > 0.5), t - 0.01 * t, t)
    return np.clip(t, 0.0, 1.0)


def _interact(
    cust,
    base,
    day,
    pref,
    privacy,
    trust,
    fatigue,
    churned,
    last_cat,
    last_day,
    item_feat,
    item_cat,
    item_sensitive,
    item_price,
):
    """One interaction for each customer in ``cust``; mutates their state.

    Returns the buyers (int64[b], increasing) and the prices they paid (float64[b]).
    """
    cand = _candidates(base, item_feat.shape[0])
    score = _scores(pref[cust], item_feat.T.astype(_f64), cand)
    # Stable sort of -score: descending scores, ties kept in candidate order.
    order = np.argsort(-score, axis=1, kind="stable")
    slate = np.take_along_axis(cand, order[:, :SLATE], axis=1)
    top = slate[:, 0]
    r = np.take_along_axis(score, order[:, :1], axis=1)[:, 0]

    recent = day - last_day[cust].astype(np.int64) < RECENT_DAYS
    persofail = recent & np.any(item_cat[slate] == last_cat[cust][:, None], axis=1)
    creepy = np.any(item_sensitive[slate] != 0, axis=1)

    t = _updated_trust(trust[cust].astype(_f64), privacy[cust].astype(_f64), r, persofail, creepy)
    t32 = t.astype(np.float32)
    trust[cust] = t32
    t = t32.astype(_f64)  # the model reads the stored (float32) state from here on

    x = -3.0 + 4.0 * r + 2.0 * t - fatigue[cust].astype(_f64)
    p = 1.0 / (1.0 + np.exp(-x))
    bought = draw_uniform(base, J_BUY) < p
    buyers, items = cust[bought], top[bought]
    last_cat[buyers] = item_cat[items]
    last_day[buyers] = day
    churned[cust[t < 0.15]] = 1
    return buyers, item_price[items]
