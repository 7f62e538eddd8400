"""Typed stub of the compiled module ``sim.core._book`` (the contact book's update).

Shapes: k touches, N customers.  Arrays are C-contiguous.
"""

import numpy as np
import numpy.typing as npt

def note_wave(
    cust: npt.NDArray[np.int64],  # (k,), unique, each in [0, N)
    clicked: npt.NDArray[np.uint8],  # (k,)
    bought: npt.NDArray[np.int32],  # (k,), -1 when none
    last_visit: npt.NDArray[np.int32],  # IN/OUT (N,)
    last_purchase: npt.NDArray[np.int32],  # IN/OUT (N,)
    last_engaged: npt.NDArray[np.int32],  # IN/OUT (N,)
    visit: bool,
    now: int,
    n_threads: int = 1,
) -> int:
    """Write hour ``now`` as the last visit, purchase or engagement; returns 0, or 1 + the first bad touch."""
