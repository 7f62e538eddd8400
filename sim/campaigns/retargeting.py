"""Retargeting ads: after a visit, ad impressions on other sites for a while.

At each of the configured hours of a day, every customer whose last visit lies within the
window, who accepts ad tracking and has not churned, meets an ad slot with probability
``reach`` (a draw of the counter-based generator: a customer's own luck does not depend on
who else is in the audience).  Ads stop after a purchase when the strategy says so.  The
strategy fills the ad's slate; then each personal slot keeps its specific item with
probability ``2^(-age / half-life)`` (age: hours since the visit) and shows a best seller
otherwise: very specific ads right after the visit, generic ones later.
"""

from __future__ import annotations

import numpy as np

from sim.campaigns.book import ContactBook
from sim.codes import BASIS_NONE
from sim.config.schema import RetargetingConfig
from sim.core.twins.random import customer_base, draw_uniform
from sim.rng import RandomStreams
from sim.timing import hours_of
from sim.touch import TouchBatch

__all__ = ["Retargeting"]


class Retargeting:
    """Who sees a retargeting ad at an hour, and how specific it is.

    Parameters
    ----------
    config : RetargetingConfig
    stop_after_purchase : bool
        The strategy's lever: no more ads once the customer bought after the visit.
    book : ContactBook
    streams : RandomStreams
    """

    def __init__(self, config: RetargetingConfig, stop_after_purchase: bool, book: ContactBook, streams: RandomStreams):
        self.config = config
        self.stop_after_purchase = stop_after_purchase
        self.book, self.streams = book, streams
        self.window = hours_of(config.window)
        self.half_life = hours_of(config.specificity_half_life)

    def candidates(self, now: int, reachable: np.ndarray) -> np.ndarray:
        """int64 (k,): customers who meet an ad slot at hour ``now``, ascending.

        ``reachable`` is bool (N,): active customers who accept ad tracking.
        """
        book = self.book
        within = reachable & (book.last_visit >= now - self.window)
        if self.stop_after_purchase:
            within &= book.last_purchase < book.last_visit
        cust = np.flatnonzero(within).astype(np.int64)
        u = draw_uniform(customer_base(self.streams.wave_key("campaign.retarget.reach", now), cust), 0)
        return cust[u < self.config.reach]

    def decay_specificity(self, batch: TouchBatch, now: int, popular: np.ndarray) -> None:
        """Replace personal slots of an ad by best sellers, more often the older the visit.

        ``popular`` is int32 (>= S,): the best sellers, best first; slot j falls back to the
        j-th best seller.
        """
        k, s = batch.slate.shape
        if k == 0:
            return
        age = (now - self.book.last_visit[batch.cust]).astype(np.float64)
        keep = np.exp2(-age / self.half_life)
        base = customer_base(self.streams.wave_key("campaign.retarget.specificity", now), batch.cust)
        for j in range(s):
            generic = (batch.basis[:, j] != BASIS_NONE) & (draw_uniform(base, j) >= keep)
            batch.slate[generic, j] = popular[j % popular.shape[0]]
            batch.basis[generic, j] = BASIS_NONE
            batch.score[generic, j] = 0.0
