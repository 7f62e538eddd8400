"""Dotted keys of a composed config (``customer.churn.hazard_max``, a list entry by its index:
``population.segments.0.trust_mean``): finding one parameter, and a copy with values set.

Used wherever a value is named by key rather than by an override line: a prior of a plausible
world, a calibration's fitted parameter, a fitted range of an option.
"""

from __future__ import annotations

import dataclasses

from sim.config.params import declared_type
from sim.errors import ConfigError

__all__ = ["locate", "with_values"]


def locate(config, key: str) -> tuple[dataclasses.Field, object]:
    """The schema field of a dotted ``key`` in ``config`` and its current value.

    Raises
    ------
    ConfigError
        When ``key`` names nothing in the config, or something that is not a single number.
    """
    node, field = config, None
    parts = key.split(".")
    for i, part in enumerate(parts):
        where = ".".join(parts[:i]) or "the top level"
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(key, "", f"a parameter of the config; {where} is a list of {len(node)} entries")
            node = node[int(part)]
            continue
        if not dataclasses.is_dataclass(node):
            raise ConfigError(key, "", f"a parameter of the config; {where} is not a group of parameters")
        fields = {f.name: f for f in dataclasses.fields(node)}
        if part not in fields:
            raise ConfigError(key, "", f"a parameter of the config; {part!r} is not a key of {where}")
        field, node = fields[part], getattr(node, part)
    if field is None or isinstance(node, bool) or not isinstance(node, (int, float)) or declared_type(field) is bool:
        raise ConfigError(key, "", "a numeric parameter (a prior draws numbers)")
    return field, node


def with_values(config, values: dict):
    """A copy of ``config`` with each dotted key of ``values`` set (lists indexed by number);
    only the containers along each path are copied."""
    for key, value in values.items():
        config = _set(config, key.split("."), value)
    return config


def _set(node, parts: list[str], value):
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(node, list):
        out = list(node)
        out[int(head)] = _set(node[int(head)], rest, value)
        return out
    return dataclasses.replace(node, **{head: _set(getattr(node, head), rest, value)})
