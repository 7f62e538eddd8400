"""The published stylized facts the model is checked against, each with its threshold.

Every threshold below is the published figure's range, written here before any run: a
sampling tolerance is added only where the source is a survey of known size, and says so in
``basis``.  A fact the model does not reproduce stays in the list and is reported as missed;
its threshold is never moved to make it pass.

To add a fact: append a :class:`~sim.validation.spec.Fact` to :data:`FACTS` with the settings
it compares (from :mod:`sim.validation.settings`, or a new one there) and a figure built from
:mod:`sim.validation.measures`.  ``python -m sim.validation --only NEW_ID --quick`` runs it alone.
"""

from __future__ import annotations

import math

from sim.validation.measures import (
    CHURNED_SHARE,
    CLICK_THROUGH,
    REVENUE,
    VISITS,
    channel_click_through,
    key,
    metric,
    noticed_touches,
)
from sim.validation.settings import (
    INFERRED_COVERT,
    INFERRED_OVERT,
    NONE,
    OMNI_NONE,
    OMNI_RECOMMEND,
    PURCHASE_AWARE,
    PUSH_FREQUENT,
    PUSH_WEEKLY,
    RECOMMEND,
    RECOMMEND_DAILY_EMAIL,
    RECOMMEND_REPLENISH,
    RETARGET_ADS,
    RETARGET_ADS_SHORT,
    RETARGET_NO_ADS,
    TRANSPARENT,
    TRANSPARENT_NO_CONTROL,
    TRUST_ALL_IRRELEVANT,
    TRUST_ALL_RELEVANT,
    TRUST_FIXED,
)
from sim.validation.spec import Fact, Formula, Level, Lift, Ratio, Runs, Threshold

__all__ = ["FACTS", "fact_ids", "loss_gain_ratio", "obtrusive_targeting_ratio"]

INF = math.inf

PUSH_OPTOUT_SHARE = key("channels.push.optout_share", "share of push users who disabled push")
EMAIL_OPTOUT_SHARE = key("optout_share_email", "share of email subscribers who unsubscribed")
ADS_CLICK_THROUGH = channel_click_through("ads")


def loss_gain_ratio(runs: Runs) -> float:
    """Trust lost per irrelevant touch / trust gained per relevant touch, in outcome terms.

    Three runs of the same seed differ only in how a noticed touch moves trust: not at all
    (``trust_fixed``), always up (``trust_all_relevant``), always down (``trust_all_irrelevant``).
    The trust each moved away from the fixed run, summed over customers, divided by that run's
    noticed touches, is the trust a touch of that kind gains or loses on average.
    """
    fixed, up, down = runs[TRUST_FIXED.name], runs[TRUST_ALL_RELEVANT.name], runs[TRUST_ALL_IRRELEVANT.name]

    def total_trust(m) -> float:
        return metric(m, "trust_mean_end") * metric(m, "customers")

    gained = (total_trust(up) - total_trust(fixed)) / noticed_touches(up)
    lost = (total_trust(fixed) - total_trust(down)) / noticed_touches(down)
    return lost / gained if gained > 0 else math.nan


def obtrusive_targeting_ratio(runs: Runs) -> float:
    """Personalization's click-through ratio on push divided by its ratio on email (< 1: it
    helps less, or hurts more, in the more obtrusive channel)."""
    push, email = channel_click_through("push"), channel_click_through("email")
    rec, none = runs[OMNI_RECOMMEND.name], runs[OMNI_NONE.name]
    return _divide(_divide(push(rec), push(none)), _divide(email(rec), email(none)))


def _divide(a: float, b: float) -> float:
    return a / b if b else math.nan


