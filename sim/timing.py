"""Human-written durations ("2h", "3.5d", "1w") and quiet hours ("22:00-08:00").

The engine's clock counts hours, so every duration becomes a number of hours.  A campaign's
times must fall on whole hours (waves are hour-aligned), which :func:`hours_of` checks.
"""

from __future__ import annotations

import re

__all__ = ["parse_duration", "hours_of", "QuietHours", "DURATION_HELP", "QUIET_HELP", "HOURS_PER_DAY"]

HOURS_PER_DAY = 24
"""The engine's clock counts hours; day d starts at hour 24 * d."""

UNIT_HOURS = {"h": 1.0, "d": float(HOURS_PER_DAY), "w": 7.0 * HOURS_PER_DAY}
DURATION_HELP = "a number and a unit h, d or w, e.g. 2h, 7d, 3.5d, 1w"
QUIET_HELP = "'HH:MM-HH:MM' on whole hours, e.g. 22:00-08:00 (wraps midnight), or '' for none"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([hdw])\s*$")
_QUIET = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*$")


def parse_duration(text: str) -> float:
    """Hours in ``text`` ("2h", "7d", "3.5d", "1w"); ValueError when it is not a duration."""
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(DURATION_HELP)
    return float(m.group(1)) * UNIT_HOURS[m.group(2)]


def hours_of(text: str) -> int:
    """Whole hours in ``text``; ValueError when it is not a duration of whole hours."""
    hours = parse_duration(text)
    if abs(hours - round(hours)) > 1e-9:
        raise ValueError("a whole number of hours (" + DURATION_HELP + ")")
    return int(round(hours))


class QuietHours:
    """The hours of the day when a channel sends nothing.

    ``QuietHours("22:00-08:00")`` is quiet from 22:00 up to (not including) 08:00 the next
    morning; ``QuietHours("")`` is never quiet.  Hours are whole: minutes must be 00.
    """

    def __init__(self, text: str):
        self.text = (text or "").strip()
        self.quiet = [False] * 24
        if not self.text:
            return
        m = _QUIET.match(self.text)
        if not m or (m.group(2) or "00") != "00" or (m.group(4) or "00") != "00":
            raise ValueError(QUIET_HELP)
        start, end = int(m.group(1)), int(m.group(3))
        if start > 23 or end > 24:
            raise ValueError(QUIET_HELP)
        end %= 24
        if start == end:
            raise ValueError("quiet hours that leave some sending time (start and end are equal)")
        h = start
        while h != end:
            self.quiet[h] = True
            h = (h + 1) % 24

    def __bool__(self) -> bool:
        return any(self.quiet)

    def is_quiet(self, hour_of_run: int) -> bool:
        """Whether an hour of the run (hours since day 0, 00:00) falls inside quiet hours."""
        return self.quiet[hour_of_run % 24]

    def quiet_hours(self) -> list[int]:
        """The quiet hours of the day, 0-23, ascending."""
        return [h for h in range(24) if self.quiet[h]]

    def next_open(self, hour_of_run: int) -> int:
        """The first hour of the run at or after ``hour_of_run`` outside quiet hours."""
        h = hour_of_run
        while self.quiet[h % 24]:
            h += 1
        return h
