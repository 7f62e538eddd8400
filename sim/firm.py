"""What the firm sees, and what it learns from it.

:class:`FirmView` is the only door from a strategy to the customers: visits, views, clicks
and purchases it observed, consent flags, its own preference estimates and aggregate
popularity.  It holds no reference to the population's hidden fields (true taste, trust,
privacy sensitivity, fatigue), so a strategy cannot read them.
"""

from __future__ import annotations

import numpy as np

from sim.catalog import Catalog
from sim.codes import NO_DAY
from sim.core.kernels import call
from sim.population import Population
from sim.touch import TouchBatch

__all__ = ["FirmView", "FIRM_FIELDS"]

FIRM_FIELDS = ("est_pref", "n_obs", "last_view_item", "last_view_day")
"""The firm's own per-customer arrays."""


class FirmView:
    """The firm's observations of N customers over a catalog of M items.

    Attributes
    ----------
    est_pref : int8 (N, D)       the firm's taste estimate, 127 = 1.0 (starts at 0: cold start)
    n_obs : uint16 (N,)          observations behind the estimate
    last_view_item : int32 (N,)  last item viewed or clicked, -1 if none
    last_view_day : int16 (N,)   its day, NO_DAY if none
    consent : uint8 (N,)         consent bits (shared with the population: the firm records them)
    hist_item, hist_day : (N, H) the firm's order records (shared with the population)
    sales : float64 (M,)         units sold per item so far (aggregate, not personal)
    catalog : Catalog
    """

    def __init__(self, population: Population, catalog: Catalog, rng: np.random.Generator):
        n, d = population.n, catalog.n_features
        self.catalog = catalog
        self.n = n
        self.est_pref = np.zeros((n, d), dtype=np.int8)
        self.n_obs = np.zeros(n, dtype=np.uint16)
        self.last_view_item = np.full(n, -1, dtype=np.int32)
        self.last_view_day = np.full(n, NO_DAY, dtype=np.int16)
        self.consent = population.consent
        self.hist_item = population.hist_item
        self.hist_day = population.hist_day
        self.sales = np.zeros(catalog.n_items, dtype=np.float64)
        # Before any sale the best-seller list is a merchandiser's pick: a fixed random
        # order that only breaks ties, so it never outweighs a single observed sale.
        self._tiebreak = rng.permutation(catalog.n_items).astype(np.float64) / (catalog.n_items + 1)

    def bytes_per_customer(self) -> int:
        """Bytes of the firm's own per-customer arrays (excluding shared population fields)."""
        return int(sum(getattr(self, f).nbytes for f in FIRM_FIELDS) // max(self.n, 1))

    def popular(self, pool: int) -> np.ndarray:
        """int32 (pool,): the ``pool`` best-selling items, best first."""
        order = np.argsort(-(self.sales + self._tiebreak), kind="stable")
        return np.ascontiguousarray(order[:pool], dtype=np.int32)

    def observe(self, batch: TouchBatch, *, w_view: float, w_click: float, w_buy: float,
                threads: int, impl: str) -> None:
        """Learn from a finished wave: views, clicks and purchases update estimates and sales."""
        sold = batch.bought[batch.bought >= 0]
        np.add.at(self.sales, sold, 1.0)
        call("observe", impl, cust=batch.cust, viewed=batch.viewed, clicked_item=batch.clicked_item(),
             bought=batch.bought, item_feat=self.catalog.features, est_pref=self.est_pref,
             n_obs=self.n_obs, last_view_item=self.last_view_item, last_view_day=self.last_view_day,
             day=batch.day, w_view=w_view, w_click=w_click, w_buy=w_buy, n_threads=threads)
