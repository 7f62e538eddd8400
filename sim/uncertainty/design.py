"""The plausible worlds of a config: a space-filling design over its uncertain parameters.

A design of ``K`` points in the unit hypercube ``[0, 1)^D`` (one dimension per uncertain
parameter) is drawn with :mod:`scipy.stats.qmc`: a scrambled Sobol sequence (``sobol``; its
balance is best when ``K`` is a power of 2) or a Latin hypercube (``lhs``; each parameter's
range cut into ``K`` equal-probability slices, one world in each).  Each coordinate is mapped
through its prior's inverse CDF (:meth:`sim.uncertainty.priors.Distribution.ppf`).  The
scrambling is seeded by ``uncertainty.seed`` alone: the same priors, ``K``, design and seed
give the same worlds in every process, whatever the run's own ``seed``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from sim.uncertainty.priors import Distribution, resolve_priors

__all__ = ["Worlds", "draw_worlds", "unit_design"]


@dataclass(frozen=True)
class Worlds:
    """``values[k, j]`` (float64, shape (K, D)) is parameter ``priors[j].key`` in world ``k``."""

    priors: tuple[Distribution, ...]
    values: np.ndarray

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.priors]

    def world(self, k: int) -> dict[str, float | int]:
        """World ``k`` as ``{key: value}`` (ints for integer parameters), in the priors' order."""
        return {p.key: (int(v) if p.integer else float(v)) for p, v in zip(self.priors, self.values[k])}


def unit_design(design: str, n: int, d: int, seed: int) -> np.ndarray:
    """float64 (n, d): ``n`` points of a scrambled Sobol (``sobol``) or Latin hypercube
    (``lhs``) design in ``[0, 1)^d``, seeded by ``seed``."""
    from scipy.stats import qmc

    if design == "sobol":
        sampler = qmc.Sobol(d=d, scramble=True, rng=np.random.default_rng(seed))
        with warnings.catch_warnings():
            # Any n is a valid draw; only a power of 2 keeps the sequence's balance (documented).
            warnings.simplefilter("ignore", UserWarning)
            return sampler.random(n)
    if design == "lhs":
        return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n)
    raise ValueError(f"unknown design {design!r}")


def draw_worlds(config) -> Worlds:
    """The worlds of a config's ``uncertainty`` node (no worlds when ``worlds`` is 0).

    Raises
    ------
    sim.errors.ConfigError
        For priors :func:`sim.uncertainty.priors.resolve_priors` refuses.
    """
    priors = tuple(resolve_priors(config))
    unc = config.uncertainty
    if not priors:
        return Worlds(priors, np.zeros((unc.worlds, 0), dtype=np.float64))
    u = unit_design(unc.design, unc.worlds, len(priors), unc.seed)
    values = np.column_stack([p.ppf(u[:, j]) for j, p in enumerate(priors)]).astype(np.float64)
    return Worlds(priors, values)
