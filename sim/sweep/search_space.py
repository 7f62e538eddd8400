"""The search space of a search sweep, in Hydra's own override syntax, checked against the schema.

``hydra.sweeper.params`` of a search (and the command line) hold one ``key=value`` per key:

* ``interval(a, b)``: any number from a to b (an integer for an integer key); ``tag(log,
  interval(a, b))`` samples it on a log scale.  On a duration key (``unit="duration"`` in the
  schema, e.g. a campaign's ``cadence``) the numbers are days, sampled in whole hours:
  ``interval(0.5, 14)`` runs ``12h`` up to ``14d``;
* ``choice(a, b, ...)``: one of the values (also a config group's options: ``strategy=choice(...)``);
* ``range(start, stop[, step])``: the values of the range (stop excluded), kept in order;
* a plain value: every trial runs it.

:func:`parse_space` turns those lines into :class:`Dimension` objects and fixed overrides;
:func:`check_dimension` refuses, in one line, a dimension the schema cannot take: an interval
on a key that is not a number, a bound outside the key's range.  The search sweeper samples
the dimensions (:mod:`sim.sweep.search`); nothing here imports Optuna until
:func:`distributions` is called.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from typing import Any

from sim.config.params import range_of
from sim.config.schema import Config
from sim.errors import ConfigError

__all__ = [
    "Dimension",
    "parse_space",
    "schema_field",
    "check_dimension",
    "bound_lines",
    "distributions",
    "override_line",
]


@dataclasses.dataclass(frozen=True)
class Dimension:
    """One searched key: a number in ``[low, high]`` or one of ``choices``."""

    key: str
    line: str
    """The override as written (``strategy.exploration=interval(0,0.3)``), for messages."""
    kind: str
    """``interval``, ``choice`` or ``range``."""
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    integer: bool = False
    """Sampled as whole numbers (an integer key, or a range of integers)."""
    days: bool = False
    """A duration key: written in days, sampled in whole hours (``low``, ``high``), run as ``<h>h``
    (``<d>d`` for whole days)."""


def schema_field(key: str) -> tuple[dataclasses.Field, Any] | None:
    """The schema field of a dotted key and its type; None for a key the schema does not type
    (a config group's choice, an entry of a list, a behavior's parameter)."""
    node: Any = Config
    field = None
    for part in key.split("."):
        if dataclasses.is_dataclass(node):
            fields = {f.name: f for f in dataclasses.fields(node)}
            if part not in fields:
                return None
            field = fields[part]
            node = typing.get_type_hints(node)[part]
        else:
            args = typing.get_args(node)  # a value of dict[str, X] or an item of list[X]
            if not args:
                return None
            node, field = args[-1], None
    return (field, node) if field is not None else None


def parse_space(lines: list[str], parser=None) -> tuple[dict[str, Dimension], list[str]]:
    """The dimensions of ``lines`` (``key=sweep``) and the fixed overrides among them.

    A key given twice takes its later value (the command line's over an experiment's), as in
    Hydra's basic sweeper.  ``parser`` is Hydra's ``OverridesParser`` (one without a config
    loader by default: a ``glob`` then cannot be matched and is refused).
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = parser or OverridesParser.create()
    dims: dict[str, Dimension] = {}
    fixed: dict[str, str] = {}
    for o in parser.parse_overrides(list(lines)):
        key = o.get_key_element()
        dims.pop(key, None)
        fixed.pop(key, None)
        if o.is_delete() or not o.is_sweep_override():
            fixed[key] = o.input_line
            continue
        dims[key] = _dimension(o)
    return dims, list(fixed.values())


