"""Validated entry points to the kernels, compiled or NumPy twin.

The compiled kernels run with bounds checks off, so every call goes through :func:`call`,
which checks each array against the kernel's declared signature (dtype, rank, C-contiguity,
shared dimensions) and that index arrays point inside the arrays they index, then calls the
compiled kernel or its NumPy twin (``impl="numpy"``) with the same arguments.

A signature line reads ``name: dtype[dims] in BOUND`` where ``dims`` are symbols that must
agree across arguments (``k`` touches, ``N`` customers, ``M`` items, ``D`` features,
``S`` slate slots, ``H`` history slots, ``C`` channels, ``P`` popular items, ``E`` editorial
picks, ``Q`` category offsets, ``T`` stated categories) and the optional ``in BOUND`` says
that values are indices in ``[0, BOUND)``.  BOUND is a dimension symbol, optionally minus one
(``Q-1``: the number of categories), or a number; ``or -1`` / ``or 255`` also allow that
sentinel.  A bound that no other argument defines is not checked: such indices are only
copied by the kernel, never dereferenced.  Kernels that take ``cust: int64[k] in N`` read
their N-row arrays only at the rows of those customers, so the indices of an N-row array are
checked on those rows (after ``cust`` itself), not on the whole population; for the kernels
in :data:`EXPOSED_ONLY`, on the rows of exposed touches only.  The scans of large index
arrays run on the call's ``n_threads`` (1 when absent); their result does not depend on it.
A compiled kernel listed in :data:`CHECKED_IN_KERNEL` checks an array itself, at the moment
it reads each row, and reports a bad value after its pass; :func:`call` then raises the same
error.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.codes import SOURCES
from sim.core import load_compiled
from sim.core.params import CustomerParams
from sim.core.twins import firm as firm_twin
from sim.core.twins import stages as stages_twin

__all__ = ["call", "KERNELS", "COUNTED", "KernelArgumentError"]

IMPLS = ("compiled", "numpy")


class KernelArgumentError(ValueError):
    """An array passed to a kernel has the wrong dtype, shape, layout or index range."""


@dataclass(frozen=True)
class ArraySpec:
    name: str
    dtype: np.dtype
    dims: tuple[str, ...]
    bound: str | None
    sentinel: int | None


_LINE = re.compile(r"^(\w+): (\w+)\[([\w, ]+)\](?: in ([\w-]+)(?: or (-1|255))?)?$")


def _parse(lines: str) -> tuple[ArraySpec, ...]:
    specs = []
    for raw in lines.strip().splitlines():
        m = _LINE.match(raw.strip())
        if not m:
            raise SyntaxError(f"bad kernel signature line: {raw!r}")
        name, dtype, dims, bound, sentinel = m.groups()
        specs.append(
            ArraySpec(
                name,
                np.dtype(dtype),
                tuple(d.strip() for d in dims.split(",")),
                bound,
                None if sentinel is None else int(sentinel),
            )
        )
    return tuple(specs)


@dataclass(frozen=True)
class Kernel:
    module: str  # compiled module in sim.core
    twin: Any  # module holding the NumPy twin
    arrays: tuple[ArraySpec, ...]


_STAGE_ARRAYS = {
    "recover_and_churn": """
        active: uint8[N]
        trust: float32[N]
        trust_base: float32[N]
        fatigue: float32[C, N]
        live: uint8[C]
        churned: uint8[N]
        consent: uint8[N]""",
    "select_visitors": """
        active: uint8[N]
        trust: float32[N]
        visit_rate: float32[N]
        visitors: int64[N]""",
    "flag_valued": """
        active: uint8[N]
        rel_mean: float32[N]
        trust: float32[N]
        valued: uint8[N]""",
    "browse": """
        cust: int64[k] in N
        pref: int8[N, D]
        item_feat: int8[M, D]
        item_durable: uint8[M]
        item_cycle: float32[M]
        hist_item: int32[N, H] in M
        hist_day: int16[N, H]
        viewed: int32[k]
        viewed_rel: float32[k]""",
    "expose": """
        cust: int64[k] in N
        trust: float32[N]
        fatigue: float32[C, N]
        exposed: uint8[k]""",
    "return_visits": """
        cust: int64[k] in N
        exposed: uint8[k]
        clicked: uint8[k]
        since_visit: float32[k]
        returning: uint8[k]""",
    "respond": """
        cust: int64[k] in N
        exposed: uint8[k]
        slate: int32[k, S] in M
        basis: uint8[k, S] in 5
        viewed: int32[k] in M or -1
        viewed_rel: float32[k]
        pref: int8[N, D]
        item_feat: int8[M, D]
        item_cat: int32[M]
        item_durable: uint8[M]
        item_cycle: float32[M]
        item_sensitivity: float32[M]
        price: float64[M]
        log_price_ratio: float64[M]
        margin: float64[M]
        privacy: float32[N]
        price_sensitivity: float32[N]
        fatigue_sensitivity: float32[N]
        trust: float32[N]
        rel_mean: float32[N]
        fatigue: float32[C, N]
        consent: uint8[N]
        hist_item: int32[N, H] in M
        hist_day: int16[N, H]
        rel: float32[k]
        best: int8[k]
        persofail: uint8[k]
        creepy: uint8[k]
        clicked: uint8[k]
        bought: int32[k]
        revenue: float64[k]
        margin_out: float64[k]
        opted_out: uint8[k]""",
}

_FIRM_ARRAYS = {
    "fill_slates": """
        cust: int64[k] in N
        exposed: uint8[k]
        slot_source: uint8[S] in 8
        est_pref: int8[N, D]
        n_obs: uint16[N]
        last_view_item: int32[N] in M or -1
        last_view_day: int16[N]
        hist_item: int32[N, H] in M
        hist_day: int16[N, H]
        stated_cats: uint8[N, T] in Q-1 or 255
        inferred_cat: uint8[N] in Q-1 or 255
        offsite_cat: uint8[N] in Q-1 or 255
        item_feat: int8[M, D]
        item_cat: int32[M] in Q-1
        item_durable: uint8[M]
        item_cycle: float32[M]
        cat_start: int32[Q]
        cat_items: int32[M] in M
        popular: int32[P] in M
        editorial: int32[E] in M
        slate: int32[k, S]
        basis: uint8[k, S]
        score: float32[k, S]""",
    "observe": """
        cust: int64[k] in N
        viewed: int32[k] in M or -1
        clicked: uint8[k]
        best: int8[k]
        slate: int32[k, S]
        bought: int32[k] in M or -1
        item_feat: int8[M, D]
        est_pref: int8[N, D]
        n_obs: uint16[N]
        last_view_item: int32[N]
        last_view_day: int16[N]
        sales: float64[M]""",
}

KERNELS: dict[str, Kernel] = {
    **{name: Kernel("_stages", stages_twin, _parse(s)) for name, s in _STAGE_ARRAYS.items()},
    **{name: Kernel("_firm", firm_twin, _parse(s)) for name, s in _FIRM_ARRAYS.items()},
}
"""Every kernel by name, with its array signature.  Tests iterate over this registry."""


def _check(
    kernel_name: str,
    kernel: Kernel,
    kwargs: dict[str, Any],
    skip: frozenset[str] = frozenset(),
    trusted: frozenset[str] = frozenset(),
) -> None:
    dims: dict[str, int] = {}
    for spec in kernel.arrays:
        a = kwargs.get(spec.name)
        # One test for the usual case; the messages only when something is wrong.
        if not (
            isinstance(a, np.ndarray) and a.dtype == spec.dtype and a.ndim == len(spec.dims) and a.flags.c_contiguous
        ):
            _signature_error(kernel_name, spec, kwargs)
        for sym, size in zip(spec.dims, a.shape):
            if dims.setdefault(sym, size) != size:
                raise KernelArgumentError(
                    f"{kernel_name}({spec.name}): dimension {sym} is {size} here but {dims[sym]} in an earlier argument"
                )
    # The wave's customers first: an N-row array is read only at rows cust[t] (every kernel
    # that takes ``cust`` indexes its per-customer arrays through it and nothing else), so
    # its indices are checked on those rows only, once ``cust`` itself is known to be valid.
    rows = None
    # A kernel that skips unexposed touches reads its N-row arrays only at exposed customers.
    row_mask = kwargs["exposed"] if kernel_name in EXPOSED_ONLY else None
    unread = _UNREAD[kernel_name](kwargs) if kernel_name in _UNREAD else frozenset()
    bounded = _bounded(kernel_name)
    index_range = _index_range()
    # The scans of a large wave's arrays run on the call's threads (same result for any count).
    n_threads = kwargs.get("n_threads", 1)
    for spec in bounded:
        a = kwargs[spec.name]
        if a.size == 0:
            continue
        bound = _bound(spec.bound, dims)
        if bound is None:
            continue  # the kernel never dereferences these indices (it only copies them)
        use_rows = rows is not None and spec.dims[0] == "N"
        if use_rows and spec.name in unread:
            continue  # this call never dereferences them
        if spec.name in skip:
            continue  # the kernel checks these itself
        if spec.name in trusted:
            # Checked already in this wave (see :func:`call`); a wave's customers still
            # select the rows at which its N-row arrays are checked.
            if _selects_rows(spec):
                rows = a
            continue
        count, lo, hi = index_range(
            a.reshape(a.shape[0], -1),
            rows if use_rows else _NO_ROWS,
            use_rows,
            spec.sentinel is not None,
            spec.sentinel or 0,
            row_mask if use_rows else None,
            n_threads,
        )
        if count and (lo < 0 or hi >= bound):
            raise KernelArgumentError(
                f"{kernel_name}({spec.name}): indices span [{lo}, {hi}], allowed [0, {bound})"
                + (f" or {spec.sentinel}" if spec.sentinel is not None else "")
            )
        if _selects_rows(spec):
            rows = a


def _selects_rows(spec: ArraySpec) -> bool:
    """Whether ``spec`` is a wave's customers, the rows at which its N-row arrays are read."""
    return spec.name == "cust" and spec.dims == ("k",) and spec.bound == "N"


