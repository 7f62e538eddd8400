"""A calibration's targets file: what the firm observes, what to fit, and the plan it runs.

``TARGETS.yaml``::

    plan:                      # the plan the firm runs today: config overrides, as on the command line
      - population=retail      # the population to start from (its segments are copied and fitted)
      - strategy=popular
      - campaign=weekly_email
      - horizon_days=365
    targets:                   # observed figures (sim/calibration/figures.py), each with its uncertainty
      email_open_rate: {value: 0.26, sd: 0.01}
      churned_share_per_year: {value: 0.11, sd: 0.01}
    free:                      # optional: parameters to fit and their bounds (default: DEFAULT_FREE)
      customer.email_exposure.base_rate: [0.1, 0.4]
      customer.churn.hazard_max: {low: 0.002, high: 0.08, log: true}
      population.segments.0.visit_rate_mean: [0.01, 0.3]

A fitted parameter is a real number of ``population.*`` or ``customer.*`` (the sections the
calibration writes as options).  Everything is checked here, before any simulation; a problem
is a :class:`CalibrationError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sim.calibration.figures import known_figures, possible_range
from sim.config.params import declared_type, leaf_parameters, range_of
from sim.config.priors import Prior

__all__ = ["CalibrationError", "CalibrationSpec", "DEFAULT_FREE", "Target", "load_spec", "parse_spec"]


class CalibrationError(ValueError):
    """A targets file that cannot be calibrated; the message is one line."""


@dataclass(frozen=True)
class Target:
    """An observed figure: its value and its standard deviation (how sure the firm is of it)."""

    value: float
    sd: float


WRITTEN = ("population", "customer")
"""The config sections a calibration writes as options (``population/NAME.yaml``,
``customer/NAME.yaml``): a fitted parameter must belong to one of them."""

DEFAULT_FREE: dict[str, Prior] = {
    "customer.email_exposure.base_rate": Prior(0.05, 0.5),
    "customer.engagement.click_bias_email": Prior(-5.5, -2.0),
    "customer.optout.email_base_hazard": Prior(0.0005, 0.03, "log"),
    "customer.churn.hazard_max": Prior(0.002, 0.08, "log"),
    "customer.engagement.buy_bias": Prior(-7.0, -3.0),
    "customer.engagement.organic_bias": Prior(-6.0, -2.0),
}
"""The parameters fitted when a targets file has no ``free:``, with bounds wide enough for most
firms: email opens, email clicks, email unsubscribes, churn, and purchases after a click and
on a plain visit (each mostly moves one of the figures firms report)."""


@dataclass
class CalibrationSpec:
    """A parsed, checked targets file."""

    plan: list[str]
    targets: dict[str, Target]
    free: dict[str, Prior] = field(default_factory=dict)

    @property
    def base_population(self) -> str:
        """The population option the plan starts from (``retail`` when it names none)."""
        for o in self.plan:
            if o.startswith("population="):
                return o.split("=", 1)[1]
        return "retail"


class _UniqueKeys(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (plain YAML keeps the
    last, so a target pasted twice would drop the first without a word)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise CalibrationError(
                    f"{self.name}: {key} is given twice in one mapping (lines {seen[key] + 1} and "
                    f"{key_node.start_mark.line + 1}); give each key once"
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def load_spec(path: Path | str) -> CalibrationSpec:
    """Read and check ``path`` (see the module docstring)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot read it ({exc.strerror})") from None
    loader = _UniqueKeys(text)
    loader.name = str(path)
    try:
        raw = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise CalibrationError(f"{path}: not valid YAML{where} ({problem or str(exc).splitlines()[0]})") from None
    finally:
        loader.dispose()
    return parse_spec(raw, where=str(path))


def parse_spec(raw: object, where: str = "targets") -> CalibrationSpec:
    """Check a parsed targets file; raises :class:`CalibrationError` with one line."""
    if not isinstance(raw, dict):
        raise CalibrationError(f"{where}: expected a mapping with plan, targets and free, got {type(raw).__name__}")
    unknown = set(raw) - {"plan", "targets", "free"}
    if unknown:
        raise CalibrationError(f"{where}: {sorted(unknown)[0]} is not allowed; allowed: plan, targets, free")
    plan = raw.get("plan") or []
    if not isinstance(plan, list) or not all(isinstance(o, str) and "=" in o for o in plan):
        raise CalibrationError(f"plan={plan!r} is not allowed: a list of config overrides such as strategy=popular")
    targets = _targets(raw.get("targets"))
    free = _free(raw["free"]) if raw.get("free") is not None else dict(DEFAULT_FREE)
    for o in plan:
        key = o.split("=", 1)[0].lstrip("+~")
        if key in free:
            raise CalibrationError(f"plan: {o} sets {key}, which is also fitted (free); leave it to one of them")
    return CalibrationSpec(plan=list(plan), targets=targets, free=free)


