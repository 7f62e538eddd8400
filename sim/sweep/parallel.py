"""How many jobs of a sweep run at once on this machine (``hydra.launcher.n_jobs``)."""

from __future__ import annotations

import os

__all__ = ["usable_cores", "parallel_jobs"]


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container or batch system may restrict)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parallel_jobs(threads: int | str) -> int:
    """Jobs at once when each runs the compiled core on ``threads`` threads: never more threads than cores."""
    return max(1, usable_cores() // int(threads))
