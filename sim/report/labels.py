"""Settings named in plain words: "email every 3.5 days" for ``campaign.scheduled.newsletter.cadence=3.5d``.

A setting is a tuple of overrides (see :mod:`sim.report.collect`). Its label joins the plain
words of the overrides that vary across the sweep's settings, the strategy first. Known keys
have their own phrasing (:func:`plain_override`); any other key reads as "<parent> <leaf>:
<value>" with underscores as spaces. When two settings would read the same, both keep their
raw ``key=value`` form, which is always unique.
"""

from __future__ import annotations

import re

from sim.report.nested import get_dotted
from sim.timing import parse_duration

__all__ = ["plain_override", "plain_duration", "CHANNEL_NOUNS"]

CHANNEL_NOUNS: dict[str, tuple[str, str]] = {
    "email": ("email", "emails"),
    "push": ("push notification", "push notifications"),
    "ads": ("ad", "ads"),
    "onsite": ("onsite slate", "onsite slates"),
}
"""Singular and plural noun of each channel's contacts."""

_BOOLEAN = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}


def plain_override(override: str, config: dict | None = None) -> str:
    """One ``key=value`` override in plain words.

    ``config`` is a run's composed config (``.hydra/config.yaml``), used where the words depend
    on it: the channel of a scheduled campaign. Unknown keys read as "<parent> <leaf>: <value>".
    """
    key, _, value = override.partition("=")
    key = key.lstrip("+~")
    parts = key.split(".")
    config = config or {}
    if key == "strategy":
        return value
    if key in ("campaign", "population", "catalog", "customer", "behavior"):
        return f"{value} {key}"  # a config group's option
    if key == "population.size":
        return f"{_number(value)} customers"
    if key == "horizon_days":
        return f"{_number(value)} days"
    if len(parts) == 4 and parts[:2] == ["campaign", "scheduled"] and parts[3] == "cadence":
        channel = get_dotted(config, f"campaign.scheduled.{parts[2]}.channel") or parts[2]
        return f"{CHANNEL_NOUNS.get(channel, (channel, channel))[0]} every {plain_duration(value)}"
    if len(parts) == 4 and parts[:2] == ["campaign", "limits"] and parts[3] in ("cap_per_day", "cap_per_week"):
        one, many = CHANNEL_NOUNS.get(parts[2], (parts[2], parts[2]))
        period = "day" if parts[3] == "cap_per_day" else "week"
        n = _int(value)
        if n == 0:
            return f"no cap on {many} a {period}"
        return f"at most {n} {one if n == 1 else many} a {period}" if n is not None else f"{many} cap {value}"
    if key == "campaign.limits.all_channels_per_week":
        n = _int(value)
        return "no weekly cap on contacts" if n == 0 else f"at most {value} contacts a week"
    if key == "strategy.retarget_stop_after_purchase" and value.lower() in _BOOLEAN:
        return "ads stop after a purchase" if _BOOLEAN[value.lower()] else "ads go on after a purchase"
    leaf = " ".join(parts[-2:]).replace("_", " ") if len(parts) > 1 else key.replace("_", " ")
    if value.lower() in _BOOLEAN:
        return f"{leaf}: {'yes' if _BOOLEAN[value.lower()] else 'no'}"
    return f"{leaf}: {value}"


def plain_duration(text: str) -> str:
    """ "1d" -> "day", "3.5d" -> "3.5 days", "12h" -> "12 hours", "2w" -> "14 days"; else the text."""
    try:
        hours = parse_duration(text)
    except ValueError:
        return text
    if hours % 24 == 0 or hours >= 24:
        days = hours / 24
        return "day" if days == 1 else f"{_trim(days)} days"
    return "hour" if hours == 1 else f"{_trim(hours)} hours"


def _trim(x: float) -> str:
    return f"{x:g}"


def _number(value: str) -> str:
    n = _int(value)
    return f"{n:,}" if n is not None else value


def _int(value: str) -> int | None:
    return int(value) if re.fullmatch(r"\s*\d+\s*", value) else None
