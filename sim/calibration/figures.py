"""The figures a firm can calibrate to: any number of ``metrics.json``, and rates derived from it.

A target names a figure by key.  A scalar of ``metrics.json`` is its own figure
(``email_open_rate``, ``churned_share``, ``channels.push.optout_share``...); the derived rates
below put totals on the scales firms report them in (per customer, per month or per year,
per order), so that a target does not depend on the population size or the horizon.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sim.metrics import METRICS, TIMING_METRICS

__all__ = ["DERIVED", "figure", "known_figures", "is_known", "possible_range"]

_DAYS_PER_YEAR = 365.0
_DAYS_PER_MONTH = _DAYS_PER_YEAR / 12


def _per_customer(key: str, days: float) -> Callable[[Mapping], float]:
    def rate(m: Mapping) -> float:
        return m[key] / m["customers"] * days / m["horizon_days"]

    return rate


def _ratio(num: str, den: str) -> Callable[[Mapping], float]:
    def rate(m: Mapping) -> float:
        return m[num] / m[den] if m[den] else float("nan")

    return rate


DERIVED: dict[str, tuple[str, Callable[[Mapping], float]]] = {
    "revenue_per_customer_per_year": ("revenue / customers, scaled to 365 days", _per_customer("revenue", 365.0)),
    "margin_per_customer_per_year": ("margin / customers, scaled to 365 days", _per_customer("margin", 365.0)),
    "orders_per_customer_per_year": ("orders / customers, scaled to 365 days", _per_customer("orders", 365.0)),
    "visits_per_customer_per_month": (
        "onsite visits / customers, scaled to a month of 365/12 days",
        _per_customer("visits", _DAYS_PER_MONTH),
    ),
    "churned_share_per_year": (
        "churned_share scaled to 365 days (linearly: for horizons near a year)",
        lambda m: m["churned_share"] * _DAYS_PER_YEAR / m["horizon_days"],
    ),
    "average_order_value": ("revenue / orders", _ratio("revenue", "orders")),
    "orders_per_visit": ("orders / onsite visits", _ratio("orders", "visits")),
}
"""Derived figures: name -> (how it is computed, function of a ``metrics.json`` dict)."""

_NOT_FIGURES = set(TIMING_METRICS) | {
    # Settings, names and bookkeeping rather than outcomes.
    *("seed", "threads", "customers", "horizon_days", "equity_sample", "config_hash", "behaviors"),
    *("strategy", "population", "customer_model", "campaign", "impl", "state_bytes_per_customer", "interactions"),
}


def _flat(m: Mapping, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in m.items():
        if isinstance(v, Mapping):
            out.update(_flat(v, f"{prefix}{k}."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[prefix + k] = float(v)
    return out


def figure(metrics: Mapping, key: str) -> float:
    """The figure ``key`` of one run's metrics (a derived rate, or a scalar, dotted for nested
    ones such as ``channels.email.opens``)."""
    if key in DERIVED:
        return float(DERIVED[key][1](metrics))
    return _flat(metrics)[key]


def known_figures() -> list[str]:
    """Every key a target may name: the derived rates, then the documented numeric metrics."""
    numeric = [k for k in METRICS if k not in _NOT_FIGURES and "_by_" not in k and k != "channels"]
    channels = [f"channels.{c}.{n}" for c in ("email", "push", "ads") for n in ("sends", "opens", "clicks", "optouts")]
    return [*DERIVED, *numeric, *channels, *(f"channels.{c}.optout_share" for c in ("email", "push", "ads"))]


def is_known(key: str) -> bool:
    """Whether ``key`` names a figure a run reports."""
    return key in known_figures()


_SIGNED = ("perceived_relevance_mean", "firm_score_mean")
"""Figures on [-1, 1]: means of relevance and of the firm's scores."""

_ANY_SIGN = ("margin", "value", "customer_equity", "margin_per_customer_per_year")
"""Money net of costs (the ads served), which can be negative."""


def possible_range(key: str) -> tuple[float, float] | None:
    """The values figure ``key`` can take, ``(low, high)`` (high may be infinite), or None when
    it can take any: shares, rates per send and trust lie in [0, 1], relevance and scores in
    [-1, 1], counts, revenue and the derived rates are at least 0, margin and value any."""
    if key in _SIGNED:
        return (-1.0, 1.0)
    if key in _ANY_SIGN:
        return None
    # churned_share_per_year is scaled linearly from the horizon: above 1 for a short horizon.
    if key != "churned_share_per_year" and (key.startswith("trust_") or key.endswith(("_rate", "_share"))):
        return (0.0, 1.0)
    return (0.0, float("inf"))
