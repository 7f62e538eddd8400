"""Which uncertain parameters decide between two settings, and where their ranking flips.

The method is regression-based and works for any number of worlds (Sobol indices would need
``N (2D + 2)`` runs per setting for ``D`` parameters, far more than a workshop sweep has):

1. the decision is ``d_k = value_A(k) − value_B(k)``, world by world, between the leading
   setting A of the robust ranking and its strongest rival B (the setting that beats A in the
   most worlds; without one, the runner-up);
2. each parameter's influence on it is Spearman's rank correlation ``rho`` between the
   parameter's values and ``d`` over the worlds (a monotone one-variable rank regression:
   ``rho²`` is the share of the ranks' variance it explains on its own); parameters are listed
   by ``|rho|``;
3. a parameter's **threshold** is the single cut ``c`` that best separates the worlds where A
   is ahead from those where B is, by the rule "A ahead exactly when x > c" (or "< c"): the cut
   that classifies the most worlds right, placed midway between the two worlds it falls
   between.  ``agree`` counts the worlds the rule gets right.

In words (:func:`flip_sentence`): a rule that holds in every world reads "the ranking of A and
B flips when x exceeds c"; one that holds in at least :data:`MOSTLY` of them "mostly flips
(in n of K worlds)"; otherwise no single parameter decides, and the sentence names the one
with the largest ``|rho|``.  With few worlds a strong ``rho`` can arise by chance (the report
says how many worlds back it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Driver", "MOSTLY", "rank_drivers", "best_cut", "best_rule", "flip_sentence", "rival"]

MOSTLY = 0.8
"""Share of worlds a threshold rule must get right to be stated as "mostly flips"."""


@dataclass(frozen=True)
class Driver:
    """One parameter's influence on a decision ``d`` (see the module note).

    ``above``: whether A is ahead above the threshold (else below it); ``threshold`` NaN when
    the parameter took a single value.
    """

    key: str
    rho: float
    threshold: float
    above: bool
    agree: int
    worlds: int
    ahead: int
    """Worlds in which A is ahead of B."""

    @property
    def decisive(self) -> bool:
        """Whether the threshold rule gets more worlds right than always naming the usual winner."""
        return not math.isnan(self.threshold) and self.agree > max(self.ahead, self.worlds - self.ahead)


def best_cut(x: np.ndarray, ahead: np.ndarray) -> tuple[float, bool, int]:
    """The cut of ``x`` (float64 (K,)) that best predicts ``ahead`` (bool (K,)): ``(threshold,
    above, agree)``; ``above`` says the rule is "ahead when x > threshold".  Among equally good
    cuts the one with the smallest x wins (deterministic)."""
    x = np.asarray(x, dtype=np.float64)
    ahead = np.asarray(ahead, dtype=bool)
    order = np.argsort(x, kind="stable")
    xs, a = x[order], ahead[order].astype(np.int64)
    n = len(xs)
    # Cut after position i (0 <= i < n-1, between distinct values): worlds 0..i below, rest above.
    ahead_below = np.cumsum(a)[:-1]
    behind_below = np.arange(1, n) - ahead_below
    ahead_above = a.sum() - ahead_below
    behind_above = (n - np.arange(1, n)) - ahead_above
    up = behind_below + ahead_above  # right when "ahead above the cut"
    down = ahead_below + behind_above  # right when "ahead below the cut"
    valid = xs[1:] > xs[:-1]
    if not valid.any():
        return math.nan, True, int(max(a.sum(), n - a.sum()))
    up = np.where(valid, up, -1)
    down = np.where(valid, down, -1)
    i_up, i_down = int(np.argmax(up)), int(np.argmax(down))
    if up[i_up] >= down[i_down]:
        i, above, agree = i_up, True, int(up[i_up])
    else:
        i, above, agree = i_down, False, int(down[i_down])
    return float((xs[i] + xs[i + 1]) / 2), above, agree


def rank_drivers(keys: list[str], x: np.ndarray, d: np.ndarray) -> list[Driver]:
    """Every parameter's :class:`Driver` for the decision ``d`` (float64 (K,)), from ``x``
    (float64 (K, D), column j = ``keys[j]``), strongest ``|rho|`` first (NaN rho last)."""
    from scipy.stats import spearmanr

    x = np.asarray(x, dtype=np.float64)
    d = np.asarray(d, dtype=np.float64)
    out = []
    for j, key in enumerate(keys):
        col = x[:, j]
        if np.ptp(col) == 0 or np.ptp(d) == 0:
            rho = math.nan
        else:
            rho = float(spearmanr(col, d).statistic)
        threshold, above, agree = best_cut(col, d > 0)
        out.append(Driver(key, rho, threshold, above, agree, len(d), int((d > 0).sum())))
    return sorted(out, key=lambda dr: (math.isnan(dr.rho), -abs(dr.rho) if not math.isnan(dr.rho) else 0.0, dr.key))


def rival(labels: list[str], value: np.ndarray, leader: int) -> int | None:
    """The setting that beats ``leader`` in the most worlds (``value`` float64 (S, K)); without
    one, the other setting closest to it on average; None for a single setting."""
    others = [i for i in range(len(labels)) if i != leader]
    if not others:
        return None
    beats = [
        (int((value[i] > value[leader]).sum()), -abs(float((value[leader] - value[i]).mean())), -i) for i in others
    ]
    best = max(range(len(others)), key=lambda j: beats[j])
    return others[best]


def best_rule(drivers: list[Driver]) -> Driver:
    """The parameter whose threshold rule gets the most worlds right (the strongest ``|rho|``
    among equals): the one :func:`flip_sentence` states."""
    return max(drivers, key=lambda dr: (dr.agree, abs(dr.rho) if not math.isnan(dr.rho) else 0.0))


def _strongest(a: str, b: str, top: Driver) -> str:
    """The clause naming the parameter that orders ``a``'s lead over ``b`` most, and which way
    (empty when no parameter moved it).  "Lead", not "margin": the report's margin is money."""
    if math.isnan(top.rho) or top.rho == 0:
        return ""
    way = "larger" if top.rho > 0 else "smaller"
    return (
        f"; {a}'s lead over {b} moves most with {top.key} (rank correlation {top.rho:+.2f}: the higher it is, "
        f"the {way} the lead)"
    )


