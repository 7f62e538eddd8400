"""The SimPy engine: processes that emit waves, each wave one pass of compiled code over a cohort.

Time is in hours.  The processes of a run:

* the **day clock** at 00:00 of every day: the customers' day hooks (recovery, churn), the
  daily (and on days 0, 7, 14, ... weekly) contact counters and the recorder's day boundary;
  its events are URGENT, so at equal times it always runs before any wave;
* **organic visits** once a day at ``campaign.visit_hour``: the day's visitors are one onsite
  wave;
* one process per **scheduled campaign** (``campaign.scheduled``): at each send time, the
  audience is one email or push wave;
* **triggered campaigns** (``campaign.triggers``): one short process per (trigger, dispatch
  bucket) that a wave could have armed; the customers due in that bucket are one wave;
* **retargeting** (``campaign.retargeting``): at the configured hours of every day, the
  recent visitors who meet an ad slot are one ads wave.

Every outbound wave passes the contact policy (consent, caps, quiet hours) first.  Waves
happen at times fixed by the plan and by earlier waves' times, never by how many customers
there are, so the number of SimPy events does not depend on N.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
import simpy
from simpy.core import URGENT

from sim.campaigns.book import ContactBook
from sim.campaigns.policy import ContactPolicy
from sim.campaigns.retargeting import Retargeting
from sim.campaigns.scheduled import audience_mask, send_times
from sim.campaigns.triggers import TriggerBook
from sim.checks import RunChecks
from sim.codes import ADS, CHANNELS, ONSITE, channel_code
from sim.core.kernels import check_indices
from sim.customer import DayContext, WaveContext
from sim.memory import state_array
from sim.strategies import build_strategy
from sim.strategies.named import load_strategy_config
from sim.timing import HOURS_PER_DAY, hours_of
from sim.touch import TouchBatch

__all__ = ["Engine", "wait_urgent", "terminal_progress"]


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

    Attributes
    ----------
    wave_log : list of (hour, channel name, campaign name, touches)
        Every wave of the run, in order.
    """

    def __init__(self, scenario, progress: Callable[[int, int], None] | None = None):
        self.s = scenario
        self.env = simpy.Environment()
        self.progress = progress
        self.wave_log: list[tuple[float, str, str, int]] = []
        n = scenario.population.n
        plan = scenario.config.campaign
        self._churned = state_array(n, np.uint8)
        self._visit_buffer = state_array(n, np.int64)  # the visitors kernel's scratch
        self._active_count: int | None = None  # after today's churn, when the day kernel counted it
        self.horizon_hours = scenario.config.horizon_days * HOURS_PER_DAY
        self.book = ContactBook(n)
        self.policy = ContactPolicy(
            plan.limits, scenario.population, scenario.recorder.count, scenario.impl, scenario.threads
        )
        self._segment_names = [seg.name for seg in scenario.config.population.segments]
        # Each campaign gets a wave number, so two campaigns at the same hour on one channel
        # draw independent noise.  Scheduled campaigns come first: the first one is wave 0.
        self.scheduled = [(name, c) for name, c in plan.scheduled.items() if c.enabled]
        self.triggers = [(name, t) for name, t in plan.triggers.items() if t.enabled]
        self._trigger_wave0 = len(self.scheduled)
        self._strategies = {"": scenario.strategy}
        for _, c in self.scheduled + self.triggers:
            if c.strategy and c.strategy not in self._strategies:
                self._strategies[c.strategy] = build_strategy(load_strategy_config(c.strategy))
        self.trigger_book = TriggerBook(
            [t for _, t in self.triggers], n, hours_of(plan.dispatch_bucket), scenario.catalog, self._schedule_dispatch
        )
        self._dispatches: set[tuple[int, int]] = set()
        # What this run's kernel calls may skip checking (see sim.checks).
        self.checks = RunChecks(builtin_customer=scenario.impl == "compiled" and not scenario.customer.behaviors)
        r = plan.retargeting
        self.retargeting = (
            Retargeting(r, scenario.strategy.config.retarget_stop_after_purchase, self.book, scenario.streams)
            if r.enabled
            else None
        )

    @property
    def state_bytes_per_customer(self) -> int:
        """Bytes per customer of the campaign system's own arrays."""
        return self.book.nbytes_per_customer + self.trigger_book.nbytes_per_customer

    # ------------------------------------------------------------------ processes
    def day_clock(self):
        s = self.s
        pop = s.population
        for day in range(s.config.horizon_days):
            yield wait_urgent(self.env, day * HOURS_PER_DAY - self.env.now)
            s.recorder.end_day(self._active_count)
            if self.progress is not None:
                self.progress(day, s.config.horizon_days)
            self.policy.new_day(day, counters_written_elsewhere=bool(s.customer.behaviors))
            ctx = DayContext(pop, day, s.streams, s.threads, s.impl, self._churned)
            s.customer.on_day(ctx)
            self._active_count = ctx.active_count
            s.recorder.start_day(day, self._churned, ctx.churned_count)

    def organic_visits(self):
        s = self.s
        hour = s.config.campaign.visit_hour
        for day in range(s.config.horizon_days):
            yield self.env.timeout(day * HOURS_PER_DAY + hour - self.env.now)
            # The wave is done with its customers before tomorrow's visitors overwrite the
            # buffer; a wave of built-in code only keeps no reference to them after it ends.
            cohort = s.customer.visitors(
                s.population,
                day,
                s.streams,
                s.threads,
                s.impl,
                self._visit_buffer,
                copy=not self.checks.sealed(s.strategy),
            )
            self.run_wave(ONSITE, cohort, wave=0, campaign="visits", cohort_in_range=True)

    def scheduled_campaign(self, wave: int, name: str, c):
        """Send campaign ``c`` at each of its send times (deferred or dropped in quiet hours)."""
        channel = channel_code(c.channel)
        for t in send_times(c, self.horizon_hours):
            if t < self.env.now:
                continue  # fell inside the quiet spell a deferred send just covered: merged into it
            yield self.env.timeout(t - self.env.now)
            if self.policy.is_quiet(channel, t):
                audience = self._audience(c, channel, t)
                if not self.policy.defers(channel):
                    self.s.recorder.count(channel, "dropped_by_quiet_hours", len(audience))
                    continue
                self.s.recorder.count(channel, "deferred_by_quiet_hours", len(audience))
                later = self.policy.next_open(channel, t)
                if later >= self.horizon_hours:
                    continue
                yield self.env.timeout(later - self.env.now)
            # The audience and the caps in one pass: the same as send(channel, _audience(...)).
            cohort = self.policy.admit_reachable(channel, self._audience_mask(c, int(self.env.now)))
            self.run_wave(channel, cohort, wave=wave, campaign=name, strategy=c.strategy, cohort_in_range=True)

    def _audience(self, c, channel: int, now: int) -> np.ndarray:
        """int64 (k,): who campaign ``c`` reaches at hour ``now`` (consent and activity included)."""
        return self.policy.reachable_customers(channel, self._audience_mask(c, now))

    def _audience_mask(self, c, now: int) -> np.ndarray | None:
        """bool (N,): whom campaign ``c`` is for at hour ``now``, or None for everyone."""
        return audience_mask(c, now, self.s.population, self.book, self._segment_names)

    def _schedule_dispatch(self, t: int, bucket: int) -> None:
        """Make sure trigger ``t`` dispatches at hour ``bucket`` (once per distinct pair)."""
        if bucket < self.horizon_hours and (t, bucket) not in self._dispatches:
            self._dispatches.add((t, bucket))
            self.env.process(self.dispatch(t, bucket))

    def dispatch(self, t: int, bucket: int):
        """One bucket of trigger ``t``: the customers due now are one wave."""
        yield self.env.timeout(bucket - self.env.now)
        name, trig = self.triggers[t]
        channel = channel_code(trig.channel)
        due = self.trigger_book.take(t, bucket)
        if self.policy.is_quiet(channel, bucket):
            due = self.policy.reachable(channel, due)
            if self.policy.defers(channel):
                self.s.recorder.count(channel, "deferred_by_quiet_hours", len(due))
                self.trigger_book.defer(t, due, self.trigger_book.bucket_of(self.policy.next_open(channel, bucket)))
            else:
                self.s.recorder.count(channel, "dropped_by_quiet_hours", len(due))
            return
        self.send(
            channel,
            self.policy.reachable(channel, due),
            wave=self._trigger_wave0 + t,
            campaign=name,
            strategy=trig.strategy,
        )

    def retargeting_ads(self):
        """At each ad hour of every day, recent visitors who meet an ad slot see one ad."""
        r = self.retargeting
        hours = sorted(self.s.config.campaign.retargeting.hours)
        wave = self._trigger_wave0 + len(self.triggers)
        for day in range(self.s.config.horizon_days):
            for hour in hours:
                now = day * HOURS_PER_DAY + hour
                yield self.env.timeout(now - self.env.now)
                cohort = r.candidates(now, self.policy.reachable_mask(ADS))
                if self.policy.is_quiet(ADS, now):
                    # An ad opportunity cannot wait: inside quiet hours it is lost.
                    self.s.recorder.count(ADS, "dropped_by_quiet_hours", len(cohort))
                    continue
                batch = self.send(ADS, cohort, wave=wave, campaign="retargeting", strategy="")
                if len(batch):
                    # An ad clicked, or noticed soon after a visit, brings the customer back to
                    # the site now: a visit like any other (browsing, the site's slates, a
                    # purchase or not), on the wave number after the ads'.
                    since_visit = (now - self.book.last_visit[batch.cust]) / HOURS_PER_DAY
                    ctx = WaveContext(self.s.population, self.s.catalog, batch, self._strategies[""], self.s.streams,
                                      self.s.threads, self.s.impl)  # fmt: skip
                    back = self.s.customer.return_visitors(ctx, since_visit)
                    self.run_wave(ONSITE, back, wave=wave + 1, campaign="ad_visits")

    # ------------------------------------------------------------------ waves
    def send(self, channel: int, reachable: np.ndarray, *, wave: int, campaign: str, strategy: str) -> TouchBatch:
        """Contact the customers of ``reachable`` (int64, ascending) who are under every cap."""
        cohort = self.policy.admit(channel, reachable)
        return self.run_wave(channel, cohort, wave=wave, campaign=campaign, strategy=strategy)

    def run_wave(
        self,
        channel: int,
        cohort: np.ndarray,
        *,
        wave: int = 0,
        campaign: str = "",
        strategy: str = "",
        cohort_in_range: bool = False,
    ) -> TouchBatch:
        """One wave: expose, fill slates, respond, let the firm learn, record, note the timing.

        ``cohort_in_range``: the cohort comes from a compiled selection over the population
        (the day's visitors, a scheduled audience), so its indices are in range by
        construction and, after the first wave of its kind, not scanned again.
        """
        s = self.s
        strat = self._strategies[strategy]
        now = int(self.env.now)
        batch = TouchBatch(
            channel,
            now // HOURS_PER_DAY,
            now % HOURS_PER_DAY,
            cohort,
            strat.slate_size,
            wave,
            written=self.checks.written(channel, strat),
        )
        batch.campaign = campaign
        if channel in getattr(strat, "channels", ()):
            batch.slot_sources = list(strat.config.slots)
        self.wave_log.append((self.env.now, CHANNELS[channel], campaign, len(batch)))
        if len(batch) == 0:
            # Nobody to touch (e.g. an hour with no due trigger): no work, but the trigger
            # buckets this wave could have armed are still scheduled (events never depend on N).
            if self.triggers:
                self.trigger_book.after_wave(batch, now)
            return batch
        if self.checks.begin_wave(batch, strat, strategy) and (batch.checked or not cohort_in_range):
            # A sealed wave's customers, checked here once for all its kernels (and, when they
            # come from the engine's own compiled selections, only at its kind's first wave).
            check_indices(f"wave on day {batch.day} (cust)", batch.cust, s.population.n, s.threads)
        ctx = WaveContext(s.population, s.catalog, batch, strat, s.streams, s.threads, s.impl)
        s.recorder.before_wave(batch)
        s.customer.expose(ctx)
        strat.fill(batch, s.firm, s.streams.wave_key(f"strategy.{strat.name}", ctx.tick), s.threads, s.impl)
        if channel == ADS and self.retargeting is not None:
            self.retargeting.decay_specificity(batch, now, s.firm.popular(strat.slate_size))
        s.customer.respond(ctx)
        c = strat.config
        s.firm.observe(
            batch, w_view=c.learn_view, w_click=c.learn_click, w_buy=c.learn_buy, threads=s.threads, impl=s.impl
        )
        s.recorder.record_wave(batch)
        self.book.note_wave(batch, now, s.threads)
        if self.triggers:
            self.trigger_book.after_wave(batch, now)
        return batch

    def run(self) -> float:
        """Run to the horizon; returns the wall seconds of the simulation itself."""
        env = self.env
        self.s.customer.start_run(self.s.population, self.checks)
        env.process(self.day_clock())
        env.process(self.organic_visits())
        for wave, (name, c) in enumerate(self.scheduled):
            env.process(self.scheduled_campaign(wave, name, c))
        if self.triggers:
            self.trigger_book.start()
        if self.retargeting is not None:
            env.process(self.retargeting_ads())
        start = time.perf_counter()
        env.run(until=self.horizon_hours)
        self.s.recorder.end_day(self._active_count)
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