def _dimension(o) -> Dimension:
    from hydra.core.override_parser.types import Glob, IntervalSweep, RangeSweep

    key, line, value = o.key_or_group, o.input_line, o.value()
    field = schema_field(key)
    unit = field[0].metadata.get("unit") if field and field[0] is not None else None
    ftype = field[1] if field else None
    if isinstance(value, IntervalSweep):
        days = unit == "duration"
        if not days and ftype not in (int, float):
            what = "a config group" if "." not in key else f"a {getattr(ftype, '__name__', 'non-numeric')} key"
            raise ConfigError(key, line.split("=", 1)[1], f"a number to search an interval: {key} is {what}")
        if days:  # durations are whole hours: the interval's days are sampled as hours
            low, high = math.ceil(float(value.start) * 24), math.floor(float(value.end) * 24)
            return Dimension(key, line, "interval", low, high, log="log" in value.tags, integer=True, days=True)
        return Dimension(
            key, line, "interval", float(value.start), float(value.end), log="log" in value.tags, integer=ftype is int
        )
    if isinstance(value, RangeSweep):
        items = list(o.sweep_iterator())
        if not items:
            raise ConfigError(key, line.split("=", 1)[1], "a range with at least one value")
        integer = all(isinstance(x, int) and not isinstance(x, bool) for x in items)
        if integer and not value.shuffle:
            return Dimension(key, line, "range", items[0], items[-1], step=value.step, integer=True)
        return Dimension(key, line, "choice", choices=tuple(items))
    if isinstance(value, Glob):
        raise ConfigError(key, line.split("=", 1)[1], "choice(...) of the options to search (glob is not searched)")
    items = tuple(o.sweep_iterator())
    if not items:
        raise ConfigError(key, line.split("=", 1)[1], "a choice of at least one value")
    return Dimension(key, line, "choice", choices=items)


def check_dimension(dim: Dimension) -> None:
    """Refuse a dimension whose bounds the schema does not allow, or that is empty.

    Raises
    ------
    ConfigError
        Naming the dimension, the bound and the key's range.
    """
    value = dim.line.split("=", 1)[1]
    if dim.kind in ("interval", "range"):
        if dim.kind == "interval" and not dim.days and not dim.low < dim.high:
            raise ConfigError(dim.key, value, "an interval whose start is below its end")
        if dim.log and dim.low <= 0:
            raise ConfigError(dim.key, value, "a log interval above 0")
        field = schema_field(dim.key)
        rng = range_of(field[0]) if field and field[0] is not None else None
        if rng is not None and not dim.days:
            for bound in (dim.low, dim.high):
                probe = int(bound) if dim.integer and float(bound).is_integer() else bound
                if not rng.allows(probe):
                    raise ConfigError(
                        dim.key, value, f"bounds within the key's range ({rng.describe()}); {bound:g} is not"
                    )
        if dim.days and (dim.low <= 0 or dim.low > dim.high):
            raise ConfigError(dim.key, value, "a duration interval above 0 days that holds a whole hour")


def bound_lines(dim: Dimension) -> list[str]:
    """``key=value`` lines of the values at the edges of a dimension (each choice), for composing
    and validating jobs at its bounds."""
    if dim.kind == "choice":
        return [f"{dim.key}={_plain(c)}" for c in dim.choices]
    return [override_line(dim, dim.low), override_line(dim, dim.high)]


def distributions(dims: dict[str, Dimension]) -> dict:
    """Optuna distributions of the dimensions, by key."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out = {}
    for key, d in dims.items():
        if d.kind == "choice":
            out[key] = CategoricalDistribution(list(d.choices))
        elif d.integer:
            step = int(d.step or 1)
            out[key] = IntDistribution(int(d.low), int(d.high), log=d.log, step=1 if d.log else step)
        else:
            out[key] = FloatDistribution(float(d.low), float(d.high), log=d.log)
    return out


def override_line(dim: Dimension, value: Any) -> str:
    """The override that runs ``value`` of ``dim`` (a duration in days gets its ``d``)."""
    if dim.days:
        hours = int(round(float(value)))
        return f"{dim.key}={hours // 24}d" if hours % 24 == 0 else f"{dim.key}={hours}h"
    if dim.integer and dim.kind != "choice":
        return f"{dim.key}={int(round(float(value)))}"
    return f"{dim.key}={_plain(value)}"


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if value is None:
        return "null"
    return str(value)
