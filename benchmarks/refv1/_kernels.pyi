"""Typed stub of the compiled module ``benchmarks.refv1._kernels`` (the waves of ref-v1).

Shapes: N customers, M items, n_chunks = ceil(N / chunk_size).  Arrays are C-contiguous;
call through :func:`benchmarks.refv1.visit_wave` and :func:`~benchmarks.refv1.email_wave`,
which check them.
"""

import numpy as np
import numpy.typing as npt

def has_avx2() -> bool:
    """True when this CPU has AVX2 (the candidates' scores then use it)."""

def set_avx2(enabled: bool) -> bool:
    """Use the AVX2 scores (if the CPU has them) or the portable loop; returns the previous setting."""

def ref_visit_wave(
    pref: npt.NDArray[np.float32],  # (N, 8)
    privacy: npt.NDArray[np.float32],  # (N,)
    trust: npt.NDArray[np.float32],  # IN/OUT (N,)
    fatigue: npt.NDArray[np.float32],  # IN/OUT (N,)
    churned: npt.NDArray[np.uint8],  # IN/OUT (N,)
    last_cat: npt.NDArray[np.int32],  # IN/OUT (N,)
    last_day: npt.NDArray[np.int32],  # IN/OUT (N,)
    item_feat: npt.NDArray[np.float32],  # (M, 8)
    item_cat: npt.NDArray[np.int32],  # (M,)
    item_sensitive: npt.NDArray[np.uint8],  # (M,)
    item_price: npt.NDArray[np.float64],  # (M,)
    day: int,
    key: int,
    chunk_size: int,
    counts: npt.NDArray[np.int64],  # OUT (n_chunks, 4)
    revenue: npt.NDArray[np.float64],  # OUT (n_chunks,)
    n_threads: int,
) -> None:
    """One day: fatigue decays (if day > 0), then the non-churned visit with probability 0.2."""

def ref_email_wave(
    pref: npt.NDArray[np.float32],  # (N, 8)
    privacy: npt.NDArray[np.float32],  # (N,)
    trust: npt.NDArray[np.float32],  # IN/OUT (N,)
    fatigue: npt.NDArray[np.float32],  # IN/OUT (N,)
    churned: npt.NDArray[np.uint8],  # IN/OUT (N,)
    last_cat: npt.NDArray[np.int32],  # IN/OUT (N,)
    last_day: npt.NDArray[np.int32],  # IN/OUT (N,)
    item_feat: npt.NDArray[np.float32],  # (M, 8)
    item_cat: npt.NDArray[np.int32],  # (M,)
    item_sensitive: npt.NDArray[np.uint8],  # (M,)
    item_price: npt.NDArray[np.float64],  # (M,)
    day: int,
    key: int,
    chunk_size: int,
    counts: npt.NDArray[np.int64],  # OUT (n_chunks, 4)
    revenue: npt.NDArray[np.float64],  # OUT (n_chunks,)
    n_threads: int,
) -> None:
    """One campaign: an email to every non-churned customer (fatigue += 0.3), opened with p = 0.3 trust."""
