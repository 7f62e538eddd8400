"""Range and consistency checks of a composed config, before any simulation starts.

OmegaConf already rejects unknown keys and wrong types (the schema is a structured config);
this module checks what types cannot say: ranges declared with :func:`sim.config.params.param`
and rules that tie two values together.  The first violation raises
:class:`sim.errors.ConfigError`.
"""

from __future__ import annotations

import dataclasses
import functools
import math

from sim.config.params import range_of
from sim.config.schema import Config
from sim.errors import ConfigError

__all__ = ["validate", "check_value", "check_rules"]


def validate(cfg: Config) -> Config:
    """Check every declared range, then the cross-field rules; return ``cfg`` unchanged."""
    check_ranges(cfg, "")
    check_rules(cfg)
    return cfg


@functools.cache
def _fields(cls: type) -> tuple[dataclasses.Field, ...]:
    return dataclasses.fields(cls)


def check_ranges(node: object, prefix: str) -> None:
    """Check every value of dataclass ``node`` (and of the dataclasses it holds) against its
    field's range; ``prefix`` is its dotted key with a trailing dot (``"uncertainty."``)."""
    for f in _fields(type(node)):
        value = getattr(node, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            check_ranges(value, key + ".")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if dataclasses.is_dataclass(item):
                    check_ranges(item, f"{key}[{i}].")
        elif isinstance(value, dict):
            for name, item in value.items():
                if dataclasses.is_dataclass(item):
                    check_ranges(item, f"{key}.{name}.")
        else:
            check_value(f, value, key)


def check_value(field: dataclasses.Field | None, value: object, key: str) -> None:
    """Check one value against its field's declared range (a float must also be finite).

    Raises
    ------
    ConfigError
        Naming ``key``, the value and the allowed range.
    """
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(key, value, "a finite number")
    rng = range_of(field) if field is not None else None
    if rng is not None and not rng.allows(value):
        raise ConfigError(key, value, rng.describe())


def check_rules(cfg: Config) -> None:
    """The rules that tie values together (shares sum to 1, slates fit the catalog, campaign
    plans, behaviors, ...); the first violation raises :class:`ConfigError`."""
    segs = cfg.population.segments
    if not segs:
        raise ConfigError("population.segments", [], "at least one segment")
    if len(segs) > 255:
        raise ConfigError("population.segments", len(segs), "at most 255 segments")
    total = sum(s.share for s in segs)
    if abs(total - 1.0) > 1e-6:
        raise ConfigError("population.segments[].share", round(total, 9), "shares that sum to 1")
    _unique("population.segments", [s.name for s in segs])
    cat = cfg.catalog
    if not cat.categories:
        raise ConfigError("catalog.categories", [], "at least one category")
    if cat.items < len(cat.categories):
        raise ConfigError("catalog.items", cat.items, f">= the number of categories ({len(cat.categories)})")
    _unique("catalog.categories", [c.name for c in cat.categories])
    s = cfg.strategy
    from sim.codes import SOURCES

    if not 1 <= len(s.slots) <= 32:
        raise ConfigError("strategy.slots", s.slots, "between 1 and 32 slots")
    for i, src in enumerate(s.slots):
        if src not in SOURCES:
            raise ConfigError(f"strategy.slots[{i}]", src, "one of " + ", ".join(SOURCES))
    from sim.codes import CHANNELS

    for i, channel in enumerate(s.channels):
        if channel not in CHANNELS:
            raise ConfigError(f"strategy.channels[{i}]", channel, "one of " + ", ".join(CHANNELS))
    if len(s.slots) > cat.items:
        raise ConfigError("strategy.slots", len(s.slots), f"at most the number of catalog items ({cat.items})")
    if s.replenish_lo > s.replenish_hi:
        raise ConfigError("strategy.replenish_lo", s.replenish_lo, f"<= strategy.replenish_hi ({s.replenish_hi:g})")
    if cfg.firm.editorial_picks > cat.items:
        raise ConfigError(
            "firm.editorial_picks", cfg.firm.editorial_picks, f"at most the number of catalog items ({cat.items})"
        )
    if len(cat.categories) > 255:
        raise ConfigError("catalog.categories", len(cat.categories), "at most 255 categories")
    if s.popular_pool > cat.items:
        raise ConfigError("strategy.popular_pool", s.popular_pool, f"at most the number of catalog items ({cat.items})")
    rel = cfg.customer.relevance
    if rel.replenish_lo > rel.replenish_hi:
        raise ConfigError(
            "customer.relevance.replenish_lo",
            rel.replenish_lo,
            f"<= customer.relevance.replenish_hi ({rel.replenish_hi:g})",
        )
    tr = cfg.customer.trust
    if tr.irrelevant_below > tr.relevant_above:
        raise ConfigError(
            "customer.trust.irrelevant_below",
            tr.irrelevant_below,
            f"<= customer.trust.relevant_above ({tr.relevant_above:g})",
        )
    from sim.behavior import build_behaviors

    build_behaviors(cfg.behaviors)  # raises ConfigError for a bad target or parameter
    from sim.campaigns.checks import check_campaign_plan

    check_campaign_plan(cfg)
    _check_durations(cfg)
    _check_fitted(cfg)


def _longest_horizon_days() -> int:
    field = next(f for f in _fields(Config) if f.name == "horizon_days")
    return int(range_of(field).le)


def _check_durations(cfg: Config) -> None:
    """No duration of a campaign plan may exceed the longest horizon: a longer one never comes
    within any run, and its arithmetic in hours would overflow the engine's clock."""
    from sim.timing import HOURS_PER_DAY, hours_of

    days = _longest_horizon_days()
    plan = cfg.campaign
    keys = [("campaign.dispatch_bucket", plan.dispatch_bucket)]
    for name, c in plan.scheduled.items():
        for k in ("cadence", "start", "end", "lapsed_after", "recent_within"):
            keys.append((f"campaign.scheduled.{name}.{k}", getattr(c, k)))
    for name, t in plan.triggers.items():
        keys.append((f"campaign.triggers.{name}.delay", t.delay))
    keys += [
        ("campaign.retargeting.window", plan.retargeting.window),
        ("campaign.retargeting.specificity_half_life", plan.retargeting.specificity_half_life),
    ]
    for key, text in keys:
        if str(text).strip() and hours_of(text) > days * HOURS_PER_DAY:
            raise ConfigError(key, text, f"at most {days}d (the longest horizon; a longer duration never comes)")


def _check_fitted(cfg: Config) -> None:
    """Each fitted range names a real-valued parameter of its own section once, with
    ``low < high`` inside the parameter's allowed range (above 0 on a log scale)."""
    from sim.config.keys import locate
    from sim.config.params import declared_type

    for section in ("population", "customer"):
        seen = set()
        for i, r in enumerate(getattr(cfg, section).fitted):
            where = f"{section}.fitted[{i}]"
            if not r.key.startswith(section + "."):
                raise ConfigError(f"{where}.key", r.key, f"a parameter of {section}.*")
            try:
                field, _ = locate(cfg, r.key)
            except ConfigError as exc:
                raise ConfigError(f"{where}.key", r.key, exc.allowed) from None
            if declared_type(field) is not float:
                raise ConfigError(f"{where}.key", r.key, "a real-valued parameter (a whole number is not fitted)")
            if r.key in seen:
                raise ConfigError(f"{where}.key", r.key, f"each parameter once in {section}.fitted")
            seen.add(r.key)
            rng = range_of(field)
            for end in ("low", "high"):
                value = getattr(r, end)
                if not math.isfinite(value) or (rng is not None and not rng.allows(value)):
                    allowed = rng.describe() if rng else "a finite number"
                    raise ConfigError(f"{where}.{end}", value, f"within the allowed range of {r.key} ({allowed})")
            if not r.low < r.high:
                raise ConfigError(f"{where}.high", r.high, f"greater than low ({r.low:g})")
            if r.scale == "log" and not r.low > 0:
                raise ConfigError(f"{where}.low", r.low, "> 0 (a log scale lies over positive values)")


def _unique(key: str, names: list[str]) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{key}[].name", dupes[0], "unique names")
