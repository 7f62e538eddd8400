"""The reference workload "ref-v1": a fixed, fully specified model for speed and agreement checks.

It is simpler than the built-in customer model and exists so that the engine's speed can be
measured on a workload any other implementation can reproduce.  The rules:

World (per seed)
    8 features.  M = 1000 items: unit-length features (standard normal, normalized), price
    lognormal(3.0, 0.5), category j mod 50, sensitive when j mod 20 == 0.  N customers:
    unit-length preference, privacy sensitivity s ~ Beta(2, 5), trust 0.5, fatigue 0, not
    churned, no last purchase.
Days 0..89, in this order within day d
    1. if d > 0, every customer's fatigue *= 0.9;
    2. every non-churned customer visits with probability 0.2; a visit is one interaction;
    3. on days with d mod 7 == 6 (6, 13, ..., 83: 12 campaigns) every non-churned customer
       is sent an email (fatigue += 0.3), opened with probability 0.3 * trust; an open is
       one interaction.
One interaction
    16 candidates uniformly with replacement; the slate is the 4 with the highest p . q
    (ties: the earlier candidate); r is the slate's best score.  Persofail: a slate item of
    the last bought category, bought less than 30 days ago (trust -= 0.05).  Creepy: a
    sensitive slate item (trust -= 0.10 s).  If neither: trust += 0.02 (1 - trust) when
    r > 0.5, else trust -= 0.01 trust.  Clamp to [0, 1].  Purchase with probability
    sigmoid(-3 + 4 r + 2 trust - fatigue) of the slate's best item.  Churn when trust < 0.15.

Layers, from the bottom:

* :class:`Catalog` and :class:`Customers`: the world as arrays (struct of arrays);
  :class:`ReferenceWorld` builds them from a seed.
* :func:`visit_wave` and :func:`email_wave`: one wave over the whole population, validated,
  through the compiled kernels (``sim/core/_reference.pyx``) or their NumPy twin
  (``sim/core/twins/reference.py``).
* :class:`ReferenceRun`: the 90 days as SimPy waves (one process for the daily visits, one
  for the weekly emails); :func:`run_reference`: one timed run, as the benchmarks use it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import simpy

from sim.core import load_compiled
from sim.core.twins import reference as reference_twin
from sim.memory import state_array, state_copy
from sim.rng import RandomStreams

__all__ = [
    "Catalog",
    "Customers",
    "ReferenceWorld",
    "WaveTotals",
    "visit_wave",
    "email_wave",
    "ReferenceRun",
    "run_reference",
    "RESULT_KEYS",
    "IMPLS",
    "DAYS",
    "CHUNK_SIZE",
    "NO_CATEGORY",
    "NO_DAY",
    "MAX_CATEGORIES",
]

DIM = 8
N_ITEMS = 1000
N_CATEGORIES = 50
SENSITIVE_EVERY = 20
DAYS = 90
EMAIL_WEEKDAY = 6  # campaigns on days d with d % 7 == EMAIL_WEEKDAY
VISIT_HOUR = 1  # SimPy time is in hours: visits at 24 d + 1, emails at 24 d + 2,
EMAIL_HOUR = 2  # so a day's decay and visits come before its campaign
NO_CATEGORY = -1  # last_cat of a customer who never bought
NO_DAY = -(2**30)  # last_day of a customer who never bought ("minus infinity";
# day - NO_DAY still fits in int32)
CHUNK_SIZE = 4096  # customers per parallel chunk; fixes the revenue summation order
MAX_CATEGORIES = 4096  # item categories must lie in [0, MAX_CATEGORIES), and
MAX_FLAG_TABLE = 1 << 28  # (largest category + 2) * M <= MAX_FLAG_TABLE: the kernel's
# per-wave table of slate flags has a byte per category x item

IMPLS = ("engine", "numpy")
"""``run_reference`` implementations: SimPy + compiled kernels, or SimPy + the NumPy twin."""
_KERNEL_IMPLS = ("compiled", "numpy")

RESULT_KEYS = (
    "revenue",
    "mean_trust",
    "churn_fraction",
    "visits",
    "emails_sent",
    "emails_opened",
    "purchases",
    "interactions",
    "seconds",
    "init_seconds",
)
"""Keys of the dict :func:`run_reference` returns, in order."""

_COUNTERS = ("visits", "emails_sent", "emails_opened", "purchases")  # kernel counter columns


# --------------------------------------------------------------------------- the world


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


# --------------------------------------------------------------------------- the waves


@dataclass
class WaveTotals:
    """What one wave (or a whole run) counted."""

    visits: int = 0
    emails_sent: int = 0
    emails_opened: int = 0
    purchases: int = 0
    revenue: float = 0.0

    def add(self, other: WaveTotals) -> None:
        """Accumulate another wave's totals (revenue in wave order, so sums are reproducible)."""
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.revenue += other.revenue


