"""The 90 days of ref-v1 as SimPy waves, and one timed run of them (the benchmarks' unit of work)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import simpy

from benchmarks.refv1.waves import WaveTotals, email_wave, kernel_module, visit_wave
from benchmarks.refv1.world import ReferenceWorld

__all__ = ["ReferenceRun", "run_reference", "RESULT_KEYS", "IMPLS", "DAYS"]

DAYS = 90
EMAIL_WEEKDAY = 6  # campaigns on days d with d % 7 == EMAIL_WEEKDAY
VISIT_HOUR = 1  # SimPy time is in hours: visits at 24 d + 1, emails at 24 d + 2,
EMAIL_HOUR = 2  # so a day's decay and visits come before its campaign

IMPLS = ("engine", "numpy")
"""``run_reference`` implementations: SimPy + compiled kernels, or SimPy + the NumPy twin."""

RESULT_KEYS = (
    "revenue",
    "mean_trust",
    "churn_fraction",
    "visits",
    "emails_sent",
    "emails_opened",
    "purchases",
    "interactions",
    "seconds",
    "init_seconds",
)
"""Keys of the dict :func:`run_reference` returns, in order."""


class ReferenceRun:
    """The 90 days of ref-v1 on one world, scheduled by SimPy, one event per wave.

    Two processes share one :class:`simpy.Environment` whose time unit is the hour: the daily
    visit wave at hour ``24 d + 1`` and the weekly email wave at ``24 d + 2``.

    Parameters
    ----------
    world : ReferenceWorld
        Mutated by the run.
    n_threads : int
        Threads for the compiled kernels.
    impl : {"compiled", "numpy"}
        The compiled kernels or their NumPy twin.

    Attributes
    ----------
    totals : WaveTotals
        Accumulated over the waves run so far.
    log : list of (float, str, int)
        (SimPy time in hours, "visit" or "email", day) of every wave, in the order run.
    """

    def __init__(self, world: ReferenceWorld, n_threads: int = 1, impl: str = "compiled"):
        kernel_module(impl)  # fail (or import the compiled module) before the clock starts
        self.world = world
        self.n_threads = int(n_threads)
        self.impl = impl
        self.totals = WaveTotals()
        self.log: list[tuple[float, str, int]] = []
        self.env = simpy.Environment()
        self.env.process(self._visits())
        self.env.process(self._emails())

    def _at(self, day: int, hour: int):
        return self.env.timeout(24 * day + hour - self.env.now)

    def _visits(self):
        w = self.world
        for day in range(DAYS):
            yield self._at(day, VISIT_HOUR)
            self.log.append((self.env.now, "visit", day))
            self.totals.add(visit_wave(w.customers, w.catalog, day, w.visit_key(day), self.n_threads, self.impl))

    def _emails(self):
        w = self.world
        for day in range(EMAIL_WEEKDAY, DAYS, 7):
            yield self._at(day, EMAIL_HOUR)
            self.log.append((self.env.now, "email", day))
            self.totals.add(email_wave(w.customers, w.catalog, day, w.email_key(day), self.n_threads, self.impl))

    def run(self) -> None:
        """Run all waves (once)."""
        self.env.run()

    def outcomes(self) -> dict[str, float | int]:
        """The workload's outputs after the run (every key of ``RESULT_KEYS`` but the timings)."""
        c, t = self.world.customers, self.totals
        n = self.world.n
        return {
            "revenue": t.revenue,
            "mean_trust": float(c.trust.mean(dtype=np.float64)) if n else float("nan"),
            "churn_fraction": float(np.count_nonzero(c.churned)) / n if n else float("nan"),
            "visits": t.visits,
            "emails_sent": t.emails_sent,
            "emails_opened": t.emails_opened,
            "purchases": t.purchases,
            "interactions": t.visits + t.emails_sent,
        }


def run_reference(n: int, seed: int, threads: int = 1, impl: str = "engine") -> dict[str, Any]:
    """Build a world and run ref-v1 on it; the benchmarks' unit of work.

    Parameters
    ----------
    n : int
        Number of customers.
    seed : int
        The seed of the world and of every draw.
    threads : int
        Threads for the compiled kernels (ignored by the NumPy twin).
    impl : {"engine", "numpy"}
        SimPy waves calling the compiled kernels, or the same waves calling the NumPy twin.

    Returns
    -------
    dict
        Exactly the keys of ``RESULT_KEYS``: the outputs, ``seconds`` (wall time of the
        simulated work, ``env.run()``) and ``init_seconds`` (building the world).
    """
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    start = time.perf_counter()
    world = ReferenceWorld(n, seed)
    sim = ReferenceRun(world, threads, "compiled" if impl == "engine" else "numpy")
    init_seconds = time.perf_counter() - start
    start = time.perf_counter()
    sim.run()
    seconds = time.perf_counter() - start
    return {**sim.outcomes(), "seconds": seconds, "init_seconds": init_seconds}
