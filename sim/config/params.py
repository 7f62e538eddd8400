"""Declaring a config parameter once: its default, meaning, unit, valid range and source.

``param(...)`` returns a dataclass field whose metadata the validator
(:mod:`sim.config.validate`) checks after composition and the parameter reference
(:mod:`sim.config.parameter_table`, ``docs/parameters.md``) prints.  One declaration, three uses.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from dataclasses import dataclass
from typing import Any

__all__ = ["param", "Range", "range_of", "MISSING", "leaf_parameters", "declared_type"]

MISSING = "???"
"""The default of a parameter that every option file must set (a segment's name, say).

It is OmegaConf's own marker (``omegaconf.MISSING``): composing a config that leaves such a
key unset fails.  Spelled out here so that the schema, which library code imports, does not
import OmegaConf (a test checks that the two agree)."""


@dataclass(frozen=True)
class Range:
    """Allowed values of a parameter; ``None`` bounds are open-ended."""

    ge: float | None = None  # value >= ge
    gt: float | None = None  # value > gt
    le: float | None = None  # value <= le
    lt: float | None = None  # value < lt
    choices: tuple[Any, ...] | None = None

    def allows(self, value: Any) -> bool:
        if self.choices is not None:
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return True  # type checks are OmegaConf's job
        if value != value:  # NaN
            return False
        return not (
            (self.ge is not None and value < self.ge)
            or (self.gt is not None and value <= self.gt)
            or (self.le is not None and value > self.le)
            or (self.lt is not None and value >= self.lt)
        )

    def describe(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        parts = []
        for op, bound in ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt)):
            if bound is not None:
                parts.append(f"{op} {bound}" if isinstance(bound, int) else f"{op} {bound:g}")
        return " and ".join(parts) if parts else "any value"


def param(
    default: Any,
    doc: str,
    *,
    unit: str = "",
    source: str = "",
    ge=None,
    gt=None,
    le=None,
    lt=None,
    choices=None,
    factory=None,
) -> Any:
    """A dataclass field carrying its documentation and valid range.

    Parameters
    ----------
    default : the default value (use ``factory`` for mutable defaults)
    doc : what the parameter means
    unit : its unit ("day", "probability", "1/day", "currency", "" for dimensionless)
    source : where the default comes from: a published figure with its citation, or
        "calibrated: ...", "assumption: ...", "lever: ..." or "setting: ..." with the reason
        (the five kinds of :mod:`sim.config.sources`)
    ge, gt, le, lt : bounds; choices : tuple of allowed values
    """
    meta = {
        "doc": doc,
        "unit": unit,
        "source": source,
        "range": Range(ge=ge, gt=gt, le=le, lt=lt, choices=tuple(choices) if choices is not None else None),
    }
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def range_of(field: dataclasses.Field) -> Range | None:
    return field.metadata.get("range")


def leaf_parameters(schema: type, prefix: str = "") -> dict[str, tuple[dataclasses.Field, Any]]:
    """Every parameter of a dataclass schema by dotted key, with its field and its default.

    The fields of an entry of a list are keyed ``name[].field``, of a dict ``name.NAME.field``,
    with the entry class's own defaults; a nested node's defaults are those its parent gives it
    (they may differ from the nested class's own).
    """
    return _leaves(schema, schema(), prefix)


def _leaves(cls: type, instance: Any, prefix: str) -> dict[str, tuple[dataclasses.Field, Any]]:
    out = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key, t = prefix + f.name, hints[f.name]
        args = typing.get_args(t)
        if dataclasses.is_dataclass(t):
            out.update(_leaves(t, getattr(instance, f.name), key + "."))
        elif typing.get_origin(t) is list and args and dataclasses.is_dataclass(args[0]):
            out.update(_leaves(args[0], args[0](), key + "[]."))
        elif typing.get_origin(t) is dict and len(args) == 2 and dataclasses.is_dataclass(args[1]):
            out.update(_leaves(args[1], args[1](), key + ".NAME."))
        else:
            out[key] = (f, getattr(instance, f.name))
    return out


def declared_type(field: dataclasses.Field) -> Any:
    """The declared type of a field of the config schema (``int``, ``float``, ``bool``, ...),
    its annotation resolved: ``int`` for a whole-number parameter, which a sampler or a fit
    must not hand a fraction."""
    owner = next(c for c in _schema_classes() if field in dataclasses.fields(c))
    return typing.get_type_hints(owner)[field.name]


@functools.cache
def _schema_classes() -> tuple[type, ...]:
    from sim.config import schema  # the schema imports this module

    return tuple(c for c in vars(schema).values() if isinstance(c, type) and dataclasses.is_dataclass(c))
