"""Customers as a struct of arrays, and how a synthetic population is drawn.

A :class:`Population` holds one contiguous NumPy array per field (``pop.trust``,
``pop["fatigue"]``), declared by :class:`FieldSpec` s; there is never one Python object per
customer.  Fields are either *hidden* (only the customer model may read them: true taste,
trust, privacy sensitivity, fatigue) or *observable* (what a firm also records: consent,
purchase history); :class:`sim.firm.FirmView` exposes only the observable ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from sim.codes import EMAIL, NO_DAY

__all__ = ["FieldSpec", "Population", "CUSTOMER_FIELDS", "draw_population", "HISTORY_SLOTS"]

HISTORY_SLOTS = 4
"""Purchases remembered per customer (a ring: a new purchase replaces the oldest)."""


@dataclass(frozen=True)
class FieldSpec:
    """One per-customer field.

    Attributes
    ----------
    name : str
    dtype : str
        NumPy dtype name.
    shape : tuple[int | str, ...]
        Trailing shape per customer; ``"D"`` means the number of item features.
    fill : float | int
        Initial value.
    observable : bool
        True when a real firm records this field too.
    doc : str
        Meaning and unit.
    """

    name: str
    dtype: str
    shape: tuple = ()
    fill: float | int = 0
    observable: bool = False
    doc: str = ""


CUSTOMER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("pref", "float32", ("D",), 0.0, doc="true taste, a unit vector over item features"),
    FieldSpec("trust", "float32", (), 0.5, doc="trust in the brand, [0, 1]"),
    FieldSpec("trust_base", "float32", (), 0.5, doc="trust the customer relaxes to without contact, [0, 1]"),
    FieldSpec("privacy", "float32", (), 0.3, doc="privacy sensitivity, [0, 1]"),
    FieldSpec("visit_rate", "float32", (), 0.05, doc="organic visit probability per day at trust 0.5"),
    FieldSpec("fatigue", "float32", (4,), 0.0, doc="fatigue per channel (onsite, email, push, ads), contacts"),
    FieldSpec("active", "uint8", (), 1, doc="1 until the customer churns"),
    FieldSpec("rel_mean", "float32", (), 0.0, doc="running mean of perceived relevance of exposed touches"),
    FieldSpec("segment", "uint8", (), 0, doc="segment index"),
    FieldSpec("consent", "uint8", (), 0, observable=True,
              doc="consent bits by channel code (bit 1 email, 2 push, 3 ad tracking)"),
    FieldSpec("hist_item", "int32", (HISTORY_SLOTS,), 0, observable=True, doc="recently bought items"),
    FieldSpec("hist_day", "int16", (HISTORY_SLOTS,), NO_DAY, observable=True,
              doc="day of each recent purchase; -32768 = empty slot"),
    FieldSpec("revenue", "float32", (), 0.0, doc="revenue from this customer so far, currency units"),
    FieldSpec("orders", "uint16", (), 0, doc="orders so far"),
    FieldSpec("creepy_n", "uint16", (), 0, doc="creepy touches so far"),
    FieldSpec("persofail_n", "uint16", (), 0, doc="persofails so far"),
)
"""The built-in fields of every population."""


class Population:
    """N customers as named, contiguous arrays.

    Parameters
    ----------
    n : int
        Number of customers.
    n_features : int
        Item feature dimension D (the length of ``pref`` rows).
    fields : iterable of FieldSpec
        Fields to allocate, each filled with its ``fill`` value.
    """

    def __init__(self, n: int, n_features: int, fields: Iterable[FieldSpec] = CUSTOMER_FIELDS):
        self.n = int(n)
        self.n_features = int(n_features)
        self.specs: dict[str, FieldSpec] = {}
        self.arrays: dict[str, np.ndarray] = {}
        self.add_fields(fields)

    def add_fields(self, fields: Iterable[FieldSpec]) -> None:
        """Allocate new fields (a behavior declaring its own state); a name may be declared once."""
        for spec in fields:
            if spec.name in self.specs:
                if self.specs[spec.name] != spec:
                    raise ValueError(f"population field {spec.name!r} is declared twice, differently")
                continue
            shape = (self.n,) + tuple(self.n_features if s == "D" else s for s in spec.shape)
            self.specs[spec.name] = spec
            self.arrays[spec.name] = np.full(shape, spec.fill, dtype=spec.dtype)

    def __getattr__(self, name: str) -> np.ndarray:
        arrays = self.__dict__.get("arrays")
        if arrays is not None and name in arrays:
            return arrays[name]
        raise AttributeError(f"Population has no field {name!r}")

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def bytes_per_customer(self, observable: bool | None = None) -> int:
        """Bytes of state per customer (all fields, or only observable/hidden ones)."""
        return int(sum(a.nbytes for name, a in self.arrays.items()
                       if observable is None or self.specs[name].observable == observable)
                   // max(self.n, 1))


def draw_population(n: int, n_features: int, *, trust_mean: float, trust_concentration: float,
                    trust_base_mean: float, privacy_a: float, privacy_b: float,
                    visit_rate_mean: float, visit_rate_shape: float, email_optin: float,
                    rng: np.random.Generator) -> Population:
    """A homogeneous synthetic population (one segment).

    Trust and its baseline are Beta with the given mean and concentration (a + b); privacy
    sensitivity is Beta(privacy_a, privacy_b); the visit rate is Gamma with the given mean
    and shape; email consent is Bernoulli(email_optin); taste is a uniform random unit vector.
    """
    pop = Population(n, n_features)
    pref = rng.standard_normal((n, n_features))
    pop.pref[:] = pref / np.linalg.norm(pref, axis=1, keepdims=True)
    a = trust_mean * trust_concentration
    pop.trust[:] = rng.beta(a, trust_concentration - a, n)
    a = trust_base_mean * trust_concentration
    pop.trust_base[:] = rng.beta(a, trust_concentration - a, n)
    pop.privacy[:] = rng.beta(privacy_a, privacy_b, n)
    pop.visit_rate[:] = np.minimum(1.0, rng.gamma(visit_rate_shape, visit_rate_mean / visit_rate_shape, n))
    pop.consent[:] = np.where(rng.random(n) < email_optin, 1 << EMAIL, 0)
    return pop
