"""Integer codes shared by the Python side and the compiled core (``sim/core/_common.pxd``).

Channels and data bases are small integers in the per-touch arrays; these tables turn them
into the names used in configs, metrics and journeys.
"""

from __future__ import annotations

CHANNELS: tuple[str, ...] = ("onsite", "email", "push", "ads")
"""Channel names by code: onsite=0, email=1, push=2, ads=3."""

DATA_BASES: tuple[str, ...] = ("none", "stated", "onsite", "inferred", "offsite")
"""Data-basis names by code: what the firm used to pick an item for a slot."""

NO_DAY = -32768
"""``hist_day`` / ``last_view_day`` value meaning "never"."""

ONSITE, EMAIL, PUSH, ADS = range(4)
BASIS_NONE, BASIS_STATED, BASIS_ONSITE, BASIS_INFERRED, BASIS_OFFSITE = range(5)


def channel_code(name: str) -> int:
    """The code of a channel name; ValueError naming the allowed names otherwise."""
    try:
        return CHANNELS.index(name)
    except ValueError:
        raise ValueError(f"unknown channel {name!r}; allowed: {', '.join(CHANNELS)}") from None


def basis_code(name: str) -> int:
    """The code of a data-basis name; ValueError naming the allowed names otherwise."""
    try:
        return DATA_BASES.index(name)
    except ValueError:
        raise ValueError(f"unknown data basis {name!r}; allowed: {', '.join(DATA_BASES)}") from None
