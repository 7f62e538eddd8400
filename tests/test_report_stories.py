"""Customer stories: told in plain sentences, picked by what happened, and fair to the baseline.

Journeys are built by hand (``touch``), so each sentence and each pick is known exactly.
"""

from __future__ import annotations

import pytest

from sim.report.paths import TrustPath, attribute
from sim.report.stories import Teller, follow_one_customer, item_phrase, pick_stories, tell


def touch(day, channel="onsite", cats=("toys", "toys"), exposed=True, hour=12, **kw):
    ev = {
        "day": day,
        "hour": hour,
        "channel": channel,
        "shown": [1, 2],
        "shown_categories": list(cats),
        "data_basis": ["onsite", "none"],
        "exposed": exposed,
        "trust_before": kw.pop("tb", 0.5),
        "trust_after": kw.pop("ta", 0.5),
    }
    if exposed:
        ev.update(
            {"perceived_relevance": 0.1, "persofail": False, "persofail_slot": None, "creepy": False, "clicked": False}
        )
    ev.update(kw)
    return ev


def journey(customer, events, start=0.6, end=0.5, **kw):
    return {"customer": customer, "segment": "loyal", "trust_start": start, "trust_end": end, "events": events, **kw}


SEAT = [
    touch(
        12,
        cats=("bathroom_fixtures", "toys"),
        bought=812,
        bought_category="bathroom_fixtures",
        bought_name="toilet seat",
        price=129.0,
        tb=0.62,
        ta=0.63,
    ),
    touch(
        13,
        cats=("bathroom_fixtures", "toys"),
        shown_names=["shower head", "kite"],
        persofail=True,
        persofail_slot=0,
        tb=0.63,
        ta=0.55,
    ),
    touch(14, channel="email", exposed=False, hour=10, cats=("bathroom_fixtures",) * 2),  # unopened: never seen
    touch(
        15,
        channel="email",
        hour=10,
        cats=("toys", "bathroom_fixtures"),
        persofail=True,
        persofail_slot=1,
        tb=0.55,
        ta=0.50,
    ),
    touch(20, cats=("bathroom_fixtures", "toys"), persofail=True, persofail_slot=0, tb=0.50, ta=0.45),
    touch(21, channel="email", hour=10, creepy=True, unsubscribed="email", tb=0.45, ta=0.41),
]


def seat_journey(events=SEAT):
    return journey(7, events, 0.62, 0.41, privacy=0.3, email_consent_start=True)


# ---------------------------------------------------------------------------------- telling
def test_a_persofail_story_in_plain_sentences_without_a_baseline():
    # Without a baseline no change of trust is put down to a touch; the tail says how much of the
    # run's change came at touches: +0.01 - 0.08 - 0.05 - 0.05 - 0.04 = -0.21.
    assert tell(seat_journey()) == (
        "Customer #7 (loyal segment, privacy sensitivity 0.30, subscribed to email): bought a toilet seat "
        "(bathroom fixtures) for 129.00 on day 12; shown bathroom fixtures again (a shower head) on days 13, 15 "
        "(email) and 20; found a touch creepy (email) on day 21 (onsite data); unsubscribed from email on day 21. "
        "Trust 0.62 → 0.41 (−0.21 of it at touches); opened 2 of 3 emails."
    )


def test_a_trust_loss_is_put_down_to_a_touch_only_where_the_baseline_path_differs():
    # The baseline's customer visits at the same moments; on day 13 they lose exactly the same
    # trust (an irrelevant slate under the baseline too), on days 15 and 20 nothing.
    same_moments = [
        touch(12, tb=0.62, ta=0.62),
        touch(13, tb=0.62, ta=0.54, perceived_relevance=0.3),
        touch(15, channel="email", hour=10, tb=0.54, ta=0.54),
        touch(20, tb=0.54, ta=0.54),
    ]
    base = journey(7, same_moments, 0.62, 0.54)
    one = [SEAT[0], SEAT[1]]  # the day-13 persofail alone
    told = tell(seat_journey(one), Teller({7: base}, "none"))
    assert (
        "shown bathroom fixtures again (a shower head) on day 13 (trust fell as much at the same moments under none)"
        in told
    )
    assert "more trust than" not in told  # not blamed on the persofail
    assert "Trust 0.62 → 0.41 (under none 0.62 → 0.54)" in told
    # Days 13, 15 and 20 together: -0.18 here, -0.08 under none at those moments: 0.10 is the touches'.
    told = tell(seat_journey(SEAT[:5]), Teller({7: base}, "none"))
    assert "on days 13, 15 (email) and 20, which cost 0.10 more trust than the same moments under none" in told
    # A single touch the baseline did not have is told with its trust before and after.
    told = tell(seat_journey([SEAT[0], SEAT[3]]), Teller({7: base}, "none"))
    assert "which cost 0.05 more trust than the same moments under none (0.55 → 0.50)" in told


