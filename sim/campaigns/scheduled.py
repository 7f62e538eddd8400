"""Scheduled campaigns: their send times and their audiences."""

from __future__ import annotations

import numpy as np

from sim.campaigns.book import NEVER, ContactBook
from sim.config.schema import ScheduledCampaignConfig
from sim.population import Population
from sim.timing import HOURS_PER_DAY, hours_of

__all__ = ["send_times", "audience_mask"]


def send_times(c: ScheduledCampaignConfig, horizon_hours: int) -> list[int]:
    """Hours of the run at which campaign ``c`` sends, in order, before ``horizon_hours``.

    The first send is the first ``send_hour`` at or after ``start``.  A cadence of a day or
    more keeps every send at ``send_hour``: send k falls on day ``first + floor(k * cadence)``
    (so "3.5d" sends twice a week, on days 0, 3, 7, 10, ...).  A shorter cadence adds
    ``k * cadence`` hours to the first send.  Nothing is sent at or after ``end``.
    """
    start, cadence = hours_of(c.start), hours_of(c.cadence)
    end = min(hours_of(c.end), horizon_hours) if c.end.strip() else horizon_hours
    first_day = start // HOURS_PER_DAY + (1 if start % HOURS_PER_DAY > c.send_hour else 0)
    first = first_day * HOURS_PER_DAY + c.send_hour
    times = []
    k = 0
    while True:
        if cadence >= HOURS_PER_DAY:
            t = first + (k * cadence // HOURS_PER_DAY) * HOURS_PER_DAY
        else:
            t = first + k * cadence
        if t >= end:
            return times
        times.append(t)
        k += 1


def audience_mask(
    c: ScheduledCampaignConfig, now: int, pop: Population, book: ContactBook, segment_names: list[str]
) -> np.ndarray | None:
    """bool (N,) of the audience's extra condition at hour ``now``, or None for everyone.

    Consent and activity are the contact policy's business; this is only who the campaign
    is *for*: one segment, customers lapsed for ``lapsed_after`` (no visit, click or
    purchase), or customers who bought within ``recent_within``.
    """
    if c.audience == "all":
        return None
    if c.audience == "segment":
        return pop.segment == segment_names.index(c.segment)
    if c.audience == "lapsed":
        return book.last_active <= now - hours_of(c.lapsed_after)
    if c.audience == "recent_buyers":
        return (book.last_purchase != NEVER) & (book.last_purchase >= now - hours_of(c.recent_within))
    raise ValueError(f"unknown audience {c.audience!r}")
