"""The config schema: every option of every group, typed, documented and range-checked.

These dataclasses are registered with Hydra's ConfigStore as ``config_schema`` (the first
entry of ``configs/config.yaml``'s defaults), so a typo in a key or a wrong type fails at
compose time; :mod:`sim.config.validate` then checks the ranges declared here with
:func:`~sim.config.params.param`.  Below :mod:`sim.app` nothing sees OmegaConf: the
composed config is turned back into these plain dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.catalog import SENSITIVITY_CLASSES
from sim.codes import CHANNELS, SOURCES
from sim.config.params import MISSING, param

__all__ = [
    "Config",
    "PopulationConfig",
    "SegmentConfig",
    "CatalogConfig",
    "CategoryConfig",
    "CustomerConfig",
    "StrategyConfig",
    "CampaignConfig",
    "ScheduledCampaignConfig",
    "TriggerConfig",
    "RetargetingConfig",
    "LimitsConfig",
    "ChannelLimitsConfig",
    "OutputConfig",
    "FirmConfig",
    "ExperimentConfig",
    "ValueConfig",
    "UncertaintyConfig",
    "PriorSpec",
    "FittedRange",
    "register_schemas",
]


# --------------------------------------------------------------------------- fitted ranges


@dataclass
class FittedRange:
    """A parameter fitted to a firm's own figures (written by ``prepersona-calibrate`` into the
    options it writes), with the range of values those figures cannot tell apart: the prior a
    sweep over plausible worlds draws it from instead of the model's generic range."""

    key: str = param(MISSING, "the fitted parameter, as a dotted key", source="setting: written by a calibration")
    low: float = param(MISSING, "lowest value consistent with the firm's figures", source="setting: the fit's range")
    high: float = param(MISSING, "highest value consistent with the firm's figures", source="setting: the fit's range")
    scale: str = param(
        "linear",
        "how worlds draw it between low and high: uniformly (linear) or uniformly in its logarithm (log)",
        choices=("linear", "log"),
        source="setting: the scale the fit searched on",
    )


def fitted_ranges_field():
    """The ``fitted`` list of a section a calibration writes (population, customer)."""
    return param(
        None,
        "parameters of this section fitted to a firm's figures, with their consistent ranges "
        "(written by prepersona-calibrate; used as priors by plausible worlds)",
        factory=list,
        source="setting: written by a calibration",
    )


# --------------------------------------------------------------------------- population


@dataclass
class SegmentConfig:
    """One customer segment: its share of the population and its distributions."""

    name: str = param(MISSING, "segment name, for reports", source="setting: a name")
    share: float = param(
        1.0,
        "share of the population in this segment; shares sum to 1",
        unit="share",
        gt=0,
        le=1,
        source="assumption: describes a customer base; set it from your own customer records",
    )
    trust_mean: float = param(
        0.6,
        "mean initial trust (Beta distributed)",
        unit="[0, 1]",
        gt=0,
        lt=1,
        source="assumption: no survey measures trust on this scale; loyal customers higher, new ones lower",
    )
    trust_base_mean: float = param(
        0.6,
        "mean trust each customer relaxes to without contact",
        unit="[0, 1]",
        gt=0,
        lt=1,
        source="assumption: the trust a customer keeps without contact, as trust_mean",
    )
    trust_concentration: float = param(
        20.0,
        "Beta concentration a+b of trust (higher: less spread)",
        gt=0,
        source="assumption: customers of one segment differ moderately (standard deviation about 0.1 at 20)",
    )
    privacy_a: float = param(
        1.5,
        "privacy sensitivity ~ Beta(a, b): a",
        gt=0,
        source="calibrated: with privacy_b, the shipped retail segments put about 26% of customers above 0.6 and "
        "70% above 0.25, near the ~25% who find personalization very creepy and ~75% at least somewhat "
        "(InMoment 2018)",
    )
    privacy_b: float = param(
        2.5,
        "privacy sensitivity ~ Beta(a, b): b",
        gt=0,
        source="calibrated: with privacy_a, to the share who find personalization creepy (InMoment 2018)",
    )
    visit_rate_mean: float = param(
        0.06,
        "mean probability of an organic visit per day at trust 0.5",
        unit="1/day",
        ge=0,
        le=1,
        source="assumption: an organic visit every two to three weeks; frequent buyers more, new customers less",
    )
    visit_rate_shape: float = param(
        1.5,
        "Gamma shape of visit rates (lower: more spread)",
        gt=0,
        source="assumption: visit frequencies are skewed, a few customers visit far more often than most",
    )
    email_optin: float = param(
        0.6,
        "share who consent to email at the start",
        unit="share",
        ge=0,
        le=1,
        source="assumption: most customers of a shop with a newsletter consent to it; no published share",
    )
    price_sensitivity: float = param(
        1.0,
        "multiplier of the price elasticity",
        ge=0,
        source="assumption: 1 is the customer model's elasticity; bargain hunters above, loyal customers below",
    )
    wearout_share: float = param(
        0.25,
        "share who respond worse to repeated exposure",
        unit="share",
        ge=0,
        le=1,
        source="about a quarter wear out (Chae et al. 2019)",
    )
    wearout_multiplier: float = param(
        3.0,
        "fatigue added per contact for those who wear out, x normal",
        ge=1,
        source="assumption: those who wear out tire several times faster; no published multiple",
    )
    push_optin: float = param(
        0.2,
        "share who use the app and allow push notifications",
        unit="share",
        ge=0,
        le=1,
        source="assumption: app users times the share of them who allow push; no published figure",
    )
    ads_consent: float = param(
        0.6,
        "share who accept ad tracking (retargeting is possible)",
        unit="share",
        ge=0,
        le=1,
        source="assumption: most accept tracking, a privacy-minded minority refuses it",
    )
    stated_share: float = param(
        0.25,
        "share who fill in the preference centre (state their two favourite categories)",
        unit="share",
        ge=0,
        le=1,
        source="assumption: a minority takes the time to state preferences",
    )


