"""Judge a fact: its figure seed by seed, the mean with its 95% interval, passed or missed.

The rule, the same for every fact:

* The figure is computed for each seed from that seed's runs.  Every setting runs on the same
  seeds, so a ratio or a difference compares runs that share the population and the customers'
  random numbers: its interval over seeds is a paired interval.
* With two seeds or more the fact **passes** when the whole 95% t-interval of the mean,
  mean ± t(0.975, n-1)·sd/√n, lies inside the threshold: a direction ("> 1") must be clear of
  no effect, a level must be clear of the range's ends.  With one seed (no interval), when the
  value lies inside.
* Otherwise it is **missed**, with the reason: the figure lies outside the threshold, or its mean
  lies inside but the interval crosses an end (more seeds may settle it), or there is no figure
  (a count it divides by was zero).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.report.intervals import mean_interval
from sim.validation.runner import RunSet
from sim.validation.spec import Fact

__all__ = ["Outcome", "judge", "evaluate"]

PASSED, MISSED = "passed", "missed"

OUTSIDE, CROSSES, NO_FIGURE = "outside", "interval crosses an end", "no figure"
"""Why a fact is missed, in short (the tables' result column)."""

_REASONS = {
    OUTSIDE: "outside the threshold",
    CROSSES: "the mean is inside, but its 95% interval crosses an end of the threshold",
    NO_FIGURE: "no figure: a count it divides by was 0",
}


@dataclass(frozen=True)
class Outcome:
    """What one fact measured and whether the model reproduces it.

    ``why`` is empty when it passed, else :data:`OUTSIDE`, :data:`CROSSES` or :data:`NO_FIGURE`.
    """

    fact: Fact
    values: tuple[float, ...]
    mean: float
    low: float
    high: float
    why: str = ""

    @property
    def passed(self) -> bool:
        return not self.why

    @property
    def verdict(self) -> str:
        return PASSED if self.passed else MISSED

    @property
    def result(self) -> str:
        """``passed``, or ``missed`` with the short reason: ``missed (outside)``."""
        return PASSED if self.passed else f"{MISSED} ({self.why})"

    @property
    def seeds(self) -> int:
        """Seeds that gave a figure."""
        return sum(1 for v in self.values if not math.isnan(v))

    @property
    def reason(self) -> str:
        """Why it missed, in a sentence, and how many seeds gave no figure ('' when neither)."""
        missing = len(self.values) - self.seeds
        parts = [_REASONS[self.why]] if self.why else []
        if missing and self.why != NO_FIGURE:
            parts.append(f"{missing} of {len(self.values)} seeds gave no figure")
        return "; ".join(parts)


def judge(fact: Fact, values: list[float]) -> Outcome:
    """The outcome of ``fact`` given its figure on each seed (NaN: no figure on that seed)."""
    values = tuple(float(v) for v in values)
    interval = mean_interval(values)
    t = fact.threshold
    if interval.n == 0:
        return Outcome(fact, values, math.nan, math.nan, math.nan, NO_FIGURE)
    if interval.n == 1:
        passed = t.contains(interval.mean)
    else:
        passed = t.contains(interval.low) and t.contains(interval.high)
    why = "" if passed else (CROSSES if t.contains(interval.mean) else OUTSIDE)
    return Outcome(fact, values, interval.mean, interval.low, interval.high, why)


def evaluate(facts, runs: RunSet) -> list[Outcome]:
    """The outcome of every fact from the runs (which hold every setting the facts name)."""
    return [judge(fact, [_figure(fact, runs.runs_of_seed(seed)) for seed in runs.scale.seeds]) for fact in facts]


def _figure(fact: Fact, runs) -> float:
    try:
        return fact.figure(runs)
    except ZeroDivisionError:  # a count the figure divides by was 0: no figure on this seed
        return math.nan
