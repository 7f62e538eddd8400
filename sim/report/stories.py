"""Customer stories: a few recorded journeys per setting, chosen by what happened, told in plain sentences.

A journey is one line of ``journeys.jsonl``: ``customer``, ``segment``, ``privacy``,
``trust_start``, ``trust_end``, ``email_consent_start``, ``churned`` and ``events``. An event is
either a touch (``day``, ``hour``, ``channel``, ``exposed``; when exposed also ``shown``,
``shown_categories``, ``shown_names``, ``data_basis``, ``perceived_relevance``, ``persofail``,
``persofail_slot``, ``creepy``, ``clicked``; maybe ``browsed_category``, ``bought``,
``bought_category``, ``bought_name``, ``price``, ``unsubscribed``; ``trust_before``,
``trust_after``) or a day event (``{"day", "event": "churned", "trust"}``). What an unopened
email would have shown was never seen, so only exposed touches count as "shown".

Each story compares the customer with the same customer under the baseline (same seed, same
person), when there is one: a trust change is blamed on touches only when it differs from the
baseline's path at the same moments (:mod:`sim.report.paths`), and the run's end is told beside
the baseline's end. Story kinds are picked by what happened, each a different customer:
persofails; a creepy touch, titled by what followed it (they stopped buying, they unsubscribed,
or nothing); the most trust lost against the baseline; an unsubscribe the baseline did not
cause; trust kept above the baseline with purchases; the most irrelevant touches. Picks are
deterministic (ties broken by customer number).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.report.paths import EPSILON, Attribution, TrustPath, attribute, touches

__all__ = ["Story", "Teller", "pick_stories", "follow_one_customer", "tell", "days_phrase", "item_phrase"]

MAX_OTHER_PURCHASES = 3
"""Purchases without a persofail after them that a story lists one by one; more are counted."""
IRRELEVANT_BELOW = 0.05
"""A touch perceived below this relevance is irrelevant (``customer.trust.irrelevant_below``'s default)."""
GAP = 0.01
"""Trust at the end must differ from the baseline's by this much for a story to be about the difference."""


@dataclass(frozen=True)
class Story:
    """One told journey: why it was picked (``title``), whose it is and the text."""

    title: str
    customer: int
    text: str


@dataclass(frozen=True)
class Teller:
    """How stories of one setting are told: against which baseline journeys, named how.

    ``base`` maps a customer number to that customer's journey under the baseline (same seed);
    None when there is no baseline, or this setting is the baseline. ``irrelevant_below`` is the
    run's ``customer.trust.irrelevant_below``.
    """

    base: dict[int, dict] | None = None
    base_label: str = "the baseline"
    irrelevant_below: float = IRRELEVANT_BELOW

    def base_of(self, journey: dict) -> dict | None:
        return self.base.get(journey.get("customer")) if self.base else None


def pick_stories(journeys: list[dict], teller: Teller | None = None, limit: int = 5) -> list[Story]:
    """Up to ``limit`` stories (at least three when there are three journeys), each a different customer."""
    teller = teller or Teller()
    picks: list[tuple[str, dict]] = []
    taken: set = set()

    def take(title, candidates: list[dict], key) -> bool:
        pool = [j for j in candidates if j.get("customer") not in taken]
        if not pool or len(picks) >= limit:
            return False
        best = min(pool, key=lambda j: (key(j), j.get("customer", 0)))
        picks.append((title(best) if callable(title) else title, best))
        taken.add(best.get("customer"))
        return True

    def gap(j: dict) -> float:
        """Trust at the end above the baseline's end for the same customer (NaN without one)."""
        b = teller.base_of(j)
        return _trust(j, "trust_end") - _trust(b, "trust_end") if b else float("nan")

    compared = [j for j in journeys if teller.base_of(j)]
    base = teller.base_label

    take("Shown what they had just bought", [j for j in journeys if _count(j, "persofail")], _persofail_key(gap))
    creepy = [j for j in journeys if _count(j, "creepy")]
    take(lambda j: _creepy_title(j, teller.base_of(j)), creepy, lambda j: (_after_creepy(j, teller.base_of(j))[0],))
    if compared:
        take(f"Lost more trust than under {base}", [j for j in compared if gap(j) <= -GAP], gap)
        unsubscribed = [j for j in compared if _new_unsubscribes(j, teller.base_of(j))]
        take(f"Unsubscribed, unlike under {base}", unsubscribed, gap)
        kept = [j for j in compared if gap(j) >= GAP and _purchases(j)]
        take(f"Kept more trust than under {base}, and bought", kept, lambda j: -gap(j))
    else:
        take("Lost the most trust at touches", [j for j in journeys if _touch_change(j) < -EPSILON], _touch_change)
        take("Unsubscribed", [j for j in journeys if _unsubscribes(j)], _touch_change)
        gained = [j for j in journeys if _touch_change(j) > EPSILON and _purchases(j)]
        take("Trust grew at touches, and they bought", gained, lambda j: -_touch_change(j))

    def more_irrelevant(j: dict) -> int:
        b = teller.base_of(j)
        return len(_irrelevant(j, teller.irrelevant_below)) - (len(_irrelevant(b, teller.irrelevant_below)) if b else 0)

    take(
        "Shown what they did not care about",
        [j for j in journeys if more_irrelevant(j) > 0],
        lambda j: -more_irrelevant(j),
    )
    while len(picks) < 3 and take("Another customer", journeys, lambda j: _touch_change(j)):
        pass
    return [Story(title, j.get("customer", -1), tell(j, teller)) for title, j in picks]


def follow_one_customer(
    journeys: dict[str, list[dict]], tellers: dict[str, Teller] | None = None
) -> tuple[int, dict[str, str]] | None:
    """The recorded customer whose end trust differs most between settings, told under each.

    ``journeys`` maps a setting's label to the journeys of one of its runs; all runs must share
    a seed, so that a customer number means the same customer everywhere. ``tellers`` gives each
    label's baseline. Returns the customer number and the story per label, or None when fewer
    than two settings share a customer.
    """
    if len(journeys) < 2:
        return None
    tellers = tellers or {}
    by_label = {label: {j["customer"]: j for j in js if "customer" in j} for label, js in journeys.items()}
    common = set.intersection(*(set(d) for d in by_label.values()))
    if not common:
        return None

    def spread(c: int) -> float:
        ends = [_trust(d[c], "trust_end") for d in by_label.values()]
        return max(ends) - min(ends)

    customer = min(sorted(common), key=lambda c: -spread(c))
    return customer, {label: tell(d[customer], tellers.get(label)) for label, d in by_label.items()}


def tell(journey: dict, teller: Teller | None = None) -> str:
    """One journey in plain sentences, events in the order of their days, against the baseline.

    Example: "Customer #3 (loyal segment, privacy sensitivity 0.91, subscribed to email): bought a
    toilet seat (bathroom fixtures) for 129.00 on day 12; shown bathroom fixtures again (a shower
    head) on days 13, 15 (email) and 20, which cost 0.11 more trust than the same moments under
    none (0.66 → 0.55); unsubscribed from email on day 21. Trust 0.66 → 0.58 (under none 0.66 →
    0.64); opened 3 of 17 emails."
    """
    teller = teller or Teller()
    base = teller.base_of(journey)
    path = TrustPath(base) if base else None
    label = teller.base_label
    all_touches = touches(journey)
    exposed = [e for e in all_touches if e.get("exposed")]
    # (day, order within the day, text)
    persofails = [e for e in exposed if e.get("persofail")]
    phrases = _purchase_phrases(_purchases(journey), persofails, path, label)
    creepy = [e for e in exposed if e.get("creepy")]
    if creepy:
        bases = sorted({b for e in creepy for b in e.get("data_basis", []) if b != "none"})
        on = f" ({', '.join(bases)} data)" if bases else ""
        what = "a touch" if len(creepy) == 1 else f"{len(creepy)} touches"
        channels = _join(sorted({e["channel"] for e in creepy}))
        text = f"found {what} creepy ({channels}) on {days_phrase(creepy, channels=False)}{on}"
        phrases.append((creepy[0]["day"], 2, text + _trust_clause(attribute(creepy, path), label)))
    for day, channel in _unsubscribes(journey):
        phrases.append((day, 3, f"unsubscribed from {channel} on day {day}"))
    churn = _churn_day(journey)
    if churn is not None:
        phrases.append((churn, 4, f"stopped buying altogether (churned) on day {churn}"))
    irrelevant = _irrelevant(journey, teller.irrelevant_below)
    if irrelevant:
        phrases.append((10**9, 0, _irrelevant_phrase(irrelevant, exposed, base, teller, path)))

    about = [f"{str(journey.get('segment', 'unknown')).replace('_', ' ')} segment"]
    if isinstance(journey.get("privacy"), (int, float)):
        about.append(f"privacy sensitivity {journey['privacy']:.2f}")
    if journey.get("email_consent_start"):
        about.append("subscribed to email")
    head = f"Customer #{journey.get('customer', '?')} ({', '.join(about)})"
    body = "; ".join(text for _, _, text in sorted(phrases, key=lambda p: (p[0], p[1])))
    if not body:
        body = f"saw {len(exposed)} touch{'es' if len(exposed) != 1 else ''}, bought nothing"
    emails = [e for e in all_touches if e["channel"] == "email"]
    tail = f"Trust {_trust(journey, 'trust_start'):.2f} → {_trust(journey, 'trust_end'):.2f}"
    if not base and all_touches:
        # No baseline path: say how much of the change came at touches; the rest is the drift
        # towards the customer's own baseline trust between them.
        at_touches = _touch_change(journey)
        tail += f" ({_signed(at_touches)} of it at touches)" if abs(at_touches) >= 0.005 else " (none of it at touches)"
    if base:
        tail += f" (under {label} {_trust(base, 'trust_start'):.2f} → {_trust(base, 'trust_end'):.2f})"
        if churn is None and _churn_day(base) is not None:
            tail += f"; under {label} they churned on day {_churn_day(base)}"
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


def item_phrase(name: str | None, item=None, category: str | None = None) -> str:
    """ "a toilet seat (bathroom fixtures)", "a pair of jeans (clothing)"; "item 812 (coffee)" without a name."""
    cat = f" ({_words(category)})" if category else ""
    if not name:
        return f"item {item if item is not None else '?'}{cat}"
    return f"{_article(name)}{name}{cat}"


# ---------------------------------------------------------------------------------- phrases
def _purchase_phrases(purchases: list[dict], persofails: list[dict], path, label) -> list[tuple[int, int, str]]:
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
        text = f"bought {item_phrase(p.get('bought_name'), p.get('bought'), cat)}{_price(p)} on day {p['day']}"
        if repeats:
            phrases.append((p["day"], 0, f"{text}; {_shown_again(cat, repeats, 'again', path, label)}"))
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
        phrases.append((evs[0]["day"], 1, _shown_again(cat, evs, "(bought before the run)", path, label)))
    return phrases


def _shown_again(cat: str, events: list[dict], how: str, path, label: str) -> str:
    names = []
    for e in events:
        name = _persofail_name(e)
        if name and name not in names:
            names.append(name)
    which = f" ({_join([f'{_article(n)}{n}' for n in names[:3]])})" if names else ""
    return f"shown {_words(cat)} {how}{which} on {days_phrase(events)}" + _trust_clause(attribute(events, path), label)


def _irrelevant_phrase(irrelevant: list[dict], exposed: list[dict], base, teller: Teller, path) -> str:
    by_channel: dict[str, int] = {}
    for e in irrelevant:
        by_channel[e["channel"]] = by_channel.get(e["channel"], 0) + 1
    split = ", ".join(f"{n} {ch}" for ch, n in sorted(by_channel.items(), key=lambda x: (-x[1], x[0])))
    if len(exposed) == 1:
        text = f"found the one touch they saw irrelevant ({split})"
    else:
        text = f"found {len(irrelevant)} of the {len(exposed)} touches they saw irrelevant ({split})"
    text += _trust_clause(attribute(irrelevant, path), teller.base_label)
    if base is not None:
        seen = len([e for e in touches(base) if e.get("exposed")])
        text += f"; under {teller.base_label}, {len(_irrelevant(base, teller.irrelevant_below))} of {seen}"
    return text


def _trust_clause(att: Attribution | None, label: str) -> str:
    """What touches did to trust, against the baseline at the same moments ("" without a baseline).

    Trust before and after is shown for a single touch; over several it would include the drift
    between them."""
    if att is None:
        return ""
    if att.attributed:
        verb = "cost" if att.excess < 0 else "gained"
        around = f" ({att.before:.2f} → {att.after:.2f})" if att.touches == 1 else ""
        return f", which {verb} {abs(att.excess):.2f} more trust than the same moments under {label}{around}"
    if att.lost_anyway:
        return f" (trust fell as much at the same moments under {label})"
    return ""


# ---------------------------------------------------------------------------------- what happened
def _persofail_key(gap):
    def key(j: dict):
        g = gap(j)
        return (-_count(j, "persofail"), g if g == g else 0.0)

    return key


def _after_creepy(j: dict, base: dict | None) -> tuple[int, str | None]:
    """What followed the first creepy touch: (0, None) they churned, (1, channel) they
    unsubscribed, (2, None) nothing; a churn or unsubscribe the baseline's customer did too
    (by then) does not count."""
    first = min((e["day"] for e in touches(j) if e.get("exposed") and e.get("creepy")), default=None)
    if first is None:
        return 2, None
    churn = _churn_day(j)
    base_churn = _churn_day(base) if base else None
    if churn is not None and churn >= first and (base_churn is None or base_churn > churn):
        return 0, None
    new = _new_unsubscribes(j, base)
    after = [(d, ch) for d, ch in new if d >= first]
    if after:
        return 1, after[0][1]
    return 2, None


def _creepy_title(j: dict, base: dict | None) -> str:
    kind, channel = _after_creepy(j, base)
    if kind == 0:
        return "A creepy touch, then they stopped buying"
    if kind == 1:
        return f"A creepy touch, then they unsubscribed from {channel}"
    return "Found a touch creepy"


def _new_unsubscribes(j: dict, base: dict | None) -> list[tuple[int, str]]:
    """Unsubscribes of ``j`` from a channel the baseline's customer had not left by then."""
    base_days = {ch: d for d, ch in reversed(_unsubscribes(base))} if base else {}
    return [(d, ch) for d, ch in _unsubscribes(j) if ch not in base_days or base_days[ch] > d]


def _irrelevant(j: dict | None, below: float) -> list[dict]:
    """Exposed touches perceived below ``below`` that were neither a persofail nor creepy (those
    are told on their own)."""
    if not j:
        return []
    return [
        e
        for e in touches(j)
        if e.get("exposed")
        and not e.get("persofail")
        and not e.get("creepy")
        and isinstance(e.get("perceived_relevance"), (int, float))
        and e["perceived_relevance"] < below
    ]


def _touch_change(j: dict) -> float:
    """Trust change summed over the journey's touches (the drift between touches left out)."""
    return sum(e.get("trust_after", 0.0) - e.get("trust_before", 0.0) for e in touches(j))


def _persofail_category(e: dict) -> str:
    slot, cats = e.get("persofail_slot"), e.get("shown_categories") or []
    return cats[slot] if isinstance(slot, int) and 0 <= slot < len(cats) else "?"


def _persofail_name(e: dict) -> str:
    slot, names = e.get("persofail_slot"), e.get("shown_names") or []
    return names[slot] if isinstance(slot, int) and 0 <= slot < len(names) else ""


def _after(e: dict, p: dict) -> bool:
    return (e["day"], e.get("hour", 0)) > (p["day"], p.get("hour", 0))


def _purchases(j: dict) -> list[dict]:
    return [e for e in j.get("events", []) if "bought" in e]


def _count(j: dict, flag: str) -> int:
    return sum(1 for e in j.get("events", []) if e.get("exposed") and e.get(flag))


def _unsubscribes(j: dict | None) -> list[tuple[int, str]]:
    return [(e["day"], e["unsubscribed"]) for e in (j or {}).get("events", []) if e.get("unsubscribed")]


def _churn_day(j: dict | None) -> int | None:
    return next((e["day"] for e in (j or {}).get("events", []) if e.get("event") == "churned"), None)


def _price(p: dict) -> str:
    return f" for {p['price']:,.2f}" if isinstance(p.get("price"), (int, float)) else ""


def _trust(j: dict | None, key: str) -> float:
    v = (j or {}).get(key)
    return float(v) if isinstance(v, (int, float)) else float("nan")


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _signed(x: float) -> str:
    """ "+0.03", "−0.21" (a minus sign, as the report's numbers have), "0.00"."""
    text = f"{abs(x):.2f}"
    return text if text == "0.00" else ("+" if x > 0 else "−") + text


def _words(name: str) -> str:
    return str(name).replace("_", " ")


def _article(name: str) -> str:
    """ "a " or "an " before a singular name, nothing before a plural one ("trainers")."""
    head = name.split(" of ")[0].split()[-1] if name.split() else name
    if head.endswith("s") and not head.endswith("ss"):
        return ""
    return "an " if name[:1].lower() in "aeiou" else "a "