@dataclass
class PopulationConfig:
    """Who the customers are (``configs/population/``)."""

    name: str = param("retail", "name of this population, for reports", source="setting: a name")
    size: int = param(
        100_000,
        "number of customers",
        unit="customers",
        ge=1,
        le=100_000_000,
        source="setting: a size; shares and rates do not depend on it",
    )
    segments: list[SegmentConfig] = field(default_factory=list)
    fitted: list[FittedRange] = fitted_ranges_field()


# --------------------------------------------------------------------------- catalog


@dataclass
class CategoryConfig:
    """One product category of the catalog."""

    name: str = param(MISSING, "category name", source="setting: a name")
    kind: str = param(
        "durable",
        "durable (bought once per long cycle) or consumable (rebought every cycle)",
        choices=("durable", "consumable"),
        source="lever: the firm's assortment",
    )
    cycle_days: float = param(
        365.0,
        "typical time between two purchases in the category (at most a million days: reminders are counted in hours)",
        unit="day",
        gt=0,
        le=1_000_000,
        source="assumption: weeks for consumables, years for durables; set it from your own repurchase data",
    )
    sensitivity: str = param(
        "ordinary",
        "sensitivity class of its items",
        choices=tuple(SENSITIVITY_CLASSES),
        source="lever: the firm's assortment",
    )
    share: float = param(1.0, "relative share of catalog items", gt=0, source="lever: the firm's assortment")
    price_median: float = param(30.0, "median price", unit="currency", gt=0, le=1e9, source="lever: the firm's pricing")
    price_sigma: float = param(0.4, "log-scale price spread", ge=0, le=3, source="lever: the firm's pricing")
    margin_rate: float = param(
        0.3, "gross margin share of price", unit="share", ge=0, le=1, source="lever: the firm's pricing"
    )
    item_names: list[str] = param(
        None,
        "readable names of its items, for reports: the k-th item is named item_names[k mod their number]",
        factory=list,
        source="setting: names for the report's stories; they change no result",
    )


@dataclass
class CatalogConfig:
    """What the firm sells (``configs/catalog/``)."""

    name: str = param("retail", "name of this catalog", source="setting: a name")
    items: int = param(
        2000, "number of items", unit="items", ge=1, le=10_000_000, source="setting: a size of the catalog"
    )
    features: int = param(
        8,
        "dimension of item features and customer taste",
        ge=2,
        le=64,
        source="setting: the size of the taste space, not a measured fact",
    )
    category_spread: float = param(
        0.5,
        "how far items scatter around their category's centre",
        ge=0,
        source="assumption: items of a category resemble each other but not fully; no measure exists",
    )
    categories: list[CategoryConfig] = field(default_factory=list)


# --------------------------------------------------------------------------- customer model


@dataclass
class BasisWeights:
    """Intrusiveness of a data basis: how much using it can make a touch feel creepy."""

    none: float = param(
        0.0,
        "editorial or popular: no personal data",
        ge=0,
        source="assumption: a pick made without personal data reveals nothing about the customer",
    )
    stated: float = param(
        0.05,
        "what the customer told the firm",
        ge=0,
        source="assumption: the least intrusive personal data (stated is more acceptable than inferred, "
        "Kim, Barasz & John 2019)",
    )
    onsite: float = param(
        0.15,
        "behaviour observed on the firm's own site",
        ge=0,
        source="assumption: within-site data is more acceptable than data from outside (Kim, Barasz & John 2019)",
    )
    inferred: float = param(
        0.6,
        "attributes the firm inferred",
        ge=0,
        source="assumption: inferred data is less acceptable than stated data (Kim, Barasz & John 2019)",
    )
    offsite: float = param(
        0.8,
        "data from other sites or third parties",
        ge=0,
        source="assumption: data from outside the site is the least acceptable (Kim, Barasz & John 2019)",
    )


@dataclass
class PersonalLookWeights:
    """How personal a slot looks, by the data basis behind it: 1 for a pick presented as chosen
    for the customer, far less for best sellers and editorial picks."""

    none: float = param(
        0.2,
        "best sellers and editorial picks",
        ge=0,
        le=1,
        source="assumption: customers blame generic content far less than content labelled as for them",
    )
    stated: float = param(
        1.0,
        "from what the customer told the firm",
        ge=0,
        le=1,
        source="assumption: a pick presented as chosen for the customer is blamed fully",
    )
    onsite: float = param(
        1.0,
        "from behaviour on the firm's site",
        ge=0,
        le=1,
        source="assumption: a pick presented as chosen for the customer is blamed fully",
    )
    inferred: float = param(
        1.0,
        "from attributes the firm inferred",
        ge=0,
        le=1,
        source="assumption: a pick presented as chosen for the customer is blamed fully",
    )
    offsite: float = param(
        1.0,
        "from other sites' or third-party data",
        ge=0,
        le=1,
        source="assumption: a pick presented as chosen for the customer is blamed fully",
    )


@dataclass
class ChannelWeights:
    """Obtrusiveness of a channel: how much a touch in it can make personal content feel creepy."""

    onsite: float = param(
        0.5,
        "the firm's own site",
        ge=0,
        source="assumption: the customer came to the site; the least obtrusive",
    )
    email: float = param(0.8, "email", ge=0, source="assumption: arrives unasked but is read when the customer chooses")
    push: float = param(
        1.2,
        "push notifications",
        ge=0,
        source="assumption: interrupts the customer on the phone; the most obtrusive",
    )
    ads: float = param(
        1.0,
        "ads on other sites",
        ge=0,
        source="assumption: follows the customer elsewhere; targeting and obtrusive ads together backfire "
        "(Goldfarb & Tucker 2011)",
    )


