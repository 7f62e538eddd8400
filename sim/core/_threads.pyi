"""Typed stub of the compiled module ``sim.core._threads`` (OpenMP, when the build has it)."""

def openmp_enabled() -> int:
    """1 when compiled with OpenMP, else 0."""

def max_threads() -> int:
    """OpenMP's default thread count (1 without OpenMP)."""