# (name, dtype, shape with "N"/"M" for the shared lengths, written by the waves)
_CUSTOMER_ARRAYS = (
    ("pref", np.float32, ("N", DIM), False),
    ("privacy", np.float32, ("N",), False),
    ("trust", np.float32, ("N",), True),
    ("fatigue", np.float32, ("N",), True),
    ("churned", np.uint8, ("N",), True),
    ("last_cat", np.int32, ("N",), True),
    ("last_day", np.int32, ("N",), True),
)
_CATALOG_ARRAYS = (
    ("features", np.float32, ("M", DIM), False),
    ("category", np.int32, ("M",), False),
    ("sensitive", np.uint8, ("M",), False),
    ("price", np.float64, ("M",), False),
)


def _check_arrays(owner: str, obj: Any, specs: tuple, sizes: dict[str, int]) -> None:
    """Check dtype, rank, C-contiguity and shape of each array of ``obj``.

    ``sizes`` maps a length symbol to its size; the first array that uses a symbol defines it.

    Raises
    ------
    ValueError
        Naming the array and what is wrong with it.
    """
    for name, dtype, shape, written in specs:
        a = getattr(obj, name)
        where = f"{owner}.{name}"
        if not isinstance(a, np.ndarray):
            raise ValueError(f"{where}: expected a NumPy array, got {type(a).__name__}")
        if a.dtype != dtype:
            raise ValueError(f"{where}: dtype {a.dtype}, expected {np.dtype(dtype)}")
        if a.ndim != len(shape):
            raise ValueError(f"{where}: {a.ndim}-d array, expected {len(shape)}-d")
        if not a.flags.c_contiguous:
            raise ValueError(f"{where}: array is not C-contiguous")
        if written and not a.flags.writeable:
            raise ValueError(f"{where}: array is read-only, but the waves update it")
        for axis, (symbol, size) in enumerate(zip(shape, a.shape)):
            expected = sizes.setdefault(symbol, size) if isinstance(symbol, str) else symbol
            if size != expected:
                named = f"{symbol} = {expected}" if isinstance(symbol, str) else str(expected)
                raise ValueError(f"{where}: shape {a.shape}, expected {named} along axis {axis}")


