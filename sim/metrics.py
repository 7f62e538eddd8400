"""The scalar outcomes of a run (``metrics.json``) and the per-segment breakdown.

:data:`METRICS` documents every key: its meaning and unit.  The README's table is this table.
"""

from __future__ import annotations

import numpy as np

from sim.codes import DATA_BASES, EMAIL, OUTBOUND_NAMES
from sim.recorder import CHANNEL_COUNTERS
from sim.unit_summary import summarize_unit_values
from sim.value import Equity

__all__ = ["METRICS", "TIMING_METRICS", "compute_metrics", "behavior_metrics"]

TIMING_METRICS = ("init_seconds", "sim_seconds", "equity_seconds", "interactions_per_second", "wall_seconds")
"""The metrics that measure wall-clock time: the only ones that differ between two runs of the
same config and seed."""

METRICS: dict[str, str] = {
    "customers": "customers simulated",
    "horizon_days": "simulated days",
    "seed": "the run's seed",
    "strategy": "strategy name",
    "population": "population name",
    "customer_model": "customer model name",
    "campaign": "campaign plan name",
    "threads": "threads of the compiled core",
    "impl": "compiled kernels or their NumPy twins",
    "config_hash": (
        "hash of the run's config without `threads`, `output.progress`, `experiment` and `report` (which never "
        "change results); a sweep run again skips a run whose directory holds metrics.json with the same hash"
    ),
    "revenue": "total revenue, currency units",
    "margin": "total gross margin less the cost of the ads served, currency units",
    "ad_cost": "cost of the ads served: impressions / 1000 * campaign.retargeting.cost_per_mille, currency units",
    "customer_equity": "what the customers left at the end are still worth: the margin of a tail of "
    "`value.tail_days` under a fixed reference plan, discounted at `value.discount_rate_annual` (see "
    "'Value: margin plus customer equity'), currency units",
    "value": "margin + customer_equity, the outcome sweeps rank by, currency units",
    "equity_sample": "customers whose tail was simulated for customer_equity (0: no tail)",
    "orders": "purchases",
    "revenue_per_customer": "revenue / customers, currency units",
    "trust_mean_start": "mean trust at the start, [0, 1]",
    "trust_mean_end": "mean trust at the end over all customers (churned ones at their last value), [0, 1]",
    "trust_mean_end_active": "mean trust at the end over customers who did not churn, [0, 1]",
    "trust_p10_end": "10th percentile of trust at the end, all customers, [0, 1]",
    "churned_share": "share of customers who churned during the run",
    "visits": "onsite visits: organic, and those an ad brought",
    "ad_visits": "onsite visits an ad brought (a click, or a reminder soon after a visit)",
    "onsite_clicks": "clicks on personalised onsite slates",
    "email_sends": "emails sent",
    "email_opens": "emails opened",
    "email_clicks": "emails whose slate was clicked",
    "email_unsubscribes": "email opt-outs",
    "email_suppressed_by_cap": "emails not sent because the customer had reached a cap",
    "email_open_rate": "opens per send",
    "email_click_rate": "clicks per send",
    "email_unsubscribe_rate": "opt-outs per send",
    "optout_share_email": "share of the customers who consented to email at the start and opted out",
    "channels": "per outbound channel (email, push, ads): sends, opens, clicks, optouts, suppressed_by_cap, "
    "deferred_by_quiet_hours, dropped_by_quiet_hours (see the daily columns), consent_start (customers "
    "who consented at the start) and optout_share (optouts / consent_start)",
    "persofails": "exposed touches that showed a just-bought durable",
    "creepy_touches": "exposed touches that felt creepy",
    "creepy_touches_by_basis": "creepy touches by the data basis of their most intrusive slot",
    "persofails_by_source": "persofails by the rule that showed the just-bought durable: the source of the "
    "slot, or 'popular (exploration or fallback)' when that slot held a best seller instead",
    "perceived_relevance_mean": "mean perceived relevance of exposed touches (the customers' view), [-1, 1]",
    "firm_score_mean": "mean firm model score of the best slot of exposed touches (the firm's view), [-1, 1]",
    "feel_valued_share": "share of all customers who, at the end, are active and whose running "
    "perceived relevance and trust are both high",
    "behaviors": "scalar outcomes the run's behaviors declare (their `metrics` hook), by behavior name: "
    "`behaviors.<name>.<metric>`; absent when no behavior declares any",
    "interactions": "touches delivered: visits + emails + push notifications + ad impressions",
    "state_bytes_per_customer": "bytes of per-customer state: population fields + the firm's own arrays + the "
    "campaign system's (last visit, purchase and activity; trigger clocks)",
    "init_seconds": "wall seconds to build the scenario (catalog, population, firm)",
    "sim_seconds": "wall seconds of the simulation itself",
    "interactions_per_second": "interactions / sim_seconds",
    "wall_seconds": "wall seconds of the whole run: build, simulate, summarize",
    "equity_seconds": "wall seconds of the customer-equity tail",
}