def _signature_error(kernel_name: str, spec: ArraySpec, kwargs: dict[str, Any]) -> None:
    """Raise the KernelArgumentError saying how argument ``spec`` breaks the signature."""
    where = f"{kernel_name}({spec.name})"
    if spec.name not in kwargs:
        raise KernelArgumentError(f"{where}: missing array argument")
    a = kwargs[spec.name]
    if not isinstance(a, np.ndarray):
        raise KernelArgumentError(f"{where}: expected a NumPy array, got {type(a).__name__}")
    if a.dtype != spec.dtype:
        raise KernelArgumentError(f"{where}: dtype {a.dtype}, expected {spec.dtype}")
    if a.ndim != len(spec.dims):
        raise KernelArgumentError(f"{where}: {a.ndim}-d array, expected {len(spec.dims)}-d")
    raise KernelArgumentError(f"{where}: array is not C-contiguous")


@functools.cache
def _bounded(kernel_name: str) -> tuple[ArraySpec, ...]:
    """The index arrays of a kernel's signature, ``cust`` first (the others' rows depend on it)."""
    specs = (s for s in KERNELS[kernel_name].arrays if s.bound is not None)
    return tuple(sorted(specs, key=lambda s: s.name != "cust"))


_NO_ROWS = np.zeros(0, dtype=np.int64)

