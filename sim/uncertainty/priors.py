"""The uncertain parameters of a config and their distributions, checked against the schema.

``uncertainty.priors`` lists parameters by dotted key, each with a distribution:

- ``uniform`` on ``low``-``high``; ``loguniform`` on ``low``-``high`` (uniform in the logarithm);
- ``beta`` with shapes ``a``, ``b``, stretched over ``low``-``high`` (default: the parameter's
  allowed range when that is finite);
- ``normal`` with ``mean``, ``sd``, truncated to the parameter's allowed range and to
  ``low``-``high`` where given;
- no ``dist``: the parameter's range to consider (:data:`sim.config.priors.PRIORS`), uniform
  or log-uniform as it says; for a parameter the population or customer options were fitted
  on (their ``fitted`` ranges, written by ``prepersona-calibrate``), the range consistent with
  the firm's own figures instead.

An empty list means every parameter whose default is an ``assumption`` (its ``source=``, see
:mod:`sim.config.sources`) that has a range to consider, except keys of list entries
(``population.segments[].share``): those would need one draw per entry and shares that sum
to 1, so they are uncertain only when named with their index (``population.segments.0.trust_mean``);
and every fitted parameter, over its fitted range.

:func:`resolve_priors` refuses, with :class:`sim.errors.ConfigError` (one line naming the key,
the value and what is allowed), a key the schema does not have or that is not a number, a
prior that leaves the parameter's allowed range, an unknown distribution, missing or
inconsistent bounds, and a number of worlds that is neither 0 nor at least 2.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from sim.config.keys import locate
from sim.config.params import Range, declared_type, leaf_parameters, range_of
from sim.config.priors import PRIORS
from sim.config.sources import source_kind
from sim.errors import ConfigError

__all__ = ["Distribution", "DISTRIBUTIONS", "resolve_priors", "locate", "default_prior_keys", "fitted_ranges"]

DISTRIBUTIONS = ("uniform", "loguniform", "beta", "normal")


@dataclass(frozen=True)
class Distribution:
    """One uncertain parameter: its key, its distribution and how a draw becomes a value.

    ``lo``/``hi`` are the support (finite); ``a``/``b`` the beta shapes, ``mean``/``sd`` the
    normal's before truncation; ``integer`` rounds a draw (an ``int`` parameter).
    """

    key: str
    dist: str
    lo: float
    hi: float
    a: float = 1.0
    b: float = 1.0
    mean: float = 0.0
    sd: float = 1.0
    integer: bool = False
    allowed: Range | None = None
    fitted: bool = False
    """Drawn from the range a calibration found consistent with the firm's figures."""

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """float64 (n,) values for uniform quantiles ``u`` in [0, 1): the inverse of the CDF."""
        from scipy import stats

        u = np.asarray(u, dtype=np.float64)
        if self.dist == "uniform":
            x = self.lo + u * (self.hi - self.lo)
        elif self.dist == "loguniform":
            x = np.exp(math.log(self.lo) + u * (math.log(self.hi) - math.log(self.lo)))
        elif self.dist == "beta":
            x = self.lo + (self.hi - self.lo) * stats.beta.ppf(u, self.a, self.b)
        else:  # normal, truncated to [lo, hi]
            za, zb = (self.lo - self.mean) / self.sd, (self.hi - self.mean) / self.sd
            x = stats.truncnorm.ppf(u, za, zb, loc=self.mean, scale=self.sd)
        x = np.clip(x, self.lo, self.hi)
        if self.integer:
            x = np.clip(np.rint(x), math.ceil(self.lo), math.floor(self.hi))
        return self._inside(x)

    def _inside(self, x: np.ndarray) -> np.ndarray:
        """Nudge a value on an open end of the allowed range (``> 0``) just inside it."""
        rng = self.allowed
        if rng is None:
            return x
        if rng.gt is not None:
            x = np.where(x <= rng.gt, np.nextafter(rng.gt, np.inf), x)
        if rng.lt is not None:
            x = np.where(x >= rng.lt, np.nextafter(rng.lt, -np.inf), x)
        return x

    def describe(self) -> str:
        """In words, as the report shows it: ``log-uniform 0.05-0.25``, ``normal(0.2, 0.05) on 0-1``."""
        span = f"{self.lo:g}-{self.hi:g}" if self.lo >= 0 else f"{self.lo:g} to {self.hi:g}"
        if self.dist == "beta":
            return f"beta({self.a:g}, {self.b:g}) on {span}"
        if self.dist == "normal":
            return f"normal({self.mean:g}, {self.sd:g}) on {span}"
        shape = f"{'log-uniform' if self.dist == 'loguniform' else 'uniform'} {span}"
        return f"{shape}, fitted to the firm's figures" if self.fitted else shape


