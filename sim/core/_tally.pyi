"""Typed stub of the compiled module ``sim.core._tally`` (the daily value histogram, the wave tally).

Shapes: k touches, N customers, S slots, B data bases, G segments.  Arrays are C-contiguous.
"""

import numpy as np
import numpy.typing as npt

SIMD_PATHS: tuple[str, ...]
"""The vector paths of this module, narrowest first."""

TALLY_CHUNK: int
"""Touches per chunk of the wave tally (fixed: the float sums must not depend on the thread count)."""

def simd_paths() -> tuple[str, ...]:
    """The vector paths this CPU can run, narrowest first."""

def set_simd(path: str) -> str:
    """Run this module's vector helpers on ``path`` (one of :func:`simd_paths`); returns the previous path."""

def value_histogram(
    values: npt.NDArray[np.float32],  # (N,), in [0, 1]
    counts: npt.NDArray[np.int64],  # OUT (n_chunks, n_bins)
    sums: npt.NDArray[np.float64],  # OUT (n_chunks,)
    chunk: int,
    n_threads: int,
) -> None:
    """Histogram of values in [0, 1] into equal bins, and the sum, per chunk of ``chunk`` values."""

def tally_wave(
    cust: npt.NDArray[np.int64],  # (k,)
    segment: npt.NDArray[np.uint8],  # (N,)
    exposed: npt.NDArray[np.uint8],  # (k,)
    clicked: npt.NDArray[np.uint8],  # (k,)
    bought: npt.NDArray[np.int32],  # (k,), -1 when none
    revenue: npt.NDArray[np.float64],  # (k,)
    margin: npt.NDArray[np.float64],  # (k,)
    persofail: npt.NDArray[np.uint8],  # (k,), 1 + slot, 0 when none
    creepy: npt.NDArray[np.uint8],  # (k,)
    opted_out: npt.NDArray[np.uint8],  # (k,)
    basis: npt.NDArray[np.uint8],  # (k, S)
    rel: npt.NDArray[np.float32],  # (k,)
    score: npt.NDArray[np.float32],  # (k, S)
    counts: npt.NDArray[np.int64],  # OUT (6,)
    persofail_slot_basis: npt.NDArray[np.int64],  # OUT (S, B)
    creepy_basis: npt.NDArray[np.int64],  # OUT (B,)
    by_segment: npt.NDArray[np.float64],  # OUT (6, G)
    sums: npt.NDArray[np.float64],  # OUT (4,)
    n_threads: int = 1,
) -> int:
    """A finished wave's counters and sums in one pass; returns 0, or 1 + the first touch out of range."""