@dataclass
class ChannelFatigueCost:
    """Fatigue one contact adds, by channel (one email adds 1: the unit of fatigue)."""

    onsite: float = param(
        0.0,
        "a visit the customer makes",
        ge=0,
        source="assumption: a visit the customer chose to make is not a contact that tires",
    )
    email: float = param(1.0, "an email", ge=0, source="setting: the unit of fatigue (one email adds 1)")
    push: float = param(1.0, "a push notification", ge=0, source="assumption: a push tires about as much as an email")
    ads: float = param(
        0.3,
        "an ad served on another site",
        ge=0,
        source="assumption: a passing ad tires less than a message addressed to the customer",
    )


@dataclass
class ChannelFatigueHalfLife:
    """Days after which a channel's fatigue has halved."""

    onsite: float = param(
        1.0,
        "the firm's own site (visits add no fatigue by default)",
        unit="day",
        ge=0,
        source="assumption: short, as annoyance fades faster than brand memory (Kronrod & Huber 2019)",
    )
    email: float = param(
        5.0,
        "email",
        unit="day",
        ge=0,
        source="assumption: annoyance fades within days, faster than brand memory (Kronrod & Huber 2019)",
    )
    push: float = param(
        3.0,
        "push notifications",
        unit="day",
        ge=0,
        source="assumption: annoyance fades within days, faster than brand memory (Kronrod & Huber 2019)",
    )
    ads: float = param(
        2.0,
        "ads on other sites",
        unit="day",
        ge=0,
        source="assumption: annoyance fades within days, faster than brand memory (Kronrod & Huber 2019)",
    )


@dataclass
class VisitsConfig:
    trust_slope: float = param(
        0.5,
        "visit rate multiplier slope: rate * (1 + slope * (trust - 0.5))",
        ge=0,
        le=2,
        source="assumption: customers who trust the brand come back more often; no estimate of how much",
    )
    browse_items: int = param(
        8,
        "items a visitor looks through on its own; it views the best match",
        ge=1,
        le=256,
        source="assumption: a visitor scans a page or two of items",
    )


@dataclass
class ExposureConfig:
    base_rate: float = param(
        0.2,
        "probability an email is opened at trust 0.5 and no fatigue",
        unit="probability",
        ge=0,
        le=1,
        source="calibrated: a weekly email of recommend_purchase_aware is opened at about 22.5% per send "
        "(Mailchimp benchmarks 21-23%; customers' trust averages above 0.5)",
    )
    trust_elasticity: float = param(
        1.0,
        "open rate scales with (trust / 0.5) ** elasticity",
        ge=0,
        source="assumption: opens grow in proportion to trust",
    )
    fatigue_k: float = param(
        0.15,
        "open rate falls by exp(-k * email fatigue)",
        ge=0,
        source="assumption: a few recent emails lower the open rate by a few tens of percent",
    )


@dataclass
class PushExposureConfig:
    base_rate: float = param(
        0.6,
        "probability a push notification is read at trust 0.5 and no fatigue",
        unit="probability",
        ge=0,
        le=1,
        source="assumption: a push shows on the lock screen, so most are at least read",
    )
    trust_elasticity: float = param(
        1.0,
        "read rate scales with (trust / 0.5) ** elasticity",
        ge=0,
        source="assumption: as for email",
    )
    fatigue_k: float = param(
        0.3,
        "read rate falls by exp(-k * push fatigue)",
        ge=0,
        source="assumption: push tires faster than email; it interrupts",
    )


@dataclass
class AdsExposureConfig:
    base_rate: float = param(
        0.25,
        "probability a served ad is noticed at trust 0.5 and no fatigue",
        unit="probability",
        ge=0,
        le=1,
        source="assumption: most display ads are scrolled past unnoticed",
    )
    trust_elasticity: float = param(
        0.5,
        "notice rate scales with (trust / 0.5) ** elasticity",
        ge=0,
        source="assumption: trust matters less for noticing an ad than for opening an email",
    )
    fatigue_k: float = param(
        0.1,
        "notice rate falls by exp(-k * ads fatigue)",
        ge=0,
        source="assumption: repeated ads are noticed a little less (banner blindness)",
    )
    reminder: float = param(
        0.04,
        "probability that a noticed ad, right after the customer's last visit, brings the customer back to the "
        "site (a visit); it halves every reminder_half_life_days",
        unit="probability",
        ge=0,
        le=1,
        source="assumption: retargeting brings visitors back (Johnson, Lewis & Nubbemeyer 2017; "
        "Lambrecht & Tucker 2013); no per-ad probability is published",
    )
    reminder_half_life_days: float = param(
        2.0,
        "days since the last visit after which an ad's reminder effect has halved",
        unit="day",
        gt=0,
        le=365,
        source="assumption: specific retargeting works right after a visit and fades fast "
        "(Bleier & Eisenbeiss 2015); the days are not published",
    )


@dataclass
class RelevanceConfig:
    persofail_window_days: float = param(
        60.0,
        "a durable whose category was bought this recently is a persofail when shown",
        unit="day",
        ge=0,
        source="assumption: recommending a durable just bought is a known complaint; no controlled estimate "
        "of how long it lasts exists",
    )
    persofail_relevance: float = param(
        -0.3,
        "perceived relevance of a persofail slot",
        ge=-1,
        le=1,
        source="assumption: worse than irrelevant, it shows the firm did not notice the purchase",
    )
    replenish_lo: float = param(
        0.8,
        "a consumable is 'due' from this many cycles after purchase",
        ge=0,
        source="assumption: a reminder a little before the customer runs out is welcome",
    )
    replenish_hi: float = param(
        1.3,
        "... until this many cycles",
        ge=0,
        source="assumption: after a while the customer has bought elsewhere or stopped",
    )
    replenish_boost: float = param(
        0.25,
        "relevance added to a due consumable",
        ge=0,
        le=2,
        source="assumption: 'buy it again' recommendations lift CTR 7-30% (Bhagat et al. 2018; Target), "
        "about 0.03-0.1 here; 0.25 (about 1.9x click odds) is above that",
    )


