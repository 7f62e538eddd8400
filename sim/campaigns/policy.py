"""Who may be contacted on a channel, now: consent, frequency caps and quiet hours.

Every outbound wave (scheduled, triggered, retargeting) passes its candidates through
:meth:`ContactPolicy.admit`, so no customer is ever contacted on a channel after opting out
of it, and no cap is ever exceeded, whatever campaign the contact comes from.
"""

from __future__ import annotations

import numpy as np

from sim.codes import CHANNELS, OUTBOUND
from sim.config.schema import LimitsConfig
from sim.core import load_compiled
from sim.population import Population
from sim.timing import QuietHours

__all__ = ["ContactPolicy"]


class ContactPolicy:
    """Consent, caps and quiet hours of the outbound channels.

    Parameters
    ----------
    limits : LimitsConfig
    pop : Population
        Its ``consent``, ``active``, ``sent_this_week`` and ``sent_today`` are read, and the
        two counters incremented for every admitted contact.
    count : callable(channel, counter name, n)
        Where suppressed, deferred and dropped contacts are counted (the recorder).
    impl : "compiled" or "numpy"
        How audiences are found and the caps applied (the same outcome either way).
    threads : int
        Threads of the compiled passes over a large audience (the same outcome on any count).
    """

    def __init__(self, limits: LimitsConfig, pop: Population, count, impl: str = "compiled", threads: int = 1):
        self.pop, self.count, self.impl, self.threads = pop, count, impl, threads
        self._outbound = np.array([c in OUTBOUND for c in range(len(CHANNELS))], dtype=np.uint8)
        self.limits = {ch: getattr(limits, CHANNELS[ch]) for ch in OUTBOUND}
        self.quiet = {ch: QuietHours(self.limits[ch].quiet_hours) for ch in OUTBOUND}
        self.all_channels_per_week = limits.all_channels_per_week
        # Whether a contact was counted since the counters were last cleared: most days send
        # nothing (a weekly plan: six days in seven), and clearing the (N, C) counters costs a
        # pass over them.
        self._counted_today = self._counted_this_week = True

    def new_day(self, day: int, counters_written_elsewhere: bool = False) -> None:
        """Clear ``sent_today`` (and on a week's first day ``sent_this_week``) for day ``day``.

        Counters this policy has not incremented since they were last cleared are zero
        already and left alone, unless ``counters_written_elsewhere`` (a behavior may write
        them): then both are cleared as due.
        """
        pop = self.pop
        if day % 7 == 0 and (self._counted_this_week or counters_written_elsewhere):
            pop.sent_this_week[:] = 0  # weekly caps count calendar weeks
            self._counted_this_week = False
        if self._counted_today or counters_written_elsewhere:
            pop.sent_today[:] = 0
            self._counted_today = False

    # ------------------------------------------------------------------ quiet hours
    def is_quiet(self, channel: int, hour: int) -> bool:
        """Whether ``channel`` is inside its quiet hours at hour ``hour`` of the run."""
        return self.quiet[channel].is_quiet(hour)

    def defers(self, channel: int) -> bool:
        """Whether a message due in quiet hours waits (True) or is dropped (False)."""
        return self.limits[channel].quiet_policy == "defer"

    def next_open(self, channel: int, hour: int) -> int:
        """The first hour at or after ``hour`` outside the channel's quiet hours."""
        return self.quiet[channel].next_open(hour)

    # ------------------------------------------------------------------ consent and caps
    def reachable(self, channel: int, cust: np.ndarray) -> np.ndarray:
        """int64 (k',): the customers of ``cust`` who are active and consent to ``channel``."""
        pop = self.pop
        ok = (pop.consent[cust] & np.uint8(1 << channel)).astype(bool) & pop.active[cust].astype(bool)
        return cust[ok]

    def reachable_mask(self, channel: int) -> np.ndarray:
        """bool (N,): active customers who consent to ``channel``."""
        pop = self.pop
        return (pop.consent & np.uint8(1 << channel)).astype(bool) & pop.active.astype(bool)

    def reachable_customers(self, channel: int, extra: np.ndarray | None = None) -> np.ndarray:
        """int64 (k,), ascending: the active customers who consent to ``channel`` and, unless
        ``extra`` (bool (N,)) is None, meet it.

        Runs the compiled scan (``impl="compiled"``, on ``threads`` threads) or
        :meth:`_reachable_customers_numpy`, its twin.
        """
        if self.impl == "numpy":
            return self._reachable_customers_numpy(channel, extra)
        pop = self.pop
        return load_compiled("_policy").reachable(pop.consent, pop.active, _as_bytes(extra), channel, self.threads)

    def _reachable_customers_numpy(self, channel: int, extra: np.ndarray | None) -> np.ndarray:
        """The reachable customers as NumPy operations: the twin of the compiled scan."""
        mask = self.reachable_mask(channel)
        if extra is not None:
            mask &= extra
        return np.flatnonzero(mask).astype(np.int64)

    def admit_reachable(self, channel: int, extra: np.ndarray | None = None) -> np.ndarray:
        """int64 (k',), ascending: :meth:`admit` of :meth:`reachable_customers` (the same
        customers admitted, counters incremented and suppressions counted).

        The compiled version (``impl="compiled"``) is one scan of the population, on
        ``threads`` threads, that decides the caps as it finds the reachable customers: only
        the admitted ones are written out.
        """
        if self.impl == "numpy":
            return self.admit(channel, self._reachable_customers_numpy(channel, extra))
        pop, lim = self.pop, self.limits[channel]
        admitted, reached = load_compiled("_policy").admit_reachable(
            pop.consent,
            pop.active,
            _as_bytes(extra),
            pop.sent_this_week,
            pop.sent_today,
            self._outbound,
            channel,
            lim.cap_per_week or 0,
            lim.cap_per_day or 0,
            self.all_channels_per_week or 0,
            self.threads,
        )
        self._counted(channel, reached, admitted.shape[0])
        return admitted

    def admit(self, channel: int, cust: np.ndarray) -> np.ndarray:
        """The customers of ``cust`` (int64, reachable) who are under every cap; counts them as sent.

        Those held back by a cap are counted as ``suppressed_by_cap`` of the channel.  Runs the
        compiled pass (``impl="compiled"``, a long list on ``threads`` threads) or
        :meth:`_admit_numpy`, its twin.
        """
        if self.impl == "numpy":
            admitted = self._admit_numpy(channel, cust)
        else:
            admitted = self._admit_compiled(channel, cust)
        self._counted(channel, cust.shape[0], admitted.shape[0])
        return admitted

    def _counted(self, channel: int, candidates: int, admitted: int) -> None:
        """Bookkeeping of a wave that admitted ``admitted`` of ``candidates`` customers."""
        if admitted:
            self._counted_today = self._counted_this_week = True
        held = int(candidates - admitted)
        if held:
            self.count(channel, "suppressed_by_cap", held)

    def _admit_compiled(self, channel: int, cust: np.ndarray) -> np.ndarray:
        pop, lim = self.pop, self.limits[channel]
        cust = np.ascontiguousarray(cust, dtype=np.int64)
        out = np.empty(cust.shape[0], dtype=np.int64)
        w = load_compiled("_policy").admit(
            cust,
            pop.sent_this_week,
            pop.sent_today,
            self._outbound,
            out,
            channel,
            lim.cap_per_week or 0,
            lim.cap_per_day or 0,
            self.all_channels_per_week or 0,
            self.threads,
        )
        if w < 0:
            raise ValueError(
                f"customer {int(cust[-w - 1])} of candidate {-w - 1} is out of range [0, {pop.sent_this_week.shape[0]})"
            )
        return out[:w]

    def _admit_numpy(self, channel: int, cust: np.ndarray) -> np.ndarray:
        """The caps as NumPy operations: the twin of the compiled pass."""
        pop, lim = self.pop, self.limits[channel]
        under = np.ones(cust.shape[0], dtype=bool)
        if lim.cap_per_week:
            under &= pop.sent_this_week[cust, channel] < lim.cap_per_week
        if lim.cap_per_day:
            under &= pop.sent_today[cust, channel] < lim.cap_per_day
        if self.all_channels_per_week:
            week = pop.sent_this_week[cust][:, list(OUTBOUND)].sum(axis=1, dtype=np.int64)
            under &= week < self.all_channels_per_week
        if not under.all():
            cust = cust[under]
        pop.sent_this_week[cust, channel] += 1
        pop.sent_today[cust, channel] += 1
        return cust


def _as_bytes(mask: np.ndarray | None) -> np.ndarray | None:
    """A bool (N,) mask as the uint8 (N,) bytes the compiled scans read (no copy when it is
    contiguous), or None."""
    return None if mask is None else np.ascontiguousarray(mask, dtype=bool).view(np.uint8)
