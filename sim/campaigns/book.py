"""The firm's record of each customer's recent activity, in hours of the run."""

from __future__ import annotations

import numpy as np

from sim.codes import ONSITE
from sim.core import load_compiled
from sim.memory import state_array
from sim.touch import TouchBatch

__all__ = ["ContactBook", "NEVER"]

NEVER = -(2**31)
"""An hour long before the run: "never happened"."""


class ContactBook:
    """When each customer last visited, bought and was active, as the firm observes it.

    Attributes (N customers)
    ----------
    last_visit : int32 (N,)      hour of the last organic visit, NEVER if none
    last_purchase : int32 (N,)   hour of the last purchase, NEVER if none
    last_engaged : int32 (N,)    hour of the last click or purchase on an outbound contact
                                 (email, push, ad), NEVER if none
    last_active : int32 (N,)     (computed on each read) hour of the last visit, click or
                                 purchase; 0 (the start of the run) until then, so "inactive
                                 for 60 days" counts from day 0
    """

    def __init__(self, n: int):
        self.last_visit = state_array(n, np.int32, NEVER)
        self.last_purchase = state_array(n, np.int32, NEVER)
        self.last_engaged = state_array(n, np.int32, NEVER)
        self._note_wave = load_compiled("_book").note_wave  # looked up once, used at every wave

    @property
    def last_active(self) -> np.ndarray:
        """int32 (N,): the later of the last visit and the last outbound click or purchase,
        and 0.  Waves happen in time order, so this is the hour of the customer's last
        activity; it is not stored, so that a visit writes one entry of the book, not two
        (a visits wave's update is that of fetching its customers' entries)."""
        return np.maximum(np.maximum(self.last_visit, self.last_engaged), np.int32(0))

    @property
    def nbytes_per_customer(self) -> int:
        """Bytes of this record per customer."""
        n = max(self.last_visit.shape[0], 1)
        return (self.last_visit.nbytes + self.last_purchase.nbytes + self.last_engaged.nbytes) // n

    def note_wave(self, batch: TouchBatch, now: int, threads: int = 1) -> None:
        """Record a finished wave that happened at hour ``now`` (a large wave on ``threads``
        threads; the record is the same for any count)."""
        bad = self._note_wave(
            batch.cust,
            batch.clicked,
            batch.bought,
            self.last_visit,
            self.last_purchase,
            self.last_engaged,
            batch.channel == ONSITE,
            now,
            threads,
        )
        if bad:
            raise ValueError(
                f"wave at hour {now}: customer {int(batch.cust[bad - 1])} of touch {bad - 1} "
                f"is out of range [0, {self.last_visit.shape[0]})"
            )
