"""The scalar outcomes of a run (``metrics.json``) and the per-segment breakdown.

:data:`METRICS` documents every key: its meaning and unit.  The README's table is this table.
"""

from __future__ import annotations

import numpy as np

from sim.codes import DATA_BASES, EMAIL, SOURCE_BASIS
from sim.stats import summarize_unit_values

__all__ = ["METRICS", "compute_metrics"]

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
    "config_hash": "hash of the run's config without `threads`, `output.progress` and `experiment` (which never change results); a sweep run again skips a run whose directory holds metrics.json with the same hash",
    "revenue": "total revenue, currency units",
    "margin": "total gross margin, currency units",
    "orders": "purchases",
    "revenue_per_customer": "revenue / customers, currency units",
    "trust_mean_start": "mean trust at the start, [0, 1]",
    "trust_mean_end": "mean trust at the end over all customers (churned ones at their last value), [0, 1]",
    "trust_mean_end_active": "mean trust at the end over customers who did not churn, [0, 1]",
    "trust_p10_end": "10th percentile of trust at the end, all customers, [0, 1]",
    "churned_share": "share of customers who churned during the run",
    "visits": "organic onsite visits",
    "onsite_clicks": "clicks on personalised onsite slates",
    "email_sends": "emails sent",
    "email_opens": "emails opened",
    "email_clicks": "emails whose slate was clicked",
    "email_unsubscribes": "email opt-outs",
    "email_suppressed_by_cap": "emails not sent because the customer had reached the weekly cap",
    "email_open_rate": "opens per send",
    "email_click_rate": "clicks per send",
    "email_unsubscribe_rate": "opt-outs per send",
    "optout_share_email": "share of the customers who consented to email at the start and opted out",
    "persofails": "exposed touches that showed a just-bought durable",
    "creepy_touches": "exposed touches that felt creepy",
    "creepy_touches_by_basis": "creepy touches by the data basis of their most intrusive slot",
    "persofails_by_source": "persofails by the rule that showed the just-bought durable: the source of the "
                            "slot, or 'popular (exploration or fallback)' when that slot held a best seller instead",
    "perceived_relevance_mean": "mean perceived relevance of exposed touches (the customers' view), [-1, 1]",
    "firm_score_mean": "mean firm model score of the best slot of exposed touches (the firm's view), [-1, 1]",
    "feel_valued_share": "share of all customers who, at the end, are active and whose running "
                         "perceived relevance and trust are both high",
    "interactions": "touches delivered: visits + emails sent",
    "state_bytes_per_customer": "bytes of per-customer state: population fields + the firm's own arrays",
    "init_seconds": "wall seconds to build the scenario (catalog, population, firm)",
    "sim_seconds": "wall seconds of the simulation itself",
    "interactions_per_second": "interactions / sim_seconds",
    "wall_seconds": "wall seconds of the whole run: build, simulate, summarize",
}


def compute_metrics(scenario, sim_seconds: float) -> tuple[dict, list[dict]]:
    """metrics.json's dictionary and the per-segment rows of a finished scenario."""
    cfg, pop, rec = scenario.config, scenario.population, scenario.recorder
    tot = rec.totals()
    n = pop.n
    trust_mean_end, trust_p10 = summarize_unit_values(pop.trust, scenario.threads)
    active = pop.active.astype(bool)
    sends = tot["email_sends"]
    interactions = tot["visits"] + sends
    optouts_email = int(tot["email_unsubscribes"])

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
        "orders": int(tot["orders"]),
        "revenue_per_customer": tot["revenue"] / n,
        "trust_mean_start": rec.trust_mean_start,
        "trust_mean_end": trust_mean_end,
        "trust_mean_end_active": float(pop.trust[active].astype(np.float64).mean()) if active.any() else 0.0,
        # Exact percentile for the headline number (the daily series uses the histogram).
        "trust_p10_end": float(np.quantile(pop.trust.astype(np.float64), 0.1)) if n else 0.0,
        "churned_share": float(np.count_nonzero(~active)) / n,
        "visits": int(tot["visits"]),
        "onsite_clicks": int(tot["onsite_clicks"]),
        "email_sends": int(sends),
        "email_opens": int(tot["email_opens"]),
        "email_clicks": int(tot["email_clicks"]),
        "email_unsubscribes": optouts_email,
        "email_suppressed_by_cap": int(tot["email_suppressed_by_cap"]),
        "email_open_rate": per_send(tot["email_opens"]),
        "email_click_rate": per_send(tot["email_clicks"]),
        "email_unsubscribe_rate": per_send(tot["email_unsubscribes"]),
        "optout_share_email": optouts_email / rec.email_consent_start if rec.email_consent_start else 0.0,
        "persofails": int(tot["persofails"]),
        "creepy_touches": int(tot["creepy_touches"]),
        "creepy_touches_by_basis": {b: int(c) for b, c in zip(DATA_BASES, rec.creepy_by_basis)},
        "persofails_by_source": _persofails_by_source(cfg.strategy.slots, rec.persofails_by_slot),
        "perceived_relevance_mean": rec.perceived_rel_sum / rec.exposed_total if rec.exposed_total else 0.0,
        "firm_score_mean": rec.firm_score_sum / rec.exposed_total if rec.exposed_total else 0.0,
        "feel_valued_share": float(np.count_nonzero(scenario.customer.feels_valued(pop))) / n,
        "interactions": int(interactions),
        "state_bytes_per_customer": pop.bytes_per_customer() + scenario.firm.bytes_per_customer(),
        "init_seconds": scenario.init_seconds,
        "sim_seconds": sim_seconds,
        "interactions_per_second": interactions / sim_seconds if sim_seconds > 0 else 0.0,
    }
    return m, _segments(scenario)


def _persofails_by_source(slots: list[str], by_slot: dict[tuple[int, int], int]) -> dict[str, int]:
    """Attribute each persofail to its slot's source, unless the slot held an exploration or
    fallback best seller (its data basis then differs from the source's)."""
    out: dict[str, int] = {}
    for (slot, basis), count in sorted(by_slot.items()):
        source = slots[slot]
        if SOURCE_BASIS[source] != DATA_BASES[basis]:
            source = "popular (exploration or fallback)"
        out[source] = out.get(source, 0) + count
    return out


def _segments(scenario) -> list[dict]:
    pop, rec = scenario.population, scenario.recorder
    names = [s.name for s in scenario.config.population.segments]
    seg = pop.segment.astype(np.int64)
    count = np.bincount(seg, minlength=len(names))
    valued = scenario.customer.feels_valued(pop)
    rows = []
    for s, name in enumerate(names):
        m = seg == s
        n = max(int(count[s]), 1)
        rows.append({
            "segment": name,
            "customers": int(count[s]),
            "revenue": float(rec.by_segment["revenue"][s]),
            "orders": int(rec.by_segment["orders"][s]),
            "trust_mean_start": float(rec.trust_start_by_segment[s]),
            "trust_mean_end": float(pop.trust[m].astype(np.float64).mean()) if count[s] else 0.0,
            "churned_share": float(np.count_nonzero(pop.active[m] == 0)) / n,
            "email_unsubscribes": int(rec.by_segment["email_unsubscribes"][s]),
            "email_consent_end_share": float(np.count_nonzero(pop.consent[m] & (1 << EMAIL))) / n,
            "persofails": int(rec.by_segment["persofails"][s]),
            "creepy_touches": int(rec.by_segment["creepy_touches"][s]),
            "feel_valued_share": float(np.count_nonzero(valued[m])) / n,
        })
    return rows
