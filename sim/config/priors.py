"""The range a user should consider for each uncertain parameter: the default priors.

Every parameter whose default is an ``assumption`` or ``calibrated`` (see
:mod:`sim.config.sources`) has a :class:`Prior` here, and so do parameters whose published
source gives a range.  These are the default priors that uncertainty analysis samples to draw
plausible worlds: each parameter uniformly within its prior, or uniformly in its logarithm on
a ``"log"`` scale.  The parameter reference (``docs/parameters.md``) shows each prior as its
"consider" column.

Rules, checked by ``tests/test_priors.py``: a prior lies within the parameter's allowed range
and contains its default and every shipped option file's value; ``low < high``; a log scale
only over positive values.  A list entry's key (``population.segments[].trust_mean``) bounds
the value of any one entry.  Priors are independent: a sampler rounds integer parameters and
renormalises segment shares to sum to 1, and sets with an order (intrusiveness by data basis)
may come out of order in a draw.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Prior", "PRIORS", "SCALES"]

SCALES = ("linear", "log")


@dataclass(frozen=True)
class Prior:
    """A parameter's range to consider, ``low`` to ``high``, sampled on a linear or log scale.

    Raises
    ------
    ValueError
        if ``low >= high``, the scale is unknown, or a log scale does not lie over positive values.
    """

    low: float
    high: float
    scale: str = "linear"

    def __post_init__(self):
        if not self.low < self.high:
            raise ValueError(f"bounds with low < high, got {self.low} and {self.high}")
        if self.scale not in SCALES:
            raise ValueError(f"a scale of {', '.join(SCALES)}, got {self.scale!r}")
        if self.scale == "log" and not self.low > 0:
            raise ValueError(f"bounds on a log scale with low > 0, got {self.low}")

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def describe(self) -> str:
        """As the parameter reference shows it: ``0.15-0.23``, ``2-32 (log)``, ``-5.5 to -3.5``."""
        sep = " to " if self.low < 0 or self.high < 0 else "-"
        text = f"{self.low:g}{sep}{self.high:g}"
        return text + " (log)" if self.scale == "log" else text


_SEG = "population.segments[]."

PRIORS: dict[str, Prior] = {
    # ------------------------------------------------------------------ population segments
    # One segment may be the whole base; a draw of several segments' shares is renormalised.
    _SEG + "share": Prior(0.05, 1.0),
    # Shipped segments span 0.45 (trial users) to 0.75 (engaged subscribers).
    _SEG + "trust_mean": Prior(0.3, 0.85),
    _SEG + "trust_base_mean": Prior(0.3, 0.85),
    # Standard deviation of trust within a segment from about 0.07 (50) to 0.2 (5).
    _SEG + "trust_concentration": Prior(5.0, 50.0, "log"),
    # Wide enough for a privacy-conscious segment (Beta(5, 2)) and an indifferent one.
    _SEG + "privacy_a": Prior(0.8, 6.0, "log"),
    _SEG + "privacy_b": Prior(1.5, 4.0, "log"),
    # From a visit every three months to one every three days (shipped: 0.03 to 0.25).
    _SEG + "visit_rate_mean": Prior(0.01, 0.3, "log"),
    _SEG + "visit_rate_shape": Prior(0.5, 5.0, "log"),
    _SEG + "email_optin": Prior(0.2, 0.95),
    _SEG + "price_sensitivity": Prior(0.3, 3.0, "log"),
    _SEG + "wearout_multiplier": Prior(1.5, 6.0, "log"),
    _SEG + "push_optin": Prior(0.05, 0.5),
    _SEG + "ads_consent": Prior(0.3, 0.9),
    _SEG + "stated_share": Prior(0.05, 0.5),
    # ------------------------------------------------------------------ catalog
    "catalog.category_spread": Prior(0.2, 1.0, "log"),
    # From a fortnightly consumable to a ten-year durable.
    "catalog.categories[].cycle_days": Prior(14.0, 3650.0, "log"),
    # ------------------------------------------------------------------ customer: visits and exposure
    "customer.visits.trust_slope": Prior(0.0, 1.5),
    "customer.visits.browse_items": Prior(2, 32, "log"),
    # Published: 15.7% (e-commerce) to 23% (all industries) opens per send (Mailchimp).
    "customer.email_exposure.base_rate": Prior(0.15, 0.23),
    "customer.email_exposure.trust_elasticity": Prior(0.0, 2.0),
    "customer.email_exposure.fatigue_k": Prior(0.05, 0.4, "log"),
    "customer.push_exposure.base_rate": Prior(0.3, 0.9),
    "customer.push_exposure.trust_elasticity": Prior(0.0, 2.0),
    "customer.push_exposure.fatigue_k": Prior(0.1, 0.8, "log"),
    "customer.ads_exposure.base_rate": Prior(0.1, 0.5),
    "customer.ads_exposure.trust_elasticity": Prior(0.0, 1.5),
    "customer.ads_exposure.fatigue_k": Prior(0.03, 0.3, "log"),
    "customer.ads_exposure.reminder": Prior(0.01, 0.1, "log"),
    # From hours to a week: the studies say "fast", not how fast.
    "customer.ads_exposure.reminder_half_life_days": Prior(0.5, 7.0, "log"),
    # ------------------------------------------------------------------ customer: relevance
    # From a fortnight to half a year; no controlled estimate exists.
    "customer.relevance.persofail_window_days": Prior(14.0, 180.0, "log"),
    "customer.relevance.persofail_relevance": Prior(-0.8, 0.0),
    "customer.relevance.replenish_lo": Prior(0.5, 1.0),
    "customer.relevance.replenish_hi": Prior(1.0, 2.0),
    # From the published 7-30% click lift (about 0.03-0.1 here) to twice the default.
    "customer.relevance.replenish_boost": Prior(0.025, 0.5, "log"),
    # ------------------------------------------------------------------ customer: creepiness
    # Only the order of the data bases is published (stated < onsite < inferred < offsite);
    # independent draws can break it.
    "customer.creepiness.intrusiveness.none": Prior(0.0, 0.05),
    "customer.creepiness.intrusiveness.stated": Prior(0.0, 0.2),
    "customer.creepiness.intrusiveness.onsite": Prior(0.05, 0.4),
    "customer.creepiness.intrusiveness.inferred": Prior(0.3, 1.0),
    "customer.creepiness.intrusiveness.offsite": Prior(0.4, 1.2),
    "customer.creepiness.obtrusiveness.onsite": Prior(0.2, 0.8),
    "customer.creepiness.obtrusiveness.email": Prior(0.4, 1.2),
    "customer.creepiness.obtrusiveness.push": Prior(0.8, 2.0),
    "customer.creepiness.obtrusiveness.ads": Prior(0.5, 1.5),
    "customer.creepiness.sensitivity_floor": Prior(0.05, 0.5),
    "customer.creepiness.covert_factor": Prior(1.2, 4.0, "log"),
    "customer.creepiness.explanation_relief": Prior(0.1, 0.6),
    "customer.creepiness.control_relief": Prior(0.2, 0.8),
    # A factor of three either way: nothing published pins how often a touch feels creepy.
    "customer.creepiness.scale": Prior(0.3, 3.0, "log"),
    "customer.personal_look.none": Prior(0.1, 0.4),
    "customer.personal_look.stated": Prior(0.8, 1.0),
    "customer.personal_look.onsite": Prior(0.8, 1.0),
    "customer.personal_look.inferred": Prior(0.8, 1.0),
    "customer.personal_look.offsite": Prior(0.8, 1.0),
    # ------------------------------------------------------------------ customer: engagement
    "customer.engagement.click_bias_onsite": Prior(-5.5, -3.5),
    # Clicks per send from about 2.1% (Mailchimp's e-commerce figure) to about 3.4%.
    "customer.engagement.click_bias_email": Prior(-3.9, -3.45),
    "customer.engagement.click_relevance": Prior(1.0, 4.0),
    "customer.engagement.click_trust": Prior(0.3, 2.0),
    "customer.engagement.click_bias_ads": Prior(-6.5, -4.0),
    "customer.engagement.click_fatigue": Prior(0.05, 0.5, "log"),
    "customer.engagement.click_creepy": Prior(0.5, 3.0),
    "customer.engagement.buy_bias": Prior(-6.0, -4.0),
    "customer.engagement.buy_relevance": Prior(1.0, 3.0),
    "customer.engagement.buy_trust": Prior(0.3, 1.5),
    "customer.engagement.price_elasticity": Prior(0.2, 1.5, "log"),
    "customer.engagement.organic_bias": Prior(-4.8, -2.8),
    "customer.engagement.click_explained": Prior(0.0, 0.4),
    # ------------------------------------------------------------------ customer: trust
    "customer.trust.gain": Prior(0.005, 0.04, "log"),
    # About 2-2.5 times the gain's range (loss aversion).
    "customer.trust.loss_irrelevant": Prior(0.01, 0.1, "log"),
    "customer.trust.loss_persofail": Prior(0.035, 0.2, "log"),
    # 0.25 (the former default) made a creepy touch cost 7.7x an irrelevant one per touch; 0.05 about 1.5x.
    "customer.trust.loss_creepy": Prior(0.05, 0.25, "log"),
    "customer.trust.relevant_above": Prior(0.3, 0.7),
    "customer.trust.irrelevant_below": Prior(-0.1, 0.2),
    # From a month to a year.
    "customer.trust.relax_half_life_days": Prior(30.0, 365.0, "log"),
    # From the last three touches to the last thirty.
    "customer.trust.relevance_memory": Prior(0.03, 0.3, "log"),
    "customer.trust.control_loss_relief": Prior(0.0, 0.5),
    # ------------------------------------------------------------------ customer: fatigue
    "customer.fatigue.cost.onsite": Prior(0.0, 0.2),
    "customer.fatigue.cost.push": Prior(0.5, 2.0, "log"),
    "customer.fatigue.cost.ads": Prior(0.1, 1.0, "log"),
    "customer.fatigue.half_life_days.onsite": Prior(0.5, 3.0, "log"),
    "customer.fatigue.half_life_days.email": Prior(2.0, 14.0, "log"),
    "customer.fatigue.half_life_days.push": Prior(1.0, 7.0, "log"),
    "customer.fatigue.half_life_days.ads": Prior(0.5, 7.0, "log"),
    # ------------------------------------------------------------------ customer: opt-out
    # Unsubscribes per send from about 0.1% (a practitioner's figure) to about 0.4%.
    "customer.optout.email_base_hazard": Prior(0.0026, 0.01, "log"),
    "customer.optout.fatigue_k": Prior(0.1, 0.6, "log"),
    "customer.optout.trust_k": Prior(1.0, 5.0),
    "customer.optout.creepy_multiplier": Prior(2.0, 8.0, "log"),
    "customer.optout.irrelevance_k": Prior(0.5, 4.0, "log"),
    # Localytics' 2015 survey found 46% disabling at 2-5 a week, its 2017 one 37%.
    "customer.optout.push_base_hazard": Prior(0.002, 0.008, "log"),
    "customer.optout.push_fatigue_k": Prior(0.3, 1.0, "log"),
    "customer.optout.ads_base_hazard": Prior(0.0005, 0.01, "log"),
    # ------------------------------------------------------------------ customer: churn, feeling valued
    "customer.churn.hazard_max": Prior(0.005, 0.05, "log"),
    "customer.churn.trust_mid": Prior(0.1, 0.35),
    "customer.churn.slope": Prior(5.0, 30.0, "log"),
    # Around the calibration: the surveys' figures run from under 20% to 45%.
    "customer.valued.relevance_above": Prior(0.45, 0.65),
    "customer.valued.trust_above": Prior(0.6, 0.8),
    # ------------------------------------------------------------------ value and campaign
    "value.discount_rate_annual": Prior(0.08, 0.12),
    # Published: broad programmatic display 1-4, retargeting 3-6, native 6-10 per thousand.
    "campaign.retargeting.cost_per_mille": Prior(1.0, 10.0, "log"),
}
