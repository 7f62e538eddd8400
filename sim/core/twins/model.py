"""NumPy twins of the customer equations (``sim/core/_model.pxd``): the same names, in the same
order, each over arrays of customers (or scalars) and a :class:`~sim.core.params.CustomerParams`.

Arithmetic is in float64 in the order the compiled equation writes it, so the twins agree with
the compiled core to the last bit (except where libm's exp() and log() differ from NumPy's).
Float32 state is passed in as it is stored and widened here, as the compiled kernels widen it.
A stage twin (:mod:`sim.core.twins.stages`) calls these and nothing else for the model.
"""

from __future__ import annotations

import numpy as np

from sim.core.params import CustomerParams

__all__ = [
    "visit_probability",
    "open_trust_factor",
    "open_fatigue_exponent",
    "open_probability",
    "reminder_probability",
    "taste_match",
    "is_persofail",
    "is_replenishment_due",
    "perceived_relevance",
    "personal_look",
    "slot_intrusion",
    "covert_multiplier",
    "transparency_relief",
    "creep_probability",
    "click_logit",
    "purchase_logit",
    "trust_after_touch",
    "relevance_memory_after_touch",
    "trust_after_day",
    "fatigue_after_contact",
    "fatigue_after_day",
    "optout_hazard",
    "churn_hazard",
    "feels_valued",
    "sigmoid",
    "UNIT_SQ",
    "NEVER_BOUGHT_AGE",
    "NEVER_BOUGHT_BELOW",
]

UNIT_SQ = 127 * 127
NEVER_BOUGHT_AGE = 1e300
NEVER_BOUGHT_BELOW = 1e299


def _f64(x):
    return np.asarray(x, dtype=np.float64)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------- visits


def visit_probability(p: CustomerParams, visit_rate, trust):
    """p_visit = visit_rate * (1 + visit_trust_slope * (trust - 0.5)), per day."""
    return _f64(visit_rate) * (1.0 + p.visit_trust_slope * (_f64(trust) - 0.5))


# --------------------------------------------------------------------------- exposure


def open_trust_factor(p: CustomerParams, channel: int, trust):
    """open_base_rate[c] * (trust / 0.5) ** open_trust_elasticity[c]; 0 at trust <= 0."""
    t = _f64(trust)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = p.open_base_rate[channel] * np.exp(p.open_trust_elasticity[channel] * np.log(t / 0.5))
    return np.where(t <= 0.0, 0.0, g)


def open_fatigue_exponent(p: CustomerParams, channel: int, fatigue):
    """open_fatigue_k[c] * fatigue."""
    return p.open_fatigue_k[channel] * _f64(fatigue)


def open_probability(p: CustomerParams, channel: int, trust, fatigue):
    """p_open = open_trust_factor * exp(-open_fatigue_exponent)."""
    return open_trust_factor(p, channel, trust) * np.exp(-open_fatigue_exponent(p, channel, fatigue))


def reminder_probability(p: CustomerParams, days_since_visit):
    """ad_reminder * 2 ** (-days_since_visit / ad_reminder_half_life)."""
    return p.ad_reminder * np.exp2(-_f64(days_since_visit) / p.ad_reminder_half_life)


# --------------------------------------------------------------------------- perceived relevance


def taste_match(dot):
    """match = pref . feat / 127**2."""
    return np.asarray(dot) * (1.0 / UNIT_SQ)


def is_persofail(p: CustomerParams, durable, bought_age):
    """A durable bought less than persofail_window days ago."""
    age = _f64(bought_age)
    return np.asarray(durable, dtype=bool) & (age < NEVER_BOUGHT_BELOW) & (age < p.persofail_window)


def is_replenishment_due(p: CustomerParams, durable, bought_age, cycle_days):
    """A consumable bought between replenish_lo and replenish_hi cycles ago."""
    age = _f64(bought_age)
    ratio = age / _f64(cycle_days)
    return (
        ~np.asarray(durable, dtype=bool)
        & (age < NEVER_BOUGHT_BELOW)
        & (ratio >= p.replenish_lo)
        & (ratio <= p.replenish_hi)
    )


def perceived_relevance(p: CustomerParams, match, persofail, due):
    """persofail_relevance for a persofail, match + replenish_boost when due, else match."""
    m = _f64(match)
    return np.where(persofail, p.persofail_relevance, np.where(due, m + p.replenish_boost, m))


# --------------------------------------------------------------------------- how personal a touch looks


def personal_look(p: CustomerParams, basis):
    """personal_look[basis]."""
    return np.asarray(p.personal_look)[basis]


# --------------------------------------------------------------------------- creepiness


def slot_intrusion(p: CustomerParams, basis, item_sensitivity):
    """intrusiveness[basis] * (sensitivity_floor + item_sensitivity)."""
    return np.asarray(p.intrusiveness)[basis] * (p.sensitivity_floor + _f64(item_sensitivity))


def covert_multiplier(p: CustomerParams, covert: bool) -> float:
    """covert_factor when collected covertly, else 1."""
    return p.covert_factor if covert else 1.0


def transparency_relief(p: CustomerParams, explained: bool, control: bool) -> float:
    """(1 - explanation_relief * explained) * (1 - control_relief * control)."""
    return (1.0 - p.explanation_relief * explained) * (1.0 - p.control_relief * control)


