"""Counters, the daily series and a sample of customer journeys, kept apart from the model.

The recorder only reads: the engine hands it each finished wave and each day's churn.  A
wave's counters come from one compiled pass over its touches (``tally_wave``, on the run's
threads: fixed chunks of touches, reduced in chunk order), and its sums are taken in a fixed
order, so totals do not depend on the thread count.
"""

from __future__ import annotations

import numpy as np

from sim.catalog import Catalog
from sim.codes import ADS, CHANNELS, DATA_BASES, EMAIL, ONSITE, OUTBOUND, OUTBOUND_NAMES, SOURCE_BASIS
from sim.core import load_compiled
from sim.population import Population
from sim.touch import TouchBatch
from sim.unit_summary import UnitSummary

__all__ = ["Recorder", "DAILY_COLUMNS", "CHANNEL_COUNTERS", "OUTBOUND_NAMES"]

CHANNEL_COUNTERS: dict[str, str] = {
    "sends": "contacts delivered (ads: impressions served)",
    "opens": "contacts noticed: emails opened, push notifications read, ads noticed",
    "clicks": "contacts whose slate was clicked",
    "optouts": "customers who opted out of the channel (unsubscribed, disabled push, withdrew ad tracking)",
    "suppressed_by_cap": "contacts held back by a frequency cap",
    "deferred_by_quiet_hours": "messages due inside quiet hours that waited for them to end",
    "dropped_by_quiet_hours": "messages (or ad opportunities) due inside quiet hours and dropped",
}
"""Counters kept per outbound channel: ``<channel>_<counter>`` in the daily series, and
``channels.<channel>.<counter>`` in metrics.json."""

DAILY_COLUMNS: dict[str, str] = {
    "day": "simulated day, from 0",
    "active_customers": "customers who have not churned at the end of the day",
    "trust_mean": "mean trust of all customers (churned ones at their last value), [0, 1]",
    "trust_p10": "10th percentile of trust (lower edge of a 1/1024-wide bin), [0, 1]",
    "visits": "onsite visits: organic, and those an ad brought",
    "ad_visits": "onsite visits an ad brought (a click, or a reminder soon after a visit)",
    "onsite_clicks": "clicks on the personalised onsite slate",
    **{f"{ch}_{counter}": f"{ch}: {doc}" for ch in OUTBOUND_NAMES for counter, doc in CHANNEL_COUNTERS.items()},
    "orders": "purchases",
    "revenue": "revenue, currency units",
    "margin": "gross margin less the cost of the ads served, currency units",
    "ad_cost": "cost of the ads served (impressions / 1000 * cost_per_mille), currency units",
    "persofails": "exposed touches that showed a just-bought durable",
    "creepy_touches": "exposed touches that felt creepy",
    "churned": "customers who churned that day",
}
"""Columns of ``daily.csv`` / ``daily.parquet`` and their meaning."""


def persofail_source(source: str, basis: int) -> str:
    """The rule behind a persofail: the slot's source, unless the slot held an exploration or
    fallback best seller (its data basis then differs from the source's)."""
    if SOURCE_BASIS[source] != DATA_BASES[basis]:
        return "popular (exploration or fallback)"
    return source


