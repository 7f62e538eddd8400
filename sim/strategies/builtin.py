"""The built-in strategy: a slate of slots, each filled from a source, on the compiled path."""

from __future__ import annotations

import numpy as np

from sim.codes import channel_code, source_code
from sim.core.kernels import call
from sim.firm import FirmView
from sim.strategies.base import Strategy
from sim.touch import TouchBatch

__all__ = ["SlotStrategy"]


class SlotStrategy(Strategy):
    """Fills each slot from its configured source with one call of ``fill_slates``."""

    def __init__(self, config):
        super().__init__(config)
        self.slot_source = np.array([source_code(s) for s in config.slots], dtype=np.uint8)
        # On channels the strategy does not personalize, every slot shows an editorial pick.
        self.editorial_source = np.full_like(self.slot_source, source_code("editorial"))
        self.channels = {channel_code(c) for c in config.channels}

    def written_every_touch(self) -> frozenset[str]:
        """fill_slates writes every row: the exposed touches' slates, zeros for the others."""
        return frozenset({"slate", "basis", "score"})

    def fill(self, batch: TouchBatch, firm: FirmView, wave_key: int, threads: int, impl: str) -> None:
        c, cat = self.config, firm.catalog
        sources = self.slot_source if batch.channel in self.channels else self.editorial_source
        call(
            "fill_slates",
            impl,
            trusted=batch.validated,
            check=batch.checked,
            cust=batch.cust,
            exposed=batch.exposed,
            slot_source=sources,
            est_pref=firm.est_pref,
            n_obs=firm.n_obs,
            last_view_item=firm.last_view_item,
            last_view_day=firm.last_view_day,
            hist_item=firm.hist_item,
            hist_day=firm.hist_day,
            stated_cats=firm.stated_cats,
            inferred_cat=firm.inferred_cat,
            offsite_cat=firm.offsite_cat,
            item_feat=cat.features,
            item_cat=cat.category,
            item_durable=cat.durable,
            item_cycle=cat.cycle,
            cat_start=cat.cat_start,
            cat_items=cat.cat_items,
            popular=firm.popular(c.popular_pool),
            editorial=firm.editorial,
            slate=batch.slate,
            basis=batch.basis,
            score=batch.score,
            day=batch.day,
            n_candidates=c.candidates,
            exploration=c.exploration,
            suppress_window=float(c.suppress_window_days),
            suppress_cycle=c.suppress_within_cycle,
            retarget_window=c.retarget_window_days,
            replenish_lo=c.replenish_lo,
            replenish_hi=c.replenish_hi,
            key=wave_key,
            n_threads=threads,
        )
        if batch.validated:
            batch.validated |= {"slate", "basis"}  # items and bases of the catalogue, by construction
