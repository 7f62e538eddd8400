# The vector-path switch of a compiled module, included by each module that hashes draws
# with the helpers of _random.pxd (each holds its own sim_simd setting).  The including
# module cimports get_simd_widest and set_simd as set_simd_level from sim.core._random.

SIMD_PATHS = ("scalar", "avx2", "avx512")
"""The vector paths of this module, narrowest first (their index is sim_simd's value)."""


def simd_paths():
    """The paths this CPU can run, narrowest first: ("scalar", ...) up to the widest it has."""
    return SIMD_PATHS[:get_simd_widest() + 1]


def set_simd(str path):
    """Run this module's draws (and its other vector helpers) on ``path`` ("avx512", "avx2" or
    "scalar", one of :func:`simd_paths`); returns the previous path.  The widest is the
    default.  Results are identical on every path: this exists so that tests and
    measurements can run each."""
    if path not in simd_paths():
        raise ValueError(f"SIMD path {path!r} is not one of {simd_paths()} on this CPU")
    return SIMD_PATHS[set_simd_level(SIMD_PATHS.index(path))]
