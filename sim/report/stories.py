"""Customer stories: a few recorded journeys per setting, chosen by rule and told in plain sentences.

A journey is one line of ``journeys.jsonl``: ``customer``, ``segment``, ``privacy``,
``trust_start``, ``trust_end``, ``email_consent_start``, ``churned`` and ``events``. An event is
either a touch (``day``, ``hour``, ``channel``, ``shown``, ``shown_categories``, ``data_basis``,
``exposed``; when exposed also ``perceived_relevance``, ``persofail``, ``persofail_slot``,
``creepy``, ``clicked``; maybe ``browsed_category``, ``bought``, ``bought_category``, ``price``,
``unsubscribed``; ``trust_before``, ``trust_after``) or a day event (``{"day", "event":
"churned", "trust"}``). What an unopened email would have shown was never seen, so only exposed
touches count as "shown".

The picks are deterministic (ties broken by customer number), each a different customer:
the most persofails, a creepy touch followed by an unsubscribe or churn (else the most creepy
touches), the biggest trust drop, an unsubscribe, and the customer who bought and whose trust grew most.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Story", "pick_stories", "follow_one_customer", "tell", "days_phrase"]

MAX_OTHER_PURCHASES = 3
"""Purchases without a persofail after them that a story lists one by one; more are counted."""


@dataclass(frozen=True)
class Story:
    """One told journey: why it was picked (``title``), whose it is and the text."""

    title: str
    customer: int
    text: str


def pick_stories(journeys: list[dict], limit: int = 5) -> list[Story]:
    """Up to ``limit`` stories (at least three when there are three journeys), each a different customer."""
    picks: list[tuple[str, dict]] = []
    taken: set[int] = set()

    def take(title: str, candidates: list[dict], key) -> bool:
        pool = [j for j in candidates if j.get("customer") not in taken]
        if not pool or len(picks) >= limit:
            return False
        best = min(pool, key=lambda j: (key(j), j.get("customer", 0)))
        picks.append((title, best))
        taken.add(best.get("customer"))
        return True

    def drop(j: dict) -> float:
        return _trust(j, "trust_start") - _trust(j, "trust_end")

    with_persofails = [j for j in journeys if _count(j, "persofail")]
    take("Shown what they had just bought", with_persofails, lambda j: (-_count(j, "persofail"), -drop(j)))
    creeped_then_left = [j for j in journeys if _creepy_then_left(j)]
    if creeped_then_left:
        take("A creepy touch, then gone", creeped_then_left, lambda j: -drop(j))
    else:
        take("Creepy touches", [j for j in journeys if _count(j, "creepy")], lambda j: (-_count(j, "creepy"), -drop(j)))
    take("The biggest loss of trust", [j for j in journeys if drop(j) > 0], lambda j: -drop(j))
    take("Unsubscribed", [j for j in journeys if _unsubscribe_days(j)], lambda j: -drop(j))
    take("Trust grew, and they bought", [j for j in journeys if _purchases(j) and drop(j) < 0], drop)
    while len(picks) < 3 and take("Another customer", journeys, lambda j: -drop(j)):
        pass
    return [Story(title, j.get("customer", -1), tell(j)) for title, j in picks]


def follow_one_customer(journeys: dict[str, list[dict]]) -> tuple[int, dict[str, str]] | None:
    """The recorded customer whose end trust differs most between settings, told under each.

    ``journeys`` maps a setting's label to the journeys of one of its runs; all runs must share
    a seed, so that a customer number means the same customer everywhere. Returns the customer
    number and the story per label, or None when fewer than two settings share a customer.
    """
    if len(journeys) < 2:
        return None
    by_label = {label: {j["customer"]: j for j in js if "customer" in j} for label, js in journeys.items()}
    common = set.intersection(*(set(d) for d in by_label.values()))
    if not common:
        return None

    def spread(c: int) -> float:
        ends = [_trust(d[c], "trust_end") for d in by_label.values()]
        return max(ends) - min(ends)

    customer = min(sorted(common), key=lambda c: -spread(c))
    return customer, {label: tell(d[customer]) for label, d in by_label.items()}


def tell(journey: dict) -> str:
    """One journey in plain sentences, events in the order of their days.

    Example: "Customer #3 (loyal segment, privacy sensitivity 0.91, subscribed to email): bought item 812
    (bathroom_fixtures) for 129.00 on day 12; shown bathroom_fixtures again on days 13, 15 (email) and 20
    (trust 0.66 → 0.61); unsubscribed from email on day 21. Trust 0.66 → 0.58; opened 3 of 17 emails."
    """
    touches = [e for e in journey.get("events", []) if "channel" in e]
    exposed = [e for e in touches if e.get("exposed")]
    # (day, order within the day, text)
    phrases = _purchase_phrases(_purchases(journey), [e for e in exposed if e.get("persofail")])
    creepy = [e for e in exposed if e.get("creepy")]
    if creepy:
        bases = sorted({b for e in creepy for b in e.get("data_basis", []) if b != "none"})
        on = f" ({', '.join(bases)} data)" if bases else ""
        what = "a touch" if len(creepy) == 1 else f"{len(creepy)} touches"
        channels = _join(sorted({e["channel"] for e in creepy}))
        phrases.append(
            (creepy[0]["day"], 2, f"found {what} creepy ({channels}) on {days_phrase(creepy, channels=False)}{on}")
        )
    for day, channel in _unsubscribe_days(journey):
        phrases.append((day, 3, f"unsubscribed from {channel} on day {day}"))
    churn = next((e for e in journey.get("events", []) if e.get("event") == "churned"), None)
    if churn is not None:
        phrases.append((churn["day"], 4, f"stopped buying altogether (churned) on day {churn['day']}"))

    about = [f"{str(journey.get('segment', 'unknown')).replace('_', ' ')} segment"]
    if isinstance(journey.get("privacy"), (int, float)):
        about.append(f"privacy sensitivity {journey['privacy']:.2f}")
    if journey.get("email_consent_start"):
        about.append("subscribed to email")
    head = f"Customer #{journey.get('customer', '?')} ({', '.join(about)})"
    body = "; ".join(text for _, _, text in sorted(phrases, key=lambda p: (p[0], p[1])))
    if not body:
        body = f"saw {len(exposed)} touch{'es' if len(exposed) != 1 else ''}, bought nothing"
    emails = [e for e in touches if e["channel"] == "email"]
    tail = f"Trust {_trust(journey, 'trust_start'):.2f} → {_trust(journey, 'trust_end'):.2f}"
    if emails:
        tail += f"; opened {sum(bool(e.get('exposed')) for e in emails)} of {len(emails)} emails"
    return f"{head}: {body}. {tail}."


CHANNEL_WORDS = {"email": "email", "push": "push", "ads": "ad"}
"""How an outbound channel is named after a day ("day 15 (email)"); onsite visits go unnamed."""


def days_phrase(events: list[dict], most: int = 6, channels: bool = True) -> str:
    """ "day 4", "days 4 and 9 (email)", "days 4, 9 (ad) and 12", or "days 4, 9, ... and 7 more".

    Distinct days; with ``channels``, a day whose touches came by email, push or an ad says so.
    """
    by_day: dict[int, set[str]] = {}
    for e in events:
        word = CHANNEL_WORDS.get(e.get("channel", ""), "") if channels else ""
        by_day.setdefault(int(e["day"]), set()).add(word)
    days = sorted(by_day)
    words = [f"{d} ({', '.join(sorted(by_day[d] - {''}))})" if by_day[d] - {""} else str(d) for d in days]
    if len(days) == 1:
        return f"day {words[0]}"
    if len(days) > most:
        return f"days {', '.join(words[: most - 1])} and {len(days) - most + 1} more"
    return f"days {_join(words)}"


def _purchase_phrases(purchases: list[dict], persofails: list[dict]) -> list[tuple[int, int, str]]:
    """A phrase per purchase, with the persofails it caused (exposed touches showing its category
    in the persofail slot, after it and up to the next purchase of that category); then the
    persofails no recorded purchase explains (bought before the run). Purchases without
    persofails beyond the first few are counted, not listed."""
    phrases, others = [], []
    explained: set[int] = set()
    for n, p in enumerate(purchases):
        cat = p.get("bought_category", "?")
        # A touch at the very moment of the next purchase of the category still shows this one.
        following = next((q for q in purchases[n + 1 :] if q.get("bought_category") == cat), None)
        repeats = [
            e
            for e in persofails
            if id(e) not in explained
            and _persofail_category(e) == cat
            and _after(e, p)
            and (following is None or not _after(e, following))
        ]
        explained |= {id(e) for e in repeats}
        text = f"bought item {p.get('bought', '?')} ({cat}){_price(p)} on day {p['day']}"
        if repeats:
            phrases.append((p["day"], 0, f"{text}; {_shown_again(cat, repeats, 'again')}"))
        else:
            others.append((p["day"], 0, text))
    if len(others) <= MAX_OTHER_PURCHASES + 1:
        phrases += others
    else:
        rest = others[MAX_OTHER_PURCHASES:]
        phrases += others[:MAX_OTHER_PURCHASES]
        phrases.append((rest[0][0], 0, f"made {len(rest)} other purchases from day {rest[0][0]} on"))
    earlier: dict[str, list[dict]] = {}
    for e in persofails:
        if id(e) not in explained:
            earlier.setdefault(_persofail_category(e), []).append(e)
    for cat, evs in earlier.items():
        phrases.append((evs[0]["day"], 1, _shown_again(cat, evs, "(bought before the run)")))
    return phrases


def _shown_again(cat: str, events: list[dict], how: str) -> str:
    before, after = events[0].get("trust_before", float("nan")), events[-1].get("trust_after", float("nan"))
    return f"shown {cat} {how} on {days_phrase(events)} (trust {before:.2f} → {after:.2f})"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _persofail_category(e: dict) -> str:
    slot, cats = e.get("persofail_slot"), e.get("shown_categories") or []
    return cats[slot] if isinstance(slot, int) and 0 <= slot < len(cats) else "?"


def _after(e: dict, p: dict) -> bool:
    return (e["day"], e.get("hour", 0)) > (p["day"], p.get("hour", 0))


def _purchases(j: dict) -> list[dict]:
    return [e for e in j.get("events", []) if "bought" in e]


def _count(j: dict, flag: str) -> int:
    return sum(1 for e in j.get("events", []) if e.get("exposed") and e.get(flag))


def _unsubscribe_days(j: dict) -> list[tuple[int, str]]:
    return [(e["day"], e["unsubscribed"]) for e in j.get("events", []) if e.get("unsubscribed")]


def _creepy_then_left(j: dict) -> bool:
    creepy_days = [e["day"] for e in j.get("events", []) if e.get("exposed") and e.get("creepy")]
    left = [d for d, _ in _unsubscribe_days(j)] + [e["day"] for e in j.get("events", []) if e.get("event") == "churned"]
    return bool(creepy_days) and any(d >= min(creepy_days) for d in left)


def _price(p: dict) -> str:
    return f" for {p['price']:,.2f}" if isinstance(p.get("price"), (int, float)) else ""


def _trust(j: dict, key: str) -> float:
    v = j.get(key)
    return float(v) if isinstance(v, (int, float)) else float("nan")
