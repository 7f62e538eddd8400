"""The compiled customer core.

Kernels here know nothing of Hydra, SimPy or pandas: they borrow NumPy arrays that Python
owns, mutate them in place with the GIL released, and are called through thin Python
wrappers that validate dtypes, shapes and index bounds (the kernels run with bounds checks
off; the few index arrays a kernel checks itself as it reads them are listed in
:data:`sim.core.kernels.CHECKED_IN_KERNEL`).  Every kernel has a NumPy twin in
:mod:`sim.core.twins`, the bookkeeping ones (a wave's tally, the contact book) included.
"""

from __future__ import annotations

import importlib

__all__ = ["load_compiled", "openmp_enabled"]


def load_compiled(name: str):
    """Import the compiled module ``sim.core.<name>``, or explain how to build it."""
    try:
        return importlib.import_module(f"sim.core.{name}")
    except ImportError as exc:  # pragma: no cover - depends on the build state
        raise ImportError(
            f"the compiled module sim.core.{name} is not built ({exc}); "
            "run `make install` (or `pip install -e .`) from the project root"
        ) from exc


def openmp_enabled() -> bool:
    """True when the core was compiled with OpenMP (``threads`` > 1 then runs in parallel)."""
    return bool(load_compiled("_threads").openmp_enabled())
