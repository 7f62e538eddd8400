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
import os

__all__ = ["load_compiled", "openmp_enabled", "SPIN_BEFORE_SLEEP"]

SPIN_BEFORE_SLEEP = "30000"
"""``GOMP_SPINCOUNT`` under a passive wait policy when the user has set neither: how long an
idle OpenMP thread polls for the next parallel region before it sleeps (a few hundred
microseconds here).

Idle threads wait passively (``OMP_WAIT_POLICY=PASSIVE``, the default set below for every
entry point: the ``prepersona`` command, ``make``, a script importing ``sim``): a thread that
spun for the next region would hold a core that another process, such as the other jobs of a
sweep, wants.  But a run enters a
parallel region for every kernel of every wave (about 1,400 at 1e6 customers over 90 days, a
few hundred microseconds of Python apart), and a thread that sleeps the moment a region ends
takes 30-70 microseconds to wake for the next one.  Polling this long first spares most of
those wake-ups (two-thread runs about a tenth faster) and still gives a shared core back
within a millisecond.  A user's own ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT`` wins.
"""


def _default_openmp_waiting(environ) -> None:
    """Passive waiting after a short poll, unless the environment says otherwise.

    The OpenMP runtime reads these once, when the first compiled module loads it: this runs
    when ``sim.core`` is imported, before any compiled module is.
    """
    policy = environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if policy.strip().upper() == "PASSIVE":
        environ.setdefault("GOMP_SPINCOUNT", SPIN_BEFORE_SLEEP)


_default_openmp_waiting(os.environ)


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