def _targets(raw: object) -> dict[str, Target]:
    if not isinstance(raw, dict) or not raw:
        raise CalibrationError("targets is required: a mapping KEY: {value: V, sd: S} of observed figures")
    known = known_figures()
    out = {}
    for key, t in raw.items():
        if key not in known:
            raise CalibrationError(
                f"targets.{key} is not allowed: not a figure a run reports; allowed: {', '.join(known)}"
            )
        if not isinstance(t, dict):
            raise CalibrationError(f"targets.{key}={t!r} is not allowed: a mapping {{value: V, sd: S}}")
        extra = sorted(set(t) - {"value", "sd"})
        if extra:
            raise CalibrationError(
                f"targets.{key}.{extra[0]} is not allowed: not a key of a target; allowed keys: value, sd"
            )
        for name in ("value", "sd"):
            if name not in t:
                raise CalibrationError(f"targets.{key} is not allowed without {name}: a mapping {{value: V, sd: S}}")
        value, sd = t["value"], t["sd"]
        if not _finite_number(value):
            raise CalibrationError(f"targets.{key}.value={value!r} is not allowed: a finite number")
        possible = possible_range(key)
        if possible is not None and not possible[0] <= value <= possible[1]:
            # A figure the model cannot produce: no search reaches it.
            low, high = possible
            allowed = f">= {low:g}" if high == float("inf") else f"between {low:g} and {high:g}"
            raise CalibrationError(
                f"targets.{key}.value={value!r} is not allowed: {allowed}, the values {key} can take"
            )
        if not _finite_number(sd) or sd <= 0:
            raise CalibrationError(f"targets.{key}.sd={sd!r} is not allowed: a finite number > 0")
        out[key] = Target(float(value), float(sd))
    return out


def _free(raw: object) -> dict[str, Prior]:
    if not isinstance(raw, dict) or not raw:
        raise CalibrationError("free must be a mapping KEY: [low, high] (or {low, high, log}) of parameters to fit")
    out = {}
    for key, bounds in raw.items():
        field_ = schema_field(key)
        if field_ is None:
            raise CalibrationError(f"free.{key} is not allowed: not a parameter of the config (docs/parameters.md)")
        f, default = field_
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            raise CalibrationError(f"free.{key} is not allowed: a fitted parameter must be numeric, it is {default!r}")
        if key.split(".", 1)[0] not in WRITTEN:
            # The fit's values reach a firm's runs only through the options it writes.
            raise CalibrationError(
                f"free.{key} is not allowed: a parameter of {' or '.join(f'{w}.*' for w in WRITTEN)}, "
                "the config options a calibration writes"
            )
        if declared_type(f) is not float:
            raise CalibrationError(
                f"free.{key} is not allowed: a fitted parameter must be a real number, and {key} is a whole number"
            )
        low, high, log = _bounds(key, bounds)
        try:
            prior = Prior(low, high, "log" if log else "linear")
        except ValueError as exc:
            raise CalibrationError(f"free.{key}={bounds!r} is not allowed: {exc}") from None
        allowed = range_of(f)
        if allowed is not None and not (allowed.allows(low) and allowed.allows(high)):
            raise CalibrationError(
                f"free.{key}={bounds!r} is not allowed: both bounds within the parameter's range, {allowed.describe()}"
            )
        out[key] = prior
    return out


def _bounds(key: str, bounds: object) -> tuple[float, float, bool]:
    if isinstance(bounds, list) and len(bounds) == 2:
        low, high, log = bounds[0], bounds[1], False
    elif isinstance(bounds, dict) and {"low", "high"} <= set(bounds) <= {"low", "high", "log"}:
        low, high, log = bounds["low"], bounds["high"], bounds.get("log", False)
    elif isinstance(bounds, dict) and set(bounds) - {"low", "high", "log"}:
        name = sorted(set(bounds) - {"low", "high", "log"})[0]
        raise CalibrationError(f"free.{key}.{name} is not allowed: not a key of bounds; allowed keys: low, high, log")
    else:
        raise CalibrationError(f"free.{key}={bounds!r} is not allowed: [low, high] or {{low: L, high: H, log: true}}")
    if not (_finite_number(low) and _finite_number(high)) or not isinstance(log, bool):
        raise CalibrationError(f"free.{key}={bounds!r} is not allowed: finite numbers low < high, log true or false")
    return float(low), float(high), log


def _finite_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def schema_field(key: str):
    """The schema field and default of a dotted config key (a segment's entry by index,
    ``population.segments.0.visit_rate_mean``); None when the config has no such key."""
    from sim.config.schema import Config

    generic = re.sub(r"\.\d+\.", "[].", key)
    return leaf_parameters(Config).get(generic)
