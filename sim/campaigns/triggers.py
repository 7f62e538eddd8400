"""Triggered campaigns: a clock per customer and trigger, dispatched in time buckets.

An event of a customer's own (a purchase, a visit without a purchase, a click without a
purchase, a consumable bought, the last activity) sets that customer's clock to the *bucket*
of ``event time + delay``: the end of the ``dispatch_bucket``-long interval the due time falls
in.  Every bucket is one wave.  A later event restarts the clock (a purchase, for the
follow-up; any activity, for win-back) or stops it (a purchase stops abandoned browse and
cart reminders), so each customer gets at most one message per armed clock.

Buckets are scheduled for every wave that *could* arm them, whether or not a customer did,
so the number of SimPy events never depends on the number of customers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.catalog import Catalog
from sim.codes import ONSITE
from sim.config.schema import TriggerConfig
from sim.memory import state_array
from sim.timing import HOURS_PER_DAY, hours_of
from sim.touch import TouchBatch

__all__ = ["TriggerBook", "NOT_DUE"]

NOT_DUE = -1


class TriggerBook:
    """The pending messages of T triggers over N customers.

    Parameters
    ----------
    triggers : list of TriggerConfig (T,)
    n : int
        Customers.
    bucket : int
        Dispatch bucket, hours (>= 1).
    catalog : Catalog
        Item categories and their repurchase cycles (replenishment reminders).
    schedule : callable(trigger index, bucket hour)
        Makes sure a dispatch happens at that hour (the engine starts a process once per
        distinct (trigger, hour)).

    Attributes
    ----------
    due : int32 (N, T)   bucket hour of each customer's pending message, NOT_DUE if none
    """

    def __init__(
        self, triggers: list[TriggerConfig], n: int, bucket: int, catalog: Catalog, schedule: Callable[[int, int], None]
    ):
        self.triggers = list(triggers)
        self.bucket = int(bucket)
        self.catalog = catalog
        self.schedule = schedule
        self.due = state_array((n, len(self.triggers)), np.int32, NOT_DUE)
        self.delay = [hours_of(t.delay) for t in self.triggers]
        self._pending: list[dict[int, list[np.ndarray]]] = [{} for _ in self.triggers]
        self._consumable_categories = [c for c, cat in enumerate(catalog.categories) if cat.kind == "consumable"]
        self._cycle_days = [cat.cycle_days for cat in catalog.categories]
        self._consumable_item = ~catalog.durable.astype(bool)

    def bucket_of(self, hour: float) -> int:
        """The dispatch hour of a message due at ``hour``: the end of its bucket."""
        return int(-(-np.ceil(hour) // self.bucket) * self.bucket)

    # ------------------------------------------------------------------ arming
    def start(self) -> None:
        """Arm the clocks that run from the start of the run (win-back counts from day 0)."""
        everyone = np.arange(self.due.shape[0], dtype=np.int64)
        for t, trig in enumerate(self.triggers):
            if trig.event == "inactivity":
                self._arm(t, everyone, self.bucket_of(self.delay[t]))

    def _arm(self, t: int, cust: np.ndarray, bucket: int) -> None:
        self.schedule(t, bucket)
        if cust.size:
            self.due[cust, t] = bucket
            self._pending[t].setdefault(bucket, []).append(cust)

    def after_wave(self, batch: TouchBatch, now: int) -> None:
        """Start, restart or stop the clocks that a finished wave at hour ``now`` touches."""
        bought = batch.bought >= 0
        buyers = batch.cust[bought]
        clicked = batch.clicked.astype(bool)
        for t, trig in enumerate(self.triggers):
            event = trig.event
            if event == "purchase":
                self._arm(t, buyers, self.bucket_of(now + self.delay[t]))
            elif event in ("browse", "cart"):
                self.due[buyers, t] = NOT_DUE  # a purchase ends the abandonment
                if event == "cart":
                    self._arm(t, batch.cust[clicked & ~bought], self.bucket_of(now + self.delay[t]))
                elif batch.channel == ONSITE:
                    self._arm(t, batch.cust[~bought], self.bucket_of(now + self.delay[t]))
            elif event == "replenishment":
                self._arm_replenishment(t, batch, bought, now)
            elif event == "inactivity":
                active = bought | clicked if batch.channel != ONSITE else np.ones(len(batch), dtype=bool)
                self._arm(t, batch.cust[active], self.bucket_of(now + self.delay[t]))

    def _arm_replenishment(self, t: int, batch: TouchBatch, bought: np.ndarray, now: int) -> None:
        """A consumable bought now is due again after ``cycle_share`` of its category's cycle."""
        share = self.triggers[t].cycle_share
        rows = np.flatnonzero(bought)
        rows = rows[self._consumable_item[batch.bought[rows]]]
        item_cat = self.catalog.category[batch.bought[rows]]
        for c in self._consumable_categories:
            bucket = self.bucket_of(now + share * self._cycle_days[c] * HOURS_PER_DAY)
            self._arm(t, batch.cust[rows[item_cat == c]], bucket)

    # ------------------------------------------------------------------ dispatch
    def take(self, t: int, bucket: int) -> np.ndarray:
        """int64 (k,): customers whose trigger ``t`` is due at ``bucket``, ascending; their clocks stop."""
        parts = self._pending[t].pop(bucket, [])
        if not parts:
            return np.zeros(0, dtype=np.int64)
        cand = np.unique(np.concatenate(parts))
        cust = cand[self.due[cand, t] == bucket]
        self.due[cust, t] = NOT_DUE
        return cust

    def defer(self, t: int, cust: np.ndarray, bucket: int) -> None:
        """Hold the messages of ``cust`` until ``bucket`` (quiet hours)."""
        self._arm(t, cust, bucket)

    @property
    def nbytes_per_customer(self) -> int:
        """Bytes of the trigger clocks per customer."""
        return self.due.nbytes // max(self.due.shape[0], 1)
