"""The catalog: categories with a repurchase cycle and a sensitivity class, and their items.

Items are arrays (struct of arrays), never objects.  Each category has a centre in feature
space; its items scatter around it, so a customer's taste is mostly a taste for categories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Category", "Catalog", "SENSITIVITY_CLASSES", "quantize_unit"]

SENSITIVITY_CLASSES: dict[str, float] = {
    "ordinary": 0.0,
    "family": 0.5,
    "finance": 0.7,
    "health": 0.8,
    "intimate": 1.0,
}
"""How sensitive an item of each class is, in [0, 1]: it scales how creepy targeting it feels."""


@dataclass(frozen=True)
class Category:
    """One product category.

    Attributes
    ----------
    name : str
    kind : {"durable", "consumable"}
        A durable is bought once per long cycle (a toilet seat); a consumable is bought again
        every cycle (coffee).
    cycle_days : float
        Typical time between two purchases in the category, days.
    sensitivity : str
        One of :data:`SENSITIVITY_CLASSES`.
    share : float
        Share of the catalog's items in this category.
    price_median : float
        Median item price, currency units; prices are lognormal around it.
    price_sigma : float
        Log-scale spread of prices.
    margin_rate : float
        Gross margin as a share of price.
    item_names : tuple of str
        Readable names of its items, for reports: the k-th item of the category is named
        ``item_names[k % len(item_names)]``. Empty: items are known by number. Names never
        change a result (no random draw depends on them).
    """

    name: str
    kind: str
    cycle_days: float
    sensitivity: str
    share: float
    price_median: float
    price_sigma: float
    margin_rate: float
    item_names: tuple[str, ...] = ()


class Catalog:
    """Items as arrays.

    Attributes (M items, D features, C categories)
    ----------
    categories : list[Category]
    features : int8 array (M, D), unit rows scaled by 127 (see :func:`quantize_unit`)
    category : int32 array (M,)
    price : float64 array (M,)
    log_price_ratio : float64 array (M,), log(price / median price)
    margin : float64 array (M,), margin per unit sold, currency units
    durable : uint8 array (M,)
    cycle : float32 array (M,), the category's repurchase cycle, days
    sensitivity : float32 array (M,), in [0, 1]
    centroids : int8 array (C, D), each category's centre (127 = 1.0)
    cat_start : int32 array (C + 1,), ``cat_items[cat_start[c]:cat_start[c+1]]`` are category c's items
    cat_items : int32 array (M,)
    """

    def __init__(
        self,
        categories: list[Category],
        n_items: int,
        n_features: int,
        category_spread: float,
        rng: np.random.Generator,
    ):
        if n_items < len(categories):
            raise ValueError(f"catalog.items={n_items} is less than the {len(categories)} categories")
        self.categories = list(categories)
        c = len(categories)
        shares = np.array([cat.share for cat in categories], dtype=np.float64)
        counts = np.maximum(1, np.floor(shares / shares.sum() * n_items).astype(np.int64))
        counts[np.argmax(counts)] += n_items - counts.sum()  # exact total
        self.category = np.repeat(np.arange(c, dtype=np.int32), counts)
        centres = _unit(rng.standard_normal((c, n_features)))
        self.centroids = quantize_unit(centres)
        noise = rng.standard_normal((n_items, n_features))
        self.features = quantize_unit(centres[self.category] + category_spread * noise)
        median = np.array([cat.price_median for cat in categories])[self.category]
        sigma = np.array([cat.price_sigma for cat in categories])[self.category]
        self.price = median * np.exp(sigma * rng.standard_normal(n_items))
        # Purchase odds fall with log(price / median price); precomputed once per item.
        self.log_price_ratio = np.log(self.price / np.median(self.price))
        self.margin = self.price * np.array([cat.margin_rate for cat in categories])[self.category]
        self.durable = np.array([cat.kind == "durable" for cat in categories], dtype=np.uint8)[self.category]
        self.cycle = np.array([cat.cycle_days for cat in categories], dtype=np.float32)[self.category]
        self.sensitivity = np.array([SENSITIVITY_CLASSES[cat.sensitivity] for cat in categories], dtype=np.float32)[
            self.category
        ]
        self.cat_items = np.arange(n_items, dtype=np.int32)  # already grouped by category
        self.cat_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)

    @property
    def n_items(self) -> int:
        return int(self.category.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.features.shape[1])

    def category_name(self, item: int) -> str:
        return self.categories[int(self.category[item])].name

    def item_name(self, item: int) -> str:
        """The item's readable name from its category's ``item_names`` ("" when it has none)."""
        c = int(self.category[item])
        names = self.categories[c].item_names
        return names[(int(item) - int(self.cat_start[c])) % len(names)] if names else ""


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def quantize_unit(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` normalized to unit length and stored as int8 with 127 = 1.0.

    Tastes and item features are int8 so that a match (a dot product) is an exact integer
    sum: fast, and identical in the compiled kernels and their NumPy twins.  The rounding
    error of a match is below 0.01.
    """
    return np.clip(np.round(127.0 * _unit(x)), -127, 127).astype(np.int8)
