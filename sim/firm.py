"""What the firm sees, and what it learns from it.

:class:`FirmView` is the only door from a strategy to the customers: visits, views, clicks
and purchases it observed, consent flags, its own preference estimates and aggregate
popularity.  It holds no reference to the population's hidden fields (true taste, trust,
privacy sensitivity, fatigue), so a strategy cannot read them.
"""

from __future__ import annotations

import numpy as np

from sim.catalog import Catalog
from sim.codes import NO_CAT, NO_DAY
from sim.core import load_compiled
from sim.core.kernels import KernelArgumentError, call
from sim.memory import state_array, state_copy
from sim.population import Population
from sim.touch import TouchBatch

__all__ = ["FirmView", "FirmData", "draw_firm_data", "FIRM_FIELDS"]

FIRM_FIELDS = ("est_pref", "n_obs", "last_view_item", "last_view_day", "stated_cats", "inferred_cat", "offsite_cat")
"""The firm's own per-customer arrays."""


class FirmView:
    """The firm's observations of N customers over a catalog of M items.

    Attributes
    ----------
    est_pref : int8 (N, D)       the firm's taste estimate, 127 = 1.0 (starts at 0: cold start)
    n_obs : uint16 (N,)          observations behind the estimate
    last_view_item : int32 (N,)  last item viewed or clicked, -1 if none
    last_view_day : int16 (N,)   its day, NO_DAY if none
    stated_cats : uint8 (N, 2)   categories declared in the preference centre, 255 = none
    inferred_cat : uint8 (N,)    the firm's inference of the favourite category (may be wrong)
    offsite_cat : uint8 (N,)     a third party's favourite category, 255 = not covered
    editorial : int32 (E,)       the editors' picks
    consent : uint8 (N,)         consent bits (shared with the population: the firm records them)
    hist_item, hist_day : (N, H) the firm's order records (shared with the population)
    sales : float64 (M,)         units sold per item so far (aggregate, not personal)
    catalog : Catalog
    """

    def __init__(
        self,
        population: Population,
        catalog: Catalog,
        rng: np.random.Generator,
        data: FirmData | None = None,
        editorial_picks: int = 50,
    ):
        n, d = population.n, catalog.n_features
        self.catalog = catalog
        self.n = n
        self.est_pref = state_array((n, d), np.int8)
        self.n_obs = state_array(n, np.uint16)
        self.last_view_item = state_array(n, np.int32, -1)
        self.last_view_day = state_array(n, np.int16, NO_DAY)
        self.consent = population.consent
        self.hist_item = population.hist_item
        self.hist_day = population.hist_day
        self.sales = np.zeros(catalog.n_items, dtype=np.float64)
        no_cat = np.uint8(NO_CAT)
        self.stated_cats = state_copy(data.stated_cats) if data else state_array((n, 2), np.uint8, no_cat)
        self.inferred_cat = state_copy(data.inferred_cat) if data else state_array(n, np.uint8, no_cat)
        self.offsite_cat = state_copy(data.offsite_cat) if data else state_array(n, np.uint8, no_cat)
        self.editorial = np.sort(
            rng.choice(catalog.n_items, min(editorial_picks, catalog.n_items), replace=False)
        ).astype(np.int32)
        # Before any sale the best-seller list is a merchandiser's pick: a fixed random
        # order that only breaks ties, so it never outweighs a single observed sale.
        self._tiebreak = rng.permutation(catalog.n_items).astype(np.float64) / (catalog.n_items + 1)
        self._best_sellers = load_compiled("_firm").best_sellers  # looked up once, used at every wave

    @classmethod
    def subset(cls, firm: FirmView, population: Population, customers: np.ndarray) -> FirmView:
        """The firm's view of ``customers`` only (int64, ascending), whose rows ``population``
        holds: its per-customer records copied, its aggregate ones (sales, editorial picks)
        the same."""
        view = object.__new__(cls)
        view.catalog, view.n = firm.catalog, len(customers)
        for name in FIRM_FIELDS:
            setattr(view, name, state_copy(getattr(firm, name)[customers]))
        view.consent, view.hist_item, view.hist_day = population.consent, population.hist_item, population.hist_day
        view.sales = firm.sales.copy()
        view.editorial, view._tiebreak, view._best_sellers = firm.editorial, firm._tiebreak, firm._best_sellers
        return view

    def bytes_per_customer(self) -> int:
        """Bytes of the firm's own per-customer arrays (excluding shared population fields)."""
        return int(sum(getattr(self, f).nbytes for f in FIRM_FIELDS) // max(self.n, 1))

    def popular(self, pool: int) -> np.ndarray:
        """int32 (min(pool, M),): the ``pool`` best-selling items, best first.

        Sales are whole numbers and the tie-break fractions distinct, below one: every item's
        key (sales + tie-break) is unique, so the list is the top of a full sort.  Made in
        one compiled pass over the catalogue (``best_sellers``), at every wave.
        """
        out = np.empty(max(0, min(pool, self.sales.shape[0])), dtype=np.int32)
        self._best_sellers(self.sales, self._tiebreak, out)
        return out

    def observe(
        self, batch: TouchBatch, *, w_view: float, w_click: float, w_buy: float, threads: int, impl: str
    ) -> None:
        """Learn from a finished wave: views, clicks and purchases update estimates and sales."""
        bad = call(
            "observe",
            impl,
            trusted=batch.validated,
            check=batch.checked,
            cust=batch.cust,
            viewed=batch.viewed,
            clicked=batch.clicked,
            best=batch.best,
            slate=batch.slate,
            bought=batch.bought,
            item_feat=self.catalog.features,
            est_pref=self.est_pref,
            n_obs=self.n_obs,
            last_view_item=self.last_view_item,
            last_view_day=self.last_view_day,
            sales=self.sales,
            day=batch.day,
            w_view=w_view,
            w_click=w_click,
            w_buy=w_buy,
            n_threads=threads,
        )
        if bad:
            t = bad - 1
            raise KernelArgumentError(
                f"observe: touch {t} (customer {int(batch.cust[t])}) was clicked at slot {int(batch.best[t])} "
                f"of {batch.slate.shape[1]}, showing {batch.slate[t].tolist()}; allowed a slot in "
                f"[0, {batch.slate.shape[1]}) showing an item in [0, {self.catalog.features.shape[0]})"
            )


class FirmData:
    """Data the firm holds beyond its own site's observations, as arrays.

    Attributes
    ----------
    stated_cats : uint8 (N, 2)   the two favourite categories of customers who filled in the
                                 preference centre (stated, accurate), 255 for the others
    inferred_cat : uint8 (N,)    the firm's inferred favourite category: right with probability
                                 ``inference_accuracy``, else a random category
    offsite_cat : uint8 (N,)     a third party's favourite category for covered customers
                                 (right with probability ``offsite_accuracy``), else 255
    """

    def __init__(self, stated_cats: np.ndarray, inferred_cat: np.ndarray, offsite_cat: np.ndarray):
        self.stated_cats, self.inferred_cat, self.offsite_cat = stated_cats, inferred_cat, offsite_cat


def draw_firm_data(
    population: Population,
    catalog: Catalog,
    stated_share: np.ndarray,
    inference_accuracy: float,
    offsite_coverage: float,
    offsite_accuracy: float,
    rng: np.random.Generator,
) -> FirmData:
    """What customers stated and what inference and third parties say, from their true tastes.

    ``stated_share`` is float64 (N,): each customer's probability of filling in the
    preference centre (its segment's share).  The true favourite categories are those whose
    centre best matches the customer's taste; the firm never sees the taste itself.
    """
    n, n_cat = population.n, len(catalog.categories)
    match = population.pref.astype(np.int32) @ catalog.centroids.astype(np.int32).T  # (N, C)
    # The two best categories (ties: the lower index), by two argmax passes.
    rows = np.arange(n)
    first = np.argmax(match, axis=1)
    top2 = np.full((n, 2), NO_CAT, dtype=np.uint8)
    top2[:, 0] = first
    if n_cat >= 2:
        match[rows, first] = np.iinfo(match.dtype).min
        top2[:, 1] = np.argmax(match, axis=1)
    stated = np.where((rng.random(n) < stated_share)[:, None], top2, np.uint8(NO_CAT)).astype(np.uint8)
    random_cat = rng.integers(0, n_cat, n).astype(np.uint8)
    inferred = np.where(rng.random(n) < inference_accuracy, top2[:, 0], random_cat).astype(np.uint8)
    covered = rng.random(n) < offsite_coverage
    right = rng.random(n) < offsite_accuracy
    random_cat2 = rng.integers(0, n_cat, n).astype(np.uint8)
    offsite = np.where(covered, np.where(right, top2[:, 0], random_cat2), np.uint8(NO_CAT)).astype(np.uint8)
    return FirmData(stated, inferred, offsite)
