"""Did a touch cost trust, or would the customer have lost it anyway? A customer's trust path against the baseline's.

Trust moves for two reasons: touches (a persofail, a creepy or irrelevant slate) and, between
touches, the drift of each customer's trust towards their own baseline trust. The drift happens
under every strategy alike, and so do touches no strategy decides (the same visit on the same
day, shown something just as irrelevant). A story may only blame a touch for what the baseline
did not do to the same customer (same seed, same person) at the same moments.

:func:`attribute` compares the trust change over some touches of a journey with the change of
the baseline's journey of the same customer at the same moments (day and hour). Journeys round
trust to 3 decimals, so differences below :data:`EPSILON` (plus 0.002 per touch compared) are
rounding, not a cause.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["EPSILON", "TrustPath", "Attribution", "attribute", "touches"]

EPSILON = 0.005
"""The smallest trust difference a story tells as caused by touches."""


def touches(journey: dict) -> list[dict]:
    """The journey's touch events (those with a channel), in their recorded order."""
    return [e for e in journey.get("events", []) if "channel" in e]


def _moment(e: dict) -> tuple[int, int]:
    return int(e["day"]), int(e.get("hour", 0))


def _change(e: dict) -> float:
    before, after = e.get("trust_before"), e.get("trust_after")
    if isinstance(before, (int, float)) and isinstance(after, (int, float)):
        return float(after) - float(before)
    return 0.0


class TrustPath:
    """The trust changes of one journey's touches, summed per moment (day, hour)."""

    def __init__(self, journey: dict):
        self.changes: dict[tuple[int, int], float] = {}
        for e in touches(journey):
            m = _moment(e)
            self.changes[m] = self.changes.get(m, 0.0) + _change(e)

    def change_at(self, moments) -> float:
        """Sum of the trust changes at the distinct ``moments`` ((day, hour) pairs); 0 where none."""
        return sum(self.changes.get(m, 0.0) for m in set(moments))


@dataclass(frozen=True)
class Attribution:
    """Trust over some touches of a journey against the baseline's path at the same moments.

    ``own``: the trust change over the touches; ``base``: the baseline journey's change at the
    same moments; ``before``/``after``: trust before the first and after the last touch;
    ``touches``: how many were compared.
    """

    own: float
    base: float
    before: float
    after: float
    touches: int

    @property
    def excess(self) -> float:
        """What these touches did beyond what the baseline did at the same moments (negative: a loss)."""
        return self.own - self.base

    @property
    def attributed(self) -> bool:
        """True when the touches' trust change differs from the baseline's by more than rounding."""
        return abs(self.excess) >= max(EPSILON, 0.002 * self.touches)

    @property
    def lost_anyway(self) -> bool:
        """True when trust fell here, by as much as under the baseline at the same moments."""
        return not self.attributed and self.own <= -EPSILON


def attribute(events: list[dict], base: TrustPath | None) -> Attribution | None:
    """The trust change over ``events`` (touches of one journey) against ``base`` (the same
    customer's path under the baseline); None without a baseline path or without events."""
    if base is None or not events:
        return None
    own = sum(_change(e) for e in events)
    before = events[0].get("trust_before", math.nan)
    after = events[-1].get("trust_after", math.nan)
    return Attribution(own, base.change_at(_moment(e) for e in events), before, after, len(events))
