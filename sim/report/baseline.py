"""Which setting each setting of a sweep is compared with: the baseline.

The baseline is named, in this order of precedence, by ``prepersona-report --baseline``, by the
experiment file's ``experiment.baseline`` (read from the runs' composed configs), or by default
``none`` (the strategy that personalizes nothing). A name is

* a setting's label, plain ("email every 7 days") or raw (``campaign.scheduled.newsletter.cadence=7d``);
* or overrides, separated by commas: ``key=value`` pairs, a bare word meaning ``strategy=<word>``
  (``none``; ``campaign.limits.ads.cap_per_day=5, strategy.retarget_stop_after_purchase=false``).
  A setting matches when its overrides (or, for a key it does not override, its config) hold
  every pair.

When one setting matches, every setting is compared with it. When several match (``none`` in a
sweep of strategy × cadence), each setting is compared with the match that shares its other
overrides (``recommend`` at 3.5 days with ``none`` at 3.5 days). A name given on the command
line or in the experiment that matches nothing is an error naming the settings there are; the
default ``none`` matching nothing means no baseline, and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.report.collect import Run, Sweep, override_key
from sim.report.errors import UnknownBaseline
from sim.report.nested import get_dotted

__all__ = ["DEFAULT_BASELINE", "Baseline", "resolve_baseline", "experiment_baseline"]

DEFAULT_BASELINE = "none"
"""The strategy compared against when neither the command line nor the experiment names one."""


@dataclass(frozen=True)
class Baseline:
    """The resolved baseline of a sweep.

    ``name`` is what was asked for and ``source`` where it came from (``"--baseline"``,
    ``"experiment.baseline"`` or ``"default"``); ``of`` maps each setting (its override tuple) to
    the setting it is compared with, or None (a baseline maps to itself).
    """

    name: str
    source: str
    of: dict[tuple[str, ...], tuple[str, ...] | None]

    @property
    def found(self) -> bool:
        return any(v is not None for v in self.of.values())


def experiment_baseline(sweep: Sweep) -> str | None:
    """``experiment.baseline`` of the sweep's runs (None when unset).

    Raises
    ------
    UnknownBaseline
        The runs name different baselines.
    """
    names = sorted({str(b) for r in sweep.runs if (b := get_dotted(r.config, "experiment.baseline"))})
    if len(names) > 1:
        raise UnknownBaseline(
            f"{sweep.root}: the runs' experiment.baseline differ ({', '.join(repr(n) for n in names)}); "
            "one sweep, one baseline"
        )
    return names[0] if names else None


def resolve_baseline(sweep: Sweep, requested: str | None = None) -> Baseline:
    """The baseline of every setting of ``sweep``.

    Parameters
    ----------
    requested
        The ``--baseline`` of the command line, or None to use ``experiment.baseline`` and then
        :data:`DEFAULT_BASELINE`.

    Raises
    ------
    UnknownBaseline
        ``requested`` or ``experiment.baseline`` matches no setting (the message names the key,
        the value and the settings there are).
    """
    groups = sweep.settings()
    if requested is not None:
        name, source = requested, "--baseline"
    elif (from_experiment := experiment_baseline(sweep)) is not None:
        name, source = from_experiment, "experiment.baseline"
    else:
        name, source = DEFAULT_BASELINE, "default"
    matches = _matches(sweep, name)
    if not matches:
        if source == "default":
            return Baseline(name, source, dict.fromkeys(groups))
        labels = sweep.labels()
        what = f"--baseline {name!r}" if source == "--baseline" else f"experiment.baseline={name!r}"
        raise UnknownBaseline(
            f"{what} names no setting of {sweep.root}; the settings are: "
            + "; ".join(labels[s] for s in groups)
            + " (give a label, a strategy, or overrides such as key=value)"
        )
    if len(matches) == 1:
        return Baseline(name, source, dict.fromkeys(groups, matches[0]))
    named = {k for k, _ in _pairs(name)}
    of = {}
    for s in groups:
        rest = _without(s, named)
        same = [m for m in matches if _without(m, named) == rest]
        of[s] = same[0] if len(same) == 1 else None
    return Baseline(name, source, of)


def _matches(sweep: Sweep, name: str) -> list[tuple[str, ...]]:
    """The settings ``name`` names: by label first, else by its override pairs."""
    groups = sweep.settings()
    for labels in (sweep.labels(), sweep.raw_labels()):
        by_label = [s for s in groups if labels[s] == name]
        if by_label:
            return by_label
    pairs = _pairs(name)
    if not pairs:
        return []
    return [s for s, runs in groups.items() if all(_holds(s, runs[0], k, v) for k, v in pairs)]


def _pairs(name: str) -> list[tuple[str, str]]:
    """``"a=1, none"`` -> ``[("a", "1"), ("strategy", "none")]``; [] when a part is not one."""
    pairs = []
    for part in (p.strip() for p in name.split(",")):
        if "=" in part:
            key, value = part.split("=", 1)
            pairs.append((override_key(key.strip()), value.strip()))
        elif part and " " not in part:
            pairs.append(("strategy", part))
        else:
            return []
    return pairs


def _holds(setting: tuple[str, ...], run: Run, key: str, value: str) -> bool:
    for o in setting:
        if override_key(o) == key:
            return _same(o.split("=", 1)[1] if "=" in o else "", value)
    if key == "strategy":
        return _same(run.strategy, value)
    found = get_dotted(run.config, key)
    return found is not None and not isinstance(found, dict) and _same(found, value)


def _same(a, b) -> bool:
    """Equal as override values: quotes, case of booleans and 7 vs 7.0 do not matter."""
    a, b = (_norm(x) for x in (a, b))
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def _norm(x) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    text = str(x).strip().strip("'\"")
    return text.lower() if text.lower() in ("true", "false") else text


def _without(setting: tuple[str, ...], keys: set[str]) -> tuple[str, ...]:
    return tuple(o for o in setting if override_key(o) not in keys)