@dataclass
class CreepinessConfig:
    intrusiveness: BasisWeights = field(default_factory=BasisWeights)
    obtrusiveness: ChannelWeights = field(default_factory=ChannelWeights)
    sensitivity_floor: float = param(
        0.2,
        "creepiness of an ordinary item relative to a fully sensitive one",
        ge=0,
        le=1,
        source="assumption: sensitive categories (health, finance) make targeting feel far creepier",
    )
    covert_factor: float = param(
        2.0,
        "creepiness multiplier when data was collected covertly",
        ge=1,
        source="assumption: covert collection makes personalized ads backfire (Aguirre et al. 2015); "
        "the study gives no multiplier",
    )
    explanation_relief: float = param(
        0.4,
        "share of creepiness removed when the touch explains itself",
        ge=0,
        le=1,
        source="assumption: revealing an acceptable data flow helps (Kim, Barasz & John 2019); no share is published",
    )
    control_relief: float = param(
        0.5,
        "share of creepiness removed when the customer has control",
        ge=0,
        le=1,
        source="assumption: control makes personal content less unwelcome (Tucker 2014); the published 2x "
        "clicks is in engagement.click_control",
    )
    scale: float = param(
        1.0,
        "overall scale of the creepy-touch probability",
        ge=0,
        source="assumption: it scales the weights above together; no published probability of a touch "
        "feeling creepy exists",
    )


@dataclass
class EngagementConfig:
    click_bias_onsite: float = param(
        -4.6,
        "click logit of an onsite slate at relevance 0, trust 0.5",
        source="assumption: onsite recommendations are clicked a few percent of the time at good relevance",
    )
    click_bias_email: float = param(
        -3.51,
        "click logit of an opened email's slate at relevance 0, trust 0.5",
        source="calibrated: a weekly email of recommend_purchase_aware gets about 2.85% clicks per send "
        "(Mailchimp benchmarks 2.6-2.9%)",
    )
    click_relevance: float = param(
        2.5,
        "click logit per unit of perceived relevance",
        ge=0,
        source="assumption: a relevant slate is clicked several times as often as an irrelevant one",
    )
    click_trust: float = param(
        1.2,
        "click logit per unit of trust above 0.5",
        ge=0,
        source="assumption: customers who trust the brand click more",
    )
    click_bias_push: float = param(
        -3.8,
        "click logit of a read push notification's slate",
        source="push open (tap) rates of a few percent per send (Airship benchmarks)",
    )
    click_bias_ads: float = param(
        -5.0,
        "click logit of a noticed ad's slate",
        source="assumption: a noticed ad of no relevance is clicked under 1% of the time",
    )
    click_fatigue: float = param(
        0.2,
        "click logit lost per unit of channel fatigue",
        ge=0,
        source="assumption: repeated contact lowers response (a quarter respond worse, Chae et al. 2019)",
    )
    click_creepy: float = param(
        1.5,
        "click logit lost on a creepy touch",
        ge=0,
        source="assumption: a creepy touch is clicked about a fifth as often",
    )
    buy_bias: float = param(
        -5.0,
        "purchase logit of a clicked item at relevance 0",
        source="assumption: an irrelevant clicked item is rarely bought",
    )
    buy_relevance: float = param(
        2.0,
        "purchase logit per unit of relevance",
        ge=0,
        source="assumption: relevance matters for buying about as much as for clicking",
    )
    buy_trust: float = param(
        0.8,
        "purchase logit per unit of trust above 0.5",
        ge=0,
        source="assumption: trust helps buying, less than clicking",
    )
    price_elasticity: float = param(
        0.6,
        "purchase logit lost per unit of log(price / median price)",
        ge=0,
        source="assumption: an item twice the median price is bought about a third less often",
    )
    organic_bias: float = param(
        -3.8,
        "purchase logit of the item a visitor found on its own",
        source="assumption: a visit ends in a purchase a few percent of the time",
    )
    click_control: float = param(
        0.7,
        "click logit added to personal content (times its personal look) when the customer has control over its data",
        ge=0,
        source="Tucker 2014: personalized ads clicked about twice as often with privacy controls (ln 2)",
    )
    click_explained: float = param(
        0.2,
        "click logit added to personal content (times its personal look) that explains itself",
        ge=0,
        source="assumption: explanations raise acceptance of recommendations modestly",
    )


@dataclass
class TrustConfig:
    gain: float = param(
        0.015,
        "trust gained by a relevant touch: gain * (1 - trust)",
        ge=0,
        le=1,
        source="assumption: one relevant touch closes 1.5% of the gap to full trust; trust is built slowly",
    )
    loss_irrelevant: float = param(
        0.035,
        "trust lost by an irrelevant touch: loss * trust",
        ge=0,
        le=1,
        source="calibrated: loss / gain = 2.3, near loss aversion's 2.25 (Tversky & Kahneman 1992); per touch "
        "an irrelevant personal touch removes 2.3x what a relevant one adds",
    )
    loss_persofail: float = param(
        0.08,
        "trust lost by a persofail: loss * trust",
        ge=0,
        le=1,
        source="assumption: an algorithm's visible mistake costs more than a miss (Dietvorst, Simmons & Massey 2015)",
    )
    loss_creepy: float = param(
        0.1,
        "trust lost by a creepy touch: loss * privacy * trust",
        ge=0,
        le=1,
        source="calibrated: a creepy touch costs about 3x an irrelevant one, measured per touch (people are >3x "
        "likelier to leave a brand that over-personalizes, Gartner 2021)",
    )
    relevant_above: float = param(
        0.5,
        "a touch at or above this perceived relevance is relevant",
        ge=-1,
        le=1,
        source="assumption: half of a perfect match is noticeably relevant",
    )
    irrelevant_below: float = param(
        0.05,
        "a touch below this perceived relevance is irrelevant (costs trust)",
        ge=-1,
        le=1,
        source="assumption: only content with almost no match to the customer's taste annoys",
    )
    relax_half_life_days: float = param(
        120.0,
        "half-life of the gap between trust and its baseline",
        unit="day",
        gt=0,
        source="assumption: brand memory lasts months, far longer than annoyance (Kronrod & Huber 2019)",
    )
    relevance_memory: float = param(
        0.1,
        "weight of the newest touch in the running perceived relevance",
        ge=0,
        le=1,
        source="assumption: the impression of being understood rests on about the last ten touches",
    )
    control_loss_relief: float = param(
        0.3,
        "share of a persofail's or irrelevant touch's trust loss forgiven by a customer who has control over its data",
        ge=0,
        le=1,
        source="assumption: control keeps trust (Tucker 2014; Martin, Borah & Palmatier 2017)",
    )