def _check_wave(customers: Customers, catalog: Catalog, day: int, key: int, n_threads: int) -> int:
    """Validate one wave's arguments; returns the number of chunks."""
    sizes: dict[str, int] = {}
    _check_arrays("customers", customers, _CUSTOMER_ARRAYS, sizes)
    _check_arrays("catalog", catalog, _CATALOG_ARRAYS, sizes)
    if not 1 <= sizes["M"] < 2**32:
        raise ValueError(f"catalog: {sizes['M']} items, expected 1 <= M < 2**32")
    lo, hi = int(catalog.category.min()), int(catalog.category.max())
    if lo < 0 or hi >= MAX_CATEGORIES:
        raise ValueError(f"catalog.category: values span [{lo}, {hi}], allowed [0, {MAX_CATEGORIES})")
    if (hi + 2) * sizes["M"] > MAX_FLAG_TABLE:
        raise ValueError(
            f"catalog: {hi + 1} categories x {sizes['M']} items is too many "
            f"(at most {MAX_FLAG_TABLE} bytes for the slate-flag table)"
        )
    if not 0 <= day < 2**30:
        raise ValueError(f"day must be in [0, 2**30), got {day}")
    if not 0 <= key < 2**64:
        raise ValueError(f"key must be a uint64 value, got {key}")
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    return -(-sizes["N"] // CHUNK_SIZE)


def _kernels(impl: str):
    """The module holding ``ref_visit_wave`` and ``ref_email_wave`` for ``impl``."""
    if impl == "compiled":
        return load_compiled("_reference")
    if impl == "numpy":
        return reference_twin
    raise ValueError(f"impl must be one of {_KERNEL_IMPLS}, got {impl!r}")


def _wave(
    kernel_name: str, customers: Customers, catalog: Catalog, day: int, key: int, n_threads: int, impl: str
) -> WaveTotals:
    """Validate, run one kernel over the population, and reduce its per-chunk counters."""
    n_chunks = _check_wave(customers, catalog, day, key, n_threads)
    kernel = getattr(_kernels(impl), kernel_name)
    counts = np.zeros((n_chunks, len(_COUNTERS)), dtype=np.int64)
    revenue = np.zeros(n_chunks, dtype=np.float64)
    c, q = customers, catalog
    kernel(
        c.pref,
        c.privacy,
        c.trust,
        c.fatigue,
        c.churned,
        c.last_cat,
        c.last_day,
        q.features,
        q.category,
        q.sensitive,
        q.price,
        int(day),
        int(key),
        CHUNK_SIZE,
        counts,
        revenue,
        int(n_threads),
    )
    # Reduced over chunks in a fixed order: the same sums for any thread count.
    totals = counts.sum(axis=0)
    return WaveTotals(*(int(x) for x in totals), revenue=float(revenue.sum()))


def visit_wave(
    customers: Customers, catalog: Catalog, day: int, key: int, n_threads: int = 1, impl: str = "compiled"
) -> WaveTotals:
    """Steps 1 and 2 of ``day`` for the whole population: fatigue decay, then visits.

    Mutates ``customers`` (trust, fatigue, churned, last_cat, last_day) in place.

    Parameters
    ----------
    customers, catalog
        Arrays as documented on :class:`Customers` and :class:`Catalog`.
    day : int
        The day, in [0, 2**30); fatigue does not decay on day 0.
    key : int
        The wave's uint64 key (``ReferenceWorld.visit_key(day)``).
    n_threads : int
        Threads for the compiled kernel (results do not depend on it).
    impl : {"compiled", "numpy"}
        The compiled kernel or its NumPy twin.

    Raises
    ------
    ValueError
        When an array has the wrong dtype, rank, layout or length, or an argument is out of range.
    """
    return _wave("ref_visit_wave", customers, catalog, day, key, n_threads, impl)


def email_wave(
    customers: Customers, catalog: Catalog, day: int, key: int, n_threads: int = 1, impl: str = "compiled"
) -> WaveTotals:
    """Step 3 of ``day``: one email to every non-churned customer, opens, interactions.

    Arguments, effects and errors as :func:`visit_wave` (key: ``ReferenceWorld.email_key(day)``).
    """
    return _wave("ref_email_wave", customers, catalog, day, key, n_threads, impl)


# --------------------------------------------------------------------------- the run


class ReferenceRun:
    """The 90 days of ref-v1 on one world, scheduled by SimPy, one event per wave.

    Two processes share one :class:`simpy.Environment` whose time unit is the hour: the daily
    visit wave at hour ``24 d + 1`` and the weekly email wave at ``24 d + 2``.

    Parameters
    ----------
    world : ReferenceWorld
        Mutated by the run.
    n_threads : int
        Threads for the compiled kernels.
    impl : {"compiled", "numpy"}
        The compiled kernels or their NumPy twin.

    Attributes
    ----------
    totals : WaveTotals
        Accumulated over the waves run so far.
    log : list of (float, str, int)
        (SimPy time in hours, "visit" or "email", day) of every wave, in the order run.
    """

    def __init__(self, world: ReferenceWorld, n_threads: int = 1, impl: str = "compiled"):
        _kernels(impl)  # fail (or import the compiled module) before the clock starts
        self.world = world
        self.n_threads = int(n_threads)
        self.impl = impl
        self.totals = WaveTotals()
        self.log: list[tuple[float, str, int]] = []
        self.env = simpy.Environment()
        self.env.process(self._visits())
        self.env.process(self._emails())

    def _at(self, day: int, hour: int):
        return self.env.timeout(24 * day + hour - self.env.now)

    def _visits(self):
        w = self.world
        for day in range(DAYS):
            yield self._at(day, VISIT_HOUR)
            self.log.append((self.env.now, "visit", day))
            self.totals.add(visit_wave(w.customers, w.catalog, day, w.visit_key(day), self.n_threads, self.impl))

    def _emails(self):
        w = self.world
        for day in range(EMAIL_WEEKDAY, DAYS, 7):
            yield self._at(day, EMAIL_HOUR)
            self.log.append((self.env.now, "email", day))
            self.totals.add(email_wave(w.customers, w.catalog, day, w.email_key(day), self.n_threads, self.impl))

    def run(self) -> None:
        """Run all waves (once)."""
        self.env.run()

    def outcomes(self) -> dict[str, float | int]:
        """The workload's outputs after the run (every key of ``RESULT_KEYS`` but the timings)."""
        c, t = self.world.customers, self.totals
        n = self.world.n
        return {
            "revenue": t.revenue,
            "mean_trust": float(c.trust.mean(dtype=np.float64)) if n else float("nan"),
            "churn_fraction": float(np.count_nonzero(c.churned)) / n if n else float("nan"),
            "visits": t.visits,
            "emails_sent": t.emails_sent,
            "emails_opened": t.emails_opened,
            "purchases": t.purchases,
            "interactions": t.visits + t.emails_sent,
        }


def run_reference(n: int, seed: int, threads: int = 1, impl: str = "engine") -> dict[str, Any]:
    """Build a world and run ref-v1 on it; the benchmarks' unit of work.

    Parameters
    ----------
    n : int
        Number of customers.
    seed : int
        The seed of the world and of every draw.
    threads : int
        Threads for the compiled kernels (ignored by the NumPy twin).
    impl : {"engine", "numpy"}
        SimPy waves calling the compiled kernels, or the same waves calling the NumPy twin.

    Returns
    -------
    dict
        Exactly the keys of ``RESULT_KEYS``: the outputs, ``seconds`` (wall time of the
        simulated work, ``env.run()``) and ``init_seconds`` (building the world).
    """
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    start = time.perf_counter()
    world = ReferenceWorld(n, seed)
    sim = ReferenceRun(world, threads, "compiled" if impl == "engine" else "numpy")
    init_seconds = time.perf_counter() - start
    start = time.perf_counter()
    sim.run()
    seconds = time.perf_counter() - start
    return {**sim.outcomes(), "seconds": seconds, "init_seconds": init_seconds}
