"""Typed stub of the compiled module ``sim.core._policy`` (audiences and contact caps).

Shapes: k touches, N customers, C channels.  Arrays are C-contiguous.
"""

import numpy as np
import numpy.typing as npt

BLOCKS: dict[str, int]
"""The block sizes and the parallel threshold, so that tests can aim at their boundaries."""

def reachable(
    consent: npt.NDArray[np.uint8],  # (N,), consent bits by channel code
    active: npt.NDArray[np.uint8],  # (N,)
    extra: npt.NDArray[np.uint8] | None,  # (N,), the audience's extra condition
    channel: int,
    n_threads: int = 1,
) -> npt.NDArray[np.int64]:
    """The customers, ascending, who consent to ``channel``, are active and meet ``extra``: int64 (k,)."""

def admit_reachable(
    consent: npt.NDArray[np.uint8],  # (N,)
    active: npt.NDArray[np.uint8],  # (N,)
    extra: npt.NDArray[np.uint8] | None,  # (N,)
    sent_this_week: npt.NDArray[np.uint8],  # IN/OUT (N, C)
    sent_today: npt.NDArray[np.uint8],  # IN/OUT (N, C)
    outbound: npt.NDArray[np.uint8],  # (C,)
    channel: int,
    cap_per_week: int,
    cap_per_day: int,
    all_channels_per_week: int,
    n_threads: int = 1,
) -> tuple[npt.NDArray[np.int64], int]:
    """``admit`` of ``reachable``'s customers in one scan: (admitted int64 (k',), number reachable)."""

def admit(
    cust: npt.NDArray[np.int64],  # (k,), unique, ascending, each in [0, N)
    sent_this_week: npt.NDArray[np.uint8],  # IN/OUT (N, C)
    sent_today: npt.NDArray[np.uint8],  # IN/OUT (N, C)
    outbound: npt.NDArray[np.uint8],  # (C,)
    admitted: npt.NDArray[np.int64],  # OUT (k,)
    channel: int,
    cap_per_week: int,
    cap_per_day: int,
    all_channels_per_week: int,
    n_threads: int = 1,
) -> int:
    """Admit the customers under every cap, in order; returns how many, or -(1 + t) for a bad touch t."""