FACTS: tuple[Fact, ...] = (
    Fact(
        id="email_open_rate",
        area="email",
        finding="A marketing email is opened on about 21-23% of sends (average over all industries).",
        citation="Mailchimp (2018, 2019), Email Marketing Benchmarks, all-industry averages",
        prediction="A weekly newsletter is opened on 21-23% of sends.",
        figure=Level(RECOMMEND, key("email_open_rate", "opens per email sent")),
        threshold=Threshold(0.21, 0.23),
        basis="the all-industry averages of the 2018 and 2019 tables; averages over billions of sends, "
        "so no sampling tolerance is added",
        note="The e-commerce averages are lower (about 15.7% opens, 2.1% clicks in 2018); the model's "
        "defaults are anchored to the all-industry figures, which are what is checked.",
    ),
    Fact(
        id="email_click_rate",
        area="email",
        finding="A marketing email is clicked on about 2.6-2.9% of sends (average over all industries).",
        citation="Mailchimp (2018, 2019), Email Marketing Benchmarks, all-industry averages",
        prediction="A weekly newsletter is clicked on 2.6-2.9% of sends.",
        figure=Level(RECOMMEND, key("email_click_rate", "clicks per email sent")),
        threshold=Threshold(0.026, 0.029),
        basis="the all-industry averages of the 2018 and 2019 tables, no tolerance added",
        digits=2,
    ),
    Fact(
        id="email_unsubscribe_rate",
        area="email",
        finding="About 0.23-0.26% of sends of a marketing email end in an unsubscribe.",
        citation="Mailchimp (2018, 2019), Email Marketing Benchmarks, all-industry averages",
        prediction="A weekly newsletter loses 0.23-0.26% of its recipients per send.",
        figure=Level(RECOMMEND, key("email_unsubscribe_rate", "unsubscribes per email sent")),
        threshold=Threshold(0.0023, 0.0026),
        basis="the all-industry averages of the 2018 and 2019 tables, no tolerance added",
        digits=3,
    ),
    Fact(
        id="revenue_lift",
        area="personalization",
        finding="Good personalization lifts revenue by 5-15% against none.",
        citation="McKinsey & Company (2023), 'What is personalization?', McKinsey Explainers",
        prediction="Over a year in retail, purchase-aware recommendations (`recommend_purchase_aware`) earn "
        "5-15% more revenue than editors' picks for everyone (`none`).",
        figure=Lift(PURCHASE_AWARE, NONE, REVENUE),
        threshold=Threshold(0.05, 0.15),
        basis="McKinsey's range of +5-15% revenue (the often-quoted 'about 10%')",
        unit="lift",
    ),
    Fact(
        id="buy_it_again_ctr",
        area="personalization",
        finding="'Buy it again' recommendations of consumables due for repurchase raise click-through by 7% to 30%.",
        citation="Bhagat, Muralidharan, Lobzhanidze & Vishwanath (2018), KDD; Pande et al. (2025), Target Tech blog",
        prediction="Replacing one of four behavioural slots by a 'buy it again' slot (`replenish`) raises "
        "click-through by 7-30%.",
        figure=Lift(RECOMMEND_REPLENISH, RECOMMEND, CLICK_THROUGH),
        threshold=Threshold(0.07, 0.30),
        basis="over 7% on Amazon's personalized recommendations page; over 30% in Target's A/B test",
        unit="lift",
        note="The studies measure the click-through of the recommendations themselves; here clicks on any "
        "slot of the slate count.",
    ),
    Fact(
        id="push_disable_weekly",
        area="push",
        finding="About 10% of app users disable push notifications when they get one a week.",
        citation="Localytics (2017), survey of 1,000 US app users, reported by MarketingProfs",
        prediction="At one push a week, 8.1-11.9% of the customers who allow push disable it within 13 weeks.",
        figure=Level(PUSH_WEEKLY, PUSH_OPTOUT_SHARE),
        threshold=Threshold(0.081, 0.119),
        basis="10%, widened by the survey's 95% sampling margin, 1.96 * sqrt(0.10 * 0.90 / 1000) = 1.9 points",
        note="The survey has no time frame; 13 weeks is the horizon the model's push defaults were set on.",
    ),
    Fact(
        id="push_disable_frequent",
        area="push",
        finding="About 37% of app users disable push notifications when they get 2-5 a week.",
        citation="Localytics (2017), survey of 1,000 US app users, reported by MarketingProfs",
        prediction="At 3.5 pushes a week, 34.0-40.0% of the customers who allow push disable it within 13 weeks.",
        figure=Level(PUSH_FREQUENT, PUSH_OPTOUT_SHARE),
        threshold=Threshold(0.340, 0.400),
        basis="37%, widened by the survey's 95% sampling margin, 1.96 * sqrt(0.37 * 0.63 / 1000) = 3.0 points",
        note="The survey has no time frame; 13 weeks is the horizon the model's push defaults were set on.",
    ),
    Fact(
        id="email_frequency_unsubscribes",
        area="email",
        finding="More marketing email makes subscribers opt out sooner; 'too many emails' is the reason "
        "given most often.",
        citation="Kumar, Zhang & Luo (2014), Journal of Marketing Research 51(4); MarketingSherpa (2017), "
        "consumer survey",
        prediction="A daily newsletter loses a larger share of its subscribers over a year than a weekly one.",
        figure=Ratio(RECOMMEND_DAILY_EMAIL, RECOMMEND, EMAIL_OPTOUT_SHARE),
        threshold=Threshold(1.0, INF, strict=True),
        basis="the direction: the studies give no size that carries over to a daily against a weekly cadence",
        unit="ratio",
        digits=2,
    ),
    Fact(
        id="covert_collection_ctr",
        area="privacy",
        finding="Personalized ads based on data collected covertly are clicked less than the same ads "
        "based on data collected openly.",
        citation="Aguirre, Mahr, Grewal, de Ruyter & Wetzels (2015), Journal of Retailing 91(1)",
        prediction="Collecting the same inferred and third-party data covertly (`inferred_sensitive`) rather "
        "than openly lowers click-through.",
        figure=Ratio(INFERRED_COVERT, INFERRED_OVERT, CLICK_THROUGH),
        threshold=Threshold(-INF, 1.0, strict=True),
        basis="the direction: the field study reports a drop in click-through, not a size usable here",
        unit="ratio",
        digits=3,
    ),
    Fact(
        id="privacy_control_ctr",
        area="privacy",
        finding="After a social network gave its users control over their personal information, they were "
        "nearly twice as likely to click on personalized ads; generic ads were unchanged.",
        citation="Tucker (2014), Journal of Marketing Research 51(5)",
        prediction="Letting customers see and change what the firm knows (`strategy.control`) raises "
        "click-through on personalized content 1.5-2.5 times.",
        figure=Ratio(TRANSPARENT, TRANSPARENT_NO_CONTROL, CLICK_THROUGH),
        threshold=Threshold(1.5, 2.5),
        basis="'nearly twice' (no interval given): read as closer to 2 than to 1 or 3",
        unit="ratio",
        digits=2,
    ),
    Fact(
        id="retargeting_brings_visits",
        area="ads",
        finding="Retargeting ads bring people back: in a field experiment they raised website visits by "
        "17.2% and purchases by 10.5% among the users they reached.",
        citation="Johnson, Lewis & Nubbemeyer (2017), Journal of Marketing Research 54(6)",
        prediction="Adding retargeting ads (14 days after a visit) raises onsite visits (organic ones and those "
        "the ads bring).",
        figure=Lift(RETARGET_ADS, RETARGET_NO_ADS, VISITS),
        threshold=Threshold(0.0, INF, strict=True),
        basis="the direction: +17.2% is among users the ads reached; over the whole population "
        "(only visitors who accept ad tracking see ads) the lift is smaller",
        unit="lift",
    ),
    Fact(
        id="retargeting_decay",
        area="ads",
        finding="Highly personalized retargeting banners work best right after the site visit and lose "
        "effectiveness quickly as time since the visit passes.",
        citation="Bleier & Eisenbeiss (2015), Marketing Science 34(5)",
        prediction="Ads shown only within a day of a visit are clicked more often per noticed ad than the same "
        "ads spread over the 14 days after it.",
        figure=Ratio(RETARGET_ADS_SHORT, RETARGET_ADS, ADS_CLICK_THROUGH),
        threshold=Threshold(1.0, INF, strict=True),
        basis="the direction: the field data give a decay, not a size usable for a 1-day against a 14-day window",
        unit="ratio",
        digits=2,
    ),
    Fact(
        id="loss_aversion",
        area="trust",
        finding="Losses weigh about 2.25 times as much as gains of the same size (loss aversion).",
        citation="Tversky & Kahneman (1992), Journal of Risk and Uncertainty 5(4)",
        prediction="Over a quarter, the trust an irrelevant touch costs is 2-2.5 times the trust a relevant "
        "touch earns, per noticed touch.",
        figure=Formula(
            (TRUST_FIXED, TRUST_ALL_RELEVANT, TRUST_ALL_IRRELEVANT),
            loss_gain_ratio,
            "trust lost per touch when every touch is irrelevant / trust gained per touch when every touch is "
            "relevant (against a run where touches leave trust alone)",
        ),
        threshold=Threshold(2.0, 2.5),
        basis="lambda = 2.25 (median estimate); 2-2.5 is the range of loss/gain ratios the model's trust "
        "parameters are meant to follow",
        unit="ratio",
        digits=2,
        note="Per touch a loss is proportional to trust and a gain to 1 - trust, so at a mean trust t the "
        "ratio is about (`loss_irrelevant` / `gain`) * t / (1 - t): with the parameters' 2.33 and the "
        "population's starting trust of about 0.58, about 3.2. Both runs start from the same population; "
        "forcing every touch to one kind is what lets `metrics.json` alone measure it.",
    ),
    Fact(
        id="over_personalization_churn",
        area="trust",
        finding="People are more than three times as likely to give up on a brand that over-personalizes "
        "as on one that under-personalizes or does not personalize.",
        citation="Gash (2021), Gartner blog, survey of over 2,500 consumers",
        prediction="Over a year, at least 3 times as many customers churn under covert, inferred, sensitive "
        "personalization (`inferred_sensitive`) as under none (`none`).",
        figure=Ratio(INFERRED_COVERT, NONE, CHURNED_SHARE),
        threshold=Threshold(3.0, INF),
        basis="'more than three times' (no interval given)",
        unit="ratio",
        digits=2,
    ),
    Fact(
        id="feel_valued_minority",
        area="trust",
        finding="Most firms believe they deliver a superior experience (80%), few of their customers agree "
        "(8%); later surveys put the share of customers who feel understood well under half.",
        citation="Allen, Reichheld, Hamilton & Markey (2005), Bain & Company, 'Closing the delivery gap'",
        prediction="Even under good personalization (`recommend_purchase_aware`), under half of the customers "
        "feel valued at the end of a year.",
        figure=Level(PURCHASE_AWARE, key("feel_valued_share", "share of customers who feel valued")),
        threshold=Threshold(-INF, 0.5, strict=True),
        basis="'a minority': under 50% (the surveys range from 8% to under half)",
        note="'Feels valued' (active, running perceived relevance and trust both high) is the model's "
        "nearest to 'the firm understands me'. Most surveys put the share lower (8% to about 45%); the "
        "threshold checks only the finding's claim that it is a minority.",
    ),
    Fact(
        id="obtrusive_targeting",
        area="ads",
        finding="Targeted ads and obtrusive ads each work, but ads that are both targeted and obtrusive do "
        "worse, above all for privacy-sensitive people.",
        citation="Goldfarb & Tucker (2011), Marketing Science 30(3)",
        prediction="Personalization raises click-through less (or lowers it more) on push, the most obtrusive "
        "channel, than on email.",
        figure=Formula(
            (OMNI_RECOMMEND, OMNI_NONE),
            obtrusive_targeting_ratio,
            "(push clicks per push read: `omnichannel_recommend` / `omnichannel_none`) / (email clicks per "
            "email opened: the same ratio)",
        ),
        threshold=Threshold(-INF, 1.0, strict=True),
        basis="the direction of the interaction: the study measured purchase intent in surveys, not a size usable here",
        unit="ratio",
        digits=3,
        note="The study's outcome is stated purchase intent; the model's nearest outcome here is click-through.",
    ),
)
"""The facts, in the order of the tables."""


def fact_ids() -> list[str]:
    """The ids of :data:`FACTS`, in order."""
    return [f.id for f in FACTS]