def creep_probability(p: CustomerParams, channel: int, intrusion, privacy, covert, relief):
    """min(1, creep_scale * intrusion * obtrusiveness[c] * privacy * covert * relief)."""
    q = p.creep_scale * _f64(intrusion) * p.obtrusiveness[channel] * _f64(privacy) * covert * relief
    return np.minimum(q, 1.0)


# --------------------------------------------------------------------------- engagement


def click_logit(p: CustomerParams, channel: int, rel, trust, fatigue, creepy, look, control, explained):
    """click_bias[c] + click_relevance * rel + click_trust * (trust - 0.5)
    - click_fatigue * fatigue - click_creepy * creepy
    + (click_control * control + click_explained * explained) * look."""
    return (
        p.click_bias[channel]
        + p.click_relevance * _f64(rel)
        + p.click_trust * (_f64(trust) - 0.5)
        - p.click_fatigue * _f64(fatigue)
        - p.click_creepy * np.asarray(creepy, dtype=bool)
        + (p.click_control * bool(control) + p.click_explained * bool(explained)) * _f64(look)
    )


def purchase_logit(p: CustomerParams, organic: bool, rel, trust, price_sensitivity, log_price_ratio):
    """bias + buy_relevance * rel + buy_trust * (trust - 0.5)
    - price_elasticity * price_sensitivity * log_price_ratio (bias: organic_bias or buy_bias)."""
    bias = p.organic_bias if organic else p.buy_bias
    return (
        bias
        + p.buy_relevance * _f64(rel)
        + p.buy_trust * (_f64(trust) - 0.5)
        - p.price_elasticity * _f64(price_sensitivity) * _f64(log_price_ratio)
    )


# --------------------------------------------------------------------------- trust


def trust_after_touch(p: CustomerParams, trust, rel, persofail, creepy, privacy, fail_look, look, control):
    """The asymmetric trust update of a noticed touch, clamped to [0, 1] (see _model.pxd)."""
    t = _f64(trust)
    r = _f64(rel)
    cr = np.asarray(creepy, dtype=bool)
    pf = np.asarray(persofail, dtype=bool)
    relief = 1.0 - p.control_loss_relief * bool(control)
    t_bad = np.where(cr, t - p.loss_creepy * _f64(privacy) * t, t)
    t_bad = np.where(pf, t_bad - p.loss_persofail * _f64(fail_look) * relief * t_bad, t_bad)
    t_good = np.where(
        r >= p.relevant_above,
        t + p.trust_gain * (1.0 - t),
        np.where(r < p.irrelevant_below, t - p.loss_irrelevant * _f64(look) * relief * t, t),
    )
    return np.clip(np.where(cr | pf, t_bad, t_good), 0.0, 1.0)


def relevance_memory_after_touch(p: CustomerParams, rel_mean, rel):
    """(1 - relevance_memory) * rel_mean + relevance_memory * rel."""
    return (1.0 - p.relevance_memory) * _f64(rel_mean) + p.relevance_memory * _f64(rel)


def trust_after_day(p: CustomerParams, trust, trust_base):
    """trust + trust_relax * (trust_base - trust)."""
    t = _f64(trust)
    return t + p.trust_relax * (_f64(trust_base) - t)


# --------------------------------------------------------------------------- fatigue


def fatigue_after_contact(p: CustomerParams, channel: int, fatigue, sensitivity):
    """fatigue + fatigue_cost[c] * sensitivity."""
    return _f64(fatigue) + p.fatigue_cost[channel] * _f64(sensitivity)


def fatigue_after_day(p: CustomerParams, channel: int, fatigue):
    """fatigue * fatigue_decay[c]."""
    return _f64(fatigue) * p.fatigue_decay[channel]


# --------------------------------------------------------------------------- opt-out and churn


def optout_hazard(p: CustomerParams, channel: int, fatigue, trust, creepy, rel):
    """optout_base_hazard[c] * exp(optout_fatigue_k[c] * fatigue + optout_trust_k * (0.5 - trust)
    + optout_irrelevance_k * max(0, relevant_above - rel)) * (optout_creepy_multiplier if creepy else 1)."""
    gap = p.relevant_above - _f64(rel)
    x = (
        p.optout_fatigue_k[channel] * _f64(fatigue)
        + p.optout_trust_k * (0.5 - _f64(trust))
        + p.optout_irrelevance_k * np.where(gap > 0.0, gap, 0.0)
    )
    factor = np.where(np.asarray(creepy, dtype=bool), p.optout_creepy_multiplier, 1.0)
    return p.optout_base_hazard[channel] * np.exp(x) * factor


def churn_hazard(p: CustomerParams, trust):
    """churn_hazard_max * sigmoid(churn_slope * (churn_trust_mid - trust))."""
    return p.churn_hazard_max * sigmoid(p.churn_slope * (p.churn_trust_mid - _f64(trust)))


# --------------------------------------------------------------------------- feeling valued


def feels_valued(p: CustomerParams, active, rel_mean, trust):
    """Active, rel_mean >= valued_relevance_above and trust >= valued_trust_above, compared in
    float32 (the state's precision)."""
    return (
        np.asarray(active, dtype=bool)
        & (np.asarray(rel_mean, dtype=np.float32) >= np.float32(p.valued_relevance_above))
        & (np.asarray(trust, dtype=np.float32) >= np.float32(p.valued_trust_above))
    )
