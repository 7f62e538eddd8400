"""Every configuration the validation suite runs, in one place.

A fact names the settings it compares (:mod:`sim.validation.facts`); settings shared by several
facts are run once per seed.  When the model gains a config key that a prediction should use
(say, a cost per thousand ad impressions), it is added to the settings here, and every fact that
uses them follows.
"""

from __future__ import annotations

from sim.validation.spec import Setting

__all__ = ["COMMON", "SETTINGS"] + [
    "RECOMMEND",
    "RECOMMEND_REPLENISH",
    "RECOMMEND_DAILY_EMAIL",
    "NONE",
    "PURCHASE_AWARE",
    "INFERRED_COVERT",
    "INFERRED_OVERT",
    "TRANSPARENT",
    "TRANSPARENT_NO_CONTROL",
    "RETARGET_NO_ADS",
    "RETARGET_ADS",
    "RETARGET_ADS_SHORT",
    "PUSH_WEEKLY",
    "PUSH_FREQUENT",
    "TRUST_FIXED",
    "TRUST_ALL_RELEVANT",
    "TRUST_ALL_IRRELEVANT",
    "OMNI_RECOMMEND",
    "OMNI_NONE",
]

COMMON = ("value.tail_days=0", "output.journeys=0", "output.parquet=false", "output.progress=off")
"""What every validation run shares: no customer-equity tail (no fact reads `customer_equity` or
`value`; the tail would cost time), no recorded journeys."""

# Trust moves only through the touch kinds a setting leaves switched on.
_NO_PERSOFAIL_OR_CREEPY_LOSS = ("customer.trust.loss_persofail=0", "customer.trust.loss_creepy=0")

# The weekly newsletter turned into a weekly push at 18:00 (a plan without email), so push
# opt-outs are measured on their own; the cadence is the only difference between the two.
_PUSH_ONLY = ("campaign.scheduled.newsletter.channel=push", "campaign.scheduled.newsletter.send_hour=18")

RECOMMEND = Setting("recommend", ("strategy=recommend",), about="behavioural recommendations, weekly newsletter")
RECOMMEND_REPLENISH = Setting(
    "recommend_replenish",
    ("strategy=recommend", "strategy.slots=[replenish,behavioural,behavioural,behavioural]"),
    about="`recommend` with its first slot showing a consumable that is due again ('buy it again')",
)
RECOMMEND_DAILY_EMAIL = Setting(
    "recommend_daily_email",
    ("strategy=recommend", "campaign.scheduled.newsletter.cadence=1d"),
    about="`recommend` with a daily newsletter",
)
NONE = Setting("none", ("strategy=none",), about="no personal data: editors' picks, weekly newsletter")
PURCHASE_AWARE = Setting(
    "recommend_purchase_aware",
    ("strategy=recommend_purchase_aware",),
    about="purchase-aware recommendations with a 'buy it again' and a stated-preference slot",
)
INFERRED_COVERT = Setting(
    "inferred_sensitive",
    ("strategy=inferred_sensitive",),
    about="inferred and third-party data, sensitive categories included, collected covertly",
)
INFERRED_OVERT = Setting(
    "inferred_sensitive_overt",
    ("strategy=inferred_sensitive", "strategy.covert=false"),
    about="`inferred_sensitive` with the same data collected openly",
)
TRANSPARENT = Setting(
    "transparent_consented",
    ("strategy=transparent_consented",),
    about="stated and on-site data, explains itself, lets the customer see and change what the firm knows",
)
TRANSPARENT_NO_CONTROL = Setting(
    "transparent_no_control",
    ("strategy=transparent_consented", "strategy.control=false"),
    about="`transparent_consented` without the control",
)
RETARGET_NO_ADS = Setting(
    "retarget_naive",
    ("strategy=retarget_naive",),
    about="`retarget_naive` on the weekly newsletter, no ads",
)
RETARGET_ADS = Setting(
    "retarget_naive_ads",
    ("strategy=retarget_naive", "campaign=retargeting"),
    about="`retarget_naive` with retargeting ads for 14 days after a visit (`campaign=retargeting`)",
)
RETARGET_ADS_SHORT = Setting(
    "retarget_naive_ads_1d",
    ("strategy=retarget_naive", "campaign=retargeting", "campaign.retargeting.window=1d"),
    about="the same ads only within a day of a visit",
)
PUSH_WEEKLY = Setting(
    "push_weekly",
    ("strategy=recommend", *_PUSH_ONLY, "campaign.scheduled.newsletter.cadence=7d"),
    horizon_days=91,
    about="one push a week and no email, for 13 weeks",
)
PUSH_FREQUENT = Setting(
    "push_3.5_per_week",
    ("strategy=recommend", *_PUSH_ONLY, "campaign.scheduled.newsletter.cadence=2d"),
    horizon_days=91,
    about="a push every other day (3.5 a week) and no email, for 13 weeks",
)
TRUST_FIXED = Setting(
    "trust_fixed",
    ("strategy=recommend", "customer.trust.gain=0", "customer.trust.loss_irrelevant=0", *_NO_PERSOFAIL_OR_CREEPY_LOSS),
    horizon_days=90,
    about="no touch moves trust (it only relaxes toward its baseline)",
)
TRUST_ALL_RELEVANT = Setting(
    "trust_all_relevant",
    (
        "strategy=recommend",
        "customer.trust.relevant_above=-1",
        "customer.trust.irrelevant_below=-1",
        *_NO_PERSOFAIL_OR_CREEPY_LOSS,
    ),
    horizon_days=90,
    about="every noticed touch counts as relevant: each gains trust",
)
TRUST_ALL_IRRELEVANT = Setting(
    "trust_all_irrelevant",
    (
        "strategy=recommend",
        "customer.trust.relevant_above=1",
        "customer.trust.irrelevant_below=1",
        "customer.trust.gain=0",
        *_NO_PERSOFAIL_OR_CREEPY_LOSS,
    ),
    horizon_days=90,
    about="every noticed touch counts as irrelevant: each loses trust",
)
OMNI_RECOMMEND = Setting(
    "omnichannel_recommend",
    ("strategy=recommend", "campaign=omnichannel"),
    about="`recommend` on every channel (`campaign=omnichannel`)",
)
OMNI_NONE = Setting(
    "omnichannel_none",
    ("strategy=none", "campaign=omnichannel"),
    about="`none` on every channel",
)

SETTINGS: tuple[Setting, ...] = (
    RECOMMEND,
    RECOMMEND_REPLENISH,
    RECOMMEND_DAILY_EMAIL,
    NONE,
    PURCHASE_AWARE,
    INFERRED_COVERT,
    INFERRED_OVERT,
    TRANSPARENT,
    TRANSPARENT_NO_CONTROL,
    RETARGET_NO_ADS,
    RETARGET_ADS,
    RETARGET_ADS_SHORT,
    PUSH_WEEKLY,
    PUSH_FREQUENT,
    TRUST_FIXED,
    TRUST_ALL_RELEVANT,
    TRUST_ALL_IRRELEVANT,
    OMNI_RECOMMEND,
    OMNI_NONE,
)
"""Every setting, in the order the tables list them."""
