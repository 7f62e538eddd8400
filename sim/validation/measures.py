"""Numbers read off one run's ``metrics.json``: the measures the facts compare.

Each is a :class:`~sim.validation.spec.Measure` (a label for the tables and a function of the
metrics dictionary).  They use only keys every run writes (see the README's "Outputs and
metrics"); a measure whose denominator is zero gives NaN, which no threshold contains.
"""

from __future__ import annotations

import math

from sim.validation.spec import Measure, Metrics

__all__ = [
    "OUTBOUND",
    "metric",
    "key",
    "noticed_touches",
    "click_through",
    "channel_click_through",
    "CLICK_THROUGH",
    "REVENUE",
    "VISITS",
    "CHURNED_SHARE",
]

OUTBOUND = ("email", "push", "ads")
"""The outbound channels of ``metrics.json``'s ``channels`` block."""


def metric(m: Metrics, name: str) -> float:
    """The value of ``name`` in the metrics; a dotted name reads a nested counter
    (``channels.push.optout_share``)."""
    value: object = m
    for part in name.split("."):
        value = value[part]  # type: ignore[index]
    return float(value)  # type: ignore[arg-type]


def key(name: str, label: str | None = None) -> Measure:
    """The measure that reads one key of ``metrics.json``."""
    return Measure(label or f"`{name}`", lambda m: metric(m, name))


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def noticed_touches(m: Metrics) -> float:
    """Touches a customer noticed: organic visits (each shows the onsite slate) plus the opened
    emails, read push notifications and noticed ads.  Trust moves only on these."""
    return metric(m, "visits") + sum(metric(m, f"channels.{ch}.opens") for ch in OUTBOUND)


def click_through(m: Metrics) -> float:
    """Clicks per noticed touch over every channel: (onsite clicks + email, push and ad clicks) /
    (visits + opened emails, read push notifications, noticed ads)."""
    clicks = metric(m, "onsite_clicks") + sum(metric(m, f"channels.{ch}.clicks") for ch in OUTBOUND)
    return _ratio(clicks, noticed_touches(m))


def channel_click_through(channel: str) -> Measure:
    """Clicks per noticed message of one outbound channel (clicks / opens)."""
    return Measure(
        f"{channel} clicks per {channel} message noticed",
        lambda m: _ratio(metric(m, f"channels.{channel}.clicks"), metric(m, f"channels.{channel}.opens")),
    )


CLICK_THROUGH = Measure("click-through (clicks per noticed touch, all channels)", click_through)
REVENUE = key("revenue")
VISITS = key("visits")
CHURNED_SHARE = key("churned_share")