def flip_sentence(a: str, b: str, drivers: list[Driver], fmt=lambda v: f"{v:.3g}") -> str:
    """The decision between settings ``a`` and ``b`` in plain words, from ``drivers`` (strongest
    first; see the module note)."""
    if not drivers:
        return f"No uncertain parameter was varied, so nothing decides between {a} and {b}."
    rule = best_rule(drivers)
    k, ahead = rule.worlds, rule.ahead
    strongest = _strongest(a, b, drivers[0])
    if ahead in (0, k):
        first, second = (a, b) if ahead == k else (b, a)
        return f"{first} comes before {second} in every one of the {k} worlds: no prior flips their ranking{strongest}."
    if not rule.decisive:
        # A cut that does no better than always naming the usual winner explains nothing.
        return (
            f"No single uncertain parameter decides between {a} and {b} ({a} ahead in {ahead} of {k} worlds)"
            f"{strongest}."
        )
    first, second = (a, b) if rule.above else (b, a)
    where = f"when {rule.key} exceeds {fmt(rule.threshold)}: above it {first} comes first, below it {second}"
    if rule.agree == k:
        return f"The ranking of {a} and {b} flips {where} (in all {k} worlds)."
    if rule.agree >= MOSTLY * k:
        return f"The ranking of {a} and {b} mostly flips {where} (the rule holds in {rule.agree} of {k} worlds)."
    return (
        f"No single uncertain parameter decides between {a} and {b} ({a} ahead in {ahead} of {k} worlds): the "
        f"best rule on one parameter, {rule.key} at {fmt(rule.threshold)}, holds in {rule.agree} of {k}{strongest}."
    )