def test_attribution_counts_the_baseline_change_at_the_same_moments_only():
    base = TrustPath(journey(1, [touch(3, tb=0.6, ta=0.55), touch(3, channel="email", hour=10, tb=0.7, ta=0.6)]))
    assert base.change_at([(3, 12)]) == pytest.approx(-0.05)  # the email at 10:00 is another moment
    assert base.change_at([(3, 12), (3, 10), (3, 12)]) == pytest.approx(-0.15)  # each moment once
    here = [touch(3, tb=0.6, ta=0.55)]
    att = attribute(here, base)
    assert abs(att.excess) < 1e-12 and not att.attributed and att.lost_anyway
    att = attribute([touch(4, tb=0.6, ta=0.55)], base)  # a day the baseline had no touch
    assert att.attributed and att.excess < 0
    assert attribute(here, None) is None  # no baseline path: nothing is attributed


def test_irrelevant_touches_are_told_against_the_baseline():
    dull = [touch(d, perceived_relevance=-0.2, tb=0.6 - 0.01 * d, ta=0.59 - 0.01 * d) for d in (1, 2, 3)]
    seen = journey(4, [*dull, touch(5, perceived_relevance=0.6)], 0.6, 0.57)
    base = journey(4, [touch(d) for d in (1, 2, 3, 5)], 0.6, 0.6)
    told = tell(seen, Teller({4: base}, "none"))
    assert (
        "found 3 of the 4 touches they saw irrelevant (3 onsite), which cost 0.03 more trust than the same moments "
        "under none; under none, 0 of 4" in told
    )


def test_items_are_named_from_the_catalog_with_their_category():
    assert item_phrase("toilet seat", 812, "bathroom_fixtures") == "a toilet seat (bathroom fixtures)"
    assert item_phrase("e-reader", 3, "electronics") == "an e-reader (electronics)"
    assert item_phrase("pair of jeans", 3, "clothing") == "a pair of jeans (clothing)"
    assert item_phrase("headphones", 3, "electronics") == "headphones (electronics)"
    assert item_phrase("", 1531, "cosmetics") == "item 1531 (cosmetics)"


def test_a_story_counts_many_purchases_and_names_persofails_from_before_the_run():
    buys = [touch(d, bought=d, bought_category="coffee", price=2.0) for d in (1, 2, 3, 4, 5, 6)]
    old = touch(3, hour=13, cats=("sofas", "toys"), persofail=True, persofail_slot=0, tb=0.6, ta=0.5)
    j = journey(1, [*buys, old], 0.6, 0.5, segment="bargain_hunters", privacy=0.5)
    assert tell(j) == (
        "Customer #1 (bargain hunters segment, privacy sensitivity 0.50): bought item 1 (coffee) for 2.00 on day 1; "
        "bought item 2 (coffee) for 2.00 on day 2; bought item 3 (coffee) for 2.00 on day 3; shown sofas (bought "
        "before the run) on day 3; made 3 other purchases from day 4 on. Trust 0.60 → 0.50 (−0.10 of it at touches)."
    )
    assert tell({"customer": 2, "events": [touch(1)]}).startswith(
        "Customer #2 (unknown segment): saw 1 touch, bought nothing."
    )