COUNTED = {"select_visitors": "visitors"}
"""Kernels that return a count k and fill only the first k entries of one output array (named
here); the entries after those are scratch, whose contents depend on the implementation."""

EXPOSED_ONLY = frozenset({"fill_slates", "respond"})
"""Kernels that take ``exposed: uint8[k]`` as input and dereference no per-customer index
array for a touch where it is 0 (``respond`` still adds an unexposed touch's fatigue, from
plain values): their N-row index arrays are checked at the exposed touches' customers only
(an email wave's unopened majority is never read)."""


def _fill_slates_unread(kwargs: dict[str, Any]) -> frozenset[str]:
    """The per-customer index arrays a fill_slates call never dereferences.

    Each is read only by the sources (or the suppression) that use it, so a strategy without
    them does not pay for scanning them at every touch.
    """
    src = {SOURCES[c] for c in np.unique(kwargs["slot_source"]).tolist() if 0 <= c < len(SOURCES)}
    unread = set()
    if not (
        {"retarget", "replenish"} & src or kwargs.get("suppress_window", 0) > 0 or kwargs.get("suppress_cycle", False)
    ):
        unread.add("hist_item")
    for name, source in (
        ("last_view_item", "retarget"),
        ("stated_cats", "stated"),
        ("inferred_cat", "inferred"),
        ("offsite_cat", "offsite"),
    ):
        if source not in src:
            unread.add(name)
    return frozenset(unread)


