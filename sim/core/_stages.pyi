"""Typed stubs of the compiled customer stages (sim/core/_stages.pyx); see its docstrings.

Array shapes: k touches, N customers, M items, D features, S slate slots, H history slots,
C = 4 channels.  Call these through :func:`sim.core.kernels.call`, which checks the arrays
and packs ``params``.
"""

import numpy as np
import numpy.typing as npt

from sim.core._equations import Params

SIMD_PATHS: tuple[str, ...]

def simd_paths() -> tuple[str, ...]:
    """The vector paths this CPU can run, narrowest first."""

def set_simd(path: str) -> str:
    """Run this module's draws on ``path``; returns the previous path."""

def recover_and_churn(
    active: npt.NDArray[np.uint8],  # IN/OUT (N,)
    trust: npt.NDArray[np.float32],  # IN/OUT (N,)
    trust_base: npt.NDArray[np.float32],  # IN (N,)
    fatigue: npt.NDArray[np.float32],  # IN/OUT (C, N)
    live: npt.NDArray[np.uint8],  # IN (C,)
    churned: npt.NDArray[np.uint8],  # OUT (N,)
    consent: npt.NDArray[np.uint8],  # IN/OUT (N,)
    params: Params,
    stages: int,
    key: int,
    n_threads: int,
) -> tuple[int, int]:
    """The day's recovery and churn; returns (churners, customers active after)."""

def select_visitors(
    active: npt.NDArray[np.uint8],  # IN (N,)
    trust: npt.NDArray[np.float32],  # IN (N,)
    visit_rate: npt.NDArray[np.float32],  # IN (N,)
    visitors: npt.NDArray[np.int64],  # OUT (N,), the first (returned) count
    params: Params,
    key: int,
    n_threads: int,
) -> int:
    """Today's visitors, ascending, at the start of ``visitors``; returns how many."""

def flag_valued(
    active: npt.NDArray[np.uint8],  # IN (N,)
    rel_mean: npt.NDArray[np.float32],  # IN (N,)
    trust: npt.NDArray[np.float32],  # IN (N,)
    valued: npt.NDArray[np.uint8],  # OUT (N,)
    params: Params,
    n_threads: int,
) -> int:
    """Who feels valued; returns how many do."""

def browse(
    cust: npt.NDArray[np.int64],  # IN (k,)
    pref: npt.NDArray[np.int8],  # IN (N, D)
    item_feat: npt.NDArray[np.int8],  # IN (M, D)
    item_durable: npt.NDArray[np.uint8],  # IN (M,)
    item_cycle: npt.NDArray[np.float32],  # IN (M,)
    hist_item: npt.NDArray[np.int32],  # IN (N, H)
    hist_day: npt.NDArray[np.int16],  # IN (N, H)
    viewed: npt.NDArray[np.int32],  # OUT (k,)
    viewed_rel: npt.NDArray[np.float32],  # OUT (k,)
    day: int,
    params: Params,
    key: int,
    n_threads: int,
) -> int:
    """A visitor's own search; returns 0 or 1 + a customer with a bad purchase history."""

def expose(
    cust: npt.NDArray[np.int64],  # IN (k,)
    trust: npt.NDArray[np.float32],  # IN (N,)
    fatigue: npt.NDArray[np.float32],  # IN (C, N)
    exposed: npt.NDArray[np.uint8],  # OUT (k,)
    channel: int,
    params: Params,
    key: int,
    n_threads: int,
) -> None:
    """Whether each sent message is noticed."""

def respond(
    cust: npt.NDArray[np.int64],  # IN (k,)
    exposed: npt.NDArray[np.uint8],  # IN (k,)
    slate: npt.NDArray[np.int32],  # IN (k, S)
    basis: npt.NDArray[np.uint8],  # IN (k, S)
    viewed: npt.NDArray[np.int32],  # IN (k,), OUT with browse_visits
    viewed_rel: npt.NDArray[np.float32],  # IN (k,), OUT with browse_visits
    pref: npt.NDArray[np.int8],  # IN (N, D)
    item_feat: npt.NDArray[np.int8],  # IN (M, D)
    item_cat: npt.NDArray[np.int32],  # IN (M,)
    item_durable: npt.NDArray[np.uint8],  # IN (M,)
    item_cycle: npt.NDArray[np.float32],  # IN (M,)
    item_sensitivity: npt.NDArray[np.float32],  # IN (M,)
    price: npt.NDArray[np.float64],  # IN (M,)
    log_price_ratio: npt.NDArray[np.float64],  # IN (M,)
    margin: npt.NDArray[np.float64],  # IN (M,)
    privacy: npt.NDArray[np.float32],  # IN (N,)
    price_sensitivity: npt.NDArray[np.float32],  # IN (N,)
    fatigue_sensitivity: npt.NDArray[np.float32],  # IN (N,)
    trust: npt.NDArray[np.float32],  # IN/OUT (N,)
    rel_mean: npt.NDArray[np.float32],  # IN/OUT (N,)
    fatigue: npt.NDArray[np.float32],  # IN/OUT (C, N)
    consent: npt.NDArray[np.uint8],  # IN/OUT (N,)
    hist_item: npt.NDArray[np.int32],  # IN/OUT (N, H)
    hist_day: npt.NDArray[np.int16],  # IN/OUT (N, H)
    rel: npt.NDArray[np.float32],  # OUT (k,)
    best: npt.NDArray[np.int8],  # OUT (k,)
    persofail: npt.NDArray[np.uint8],  # OUT (k,)
    creepy: npt.NDArray[np.uint8],  # OUT (k,)
    clicked: npt.NDArray[np.uint8],  # OUT (k,)
    bought: npt.NDArray[np.int32],  # OUT (k,)
    revenue: npt.NDArray[np.float64],  # OUT (k,)
    margin_out: npt.NDArray[np.float64],  # OUT (k,)
    opted_out: npt.NDArray[np.uint8],  # OUT (k,)
    channel: int,
    day: int,
    params: Params,
    stages: int,
    covert: bool,
    explained: bool,
    control: bool,
    creep_key: int,
    engage_key: int,
    optout_key: int,
    n_threads: int,
    browse_visits: bool = False,
    browse_key: int = 0,
    fatigue_live: bool = True,
) -> int:
    """The response stages of ``stages``; returns 0 or 1 + a customer with a bad history."""

def _listed_draws(key: int, cust: npt.NDArray[np.int64], j: int, out: npt.NDArray[np.uint64]) -> None: ...
def _exposure_order(exposed: npt.NDArray[np.uint8], order: npt.NDArray[np.intp], n_threads: int) -> int: ...
def _above_exp_bound(
    u: npt.NDArray[np.float64],
    scale: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    out: npt.NDArray[np.uint8],
) -> None: ...
def _below_sigmoid(
    u: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    fast: npt.NDArray[np.uint8],
    exact: npt.NDArray[np.uint8],
) -> None: ...
