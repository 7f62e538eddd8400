"""The customer model: an ordered pipeline of named stages over a wave's touches.

Each built-in stage is a method that calls one compiled kernel (or its NumPy twin when
``impl="numpy"``) with its own parameters and its own random stream.  Stages run in three
places:

* ``on_day`` at the start of every simulated day: ``recovery``, ``churn``;
* ``visitors`` once a day: who visits the site (the onsite wave's cohort);
* ``expose`` before the strategy fills the slates: ``exposure`` (a visitor browses, an
  email is opened or not);
* ``respond`` after it: ``perceive``, ``creep``, ``engage``, ``trust``, ``fatigue``, ``optout``.

Researchers' behaviors (:mod:`sim.behavior`) run after a named stage or replace it.  When
none runs between or instead of the six response stages, ``respond`` calls one fused kernel
that runs all six per touch (the same results as the six calls; see ``CustomerModel.fused``),
and in a visits wave of built-in code only (no behavior, the built-in slot strategy) it also
runs the visitor's browsing first, which nothing reads before it (``WaveContext.browse_in_respond``);
likewise ``on_day`` runs recovery and churn as one kernel when nothing comes between them
(``CustomerModel.day_fused``).

The per-touch results live in the :class:`~sim.touch.TouchBatch`; the per-customer state in
the :class:`~sim.population.Population`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.codes import ADS, CHANNELS, EMAIL, ONSITE, PUSH
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
    # A visits wave of built-in code only: its browsing is left to the fused response, which
    # reads each visitor's rows once for both (the strategy's slates do not depend on it).
    browse_in_respond: bool = False

    @property
    def tick(self) -> int:
        """A wave's identity for random keys: hour of the run, channel and the campaign's slot
        (two campaigns on one channel at the same hour draw independent noise)."""
        return (self.batch.day * 24 + self.batch.hour) * 8 + self.batch.channel + (self.batch.wave << 40)


@dataclass
class DayContext:
    """Everything a stage may use at the start of a day."""

    pop: Population
    day: int
    streams: RandomStreams
    threads: int
    impl: str
    churned: np.ndarray  # uint8 (N,), OUT: 1 where the customer churned today
    # Counted by the fused day kernel when no behavior is configured (nothing else then
    # writes ``active`` or ``churned``), else None: today's churners and the customers
    # active after them, which stay active for the rest of the day.
    churned_count: int | None = None
    active_count: int | None = None


def _weights(w) -> np.ndarray:
    return np.array([getattr(w, c) for c in CHANNELS], dtype=np.float64)


class CustomerModel:
    """The built-in customer stages, configured by a :class:`CustomerConfig`, plus behaviors.

    Parameters
    ----------
    config : CustomerConfig
    behaviors : list of sim.behavior.Behavior
        Extra or replacing stages, in config order.

    Attributes
    ----------
    fused : bool
        True when the response stages run as one fused kernel (no behavior between or
        instead of ``perceive`` .. ``optout``).
    day_fused : bool
        True when the day stages run as one fused kernel (no behavior between or instead of
        ``recovery`` and ``churn``).
    """

    def __init__(self, config: CustomerConfig, behaviors: list | None = None):
        self.config = config
        c = config
        half_lives = _weights(c.fatigue.half_life_days)
        self.fatigue_decay = np.ascontiguousarray(0.5 ** (1.0 / half_lives))
        self.fatigue_cost = _weights(c.fatigue.cost)
        self.relax = 1.0 - 0.5 ** (1.0 / c.trust.relax_half_life_days)
        self.intrusiveness = np.array(
            [getattr(c.creepiness.intrusiveness, b) for b in ("none", "stated", "onsite", "inferred", "offsite")],
            dtype=np.float64,
        )
        self.obtrusiveness = _weights(c.creepiness.obtrusiveness)
        self.behaviors = list(behaviors or [])
        self._all_channels = np.ones(len(CHANNELS), dtype=np.uint8)
        self._fatigue_live: np.ndarray | None = None  # see start_run
        self._day_kernels_checked: set[str] = set()  # see _check_day_kernel
        # Per outbound channel: how a contact is noticed, clicked and makes the customer opt out.
        self._exposure_config = {EMAIL: c.email_exposure, PUSH: c.push_exposure, ADS: c.ads_exposure}
        e, o = c.engagement, c.optout
        self._click_bias = {
            ONSITE: e.click_bias_onsite,
            EMAIL: e.click_bias_email,
            PUSH: e.click_bias_push,
            ADS: e.click_bias_ads,
        }
        self._optout_hazard = {
            EMAIL: (o.email_base_hazard, o.fatigue_k),
            PUSH: (o.push_base_hazard, o.push_fatigue_k),
            ADS: (o.ads_base_hazard, o.fatigue_k),
        }
        builtin_wave = {
            "exposure": self._exposure,
            "perceive": self._perceive,
            "creep": self._creep,
            "engage": self._engage,
            "trust": self._trust,
            "fatigue": self._fatigue,
            "optout": self._optout,
        }
        builtin_day = {"recovery": self._recovery, "churn": self._churn}
        self._expose_steps = self._pipeline(["exposure"], builtin_wave, "on_wave", head=True, tail=False)
        respond = ["perceive", "creep", "engage", "trust", "fatigue", "optout"]
        self._respond_steps = self._pipeline(respond, builtin_wave, "on_wave", head=False, tail=True)
        # With no behavior between or instead of the six response stages, one fused kernel
        # runs them all per touch (identical results; each customer's rows are loaded once).
        # Behaviors after ``optout`` or at the end of the phase still run after it.
        unfused = [builtin_wave[name] for name in respond]
        self.fused = self._respond_steps[: len(respond)] == unfused
        if self.fused:
            self._respond_steps = [self._respond_fused] + self._respond_steps[len(respond) :]
        self._day_steps = self._pipeline(["recovery", "churn"], builtin_day, "on_day", head=False, tail=True)
        # The same for the day: recovery and churn as one pass over the customers.
        self.day_fused = self._day_steps[:2] == [self._recovery, self._churn]
        if self.day_fused:
            self._day_steps = [self._recover_and_churn] + self._day_steps[2:]

    def _pipeline(self, names, builtins, hook, head, tail):
        """The ordered callables of one phase: built-ins, each replaced or followed by behaviors.

        A behavior's hook runs where ``after``/``replaces`` puts it when that names a stage of
        this kind (wave or day); otherwise at the end of the phase (``tail``): a behavior
        placed after ``trust`` still gets its ``on_day`` call, after the day's churn.
        """
        from sim.behavior import DAY_STAGES, WAVE_STAGES

        own = DAY_STAGES if hook == "on_day" else ("start",) + WAVE_STAGES
        steps = []
        if head:
            steps += [getattr(b, hook) for b in self.behaviors if b.replaces is None and b.after == "start"]
        for name in names:
            replacement = [b for b in self.behaviors if b.replaces == name]
            steps.append(getattr(replacement[0], hook) if replacement else builtins[name])
            steps += [getattr(b, hook) for b in self.behaviors if b.replaces is None and b.after == name]
        if tail:
            steps += [getattr(b, hook) for b in self.behaviors if (b.replaces or b.after) not in own]
        return steps

    # ------------------------------------------------------------------ per-touch outputs
    _WRITTEN = frozenset({"exposed", "rel", "best", "persofail", "creepy", "clicked", "bought", "revenue", "margin"})

    def written_every_touch(self, channel: int) -> frozenset[str]:
        """The per-touch arrays of a wave on ``channel`` that this model's stages write at every
        touch before any reads them, so that the wave need not give them initial values.

        Only for the built-in pipeline (no behavior, hence the fused response): exposure writes
        ``exposed`` (and onsite, browsing ``viewed`` and ``viewed_rel``); the fused response
        every touch's outcome, and on an outbound channel ``opted_out``.  Otherwise none.
        """
        if self.behaviors:
            return frozenset()
        if channel == ONSITE:
            return self._WRITTEN | {"viewed", "viewed_rel"}
        return self._WRITTEN | {"opted_out"}

    # ------------------------------------------------------------------ fatigue in use
    def start_run(self, pop: Population) -> None:
        """Note which channels' fatigue is in use as a run starts (called by the engine).

        The day's decay sweeps only those channels' rows (most plans use one or two of the
        four; a channel's row is all zeros until a contact on it adds fatigue, and zeros
        decay to zeros, so skipping it changes nothing).  In use: a channel with some
        nonzero fatigue now, and from then on every channel a built-in stage adds fatigue to.
        With behaviors, which may write any channel's fatigue, every channel; likewise before
        a run starts (``on_day`` called on its own).  The day kernels check their arguments
        again at their next call (see ``_check_day_kernel``).
        """
        self._day_kernels_checked.clear()  # a new run (perhaps of a new population): check again
        if self.behaviors:
            self._fatigue_live = None
        else:
            self._fatigue_live = np.ascontiguousarray((pop.fatigue != 0).any(axis=0), dtype=np.uint8)

    def fatigue_in_use(self) -> np.ndarray:
        """uint8 (C,): 1 for the channels whose fatigue may be nonzero (see ``start_run``)."""
        return self._all_channels if self._fatigue_live is None else self._fatigue_live

    def _fatigue_added(self, channel: int) -> None:
        if self._fatigue_live is not None:
            self._fatigue_live[channel] = 1

    def declared_fields(self):
        """FieldSpecs of every behavior's own per-customer state."""
        return [f for b in self.behaviors for f in b.fields]

    # ------------------------------------------------------------------ day hooks
    def on_day(self, ctx: DayContext) -> None:
        """The day stages: recovery (trust relaxes, fatigue decays), then churn."""
        if not self.day_fused:
            # The fused kernel clears it itself; otherwise a behavior replacing churn finds it cleared.
            ctx.churned[:] = 0
        for step in self._day_steps:
            step(ctx)

    def _recovery(self, ctx: DayContext) -> None:
        pop = ctx.pop
        if ctx.day > 0:
            call(
                "relax_and_decay",
                ctx.impl,
                active=pop.active,
                trust=pop.trust,
                trust_base=pop.trust_base,
                fatigue=pop.fatigue.T,
                relax=self.relax,
                decay=self.fatigue_decay,
                live=self.fatigue_in_use(),
                n_threads=ctx.threads,
            )

    def _churn(self, ctx: DayContext) -> None:
        """Daily churn; a churned customer's consents end."""
        pop, ch = ctx.pop, self.config.churn
        call(
            "churn_day",
            ctx.impl,
            active=pop.active,
            trust=pop.trust,
            churned=ctx.churned,
            hazard_max=ch.hazard_max,
            trust_mid=ch.trust_mid,
            slope=ch.slope,
            key=ctx.streams.wave_key("customer.churn", ctx.day),
            n_threads=ctx.threads,
        )
        pop.consent[ctx.churned.view(bool)] = 0

    def _recover_and_churn(self, ctx: DayContext) -> None:
        """``_recovery`` then ``_churn`` in one kernel call, with their parameters and key."""
        pop, ch = ctx.pop, self.config.churn
        churned, active = call(
            "recover_and_churn",
            ctx.impl,
            check=self._check_day_kernel("recover_and_churn", ctx.impl),
            active=pop.active,
            trust=pop.trust,
            trust_base=pop.trust_base,
            fatigue=pop.fatigue.T,
            decay=self.fatigue_decay,
            live=self.fatigue_in_use(),
            churned=ctx.churned,
            consent=pop.consent,
            recover=ctx.day > 0,
            relax=self.relax,
            hazard_max=ch.hazard_max,
            trust_mid=ch.trust_mid,
            slope=ch.slope,
            key=ctx.streams.wave_key("customer.churn", ctx.day),
            n_threads=ctx.threads,
        )
        if not self.behaviors:
            ctx.churned_count, ctx.active_count = churned, active

    def visitors(
        self,
        pop: Population,
        day: int,
        streams: RandomStreams,
        threads: int,
        impl: str,
        buffer: np.ndarray,
        copy: bool = True,
    ) -> np.ndarray:
        """int64 (k,): the customers who visit the site today, ascending.

        ``buffer`` is int64 (N,) scratch for the kernel, which writes the visitors' indices
        to its start; they are returned as a copy, so the buffer can serve again tomorrow, or
        (``copy=False``, for a caller that is done with them by then) as a view of it.
        """
        k = call(
            "select_visitors",
            impl,
            check=self._check_day_kernel("select_visitors", impl),
            active=pop.active,
            trust=pop.trust,
            visit_rate=pop.visit_rate,
            visitors=buffer,
            trust_slope=self.config.visits.trust_slope,
            key=streams.wave_key("customer.visit", day),
            n_threads=threads,
        )
        return buffer[:k].copy() if copy else buffer[:k]

    def _check_day_kernel(self, name: str, impl: str) -> bool:
        """Whether this call of day kernel ``name`` checks its arguments: always with
        behaviors (which may replace the population's arrays) or the NumPy twins, else only
        at the kernel's first call of the run (its arrays, the population's, stay the same)."""
        if self.behaviors or impl != "compiled" or name not in self._day_kernels_checked:
            self._day_kernels_checked.add(name)
            return True
        return False

    # ------------------------------------------------------------------ wave stages
    def expose(self, ctx: WaveContext) -> None:
        """The exposure phase, before the strategy fills the slates."""
        for step in self._expose_steps:
            step(ctx)

    def respond(self, ctx: WaveContext) -> None:
        """The response phase: perceive, creep, engage, trust, fatigue, optout."""
        for step in self._respond_steps:
            step(ctx)

    def _exposure(self, ctx: WaveContext) -> None:
        """Onsite: the visitor browses on its own.  Email: is it opened?"""
        b, pop = ctx.batch, ctx.pop
        if b.channel == ONSITE:
            b.exposed[:] = 1
            r, cat = self.config.relevance, ctx.catalog
            if b.validated and self.fused:
                # Built-in code only (see TouchBatch.validated): nothing reads the browsing
                # before the response, which does it (the same draws and results).
                ctx.browse_in_respond = True
            else:
                call(
                    "browse",
                    ctx.impl,
                    trusted=b.validated,
                    check=b.checked,
                    cust=b.cust,
                    pref=pop.pref,
                    item_feat=cat.features,
                    item_durable=cat.durable,
                    item_cycle=cat.cycle,
                    hist_item=pop.hist_item,
                    hist_day=pop.hist_day,
                    viewed=b.viewed,
                    viewed_rel=b.viewed_rel,
                    day=b.day,
                    replenish_lo=r.replenish_lo,
                    replenish_hi=r.replenish_hi,
                    replenish_boost=r.replenish_boost,
                    n_look=self.config.visits.browse_items,
                    key=ctx.streams.wave_key("customer.browse", ctx.tick),
                    n_threads=ctx.threads,
                )
            if b.validated:
                b.validated.add("viewed")  # an item in the catalogue, by construction
        else:
            e = self._exposure_config[b.channel]
            call(
                "expose",
                ctx.impl,
                trusted=b.validated,
                check=b.checked,
                cust=b.cust,
                trust=pop.trust,
                fatigue=pop.fatigue.T,
                exposed=b.exposed,
                channel=b.channel,
                base_rate=e.base_rate,
                trust_elasticity=e.trust_elasticity,
                fatigue_k=e.fatigue_k,
                key=ctx.streams.wave_key("customer.expose", ctx.tick),
                n_threads=ctx.threads,
            )

    def _perceive(self, ctx: WaveContext) -> None:
        b, pop, cat, r = ctx.batch, ctx.pop, ctx.catalog, self.config.relevance
        call(
            "perceive",
            ctx.impl,
            cust=b.cust,
            exposed=b.exposed,
            slate=b.slate,
            pref=pop.pref,
            item_feat=cat.features,
            item_cat=cat.category,
            item_durable=cat.durable,
            item_cycle=cat.cycle,
            hist_item=pop.hist_item,
            hist_day=pop.hist_day,
            rel=b.rel,
            best=b.best,
            persofail=b.persofail,
            day=b.day,
            persofail_window=r.persofail_window_days,
            persofail_relevance=r.persofail_relevance,
            replenish_lo=r.replenish_lo,
            replenish_hi=r.replenish_hi,
            replenish_boost=r.replenish_boost,
            n_threads=ctx.threads,
        )

    def _strategy_levers(self, strategy) -> tuple[float, float]:
        """(covert factor, relief) of a strategy's touches: covert collection multiplies
        creepiness; explanation and control each remove a share of it."""
        cr = self.config.creepiness
        relief = (1.0 - cr.explanation_relief * strategy.explained) * (1.0 - cr.control_relief * strategy.control)
        return (cr.covert_factor if strategy.covert else 1.0), relief

    def _creep(self, ctx: WaveContext) -> None:
        b, pop, cat = ctx.batch, ctx.pop, ctx.catalog
        cr = self.config.creepiness
        covert_factor, relief = self._strategy_levers(ctx.strategy)
        call(
            "creep",
            ctx.impl,
            cust=b.cust,
            exposed=b.exposed,
            slate=b.slate,
            basis=b.basis,
            item_sensitivity=cat.sensitivity,
            privacy=pop.privacy,
            intrusiveness=self.intrusiveness,
            creepy=b.creepy,
            obtrusiveness=float(self.obtrusiveness[b.channel]),
            sensitivity_floor=cr.sensitivity_floor,
            covert_factor=covert_factor,
            relief=relief,
            scale=cr.scale,
            key=ctx.streams.wave_key("customer.creep", ctx.tick),
            n_threads=ctx.threads,
        )

    def _engage(self, ctx: WaveContext) -> None:
        b, pop, cat, e = ctx.batch, ctx.pop, ctx.catalog, self.config.engagement
        call(
            "engage",
            ctx.impl,
            cust=b.cust,
            exposed=b.exposed,
            slate=b.slate,
            rel=b.rel,
            best=b.best,
            creepy=b.creepy,
            viewed=b.viewed,
            viewed_rel=b.viewed_rel,
            trust=pop.trust,
            fatigue=pop.fatigue.T,
            price_sensitivity=pop.price_sensitivity,
            price=cat.price,
            log_price_ratio=cat.log_price_ratio,
            margin=cat.margin,
            hist_item=pop.hist_item,
            hist_day=pop.hist_day,
            clicked=b.clicked,
            bought=b.bought,
            revenue=b.revenue,
            margin_out=b.margin,
            channel=b.channel,
            day=b.day,
            click_bias=self._click_bias[b.channel],
            click_relevance=e.click_relevance,
            click_trust=e.click_trust,
            click_fatigue=e.click_fatigue,
            click_creepy=e.click_creepy,
            buy_bias=e.buy_bias,
            buy_relevance=e.buy_relevance,
            buy_trust=e.buy_trust,
            price_elasticity=e.price_elasticity,
            organic_bias=e.organic_bias,
            key=ctx.streams.wave_key("customer.engage", ctx.tick),
            n_threads=ctx.threads,
        )

    def _trust(self, ctx: WaveContext) -> None:
        b, pop, t = ctx.batch, ctx.pop, self.config.trust
        call(
            "update_trust",
            ctx.impl,
            cust=b.cust,
            exposed=b.exposed,
            rel=b.rel,
            persofail=b.persofail,
            creepy=b.creepy,
            privacy=pop.privacy,
            trust=pop.trust,
            rel_mean=pop.rel_mean,
            gain=t.gain,
            loss_irrelevant=t.loss_irrelevant,
            loss_persofail=t.loss_persofail,
            loss_creepy=t.loss_creepy,
            relevant_above=t.relevant_above,
            irrelevant_below=t.irrelevant_below,
            rel_memory=t.relevance_memory,
            n_threads=ctx.threads,
        )

    def _fatigue(self, ctx: WaveContext) -> None:
        b, pop = ctx.batch, ctx.pop
        cost = float(self.fatigue_cost[b.channel])
        if cost > 0.0:
            self._fatigue_added(b.channel)
            call(
                "add_fatigue",
                ctx.impl,
                cust=b.cust,
                fatigue_sensitivity=pop.fatigue_sensitivity,
                fatigue=pop.fatigue.T,
                channel=b.channel,
                cost=cost,
                n_threads=ctx.threads,
            )

    def _optout(self, ctx: WaveContext) -> None:
        """An outbound contact that was noticed may make the customer opt out of its channel."""
        b, pop = ctx.batch, ctx.pop
        if b.channel != ONSITE:
            o = self.config.optout
            base_hazard, fatigue_k = self._optout_hazard[b.channel]
            call(
                "opt_out",
                ctx.impl,
                cust=b.cust,
                exposed=b.exposed,
                creepy=b.creepy,
                trust=pop.trust,
                fatigue=pop.fatigue.T,
                consent=pop.consent,
                opted_out=b.opted_out,
                channel=b.channel,
                base_hazard=base_hazard,
                fatigue_k=fatigue_k,
                trust_k=o.trust_k,
                creepy_multiplier=o.creepy_multiplier,
                key=ctx.streams.wave_key("customer.optout", ctx.tick),
                n_threads=ctx.threads,
            )

    def _respond_fused(self, ctx: WaveContext) -> None:
        """perceive, creep, engage, trust, fatigue and optout in one kernel call, with the
        parameters, channel choices and random keys the six methods above would use."""
        b, pop, cat, c = ctx.batch, ctx.pop, ctx.catalog, self.config
        r, cr, e, t, o = c.relevance, c.creepiness, c.engagement, c.trust, c.optout
        covert_factor, relief = self._strategy_levers(ctx.strategy)
        tick, streams = ctx.tick, ctx.streams
        optout = b.channel != ONSITE
        base_hazard, optout_fatigue_k = self._optout_hazard[b.channel] if optout else (0.0, 0.0)
        if self.fatigue_cost[b.channel] > 0.0:
            self._fatigue_added(b.channel)
        call(
            "respond",
            ctx.impl,
            trusted=b.validated,
            check=b.checked,
            cust=b.cust,
            exposed=b.exposed,
            slate=b.slate,
            basis=b.basis,
            viewed=b.viewed,
            viewed_rel=b.viewed_rel,
            pref=pop.pref,
            item_feat=cat.features,
            item_cat=cat.category,
            item_durable=cat.durable,
            item_cycle=cat.cycle,
            item_sensitivity=cat.sensitivity,
            price=cat.price,
            log_price_ratio=cat.log_price_ratio,
            margin=cat.margin,
            intrusiveness=self.intrusiveness,
            privacy=pop.privacy,
            price_sensitivity=pop.price_sensitivity,
            fatigue_sensitivity=pop.fatigue_sensitivity,
            trust=pop.trust,
            rel_mean=pop.rel_mean,
            fatigue=pop.fatigue.T,
            consent=pop.consent,
            hist_item=pop.hist_item,
            hist_day=pop.hist_day,
            rel=b.rel,
            best=b.best,
            persofail=b.persofail,
            creepy=b.creepy,
            clicked=b.clicked,
            bought=b.bought,
            revenue=b.revenue,
            margin_out=b.margin,
            opted_out=b.opted_out,
            channel=b.channel,
            day=b.day,
            persofail_window=r.persofail_window_days,
            persofail_relevance=r.persofail_relevance,
            replenish_lo=r.replenish_lo,
            replenish_hi=r.replenish_hi,
            replenish_boost=r.replenish_boost,
            obtrusiveness=float(self.obtrusiveness[b.channel]),
            sensitivity_floor=cr.sensitivity_floor,
            covert_factor=covert_factor,
            relief=relief,
            scale=cr.scale,
            creep_key=streams.wave_key("customer.creep", tick),
            click_bias=self._click_bias[b.channel],
            click_relevance=e.click_relevance,
            click_trust=e.click_trust,
            click_fatigue=e.click_fatigue,
            click_creepy=e.click_creepy,
            buy_bias=e.buy_bias,
            buy_relevance=e.buy_relevance,
            buy_trust=e.buy_trust,
            price_elasticity=e.price_elasticity,
            organic_bias=e.organic_bias,
            engage_key=streams.wave_key("customer.engage", tick),
            gain=t.gain,
            loss_irrelevant=t.loss_irrelevant,
            loss_persofail=t.loss_persofail,
            loss_creepy=t.loss_creepy,
            relevant_above=t.relevant_above,
            irrelevant_below=t.irrelevant_below,
            rel_memory=t.relevance_memory,
            fatigue_cost=float(self.fatigue_cost[b.channel]),
            optout=int(optout),
            base_hazard=base_hazard,
            optout_fatigue_k=optout_fatigue_k,
            trust_k=o.trust_k,
            creepy_multiplier=o.creepy_multiplier,
            optout_key=streams.wave_key("customer.optout", tick) if optout else 0,
            n_threads=ctx.threads,
            browse_visits=ctx.browse_in_respond,
            n_look=self.config.visits.browse_items,
            browse_key=streams.wave_key("customer.browse", tick) if ctx.browse_in_respond else 0,
            fatigue_live=bool(self.fatigue_in_use()[b.channel]),
        )
        if b.validated:
            b.validated.add("bought")  # a slate's or the browsed item, by construction

    def feels_valued(self, pop: Population) -> np.ndarray:
        """bool (N,): active customers whose running relevance and trust are both high."""
        v = self.config.valued
        return pop.active.astype(bool) & (pop.rel_mean >= v.relevance_above) & (pop.trust >= v.trust_above)
