"""Customers as a struct of arrays, and how a synthetic population is drawn.

A :class:`Population` holds one contiguous NumPy array per field (``pop.trust``,
``pop["fatigue"]``), declared by :class:`FieldSpec` s; there is never one Python object per
customer.  Fields are either *hidden* (only the customer model may read them: true taste,
trust, privacy sensitivity, fatigue) or *observable* (what a firm also records: consent,
purchase history); :class:`sim.firm.FirmView` exposes only the observable ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from sim.catalog import quantize_unit
from sim.codes import ADS, EMAIL, NO_DAY, PUSH
from sim.memory import state_array

__all__ = ["FieldSpec", "Population", "CUSTOMER_FIELDS", "draw_population", "draw_channel_consent", "HISTORY_SLOTS"]

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
    order : str
        Memory order of the (N, ...) array: ``"C"`` (a customer's values together) or ``"F"``
        (each column's values for all customers together, for a kernel that sweeps one
        column; indexing is the same either way).
    """

    name: str
    dtype: str
    shape: tuple = ()
    fill: float | int = 0
    observable: bool = False
    doc: str = ""
    order: str = "C"


CUSTOMER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("pref", "int8", ("D",), 0, doc="true taste, a unit vector over item features, 127 = 1.0"),
    FieldSpec("trust", "float32", (), 0.5, doc="trust in the brand, [0, 1]"),
    FieldSpec("trust_base", "float32", (), 0.5, doc="trust the customer relaxes to without contact, [0, 1]"),
    FieldSpec("privacy", "float32", (), 0.3, doc="privacy sensitivity, [0, 1]"),
    FieldSpec("visit_rate", "float32", (), 0.05, doc="organic visit probability per day at trust 0.5"),
    FieldSpec(
        "fatigue", "float32", (4,), 0.0, doc="fatigue per channel (onsite, email, push, ads), contacts", order="F"
    ),
    FieldSpec("active", "uint8", (), 1, doc="1 until the customer churns"),
    FieldSpec("rel_mean", "float32", (), 0.0, doc="running mean of perceived relevance of exposed touches"),
    FieldSpec("segment", "uint8", (), 0, doc="segment index"),
    FieldSpec(
        "consent",
        "uint8",
        (),
        0,
        observable=True,
        doc="consent bits by channel code (bit 1 email, 2 push, 3 ad tracking)",
    ),
    FieldSpec(
        "sent_this_week",
        "uint8",
        (4,),
        0,
        observable=True,
        doc="contacts the firm sent per channel this calendar week (for frequency caps)",
    ),
    FieldSpec(
        "sent_today",
        "uint8",
        (4,),
        0,
        observable=True,
        doc="contacts the firm sent per channel today (for daily frequency caps)",
    ),
    FieldSpec("hist_item", "int32", (HISTORY_SLOTS,), 0, observable=True, doc="recently bought items"),
    FieldSpec(
        "hist_day",
        "int16",
        (HISTORY_SLOTS,),
        NO_DAY,
        observable=True,
        doc="day of each recent purchase; -32768 = empty slot",
    ),
    FieldSpec("price_sensitivity", "float32", (), 1.0, doc="multiplier of the price elasticity (bargain hunters > 1)"),
    FieldSpec(
        "fatigue_sensitivity",
        "float32",
        (),
        1.0,
        doc="multiplier of the fatigue each contact adds (wears out badly > 1)",
    ),
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
            self.arrays[spec.name] = state_array(shape, spec.dtype, spec.fill, order=spec.order)

    def subset(self, customers: np.ndarray) -> Population:
        """A new population of the customers ``customers`` (int64, ascending), every field
        copied (a behavior's too), in the same memory order."""
        out = Population(len(customers), self.n_features, self.specs.values())
        for name, a in self.arrays.items():
            out.arrays[name][...] = a[customers]
        return out

    def __getattr__(self, name: str) -> np.ndarray:
        arrays = self.__dict__.get("arrays")
        if arrays is not None and name in arrays:
            return arrays[name]
        raise AttributeError(f"Population has no field {name!r}")

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def bytes_per_customer(self, observable: bool | None = None) -> int:
        """Bytes of state per customer (all fields, or only observable/hidden ones)."""
        return int(
            sum(
                a.nbytes
                for name, a in self.arrays.items()
                if observable is None or self.specs[name].observable == observable
            )
            // max(self.n, 1)
        )


def draw_population(n: int, n_features: int, segments: list, rng: np.random.Generator) -> Population:
    """A synthetic population mixed from segments.

    Parameters
    ----------
    n : int
    n_features : int
    segments : list of SegmentConfig
        Each segment's share of the customers and its distributions: trust and its baseline
        are Beta with the given mean and concentration; privacy sensitivity is
        Beta(privacy_a, privacy_b); the visit rate is Gamma with the given mean and shape;
        email consent is Bernoulli(email_optin); a share ``wearout_share`` of the segment
        gets ``fatigue_sensitivity = wearout_multiplier`` (the rest 1).  Taste is a uniform
        random unit vector for everyone.
    rng : numpy.random.Generator

    Segment sizes are exact (largest remainder) and customers are shuffled across segments.
    """
    pop = Population(n, n_features)
    shares = np.array([s.share for s in segments], dtype=np.float64)
    counts = np.floor(shares / shares.sum() * n).astype(np.int64)
    rest = n - counts.sum()
    order = np.argsort(-(shares / shares.sum() * n - counts), kind="stable")
    counts[order[:rest]] += 1
    seg = rng.permutation(np.repeat(np.arange(len(segments), dtype=np.uint8), counts))
    pop.segment[:] = seg
    pop.pref[:] = quantize_unit(rng.standard_normal((n, n_features)))
    for code, s in enumerate(segments):
        idx = np.flatnonzero(seg == code)
        m = idx.size
        pop.trust[idx] = _beta_mean(rng, s.trust_mean, s.trust_concentration, m)
        pop.trust_base[idx] = _beta_mean(rng, s.trust_base_mean, s.trust_concentration, m)
        pop.privacy[idx] = rng.beta(s.privacy_a, s.privacy_b, m)
        pop.visit_rate[idx] = np.minimum(1.0, rng.gamma(s.visit_rate_shape, s.visit_rate_mean / s.visit_rate_shape, m))
        pop.consent[idx] = np.where(rng.random(m) < s.email_optin, 1 << EMAIL, 0)
        pop.price_sensitivity[idx] = s.price_sensitivity
        pop.fatigue_sensitivity[idx] = np.where(rng.random(m) < s.wearout_share, s.wearout_multiplier, 1.0)
    return pop


def draw_channel_consent(pop: Population, segments: list, rng: np.random.Generator) -> None:
    """Push and ad-tracking consent: Bernoulli(push_optin) and Bernoulli(ads_consent) per segment.

    Drawn from a stream of its own (after :func:`draw_population`), so adding channels leaves
    every other customer attribute as it was.
    """
    for code, s in enumerate(segments):
        idx = np.flatnonzero(pop.segment == code)
        push = rng.random(idx.size) < s.push_optin
        ads = rng.random(idx.size) < s.ads_consent
        pop.consent[idx] |= (push.astype(np.uint8) << PUSH) | (ads.astype(np.uint8) << ADS)


def _beta_mean(rng: np.random.Generator, mean: float, concentration: float, size: int) -> np.ndarray:
    a = mean * concentration
    return rng.beta(a, concentration - a, size)