def resolve_priors(config) -> list[Distribution]:
    """The checked distributions of ``config.uncertainty`` (a :class:`sim.config.schema.Config`),
    in the order declared (the default priors: sorted by key). Empty when ``worlds`` is 0.

    Raises
    ------
    ConfigError
        One line naming the key, the value and what is allowed (see the module note).
    """
    unc = config.uncertainty
    if unc.worlds == 0:
        return []
    if unc.worlds < 2:
        raise ConfigError("uncertainty.worlds", unc.worlds, "0 (no plausible worlds) or at least 2")
    if unc.world >= unc.worlds:
        raise ConfigError("uncertainty.world", unc.world, f"-1 or a world of the design, 0 to {unc.worlds - 1}")
    fitted = fitted_ranges(config)
    if not unc.priors:
        keys = sorted({*default_prior_keys(), *fitted})
        return [_from_fit(config, fitted[key]) if key in fitted else _default(config, key) for key in keys]
    out, seen = [], set()
    for i, spec in enumerate(unc.priors):
        if spec.key in seen:
            raise ConfigError(f"uncertainty.priors[{i}].key", spec.key, "each parameter once")
        seen.add(spec.key)
        out.append(_declared(config, spec, f"uncertainty.priors[{i}]", fitted))
    return out


def fitted_ranges(config) -> dict:
    """The parameters the config's population and customer options were fitted on, by key
    (their :class:`sim.config.schema.FittedRange`, written by ``prepersona-calibrate``)."""
    return {r.key: r for section in (config.population, config.customer) for r in section.fitted}


def _from_fit(config, r) -> Distribution:
    """A fitted parameter's prior: uniform (log-uniform on a log scale) over its consistent range."""
    field, _ = locate(config, r.key)
    return Distribution(
        r.key,
        "loguniform" if r.scale == "log" else "uniform",
        float(r.low),
        float(r.high),
        integer=False,
        allowed=range_of(field),
        fitted=True,
    )


@functools.cache
def default_prior_keys() -> tuple[str, ...]:
    """Every parameter key whose default is an assumption and that has a range to consider,
    list entries left out (see the module note), sorted."""
    from sim.config.schema import Config

    keys = []
    for key, (field, _) in leaf_parameters(Config).items():
        if "[]" in key or key not in PRIORS:
            continue
        if source_kind(field.metadata.get("source", "")) == "assumption":
            keys.append(key)
    return tuple(sorted(keys))


def _bounds(rng: Range | None) -> tuple[float, float]:
    """The allowed range of a parameter as closed float bounds (infinite where open-ended)."""
    if rng is None:
        return -math.inf, math.inf
    lo = max((b for b in (rng.ge, rng.gt) if b is not None), default=-math.inf)
    hi = min((b for b in (rng.le, rng.lt) if b is not None), default=math.inf)
    return float(lo), float(hi)


def _default(config, key: str) -> Distribution:
    field, _ = locate(config, key)
    prior = PRIORS[key]
    return Distribution(
        key,
        "loguniform" if prior.scale == "log" else "uniform",
        float(prior.low),
        float(prior.high),
        integer=declared_type(field) is int,
        allowed=range_of(field),
    )


NOT_UNCERTAIN = ("seed", "threads", "impl", "memory_check", "output", "experiment", "report", "uncertainty")
"""Top-level keys no prior may vary: the run's own seed (worlds share seeds), settings that never
change results, and the uncertainty node itself."""


_SHAPES = {"uniform": (), "loguniform": (), "beta": ("a", "b"), "normal": ("mean", "sd")}
"""The shape parameters each distribution reads, besides ``low`` and ``high``."""


def _unread_shape(spec, dist: str) -> str | None:
    """The first shape parameter ``spec`` gives that ``dist`` does not read, or None."""
    for shapes in _SHAPES.values():
        for name in shapes:
            if name not in _SHAPES[dist] and getattr(spec, name) is not None:
                return name
    return None


