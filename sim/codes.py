"""Integer codes shared by the Python side and the compiled core (``sim/core/_common.pxd``).

Channels and data bases are small integers in the per-touch arrays; these tables turn them
into the names used in configs, metrics and journeys.
"""

from __future__ import annotations

CHANNELS: tuple[str, ...] = ("onsite", "email", "push", "ads")
"""Channel names by code: onsite=0, email=1, push=2, ads=3."""

DATA_BASES: tuple[str, ...] = ("none", "stated", "onsite", "inferred", "offsite")
"""Data-basis names by code: what the firm used to pick an item for a slot."""

SOURCES: tuple[str, ...] = (
    "editorial",
    "popular",
    "stated",
    "behavioural",
    "retarget",
    "replenish",
    "inferred",
    "offsite",
)
"""Slot sources by code (``sim/core/_firm.pyx``): where a strategy takes a slot's item from."""

SOURCE_BASIS: dict[str, str] = {
    "editorial": "none",
    "popular": "none",
    "stated": "stated",
    "behavioural": "onsite",
    "retarget": "onsite",
    "replenish": "onsite",
    "inferred": "inferred",
    "offsite": "offsite",
}
"""The data basis each source stands on (a personal source with nothing to offer falls back to
``popular``, basis none)."""

NO_CAT = 255
"""A stated / inferred / off-site category that is not known."""

NO_DAY = -32768
"""``hist_day`` / ``last_view_day`` value meaning "never"."""

ONSITE, EMAIL, PUSH, ADS = range(4)

OUTBOUND: tuple[int, ...] = (EMAIL, PUSH, ADS)
"""Channels the firm initiates (onsite visits are the customer's)."""

OUTBOUND_NAMES: tuple[str, ...] = tuple(CHANNELS[c] for c in OUTBOUND)
"""Their names: email, push, ads."""
BASIS_NONE, BASIS_STATED, BASIS_ONSITE, BASIS_INFERRED, BASIS_OFFSITE = range(5)


def channel_code(name: str) -> int:
    """The code of a channel name; ValueError naming the allowed names otherwise."""
    try:
        return CHANNELS.index(name)
    except ValueError:
        raise ValueError(f"unknown channel {name!r}; allowed: {', '.join(CHANNELS)}") from None


def source_code(name: str) -> int:
    """The code of a slot source; ValueError naming the allowed sources otherwise."""
    try:
        return SOURCES.index(name)
    except ValueError:
        raise ValueError(f"unknown slot source {name!r}; allowed: {', '.join(SOURCES)}") from None
