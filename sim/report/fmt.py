"""Numbers as a workshop reads them: money with its currency, shares as %, trust to 3 decimals, intervals.

Every t-interval the report gives is symmetric around its mean, so a table cell can say
"+5,946 ± 1,203" (the mean and the half-width of the 95% interval) where the answer's sentence
says "[+4,743 to +7,149]".
"""

from __future__ import annotations

import math

from sim.report.intervals import Interval
from sim.report.planning import MAX_SEEDS
from sim.report.tables import MONEY

__all__ = [
    "fmt_value",
    "fmt_interval",
    "fmt_pm",
    "fmt_lift",
    "fmt_seeds_needed",
    "is_share",
    "unit_of",
]


def is_share(metric: str) -> bool:
    """Shares and rates are shown as percentages."""
    return "share" in metric or metric.endswith("_rate")


def unit_of(metric: str, currency: str = "") -> str:
    """The unit a column header names: the currency for money, "%" for shares, else ""."""
    if metric in MONEY:
        return currency
    return "%" if is_share(metric) else ""


def fmt_value(x: float | None, metric: str, signed: bool = False, currency: str = "", like: float | None = None) -> str:
    """A metric's value: shares as %, trust with 3 decimals, money and counts with thousands commas.

    Values below 10 that are not whole get 2 decimals (0.33 persofails a run); ``like`` is a
    value whose precision to use instead, so both ends of an interval read alike. ``currency``
    is put before money when it is a symbol (€1,234) and after it when it is a code or word
    (1,234 EUR); "" names none.
    """
    if x is None or math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    sign = "+" if signed and x > 0 else ("−" if x < 0 else "")
    a = abs(x)
    if is_share(metric):
        text = f"{100 * a:.1f}%"
    elif metric.startswith("trust") or metric.endswith("_mean"):
        text = f"{a:.3f}"
    elif (abs(like) if like is not None else a) < 10 and a != 0 and not float(a).is_integer():
        text = f"{a:.2f}"
    else:
        text = f"{a:,.0f}"
    if currency:
        if metric in MONEY:
            text = f"{currency}{text}" if not currency.isalpha() else f"{text} {currency}"
    return sign + text


def fmt_interval(iv: Interval, metric: str, signed: bool = False, currency: str = "") -> str:
    """ "[low to high]" of a 95% interval, or why there is none."""
    if math.isnan(iv.low):
        return f"no interval ({iv.n} seed{'s' if iv.n != 1 else ''})"
    like = max(abs(iv.low), abs(iv.high))
    low = fmt_value(iv.low, metric, signed, currency, like=like)
    high = fmt_value(iv.high, metric, signed, currency, like=like)
    return f"[{low} to {high}]"


def fmt_pm(iv: Interval, metric: str, signed: bool = False, currency: str = "") -> str:
    """ "+5,946 ± 1,203": the mean and the half-width of the 95% interval (the mean alone without one)."""
    mean = fmt_value(iv.mean, metric, signed, currency)
    if math.isnan(iv.low):
        return mean
    return f"{mean} ± {fmt_value(iv.half_width, metric, like=max(abs(iv.mean), iv.half_width))}"


def fmt_lift(iv: Interval | None) -> str:
    """A lift (share of the baseline) as "+4.1%", with "± 0.8 pts" when there is an interval."""
    if iv is None or math.isnan(iv.mean):
        return ""
    text = f"{'+' if iv.mean > 0 else '−' if iv.mean < 0 else ''}{100 * abs(iv.mean):.1f}%"
    if not math.isnan(iv.low):
        text += f" ± {100 * iv.half_width:.1f}"
    return text


def fmt_seeds_needed(n: float) -> str:
    """Seeds needed: a count, "more than 100,000", "never" (no difference) or "—" (no estimate)."""
    if n is None or math.isnan(n):
        return "—"
    if math.isinf(n):
        return "never"
    if n > MAX_SEEDS:
        return f"more than {MAX_SEEDS:,}"
    return f"{int(n):,}"
