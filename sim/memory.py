"""Per-customer state on huge pages, where the operating system offers them.

A wave reads a few bytes from each of some twenty per-customer arrays for every touched
customer, and a million customers' float32 array spans 3.8 MiB.  On ordinary 4 KiB pages
the processor's address-translation cache covers only a few of those arrays at once, so most
of these reads first wait for a page-table walk.  On 2 MiB pages a whole array takes two
translation entries.  The default scenario at a million customers runs 3-5% faster on one
thread (see the README's benchmark section).

:func:`state_array` allocates an array of at least :data:`HUGE_PAGE_MIN_BYTES` in its own
anonymous memory mapping, aligned to a 2 MiB boundary and marked ``MADV_HUGEPAGE``, and
fills it (so its pages are taken while the world is built, not during the run).  Smaller
arrays, and every array where the platform has no ``MADV_HUGEPAGE`` (or where Linux's
transparent huge pages are switched off, when the advice is simply ignored), are ordinary
NumPy arrays.  Either way the result is a writable array like any other: values, and hence
simulation results, never depend on where an array lives.
"""

from __future__ import annotations

import ctypes
import math
import mmap

import numpy as np

__all__ = ["state_array", "state_copy", "HUGE_PAGE", "HUGE_PAGE_MIN_BYTES", "huge_pages_available"]

HUGE_PAGE = 2 << 20
"""Bytes per huge page (x86-64 and most 64-bit Linux platforms)."""

HUGE_PAGE_MIN_BYTES = HUGE_PAGE // 2
"""Arrays under half a huge page stay ordinary arrays: their few 4 KiB pages cost the
translation cache little, and a huge page would be mostly unused."""


def huge_pages_available() -> bool:
    """Whether this platform can advise huge pages for a memory mapping."""
    return hasattr(mmap, "MADV_HUGEPAGE") and hasattr(mmap.mmap, "madvise")


def state_array(shape, dtype, fill=0, order: str = "C") -> np.ndarray:
    """A new array of ``shape`` and ``dtype`` filled with ``fill``, like ``np.full``, placed on
    huge pages when it is at least :data:`HUGE_PAGE_MIN_BYTES` long (see the module note).

    ``order`` is the memory order, ``"C"`` or ``"F"``, as for NumPy.
    """
    shape = (int(shape),) if np.isscalar(shape) else tuple(int(s) for s in shape)
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < HUGE_PAGE_MIN_BYTES or not huge_pages_available():
        return np.full(shape, fill, dtype=dtype, order=order)
    size = -(-nbytes // HUGE_PAGE) * HUGE_PAGE
    # One huge page more than needed, so that a 2 MiB-aligned start lies inside the mapping
    # (the part before it is never touched, hence never backed by memory).
    buf = mmap.mmap(-1, size + HUGE_PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    anchor = ctypes.c_char.from_buffer(buf)
    offset = -ctypes.addressof(anchor) % HUGE_PAGE
    del anchor  # releases the buffer export, so that the mapping can close with the array
    try:
        buf.madvise(mmap.MADV_HUGEPAGE, offset, size)
    except OSError:
        pass  # advice refused (e.g. huge pages unsupported here): ordinary pages then
    out = np.ndarray(shape, dtype=dtype, buffer=buf, offset=offset, order=order)
    out[...] = fill
    return out


def state_copy(values: np.ndarray) -> np.ndarray:
    """A copy of ``values`` (same shape, dtype and memory order) made by :func:`state_array`."""
    order = "F" if values.flags.f_contiguous and not values.flags.c_contiguous else "C"
    out = state_array(values.shape, values.dtype, 0, order=order)
    out[...] = values
    return out
