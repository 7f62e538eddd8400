"""Planning the next sweep: how many seeds a paired comparison needs to show its effect.

The report's paired differences (this setting minus the baseline, seed by seed) are tested with
a two-sided paired t-test at the 5% level. The *power* of that test with ``n`` seeds is the
probability that its interval excludes zero when the true mean difference is ``mu`` and the
per-seed differences spread with standard deviation ``sigma``:

    power(n) = P(|T| > t(0.975, n-1)),   T ~ noncentral t(df = n-1, nc = (mu / sigma) * sqrt(n)).

:func:`seeds_for_power` returns the smallest ``n >= 2`` with ``power(n) >= 0.8``, taking the
observed mean and spread of the paired differences as the truth. That is the standard planning
assumption, and a strong one with few seeds: both are estimates, so the figure is a guide for
the next sweep's size, not a promise. (Asking only for the interval to exclude zero at the
observed effect, as a rule of thumb does, plans for about 50% power: half of such follow-up
sweeps would miss the effect.)

The noncentral t distribution comes from :mod:`scipy.stats`.
"""

from __future__ import annotations

import math
from functools import cache

from sim.report.intervals import Interval

__all__ = ["POWER", "ALPHA", "MAX_SEEDS", "power", "seeds_for_power", "ASSUMPTION"]

POWER = 0.8
"""The probability of showing the effect that a planned sweep aims for."""
ALPHA = 0.05
"""Two-sided significance level of the paired t-test (the report's 95% intervals)."""
MAX_SEEDS = 100_000
"""Beyond this many seeds the answer is "more than MAX_SEEDS": the effect is negligible next to
its spread."""

ASSUMPTION = (
    f"“Seeds needed” is the smallest number of seeds at which a two-sided paired t-test at the "
    f"{100 * ALPHA:.0f}% level would show the difference (its 95% interval exclude zero) with "
    f"{100 * POWER:.0f}% probability, assuming the true mean difference and its seed-to-seed spread are "
    "as observed in this sweep. Both are estimates from the seeds run, so it is a guide for sizing the next "
    "sweep, not a promise."
)
"""The assumption behind :func:`seeds_for_power`, in words, as the report states it."""


@cache
def _scipy_stats():
    """scipy.stats, imported when first needed: it takes seconds, and a refused sweep needs none of it."""
    from scipy import stats

    return stats


def power(n: int, effect: float, alpha: float = ALPHA) -> float:
    """Power of the two-sided paired t-test with ``n`` pairs at standardized effect ``effect``.

    ``effect`` is ``|mean| / sd`` of the paired differences. Returns NaN for ``n < 2``.
    """
    if n < 2 or math.isnan(effect):
        return math.nan
    df = n - 1
    crit = _scipy_stats().t.ppf(1 - alpha / 2, df)
    nc = abs(effect) * math.sqrt(n)
    upper = float(_scipy_stats().nct.sf(crit, df, nc))
    lower = float(_scipy_stats().nct.cdf(-crit, df, nc))
    # Far in a tail scipy's noncentral t can return NaN where the probability is below 1e-30: the
    # wrong-side rejection is then 0, and the right side is as good as its normal approximation.
    if math.isnan(lower):
        lower = 0.0
    if math.isnan(upper):
        upper = float(_scipy_stats().norm.sf(crit - nc))
    return upper + lower


def seeds_for_power(diff: Interval, target: float = POWER, alpha: float = ALPHA) -> float:
    """Seeds for the paired test to show ``diff``'s observed mean at ``target`` power.

    Parameters
    ----------
    diff
        A paired difference (:func:`sim.report.intervals.paired_difference`): its ``mean`` and
        ``sd`` are taken as the truth.
    target, alpha
        Power aimed for, and the two-sided level of the test.

    Returns
    -------
    float
        The smallest integer ``n >= 2`` with ``power(n) >= target``; ``MAX_SEEDS + 1`` when more
        than :data:`MAX_SEEDS` seeds would be needed; ``inf`` when the mean is zero (or float
        rounding of zero: below 1e-9 of the spread); NaN without a spread estimate (fewer than
        two pairs).
    """
    if diff.n < 2 or math.isnan(diff.sd) or math.isnan(diff.mean):
        return math.nan
    m = abs(diff.mean)
    if m <= 1e-9 * diff.sd:
        return math.inf
    if diff.sd == 0:  # every seed gave the same difference: two seeds show it
        return 2.0
    effect = m / diff.sd
    if power(MAX_SEEDS, effect, alpha) < target:
        return float(MAX_SEEDS + 1)
    # The normal approximation n = ((z_a + z_b) / effect)^2 is a lower bound for the t-test's n;
    # the answer is a few seeds above it, found by bisection between it and MAX_SEEDS.
    z = _scipy_stats().norm.ppf(1 - alpha / 2) + _scipy_stats().norm.ppf(target)
    lo = max(1, math.floor((z / effect) ** 2) - 1)
    if lo >= 2 and power(lo, effect, alpha) >= target:  # not a lower bound after all: search from 1
        lo = 1
    hi = MAX_SEEDS
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power(mid, effect, alpha) >= target:
            hi = mid
        else:
            lo = mid
    return float(max(hi, 2))
