"""Typed stub of the compiled module ``sim.core._firm`` (the firm's slates and learning).

Shapes: k touches, N customers, M items, D features, S slots, H purchase-history slots,
C categories, P best sellers, E editorial picks.  Arrays are C-contiguous; the kernels run
with bounds checks off, so call them through :func:`sim.core.kernels.call`, which checks them.
"""

import numpy as np
import numpy.typing as npt

SIMD_PATHS: tuple[str, ...]
"""The vector paths of this module, narrowest first."""

def simd_paths() -> tuple[str, ...]:
    """The vector paths this CPU can run, narrowest first."""

def set_simd(path: str) -> str:
    """Run this module's vector helpers on ``path`` (one of :func:`simd_paths`); returns the previous path."""

def fill_slates(
    cust: npt.NDArray[np.int64],  # (k,)
    exposed: npt.NDArray[np.uint8],  # (k,)
    slot_source: npt.NDArray[np.uint8],  # (S,)
    est_pref: npt.NDArray[np.int8],  # (N, D), 127 = 1
    n_obs: npt.NDArray[np.uint16],  # (N,)
    last_view_item: npt.NDArray[np.int32],  # (N,), -1 when none
    last_view_day: npt.NDArray[np.int16],  # (N,)
    hist_item: npt.NDArray[np.int32],  # (N, H)
    hist_day: npt.NDArray[np.int16],  # (N, H)
    stated_cats: npt.NDArray[np.uint8],  # (N, 2), 255 none
    inferred_cat: npt.NDArray[np.uint8],  # (N,), 255 none
    offsite_cat: npt.NDArray[np.uint8],  # (N,), 255 none
    item_feat: npt.NDArray[np.int8],  # (M, D)
    item_cat: npt.NDArray[np.int32],  # (M,)
    item_durable: npt.NDArray[np.uint8],  # (M,)
    item_cycle: npt.NDArray[np.float32],  # (M,), days
    cat_start: npt.NDArray[np.int32],  # (C + 1,)
    cat_items: npt.NDArray[np.int32],  # (M,)
    popular: npt.NDArray[np.int32],  # (P,)
    editorial: npt.NDArray[np.int32],  # (E,)
    slate: npt.NDArray[np.int32],  # OUT (k, S)
    basis: npt.NDArray[np.uint8],  # OUT (k, S)
    score: npt.NDArray[np.float32],  # OUT (k, S)
    day: int,
    n_candidates: int,
    exploration: float,
    suppress_window: float,
    suppress_cycle: bool,
    retarget_window: int,
    replenish_lo: float,
    replenish_hi: float,
    key: int,
    n_threads: int,
) -> None:
    """Fill the slates of the exposed touches slot by slot from each slot's source (unexposed rows zeroed)."""

def best_sellers(
    sales: npt.NDArray[np.float64],  # (M,)
    tiebreak: npt.NDArray[np.float64],  # (M,), distinct, in [0, 1)
    out: npt.NDArray[np.int32],  # OUT (P,)
) -> int:
    """Write the min(P, M) items with the largest sales + tiebreak to ``out``, best first; returns how many."""

def set_sse2_learn(enabled: bool) -> bool:
    """Use the vector row update of ``observe`` for D = 8 (or the scalar one); returns the previous setting."""

def observe(
    cust: npt.NDArray[np.int64],  # (k,)
    viewed: npt.NDArray[np.int32],  # (k,), -1 none
    clicked: npt.NDArray[np.uint8],  # (k,)
    best: npt.NDArray[np.int8],  # (k,)
    slate: npt.NDArray[np.int32],  # (k, S)
    bought: npt.NDArray[np.int32],  # (k,), -1 none
    item_feat: npt.NDArray[np.int8],  # (M, D)
    est_pref: npt.NDArray[np.int8],  # IN/OUT (N, D)
    n_obs: npt.NDArray[np.uint16],  # IN/OUT (N,)
    last_view_item: npt.NDArray[np.int32],  # IN/OUT (N,)
    last_view_day: npt.NDArray[np.int16],  # IN/OUT (N,)
    sales: npt.NDArray[np.float64],  # IN/OUT (M,)
    day: int,
    w_view: float,
    w_click: float,
    w_buy: float,
    n_threads: int,
) -> int:
    """Learn from a wave's views, clicks and purchases; returns 0, or 1 + the first touch with a bad click."""
