"""A Scenario is everything built from one config; ``run()`` simulates it and returns the outcome.

Building draws the catalog and the population from their own random streams, so they are
identical for every strategy run with the same seed (common random numbers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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
from sim.value import customer_equity

__all__ = ["Scenario", "RunResult", "ScenarioState"]


class ScenarioState(NamedTuple):
    """A scenario's world, made elsewhere (a run's end state continued by :mod:`sim.value`):
    its random streams, catalog, population (with every behavior's fields) and firm."""

    streams: RandomStreams
    catalog: Catalog
    population: Population
    firm: FirmView


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
    state : ScenarioState, optional
        A world to continue instead of drawing one from the seed (its population already
        holds the behaviors' fields; they are not set up again).
    """

    def __init__(self, config: Config, behaviors: list | None = None, state: ScenarioState | None = None):
        start = time.perf_counter()
        self.config = validate(config)
        self.threads = config.threads
        self.impl = config.impl
        if state is None:
            self.streams = RandomStreams(config.seed)
            self.catalog, self.population, self.firm = self._draw(config)
        else:
            self.streams, self.catalog, self.population, self.firm = state
        self.strategy: Strategy = build_strategy(config.strategy)
        if behaviors is None:
            behaviors = build_behaviors(config.behaviors)
        self.customer = CustomerModel(config.customer, behaviors)
        if state is None:
            self.population.add_fields(self.customer.declared_fields())
            for behavior in self.customer.behaviors:
                behavior.setup(self.population, self.streams.generator(behavior.stream))
        n = self.population.n
        n_journeys = min(config.output.journeys, n)
        journey_customers = np.sort(self.streams.generator("journeys").choice(n, n_journeys, replace=False))
        segment_names = [s.name for s in config.population.segments]
        self.recorder = Recorder(
            self.population,
            self.catalog,
            journey_customers,
            self.threads,
            segment_names,
            cost_per_mille=config.campaign.retargeting.cost_per_mille,
        )
        self.init_seconds = time.perf_counter() - start

    def _draw(self, config: Config) -> tuple[Catalog, Population, FirmView]:
        """The catalog, the population and the firm's view of it, each from its own stream."""
        cc = config.catalog
        catalog = Catalog(
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
        population = draw_population(p.size, cc.features, p.segments, self.streams.generator("population"))
        draw_channel_consent(population, p.segments, self.streams.generator("population.consent"))
        shares = np.array([s.stated_share for s in p.segments])[population.segment]
        f = config.firm
        data = draw_firm_data(
            population,
            catalog,
            shares,
            f.inference_accuracy,
            f.offsite_coverage,
            f.offsite_accuracy,
            self.streams.generator("firm.data"),
        )
        firm = FirmView(population, catalog, self.streams.generator("firm"), data, f.editorial_picks)
        return catalog, population, firm

    def run(self, progress: Callable[[int, int], None] | None = None, metrics: bool = True) -> RunResult:
        """Simulate to the horizon and compute the outcome: the metrics (with the customer
        equity of what the run leaves, :mod:`sim.value`), the daily series, the journeys and
        the segments.  ``metrics=False`` (a customer-equity tail) stops after the simulation:
        only the daily series and the wave log are filled in."""
        engine = Engine(self, progress)
        sim_seconds = engine.run()
        if not metrics:
            return RunResult({}, self.recorder.rows, [], [], engine.wave_log)
        equity = customer_equity(self)
        metrics, segments = compute_metrics(self, sim_seconds, engine.state_bytes_per_customer, equity)
        journeys = list(self.recorder.journeys.values())
        pop = self.population
        for j in journeys:
            i = j["customer"]
            j["trust_end"] = round(float(pop.trust[i]), 3)
            j["churned"] = not bool(pop.active[i])
        return RunResult(metrics, self.recorder.rows, journeys, segments, engine.wave_log)
