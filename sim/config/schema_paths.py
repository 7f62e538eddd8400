"""Walking the config schema's dataclasses by key: the fields of a dataclass, the dataclass a
key holds, the dataclass of a list's entries.

Used to name the allowed keys in a one-line error (:mod:`sim.config.hydra_errors`), to refuse
unknown keys before Hydra does (:mod:`sim.config.compose`), and to find the schema field of
a value a sweep's job sets (:mod:`sim.config.job_check`).
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any


@functools.cache
def schema_fields(schema: type) -> dict[str, dataclasses.Field]:
    """The fields of dataclass ``schema`` by name, in declaration order."""
    return {f.name: f for f in dataclasses.fields(schema)}


@functools.cache
def resolved_hints(schema: type) -> dict[str, Any]:
    """The type of each field of ``schema``, with its annotations (strings) resolved."""
    return typing.get_type_hints(schema)


def dataclass_of(schema: type, key: str):
    """The dataclass field ``key`` of ``schema`` holds, or None (a plain value, a list, a dict)."""
    t = resolved_hints(schema).get(key)
    return t if dataclasses.is_dataclass(t) else None


def list_item_dataclass(schema: type, key: str):
    """The dataclass of the entries of list field ``key`` (``list[Segment]``), or None."""
    t = resolved_hints(schema).get(key)
    args = typing.get_args(t)
    return args[0] if args and dataclasses.is_dataclass(args[0]) else None


def item_schema(schema: Any) -> Any:
    """The type of an item of ``list[X]`` or of a value of ``dict[str, X]``."""
    args = typing.get_args(schema)
    return args[-1] if args else None