@dataclass
class FatigueConfig:
    cost: ChannelFatigueCost = field(default_factory=ChannelFatigueCost)
    half_life_days: ChannelFatigueHalfLife = field(default_factory=ChannelFatigueHalfLife)


@dataclass
class OptOutConfig:
    email_base_hazard: float = param(
        0.0072,
        "unsubscribe probability per opened email at trust 0.5, no fatigue, relevant content",
        unit="probability",
        ge=0,
        le=1,
        source="calibrated: a weekly email of recommend_purchase_aware gets 0.245% unsubscribes per send "
        "(Mailchimp benchmarks 0.23-0.26%)",
    )
    fatigue_k: float = param(
        0.25,
        "email unsubscribe and ad-consent withdrawal hazards grow by exp(k * the channel's fatigue)",
        ge=0,
        source="assumption: 'too many emails' is the reason people give most (MarketingSherpa 2017; Fluent 2016)",
    )
    trust_k: float = param(
        3.0,
        "hazard grows by exp(k * (0.5 - trust))",
        ge=0,
        source="assumption: distrust of the source is a common reason to unsubscribe (Fluent 2016: 13.7%)",
    )
    creepy_multiplier: float = param(
        4.0,
        "hazard multiplier after a creepy touch",
        ge=1,
        source="assumption: after a creepy touch about a fifth stop using the brand (InMoment 2018)",
    )
    irrelevance_k: float = param(
        2.0,
        "hazard grows by exp(k * max(0, relevant_above - relevance)) of the touch",
        ge=0,
        source="assumption: 'not relevant' is the second most given reason to unsubscribe, near 'too many' "
        "(MarketingSherpa 2017; Fluent 2016)",
    )
    push_base_hazard: float = param(
        0.004,
        "probability a read push makes the customer disable push, at trust 0.5 and no fatigue",
        unit="probability",
        ge=0,
        le=1,
        source="calibrated: with push_fatigue_k, over 13 weeks about 10% disable push at one a week and about "
        "37% at one every two days (Localytics: ~10% at 1/week, ~37% at 2-5/week)",
    )
    push_fatigue_k: float = param(
        0.6,
        "push-disable hazard grows by exp(k * push fatigue)",
        ge=0,
        source="calibrated: with push_base_hazard, to the share who disable push (Localytics)",
    )
    ads_base_hazard: float = param(
        0.002,
        "probability a noticed ad makes the customer withdraw ad-tracking consent, at trust 0.5 and no fatigue",
        unit="probability",
        ge=0,
        le=1,
        source="assumption: withdrawing tracking consent takes effort, rarer than an unsubscribe",
    )


@dataclass
class ChurnConfig:
    hazard_max: float = param(
        0.02,
        "daily churn hazard at very low trust",
        unit="1/day",
        ge=0,
        le=1,
        source="assumption: a customer who has lost trust is gone within a few months",
    )
    trust_mid: float = param(
        0.2,
        "trust at which the hazard is half its maximum",
        ge=0,
        le=1,
        source="assumption: customers leave for good only once trust is low",
    )
    slope: float = param(
        15.0,
        "steepness of the hazard in trust",
        ge=0,
        source="assumption: a few percent of the customers at ordinary trust leave in a year",
    )


@dataclass
class ValuedConfig:
    relevance_above: float = param(
        0.55,
        "running perceived relevance needed to feel valued",
        ge=-1,
        le=1,
        source="calibrated: under a good strategy about 21-23% of retail and 43% of subscription customers feel "
        "valued, under the 45% who feel understood (Twilio) and near the <20% who find recommendations relevant "
        "(Bazaarvoice)",
    )
    trust_above: float = param(
        0.7,
        "trust needed to feel valued",
        ge=0,
        le=1,
        source="calibrated: with relevance_above, to the share who feel valued",
    )


@dataclass
class CustomerConfig:
    """How customers react (``configs/customer/``); every parameter in docs/parameters.md."""

    name: str = param("default", "name of this customer model", source="setting: a name")
    visits: VisitsConfig = field(default_factory=VisitsConfig)
    email_exposure: ExposureConfig = field(default_factory=ExposureConfig)
    push_exposure: PushExposureConfig = field(default_factory=PushExposureConfig)
    ads_exposure: AdsExposureConfig = field(default_factory=AdsExposureConfig)
    relevance: RelevanceConfig = field(default_factory=RelevanceConfig)
    creepiness: CreepinessConfig = field(default_factory=CreepinessConfig)
    personal_look: PersonalLookWeights = field(default_factory=PersonalLookWeights)
    engagement: EngagementConfig = field(default_factory=EngagementConfig)
    trust: TrustConfig = field(default_factory=TrustConfig)
    fatigue: FatigueConfig = field(default_factory=FatigueConfig)
    optout: OptOutConfig = field(default_factory=OptOutConfig)
    churn: ChurnConfig = field(default_factory=ChurnConfig)
    valued: ValuedConfig = field(default_factory=ValuedConfig)
    fitted: list[FittedRange] = fitted_ranges_field()


# --------------------------------------------------------------------------- firm side


