"""The mechanisms by which personalization earns or loses money, each in a whole run.

Each test changes one lever between two runs of the same seed (common random numbers) and
checks the direction, or the exact amount where one follows from the mechanism.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.scenario import Scenario
from sim.value import tail_sample

RETARGETING = ("campaign=retargeting", "strategy=recommend_purchase_aware", "value.tail_days=0")


def _run(small_config, *overrides):
    return Scenario(small_config("population.size=4000", "horizon_days=60", *overrides)).run().metrics


def test_serving_ads_costs_exactly_their_impressions_and_changes_nothing_else(small_config):
    # cost_per_mille only moves money: margin falls by impressions / 1000 * cost, and every
    # customer-side outcome is the same.
    free = _run(small_config, *RETARGETING, "campaign.retargeting.cost_per_mille=0")
    paid = _run(small_config, *RETARGETING, "campaign.retargeting.cost_per_mille=5")
    impressions = paid["channels"]["ads"]["sends"]
    assert impressions > 10_000
    assert paid["ad_cost"] == pytest.approx(impressions * 5 / 1000)
    assert free["ad_cost"] == 0.0
    assert paid["margin"] == pytest.approx(free["margin"] - paid["ad_cost"])
    for key in ("revenue", "orders", "visits", "trust_mean_end", "churned_share"):
        assert paid[key] == free[key], key


def test_a_clicked_or_reminding_ad_brings_the_customer_back(small_config):
    # Every ad click is a visit, and reminders add more; without the reminder only clicks
    # bring visits.  Visits and revenue rise over the same plan without ads' returns.
    m = _run(small_config, *RETARGETING)
    clicks = m["channels"]["ads"]["clicks"]
    assert clicks > 0 and m["ad_visits"] > clicks
    clicks_only = _run(small_config, *RETARGETING, "customer.ads_exposure.reminder=0")
    assert clicks_only["ad_visits"] == clicks_only["channels"]["ads"]["clicks"]
    assert m["visits"] > clicks_only["visits"]


def test_the_reminder_fades_with_the_days_since_the_visit():
    # return_visits on 200 000 noticed, unclicked ads: the share brought back is
    # reminder_probability of the days since the visit (0.04 at 0 days, 0.01 at 4).
    from dataclasses import replace

    from sim.core.kernels import call
    from tests.test_kernels import PARAMS

    n = 200_000
    params = replace(PARAMS, ad_reminder=0.04, ad_reminder_half_life=2.0)
    for days, p in ((0.0, 0.04), (4.0, 0.01)):
        out = np.zeros(n, np.uint8)
        count = call(
            "return_visits",
            "compiled",
            cust=np.arange(n, dtype=np.int64),
            exposed=np.ones(n, np.uint8),
            clicked=np.zeros(n, np.uint8),
            since_visit=np.full(n, days, np.float32),
            returning=out,
            params=params,
            key=7,
            n_threads=2,
        )
        assert count == out.sum()
        assert abs(count / n - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_control_over_ones_data_raises_clicks_on_personal_content_and_keeps_trust(small_config):
    base = ("strategy=recommend_purchase_aware", "value.tail_days=0")
    plain = _run(small_config, *base, "strategy.control=false")
    control = _run(small_config, *base, "strategy.control=true")
    assert control["onsite_clicks"] > 1.2 * plain["onsite_clicks"]
    assert control["email_clicks"] > plain["email_clicks"]
    assert control["trust_mean_end"] >= plain["trust_mean_end"]


def test_generic_content_is_blamed_less_for_a_persofail(small_config):
    # Editorial picks and best sellers still show just-bought durables (persofails are
    # counted), but they cost less trust when they look less personal.  (The counts differ a
    # little: trust changes who visits.)
    full = _run(small_config, "strategy=none", "value.tail_days=0", "customer.personal_look.none=1.0")
    less = _run(small_config, "strategy=none", "value.tail_days=0", "customer.personal_look.none=0.2")
    assert min(full["persofails"], less["persofails"]) > 100
    assert less["trust_mean_end"] > full["trust_mean_end"]


def test_irrelevant_content_makes_customers_unsubscribe_more(small_config):
    base = ("strategy=none", "value.tail_days=0", "campaign=frequent_email")
    calm = _run(small_config, *base, "customer.optout.irrelevance_k=0")
    irritated = _run(small_config, *base, "customer.optout.irrelevance_k=3")
    assert irritated["email_unsubscribes"] > 1.3 * calm["email_unsubscribes"]


def test_a_burnt_list_is_worth_less_after_the_horizon(small_config):
    # Daily email earns about as much as weekly within the horizon but leaves fewer
    # subscribers: the tail (the same reference plan for both) values the weekly list more.
    # A subscriber is worth little per week (about 0.6% of equity for the whole list over a
    # year), so the tail must run a year for the difference to stand above the noise.
    common = ("strategy=recommend_purchase_aware", "population.size=6000", "horizon_days=120",
              "value.tail_days=365")  # fmt: skip
    weekly = Scenario(small_config(*common, "campaign.scheduled.newsletter.cadence=7d")).run().metrics
    daily = Scenario(small_config(*common, "campaign.scheduled.newsletter.cadence=1d")).run().metrics
    assert daily["optout_share_email"] > 2 * weekly["optout_share_email"]
    assert daily["customer_equity"] < weekly["customer_equity"]
    assert daily["equity_sample"] == weekly["equity_sample"] == tail_sample(0, 6000, 1.0).size
