"""Every number a run writes is finite.

``json`` writes ``NaN`` and ``Infinity``, which strict JSON readers reject, and a CSV cell
``inf`` poisons every mean taken over it.  A non-finite value means the run went wrong (an
overflow, a behavior that produced NaN): :func:`check_finite` names the first one, and the
run fails instead of writing results that look complete.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["NotFinite", "check_finite", "first_not_finite"]


class NotFinite(ValueError):
    """A result holds a value that is not a finite number; the message names where."""


_PLAIN = (int, str, bool, type(None))


def first_not_finite(value: Any, where: str = "") -> str | None:
    """The path (``revenue``, ``channels.email.sends``, ``[3].trust``) of the first non-finite
    float in a nest of dicts, lists and tuples, with its value; None when all are finite."""
    t = type(value)
    if t is float:
        return None if math.isfinite(value) else f"{where or 'value'} = {value}"
    if t in _PLAIN:
        return None
    if isinstance(value, dict):
        items, pattern = value.items(), "{}.{}" if where else "{1}"
    elif isinstance(value, (list, tuple)):
        items, pattern = enumerate(value), "{}[{}]"
    elif hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f":  # NumPy scalars and arrays
        import numpy as np

        arr = np.asarray(value)
        bad = ~np.isfinite(arr)
        if bad.any():
            idx = np.argwhere(bad)[0] if arr.ndim else ()
            return f"{where}{''.join(f'[{i}]' for i in idx)} = {arr[tuple(idx)]}"
        return None
    else:
        return None
    isfinite = math.isfinite
    for k, v in items:
        tv = type(v)
        if tv is float:  # the common case (a row of a daily series), without a call per value
            if not isfinite(v):
                return f"{pattern.format(where, k)} = {v}"
        elif tv not in _PLAIN:
            found = first_not_finite(v, pattern.format(where, k))
            if found:
                return found
    return None


def check_finite(value: Any, what: str) -> None:
    """Raise :class:`NotFinite` naming the first non-finite number of ``value`` (in ``what``,
    e.g. ``metrics.json``)."""
    found = first_not_finite(value)
    if found:
        raise NotFinite(f"{what}: {found} is not a finite number")
