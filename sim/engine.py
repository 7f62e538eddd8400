"""The SimPy engine: processes that emit waves, each wave one pass of compiled code over a cohort.

Time is in hours.  Three processes drive a run:

* the **day clock** at 00:00 of every day: the customers' day hooks (recovery, churn) and
  the recorder's day boundary; its events are URGENT, so at equal times it always runs before
  any wave;
* **organic visits** once a day at ``campaign.visit_hour``: the day's visitors are one onsite
  wave;
* the **email campaign** at ``send_hour`` every ``cadence_days`` from ``first_day``: everyone
  who consents to email and has not reached the weekly cap is one email wave.

The number of SimPy events grows with days and campaigns, never with customers.
"""

from __future__ import annotations

import sys
import time
from typing import Callable

import numpy as np
import simpy
from simpy.core import URGENT

from sim.codes import CHANNELS, EMAIL, ONSITE
from sim.customer import DayContext, WaveContext
from sim.touch import TouchBatch

__all__ = ["Engine", "wait_urgent"]

HOURS_PER_DAY = 24


def wait_urgent(env: simpy.Environment, delay: float) -> simpy.Event:
    """A timeout that fires before every ordinary event scheduled for the same time."""
    event = simpy.Event(env)
    event._ok = True
    event._value = None
    env.schedule(event, URGENT, delay)
    return event


class Engine:
    """Runs one scenario's processes and waves.

    Parameters
    ----------
    scenario : sim.scenario.Scenario
        The built object graph (population, catalog, firm, strategy, customer model,
        recorder, config).
    progress : callable(day, horizon) or None
        Called at the start of every day.
    """

    def __init__(self, scenario, progress: Callable[[int, int], None] | None = None):
        self.s = scenario
        self.env = simpy.Environment()
        self.progress = progress
        self.wave_log: list[tuple[float, str, int]] = []   # (time in hours, channel, touches)
        n = scenario.population.n
        self._churned = np.zeros(n, dtype=np.uint8)
        self._visit_buffer = np.zeros(n, dtype=np.uint8)
        self.horizon_hours = scenario.config.horizon_days * HOURS_PER_DAY

    # ------------------------------------------------------------------ processes
    def day_clock(self):
        s = self.s
        for day in range(s.config.horizon_days):
            yield wait_urgent(self.env, day * HOURS_PER_DAY - self.env.now)
            s.recorder.end_day()
            if self.progress is not None:
                self.progress(day, s.config.horizon_days)
            if day % 7 == 0:
                s.population.sent_this_week[:] = 0   # frequency caps count calendar weeks
            s.customer.on_day(DayContext(s.population, day, s.streams, s.threads, s.impl, self._churned))
            s.recorder.start_day(day, self._churned)

    def organic_visits(self):
        s = self.s
        hour = s.config.campaign.visit_hour
        for day in range(s.config.horizon_days):
            yield self.env.timeout(day * HOURS_PER_DAY + hour - self.env.now)
            cohort = s.customer.visitors(s.population, day, s.streams, s.threads, s.impl, self._visit_buffer)
            self.run_wave(ONSITE, cohort)

    def email_campaign(self):
        s = self.s
        email = s.config.campaign.email
        t = email.first_day * HOURS_PER_DAY + email.send_hour
        cadence = int(round(email.cadence_days * HOURS_PER_DAY))
        while t < self.horizon_hours:
            yield self.env.timeout(t - self.env.now)
            pop = s.population
            consenting = (pop.consent & (1 << EMAIL)).astype(bool)
            if email.cap_per_week > 0:
                under_cap = pop.sent_this_week[:, EMAIL] < email.cap_per_week
                s.recorder.suppressed_by_cap(EMAIL, int(np.count_nonzero(consenting & ~under_cap)))
                consenting &= under_cap
            audience = np.flatnonzero(consenting).astype(np.int64)
            pop.sent_this_week[audience, EMAIL] += 1
            self.run_wave(EMAIL, audience)
            t += cadence

    # ------------------------------------------------------------------ waves
    def run_wave(self, channel: int, cohort: np.ndarray) -> TouchBatch:
        """One wave: expose, fill slates, respond, let the firm learn, record."""
        s = self.s
        now = int(self.env.now)
        batch = TouchBatch(channel, now // HOURS_PER_DAY, now % HOURS_PER_DAY, cohort,
                           s.strategy.slate_size)
        self.wave_log.append((self.env.now, CHANNELS[channel], len(batch)))
        ctx = WaveContext(s.population, s.catalog, batch, s.strategy, s.streams, s.threads, s.impl)
        s.recorder.before_wave(batch)
        s.customer.expose(ctx)
        s.strategy.fill(batch, s.firm, s.streams.wave_key(f"strategy.{s.strategy.name}", ctx.tick),
                        s.threads, s.impl)
        s.customer.respond(ctx)
        c = s.strategy.config
        s.firm.observe(batch, w_view=c.learn_view, w_click=c.learn_click, w_buy=c.learn_buy,
                       threads=s.threads, impl=s.impl)
        s.recorder.record_wave(batch)
        return batch

    def run(self) -> float:
        """Run to the horizon; returns the wall seconds of the simulation itself."""
        self.env.process(self.day_clock())
        self.env.process(self.organic_visits())
        if self.s.config.campaign.email.enabled:
            self.env.process(self.email_campaign())
        start = time.perf_counter()
        self.env.run(until=self.horizon_hours)
        self.s.recorder.end_day()
        return time.perf_counter() - start


def terminal_progress(stream=sys.stderr) -> Callable[[int, int], None]:
    """A one-line progress display: simulated day, share done and time left."""
    start = time.perf_counter()

    def show(day: int, horizon: int) -> None:
        if day % 5 and day != horizon - 1:
            return
        elapsed = time.perf_counter() - start
        left = elapsed / day * (horizon - day) if day else float("nan")
        left_s = f"{left:5.0f}s left" if day else "       "
        stream.write(f"\rday {day + 1:>5}/{horizon}  {100 * (day + 1) / horizon:5.1f}%  {left_s}")
        if day == horizon - 1:
            stream.write("\n")
        stream.flush()

    return show