def _channels(tot: dict[str, float], consent_start: dict[str, int]) -> dict[str, dict[str, float]]:
    out = {}
    for ch in OUTBOUND_NAMES:
        row: dict[str, float] = {c: int(tot[f"{ch}_{c}"]) for c in CHANNEL_COUNTERS}
        row["consent_start"] = consent_start[ch]
        row["optout_share"] = row["optouts"] / consent_start[ch] if consent_start[ch] else 0.0
        out[ch] = row
    return out


def compute_metrics(
    scenario, sim_seconds: float, state_bytes: int = 0, equity: Equity | None = None
) -> tuple[dict, list[dict]]:
    """metrics.json's dictionary and the per-segment rows of a finished scenario (``equity``:
    its customer equity, none when not computed)."""
    if equity is None:
        equity = Equity(0.0, np.zeros(len(scenario.config.population.segments)), 0, 0, 0.0)
    cfg, pop, rec = scenario.config, scenario.population, scenario.recorder
    tot = rec.totals()
    n = pop.n
    trust_mean_end, trust_p10 = summarize_unit_values(pop.trust, scenario.threads)
    active = pop.active.astype(bool)
    sends = tot["email_sends"]
    interactions = tot["visits"] + sum(tot[f"{ch}_sends"] for ch in OUTBOUND_NAMES)
    optouts_email = int(tot["email_optouts"])
    channels = _channels(tot, rec.consent_start)

    def per_send(x: float) -> float:
        return x / sends if sends else 0.0

    m = {
        "customers": n,
        "horizon_days": cfg.horizon_days,
        "seed": cfg.seed,
        "strategy": cfg.strategy.name,
        "population": cfg.population.name,
        "customer_model": cfg.customer.name,
        "campaign": cfg.campaign.name,
        "threads": cfg.threads,
        "impl": cfg.impl,
        "revenue": tot["revenue"],
        "margin": tot["margin"],
        "ad_cost": tot["ad_cost"],
        "customer_equity": equity.total,
        "value": tot["margin"] + equity.total,
        "equity_sample": equity.sample,
        "orders": int(tot["orders"]),
        "revenue_per_customer": tot["revenue"] / n,
        "trust_mean_start": rec.trust_mean_start,
        "trust_mean_end": trust_mean_end,
        "trust_mean_end_active": float(pop.trust[active].astype(np.float64).mean()) if active.any() else 0.0,
        # Exact percentile for the headline number (the daily series uses the histogram).
        "trust_p10_end": float(np.quantile(pop.trust.astype(np.float64), 0.1)) if n else 0.0,
        "churned_share": float(np.count_nonzero(~active)) / n,
        "visits": int(tot["visits"]),
        "ad_visits": int(tot["ad_visits"]),
        "onsite_clicks": int(tot["onsite_clicks"]),
        "email_sends": int(sends),
        "email_opens": int(tot["email_opens"]),
        "email_clicks": int(tot["email_clicks"]),
        "email_unsubscribes": optouts_email,
        "email_suppressed_by_cap": int(tot["email_suppressed_by_cap"]),
        "email_open_rate": per_send(tot["email_opens"]),
        "email_click_rate": per_send(tot["email_clicks"]),
        "email_unsubscribe_rate": per_send(tot["email_optouts"]),
        "optout_share_email": channels["email"]["optout_share"],
        "channels": channels,
        "persofails": int(tot["persofails"]),
        "creepy_touches": int(tot["creepy_touches"]),
        "creepy_touches_by_basis": {b: int(c) for b, c in zip(DATA_BASES, rec.creepy_by_basis)},
        "persofails_by_source": dict(sorted(rec.persofails_by_source.items())),
        "perceived_relevance_mean": rec.perceived_rel_sum / rec.exposed_total if rec.exposed_total else 0.0,
        "firm_score_mean": rec.firm_score_sum / rec.exposed_total if rec.exposed_total else 0.0,
        "feel_valued_share": float(np.count_nonzero(scenario.customer.feels_valued(pop, scenario.impl))) / n,
        "interactions": int(interactions),
        "state_bytes_per_customer": pop.bytes_per_customer() + scenario.firm.bytes_per_customer() + state_bytes,
        "init_seconds": scenario.init_seconds,
        "sim_seconds": sim_seconds,
        "interactions_per_second": interactions / sim_seconds if sim_seconds > 0 else 0.0,
        "equity_seconds": equity.seconds,
    }
    declared = behavior_metrics(scenario.customer.behaviors, pop)
    if declared:
        m["behaviors"] = declared
    return m, _segments(scenario, equity)