_UNREAD = {"fill_slates": _fill_slates_unread}
"""Per kernel: a function of the call's arguments giving the N-row index arrays it will not read."""


CHECKED_IN_KERNEL = {"browse": "hist_item", "respond": "hist_item"}
"""Per compiled kernel: the per-customer index array it checks itself.

The purchase history is read at every touch, one short row per customer, and a separate scan
of those rows before the kernel costs as much as a stage.  These kernels check each item they
dereference as they read the row (a filled slot, i.e. ``hist_day != NO_DAY``, must hold an
item in ``[0, M)``), ignore a bad one, and return 1 + the customer it belongs to; the call
then fails.  The NumPy twins do not, so for them the array is scanned before the call.
"""


@functools.cache
def _index_range():
    """The compiled index scan, looked up once (every kernel call uses it)."""
    return load_compiled("_bounds").index_range


def check_indices(what: str, a: np.ndarray, bound: int, n_threads: int = 1) -> None:
    """Raise KernelArgumentError unless every value of the int64 (k,) array ``a`` is in
    [0, bound) (``what`` names it in the message)."""
    if a.size == 0:
        return
    count, lo, hi = _index_range()(
        np.ascontiguousarray(a).reshape(a.shape[0], -1), _NO_ROWS, False, False, 0, None, n_threads
    )
    if count and (lo < 0 or hi >= bound):
        raise KernelArgumentError(f"{what}: indices span [{lo}, {hi}], allowed [0, {bound})")


@functools.cache
def _compiled(module: str, name: str):
    """A compiled kernel, looked up once (importing the module on every call costs more than a
    small wave's check)."""
    return getattr(load_compiled(module), name)


def _bound(text: str, dims: dict[str, int]) -> int | None:
    if text.lstrip("-").isdigit():
        return int(text)
    sym, _, minus = text.partition("-")
    if sym not in dims:
        return None
    return dims[sym] - (int(minus) if minus else 0)


def call(
    name: str,
    impl: str = "compiled",
    trusted: frozenset[str] | set[str] = frozenset(),
    check: bool = True,
    **kwargs: Any,
) -> Any:
    """Validate the arrays of kernel ``name``, run it with ``impl`` ("compiled" or "numpy")
    and return what it returns (None, or for the kernels in :data:`COUNTED` a count).

    ``trusted`` names per-touch index arrays whose range is known already, so that they are
    not scanned again: the engine's built-in pipeline checks a wave's customers once, and the
    arrays its own kernels write (a browsed item, the slates, a purchase) are in range by
    construction (see ``TouchBatch.validated``).  Every other index array is checked.

    ``check=False`` skips the signature and index checks altogether (the kernels' own checks,
    :data:`CHECKED_IN_KERNEL`, still run): for the engine's built-in pipeline only, whose
    arrays were checked at an earlier wave of the same kind and are made alike at every wave
    (see ``TouchBatch.checked``).

    Raises
    ------
    KernelArgumentError
        When an array does not match the kernel's signature.
    """
    kernel = KERNELS[name]
    in_kernel = CHECKED_IN_KERNEL.get(name) if impl == "compiled" else None
    if check:
        _check(name, kernel, kwargs, frozenset({in_kernel}) if in_kernel else frozenset(), frozenset(trusted))
    params = kwargs.get("params")
    if params is not None:
        # The run's parameters: the dataclass for the twins, its packed struct for the kernels.
        if not isinstance(params, CustomerParams):
            raise KernelArgumentError(f"{name}(params): expected a CustomerParams, got {type(params).__name__}")
        if impl == "compiled":
            kwargs["params"] = params.compiled()
    if impl == "compiled":
        fn = _compiled(kernel.module, name)
    elif impl == "numpy":
        fn = getattr(kernel.twin, name)
    else:
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    result = fn(**kwargs)
    if in_kernel:
        if result:
            row = kwargs[in_kernel][result - 1]
            raise KernelArgumentError(
                f"{name}({in_kernel}): customer {result - 1} holds items {row.tolist()}, "
                f"allowed [0, {kwargs['item_feat'].shape[0]}) in a filled slot (hist_day set)"
            )
        return None  # the kernel's return value was its own check
    return result
