"""NumPy twin of ``sim/core/_random.pxd``: the counter-based generator, vectorized.

All functions take and return ``numpy.uint64`` arrays (or Python ints for keys) and wrap
around on overflow exactly as the C code does.
"""

from __future__ import annotations

import numpy as np

_MASK = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finalizer on a uint64 array (any shape)."""
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def mix64_int(z: int) -> int:
    """SplitMix64 finalizer on one Python int (used to derive keys)."""
    z &= _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def customer_base(wave_key: int, customers: np.ndarray) -> np.ndarray:
    """Starting counter of each customer's draws in one wave; uint64 array shaped like ``customers``."""
    c = np.asarray(customers).astype(np.uint64)
    with np.errstate(over="ignore"):
        return mix64(np.uint64(wave_key) ^ (c * _GOLDEN))


def draw_bits(base: np.ndarray, j: int | np.ndarray) -> np.ndarray:
    """Draw number ``j`` of each customer: uint64 array shaped like ``base``."""
    with np.errstate(over="ignore"):
        return mix64(base + (np.asarray(j, dtype=np.uint64) + np.uint64(1)) * _GOLDEN)


def bits_to_uniform(bits: np.ndarray) -> np.ndarray:
    """Top 53 bits as float64 in [0, 1)."""
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def draw_uniform(base: np.ndarray, j: int | np.ndarray) -> np.ndarray:
    return bits_to_uniform(draw_bits(base, j))


def bounded_low(bits: np.ndarray, n: int) -> np.ndarray:
    """Integers in [0, n) from the low 32 bits; int64 array."""
    with np.errstate(over="ignore"):
        return (((bits & np.uint64(0xFFFFFFFF)) * np.uint64(n)) >> np.uint64(32)).astype(np.int64)


def bounded_high(bits: np.ndarray, n: int) -> np.ndarray:
    """Integers in [0, n) from the high 32 bits; int64 array."""
    with np.errstate(over="ignore"):
        return (((bits >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32)).astype(np.int64)
