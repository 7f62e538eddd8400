"""Customer equity: what the customer base a run leaves behind is still worth.

A strategy that earns this year by burning subscribers and trust leaves a poorer customer base.
Revenue and margin up to the horizon do not see that; ``customer_equity`` does, and
``value = margin + customer_equity`` is the outcome sweeps rank by.

Method (a tail simulation on common random numbers).  The run's end state is continued for
``value.tail_days`` under a **reference plan that is the same for every run**: organic visits,
a newsletter every ``value.tail_email_cadence`` to the customers who still consent to email,
slates filled by ``value.tail_strategy`` (best sellers by default).  Every customer carries
over as the run left it: active or churned, trust, fatigue, consent per channel, purchase
history, and the firm's estimates.  The tail's margin of day ``d`` (0 = the day after the
horizon) is discounted by ``(1 + value.discount_rate_annual) ** -((d + 1) / 365)`` and summed:
that is the customer equity.  Differences between strategies therefore come only from the
state they left, not from how they would go on.

To keep it cheap the tail follows a sample of ``value.sample_share`` of the customers, but at
least ``value.sample_min`` (chosen from the seed alone, so the same customers for every
strategy of a seed), and scales its margin up by the population over the sample; with a
behavior configured it follows every customer, since a behavior's state may link customers
to each other.  Its random draws come from the seed's own
``tail.`` streams (:class:`sim.rng.RandomStreams`), independent of the run's and the same for
every strategy of that seed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np

from sim.codes import NO_DAY
from sim.config.schema import CampaignConfig, Config, ScheduledCampaignConfig
from sim.core.twins.random import mix64
from sim.firm import FirmView
from sim.rng import RandomStreams

__all__ = ["Equity", "customer_equity", "tail_sample", "tail_config", "discount_factors"]

DAYS_PER_YEAR = 365.0


@dataclass
class Equity:
    """A run's customer equity.

    Attributes
    ----------
    total : float          discounted tail margin, scaled to the whole population (currency)
    by_segment : float64 (S,)   the same per segment
    sample : int            customers whose tail was simulated
    tail_days : int
    seconds : float         wall seconds of the tail simulation
    """

    total: float
    by_segment: np.ndarray
    sample: int
    tail_days: int
    seconds: float


def discount_factors(days: int, rate_annual: float) -> np.ndarray:
    """float64 (days,): the discount of each tail day's margin, (1 + r) ** -((d + 1) / 365)."""
    d = np.arange(1, days + 1, dtype=np.float64)
    return (1.0 + rate_annual) ** (-d / DAYS_PER_YEAR)


def tail_sample(seed: int, n: int, share: float) -> np.ndarray:
    """int64 (k,): the customers whose tail is simulated, ascending; the same for every run of
    ``seed`` (a hash of seed and customer below ``share``), all of them when share is 1."""
    if share >= 1.0:
        return np.arange(n, dtype=np.int64)
    ids = np.arange(n, dtype=np.uint64)
    bits = mix64(mix64(np.uint64(seed) ^ np.uint64(0x7A11_5A3B_1E5E_ED00)) ^ ids)
    u = (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
    return np.flatnonzero(u < share).astype(np.int64)


def tail_config(config: Config, customers: int) -> Config:
    """The config of a run's tail: the reference plan for ``value.tail_days`` days over
    ``customers`` customers, the run's customer model and catalog."""
    from sim.strategies.named import load_strategy_config

    v = config.value
    scheduled = {}
    if v.tail_email_cadence.strip():
        scheduled["newsletter"] = ScheduledCampaignConfig(channel="email", cadence=v.tail_email_cadence, send_hour=10)
    plan = CampaignConfig(name="tail", visit_hour=config.campaign.visit_hour, scheduled=scheduled)
    return replace(
        config,
        horizon_days=v.tail_days,
        population=replace(config.population, size=customers),
        strategy=load_strategy_config(v.tail_strategy),
        campaign=plan,
        output=replace(config.output, journeys=0),
    )


def _continued_state(scenario, sample: np.ndarray):
    """The run's end state restricted to ``sample``, with days counted from the tail's start."""
    from sim.scenario import ScenarioState

    pop = scenario.population.subset(sample)
    horizon = scenario.config.horizon_days
    for days in (pop.hist_day,):
        filled = days != NO_DAY
        days[filled] = (days[filled].astype(np.int32) - horizon).astype(np.int16)
    firm = FirmView.subset(scenario.firm, pop, sample)
    filled = firm.last_view_day != NO_DAY
    firm.last_view_day[filled] = (firm.last_view_day[filled].astype(np.int32) - horizon).astype(np.int16)
    streams = RandomStreams(scenario.config.seed, prefix="tail.")
    return ScenarioState(streams, scenario.catalog, pop, firm)


def customer_equity(scenario) -> Equity:
    """Simulate the tail of a finished run and discount its margin (see the module docstring)."""
    import time

    from sim.scenario import Scenario

    cfg = scenario.config
    v = cfg.value
    n_segments = len(cfg.population.segments)
    if v.tail_days == 0:
        return Equity(0.0, np.zeros(n_segments), 0, 0, 0.0)
    start = time.perf_counter()
    n = scenario.population.n
    share = 1.0 if scenario.customer.behaviors else max(v.sample_share, min(1.0, v.sample_min / max(n, 1)))
    sample = tail_sample(cfg.seed, n, share)
    if sample.size == 0:
        return Equity(0.0, np.zeros(n_segments), 0, v.tail_days, time.perf_counter() - start)
    behaviors = [copy.deepcopy(b) for b in scenario.customer.behaviors]
    tail = Scenario(tail_config(cfg, int(sample.size)), behaviors=behaviors, state=_continued_state(scenario, sample))
    tail.recorder.track_value(discount_factors(v.tail_days, v.discount_rate_annual))
    tail.run(metrics=False)
    scale = n / sample.size
    values = tail.recorder.customer_value
    segments = tail.population.segment.astype(np.int64)
    by_segment = np.bincount(segments, weights=values, minlength=n_segments) * scale
    # Summed per segment first, then over segments: the same total on any thread count.
    return Equity(float(by_segment.sum()), by_segment, int(sample.size), v.tail_days, time.perf_counter() - start)