class Recorder:
    """Collects one run's outputs.

    Parameters
    ----------
    pop : Population
    catalog : Catalog
    journey_customers : int64 array (J,)
        Customers whose every touch is recorded (the same ones for every strategy).
    threads : int
    segment_names : list of str, by segment code
    """

    def __init__(
        self,
        pop: Population,
        catalog: Catalog,
        journey_customers: np.ndarray,
        threads: int,
        segment_names: list[str],
        cost_per_mille: float = 0.0,
    ):
        self.pop, self.catalog, self.threads = pop, catalog, threads
        self.ad_cost_per_impression = cost_per_mille / 1000.0
        self.rows: list[dict[str, float]] = []
        self._day: dict[str, float] | None = None
        self._trust_summary = UnitSummary(pop.n, threads)
        self.trust_mean_start, self.trust_p10_start = self._trust_summary(pop.trust)
        self.consent_start = {CHANNELS[ch]: int(np.count_nonzero(pop.consent & (1 << ch))) for ch in OUTBOUND}
        self.creepy_by_basis = np.zeros(len(DATA_BASES), dtype=np.int64)
        self.persofails_by_source: dict[str, int] = {}
        n_seg = len(segment_names)
        seg_counts = np.bincount(pop.segment, minlength=n_seg)
        self.trust_start_by_segment = np.bincount(pop.segment, weights=pop.trust, minlength=n_seg) / np.maximum(
            seg_counts, 1
        )
        # Per-segment totals: the rows of one array (the first four take a wave's first four
        # per-segment sums in one addition), by name.
        segment_keys = (
            "revenue",
            "orders",
            "persofails",
            "creepy_touches",
            "email_optouts",
            "push_optouts",
            "ads_optouts",
            "margin",
        )
        self._segment_totals = np.zeros((len(segment_keys), n_seg), dtype=np.float64)
        self.by_segment = {k: self._segment_totals[row] for row, k in enumerate(segment_keys)}
        self._optout_row = {ch: segment_keys.index(f"{CHANNELS[ch]}_optouts") for ch in OUTBOUND}
        self._margin_row = segment_keys.index("margin")
        # The daily columns a wave of each outbound channel adds to.
        self._channel_columns = {
            ch: tuple(f"{CHANNELS[ch]}_{c}" for c in ("sends", "opens", "clicks", "optouts")) for ch in OUTBOUND
        }
        self._tally_wave = load_compiled("_tally").tally_wave
        self.perceived_rel_sum = 0.0
        self.firm_score_sum = 0.0
        self.exposed_total = 0
        # Scratch of the compiled wave tally (sim.core._tally.tally_wave), reused wave to wave.
        self._counts = np.zeros(6, dtype=np.int64)
        self._fail_slot_basis = np.zeros((0, len(DATA_BASES)), dtype=np.int64)
        self._creepy_basis = np.zeros(len(DATA_BASES), dtype=np.int64)
        # A wave's per-segment sums (sim.core._tally.tally_wave): revenue, orders, persofails,
        # creepy touches, opt-outs, margin.
        self._segment_sums = np.zeros((6, n_seg), dtype=np.float64)
        self._sums = np.zeros(4, dtype=np.float64)  # revenue, margin, exposed relevance, best score
        self.value_discount: np.ndarray | None = None  # see track_value
        self.customer_value: np.ndarray | None = None
        self._journey_mask = np.zeros(pop.n, dtype=bool)
        self._journey_mask[journey_customers] = True
        self.journeys: dict[int, dict] = {
            int(i): {
                "customer": int(i),
                "segment": segment_names[int(pop.segment[i])],
                "privacy": round(float(pop.privacy[i]), 3),
                "trust_start": round(float(pop.trust[i]), 3),
                "email_consent_start": bool(pop.consent[i] & (1 << EMAIL)),
                "consent_start": [CHANNELS[ch] for ch in OUTBOUND if pop.consent[i] & (1 << ch)],
                "events": [],
            }
            for i in journey_customers
        }
        self._sel: np.ndarray | None = None
        self._trust_before: np.ndarray | None = None

    # ------------------------------------------------------------------ days
    def start_day(self, day: int, churned: np.ndarray, n_churned: int | None = None) -> None:
        """Open day ``day``'s row; ``churned`` is uint8 (N,) with today's churners, and
        ``n_churned`` their number when already counted (else it is counted here)."""
        self._day = {k: 0.0 for k in DAILY_COLUMNS}
        self._day["day"] = day
        self._day["churned"] = int(np.count_nonzero(churned)) if n_churned is None else n_churned
        if self.journeys:
            for i in np.flatnonzero(churned.view(bool) & self._journey_mask):
                self.journeys[int(i)]["events"].append(
                    {"day": day, "event": "churned", "trust": round(float(self.pop.trust[i]), 3)}
                )

    def end_day(self, n_active: int | None = None) -> None:
        """Close the open row with end-of-day population summaries (``n_active``: the active
        customers, when already counted; else they are counted here)."""
        if self._day is None:
            return
        d = self._day
        d["active_customers"] = int(np.count_nonzero(self.pop.active)) if n_active is None else n_active
        d["trust_mean"], d["trust_p10"] = self._trust_summary(self.pop.trust)
        self.rows.append(d)
        self._day = None

    def count(self, channel: int, counter: str, n: int) -> None:
        """Add ``n`` to today's ``counter`` (a :data:`CHANNEL_COUNTERS` key) of an outbound channel."""
        if self._day is not None:
            self._day[f"{CHANNELS[channel]}_{counter}"] += n

    # ------------------------------------------------------------------ waves
    def before_wave(self, batch: TouchBatch) -> None:
        """Remember the trust of the journey customers among the wave's touches."""
        if self.journeys:
            self._sel = np.flatnonzero(self._journey_mask[batch.cust])
            self._trust_before = self.pop.trust[batch.cust[self._sel]].copy()

    def record_wave(self, batch: TouchBatch) -> None:
        """Add a finished wave to the day's counters, the totals and the journeys."""
        d = self._day
        assert d is not None, "a wave outside a day"
        k = len(batch)
        n_exposed, clicks, orders, optouts, persofails, creepy = self._tally(batch)
        if batch.channel == ONSITE:
            d["visits"] += k
            d["onsite_clicks"] += clicks
            if batch.campaign == "ad_visits":
                d["ad_visits"] += k
        else:
            sends, opens, clicked, opted_out = self._channel_columns[batch.channel]
            d[sends] += k
            d[opens] += n_exposed
            d[clicked] += clicks
            d[opted_out] += optouts
        d["orders"] += orders
        revenue, margin, rel_sum, best_sum = self._sums.tolist()
        d["revenue"] += revenue
        d["margin"] += margin
        d["persofails"] += persofails
        d["creepy_touches"] += creepy
        # Which slot (hence which source of the strategy) showed the just-bought durable.
        if persofails:
            for slot, basis in zip(*np.nonzero(self._fail_slot_basis)):
                source = persofail_source(batch.slot_sources[int(slot)], int(basis))
                self.persofails_by_source[source] = self.persofails_by_source.get(source, 0) + int(
                    self._fail_slot_basis[slot, basis]
                )
        # Which data basis stood behind the most intrusive slot of each creepy touch.
        self.creepy_by_basis += self._creepy_basis
        self.perceived_rel_sum += rel_sum
        self.firm_score_sum += best_sum
        self.exposed_total += n_exposed
        # Per-segment totals.
        seg = self._segment_sums
        self._segment_totals[:4] += seg[:4]  # revenue, orders, persofails, creepy touches
        self._segment_totals[self._margin_row] += seg[5]
        if optouts:
            self._segment_totals[self._optout_row[batch.channel]] += seg[4]
        if batch.channel == ADS and self.ad_cost_per_impression:
            # Serving the ads costs money: margin is what the firm keeps.
            d["ad_cost"] += k * self.ad_cost_per_impression
            d["margin"] -= k * self.ad_cost_per_impression
            impressions = np.bincount(self.pop.segment[batch.cust], minlength=self._segment_totals.shape[1])
            self._segment_totals[self._margin_row] -= impressions * self.ad_cost_per_impression
        if self.journeys:
            self._record_journeys(batch)
        if self.value_discount is not None:
            # Customers are unique within a wave, so a plain indexed add is exact.
            self.customer_value[batch.cust] += batch.margin * self.value_discount[batch.day]

    def track_value(self, discount: np.ndarray) -> None:
        """From now on, add each purchase's margin times ``discount[day]`` (float64, one factor
        per day of the run) to its customer's ``customer_value`` (float64 (N,)): the
        customer-equity tail (:mod:`sim.value`)."""
        self.value_discount = np.asarray(discount, dtype=np.float64)
        self.customer_value = np.zeros(self.pop.n, dtype=np.float64)

    def _tally(self, batch: TouchBatch) -> tuple[int, int, int, int, int, int]:
        """Count a wave in one compiled pass on this run's threads: (exposed, clicks, orders,
        optouts, persofails, creepy), leaving the breakdowns and the wave's sums (revenue,
        margin, the exposed touches' relevance and best slot score) in this recorder's scratch
        arrays."""
        n_slot = batch.slate.shape[1]
        if self._fail_slot_basis.shape[0] != n_slot:  # strategies may differ in slate size
            self._fail_slot_basis = np.zeros((n_slot, len(DATA_BASES)), dtype=np.int64)
        bad = self._tally_wave(
            batch.cust,
            self.pop.segment,
            batch.exposed,
            batch.clicked,
            batch.bought,
            batch.revenue,
            batch.margin,
            batch.persofail,
            batch.creepy,
            batch.opted_out,
            batch.basis,
            batch.rel,
            batch.score,
            self._counts,
            self._fail_slot_basis,
            self._creepy_basis,
            self._segment_sums,
            self._sums,
            self.threads,
        )
        if bad:
            t = bad - 1
            raise ValueError(
                f"wave on day {batch.day}, touch {t} (customer {int(batch.cust[t])}): persofail slot "
                f"{int(batch.persofail[t])}, data basis {batch.basis[t].tolist()} or segment out of range "
                f"(slots 1..{n_slot}, bases 0..{len(DATA_BASES) - 1})"
            )
        return tuple(self._counts.tolist())

    def _record_journeys(self, batch: TouchBatch) -> None:
        sel, before = self._sel, self._trust_before
        cat = self.catalog
        for pos, t in enumerate(sel):
            i = int(batch.cust[t])
            ev = {
                "day": batch.day,
                "hour": batch.hour,
                "channel": CHANNELS[batch.channel],
                "campaign": batch.campaign,
                "exposed": bool(batch.exposed[t]),
            }
            if batch.exposed[t]:
                # Only a noticed contact shows its slate (an unopened email's is never filled).
                ev.update(
                    {
                        "shown": [int(x) for x in batch.slate[t]],
                        "shown_categories": [cat.category_name(x) for x in batch.slate[t]],
                        "shown_names": [cat.item_name(x) for x in batch.slate[t]],
                        "data_basis": [DATA_BASES[b] for b in batch.basis[t]],
                        "perceived_relevance": round(float(batch.rel[t]), 3),
                        "persofail": bool(batch.persofail[t]),
                        "persofail_slot": int(batch.persofail[t]) - 1 if batch.persofail[t] else None,
                        "creepy": bool(batch.creepy[t]),
                        "clicked": bool(batch.clicked[t]),
                    }
                )
            if batch.viewed[t] >= 0:
                ev["browsed_category"] = cat.category_name(batch.viewed[t])
            if batch.bought[t] >= 0:
                ev["bought"] = int(batch.bought[t])
                ev["bought_category"] = cat.category_name(batch.bought[t])
                ev["bought_name"] = cat.item_name(batch.bought[t])
                ev["price"] = round(float(batch.revenue[t]), 2)
            if batch.opted_out[t]:
                ev["unsubscribed"] = CHANNELS[batch.channel]
            ev["trust_before"] = round(float(before[pos]), 3)
            ev["trust_after"] = round(float(self.pop.trust[i]), 3)
            self.journeys[i]["events"].append(ev)

    # ------------------------------------------------------------------ totals
    def totals(self) -> dict[str, float]:
        """Sums of the daily counters over the run."""
        keys = [k for k in DAILY_COLUMNS if k not in ("day", "active_customers", "trust_mean", "trust_p10")]
        return {k: float(sum(r[k] for r in self.rows)) for k in keys}
