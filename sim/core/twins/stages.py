"""NumPy twins of ``sim/core/_stages.pyx``: the customer phases, one vectorized function each.

Same names, arguments and semantics as the compiled kernels (see their docstrings); the model
is the equation twins of :mod:`sim.core.twins.model` and nothing else.  State is stored back
as float32, per-touch values pass between stages through the per-touch arrays, and the draws
are the same counter-based ones.  ``n_threads`` is accepted and ignored.

``fatigue`` arrives as the kernels take it, float32 (C, N) with a row per channel, and
``params`` is the run's :class:`~sim.core.params.CustomerParams`.
"""

from __future__ import annotations

import numpy as np

from sim.codes import NO_DAY
from sim.core.params import STAGES, CustomerParams
from sim.core.twins import model
from sim.core.twins.random import bounded_low, customer_base, draw_bits, draw_uniform

__all__ = [
    "recover_and_churn",
    "select_visitors",
    "flag_valued",
    "browse",
    "expose",
    "return_visits",
    "respond",
    "match",
]

ALL_RESPONSE_STAGES = 63


def match(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise taste_match over the last axis: the exact int8 dot product / 127^2 (float64)."""
    return model.taste_match((a.astype(np.int32) * b.astype(np.int32)).sum(axis=-1))


# --------------------------------------------------------------------------- day


def recover_and_churn(
    active, trust, trust_base, fatigue, live, churned, consent, params: CustomerParams, stages, key, n_threads=1
):
    n_churned = 0
    if stages & STAGES["recovery"]:
        act = active.astype(bool)
        trust[act] = model.trust_after_day(params, trust[act], trust_base[act]).astype(np.float32)
        for c in np.flatnonzero(live):  # the other channels' rows are all zero and left as they are
            fatigue[c] = model.fatigue_after_day(params, int(c), fatigue[c]).astype(np.float32)
    if stages & STAGES["churn"]:
        idx = np.flatnonzero(active)
        h = model.churn_hazard(params, trust[idx])
        gone = idx[draw_uniform(customer_base(key, idx), 0) < h]
        churned[:] = 0
        churned[gone] = 1
        active[gone] = 0
        consent[gone] = 0
        n_churned = int(gone.size)
    return n_churned, int(np.count_nonzero(active))


def select_visitors(active, trust, visit_rate, visitors, params: CustomerParams, key, n_threads=1):
    idx = np.flatnonzero(active)
    p = model.visit_probability(params, visit_rate[idx], trust[idx])
    chosen = idx[draw_uniform(customer_base(key, idx), 0) < p]
    visitors[: chosen.size] = chosen
    return chosen.size


def flag_valued(active, rel_mean, trust, valued, params: CustomerParams, n_threads=1):
    valued[:] = model.feels_valued(params, active, rel_mean, trust)
    return int(np.count_nonzero(valued))


# --------------------------------------------------------------------------- exposure phase


def browse(
    cust, pref, item_feat, item_durable, item_cycle, hist_item, hist_day, viewed, viewed_rel, day,
    params: CustomerParams, key, n_threads=1,
):  # fmt: skip
    n_look = params.browse_items
    if n_look < 1:
        raise ValueError(f"browse: browse_items is {n_look}, must be at least 1")
    # A due consumable first: the most recent purchase of a consumable now due again.
    hday = hist_day[cust]  # (k, H)
    hitem = np.maximum(hist_item[cust], 0)
    age = day - hday.astype(np.float64)
    due = (hday != NO_DAY) & model.is_replenishment_due(params, item_durable[hitem], age, item_cycle[hitem])
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
    due_rel = model.perceived_relevance(params, match(pref[cust], item_feat[due_item]), False, True)
    viewed[:] = np.where(has_due, due_item, best_item).astype(np.int32)
    viewed_rel[:] = np.where(has_due, due_rel, best).astype(np.float32)


def expose(cust, trust, fatigue, exposed, channel, params: CustomerParams, key, n_threads=1):
    p = model.open_probability(params, channel, trust[cust], fatigue[channel, cust])
    exposed[:] = draw_uniform(customer_base(key, cust), 0) < p


def return_visits(cust, exposed, clicked, since_visit, returning, params: CustomerParams, key, n_threads=1):
    u = draw_uniform(customer_base(key, cust), 0)
    reminded = (exposed != 0) & (u < model.reminder_probability(params, since_visit))
    returning[:] = (clicked != 0) | reminded
    return int(np.count_nonzero(returning))


# --------------------------------------------------------------------------- response phase


def _perceive(cust, ex, slate, pref, item_feat, item_cat, item_durable, item_cycle, hist_item, hist_day, rel, best,
              persofail, day, params):  # fmt: skip
    k = slate.shape[0]
    cat = item_cat[slate]  # (k, S)
    hday = hist_day[cust]  # (k, H)
    # Clipped: an unexposed touch's row is never checked (nor read by the kernel), and an
    # empty slot's item may be anything.
    hcat = np.where(hday != NO_DAY, item_cat[np.clip(hist_item[cust], 0, item_cat.shape[0] - 1)], -1)
    age = day - hday.astype(np.float64)  # (k, H)
    same = (hcat[:, None, :] == cat[:, :, None]) & (hday[:, None, :] != NO_DAY)  # (k, S, H)
    min_age = np.where(same, age[:, None, :], model.NEVER_BOUGHT_AGE).min(axis=2)  # (k, S)
    durable = item_durable[slate]
    pf = model.is_persofail(params, durable, min_age)
    due = model.is_replenishment_due(params, durable, min_age, item_cycle[slate])
    s = model.perceived_relevance(params, match(pref[cust][:, None, :], item_feat[slate]), pf, due)
    best_j = np.argmax(s, axis=1)  # first maximum, as the kernel's strict ">" keeps
    rel[:] = np.where(ex, s[np.arange(k), best_j], 0.0).astype(np.float32)
    best[:] = np.where(ex, best_j, -1).astype(np.int8)
    first = np.argmax(pf, axis=1) + 1
    persofail[:] = np.where(ex & pf.any(axis=1), first, 0).astype(np.uint8)


def _creep(cust, ex, slate, basis, item_sensitivity, privacy, creepy, channel, params, covert, explained, control,
           key):  # fmt: skip
    top = np.maximum(model.slot_intrusion(params, basis, item_sensitivity[slate]).max(axis=1), 0.0)
    p = model.creep_probability(
        params,
        channel,
        top,
        privacy[cust],
        model.covert_multiplier(params, covert),
        model.transparency_relief(params, explained, control),
    )
    creepy[:] = ex & (draw_uniform(customer_base(key, cust), 0) < p)


def _looks(basis, persofail, params):
    """How personal each touch looks (its most personal slot, at least 0) and its persofail
    slot's look (0 without a persofail): float64 (k,) each."""
    slot_look = model.personal_look(params, basis)  # (k, S)
    look = np.maximum(slot_look.max(axis=1), 0.0) if basis.shape[1] else np.zeros(basis.shape[0])
    slot = persofail.astype(np.int64) - 1
    ok = (slot >= 0) & (slot < basis.shape[1])
    fail_look = np.where(ok, slot_look[np.arange(basis.shape[0]), np.clip(slot, 0, max(basis.shape[1] - 1, 0))], 0.0)
    return look, fail_look


def _engage(cust, ex, slate, rel, best, creepy, viewed, viewed_rel, trust, fat, price_sensitivity, price,
            log_price_ratio, margin, hist_item, hist_day, clicked, bought, revenue, margin_out, channel, day, params,
            key, look, control, explained):  # fmt: skip
    k = cust.shape[0]
    base = customer_base(key, cust)
    tr = trust[cust]
    x = model.click_logit(params, channel, rel, tr, fat, creepy, look, control, explained)
    click = ex & (best >= 0) & (draw_uniform(base, 0) < model.sigmoid(x))
    slot_item = slate[np.arange(k), np.maximum(best, 0)]
    ps = price_sensitivity[cust]
    x = model.purchase_logit(params, False, rel, tr, ps, log_price_ratio[slot_item])
    item = np.where(click & (draw_uniform(base, 1) < model.sigmoid(x)), slot_item, -1)
    v = np.maximum(viewed, 0)
    x = model.purchase_logit(params, True, viewed_rel, tr, ps, log_price_ratio[v])
    organic = ex & (item < 0) & (viewed >= 0) & (draw_uniform(base, 2) < model.sigmoid(x))
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


def _trust(cust, ex, rel, persofail, creepy, privacy, trust, rel_mean, params, fail_look, look, control):
    c = cust[ex]
    trust[c] = model.trust_after_touch(
        params, trust[c], rel[ex], persofail[ex], creepy[ex], privacy[c], fail_look[ex], look[ex], control
    ).astype(np.float32)
    rel_mean[c] = model.relevance_memory_after_touch(params, rel_mean[c], rel[ex]).astype(np.float32)


def _optout(cust, ex, creepy, trust, fat, consent, opted_out, channel, params, key, rel):
    h = model.optout_hazard(params, channel, fat, trust[cust], creepy, rel)
    out = ex & (draw_uniform(customer_base(key, cust), 0) < h)
    opted_out[:] = out
    consent[cust[out]] &= np.uint8(~(1 << channel) & 0xFF)


def respond(
    cust, exposed, slate, basis, viewed, viewed_rel, pref, item_feat, item_cat, item_durable, item_cycle,
    item_sensitivity, price, log_price_ratio, margin, privacy, price_sensitivity, fatigue_sensitivity, trust,
    rel_mean, fatigue, consent, hist_item, hist_day, rel, best, persofail, creepy, clicked, bought, revenue,
    margin_out, opted_out, channel, day, params: CustomerParams, stages, covert, explained, control, creep_key,
    engage_key, optout_key, n_threads=1, browse_visits=False, browse_key=0, fatigue_live=True,
):  # fmt: skip
    """The response stages of ``stages`` in pipeline order (see the compiled ``respond``),
    after browse when ``browse_visits``.  ``fatigue_live=False`` (the channel's fatigue row is
    all zeros) changes nothing here: the twins read the zeros."""
    if stages & ~ALL_RESPONSE_STAGES:
        raise ValueError(f"respond: stages is {stages}; allowed: a combination of the bits 1 .. 32 (0 .. 63)")
    if stages & STAGES["fatigue"] and not fatigue_live:
        raise ValueError(
            "respond: fatigue_live is False (a row of zeros) but the fatigue stage runs, which adds "
            "fatigue; allowed: fatigue_live False only without the fatigue stage"
        )
    ex = exposed.astype(bool)
    if browse_visits:
        if not np.all(ex) or params.browse_items < 1:
            raise ValueError(
                f"respond: browse_visits needs every touch exposed ({int(np.count_nonzero(~ex))} are not) "
                f"and browse_items >= 1 (it is {params.browse_items})"
            )
        browse(cust, pref, item_feat, item_durable, item_cycle, hist_item, hist_day, viewed, viewed_rel, day, params,
               browse_key)  # fmt: skip
    if stages & STAGES["perceive"]:
        _perceive(cust, ex, slate, pref, item_feat, item_cat, item_durable, item_cycle, hist_item, hist_day, rel, best,
                  persofail, day, params)  # fmt: skip
    if stages & STAGES["creep"]:
        _creep(cust, ex, slate, basis, item_sensitivity, privacy, creepy, channel, params, covert, explained, control,
               creep_key)  # fmt: skip
    look, fail_look = _looks(basis, persofail, params)
    if stages & STAGES["engage"]:
        _engage(cust, ex, slate, rel, best, creepy, viewed, viewed_rel, trust, fatigue[channel, cust],
                price_sensitivity, price, log_price_ratio, margin, hist_item, hist_day, clicked, bought, revenue,
                margin_out, channel, day, params, engage_key, look, control, explained)  # fmt: skip
    if stages & STAGES["trust"]:
        _trust(cust, ex, rel, persofail, creepy, privacy, trust, rel_mean, params, fail_look, look, control)
    if stages & STAGES["fatigue"]:
        fatigue[channel, cust] = model.fatigue_after_contact(
            params, channel, fatigue[channel, cust], fatigue_sensitivity[cust]
        ).astype(np.float32)
    if stages & STAGES["optout"]:
        _optout(cust, ex, creepy, trust, fatigue[channel, cust], consent, opted_out, channel, params, optout_key, rel)
