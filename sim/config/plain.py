"""A schema dataclass from a plain mapping (parsed YAML), checked as composing would check it.

Library code that reads a config file itself (a strategy named by a campaign,
:mod:`sim.strategies.named`) builds its dataclass here, without OmegaConf: an unknown key or a
value of the wrong type is a :class:`~sim.errors.ConfigError` naming the key, as it is when the
command line composes a config.  Ranges are :mod:`sim.config.validate`'s job, not this one's.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from sim.config.params import MISSING
from sim.errors import ConfigError

__all__ = ["from_mapping"]

T = TypeVar("T")


def from_mapping(schema: type[T], data: Mapping[str, Any], where: str = "") -> T:
    """An instance of the dataclass ``schema`` with the values of ``data``, defaults elsewhere.

    Parameters
    ----------
    schema : a dataclass of :mod:`sim.config.schema` whose fields are ``str``, ``int``,
        ``float``, ``bool``, ``Any``, a ``list`` of one of them, or another such dataclass
    data : its keys (a subset of the fields) and values, as ``yaml.safe_load`` gives them
    where : the dotted key of ``data`` itself, for error messages (``"strategy"``)

    Raises
    ------
    ConfigError
        For a key ``schema`` does not have, a value of the wrong type (an ``int`` is accepted
        where a ``float`` is expected, and converted), or a required field left unset.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(where or "config", data, f"a mapping of the keys of {schema.__name__}")
    hints = typing.get_type_hints(schema)
    fields = {f.name: f for f in dataclasses.fields(schema)}
    values = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in fields:
            raise ConfigError(
                path, value, f"{key!r} is not a key of {schema.__name__}; allowed keys: {', '.join(fields)}"
            )
        values[key] = _convert(hints[key], value, path)
    instance = schema(**values)
    for name in fields:
        if getattr(instance, name) == MISSING:
            path = f"{where}.{name}" if where else name
            raise ConfigError(path, MISSING, "a value is required")
    return instance


def _convert(expected: Any, value: Any, path: str) -> Any:
    """``value`` as a value of the type ``expected``, or a ConfigError."""
    if expected is Any:
        return value
    if dataclasses.is_dataclass(expected):
        return from_mapping(expected, value, path)
    if typing.get_origin(expected) is list:
        (item,) = typing.get_args(expected)
        if not isinstance(value, list):
            raise ConfigError(path, value, f"a list of {item.__name__}")
        return [_convert(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    # bool is a subclass of int, but true is not a count.
    if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
        return value
    raise ConfigError(path, value, f"a value of type {expected.__name__}")
