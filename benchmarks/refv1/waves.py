"""One wave of ref-v1 over the whole population: arguments checked, then the compiled kernel
(``benchmarks/refv1/_kernels.pyx``) or its NumPy twin (:mod:`benchmarks.refv1.twin`) runs it."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.refv1 import twin
from benchmarks.refv1.world import DIM, Catalog, Customers

__all__ = [
    "WaveTotals",
    "visit_wave",
    "email_wave",
    "compiled_kernels",
    "kernel_module",
    "CHUNK_SIZE",
    "MAX_CATEGORIES",
]

CHUNK_SIZE = 4096  # customers per parallel chunk; fixes the revenue summation order
MAX_CATEGORIES = 4096  # item categories must lie in [0, MAX_CATEGORIES), and
MAX_FLAG_TABLE = 1 << 28  # (largest category + 2) * M <= MAX_FLAG_TABLE: the kernel's
# per-wave table of slate flags has a byte per category x item

_KERNEL_IMPLS = ("compiled", "numpy")

_COUNTERS = ("visits", "emails_sent", "emails_opened", "purchases")  # kernel counter columns


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


def compiled_kernels():
    """The compiled module ``benchmarks.refv1._kernels``, or an ImportError that says how to build it."""
    try:
        return importlib.import_module("benchmarks.refv1._kernels")
    except ImportError as exc:  # pragma: no cover - depends on the build state
        raise ImportError(
            f"the benchmark kernels benchmarks.refv1._kernels are not built ({exc}); "
            "run `make install` from the project's source checkout"
        ) from exc


def kernel_module(impl: str):
    """The module holding ``ref_visit_wave`` and ``ref_email_wave`` for ``impl``."""
    if impl == "compiled":
        return compiled_kernels()
    if impl == "numpy":
        return twin
    raise ValueError(f"impl must be one of {_KERNEL_IMPLS}, got {impl!r}")


def _wave(
    kernel_name: str, customers: Customers, catalog: Catalog, day: int, key: int, n_threads: int, impl: str
) -> WaveTotals:
    """Validate, run one kernel over the population, and reduce its per-chunk counters."""
    n_chunks = _check_wave(customers, catalog, day, key, n_threads)
    kernel = getattr(kernel_module(impl), kernel_name)
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