def behavior_metrics(behaviors, pop) -> dict[str, dict[str, float]]:
    """The scalar outcomes each behavior declares (:meth:`sim.behavior.Behavior.metrics`), by name.

    Raises
    ------
    ValueError
        A behavior returned something other than a dict of names to finite numbers.
    """
    out: dict[str, dict[str, float]] = {}
    for b in behaviors:
        declared = b.metrics(pop)
        name = b.name or type(b).__name__
        if not isinstance(declared, dict):
            raise ValueError(f"behaviors.{name}: metrics() returned {type(declared).__name__}; allowed: a dict")
        clean = {}
        for key, value in declared.items():
            ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            if not (isinstance(key, str) and key and ok and np.isfinite(value)):
                raise ValueError(
                    f"behaviors.{name}: metrics() gave {key!r}={value!r}; allowed: a name and a finite number"
                )
            clean[key] = float(value)
        if clean:
            out[name] = clean
    return out


def _segments(scenario, equity: Equity) -> list[dict]:
    pop, rec = scenario.population, scenario.recorder
    names = [s.name for s in scenario.config.population.segments]
    seg = pop.segment.astype(np.int64)
    count = np.bincount(seg, minlength=len(names))
    valued = scenario.customer.feels_valued(pop, scenario.impl)
    rows = []
    for s, name in enumerate(names):
        m = seg == s
        n = max(int(count[s]), 1)
        rows.append(
            {
                "segment": name,
                "customers": int(count[s]),
                "revenue": float(rec.by_segment["revenue"][s]),
                "margin": float(rec.by_segment["margin"][s]),
                "customer_equity": float(equity.by_segment[s]),
                "value": float(rec.by_segment["margin"][s] + equity.by_segment[s]),
                "orders": int(rec.by_segment["orders"][s]),
                "trust_mean_start": float(rec.trust_start_by_segment[s]),
                "trust_mean_end": float(pop.trust[m].astype(np.float64).mean()) if count[s] else 0.0,
                "churned_share": float(np.count_nonzero(pop.active[m] == 0)) / n,
                "email_unsubscribes": int(rec.by_segment["email_optouts"][s]),
                "push_optouts": int(rec.by_segment["push_optouts"][s]),
                "ads_optouts": int(rec.by_segment["ads_optouts"][s]),
                "email_consent_end_share": float(np.count_nonzero(pop.consent[m] & (1 << EMAIL))) / n,
                "persofails": int(rec.by_segment["persofails"][s]),
                "creepy_touches": int(rec.by_segment["creepy_touches"][s]),
                "feel_valued_share": float(np.count_nonzero(valued[m])) / n,
            }
        )
    return rows
