"""Typed stub of the compiled module ``sim.core._bounds`` (the index-range scan of the argument checks)."""

import numpy as np
import numpy.typing as npt

_Index = np.int8 | np.uint8 | np.int16 | np.uint16 | np.int32 | np.int64

def index_range(
    a: npt.NDArray[_Index],  # (R, W), C-contiguous
    rows: npt.NDArray[np.int64],  # (r,), used when use_rows
    use_rows: bool,
    has_sentinel: bool,
    sentinel: int,
    row_mask: npt.NDArray[np.uint8] | None = None,  # (r,)
    n_threads: int = 1,
) -> tuple[int, int, int]:
    """(count, lo, hi) of the values of ``a`` (or of its rows ``rows``) other than ``sentinel``."""
