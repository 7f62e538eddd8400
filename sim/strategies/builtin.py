"""Built-in strategies, each a thin caller of a compiled slate kernel (``sim/core/_firm.pyx``)."""

from __future__ import annotations

from sim.core.kernels import call
from sim.firm import FirmView
from sim.strategies.base import Strategy
from sim.touch import TouchBatch

__all__ = ["PopularStrategy", "RecommendStrategy", "RetargetStrategy", "BUILTIN_STRATEGIES"]


class PopularStrategy(Strategy):
    """Editorial slates from the best-seller list; uses no personal data."""

    def fill(self, batch: TouchBatch, firm: FirmView, wave_key: int, threads: int, impl: str) -> None:
        call("popular_slates", impl, cust=batch.cust, exposed=batch.exposed, popular=firm.popular(self.config.popular_pool),
             slate=batch.slate, basis=batch.basis, score=batch.score, key=wave_key, n_threads=threads)


class RecommendStrategy(Strategy):
    """The best-scoring items under the firm's taste estimate learned from observed behaviour."""

    def fill(self, batch: TouchBatch, firm: FirmView, wave_key: int, threads: int, impl: str) -> None:
        c = self.config
        call("recommend_slates", impl, cust=batch.cust, exposed=batch.exposed, est_pref=firm.est_pref, n_obs=firm.n_obs,
             item_feat=firm.catalog.features, popular=firm.popular(c.popular_pool),
             slate=batch.slate, basis=batch.basis, score=batch.score,
             n_candidates=c.candidates, exploration=c.exploration, data_basis=self.data_basis,
             key=wave_key, n_threads=threads)


class RetargetStrategy(Strategy):
    """Shows again what the customer recently viewed or bought, with no suppression."""

    def fill(self, batch: TouchBatch, firm: FirmView, wave_key: int, threads: int, impl: str) -> None:
        cat = firm.catalog
        call("retarget_slates", impl, cust=batch.cust, exposed=batch.exposed, last_view_item=firm.last_view_item,
             last_view_day=firm.last_view_day, hist_item=firm.hist_item, hist_day=firm.hist_day,
             item_cat=cat.category, cat_start=cat.cat_start, cat_items=cat.cat_items,
             popular=firm.popular(self.config.popular_pool), slate=batch.slate, basis=batch.basis,
             score=batch.score, day=batch.day, window=self.config.retarget_window_days,
             data_basis=self.data_basis, key=wave_key, n_threads=threads)


BUILTIN_STRATEGIES = {
    "popular": PopularStrategy,
    "recommend": RecommendStrategy,
    "retarget": RetargetStrategy,
}
