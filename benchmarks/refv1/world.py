"""The world of ref-v1 as arrays: the catalog and the customers of one seed."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.memory import state_array, state_copy
from sim.rng import RandomStreams

__all__ = ["Catalog", "Customers", "ReferenceWorld", "DIM", "NO_CATEGORY", "NO_DAY"]

DIM = 8
N_ITEMS = 1000
N_CATEGORIES = 50
SENSITIVE_EVERY = 20
NO_CATEGORY = -1  # last_cat of a customer who never bought
NO_DAY = -(2**30)  # last_day of a customer who never bought ("minus infinity";
# day - NO_DAY still fits in int32)


@dataclass
class Catalog:
    """The items (M of them), as arrays.

    Attributes
    ----------
    features : float32[M, 8], C-contiguous, unit rows
    category : int32[M], in [0, MAX_CATEGORIES) (ref-v1: j mod 50)
    sensitive : uint8[M], 1 for a sensitive item
    price : float64[M]

    The waves accept any such arrays (the tests use small hand-made catalogs).
    """

    features: np.ndarray
    category: np.ndarray
    sensitive: np.ndarray
    price: np.ndarray

    @classmethod
    def generate(cls, gen: np.random.Generator, n_items: int = N_ITEMS) -> Catalog:
        """Draw the catalog: features first, then prices (the order fixes the draws)."""
        j = np.arange(n_items)
        features = _unit_rows(gen, n_items, DIM)
        price = gen.lognormal(mean=3.0, sigma=0.5, size=n_items)
        return cls(
            features=features,
            category=(j % N_CATEGORIES).astype(np.int32),
            sensitive=(j % SENSITIVE_EVERY == 0).astype(np.uint8),
            price=price.astype(np.float64),
        )


@dataclass
class Customers:
    """The customers (N of them), as arrays; the waves mutate all but ``pref`` and ``privacy``.

    Attributes
    ----------
    pref : float32[N, 8], C-contiguous, unit rows (true taste)
    privacy : float32[N], in [0, 1] (privacy sensitivity s)
    trust : float32[N], in [0, 1]
    fatigue : float32[N], >= 0
    churned : uint8[N], 1 once the customer has left
    last_cat : int32[N], category of the last purchase, ``NO_CATEGORY`` (-1) if none
    last_day : int32[N], day of the last purchase, ``NO_DAY`` if none
    """

    pref: np.ndarray
    privacy: np.ndarray
    trust: np.ndarray
    fatigue: np.ndarray
    churned: np.ndarray
    last_cat: np.ndarray
    last_day: np.ndarray

    @classmethod
    def generate(cls, gen: np.random.Generator, n: int) -> Customers:
        """Draw N fresh customers: preferences first, then privacy (the order fixes the draws)."""
        pref = _unit_rows(gen, n, DIM)
        privacy = gen.beta(2.0, 5.0, size=n).astype(np.float32)
        # On huge pages where the system offers them, as the engine's own customer state.
        return cls(
            pref=state_copy(pref),
            privacy=state_copy(privacy),
            trust=state_array(n, np.float32, 0.5),
            fatigue=state_array(n, np.float32, 0.0),
            churned=state_array(n, np.uint8, 0),
            last_cat=state_array(n, np.int32, NO_CATEGORY),
            last_day=state_array(n, np.int32, NO_DAY),
        )

    def copy(self) -> Customers:
        """A deep copy (every array copied)."""
        return Customers(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


def _unit_rows(gen: np.random.Generator, n: int, dim: int, block: int = 1 << 16) -> np.ndarray:
    """n standard-normal rows of length dim, normalized to unit length; float32[n, dim].

    Drawn and normalized block by block to keep the float64 temporaries small; a Generator
    draws the same normals whether asked for them at once or in consecutive blocks.
    """
    out = np.empty((n, dim), dtype=np.float32)
    for lo in range(0, n, block):
        x = gen.standard_normal((min(block, n - lo), dim))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[lo : lo + x.shape[0]] = x
    return out


class ReferenceWorld:
    """Catalog and customers of one seed.

    Parameters
    ----------
    n : int
        Number of customers N (>= 0).
    seed : int
        The run's seed; the catalog comes from stream ``"ref.catalog"``, the customers from
        ``"ref.population"``, and the waves' draws from ``"ref.visit"`` and ``"ref.email"``.
    """

    def __init__(self, n: int, seed: int):
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        self.n = int(n)
        self.streams = RandomStreams(seed)
        self.catalog = Catalog.generate(self.streams.generator("ref.catalog"))
        self.customers = Customers.generate(self.streams.generator("ref.population"), self.n)

    def visit_key(self, day: int) -> int:
        """The uint64 key of day ``day``'s visit wave."""
        return self.streams.wave_key("ref.visit", day)

    def email_key(self, day: int) -> int:
        """The uint64 key of day ``day``'s email wave."""
        return self.streams.wave_key("ref.email", day)