@dataclass
class StrategyConfig:
    """What the firm shows, to whom, on which data (``configs/strategy/``).

    A slate is a list of slots, each filled from a *source* (see the README's "Strategies").
    """

    name: str = param(MISSING, "strategy name, for reports", source="setting: a name")
    slots: list[str] = param(
        None,
        "source of each slate slot, in order (the slate size is their number): " + ", ".join(SOURCES),
        factory=lambda: ["behavioural"] * 4,
        source="lever: what the slate shows",
    )
    channels: list[str] = param(
        None,
        "channels the strategy personalizes; elsewhere its slots show editorial picks: " + ", ".join(CHANNELS),
        factory=lambda: list(CHANNELS),
        source="lever: where the firm personalizes",
    )
    candidates: int = param(
        32,
        "random candidate items scored per touch by behavioural slots",
        ge=1,
        le=4096,
        source="lever: how hard the recommender searches",
    )
    exploration: float = param(
        0.1,
        "probability a slot shows a popular item instead",
        unit="probability",
        ge=0,
        le=1,
        source="lever: the recommender's exploration",
    )
    popular_pool: int = param(
        50, "size of the best-seller list popular slots draw from", ge=1, source="lever: the best-seller list"
    )
    suppress_window_days: float = param(
        0.0,
        "never show a durable's category this many days after buying one (0: off)",
        unit="day",
        ge=0,
        source="lever: purchase-aware suppression",
    )
    suppress_within_cycle: bool = param(
        False,
        "never show a durable's category within its repurchase cycle after buying one",
        source="lever: purchase-aware suppression",
    )
    retarget_window_days: int = param(
        30,
        "retarget slots show items viewed or bought this recently",
        unit="day",
        ge=0,
        le=30_000,
        source="lever: how far back retargeting looks",
    )
    replenish_lo: float = param(
        0.8,
        "replenish slots show a consumable from this many cycles after purchase",
        ge=0,
        source="lever: when the firm reminds",
    )
    replenish_hi: float = param(1.3, "... until this many cycles", ge=0, source="lever: when the firm reminds")
    covert: bool = param(False, "data collected without the customer knowing", source="lever: how data is collected")
    explained: bool = param(False, "each touch says why it was chosen", source="lever: transparency")
    control: bool = param(
        False, "the customer can see and edit what the firm knows", source="lever: the customer's control"
    )
    retarget_stop_after_purchase: bool = param(
        False,
        "stop retargeting ads once the customer buys after the visit",
        source="lever: purchase-aware retargeting",
    )
    learn_view: float = param(
        0.3,
        "weight of a viewed item in the firm's taste estimate",
        ge=0,
        le=1,
        source="lever: how the firm learns taste",
    )
    learn_click: float = param(0.5, "weight of a clicked item", ge=0, le=1, source="lever: how the firm learns taste")
    learn_buy: float = param(1.0, "weight of a bought item", ge=0, le=1, source="lever: how the firm learns taste")


@dataclass
class FirmConfig:
    """The firm's data assets beyond what it observes on its own site."""

    inference_accuracy: float = param(
        0.6,
        "probability the firm's inferred category is the customer's true favourite (else a random category)",
        unit="probability",
        ge=0,
        le=1,
        source="lever: the quality of the firm's inference",
    )
    offsite_coverage: float = param(
        0.5,
        "share of customers third-party data covers",
        unit="share",
        ge=0,
        le=1,
        source="lever: the third-party data the firm buys",
    )
    offsite_accuracy: float = param(
        0.8,
        "probability a third-party category is the true favourite",
        unit="probability",
        ge=0,
        le=1,
        source="lever: the third-party data the firm buys",
    )
    editorial_picks: int = param(
        50, "items on the editors' list (editorial slots)", ge=1, source="lever: the editors' list"
    )


# --------------------------------------------------------------------------- timing

AUDIENCES = ("all", "segment", "lapsed", "recent_buyers")
TRIGGER_EVENTS = ("purchase", "browse", "cart", "replenishment", "inactivity")
MESSAGE_CHANNELS = ("email", "push")


@dataclass
class ChannelLimitsConfig:
    """Contact rules of one outbound channel."""

    cap_per_week: int = param(
        0,
        "at most this many contacts per customer per calendar week (days 0-6, 7-13, ...); 0 = no cap",
        unit="contacts",
        ge=0,
        le=255,
        source="lever: the firm's contact rules",
    )
    cap_per_day: int = param(
        0,
        "at most this many contacts per customer per day; 0 = no cap",
        unit="contacts",
        ge=0,
        le=255,
        source="lever: the firm's contact rules",
    )
    quiet_hours: str = param(
        "",
        "hours when the channel sends nothing, 'HH:MM-HH:MM' on whole hours (may wrap midnight); '' = none",
        unit="hours",
        source="lever: the firm's contact rules",
    )
    quiet_policy: str = param(
        "defer",
        "a message due inside quiet hours waits until they end (defer) or is dropped (drop)",
        choices=("defer", "drop"),
        source="lever: the firm's contact rules",
    )


@dataclass
class LimitsConfig:
    """Frequency caps and quiet hours per channel, and a cap across channels."""

    email: ChannelLimitsConfig = field(default_factory=ChannelLimitsConfig)
    push: ChannelLimitsConfig = field(default_factory=lambda: ChannelLimitsConfig(quiet_hours="22:00-08:00"))
    ads: ChannelLimitsConfig = field(default_factory=lambda: ChannelLimitsConfig(cap_per_day=3))
    all_channels_per_week: int = param(
        0,
        "at most this many email + push + ad contacts per customer per calendar week; 0 = no cap",
        unit="contacts",
        ge=0,
        le=255,
        source="lever: the firm's contact rules",
    )


