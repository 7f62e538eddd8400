"""Per-customer state on huge pages (sim.memory): the same arrays as NumPy's, placed differently."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from sim.memory import HUGE_PAGE, HUGE_PAGE_MIN_BYTES, huge_pages_available, state_array, state_copy

LARGE = HUGE_PAGE_MIN_BYTES // 4 + 12_345  # float32 values: a little over the threshold


@pytest.mark.parametrize(
    "shape, dtype, fill, order",
    [
        (LARGE, np.float32, 0.5, "C"),
        ((LARGE, 2), np.int32, -1, "C"),
        ((LARGE, 4), np.float32, 0.0, "F"),
        ((LARGE, 8), np.int8, 0, "C"),
        (LARGE * 4, np.uint8, 255, "C"),
        (10, np.int16, -7, "C"),  # small: an ordinary array
        ((3, 2), np.float32, 1.5, "F"),
        (0, np.float64, 0.0, "C"),
    ],
)
def test_state_array_equals_np_full(shape, dtype, fill, order):
    a = state_array(shape, dtype, fill, order=order)
    b = np.full(shape, fill, dtype=dtype, order=order)
    assert a.dtype == b.dtype and a.shape == b.shape and a.strides == b.strides
    assert np.array_equal(a, b)
    assert a.flags.writeable


@pytest.mark.skipif(not huge_pages_available(), reason="no MADV_HUGEPAGE on this platform")
def test_large_state_arrays_start_on_a_huge_page_boundary_small_ones_are_plain():
    large = state_array(LARGE, np.float32)
    assert large.ctypes.data % HUGE_PAGE == 0
    assert isinstance(large.base, __import__("mmap").mmap)
    small = state_array(1000, np.float32)
    assert small.base is None  # np.full's own array


def test_state_arrays_are_independent_and_outlive_their_maker():
    a = state_array(LARGE, np.int32, 1)
    b = state_array(LARGE, np.int32, 2)
    gc.collect()
    a[:] = 5
    b[-1] = 9
    assert (a == 5).all() and b[0] == 2 and b[-1] == 9
    view = a[10:20]
    del a
    gc.collect()
    view[:] = 3  # the view keeps the mapping alive
    assert (view == 3).all()


@pytest.mark.parametrize("order", ["C", "F"])
def test_state_copy_keeps_values_and_memory_order(order):
    src = np.asarray(np.arange(LARGE * 3, dtype=np.float32).reshape(LARGE, 3), order=order)
    out = state_copy(src)
    assert np.array_equal(out, src) and out.strides == src.strides
    out[0, 0] = -1.0
    assert src[0, 0] == 0.0  # a copy, not a view


@pytest.mark.skipif(not huge_pages_available(), reason="no MADV_HUGEPAGE on this platform")
def test_population_firm_and_contact_book_state_is_on_huge_page_boundaries():
    from sim.campaigns.book import ContactBook
    from sim.population import Population

    n = HUGE_PAGE_MIN_BYTES // 4 + 1
    pop = Population(n, 8)
    for name in ("trust", "fatigue", "pref", "hist_item", "privacy"):
        assert pop[name].ctypes.data % HUGE_PAGE == 0, name
    book = ContactBook(n)
    assert book.last_visit.ctypes.data % HUGE_PAGE == 0