# ---------------------------------------------------------------------------------- picking
def test_a_creepy_story_is_titled_by_what_followed_it():
    unsubscribed = journey(
        1, [touch(3, creepy=True, tb=0.6, ta=0.5), touch(4, channel="email", hour=10, unsubscribed="email")]
    )
    churned = journey(2, [touch(3, creepy=True, tb=0.6, ta=0.5), {"day": 9, "event": "churned", "trust": 0.2}])
    nothing = journey(3, [touch(3, creepy=True, tb=0.6, ta=0.5)])
    titles = {s.customer: s.title for s in pick_stories([unsubscribed, nothing], limit=1)}
    assert titles == {1: "A creepy touch, then they unsubscribed from email"}  # not "then gone"
    titles = {s.customer: s.title for s in pick_stories([unsubscribed, churned, nothing], limit=1)}
    assert titles == {2: "A creepy touch, then they stopped buying"}
    assert pick_stories([nothing], limit=1)[0].title == "Found a touch creepy"
    # An unsubscribe the same customer made under the baseline too (as early) is not the creepy touch's doing.
    base = journey(1, [touch(2, channel="email", hour=10, unsubscribed="email")])
    stories = pick_stories([unsubscribed], Teller({1: base}, "none"), limit=1)
    assert stories[0].title == "Found a touch creepy"


def test_stories_against_the_baseline_are_picked_by_the_difference_not_the_drift():
    # Customer 8 loses the most trust over the run (0.76 -> 0.46), exactly as under the baseline: the
    # drift to her own baseline trust. Customer 9 loses less, but 0.10 more than under the baseline.
    drift = journey(8, [touch(3)], 0.76, 0.46)
    hurt = journey(9, [touch(3, tb=0.6, ta=0.5)], 0.6, 0.48)
    kept = journey(10, [touch(3, bought=5, bought_category="coffee", price=4.0, tb=0.5, ta=0.52)], 0.5, 0.55)
    base = {8: journey(8, [touch(3)], 0.76, 0.46), 9: journey(9, [touch(3)], 0.6, 0.58), 10: journey(10, [], 0.5, 0.5)}
    stories = pick_stories([drift, hurt, kept], Teller(base, "none"))
    assert [(s.title, s.customer) for s in stories][:2] == [
        ("Lost more trust than under none", 9),
        ("Kept more trust than under none, and bought", 10),
    ]
    assert all(s.customer != 8 or s.title == "Another customer" for s in stories)


def test_stories_without_a_baseline_are_picked_by_trust_lost_at_touches():
    seat = seat_journey()
    quiet = journey(8, [touch(3), {"day": 9, "event": "churned", "trust": 0.3}], 0.8, 0.3, segment="new_customers")
    happy = journey(9, [touch(5, bought=3, bought_category="coffee", price=4.5, tb=0.4, ta=0.45)], 0.4, 0.7)
    stories = pick_stories([happy, quiet, seat])
    assert [(s.title, s.customer) for s in stories] == [
        ("Shown what they had just bought", 7),
        ("Trust grew at touches, and they bought", 9),
        ("Another customer", 8),
    ]
    assert "stopped buying altogether (churned) on day 9" in stories[2].text
    assert pick_stories([]) == []
    # Journeys of one customer number (or none) give one story, and the picking ends.
    assert len(pick_stories([{"events": []}, {"events": []}, {"events": []}])) == 1


def test_one_customer_is_followed_where_the_settings_differ_most():
    def j(c, end):
        return {"customer": c, "segment": "loyal", "trust_start": 0.5, "trust_end": end, "events": []}

    journeys = {"a": [j(1, 0.5), j(2, 0.6), j(3, 0.9)], "b": [j(1, 0.5), j(2, 0.2), j(4, 0.0)]}
    tellers = {"b": Teller({2: journeys["a"][1]}, "a")}
    customer, told = follow_one_customer(journeys, tellers)
    assert customer == 2  # 0.6 vs 0.2; customers 3 and 4 are recorded in one setting only
    assert told == {"a": tell(journeys["a"][1]), "b": tell(journeys["b"][1], tellers["b"])}
    assert "(under a 0.50 → 0.60)" in told["b"]
    assert follow_one_customer({"a": journeys["a"]}) is None
    assert follow_one_customer({"a": [j(3, 0.9)], "b": [j(4, 0.0)]}) is None