@dataclass
class ScheduledCampaignConfig:
    """A message sent to an audience on a fixed cadence."""

    enabled: bool = param(True, "send this campaign at all", source="lever: the campaign plan")
    channel: str = param(
        "email", "channel of the messages", choices=MESSAGE_CHANNELS, source="lever: the campaign plan"
    )
    cadence: str = param(
        "7d",
        "time between two sends ('7d', '3.5d', '12h'); from 1d up, sends fall on "
        "day start + floor(k * cadence) at send_hour",
        unit="duration",
        source="lever: the campaign plan",
    )
    send_hour: int = param(10, "hour of day of each send", unit="hour", ge=0, le=23, source="lever: the campaign plan")
    start: str = param(
        "0d",
        "first send: this long after day 0 (then at send_hour)",
        unit="duration",
        source="lever: the campaign plan",
    )
    end: str = param(
        "",
        "no sends from this long after day 0 on; '' = until the horizon",
        unit="duration",
        source="lever: the campaign plan",
    )
    audience: str = param(
        "all",
        "who receives it among customers who consent to the channel: all, one "
        "segment, lapsed customers, or recent buyers",
        choices=AUDIENCES,
        source="lever: the campaign plan",
    )
    segment: str = param("", "the segment, when audience is 'segment'", source="lever: the campaign plan")
    lapsed_after: str = param(
        "60d", "'lapsed': no visit or purchase for this long", unit="duration", source="lever: the campaign plan"
    )
    recent_within: str = param(
        "14d", "'recent_buyers': bought within this long", unit="duration", source="lever: the campaign plan"
    )
    strategy: str = param(
        "",
        "strategy (from configs/strategy/) that fills the slates; '' = the run's strategy",
        source="lever: the campaign plan",
    )


@dataclass
class TriggerConfig:
    """A message sent to each customer some time after an event of their own."""

    enabled: bool = param(True, "send this trigger at all", source="lever: the campaign plan")
    event: str = param(
        "purchase",
        "what starts the clock: purchase (follow-up), browse (a visit without a "
        "purchase), cart (a click without a purchase), replenishment (a consumable bought), "
        "inactivity (win-back)",
        choices=TRIGGER_EVENTS,
        source="lever: the campaign plan",
    )
    channel: str = param("email", "channel of the message", choices=MESSAGE_CHANNELS, source="lever: the campaign plan")
    delay: str = param(
        "3d",
        "time from the event to the message; for inactivity, from the last visit, click "
        "or purchase (a new purchase, or for browse and cart any purchase, cancels or restarts "
        "the clock)",
        unit="duration",
        source="lever: the campaign plan",
    )
    cycle_share: float = param(
        0.9,
        "replenishment: remind at this share of the consumable's repurchase cycle after buying it (delay is not used)",
        gt=0,
        le=10,
        source="lever: the campaign plan",
    )
    strategy: str = param(
        "",
        "strategy (from configs/strategy/) that fills the slates; '' = the run's strategy",
        source="lever: the campaign plan",
    )


@dataclass
class RetargetingConfig:
    """Ads on other sites that follow a visitor for a while."""

    enabled: bool = param(False, "serve retargeting ads at all", source="lever: the campaign plan")
    window: str = param(
        "7d",
        "ads follow a visitor this long after the last visit",
        unit="duration",
        source="lever: how long ads follow a visitor",
    )
    hours: list[int] = param(
        None,
        "hours of the day when the customer may browse other sites (one ad opportunity each)",
        unit="hour",
        factory=lambda: [11, 20],
        source="lever: when the firm bids for ad slots (lunch and evening browsing)",
    )
    reach: float = param(
        0.4,
        "probability a customer in the window meets an ad slot at one of those hours",
        unit="probability",
        ge=0,
        le=1,
        source="lever: how much ad inventory the firm buys",
    )
    cost_per_mille: float = param(
        4.0,
        "what serving a thousand ad impressions costs, subtracted from margin",
        unit="currency",
        ge=0,
        le=1000,
        source="display retargeting CPM about 3-6 in the currency of prices (programmatic bidding guides)",
    )
    specificity_half_life: str = param(
        "2d",
        "a personal slot shows its specific item with probability "
        "2^(-age / half-life) after the visit, a best seller otherwise",
        unit="duration",
        source="lever: how long ads show the viewed item; specific retargeting works right after a visit "
        "and fades fast (Bleier & Eisenbeiss 2015)",
    )


@dataclass
class CampaignConfig:
    """When and how the firm reaches out (``configs/campaign/``): a campaign plan."""

    name: str = param("weekly_email", "name of this campaign plan", source="setting: a name")
    visit_hour: int = param(
        12,
        "hour at which a day's organic visits are simulated",
        unit="hour",
        ge=0,
        le=23,
        source="setting: when a day's organic visits are simulated",
    )
    dispatch_bucket: str = param(
        "1h",
        "triggered messages due within one bucket go out together, at its end",
        unit="duration",
        source="setting: how finely triggered messages are timed",
    )
    scheduled: dict[str, ScheduledCampaignConfig] = param(
        None, "scheduled campaigns by name", factory=dict, source="lever: the campaign plan"
    )
    triggers: dict[str, TriggerConfig] = param(
        None, "triggered campaigns by name", factory=dict, source="lever: the campaign plan"
    )
    retargeting: RetargetingConfig = field(default_factory=RetargetingConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)


# --------------------------------------------------------------------------- outputs


@dataclass
class OutputConfig:
    journeys: int = param(
        200,
        "customers whose every touch is recorded in journeys.jsonl",
        unit="customers",
        ge=0,
        le=100_000,
        source="setting: an output option",
    )
    parquet: bool = param(True, "also write the daily series as Parquet", source="setting: an output option")
    progress: str = param(
        "auto",
        "progress display: auto (only on a terminal), on, off",
        choices=("auto", "on", "off"),
        source="setting: an output option",
    )


