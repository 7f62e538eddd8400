"""Random streams: one seed, one independent stream per named component.

Two kinds of randomness are derived from a run's ``seed``:

* ``generator(name)``: a :class:`numpy.random.Generator` for set-up work done in Python
  (drawing the population, the catalog, the journey sample).
* ``key(name)`` and ``wave_key(name, tick)``: 64-bit keys for the counter-based generator
  the compiled kernels use (``sim/core/_random.pxd``).  A draw is a pure function of
  (key, customer, draw number), so results are identical at any thread count, and a
  customer's own noise does not change when the strategy changes.

Streams are named, not numbered: a stream's id is a stable hash of its name, so a
researcher's new behavior gets its own independent stream without touching a registry.
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.core.twins.random import mix64_int

__all__ = ["RandomStreams", "stream_id"]


def stream_id(name: str) -> int:
    """Stable 32-bit id of a stream name (CRC-32 of its UTF-8 bytes)."""
    return zlib.crc32(name.encode("utf-8"))


class RandomStreams:
    """All random streams of one run, derived from one seed.

    Parameters
    ----------
    seed : int
        The run's seed (``seed`` in the config); any non-negative integer.
    prefix : str
        Prepended to every stream name: ``RandomStreams(seed, "tail.")`` gives streams
        independent of the run's own, the same for every run of that seed (the customer-equity
        tail, :mod:`sim.value`).
    """

    def __init__(self, seed: int, prefix: str = ""):
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.seed = int(seed)
        self.prefix = prefix
        self._keys: dict[str, int] = {}

    def _sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=(stream_id(self.prefix + name),))

    def generator(self, name: str) -> np.random.Generator:
        """A fresh PCG64 generator for the named stream (same name, same draws)."""
        return np.random.Generator(np.random.PCG64(self._sequence(name)))

    def key(self, name: str) -> int:
        """The 64-bit key of the named stream for the compiled kernels."""
        if name not in self._keys:
            self._keys[name] = int(self._sequence(name).generate_state(1, np.uint64)[0])
        return self._keys[name]

    def wave_key(self, name: str, tick: int) -> int:
        """Key for one wave of the named stream; ``tick`` identifies the wave (e.g. the hour)."""
        return mix64_int(self.key(name) ^ mix64_int(int(tick) + 0x5BD1E995))
