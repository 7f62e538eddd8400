"""The customer model: an ordered pipeline of stages over a wave's touches.

Each built-in stage is a small class that calls one compiled kernel (or its NumPy twin when
``impl="numpy"``) with its own parameters and its own random stream.  Stages run in three
places:

* ``on_day`` at the start of every simulated day (recovery, churn),
* ``expose`` before the strategy fills the slates (a visitor browses, an email is opened),
* ``respond`` after it (perception, creepiness, engagement, trust, fatigue, opt-out).

The per-touch results live in the :class:`~sim.touch.TouchBatch`; the per-customer state in
the :class:`~sim.population.Population`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.codes import CHANNELS, EMAIL, ONSITE
from sim.config.schema import CustomerConfig
from sim.core.kernels import call
from sim.population import Population
from sim.rng import RandomStreams
from sim.touch import TouchBatch

__all__ = ["CustomerModel", "WaveContext", "DayContext"]


@dataclass
class WaveContext:
    """Everything a stage may use during a wave.  Stages mutate ``pop`` and ``batch`` only."""

    pop: Population
    catalog: object
    batch: TouchBatch
    strategy: object
    streams: RandomStreams
    threads: int
    impl: str

    @property
    def tick(self) -> int:
        """A wave's identity for random keys: hour of the run and channel."""
        return (self.batch.day * 24 + self.batch.hour) * 8 + self.batch.channel


@dataclass
class DayContext:
    """Everything a stage may use at the start of a day."""

    pop: Population
    day: int
    streams: RandomStreams
    threads: int
    impl: str
    churned: np.ndarray          # uint8 (N,), OUT: 1 where the customer churned today


def _weights(w) -> np.ndarray:
    return np.array([getattr(w, c) for c in CHANNELS], dtype=np.float64)


