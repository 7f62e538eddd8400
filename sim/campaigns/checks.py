"""Config-time checks of a campaign plan: durations, quiet hours, audiences and names.

Called by :func:`sim.config.validate.validate`; the first problem raises
:class:`sim.errors.ConfigError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

from sim.config.schema import Config
from sim.errors import ConfigError
from sim.timing import DURATION_HELP, QUIET_HELP, QuietHours, hours_of

__all__ = ["check_campaign_plan"]


def _duration(key: str, text: str, *, allow_zero: bool = True, allow_empty: bool = False) -> int | None:
    if allow_empty and not str(text).strip():
        return None
    try:
        hours = hours_of(text)
    except ValueError as exc:
        raise ConfigError(key, text, str(exc) if "whole" in str(exc) else DURATION_HELP) from None
    if hours == 0 and not allow_zero:
        raise ConfigError(key, text, "a duration longer than 0 (" + DURATION_HELP + ")")
    return hours


def _strategy_name(key: str, name: str) -> None:
    if not name:
        return
    from sim.strategies.named import available_strategies

    names = available_strategies()
    if name not in names:
        raise ConfigError(key, name, "'' (the run's strategy) or one of " + ", ".join(names))


def check_campaign_plan(cfg: Config) -> None:
    """Raise ConfigError for the first problem of ``cfg.campaign``."""
    plan = cfg.campaign
    _duration("campaign.dispatch_bucket", plan.dispatch_bucket, allow_zero=False)
    for channel in ("email", "push", "ads"):
        limits = getattr(plan.limits, channel)
        key = f"campaign.limits.{channel}.quiet_hours"
        try:
            QuietHours(limits.quiet_hours)
        except ValueError as exc:
            raise ConfigError(key, limits.quiet_hours, str(exc) if "sending time" in str(exc) else QUIET_HELP) from None
    segments = [s.name for s in cfg.population.segments]
    for name, c in plan.scheduled.items():
        key = f"campaign.scheduled.{name}"
        _duration(f"{key}.cadence", c.cadence, allow_zero=False)
        start = _duration(f"{key}.start", c.start)
        end = _duration(f"{key}.end", c.end, allow_empty=True)
        if end is not None and end <= start:
            raise ConfigError(f"{key}.end", c.end, f"'' or a time after start ({c.start})")
        _duration(f"{key}.lapsed_after", c.lapsed_after, allow_zero=False)
        _duration(f"{key}.recent_within", c.recent_within, allow_zero=False)
        if c.audience == "segment" and c.segment not in segments:
            raise ConfigError(f"{key}.segment", c.segment, "one of the population's segments: " + ", ".join(segments))
        if c.audience != "segment" and c.segment:
            raise ConfigError(f"{key}.segment", c.segment, "'' unless audience is 'segment'")
        _strategy_name(f"{key}.strategy", c.strategy)
    for name, t in plan.triggers.items():
        key = f"campaign.triggers.{name}"
        _duration(f"{key}.delay", t.delay)
        _strategy_name(f"{key}.strategy", t.strategy)
    r = plan.retargeting
    _duration("campaign.retargeting.window", r.window, allow_zero=False)
    _duration("campaign.retargeting.specificity_half_life", r.specificity_half_life, allow_zero=False)
    if r.enabled and not r.hours:
        raise ConfigError("campaign.retargeting.hours", [], "at least one hour of the day (0-23)")
    for i, h in enumerate(r.hours):
        if not 0 <= h <= 23:
            raise ConfigError(f"campaign.retargeting.hours[{i}]", h, ">= 0 and <= 23")
    if len(set(r.hours)) != len(r.hours):
        raise ConfigError("campaign.retargeting.hours", list(r.hours), "distinct hours")
    v = cfg.value
    _duration("value.tail_email_cadence", v.tail_email_cadence, allow_zero=False, allow_empty=True)
    if v.tail_strategy == "":
        raise ConfigError("value.tail_strategy", "", "one of the strategies of configs/strategy/")
    _strategy_name("value.tail_strategy", v.tail_strategy)
