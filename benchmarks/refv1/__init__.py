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

The workload is a benchmark, not part of the product: it lives here, beside the harness
that times it (``python -m benchmarks.run``, ``make bench``), and its compiled kernels are
built from a source checkout only.

Modules, from the bottom:

* :mod:`.world`: :class:`Catalog` and :class:`Customers`, the world as arrays (struct of
  arrays); :class:`ReferenceWorld` builds them from a seed.
* :mod:`.waves`: :func:`visit_wave` and :func:`email_wave`, one wave over the whole
  population, validated, through the compiled kernels (``_kernels.pyx``) or their NumPy twin
  (:mod:`.twin`).
* :mod:`.simulation`: :class:`ReferenceRun`, the 90 days as SimPy waves (one process for the
  daily visits, one for the weekly emails); :func:`run_reference`, one timed run, as the
  benchmarks use it.
* ``python -m benchmarks.refv1``: one timed run from the command line (:mod:`.__main__`).
"""

from __future__ import annotations

from benchmarks.refv1.simulation import DAYS, IMPLS, RESULT_KEYS, ReferenceRun, run_reference
from benchmarks.refv1.waves import CHUNK_SIZE, MAX_CATEGORIES, WaveTotals, compiled_kernels, email_wave, visit_wave
from benchmarks.refv1.world import NO_CATEGORY, NO_DAY, Catalog, Customers, ReferenceWorld

__all__ = [
    "Catalog",
    "Customers",
    "ReferenceWorld",
    "WaveTotals",
    "visit_wave",
    "email_wave",
    "compiled_kernels",
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