class CustomerModel:
    """The built-in customer stages, configured by a :class:`CustomerConfig`."""

    def __init__(self, config: CustomerConfig):
        self.config = config
        c = config
        half_lives = _weights(c.fatigue.half_life_days)
        self.fatigue_decay = np.ascontiguousarray(0.5 ** (1.0 / half_lives))
        self.fatigue_cost = _weights(c.fatigue.cost)
        self.relax = 1.0 - 0.5 ** (1.0 / c.trust.relax_half_life_days)
        self.intrusiveness = np.array(
            [getattr(c.creepiness.intrusiveness, b) for b in ("none", "stated", "onsite", "inferred", "offsite")],
            dtype=np.float64)
        self.obtrusiveness = _weights(c.creepiness.obtrusiveness)

    # ------------------------------------------------------------------ day hooks
    def on_day(self, ctx: DayContext) -> None:
        """Recovery (trust relaxes, fatigue decays) then churn; a churned customer's consent ends."""
        pop = ctx.pop
        if ctx.day > 0:
            call("relax_and_decay", ctx.impl, active=pop.active, trust=pop.trust, trust_base=pop.trust_base,
                 fatigue=pop.fatigue, relax=self.relax, decay=self.fatigue_decay, n_threads=ctx.threads)
        ch = self.config.churn
        call("churn_day", ctx.impl, active=pop.active, trust=pop.trust, churned=ctx.churned,
             hazard_max=ch.hazard_max, trust_mid=ch.trust_mid, slope=ch.slope,
             key=ctx.streams.wave_key("customer.churn", ctx.day), n_threads=ctx.threads)
        pop.consent[ctx.churned.view(bool)] = 0

    def visitors(self, pop: Population, day: int, streams: RandomStreams, threads: int, impl: str,
                 buffer: np.ndarray) -> np.ndarray:
        """int64 (k,): the customers who visit the site today, ascending."""
        call("select_visitors", impl, active=pop.active, trust=pop.trust, visit_rate=pop.visit_rate,
             visits=buffer, trust_slope=self.config.visits.trust_slope,
             key=streams.wave_key("customer.visit", day), n_threads=threads)
        return np.flatnonzero(buffer).astype(np.int64)

    # ------------------------------------------------------------------ wave stages
    def expose(self, ctx: WaveContext) -> None:
        """Onsite: the visitor browses on its own.  Email: is it opened?"""
        b, pop = ctx.batch, ctx.pop
        if b.channel == ONSITE:
            b.exposed[:] = 1
            call("browse", ctx.impl, cust=b.cust, pref=pop.pref, item_feat=ctx.catalog.features,
                 viewed=b.viewed, viewed_rel=b.viewed_rel, n_look=self.config.visits.browse_items,
                 key=ctx.streams.wave_key("customer.browse", ctx.tick), n_threads=ctx.threads)
        else:
            e = self.config.email_exposure
            call("expose", ctx.impl, cust=b.cust, trust=pop.trust, fatigue=pop.fatigue, exposed=b.exposed,
                 channel=b.channel, base_rate=e.base_rate, trust_elasticity=e.trust_elasticity,
                 fatigue_k=e.fatigue_k, key=ctx.streams.wave_key("customer.expose", ctx.tick),
                 n_threads=ctx.threads)

    def respond(self, ctx: WaveContext) -> None:
        """Perception, creepiness, engagement, trust, fatigue and opt-out, in that order."""
        b, pop, cat, c = ctx.batch, ctx.pop, ctx.catalog, self.config
        r = c.relevance
        call("perceive", ctx.impl, cust=b.cust, exposed=b.exposed, slate=b.slate, pref=pop.pref,
             item_feat=cat.features, item_cat=cat.category, item_durable=cat.durable, item_cycle=cat.cycle,
             hist_item=pop.hist_item, hist_day=pop.hist_day, rel=b.rel, best=b.best, persofail=b.persofail,
             day=b.day, persofail_window=r.persofail_window_days, persofail_relevance=r.persofail_relevance,
             replenish_lo=r.replenish_lo, replenish_hi=r.replenish_hi, replenish_boost=r.replenish_boost,
             n_threads=ctx.threads)
        cr, s = c.creepiness, ctx.strategy
        relief = (1.0 - cr.explanation_relief * s.explained) * (1.0 - cr.control_relief * s.control)
        call("creep", ctx.impl, cust=b.cust, exposed=b.exposed, slate=b.slate, basis=b.basis,
             item_sensitivity=cat.sensitivity, privacy=pop.privacy, intrusiveness=self.intrusiveness,
             creepy=b.creepy, obtrusiveness=float(self.obtrusiveness[b.channel]),
             sensitivity_floor=cr.sensitivity_floor, covert_factor=cr.covert_factor if s.covert else 1.0,
             relief=relief, scale=cr.scale, key=ctx.streams.wave_key("customer.creep", ctx.tick),
             n_threads=ctx.threads)
        e = c.engagement
        call("engage", ctx.impl, cust=b.cust, exposed=b.exposed, slate=b.slate, rel=b.rel, best=b.best,
             creepy=b.creepy, viewed=b.viewed, viewed_rel=b.viewed_rel, trust=pop.trust, fatigue=pop.fatigue,
             price_sensitivity=pop.price_sensitivity,
             price=cat.price, log_price_ratio=cat.log_price_ratio, margin=cat.margin, hist_item=pop.hist_item, hist_day=pop.hist_day,
             clicked=b.clicked, bought=b.bought, revenue=b.revenue, margin_out=b.margin,
             channel=b.channel, day=b.day,
             click_bias=e.click_bias_onsite if b.channel == ONSITE else e.click_bias_email, click_relevance=e.click_relevance,
             click_trust=e.click_trust, click_fatigue=e.click_fatigue, click_creepy=e.click_creepy,
             buy_bias=e.buy_bias, buy_relevance=e.buy_relevance, buy_trust=e.buy_trust,
             price_elasticity=e.price_elasticity, organic_bias=e.organic_bias,
             key=ctx.streams.wave_key("customer.engage", ctx.tick), n_threads=ctx.threads)
        t = c.trust
        call("update_trust", ctx.impl, cust=b.cust, exposed=b.exposed, rel=b.rel, persofail=b.persofail,
             creepy=b.creepy, privacy=pop.privacy, trust=pop.trust, rel_mean=pop.rel_mean, gain=t.gain,
             loss_irrelevant=t.loss_irrelevant, loss_persofail=t.loss_persofail, loss_creepy=t.loss_creepy,
             relevant_above=t.relevant_above, irrelevant_below=t.irrelevant_below,
             rel_memory=t.relevance_memory, n_threads=ctx.threads)
        cost = float(self.fatigue_cost[b.channel])
        if cost > 0.0:
            call("add_fatigue", ctx.impl, cust=b.cust, fatigue_sensitivity=pop.fatigue_sensitivity,
                 fatigue=pop.fatigue, channel=b.channel, cost=cost,
                 n_threads=ctx.threads)
        if b.channel == EMAIL:
            o = c.optout
            call("opt_out", ctx.impl, cust=b.cust, exposed=b.exposed, creepy=b.creepy, trust=pop.trust,
                 fatigue=pop.fatigue, consent=pop.consent, opted_out=b.opted_out, channel=b.channel,
                 base_hazard=o.email_base_hazard, fatigue_k=o.fatigue_k, trust_k=o.trust_k,
                 creepy_multiplier=o.creepy_multiplier,
                 key=ctx.streams.wave_key("customer.optout", ctx.tick), n_threads=ctx.threads)

    def feels_valued(self, pop: Population) -> np.ndarray:
        """bool (N,): active customers whose running relevance and trust are both high."""
        v = self.config.valued
        return (pop.active.astype(bool) & (pop.rel_mean >= v.relevance_above) & (pop.trust >= v.trust_above))

