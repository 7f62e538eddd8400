"""A Scenario is everything built from one config; ``run()`` simulates it and returns the outcome.

Building draws the catalog and the population from their own random streams, so they are
identical for every strategy run with the same seed (common random numbers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.behavior import build_behaviors
from sim.catalog import Catalog, Category
from sim.config.schema import Config
from sim.config.validate import validate
from sim.customer import CustomerModel
from sim.engine import Engine
from sim.firm import FirmView, draw_firm_data
from sim.metrics import compute_metrics
from sim.population import Population, draw_channel_consent, draw_population
from sim.recorder import Recorder
from sim.rng import RandomStreams
from sim.strategies import Strategy, build_strategy

__all__ = ["Scenario", "RunResult"]


@dataclass
class RunResult:
    """The outcome of one run.

    Attributes
    ----------
    metrics : dict   the scalar outcomes written to metrics.json
    daily : list[dict]   one row per day (columns: sim.recorder.DAILY_COLUMNS)
    journeys : list[dict]   the recorded customers' touches
    segments : list[dict]   per-segment breakdown
    wave_log : list[tuple[float, str, str, int]]   (hour, channel, campaign, touches) of every wave
    """

    metrics: dict[str, Any]
    daily: list[dict[str, float]]
    journeys: list[dict]
    segments: list[dict]
    wave_log: list[tuple[float, str, str, int]] = field(default_factory=list)


class Scenario:
    """One configured run.

    Parameters
    ----------
    config : Config
        A validated config (plain dataclasses, see :mod:`sim.config.schema`).
    behaviors : list of sim.behavior.Behavior, optional
        Behavior objects to use instead of building ``config.behaviors`` (for tests and
        :func:`sim.testing.check_behavior`).
    """

    def __init__(self, config: Config, behaviors: list | None = None):
        start = time.perf_counter()
        self.config = validate(config)
        self.threads = config.threads
        self.impl = config.impl
        self.streams = RandomStreams(config.seed)
        cc = config.catalog
        self.catalog = Catalog(
            [
                Category(
                    c.name,
                    c.kind,
                    c.cycle_days,
                    c.sensitivity,
                    c.share,
                    c.price_median,
                    c.price_sigma,
                    c.margin_rate,
                    tuple(c.item_names),
                )
                for c in cc.categories
            ],
            cc.items,
            cc.features,
            cc.category_spread,
            self.streams.generator("catalog"),
        )
        p = config.population
        self.population: Population = draw_population(
            p.size, cc.features, p.segments, self.streams.generator("population")
        )
        draw_channel_consent(self.population, p.segments, self.streams.generator("population.consent"))
        shares = np.array([s.stated_share for s in p.segments])[self.population.segment]
        f = config.firm
        data = draw_firm_data(
            self.population,
            self.catalog,
            shares,
            f.inference_accuracy,
            f.offsite_coverage,
            f.offsite_accuracy,
            self.streams.generator("firm.data"),
        )
        self.firm = FirmView(self.population, self.catalog, self.streams.generator("firm"), data, f.editorial_picks)
        self.strategy: Strategy = build_strategy(config.strategy)
        if behaviors is None:
            behaviors = build_behaviors(config.behaviors)
        self.customer = CustomerModel(config.customer, behaviors)
        self.population.add_fields(self.customer.declared_fields())
        for behavior in self.customer.behaviors:
            behavior.setup(self.population, self.streams.generator(behavior.stream))
        n_journeys = min(config.output.journeys, p.size)
        journey_customers = np.sort(self.streams.generator("journeys").choice(p.size, n_journeys, replace=False))
        self.recorder = Recorder(
            self.population, self.catalog, journey_customers, self.threads, [s.name for s in p.segments]
        )
        self.init_seconds = time.perf_counter() - start

    def run(self, progress: Callable[[int, int], None] | None = None) -> RunResult:
        """Simulate to the horizon and compute the outcome."""
        engine = Engine(self, progress)
        sim_seconds = engine.run()
        metrics, segments = compute_metrics(self, sim_seconds, engine.state_bytes_per_customer)
        journeys = list(self.recorder.journeys.values())
        pop = self.population
        for j in journeys:
            i = j["customer"]
            j["trust_end"] = round(float(pop.trust[i]), 3)
            j["churned"] = not bool(pop.active[i])
        return RunResult(metrics, self.recorder.rows, journeys, segments, engine.wave_log)
