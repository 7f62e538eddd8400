"""The customer model: an ordered pipeline of named stages over a wave's touches.

The model's equations live in ``sim/core/_model.pxd`` (compiled) and
:mod:`sim.core.twins.model` (their NumPy twins); their parameters are one
:class:`~sim.core.params.CustomerParams`, made from the config once per run
(:func:`customer_params`).  This module puts the stages in order and calls the kernels (or
their twins when ``impl="numpy"``), each stage with its own random stream.  Stages run in
three places:

* ``on_day`` at the start of every simulated day: ``recovery``, ``churn``;
* ``visitors`` once a day: who visits the site (the onsite wave's cohort);
* ``expose`` before the strategy fills the slates: ``exposure`` (a visitor browses, an
  email is opened or not);
* ``respond`` after it: ``perceive``, ``creep``, ``engage``, ``trust``, ``fatigue``, ``optout``.

Researchers' behaviors (:mod:`sim.behavior`) run after a named stage or replace it.  The
built-in stages of a phase that follow one another with no behavior between them run as one
kernel call with a mask of those stages (``respond``'s, ``recover_and_churn``'s), so with no
behavior each phase is one pass over its customers (``CustomerModel.fused``,
``CustomerModel.day_fused``), and a behavior placed between two stages splits the pass in two
with the same results.  In a visits wave of built-in code only (no behavior, the built-in slot
strategy) the response also runs the visitor's browsing first, which nothing reads before it
(``WaveContext.browse_in_respond``).

The per-touch results live in the :class:`~sim.touch.TouchBatch`; the per-customer state in
the :class:`~sim.population.Population`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from sim.checks import RunChecks
from sim.codes import ADS, CHANNELS, EMAIL, ONSITE, PUSH
from sim.config.schema import CustomerConfig
from sim.core.kernels import call
from sim.core.params import DAY_STAGES, RESPONSE_STAGES, STAGES, CustomerParams, stage_mask
from sim.population import Population
from sim.rng import RandomStreams
from sim.touch import TouchBatch

__all__ = ["CustomerModel", "WaveContext", "DayContext", "customer_params"]


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


def customer_params(c: CustomerConfig) -> CustomerParams:
    """The equations' parameters from a customer config: half-lives become daily factors,
    per-channel and per-basis options become tuples indexed by code."""

    def per_channel(w) -> tuple[float, ...]:
        return tuple(float(getattr(w, name)) for name in CHANNELS)

    def by_channel(values: dict[int, float]) -> tuple[float, ...]:
        return tuple(float(values.get(code, 0.0)) for code in range(len(CHANNELS)))

    exposure = {EMAIL: c.email_exposure, PUSH: c.push_exposure, ADS: c.ads_exposure}
    e, o, r, cr, t, v = c.engagement, c.optout, c.relevance, c.creepiness, c.trust, c.valued
    half_lives = np.array(per_channel(c.fatigue.half_life_days), dtype=np.float64)
    return CustomerParams(
        visit_trust_slope=c.visits.trust_slope,
        browse_items=c.visits.browse_items,
        open_base_rate=by_channel({ch: x.base_rate for ch, x in exposure.items()}),
        open_trust_elasticity=by_channel({ch: x.trust_elasticity for ch, x in exposure.items()}),
        open_fatigue_k=by_channel({ch: x.fatigue_k for ch, x in exposure.items()}),
        ad_reminder=c.ads_exposure.reminder,
        ad_reminder_half_life=c.ads_exposure.reminder_half_life_days,
        persofail_window=r.persofail_window_days,
        persofail_relevance=r.persofail_relevance,
        replenish_lo=r.replenish_lo,
        replenish_hi=r.replenish_hi,
        replenish_boost=r.replenish_boost,
        intrusiveness=tuple(
            float(getattr(cr.intrusiveness, b)) for b in ("none", "stated", "onsite", "inferred", "offsite")
        ),
        obtrusiveness=per_channel(cr.obtrusiveness),
        sensitivity_floor=cr.sensitivity_floor,
        creep_scale=cr.scale,
        covert_factor=cr.covert_factor,
        explanation_relief=cr.explanation_relief,
        control_relief=cr.control_relief,
        personal_look=tuple(
            float(getattr(c.personal_look, b)) for b in ("none", "stated", "onsite", "inferred", "offsite")
        ),
        click_bias=by_channel(
            {ONSITE: e.click_bias_onsite, EMAIL: e.click_bias_email, PUSH: e.click_bias_push, ADS: e.click_bias_ads}
        ),
        click_relevance=e.click_relevance,
        click_trust=e.click_trust,
        click_fatigue=e.click_fatigue,
        click_creepy=e.click_creepy,
        buy_bias=e.buy_bias,
        organic_bias=e.organic_bias,
        buy_relevance=e.buy_relevance,
        buy_trust=e.buy_trust,
        price_elasticity=e.price_elasticity,
        click_control=e.click_control,
        click_explained=e.click_explained,
        trust_gain=t.gain,
        loss_irrelevant=t.loss_irrelevant,
        loss_persofail=t.loss_persofail,
        loss_creepy=t.loss_creepy,
        relevant_above=t.relevant_above,
        irrelevant_below=t.irrelevant_below,
        relevance_memory=t.relevance_memory,
        control_loss_relief=t.control_loss_relief,
        trust_relax=1.0 - 0.5 ** (1.0 / t.relax_half_life_days),
        fatigue_cost=per_channel(c.fatigue.cost),
        fatigue_decay=tuple(float(x) for x in 0.5 ** (1.0 / half_lives)),
        # Nobody opts out of the firm's own site; ads share email's fatigue sensitivity.
        optout_base_hazard=by_channel({EMAIL: o.email_base_hazard, PUSH: o.push_base_hazard, ADS: o.ads_base_hazard}),
        optout_fatigue_k=by_channel({EMAIL: o.fatigue_k, PUSH: o.push_fatigue_k, ADS: o.fatigue_k}),
        optout_trust_k=o.trust_k,
        optout_creepy_multiplier=o.creepy_multiplier,
        optout_irrelevance_k=o.irrelevance_k,
        churn_hazard_max=c.churn.hazard_max,
        churn_trust_mid=c.churn.trust_mid,
        churn_slope=c.churn.slope,
        valued_relevance_above=v.relevance_above,
        valued_trust_above=v.trust_above,
    )


class CustomerModel:
    """The built-in customer stages, configured by a :class:`CustomerConfig`, plus behaviors.

    Parameters
    ----------
    config : CustomerConfig
    behaviors : list of sim.behavior.Behavior
        Extra or replacing stages, in config order.

    Attributes
    ----------
    params : CustomerParams
        The equations' parameters, made once.
    checks : RunChecks
        The run's skip-the-checks state, the engine's (see ``start_run``); before a run, one
        that checks everything.
    fused : bool
        True when the six response stages run as one kernel call (no behavior between or
        instead of ``perceive`` .. ``optout``).
    day_fused : bool
        True when the day stages run as one kernel call (no behavior between or instead of
        ``recovery`` and ``churn``).
    """

    def __init__(self, config: CustomerConfig, behaviors: list | None = None):
        self.config = config
        self.params = customer_params(config)
        self.behaviors = list(behaviors or [])
        self.checks = RunChecks()
        self._expose_steps = self._phase(["exposure"], "on_wave", head=True, tail=False)
        self._respond_steps = self._phase(list(RESPONSE_STAGES), "on_wave", head=False, tail=True)
        self._day_steps = self._phase(list(DAY_STAGES), "on_day", head=False, tail=True)
        self.fused = self._respond_steps[0] == ("stages", RESPONSE_STAGES)
        self.day_fused = self._day_steps[0] == ("stages", DAY_STAGES)
        self._expose_steps = [self._exposure if step == ("stages", ("exposure",)) else step
                              for step in self._expose_steps]  # fmt: skip
        self._respond_steps = [
            partial(self._respond, stages=stage_mask(step[1])) if isinstance(step, tuple) else step
            for step in self._respond_steps
        ]
        self._day_steps = [
            partial(self._day, stages=stage_mask(step[1])) if isinstance(step, tuple) else step
            for step in self._day_steps
        ]

    def _phase(self, names, hook, head, tail) -> list:
        """The ordered steps of one phase: behaviors' hooks, and ("stages", names) for each run
        of consecutive built-in stages (one kernel call).

        A behavior's hook runs where ``after``/``replaces`` puts it when that names a stage of
        this kind (wave or day); otherwise at the end of the phase (``tail``): a behavior
        placed after ``trust`` still gets its ``on_day`` call, after the day's churn.
        """
        from sim.behavior import DAY_STAGES as DAY
        from sim.behavior import WAVE_STAGES as WAVE

        own = DAY if hook == "on_day" else ("start",) + WAVE
        steps: list = []

        def builtin(name: str) -> None:
            if steps and isinstance(steps[-1], tuple):
                steps[-1] = ("stages", steps[-1][1] + (name,))
            else:
                steps.append(("stages", (name,)))

        if head:
            steps += [getattr(b, hook) for b in self.behaviors if b.replaces is None and b.after == "start"]
        for name in names:
            replacement = [b for b in self.behaviors if b.replaces == name]
            if replacement:
                steps.append(getattr(replacement[0], hook))
            else:
                builtin(name)
            steps += [getattr(b, hook) for b in self.behaviors if b.replaces is None and b.after == name]
        if tail:
            steps += [getattr(b, hook) for b in self.behaviors if (b.replaces or b.after) not in own]
        return steps

    # ------------------------------------------------------------------ the run
    def start_run(self, pop: Population, checks: RunChecks) -> None:
        """Take the run's skip-the-checks state (the engine's) as a run starts, and note which
        channels' fatigue is in use (see :class:`~sim.checks.RunChecks`)."""
        self.checks = checks
        checks.start_fatigue(pop.fatigue)

    def declared_fields(self):
        """FieldSpecs of every behavior's own per-customer state."""
        return [f for b in self.behaviors for f in b.fields]

    # ------------------------------------------------------------------ day hooks
    def on_day(self, ctx: DayContext) -> None:
        """The day stages: recovery (trust relaxes, fatigue decays), then churn."""
        if not self.day_fused:
            # The day kernel clears it itself; otherwise a behavior replacing churn finds it cleared.
            ctx.churned[:] = 0
        for step in self._day_steps:
            step(ctx)

    def _day(self, ctx: DayContext, stages: int) -> None:
        """The built-in day stages of ``stages`` in one kernel call (no recovery on day 0)."""
        if ctx.day == 0:
            stages &= ~STAGES["recovery"]
        if not stages:
            return
        pop = ctx.pop
        churned, active = call(
            "recover_and_churn",
            ctx.impl,
            check=self.checks.day_kernel("recover_and_churn"),
            active=pop.active,
            trust=pop.trust,
            trust_base=pop.trust_base,
            fatigue=pop.fatigue.T,
            live=self.checks.fatigue_in_use(),
            churned=ctx.churned,
            consent=pop.consent,
            params=self.params,
            stages=stages,
            key=ctx.streams.wave_key("customer.churn", ctx.day),
            n_threads=ctx.threads,
        )
        if not self.behaviors:
            # Nothing else writes ``active`` or ``churned`` today: the kernel's counts stand.
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
            check=self.checks.day_kernel("select_visitors"),
            active=pop.active,
            trust=pop.trust,
            visit_rate=pop.visit_rate,
            visitors=buffer,
            params=self.params,
            key=streams.wave_key("customer.visit", day),
            n_threads=threads,
        )
        return buffer[:k].copy() if copy else buffer[:k]

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
            cat = ctx.catalog
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
                    params=self.params,
                    key=ctx.streams.wave_key("customer.browse", ctx.tick),
                    n_threads=ctx.threads,
                )
            if b.validated:
                b.validated.add("viewed")  # an item in the catalogue, by construction
        else:
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
                params=self.params,
                key=ctx.streams.wave_key("customer.expose", ctx.tick),
                n_threads=ctx.threads,
            )

    def _respond(self, ctx: WaveContext, stages: int) -> None:
        """The built-in response stages of ``stages`` in one kernel call, with the channel's
        choices and each stage's random key.  Fatigue is added only on a channel whose contacts
        cost some; nobody opts out of the firm's own site."""
        b, pop, cat = ctx.batch, ctx.pop, ctx.catalog
        if self.params.fatigue_cost[b.channel] > 0.0:
            if stages & STAGES["fatigue"]:
                self.checks.fatigue_added(b.channel)
        else:
            stages &= ~STAGES["fatigue"]
        if b.channel == ONSITE:
            stages &= ~STAGES["optout"]
        tick, streams, strategy = ctx.tick, ctx.streams, ctx.strategy
        browse = ctx.browse_in_respond and bool(stages & STAGES["perceive"])
        bad = call(
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
            params=self.params,
            stages=stages,
            covert=bool(strategy.covert),
            explained=bool(strategy.explained),
            control=bool(strategy.control),
            creep_key=streams.wave_key("customer.creep", tick),
            engage_key=streams.wave_key("customer.engage", tick),
            optout_key=streams.wave_key("customer.optout", tick) if b.channel != ONSITE else 0,
            n_threads=ctx.threads,
            browse_visits=browse,
            browse_key=streams.wave_key("customer.browse", tick) if browse else 0,
            fatigue_live=bool(self.checks.fatigue_in_use()[b.channel]),
        )
        if b.validated and stages & STAGES["engage"]:
            b.validated.add("bought")  # a slate's or the browsed item, by construction
        return bad

    def return_visitors(self, ctx: WaveContext, since_visit_days: np.ndarray) -> np.ndarray:
        """int64 (r,): the customers of a finished ads wave who come to the site now, ascending:
        every clicker, and noticed ads' customers reminded of the site (reminder_probability of
        ``since_visit_days``, float32 (k,), days since each one's last visit)."""
        b = ctx.batch
        returning = np.zeros(len(b), dtype=np.uint8)
        call(
            "return_visits",
            ctx.impl,
            trusted=b.validated,
            check=b.checked,
            cust=b.cust,
            exposed=b.exposed,
            clicked=b.clicked,
            since_visit=np.ascontiguousarray(since_visit_days, dtype=np.float32),
            returning=returning,
            params=self.params,
            key=ctx.streams.wave_key("customer.return", ctx.tick),
            n_threads=ctx.threads,
        )
        return b.cust[returning.view(bool)]

    def feels_valued(self, pop: Population, impl: str = "compiled") -> np.ndarray:
        """bool (N,): active customers whose running relevance and trust are both high
        (the feels_valued equation)."""
        valued = np.empty(pop.n, dtype=np.uint8)
        call(
            "flag_valued",
            impl,
            active=pop.active,
            rel_mean=pop.rel_mean,
            trust=pop.trust,
            valued=valued,
            params=self.params,
            n_threads=1,
        )
        return valued.view(bool)
