"""NumPy twins of ``sim/core/_stages.pyx``: the customer stages, one vectorized function each.

Same names, arguments and semantics as the compiled kernels (see their docstrings for the
model); arithmetic in float64 in the same order, state stored back as float32, and the same
counter-based draws.  ``n_threads`` is accepted and ignored.

``fatigue`` arrives as the kernels take it, float32 (C, N) with a row per channel.
"""

from __future__ import annotations

import numpy as np

from sim.codes import NO_DAY
from sim.core.twins.random import bounded_low, customer_base, draw_bits, draw_uniform

__all__ = [
    "relax_and_decay",
    "churn_day",
    "recover_and_churn",
    "select_visitors",
    "browse",
    "expose",
    "perceive",
    "creep",
    "engage",
    "update_trust",
    "add_fatigue",
    "opt_out",
    "respond",
]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


UNIT_SQ = 127 * 127


def match(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise int8 dot product over the last axis, exact, divided by 127^2 (float64)."""
    return (a.astype(np.int32) * b.astype(np.int32)).sum(axis=-1) * (1.0 / UNIT_SQ)


def relax_and_decay(active, trust, trust_base, fatigue, relax, decay, live, n_threads=1):
    act = active.astype(bool)
    t = trust[act].astype(np.float64)
    trust[act] = (t + relax * (trust_base[act].astype(np.float64) - t)).astype(np.float32)
    rows = np.flatnonzero(live)  # the other channels' rows are all zero and left as they are
    fatigue[rows] = (fatigue[rows].astype(np.float64) * np.asarray(decay)[rows, None]).astype(np.float32)


def churn_day(active, trust, churned, hazard_max, trust_mid, slope, key, n_threads=1):
    n = trust.shape[0]
    idx = np.flatnonzero(active)
    h = hazard_max * _sigmoid(slope * (trust_mid - trust[idx].astype(np.float64)))
    u = draw_uniform(customer_base(key, idx), 0)
    gone = idx[u < h]
    churned[:n] = 0
    churned[gone] = 1
    active[gone] = 0


def recover_and_churn(
    active,
    trust,
    trust_base,
    fatigue,
    decay,
    live,
    churned,
    consent,
    recover,
    relax,
    hazard_max,
    trust_mid,
    slope,
    key,
    n_threads=1,
):
    if recover:
        relax_and_decay(active, trust, trust_base, fatigue, relax, decay, live)
    churn_day(active, trust, churned, hazard_max, trust_mid, slope, key)
    consent[churned.view(bool)] = 0
    return int(np.count_nonzero(churned)), int(np.count_nonzero(active))


def select_visitors(active, trust, visit_rate, visitors, trust_slope, key, n_threads=1):
    idx = np.flatnonzero(active)
    p = visit_rate[idx].astype(np.float64) * (1.0 + trust_slope * (trust[idx].astype(np.float64) - 0.5))
    u = draw_uniform(customer_base(key, idx), 0)
    chosen = idx[u < p]
    visitors[: chosen.size] = chosen
    return chosen.size


def browse(
    cust,
    pref,
    item_feat,
    item_durable,
    item_cycle,
    hist_item,
    hist_day,
    viewed,
    viewed_rel,
    day,
    replenish_lo,
    replenish_hi,
    replenish_boost,
    n_look,
    key,
    n_threads=1,
):
    if n_look < 1:
        raise ValueError(f"browse: n_look is {n_look}, must be at least 1")
    # A due consumable first: the most recent purchase of a consumable now due again.
    hday = hist_day[cust]  # (k, H)
    hitem = np.maximum(hist_item[cust], 0)
    valid = (hday != NO_DAY) & ~item_durable[hitem].astype(bool)
    ratio = (day - hday.astype(np.float64)) / item_cycle[hitem].astype(np.float64)
    due = valid & (ratio >= replenish_lo) & (ratio <= replenish_hi)
    due_day = np.where(due, hday.astype(np.int64), NO_DAY - 1)
    pick = np.argmax(due_day, axis=1)  # first of equal days
    has_due = due.any(axis=1)
    due_item = hitem[np.arange(len(cust)), pick]
    base = customer_base(key, cust)
    m = item_feat.shape[0]
    best = np.full(cust.shape[0], -1e300)
    best_item = np.zeros(cust.shape[0], dtype=np.int64)
    p = pref[cust]
    for j in range(n_look):
        item = bounded_low(draw_bits(base, j), m)
        s = match(p, item_feat[item])
        better = s > best
        best = np.where(better, s, best)
        best_item = np.where(better, item, best_item)
    due_rel = match(pref[cust], item_feat[due_item]) + replenish_boost
    viewed[:] = np.where(has_due, due_item, best_item).astype(np.int32)
    viewed_rel[:] = np.where(has_due, due_rel, best).astype(np.float32)


def expose(cust, trust, fatigue, exposed, channel, base_rate, trust_elasticity, fatigue_k, key, n_threads=1):
    tr = trust[cust].astype(np.float64)
    with np.errstate(divide="ignore"):
        p = (
            base_rate
            * np.exp(trust_elasticity * np.log(tr / 0.5))
            * np.exp(-fatigue_k * fatigue[channel, cust].astype(np.float64))
        )
    p = np.where(tr <= 0.0, 0.0, p)
    exposed[:] = draw_uniform(customer_base(key, cust), 0) < p


def perceive(
    cust,
    exposed,
    slate,
    pref,
    item_feat,
    item_cat,
    item_durable,
    item_cycle,
    hist_item,
    hist_day,
    rel,
    best,
    persofail,
    day,
    persofail_window,
    persofail_relevance,
    replenish_lo,
    replenish_hi,
    replenish_boost,
    n_threads=1,
):
    k, n_slot = slate.shape
    s = match(pref[cust][:, None, :], item_feat[slate])  # (k, S)
    cat = item_cat[slate]  # (k, S)
    hday = hist_day[cust]  # (k, H)
    hcat = np.where(hday != NO_DAY, item_cat[np.maximum(hist_item[cust], 0)], -1)
    age = day - hday.astype(np.float64)  # (k, H)
    same = (hcat[:, None, :] == cat[:, :, None]) & (hday[:, None, :] != NO_DAY)  # (k, S, H)
    min_age = np.where(same, age[:, None, :], 1e300).min(axis=2)  # (k, S)
    bought_before = min_age < 1e299
    durable = item_durable[slate].astype(bool)
    pf = bought_before & durable & (min_age < persofail_window)
    ratio = min_age / item_cycle[slate].astype(np.float64)
    near = bought_before & ~durable & (ratio >= replenish_lo) & (ratio <= replenish_hi)
    s = np.where(pf, persofail_relevance, np.where(near, s + replenish_boost, s))
    ex = exposed.astype(bool)
    best_j = np.argmax(s, axis=1)  # first maximum, as the kernel's strict ">" keeps
    rel[:] = np.where(ex, s[np.arange(k), best_j], 0.0).astype(np.float32)
    best[:] = np.where(ex, best_j, -1).astype(np.int8)
    first = np.argmax(pf, axis=1) + 1
    persofail[:] = np.where(ex & pf.any(axis=1), first, 0).astype(np.uint8)


def creep(
    cust,
    exposed,
    slate,
    basis,
    item_sensitivity,
    privacy,
    intrusiveness,
    creepy,
    obtrusiveness,
    sensitivity_floor,
    covert_factor,
    relief,
    scale,
    key,
    n_threads=1,
):
    s = np.asarray(intrusiveness)[basis] * (sensitivity_floor + item_sensitivity[slate].astype(np.float64))
    top = np.maximum(s.max(axis=1), 0.0)
    p = scale * top * obtrusiveness * privacy[cust].astype(np.float64) * covert_factor * relief
    p = np.minimum(p, 1.0)
    u = draw_uniform(customer_base(key, cust), 0)
    creepy[:] = exposed.astype(bool) & (u < p)


def engage(
    cust,
    exposed,
    slate,
    rel,
    best,
    creepy,
    viewed,
    viewed_rel,
    trust,
    fatigue,
    price_sensitivity,
    price,
    log_price_ratio,
    margin,
    hist_item,
    hist_day,
    clicked,
    bought,
    revenue,
    margin_out,
    channel,
    day,
    click_bias,
    click_relevance,
    click_trust,
    click_fatigue,
    click_creepy,
    buy_bias,
    buy_relevance,
    buy_trust,
    price_elasticity,
    organic_bias,
    key,
    n_threads=1,
):
    k = cust.shape[0]
    base = customer_base(key, cust)
    ex = exposed.astype(bool)
    tr = trust[cust].astype(np.float64) - 0.5
    r = rel.astype(np.float64)
    has_slate = ex & (best >= 0)
    x = (
        click_bias
        + click_relevance * r
        + click_trust * tr
        - click_fatigue * fatigue[channel, cust].astype(np.float64)
        - click_creepy * creepy
    )
    click = has_slate & (draw_uniform(base, 0) < _sigmoid(x))
    slot_item = slate[np.arange(k), np.maximum(best, 0)]
    ps = price_sensitivity[cust].astype(np.float64)
    x = buy_bias + buy_relevance * r + buy_trust * tr - price_elasticity * ps * log_price_ratio[slot_item]
    item = np.where(click & (draw_uniform(base, 1) < _sigmoid(x)), slot_item, -1)
    v = np.maximum(viewed, 0)
    x = (
        organic_bias
        + buy_relevance * viewed_rel.astype(np.float64)
        + buy_trust * tr
        - price_elasticity * ps * log_price_ratio[v]
    )
    organic = ex & (item < 0) & (viewed >= 0) & (draw_uniform(base, 2) < _sigmoid(x))
    item = np.where(organic, viewed, item)
    clicked[:] = click
    bought[:] = item
    sold = item >= 0
    revenue[:] = np.where(sold, price[np.maximum(item, 0)], 0.0)
    margin_out[:] = np.where(sold, margin[np.maximum(item, 0)], 0.0)
    buyers = cust[sold]
    oldest = np.argmin(hist_day[buyers], axis=1)  # first minimum, as the kernel's strict "<"
    hist_item[buyers, oldest] = item[sold]
    hist_day[buyers, oldest] = day


def update_trust(
    cust,
    exposed,
    rel,
    persofail,
    creepy,
    privacy,
    trust,
    rel_mean,
    gain,
    loss_irrelevant,
    loss_persofail,
    loss_creepy,
    relevant_above,
    irrelevant_below,
    rel_memory,
    n_threads=1,
):
    ex = exposed.astype(bool)
    c = cust[ex]
    t = trust[c].astype(np.float64)
    r = rel[ex].astype(np.float64)
    cr = creepy[ex].astype(bool)
    pf = persofail[ex].astype(bool)
    bad = cr | pf
    t_bad = np.where(cr, t - loss_creepy * privacy[c].astype(np.float64) * t, t)
    t_bad = np.where(pf, t_bad - loss_persofail * t_bad, t_bad)
    t_new = np.where(
        r >= relevant_above, t + gain * (1.0 - t), np.where(r < irrelevant_below, t - loss_irrelevant * t, t)
    )
    t_new = np.where(bad, t_bad, t_new)
    trust[c] = np.clip(t_new, 0.0, 1.0).astype(np.float32)
    rel_mean[c] = ((1.0 - rel_memory) * rel_mean[c].astype(np.float64) + rel_memory * r).astype(np.float32)


def add_fatigue(cust, fatigue_sensitivity, fatigue, channel, cost, n_threads=1):
    fatigue[channel, cust] = (
        fatigue[channel, cust].astype(np.float64) + cost * fatigue_sensitivity[cust].astype(np.float64)
    ).astype(np.float32)


def opt_out(
    cust,
    exposed,
    creepy,
    trust,
    fatigue,
    consent,
    opted_out,
    channel,
    base_hazard,
    fatigue_k,
    trust_k,
    creepy_multiplier,
    key,
    n_threads=1,
):
    h = base_hazard * np.exp(
        fatigue_k * fatigue[channel, cust].astype(np.float64) + trust_k * (0.5 - trust[cust].astype(np.float64))
    )
    h = np.where(creepy.astype(bool), h * creepy_multiplier, h)
    out = exposed.astype(bool) & (draw_uniform(customer_base(key, cust), 0) < h)
    opted_out[:] = out
    consent[cust[out]] &= np.uint8(~(1 << channel) & 0xFF)


def respond(
    cust,
    exposed,
    slate,
    basis,
    viewed,
    viewed_rel,
    pref,
    item_feat,
    item_cat,
    item_durable,
    item_cycle,
    item_sensitivity,
    price,
    log_price_ratio,
    margin,
    intrusiveness,
    privacy,
    price_sensitivity,
    fatigue_sensitivity,
    trust,
    rel_mean,
    fatigue,
    consent,
    hist_item,
    hist_day,
    rel,
    best,
    persofail,
    creepy,
    clicked,
    bought,
    revenue,
    margin_out,
    opted_out,
    channel,
    day,
    persofail_window,
    persofail_relevance,
    replenish_lo,
    replenish_hi,
    replenish_boost,
    obtrusiveness,
    sensitivity_floor,
    covert_factor,
    relief,
    scale,
    creep_key,
    click_bias,
    click_relevance,
    click_trust,
    click_fatigue,
    click_creepy,
    buy_bias,
    buy_relevance,
    buy_trust,
    price_elasticity,
    organic_bias,
    engage_key,
    gain,
    loss_irrelevant,
    loss_persofail,
    loss_creepy,
    relevant_above,
    irrelevant_below,
    rel_memory,
    fatigue_cost,
    optout,
    base_hazard,
    optout_fatigue_k,
    trust_k,
    creepy_multiplier,
    optout_key,
    n_threads=1,
    browse_visits=False,
    n_look=8,
    browse_key=0,
    fatigue_live=True,
):
    """The fused response: the six stage twins in pipeline order (see the compiled ``respond``),
    after browse when ``browse_visits``.  ``fatigue_live=False`` (the channel's fatigue row is
    all zeros) changes nothing here: the twins read the zeros."""
    if fatigue_cost > 0.0 and not fatigue_live:
        raise ValueError(
            f"respond: fatigue_live is False (a row of zeros) but fatigue_cost is {fatigue_cost}, "
            "which adds fatigue; allowed: fatigue_cost <= 0 with fatigue_live False"
        )
    if browse_visits:
        if not np.all(exposed) or n_look < 1:
            raise ValueError(
                f"respond: browse_visits needs every touch exposed "
                f"({int(np.count_nonzero(exposed == 0))} are not) and n_look >= 1 (n_look is {n_look})"
            )
        browse(
            cust,
            pref,
            item_feat,
            item_durable,
            item_cycle,
            hist_item,
            hist_day,
            viewed,
            viewed_rel,
            day,
            replenish_lo,
            replenish_hi,
            replenish_boost,
            n_look,
            browse_key,
        )
    perceive(
        cust,
        exposed,
        slate,
        pref,
        item_feat,
        item_cat,
        item_durable,
        item_cycle,
        hist_item,
        hist_day,
        rel,
        best,
        persofail,
        day,
        persofail_window,
        persofail_relevance,
        replenish_lo,
        replenish_hi,
        replenish_boost,
    )
    creep(
        cust,
        exposed,
        slate,
        basis,
        item_sensitivity,
        privacy,
        intrusiveness,
        creepy,
        obtrusiveness,
        sensitivity_floor,
        covert_factor,
        relief,
        scale,
        creep_key,
    )
    engage(
        cust,
        exposed,
        slate,
        rel,
        best,
        creepy,
        viewed,
        viewed_rel,
        trust,
        fatigue,
        price_sensitivity,
        price,
        log_price_ratio,
        margin,
        hist_item,
        hist_day,
        clicked,
        bought,
        revenue,
        margin_out,
        channel,
        day,
        click_bias,
        click_relevance,
        click_trust,
        click_fatigue,
        click_creepy,
        buy_bias,
        buy_relevance,
        buy_trust,
        price_elasticity,
        organic_bias,
        engage_key,
    )
    update_trust(
        cust,
        exposed,
        rel,
        persofail,
        creepy,
        privacy,
        trust,
        rel_mean,
        gain,
        loss_irrelevant,
        loss_persofail,
        loss_creepy,
        relevant_above,
        irrelevant_below,
        rel_memory,
    )
    if fatigue_cost > 0.0:
        add_fatigue(cust, fatigue_sensitivity, fatigue, channel, fatigue_cost)
    if optout:
        opt_out(
            cust,
            exposed,
            creepy,
            trust,
            fatigue,
            consent,
            opted_out,
            channel,
            base_hazard,
            optout_fatigue_k,
            trust_k,
            creepy_multiplier,
            optout_key,
        )
