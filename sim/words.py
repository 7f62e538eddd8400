"""Counts in words: ``counted(1, "seed")`` is "1 seed", ``counted(3, "seed")`` "3 seeds"."""

from __future__ import annotations

__all__ = ["counted"]


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, the noun plural unless ``n`` is 1 (``plural``, or ``noun`` + "s");
    thousands are separated by commas."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
