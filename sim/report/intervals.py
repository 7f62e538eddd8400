"""Intervals across seeds, and paired and unpaired differences.

Pure NumPy and the standard library. Every function takes the per-seed values of one metric.

Formulas (x: n values of one setting; a, b: two settings; d = a - b paired by seed):

* mean and 95% t-interval:   mean(x) ± t(0.975, n-1) · sd(x) / √n, with sd the sample standard
  deviation (ddof=1). With n = 1 there is no spread to estimate: the interval is NaN.
* paired difference:         mean(d) ± t(0.975, m-1) · sd(d) / √m over the m seeds both settings
  ran. Same seed = same population and customer-side noise, so most of the seed-to-seed
  variation cancels in d.
* Welch (unpaired) difference: mean(a) - mean(b) ± t(0.975, ν) · se, with
  se² = s_a²/n_a + s_b²/n_b and ν = se⁴ / ((s_a²/n_a)²/(n_a-1) + (s_b²/n_b)²/(n_b-1)).
  Shown for comparison: what the same data would give if the seeds were not shared.

How many seeds a difference needs is planned in :mod:`sim.report.planning` (80% power).

The t quantile is computed, not looked up: Student's t CDF is written with the regularized
incomplete beta function, F(t) = 1 - ½·I_{ν/(ν+t²)}(ν/2, ½) for t > 0, evaluated by its continued
fraction (modified Lentz), and inverted by bisection; above 1000 degrees of freedom a
Cornish–Fisher series in 1/ν is used instead. Exact to ~1e-10 for any real ν > 0
(t(0.975, 4) = 2.7764451...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = [
    "Interval",
    "t_quantile",
    "t_cdf",
    "mean_interval",
    "paired_difference",
    "welch_difference",
    "LEVEL",
]

LEVEL = 0.95
"""Coverage of every interval in the report."""
LARGE_DF = 1000
"""Above this many degrees of freedom the t quantile comes from a series (the continued
fraction would need ever more terms), which is exact to 1e-11 there."""


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% interval.

    ``n`` is the number of values (seeds, or seed pairs) behind it; ``low``/``high`` are NaN
    when there is no interval (n < 2). ``sd`` is the sample standard deviation of the values
    (of the paired differences, for a paired interval; NaN for Welch).
    """

    n: int
    mean: float
    low: float
    high: float
    sd: float = math.nan

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of zero (False without an interval)."""
        return bool(self.low > 0 or self.high < 0)


def t_cdf(t: float, df: float) -> float:
    """Student's t distribution function with ``df`` > 0 degrees of freedom (``inf``: the normal)."""
    if math.isinf(df):
        return 0.5 * (1 + math.erf(t / math.sqrt(2)))
    tail = 0.5 * _betainc(df / 2, 0.5, df / (df + t * t))
    return 1 - tail if t > 0 else tail


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (NaN when df ≤ 0 or is NaN).

    Bisection on :func:`t_cdf` to 1e-12: slow next to a table, but a report needs a few hundred.
    """
    if not (0 < p < 1) or not df > 0:
        return math.nan
    if p < 0.5:
        return -t_quantile(1 - p, df)
    if df > LARGE_DF:
        return _t_quantile_large_df(p, df)
    lo, hi = 0.0, 2.0
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2
    while hi - lo > 1e-12 * max(1.0, hi):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mean_interval(x) -> Interval:
    """Mean of ``x`` (float array (n,), NaNs dropped) with its 95% t-interval."""
    x = _clean(x)
    n = x.size
    if n == 0:
        return Interval(0, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return Interval(1, mean, math.nan, math.nan)
    sd = float(x.std(ddof=1))
    half = _t975(n - 1) * sd / math.sqrt(n)
    return Interval(n, mean, mean - half, mean + half, sd)


def paired_difference(a, b) -> Interval:
    """Mean of ``a - b`` with its 95% t-interval; ``a`` and ``b`` are float arrays (m,) aligned by seed.

    Pairs where either value is NaN are dropped.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired values must align: {a.shape} and {b.shape}")
    return mean_interval(a - b)


def welch_difference(a, b) -> Interval:
    """``mean(a) - mean(b)`` with Welch's 95% interval (unequal variances, no pairing).

    ``a``, ``b``: float arrays (n_a,), (n_b,). NaN interval when either has fewer than two values.
    When both spreads are zero the interval is the point itself.
    """
    a, b = _clean(a), _clean(b)
    if a.size == 0 or b.size == 0:
        return Interval(0, math.nan, math.nan, math.nan)
    diff = float(a.mean() - b.mean())
    n = min(a.size, b.size)
    if a.size < 2 or b.size < 2:
        return Interval(n, diff, math.nan, math.nan)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0:
        return Interval(n, diff, diff, diff)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = _t975(df) * se
    return Interval(n, diff, diff - half, diff + half)


def _t_quantile_large_df(p: float, df: float) -> float:
    """Cornish–Fisher expansion of t in powers of 1/df around the normal quantile z
    (Abramowitz & Stegun 26.7.5, four terms; error below 1e-11 for df > 1000)."""
    lo, hi = -40.0, 40.0  # the normal quantile by bisection on erf
    while hi - lo > 1e-13:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if t_cdf(mid, math.inf) < p else (lo, mid)
    z = (lo + hi) / 2
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def _t975(df: float) -> float:
    return t_quantile(0.5 + LEVEL / 2, float(df))


def _clean(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).ravel()
    return x[~np.isnan(x)]


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b) (continued fraction; Numerical Recipes §6.4)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    # The continued fraction converges fast only for x < (a+1)/(a+b+2); use the symmetry
    # I_x(a, b) = 1 - I_{1-x}(b, a) on the other side.
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def _betacf(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1 + aa * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < eps:
            break
    return h