def _declared(config, spec, where: str, fitted: dict) -> Distribution:
    if spec.key.split(".", 1)[0] in NOT_UNCERTAIN:
        raise ConfigError(f"{where}.key", spec.key, "a model parameter, not the seed, a setting or uncertainty.*")
    try:
        field, _ = locate(config, spec.key)
    except ConfigError as exc:
        raise ConfigError(f"{where}.key", spec.key, exc.allowed) from None
    rng = range_of(field)
    integer = declared_type(field) is int
    dist = spec.dist
    if dist == "":
        name = _unread_shape(spec, "uniform")  # without a dist the prior is uniform: it would go unread
        if name is not None:
            owner = next(d for d, shapes in _SHAPES.items() if name in shapes)
            raise ConfigError(
                f"{where}.{name}", getattr(spec, name), f"a parameter of a {owner} prior: give its dist too"
            )
        if spec.key in fitted and spec.low is None and spec.high is None:
            return _from_fit(config, fitted[spec.key])  # what the firm's own figures allow
        if spec.key in PRIORS and spec.low is None and spec.high is None:
            return _default(config, spec.key)
        if spec.low is None or spec.high is None:
            missing = "low" if spec.low is None else "high"
            if spec.key in PRIORS or spec.key in fitted:
                why = "both low and high (a uniform prior), or neither (its range to consider)"
            else:  # a setting or a figure with no range to consider of its own
                why = (
                    f"a prior on {spec.key} needs low and high (a uniform prior) or a dist with its parameters: "
                    "it has no range to consider of its own (sim/config/priors.py)"
                )
            raise ConfigError(f"{where}.{missing}", None, why)
        dist = "uniform"
    if dist not in DISTRIBUTIONS:
        raise ConfigError(f"{where}.dist", dist, f"one of {', '.join(DISTRIBUTIONS)} (or empty: the default prior)")
    name = _unread_shape(spec, dist)  # a parameter of another distribution: a slip, not a no-op
    if name is not None:
        takes = ", ".join(_SHAPES[dist]) + ", and low and high" if _SHAPES[dist] else "low and high"
        raise ConfigError(
            f"{where}.{name}", getattr(spec, name), f"not a parameter of a {dist} prior (it takes {takes})"
        )
    lo_allowed, hi_allowed = _bounds(rng)
    allowed = f"within the allowed range of {spec.key} ({rng.describe() if rng else 'any value'})"
    for end in ("low", "high"):
        value = getattr(spec, end)
        if value is not None and (not math.isfinite(value) or (rng is not None and not rng.allows(value))):
            raise ConfigError(f"{where}.{end}", value, allowed)
    low, high = spec.low, spec.high
    if dist == "normal":
        if spec.mean is None or spec.sd is None:
            raise ConfigError(f"{where}.dist", dist, "a normal prior with its mean and sd")
        if rng is not None and not rng.allows(spec.mean):
            raise ConfigError(f"{where}.mean", spec.mean, allowed)
        lo = low if low is not None else lo_allowed
        hi = high if high is not None else hi_allowed
    elif dist == "beta":
        if spec.a is None or spec.b is None:
            raise ConfigError(f"{where}.dist", dist, "a beta prior with its shapes a and b")
        lo = low if low is not None else lo_allowed
        hi = high if high is not None else hi_allowed
    else:
        if low is None or high is None:
            raise ConfigError(f"{where}.dist", dist, f"a {dist} prior with its low and high")
        lo, hi = low, high
    if not (math.isfinite(lo) and math.isfinite(hi)):
        end = "low" if not math.isfinite(lo) else "high"
        raise ConfigError(f"{where}.{end}", None, f"a finite bound, as {spec.key}'s allowed range is open-ended")
    if not lo < hi:
        raise ConfigError(f"{where}.high", hi, f"greater than low ({lo:g})")
    if dist == "loguniform" and not lo > 0:
        raise ConfigError(f"{where}.low", lo, "> 0 (a log-uniform prior lies over positive values)")
    if integer and math.floor(hi) < math.ceil(lo):
        raise ConfigError(f"{where}.high", hi, f"a range holding a whole number ({spec.key} is one)")
    return Distribution(
        spec.key,
        dist,
        float(lo),
        float(hi),
        a=float(spec.a or 1.0),
        b=float(spec.b or 1.0),
        mean=float(spec.mean or 0.0),
        sd=float(spec.sd or 1.0),
        integer=integer,
        allowed=rng,
    )