@dataclass
class ValueConfig:
    """What the customer base left at the end of a run is worth (see ``sim/value.py``)."""

    discount_rate_annual: float = param(
        0.1,
        "discount rate of future margin, per year",
        unit="1/year",
        ge=0,
        lt=1,
        source="assumption: 8-12% a year is the usual cost of capital in customer-equity studies",
    )
    tail_days: int = param(
        365,
        "days of the tail simulated after the horizon to value the customers left (0: no customer equity)",
        unit="day",
        ge=0,
        le=3650,
        source="setting: how far ahead customer equity looks (one year by default)",
    )
    sample_share: float = param(
        0.1,
        "share of the customers whose tail is simulated (the same customers for every strategy of a seed); "
        "with a behavior configured, every customer",
        gt=0,
        le=1,
        source="setting: precision of customer equity against its cost",
    )
    sample_min: int = param(
        20000,
        "the tail follows at least this many customers (every customer of a smaller population)",
        unit="customers",
        ge=1,
        le=100_000_000,
        source="setting: precision of customer equity against its cost",
    )
    tail_strategy: str = param(
        "popular",
        "the strategy of the tail's reference plan (configs/strategy/), the same for every run",
        source="setting: the valuation's reference plan, the same for every run",
    )
    tail_email_cadence: str = param(
        "7d",
        "the tail's newsletter: one email per this long to consenting customers ('' for none)",
        unit="duration",
        source="setting: the valuation's reference plan, the same for every run",
    )


@dataclass
class PriorSpec:
    """One uncertain parameter of ``uncertainty.priors`` and the distribution its worlds draw from."""

    key: str = param(
        MISSING,
        "the parameter, as a dotted key (customer.trust.loss_creepy; a list entry by its index: "
        "population.segments.0.trust_mean)",
        source="setting: which assumption is uncertain",
    )
    dist: str = param(
        "",
        "uniform, loguniform, beta (on low-high) or normal (truncated to the parameter's range and to "
        "low-high when given); empty: the parameter's range to consider (sim/config/priors.py)",
        source="setting: the shape of the prior",
    )
    low: float | None = param(
        None, "lower end of the prior (uniform, loguniform, beta; normal: optional)", source="setting: the prior"
    )
    high: float | None = param(
        None, "upper end of the prior (uniform, loguniform, beta; normal: optional)", source="setting: the prior"
    )
    a: float | None = param(None, "beta: first shape parameter", gt=0, source="setting: the prior")
    b: float | None = param(None, "beta: second shape parameter", gt=0, source="setting: the prior")
    mean: float | None = param(None, "normal: mean, before truncation", source="setting: the prior")
    sd: float | None = param(None, "normal: standard deviation, before truncation", gt=0, source="setting: the prior")


@dataclass
class UncertaintyConfig:
    """Plausible worlds: a sweep runs every setting in each of ``worlds`` draws of uncertain parameters."""

    worlds: int = param(
        0,
        "number of plausible worlds a sweep runs every setting in (0: none; otherwise at least 2; "
        "a power of 2 for the Sobol design)",
        ge=0,
        le=4096,
        source="setting: how finely the priors are sampled",
    )
    design: str = param(
        "sobol",
        "how the worlds are drawn: a scrambled Sobol sequence or a Latin hypercube (scipy.stats.qmc)",
        choices=("sobol", "lhs"),
        source="setting: the sampling design",
    )
    seed: int = param(
        0,
        "seed of the world design (the same seed, the same worlds)",
        ge=0,
        le=2**63 - 1,
        source="setting: the random seed",
    )
    priors: list[PriorSpec] = param(
        None,
        "the uncertain parameters and their priors; empty: every parameter whose default is an assumption, "
        "over its range to consider",
        factory=list,
        source="setting: which assumptions are uncertain",
    )
    world: int = param(
        -1,
        "the world this run is in (set for every job of a sweep with worlds; -1: the parameters as configured)",
        ge=-1,
        le=4095,
        source="setting: one world of the design",
    )


@dataclass
class ExperimentConfig:
    """What an experiment file (``experiments/``) is for; metadata only, it never changes results."""

    name: str = param(
        "", "the experiment's name (empty for a run or sweep outside an experiment)", source="setting: a name"
    )
    question: str = param(
        "", "the workshop question the experiment answers, in plain language", source="setting: a note"
    )
    baseline: str = param(
        "",
        "the setting the report compares every setting with: a setting's label, a strategy, or "
        "key=value overrides separated by commas; empty: the strategy none",
        source="setting: a note for the report",
    )


@dataclass
class ReportConfig:
    """How the workshop report presents the results; it never changes them."""

    currency: str = param(
        "", "currency of money in the report, e.g. EUR or €; empty: none named", source="setting: how money is shown"
    )


@dataclass
class Config:
    """One run: a population meets a strategy for ``horizon_days``."""

    seed: int = param(
        0, "seed of every random stream of the run", ge=0, le=2**63 - 1, source="setting: the random seed"
    )
    horizon_days: int = param(365, "simulated days", unit="day", ge=1, le=30_000, source="setting: the length of a run")
    threads: int = param(
        1,
        "threads of the compiled core (results do not depend on it)",
        ge=1,
        le=256,
        source="setting: threads (results do not depend on them)",
    )
    impl: str = param(
        "compiled",
        "customer kernels: compiled, or their NumPy twins (slow; for checks)",
        choices=("compiled", "numpy"),
        source="setting: an implementation choice (results do not depend on it)",
    )
    population: PopulationConfig = field(default_factory=PopulationConfig)
    catalog: CatalogConfig = field(default_factory=CatalogConfig)
    customer: CustomerConfig = field(default_factory=CustomerConfig)
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    firm: FirmConfig = field(default_factory=FirmConfig)
    campaign: CampaignConfig = field(default_factory=CampaignConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    value: ValueConfig = field(default_factory=ValueConfig)
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    uncertainty: UncertaintyConfig = field(default_factory=UncertaintyConfig)
    behaviors: dict[str, Any] = param(
        None,
        "added or replacing customer behaviors by name, from configs/behavior/ (see the README's 'Adding a behavior')",
        factory=dict,
        source="setting: which extra behaviors a run switches on",
    )
    memory_check: bool = param(
        True,
        "refuse to start when the run's estimated peak memory (times the jobs at once) exceeds the available "
        "memory; false runs it anyway (results do not depend on it)",
        source="setting: a safety check before a run starts",
    )


def register_schemas() -> None:
    """Store the schema in Hydra's ConfigStore (idempotent)."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="config_schema", node=Config)
