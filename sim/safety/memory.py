"""The peak memory a run needs, estimated from its config, against the memory this machine has.

A run keeps every customer's state in arrays, every item's features, and the journeys of the
recorded customers; its peak is, within the margins below, a sum of four terms (measured as
the peak resident set size of ``prepersona`` runs on x86-64 Linux, at 8 and 64 features):

===========================  =====================================  ============================
term                         bytes                                  measured
===========================  =====================================  ============================
the process                  :data:`BASE_BYTES` (160 MiB)           57 MiB without Parquet,
                                                                    about 100 MiB with it
per customer                 :data:`CUSTOMER_BYTES` +               303 B at 8 features,
                             :data:`CUSTOMER_FEATURE_BYTES` x F     1,695 B at 64 (fit: 104 +
                                                                    24.9 F)
per catalog item             :data:`ITEM_BYTES` +                   258 B at 8 features, 2,050 B
                             :data:`ITEM_FEATURE_BYTES` x F         at 64 (fit: 2 + 32 F)
per recorded journey & day   :data:`JOURNEY_DAY_BYTES`              100 B (weekly email), 195-
                                                                    210 B (every channel)
===========================  =====================================  ============================

The constants round the fits up, so the estimate errs on the safe side (measured peak against
estimate: a million customers for 14 days 326 / 483 MiB; 800,000 customers at 64 features
1,352 / 1,533 MiB; 20,000 journeys of a year on every channel 1,419 / 1,699 MiB; two million
items at 64 features 3,966 / 4,083 MiB; ``tests/test_safety_memory.py`` checks one again).
A sweep runs ``n`` jobs at once, so it needs ``n`` times its largest job.

:func:`check_memory` refuses a command whose estimate
exceeds the memory available (Linux: ``MemAvailable``, and the cgroup's limit when one is
set), naming the size that would fit; ``memory_check=false`` runs it anyway.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from sim.errors import ConfigError

__all__ = [
    "BASE_BYTES",
    "CUSTOMER_BYTES",
    "CUSTOMER_FEATURE_BYTES",
    "ITEM_BYTES",
    "ITEM_FEATURE_BYTES",
    "JOURNEY_DAY_BYTES",
    "estimate_bytes",
    "available_bytes",
    "check_memory",
]

BASE_BYTES = 160 << 20
"""The Python process with NumPy, Hydra and pyarrow loaded, before any customer exists."""
CUSTOMER_BYTES = 130
"""Per customer, besides its features: trust, fatigue, consent, histories, the firm's records,
the campaign books, and a wave's per-touch arrays."""
CUSTOMER_FEATURE_BYTES = 26
"""Per customer and feature: its taste and the firm's estimate (float32), and their draws."""
ITEM_BYTES = 8
"""Per catalog item, besides its features: category, price, margin."""
ITEM_FEATURE_BYTES = 32
"""Per item and feature: the feature matrix and the temporaries that draw and normalize it."""
JOURNEY_DAY_BYTES = 220
"""Per recorded customer (``output.journeys``) and simulated day: its touches, kept in memory
until the run ends."""


def estimate_bytes(cfg) -> int:
    """Estimated peak resident memory of one run of ``cfg`` (a :class:`sim.config.schema.Config`)."""
    f = cfg.catalog.features
    customers = cfg.population.size * (CUSTOMER_BYTES + CUSTOMER_FEATURE_BYTES * f)
    items = cfg.catalog.items * (ITEM_BYTES + ITEM_FEATURE_BYTES * f)
    journeys = min(cfg.output.journeys, cfg.population.size) * cfg.horizon_days * JOURNEY_DAY_BYTES
    return BASE_BYTES + customers + items + journeys


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_bytes() -> int | None:
    """Memory a new run may use now: ``MemAvailable``, lowered to the room left under the
    cgroup's limit when there is one; None where it cannot be told (not Linux)."""
    avail = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        avail = None
    limit = _read_int("/sys/fs/cgroup/memory.max")  # cgroup v2; "max" (no limit) reads as None
    if limit is not None:
        used = _read_int("/sys/fs/cgroup/memory.current") or 0
        room = max(0, limit - used)
        avail = room if avail is None else min(avail, room)
    return avail


def _round_down(n: int) -> int:
    """``n`` rounded down to three significant digits (an estimate is no more precise)."""
    if n < 1000:
        return n
    scale = 10 ** (len(str(n)) - 3)
    return n // scale * scale


def _gib(n: float) -> str:
    return f"{n / (1 << 30):.1f} GiB"


def check_memory(cfg, at_once: int = 1, available: int | None = None, overrides: list[str] = ()) -> int:
    """Refuse a run (``at_once`` of them side by side) that would not fit in memory; returns the estimate.

    Parameters
    ----------
    cfg : the job's validated config (its largest, for a sweep)
    at_once : jobs that run side by side (a sweep's launcher ``n_jobs``)
    available : bytes available (default: :func:`available_bytes`)
    overrides : the job's overrides, to name the key as the user wrote it

    Raises
    ------
    ConfigError
        Naming the key that dominates the estimate, its value, and the largest value that fits.
    """
    need = estimate_bytes(cfg) * at_once
    if not cfg.memory_check:
        return need
    available = available_bytes() if available is None else available
    if available is None or need <= available:
        return need
    f = cfg.catalog.features
    terms = {
        "population.size": (cfg.population.size, CUSTOMER_BYTES + CUSTOMER_FEATURE_BYTES * f),
        "catalog.items": (cfg.catalog.items, ITEM_BYTES + ITEM_FEATURE_BYTES * f),
        "output.journeys": (
            min(cfg.output.journeys, cfg.population.size),
            cfg.horizon_days * JOURNEY_DAY_BYTES,
        ),
    }
    key, (value, per) = max(terms.items(), key=lambda kv: kv[1][0] * kv[1][1])
    others = estimate_bytes(cfg) - value * per
    fits = _round_down(max(0, math.floor((available / at_once - others) / per)))
    side = f" ({at_once} jobs at once)" if at_once > 1 else ""
    fit = f"at most about {fits:,} fit" if fits > 0 else "even 1 does not fit"
    raise ConfigError(
        key,
        value,
        f"the run needs about {_gib(need)}{side} and {_gib(available)} are available; {fit} "
        "(memory_check=false runs it anyway)",
    )


def total_memory_bytes() -> int | None:
    """Physical memory of the machine (for messages and tests)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
