"""Every compiled kernel agrees with its NumPy twin, and rejects bad arrays.

Inputs are generated from each kernel's declared signature (sim.core.kernels.KERNELS), so a
new kernel is covered as soon as it is registered with scalar arguments below.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim.codes import NO_DAY
from sim.core.kernels import COUNTED, KERNELS, KernelArgumentError, call
from sim.core.params import DAY_STAGES, RESPONSE_STAGES, STAGES, CustomerParams, stage_mask

DIMS = {"k": 400, "N": 1000, "M": 300, "D": 8, "S": 6, "H": 4, "C": 4, "P": 20, "B": 5, "Q": 11, "E": 15, "T": 2}

PARAMS = CustomerParams(
    visit_trust_slope=1.0,
    browse_items=6,
    open_base_rate=(0.0, 0.5, 0.5, 0.5),
    open_trust_elasticity=(0.0, 1.0, 1.0, 1.0),
    open_fatigue_k=(0.0, 0.2, 0.2, 0.2),
    persofail_window=30.0,
    persofail_relevance=-0.3,
    replenish_lo=0.8,
    replenish_hi=1.3,
    replenish_boost=0.25,
    obtrusiveness=(0.5, 0.8, 1.2, 1.0),
    sensitivity_floor=0.2,
    creep_scale=3.0,
    covert_factor=2.0,
    explanation_relief=0.3,
    control_relief=0.5,
    click_bias=(-1.0, -1.0, -1.2, -1.5),
    click_relevance=3.0,
    click_trust=2.0,
    click_fatigue=0.2,
    click_creepy=1.5,
    buy_bias=-0.5,
    organic_bias=-1.0,
    buy_relevance=2.0,
    buy_trust=1.5,
    price_elasticity=0.6,
    trust_gain=0.05,
    loss_irrelevant=0.05,
    loss_persofail=0.1,
    loss_creepy=0.3,
    relevant_above=0.4,
    irrelevant_below=0.1,
    relevance_memory=0.1,
    trust_relax=0.01,
    fatigue_cost=(0.0, 1.0, 1.0, 0.3),
    fatigue_decay=(0.9, 0.8, 0.6, 0.5),
    optout_base_hazard=(0.0, 0.05, 0.05, 0.05),
    optout_fatigue_k=(0.0, 0.2, 0.2, 0.2),
    optout_trust_k=3.0,
    optout_creepy_multiplier=4.0,
    churn_hazard_max=0.5,
    churn_trust_mid=0.4,
    churn_slope=10.0,
)
"""The customer parameters of the kernel tests: rates far above the defaults, so that every
branch (clicks, purchases, opt-outs, churn) is taken often in a few hundred touches."""

ALL_STAGES = stage_mask(RESPONSE_STAGES)

SCALARS = {
    "recover_and_churn": dict(params=PARAMS, stages=stage_mask(DAY_STAGES), key=11),
    "select_visitors": dict(params=PARAMS, key=12),
    "flag_valued": dict(params=PARAMS),
    "browse": dict(day=40, params=replace(PARAMS, replenish_lo=0.5, replenish_hi=2.0), key=13),
    "expose": dict(channel=1, params=PARAMS, key=14),
    "return_visits": dict(params=replace(PARAMS, ad_reminder=0.3), key=18),
    "respond": dict(
        channel=1,
        day=40,
        params=PARAMS,
        stages=ALL_STAGES,
        covert=True,
        explained=True,
        control=False,
        creep_key=15,
        engage_key=16,
        optout_key=17,
    ),
    "fill_slates": dict(
        day=40,
        n_candidates=16,
        exploration=0.2,
        suppress_window=20.0,
        suppress_cycle=True,
        retarget_window=20,
        replenish_lo=0.5,
        replenish_hi=2.0,
        key=19,
    ),
    "observe": dict(day=40, w_view=0.3, w_click=0.5, w_buy=1.0),
}


def _array(kernel: str, spec, rng: np.random.Generator) -> np.ndarray:
    """A valid random array for one argument, with the ranges the model uses."""
    shape = tuple(DIMS[d] for d in spec.dims)
    name, dt = spec.name, spec.dtype
    if name == "cust":
        return np.sort(rng.choice(DIMS["N"], DIMS["k"], replace=False)).astype(np.int64)
    if name == "cat_start":
        return np.linspace(0, DIMS["M"], DIMS["Q"]).astype(np.int32)
    if name == "cat_items":
        return np.arange(DIMS["M"], dtype=np.int32)
    if name == "item_cat":
        return (np.arange(DIMS["M"]) * (DIMS["Q"] - 1) // DIMS["M"]).astype(np.int32)
    if name in ("hist_day", "last_view_day"):
        a = rng.integers(0, 40, shape).astype(np.int16)
        a[rng.random(shape) < 0.3] = NO_DAY
        return a
    if name == "item_cycle":
        return rng.uniform(10, 60, shape).astype(np.float32)
    if name in ("pref", "item_feat"):
        a = rng.standard_normal(shape)
        return np.round(127 * a / np.linalg.norm(a, axis=-1, keepdims=True)).astype(dt)
    if name == "slot_source":
        return np.array([3, 5, 4, 2, 6, 7], dtype=np.uint8)  # every personal source once
    if name in ("stated_cats", "inferred_cat", "offsite_cat"):
        a = rng.integers(0, DIMS["Q"] - 1, shape).astype(dt)
        a[rng.random(shape) < 0.3] = 255
        return a
    if spec.bound is not None and not spec.bound.isdigit():
        lo = -1 if spec.sentinel == -1 else 0
        return rng.integers(lo, DIMS[spec.bound], shape).astype(dt)
    if name == "basis" and spec.bound:
        return rng.integers(0, int(spec.bound), shape).astype(dt)
    if dt == np.uint8:
        return (rng.random(shape) < 0.7).astype(np.uint8)
    if dt == np.int8:
        return rng.integers(-127 if name == "est_pref" else -1, 128 if name == "est_pref" else DIMS["S"], shape).astype(
            np.int8
        )
    if dt == np.uint16:
        return rng.integers(0, 3, shape).astype(np.uint16)
    if dt.kind == "f":
        lo = -0.5 if name in ("rel", "viewed_rel", "score") else 0.0
        return rng.uniform(lo, 1.0, shape).astype(dt)
    return rng.integers(0, 5, shape).astype(dt)


def _inputs(kernel: str, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    args = {spec.name: _array(kernel, spec, rng) for spec in KERNELS[kernel].arrays}
    if "price" in args:
        args["price"] = rng.lognormal(3.0, 0.5, DIMS["M"])
        args["log_price_ratio"] = np.log(args["price"] / np.median(args["price"]))
    if "consent" in args:
        args["consent"] = rng.integers(0, 16, DIMS["N"]).astype(np.uint8)
    return {**args, **SCALARS[kernel]}


def _run(kernel: str, impl: str, threads: int = 1, seed: int = 0) -> dict:
    args = _inputs(kernel, seed)
    count = call(kernel, impl, n_threads=threads, **args)
    out = {k: v for k, v in args.items() if isinstance(v, np.ndarray)}
    if kernel in COUNTED:  # only the first `count` entries are results; the rest is scratch
        out[COUNTED[kernel]] = out[COUNTED[kernel]][:count]
    return out


def _assert_same(a: dict, b: dict, exact_floats: bool) -> None:
    for name in a:
        if a[name].dtype.kind == "f" and not exact_floats:
            np.testing.assert_allclose(a[name], b[name], rtol=1e-6, atol=1e-7, err_msg=name)
        else:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_every_kernel_has_scalars_declared():
    assert set(SCALARS) == set(KERNELS)


@pytest.mark.parametrize("kernel", sorted(KERNELS))
@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_kernel_equals_numpy_twin(kernel, seed):
    # Same inputs and the same counter-based random numbers: every output array agrees;
    # floats within 1e-6 (exp() of libm and NumPy may differ in the last bit).
    _assert_same(_run(kernel, "compiled", seed=seed), _run(kernel, "numpy", seed=seed), exact_floats=False)


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_kernel_is_identical_on_two_threads(kernel):
    _assert_same(_run(kernel, "compiled", threads=1), _run(kernel, "compiled", threads=2), exact_floats=True)


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_kernel_mutates_something(kernel):
    # A kernel that writes nothing would pass the agreement test trivially.
    before = {k: v.copy() for k, v in _inputs(kernel).items() if isinstance(v, np.ndarray)}
    after = _run(kernel, "compiled")
    assert any(not np.array_equal(before[k][: len(after[k])], after[k]) for k in before), kernel


def test_wrong_dtype_is_rejected():
    args = _inputs("respond")
    args["trust"] = args["trust"].astype(np.float64)
    with pytest.raises(KernelArgumentError, match=r"respond\(trust\): dtype float64, expected float32"):
        call("respond", "compiled", n_threads=1, **args)


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
def test_parameters_that_are_not_customer_params_are_rejected(impl):
    args = _inputs("respond")
    args["params"] = PARAMS.as_dict()
    with pytest.raises(KernelArgumentError, match=r"respond\(params\): expected a CustomerParams, got dict"):
        call("respond", impl, n_threads=1, **args)


def test_non_contiguous_array_is_rejected():
    args = _inputs("browse")
    args["pref"] = np.asfortranarray(args["pref"])
    with pytest.raises(KernelArgumentError, match="not C-contiguous"):
        call("browse", "compiled", n_threads=1, **args)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a.pop("trust"), r"respond\(trust\): missing array argument"),
        (lambda a: a.update(trust=a["trust"].tolist()), r"respond\(trust\): expected a NumPy array, got list"),
        (lambda a: a.update(trust=a["trust"][:, None]), r"respond\(trust\): 2-d array, expected 1-d"),
        (lambda a: a.update(trust=a["trust"][:-1]), r"respond\(trust\): dimension N is"),
    ],
)
def test_each_way_of_breaking_a_signature_is_named(change, message):
    args = _inputs("respond")
    change(args)
    with pytest.raises(KernelArgumentError, match=message):
        call("respond", "compiled", n_threads=1, **args)


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
def test_browse_without_items_to_look_at_is_rejected(impl):
    args = _inputs("browse")
    args["params"] = replace(args["params"], browse_items=0)
    with pytest.raises(ValueError, match="browse_items is 0, must be at least 1"):
        call("browse", impl, n_threads=1, **args)


def test_mismatched_length_is_rejected():
    args = _inputs("respond")
    args["rel"] = args["rel"][:-1]
    with pytest.raises(KernelArgumentError, match="dimension k"):
        call("respond", "compiled", n_threads=1, **args)


def test_out_of_range_index_is_rejected():
    args = _inputs("respond")
    args["slate"][3, 1] = DIMS["M"]
    with pytest.raises(KernelArgumentError, match=r"respond\(slate\): indices span"):
        call("respond", "compiled", n_threads=1, **args)
    args = _inputs("respond")
    args["basis"][5, 0] = 5  # the data bases are 0 .. 4
    with pytest.raises(KernelArgumentError, match=r"respond\(basis\): indices span \[0, 5\], allowed \[0, 5\)"):
        call("respond", "compiled", n_threads=1, **args)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "uint16", "int32", "int64"])
@pytest.mark.parametrize("sentinel", [None, -1, 255])
def test_index_range_equals_numpy_on_any_thread_count(dtype, sentinel):
    # The scan behind the index checks splits a large input into fixed blocks scanned in
    # parallel: count, minimum and maximum equal NumPy's on 1, 2 and 3 threads, for a dense
    # array and for selected (and masked) rows, with the type's extreme values present, a
    # sentinel the dtype cannot hold (-1 in uint8, 255 in int8) matching nothing, and a first
    # block of sentinels only.
    from sim.core import load_compiled

    index_range = load_compiled("_bounds").index_range
    rng = np.random.default_rng(5)
    info = np.iinfo(dtype)
    n_rows, w = 50_000, 3  # 150,000 values: large enough to run in parallel
    a = rng.integers(info.min, info.max, (n_rows, w), endpoint=True, dtype=dtype)
    a[7, 1], a[n_rows - 3, 2] = info.min, info.max
    fits = sentinel is not None and info.min <= sentinel <= info.max
    if fits:
        a[rng.random((n_rows, w)) < 0.3] = sentinel
        a[:20_000] = sentinel
    rows = np.sort(rng.choice(n_rows, 40_000, replace=False)).astype(np.int64)
    mask = (rng.random(rows.size) < 0.5).astype(np.uint8)

    def expected(values):
        v = values.ravel().astype(np.int64)
        if sentinel is not None:
            v = v[v != sentinel]
        return (v.size, int(v.min()), int(v.max())) if v.size else (0,)

    def got(*args):
        count, lo, hi = index_range(*args)
        return (count, lo, hi) if count else (0,)

    no_rows = np.zeros(0, np.int64)
    has, s = sentinel is not None, sentinel or 0
    odd = a.reshape(-1)[:-1].reshape(-1, 1)  # an odd number of values (the pass takes two halves)
    for threads in (1, 2, 3):
        assert got(a, no_rows, False, has, s, None, threads) == expected(a)
        assert got(odd, no_rows, False, has, s, None, threads) == expected(odd)
        assert got(a[-7:], no_rows, False, has, s, None, threads) == expected(a[-7:])  # 21 values: one plain loop
        assert got(a, rows, True, has, s, None, threads) == expected(a[rows])
        assert got(a, rows, True, has, s, mask, threads) == expected(a[rows[mask != 0]])
    if fits:
        assert got(a[:20_000], no_rows, False, True, sentinel, None, 2) == (0,)  # nothing but sentinels


def _touch_args(n: int, m: int, d: int = 8) -> dict:
    """respond's arguments for one exposed touch of customer 0 on email, with zeroed state:
    the tests below fill in what matters to them."""
    return dict(
        cust=np.array([0], np.int64),
        exposed=np.ones(1, np.uint8),
        slate=np.zeros((1, 1), np.int32),
        basis=np.zeros((1, 1), np.uint8),
        viewed=np.full(1, -1, np.int32),
        viewed_rel=np.zeros(1, np.float32),
        pref=np.zeros((n, d), np.int8),
        item_feat=np.zeros((m, d), np.int8),
        item_cat=np.zeros(m, np.int32),
        item_durable=np.zeros(m, np.uint8),
        item_cycle=np.full(m, 1000, np.float32),
        item_sensitivity=np.zeros(m, np.float32),
        price=np.ones(m),
        log_price_ratio=np.zeros(m),
        margin=np.ones(m),
        privacy=np.full(n, 0.5, np.float32),
        price_sensitivity=np.ones(n, np.float32),
        fatigue_sensitivity=np.ones(n, np.float32),
        trust=np.full(n, 0.5, np.float32),
        rel_mean=np.zeros(n, np.float32),
        fatigue=np.zeros((4, n), np.float32),
        consent=np.full(n, 15, np.uint8),
        hist_item=np.zeros((n, 4), np.int32),
        hist_day=np.full((n, 4), NO_DAY, np.int16),
        rel=np.zeros(1, np.float32),
        best=np.zeros(1, np.int8),
        persofail=np.zeros(1, np.uint8),
        creepy=np.zeros(1, np.uint8),
        clicked=np.zeros(1, np.uint8),
        bought=np.zeros(1, np.int32),
        revenue=np.zeros(1),
        margin_out=np.zeros(1),
        opted_out=np.zeros(1, np.uint8),
        channel=1,
        day=20,
        params=PARAMS,
        stages=ALL_STAGES,
        covert=False,
        explained=False,
        control=False,
        creep_key=1,
        engage_key=2,
        optout_key=3,
    )


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
def test_persofail_for_a_just_bought_durable(impl):
    # Customer 0 bought item 5 (a durable, category 0) on day 10; on day 20 a slate that
    # shows item 6 (same category) is a persofail with the configured relevance -0.3, and
    # trust then falls by loss_persofail * look * trust: 0.1 * 0.5 in a slot recommended from
    # on-site behaviour (look 1), 0.1 * 0.2 * 0.5 among best sellers (look 0.2).
    for basis, look in ((2, 1.0), (0, 0.2)):
        args = _touch_args(1, 10)
        args["pref"][0, 0] = 127
        args["item_feat"][:, 0] = 127
        args["item_cat"][:] = [0] * 8 + [1, 1]
        args["item_durable"][:] = 1
        args["slate"][0, 0] = 6
        args["basis"][0, 0] = basis
        args["hist_item"][0, 0], args["hist_day"][0, 0] = 5, 10
        args["stages"] = STAGES["perceive"] | STAGES["trust"]
        call("respond", impl, n_threads=1, **args)
        assert args["persofail"][0] == 1 and args["rel"][0] == np.float32(-0.3)
        assert args["trust"][0] == np.float32(0.5 - 0.1 * look * 0.5)


@pytest.mark.parametrize("d, n_candidates", [(8, 7), (8, 32), (12, 32), (40, 32), (8, 4097)])
def test_fill_slates_equals_twin_for_every_candidate_path(monkeypatch, d, n_candidates):
    # fill_slates ranks candidates on packed int32 keys (a vectorized dot product when D = 8,
    # a scalar one up to D = 31) and falls back to plain scores beyond that or beyond 4096
    # candidates; every path must pick what the twin picks, on 1 and 2 threads.
    monkeypatch.setitem(DIMS, "D", d)
    monkeypatch.setitem(DIMS, "k", 400 if n_candidates <= 32 else 40)  # the twin draws in Python
    monkeypatch.setitem(SCALARS, "fill_slates", {**SCALARS["fill_slates"], "n_candidates": n_candidates})
    compiled = _run("fill_slates", "compiled", seed=3)
    _assert_same(compiled, _run("fill_slates", "numpy", seed=3), exact_floats=False)
    _assert_same(compiled, _run("fill_slates", "compiled", threads=2, seed=3), exact_floats=True)


@pytest.mark.parametrize("pattern", ["none", "all", "ends_unexposed", "ends_exposed", "random"])
@pytest.mark.parametrize("threads", [1, 2])
def test_fill_slates_zeroes_the_rows_of_unexposed_touches(pattern, threads):
    # The engine hands fill_slates uninitialised slate arrays: every unexposed row must come
    # back zero (wherever the gaps fall: before the first, between and after the last exposed
    # touch, or everywhere), and the exposed rows as with cleared arrays.
    k = DIMS["k"]
    exposed = {
        "none": np.zeros(k),
        "all": np.ones(k),
        "random": np.random.default_rng(4).random(k) < 0.3,
        "ends_unexposed": np.r_[0, 0, np.arange(k - 5) % 3 == 0, 0, 0, 0],
        "ends_exposed": np.r_[1, np.arange(k - 2) % 4 == 0, 1],
    }[pattern].astype(np.uint8)
    results = []
    for prefill in (0, 1):
        args = _inputs("fill_slates", seed=5)
        args["exposed"] = exposed
        args["slate"][:] = -7 if prefill else 0
        args["basis"][:] = 9 if prefill else 0
        args["score"][:] = np.nan if prefill else 0.0
        call("fill_slates", "compiled", n_threads=threads, **args)
        results.append(args)
    for name in ("slate", "basis", "score"):
        np.testing.assert_array_equal(results[1][name], results[0][name], err_msg=name)
        assert not results[1][name][exposed == 0].any(), name
        if exposed.any():
            assert results[1][name][exposed == 1].any(), name


@pytest.mark.parametrize("kernel", ["fill_slates", "respond"])
@pytest.mark.parametrize("impl", ["compiled", "numpy"])
def test_history_indices_are_checked_at_exposed_customers(kernel, impl):
    # These kernels never read an unexposed touch's customer, so only exposed customers'
    # purchase histories must hold valid items; a bad one there is rejected (the compiled
    # respond checks each row as it reads it, and names the customer).
    args = _inputs(kernel)
    t_off, t_on = np.flatnonzero(args["exposed"] == 0)[0], np.flatnonzero(args["exposed"])[0]
    args["hist_item"][args["cust"][t_off], 0] = DIMS["M"] + 5
    args["hist_day"][args["cust"][t_off], 0] = 3
    call(kernel, impl, n_threads=1, **args)
    args = _inputs(kernel)
    args["hist_item"][args["cust"][t_on], 0] = DIMS["M"] + 5
    args["hist_day"][args["cust"][t_on], 0] = 3
    in_kernel = kernel == "respond" and impl == "compiled"
    message = rf"customer {args['cust'][t_on]} holds items" if in_kernel else "indices span"
    with pytest.raises(KernelArgumentError, match=rf"{kernel}\(hist_item\): {message}"):
        call(kernel, impl, n_threads=1, **args)


def test_fill_slates_checks_only_the_customer_arrays_its_sources_read():
    # Behavioural slots without suppression never read the purchase history, the last view or
    # the stated / inferred / third-party categories; with retargeting the history is read.
    def args_with_bad_rows(sources, suppress_window):
        args = _inputs("fill_slates")
        args.update(
            slot_source=np.array(sources, dtype=np.uint8), suppress_window=suppress_window, suppress_cycle=False
        )
        for name in ("slate", "basis", "score"):
            args[name] = np.zeros((DIMS["k"], len(sources)), dtype=args[name].dtype)
        rows = args["cust"][args["exposed"].astype(bool)]
        args["hist_item"][rows, 0] = DIMS["M"] + 5
        args["last_view_item"][rows] = DIMS["M"] + 5
        for name in ("stated_cats", "inferred_cat", "offsite_cat"):
            args[name][rows] = DIMS["Q"] + 5
        return args

    call("fill_slates", "compiled", n_threads=1, **args_with_bad_rows([3, 3, 1], 0.0))
    for sources, window, bad in (
        ([3, 3, 1], 20.0, "hist_item"),
        ([4, 3], 0.0, "last_view_item"),
        ([2, 3], 0.0, "stated_cats"),
        ([6, 3], 0.0, "inferred_cat"),
        ([7, 3], 0.0, "offsite_cat"),
    ):
        with pytest.raises(KernelArgumentError, match=rf"fill_slates\({bad}\): indices span"):
            call("fill_slates", "compiled", n_threads=1, **args_with_bad_rows(sources, window))


@pytest.mark.parametrize("stages", [ALL_STAGES, STAGES["perceive"]])
def test_customers_without_purchases_get_the_first_best_match_as_the_twin_does(stages):
    # respond takes a shortcut for a customer with nothing bought on record (no slot can be a
    # persofail or due again): half the customers here, with slates that repeat items so
    # that slots tie on the match.
    kernel = "respond"
    args = _inputs(kernel, seed=3)
    args["stages"] = stages
    args["hist_day"][::2] = NO_DAY
    args["slate"][::3, 1] = args["slate"][::3, 0]
    args["slate"][1::3, 3] = args["slate"][1::3, 2]
    twin = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in args.items()}
    call(kernel, "compiled", n_threads=1, **args)
    call(kernel, "numpy", n_threads=1, **twin)
    for name in ("rel", "best", "persofail"):
        np.testing.assert_array_equal(args[name], twin[name], err_msg=name)
    exposed_empty = (args["exposed"] != 0) & (args["hist_day"][args["cust"]] == NO_DAY).all(axis=1)
    assert exposed_empty.sum() > 50 and (args["persofail"][exposed_empty] == 0).all()


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
def test_observe_learns_the_clicked_slot_counts_sales_and_reports_a_bad_click(impl):
    args = _inputs("observe")
    k, n_slot = args["slate"].shape
    args["clicked"][:] = 0
    args["clicked"][[5, 9]] = 1
    args["best"][[5, 9]] = [2, 3]
    args["slate"][5, 2], args["slate"][9, 3] = 17, 18
    args["viewed"][:] = -1
    args["bought"][:] = -1
    args["bought"][[1, 2, 3]] = [40, 41, 40]
    sales0 = args["sales"].copy()
    assert call("observe", impl, n_threads=1, **args) == 0
    np.testing.assert_array_equal(args["last_view_item"][args["cust"][[5, 9]]], [17, 18])
    assert args["sales"][40] == sales0[40] + 2 and args["sales"][41] == sales0[41] + 1
    assert np.array_equal(np.delete(args["sales"], [40, 41]), np.delete(sales0, [40, 41]))
    # A click on a slot outside the slate, or on a slot showing no item of the catalogue:
    # the first such touch is reported (1 + its index) and nothing is learned from it.
    for slot, item in ((n_slot, 17), (2, DIMS["M"])):
        bad = _inputs("observe")
        bad["viewed"][:] = -1
        bad["bought"][:] = -1
        bad["clicked"][:] = 0
        bad["clicked"][[7, 8]] = 1
        bad["best"][[7, 8]] = [slot, 1]
        bad["slate"][7, 2] = item
        n_obs = bad["n_obs"].copy()
        assert call("observe", impl, n_threads=1, **bad) == 8
        assert bad["n_obs"][bad["cust"][7]] == n_obs[bad["cust"][7]]
        assert bad["n_obs"][bad["cust"][8]] == n_obs[bad["cust"][8]] + 1


def test_a_bad_click_stops_the_wave_with_a_clear_error(small_config):
    from sim.scenario import Scenario
    from sim.touch import TouchBatch

    s = Scenario(small_config())
    batch = TouchBatch(0, 5, 9, np.arange(50, dtype=np.int64), 4)
    batch.clicked[3], batch.best[3] = 1, 4
    with pytest.raises(KernelArgumentError, match=r"observe: touch 3 .* clicked at slot"):
        s.firm.observe(batch, w_view=0.1, w_click=0.2, w_buy=0.3, threads=1, impl="compiled")


@pytest.mark.parametrize("weight", [1.0, 0.5, 0.25, 0.3, 1 / 3, 0.75, 0.1, 2.0])
def test_observe_vectorized_update_equals_the_scalar_one_for_every_value_pair(weight):
    # observe updates a D = 8 estimate two components per SSE2 instruction (all eight per
    # AVX-512 instruction on that path); on every path, every pair of
    # (estimate, feature) values in every lane, at weights that hit rounding ties (0.5) and
    # the clamps (2.0), must give the scalar update's values.
    from sim.core import load_compiled

    firm = load_compiled("_firm")
    n, m = 65536, 256
    c, d = np.arange(n)[:, None], np.arange(8)[None, :]
    est0 = (((c + 37 * d) % 256) - 128).astype(np.int8)
    feat = (((np.arange(m)[:, None] + 11 * d) % 256) - 128).astype(np.int8)
    cust = np.arange(n, dtype=np.int64)
    viewed = (np.arange(n) // 256).astype(np.int32)
    none = np.full(n, -1, np.int32)
    out = []
    for path in firm.simd_paths():  # the vector update is SSE2, or AVX-512 on that path
        for vector in (True, False):
            previous = firm.set_sse2_learn(vector)
            try:
                est = est0.copy()
                _on_simd_path(
                    firm,
                    path,
                    lambda: call(
                        "observe",
                        "compiled",
                        cust=cust,
                        viewed=viewed,
                        clicked=np.zeros(n, np.uint8),
                        best=np.full(n, -1, np.int8),
                        slate=np.zeros((n, 1), np.int32),
                        bought=none,
                        item_feat=feat,
                        est_pref=est,
                        n_obs=np.zeros(n, np.uint16),
                        last_view_item=np.zeros(n, np.int32),
                        last_view_day=np.zeros(n, np.int16),
                        sales=np.zeros(m),
                        day=3,
                        w_view=weight,
                        w_click=0.5,
                        w_buy=1.0,
                        n_threads=1,
                    ),
                )
            finally:
                firm.set_sse2_learn(previous)
            out.append(est)
    for est in out[1:]:
        np.testing.assert_array_equal(est, out[0])
    assert not np.array_equal(out[0], est0)


@pytest.mark.parametrize("kernel", ["browse", "respond"])
@pytest.mark.parametrize("d", [8, 12])
def test_several_dot_products_at_once_equal_the_twin_for_any_dimension(monkeypatch, kernel, d):
    # With D = 8 these kernels take the dot products of a customer's items four at a time
    # (and the rest one by one); with another D one at a time.  Both agree with the twin.
    monkeypatch.setitem(DIMS, "D", d)
    _assert_same(_run(kernel, "compiled", seed=4), _run(kernel, "numpy", seed=4), exact_floats=False)


@pytest.mark.parametrize("kernel", ["select_visitors", "recover_and_churn"])
@pytest.mark.parametrize("n", [1000, 1003, 3])
def test_day_draws_on_every_simd_path_equal_the_scalar_ones(monkeypatch, kernel, n):
    # The day kernels hash their customers' draws eight (AVX-512) or four (AVX2) at a time
    # where the CPU can, else one at a time.  Every path gives the same outputs (and the
    # twin's), also for a population that is not a multiple of the vector width.
    from sim.core import load_compiled

    stages = load_compiled("_stages")
    monkeypatch.setitem(DIMS, "N", n)
    outs = {path: _on_simd_path(stages, path, lambda: _run(kernel, "compiled", seed=6)) for path in stages.simd_paths()}
    for out in outs.values():
        _assert_same(out, outs["scalar"], exact_floats=True)
    _assert_same(outs["scalar"], _run(kernel, "numpy", seed=6), exact_floats=False)


@pytest.mark.parametrize("k", [0, 1, 7, 8, 515, 1031])
def test_listed_draws_on_every_simd_path_equal_the_scalar_draw(k):
    # An email wave's exposure coins are hashed for its listed customers (any order, a
    # length that is no multiple of the vector width) several at a time: each equals the
    # twin's draw_bits(customer_base(key, customer), j).
    from sim.core import load_compiled
    from sim.core.twins.random import customer_base, draw_bits

    stages = load_compiled("_stages")
    cust = np.random.default_rng(k).permutation(5 * k + 3)[:k].astype(np.int64)
    want = draw_bits(customer_base(np.uint64(0xD1CE), cust), 3)
    for path in stages.simd_paths():
        out = np.zeros(k, dtype=np.uint64)
        _on_simd_path(stages, path, lambda: stages._listed_draws(0xD1CE, cust, 3, out))
        np.testing.assert_array_equal(out, want, err_msg=path)


@pytest.mark.parametrize("k", [1, 9, 1100])
def test_expose_is_identical_on_every_simd_path(monkeypatch, k):
    # expose decides most touches on the integer draw (u >= the largest possible p): every
    # path, blocks of touches included, gives the twin's outcomes.
    from sim.core import load_compiled

    stages = load_compiled("_stages")
    monkeypatch.setitem(DIMS, "k", k)
    monkeypatch.setitem(DIMS, "N", max(2 * k, 50))
    outs = {
        path: _on_simd_path(stages, path, lambda: _run("expose", "compiled", seed=8)) for path in stages.simd_paths()
    }
    for out in outs.values():
        _assert_same(out, outs["scalar"], exact_floats=True)
    _assert_same(outs["scalar"], _run("expose", "numpy", seed=8), exact_floats=False)


@pytest.mark.parametrize("n_look", [1, 7, 8, 9])
@pytest.mark.parametrize("d", [8, 12])
def test_browse_is_identical_on_every_simd_path(monkeypatch, n_look, d):
    # With D = 8 and eight items (the default) the AVX-512 path draws, scores and picks a
    # visitor's items in registers; other shapes and paths run the scalar loop.  Every path
    # gives the same items and relevances (and the twin's), also when matches tie: the
    # items repeat a few feature rows, so the first of equal matches must win, and some
    # rows are all -128 (the largest dot product, 8 * 128 * 128).
    from sim.core import load_compiled

    stages = load_compiled("_stages")
    monkeypatch.setitem(DIMS, "D", d)
    monkeypatch.setitem(DIMS, "k", 2000)
    monkeypatch.setitem(DIMS, "N", 5000)
    browse = SCALARS["browse"]
    monkeypatch.setitem(SCALARS, "browse", {**browse, "params": replace(browse["params"], browse_items=n_look)})

    def run(impl):
        args = _inputs("browse", seed=9)
        args["item_feat"] = np.ascontiguousarray(args["item_feat"][np.arange(DIMS["M"]) % 7])
        args["item_feat"][::7] = -128
        args["pref"][::5] = -128
        call("browse", impl, n_threads=1, **args)
        return {name: args[name] for name in ("viewed", "viewed_rel")}

    outs = {path: _on_simd_path(stages, path, lambda: run("compiled")) for path in stages.simd_paths()}
    for out in outs.values():
        _assert_same(out, outs["scalar"], exact_floats=True)
    _assert_same(outs["scalar"], run("numpy"), exact_floats=False)


def _churn_inputs(n: int, seed: int, **params) -> dict:
    """recover_and_churn's arguments for n customers, some inactive, many near the churn midpoint."""
    rng = np.random.default_rng(seed)
    return dict(
        active=(rng.random(n) < 0.9).astype(np.uint8),
        trust=rng.uniform(0, 1, n).astype(np.float32),
        trust_base=rng.uniform(0, 1, n).astype(np.float32),
        fatigue=rng.uniform(0, 3, (4, n)).astype(np.float32),
        live=np.array([1, 1, 0, 1], dtype=np.uint8),
        churned=rng.integers(0, 2, n).astype(np.uint8),
        consent=rng.integers(0, 16, n).astype(np.uint8),
        params=replace(PARAMS, trust_relax=0.03, **params),
        stages=stage_mask(DAY_STAGES),
        key=21,
    )


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
@pytest.mark.parametrize("n", [3, 1000, 512 * 5 + 7])
@pytest.mark.parametrize("threads", [1, 2])
def test_the_day_in_one_call_equals_recovery_then_churn_in_two(impl, n, threads):
    # A behavior between recovery and churn splits the day kernel into two calls (a stage
    # mask each): the arrays they leave are those of one call, bit for bit.
    one = _churn_inputs(n, seed=n)
    two = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in one.items()}
    call("recover_and_churn", impl, n_threads=threads, **one)
    call("recover_and_churn", impl, n_threads=threads, **{**two, "stages": STAGES["recovery"]})
    call("recover_and_churn", impl, n_threads=threads, **{**two, "stages": STAGES["churn"]})
    for name, a in one.items():
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, two[name], err_msg=name)
    assert n < 100 or 0 < np.count_nonzero(one["churned"]) < np.count_nonzero(one["active"])


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
def test_the_day_stages_do_what_their_equations_say(impl):
    # Recovery moves an active customer's trust toward its baseline by trust_relax of the
    # gap and multiplies each live channel's fatigue by its decay, leaving dead channels'
    # rows and inactive customers' trust alone; churn alone touches neither; a churner
    # loses its consents.
    args = _churn_inputs(600, seed=3)
    before = {k: v.copy() for k, v in args.items() if isinstance(v, np.ndarray)}
    call("recover_and_churn", impl, n_threads=1, **{**args, "stages": STAGES["recovery"]})
    act = before["active"] != 0
    want = before["trust"][act].astype(np.float64)
    want = (want + 0.03 * (before["trust_base"][act].astype(np.float64) - want)).astype(np.float32)
    np.testing.assert_array_equal(args["trust"][act], want)
    np.testing.assert_array_equal(args["trust"][~act], before["trust"][~act])
    for c, decay in enumerate(PARAMS.fatigue_decay):
        expect = (
            (before["fatigue"][c] * np.float64(decay)).astype(np.float32) if args["live"][c] else before["fatigue"][c]
        )
        np.testing.assert_array_equal(args["fatigue"][c], expect, err_msg=f"channel {c}")
    np.testing.assert_array_equal(args["churned"], before["churned"])  # not written without churn
    recovered = {k: v.copy() for k, v in args.items() if isinstance(v, np.ndarray)}
    call("recover_and_churn", impl, n_threads=1, **{**args, "stages": STAGES["churn"]})
    gone = args["churned"].view(bool)
    assert 0 < gone.sum() < act.sum()
    assert (args["consent"][gone] == 0).all() and (args["active"][gone] == 0).all()
    np.testing.assert_array_equal(args["trust"], recovered["trust"])
    np.testing.assert_array_equal(args["fatigue"], recovered["fatigue"])


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
@pytest.mark.parametrize("n", [0, 3, 512 * 5 + 7, 100_003])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_fused_day_kernel_counts_the_churners_and_the_customers_still_active(impl, n, threads):
    # The daily series takes both counts from the kernel (no pass over the population of its
    # own): they must be those of the arrays it leaves.
    args = _churn_inputs(n, seed=n + 1, churn_hazard_max=0.8)
    churned, active = call("recover_and_churn", impl, n_threads=threads, **args)
    assert (churned, active) == (np.count_nonzero(args["churned"]), np.count_nonzero(args["active"]))
    assert n < 100 or 0 < churned < active


@pytest.mark.parametrize("n", [1, 3, 511, 512, 1000, 512 * 7 + 5, 100_003])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_visitor_indices_are_the_nonzero_visit_flags_for_any_thread_count(n, threads):
    # The kernel compacts the visitors' indices itself, one part of the customers per thread.
    # The flags, straight from the model's definition: an active customer visits when its
    # draw is below p = rate * (1 + slope * (trust - 0.5)).
    from sim.core.twins.random import customer_base, draw_uniform

    rng = np.random.default_rng(n)
    active = (rng.random(n) < 0.8).astype(np.uint8)
    trust = rng.uniform(0, 1, n).astype(np.float32)
    rate = rng.uniform(0, 0.6, n).astype(np.float32)
    p = rate.astype(np.float64) * (1.0 + 1.0 * (trust.astype(np.float64) - 0.5))
    flags = (active != 0) & (draw_uniform(customer_base(13, np.arange(n, dtype=np.int64)), 0) < p)
    for impl in ("compiled", "numpy"):
        out = rng.integers(-5, n, n).astype(np.int64)  # scratch: its old contents must not matter
        k = call(
            "select_visitors",
            impl,
            active=active,
            trust=trust,
            visit_rate=rate,
            visitors=out,
            params=replace(PARAMS, visit_trust_slope=1.0),
            key=13,
            n_threads=threads,
        )
        np.testing.assert_array_equal(out[:k], np.flatnonzero(flags), err_msg=impl)


def test_churn_decides_a_draw_right_at_the_hazard_bound_exactly():
    # The kernel compares the draw's integer bits with the bound before converting it: the
    # decision at, just above and just below u == churn_hazard_max is still u < the bound
    # (with a steep slope, h == churn_hazard_max here).
    from sim.core.twins.random import customer_base, draw_uniform

    n = 8
    u = draw_uniform(customer_base(5, np.arange(n, dtype=np.int64)), 0)
    for c in range(n):
        for bound in (u[c], np.nextafter(u[c], 1.0), np.nextafter(u[c], 0.0), 0.0, 1.0, 2.0):
            out = {}
            for impl in ("compiled", "numpy"):
                args = _churn_inputs(n, seed=c, churn_hazard_max=float(bound), churn_trust_mid=0.5, churn_slope=1000.0)
                args.update(active=np.ones(n, np.uint8), trust=np.zeros(n, np.float32), key=5)
                args["stages"] = STAGES["churn"]
                call("recover_and_churn", impl, n_threads=1, **args)
                out[impl] = args["churned"]
            np.testing.assert_array_equal(out["compiled"], out["numpy"])
            assert out["compiled"][c] == (u[c] < bound)


def _on_simd_path(firm, path, fn):
    previous = firm.set_simd(path)
    try:
        return fn()
    finally:
        firm.set_simd(previous)


@pytest.mark.parametrize("d", [8, 12, 40])
@pytest.mark.parametrize("n_candidates", [1, 2, 7, 13, 16, 20, 32, 33, 47, 64, 100])
@pytest.mark.parametrize("suppress", [False, True])
@pytest.mark.parametrize("sources", [(3,), (3, 3), (3, 3, 3, 3), (3,) * 6, (3, 0, 5, 1, 4, 3, 2, 6, 7)])
def test_fill_slates_is_identical_on_every_simd_path(monkeypatch, d, n_candidates, suppress, sources):
    # fill_slates draws its candidates and coins, scores and ranks candidates with AVX-512 or
    # AVX2 where the CPU has them, else one at a time; every path the CPU has gives the same
    # slates, bases and scores as the others and as the twin.  Every slot source (and a
    # behavioural-only slate), with and without suppression, candidate counts that are not
    # multiples of the vector widths, D = 8 (vector dot products), another D with packed keys
    # and one beyond them.  300 items, so candidates often repeat an item.
    from sim.core import load_compiled

    firm = load_compiled("_firm")
    monkeypatch.setitem(DIMS, "D", d)
    monkeypatch.setitem(DIMS, "S", len(sources))
    monkeypatch.setitem(DIMS, "k", 400 if n_candidates <= 32 else 150)  # the twin draws in Python
    scalars = {**SCALARS["fill_slates"], "n_candidates": n_candidates}
    if not suppress:
        scalars.update(suppress_window=0.0, suppress_cycle=False)
    monkeypatch.setitem(SCALARS, "fill_slates", scalars)

    def run(impl):
        args = _inputs("fill_slates", seed=5)
        args["slot_source"] = np.array(sources, dtype=np.uint8)
        call("fill_slates", impl, n_threads=1, **args)
        return {name: args[name] for name in ("slate", "basis", "score")}

    assert firm.simd_paths()[0] == "scalar"
    outs = {path: _on_simd_path(firm, path, lambda: run("compiled")) for path in firm.simd_paths()}
    for path, out in outs.items():
        _assert_same(out, outs["scalar"], exact_floats=True)
    _assert_same(outs["scalar"], run("numpy"), exact_floats=False)


@pytest.mark.parametrize("n_candidates", [1, 3, 4, 5, 9, 16, 31, 32])
@pytest.mark.parametrize("n_slot", [1, 3, 4, 5])
@pytest.mark.parametrize("suppress", [False, True])
def test_fill_slates_behavioural_rows_with_repeated_and_tied_candidates(monkeypatch, n_candidates, n_slot, suppress):
    # An all-behavioural row on a vector path takes its first slots from the four largest
    # keys at once and goes on one key at a time from an item already in the row; the
    # candidates' feature rows are loaded one by one.  Twelve items with four distinct
    # feature rows make most rows draw an item twice among their best candidates and tie
    # many scores; a high exploration rate makes exploring slots common.  Every path equals
    # the scalar one and the twin.
    from sim.core import load_compiled

    firm = load_compiled("_firm")
    monkeypatch.setitem(DIMS, "M", 12)
    monkeypatch.setitem(DIMS, "P", 6)
    monkeypatch.setitem(DIMS, "S", n_slot)
    scalars = {**SCALARS["fill_slates"], "n_candidates": n_candidates, "exploration": 0.4}
    if not suppress:
        scalars.update(suppress_window=0.0, suppress_cycle=False)
    monkeypatch.setitem(SCALARS, "fill_slates", scalars)

    def run(impl):
        args = _inputs("fill_slates", seed=11)
        args["slot_source"] = np.full(n_slot, 3, dtype=np.uint8)
        args["item_feat"] = np.ascontiguousarray(args["item_feat"][np.arange(DIMS["M"]) % 4])
        args["item_feat"][::4] = -128
        call("fill_slates", impl, n_threads=1, **args)
        return {name: args[name] for name in ("slate", "basis", "score")}

    outs = {path: _on_simd_path(firm, path, lambda: run("compiled")) for path in firm.simd_paths()}
    for out in outs.values():
        _assert_same(out, outs["scalar"], exact_floats=True)
    _assert_same(outs["scalar"], run("numpy"), exact_floats=False)
    basis = outs["scalar"]["basis"]
    assert (basis == 0).any() and (basis != 0).any()  # explored (or fell back) and behavioural slots


def test_fill_slates_simd_paths_agree_beyond_the_packed_keys():
    # More than 4096 candidates: plain scores instead of packed keys, the draws still vectorized.
    from sim.core import load_compiled

    firm = load_compiled("_firm")
    args0 = _inputs("fill_slates", seed=8)
    args0["n_candidates"] = 4099
    outs = []
    for path in firm.simd_paths():
        args = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in args0.items()}
        _on_simd_path(firm, path, lambda: call("fill_slates", "compiled", n_threads=1, **args))
        outs.append({name: args[name] for name in ("slate", "basis", "score")})
    for out in outs[1:]:
        _assert_same(out, outs[0], exact_floats=True)


def test_set_simd_rejects_a_path_the_module_does_not_have():
    from sim.core import load_compiled

    firm = load_compiled("_firm")
    with pytest.raises(ValueError, match="SIMD path"):
        firm.set_simd("sse9")
    assert firm.set_simd(firm.simd_paths()[-1]) in firm.simd_paths()


def test_vector_draw_runs_equal_the_scalar_draws():
    # The runs of one customer's draws (with and without bounded_low) and the blocks of
    # customers' draws, on every path, equal the scalar draw_bits bit for bit: many bases,
    # first draw numbers (also ones whose counters wrap around 2**64), lengths and bounds.
    from sim.core import load_compiled
    from sim.core.twins.random import bounded_low, customer_base, draw_bits

    firm = load_compiled("_firm")
    rng = np.random.default_rng(9)
    cases = []
    for n in [*range(0, 41), 63, 64, 65, 100, 257]:

        def pick(values):
            return values[int(rng.integers(0, len(values)))]

        base = int(rng.integers(0, 2**64, dtype=np.uint64))
        j0 = pick([0, 1, 32, int(rng.integers(0, 2**64, dtype=np.uint64)), 2**64 - 3])
        bound = pick([1, 7, 300, 2000, 2**31, 2**32 - 1])
        first = pick([0, 5, int(rng.integers(0, 2**64, dtype=np.uint64)), 2**64 - 2])
        cases.append((base, j0, bound, first, n))
    cases += [(0, 0, 1, 0, 16), (2**64 - 1, 2**64 - 1, 2**32 - 1, 2**64 - 1, 17)]
    with np.errstate(over="ignore"):
        for path in firm.simd_paths():
            for base, j0, bound, first, n in cases:
                bits, below, block = np.zeros(n, np.uint64), np.zeros(n, np.uint32), np.zeros(n, np.uint64)
                _on_simd_path(
                    firm, path, lambda: firm._draw_runs(base, j0, bound, bits, below, base ^ 0x5A5A, first, block)
                )
                js = np.uint64(j0) + np.arange(n, dtype=np.uint64)
                want = draw_bits(np.full(n, base, np.uint64), js)
                np.testing.assert_array_equal(bits, want, err_msg=f"{path} {base} {j0} {n}")
                np.testing.assert_array_equal(below, bounded_low(want, bound).astype(np.uint32))
                customers = np.uint64(first) + np.arange(n, dtype=np.uint64)
                np.testing.assert_array_equal(block, draw_bits(customer_base(base ^ 0x5A5A, customers), np.uint64(j0)))


@pytest.mark.parametrize("kernel", ["respond", "fill_slates"])
def test_a_wave_after_a_larger_one_gets_the_same_results(monkeypatch, kernel):
    # These kernels keep their exposure order's buffer from call to call (a fresh one of an
    # email wave's size costs its page faults every time): a wave that finds a larger kept
    # buffer, full of an earlier wave's order, must not be affected by what it holds.
    first = _run(kernel, "compiled", threads=2, seed=5)
    with monkeypatch.context() as m:
        m.setitem(DIMS, "N", DIMS["N"] * 8)
        m.setitem(DIMS, "k", DIMS["k"] * 7 + 3)
        _run(kernel, "compiled", threads=2, seed=6)
    _assert_same(_run(kernel, "compiled", threads=2, seed=5), first, exact_floats=True)
    _assert_same(_run(kernel, "compiled", threads=1, seed=5), first, exact_floats=True)


def _visit_inputs(seed: int, n_look: int, **params) -> tuple[dict, dict]:
    """respond's arguments for a visits wave (onsite, every touch exposed, purchases due and
    not; no opt-out stage), and browse's for the same touches, sharing the arrays."""
    args = _inputs("respond", seed)
    args.update(
        channel=0,
        stages=ALL_STAGES & ~STAGES["optout"],
        exposed=np.ones_like(args["exposed"]),
        params=replace(PARAMS, browse_items=n_look, **params),
    )
    args["viewed"][:] = -7  # overwritten by browsing
    args["viewed_rel"][:] = np.nan
    names = ("cust", "pref", "item_feat", "item_durable", "item_cycle", "hist_item", "hist_day", "viewed",
             "viewed_rel", "day", "params")  # fmt: skip
    browse = {name: args[name] for name in names}
    browse.update(key=23)
    return args, browse


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
@pytest.mark.parametrize("n_look", [8, 5])
@pytest.mark.parametrize("threads", [1, 2])
def test_respond_with_browsing_equals_browse_then_respond_bit_for_bit(impl, n_look, threads):
    # A visits wave browses inside respond (its rows read once); otherwise browse runs first
    # as its own pass.  Every output and every customer array must be the same, on each vector
    # path (browse's eight looks in registers with AVX-512, else one at a time).
    from sim.core import load_compiled

    stages = load_compiled("_stages")
    paths = stages.simd_paths() if impl == "compiled" else ("scalar",)
    for path in paths:
        fused, _ = _visit_inputs(7, n_look)
        staged, browse = _visit_inputs(7, n_look)

        def run_both():
            assert (
                call("respond", impl, trusted={"viewed"}, n_threads=threads, browse_visits=True, browse_key=23, **fused)
                is None
            )
            call("browse", impl, n_threads=threads, **browse)
            call("respond", impl, n_threads=threads, **staged)

        _on_simd_path(stages, path, run_both)
        for name, a in fused.items():
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, staged[name], err_msg=f"{path}: {name}")
        assert (fused["viewed"] >= 0).all() and fused["bought"].max() >= 0


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
def test_respond_browses_only_a_wave_with_every_touch_exposed(impl):
    args, _ = _visit_inputs(8, 8)
    args["exposed"][3] = 0
    with pytest.raises(ValueError, match="browse_visits needs every touch exposed"):
        call("respond", impl, trusted={"viewed"}, n_threads=1, browse_visits=True, browse_key=1, **args)


def _browsed(args: dict) -> None:
    """Every other touch viewed an item while browsing (the others none), as browse leaves them."""
    rng = np.random.default_rng(3)
    k, m = args["viewed"].shape[0], args["item_feat"].shape[0]
    args["viewed"][:] = np.where(np.arange(k) % 2 == 0, rng.integers(0, m, k), -1)
    args["viewed_rel"][:] = rng.random(k, dtype=np.float32)


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
@pytest.mark.parametrize("channel", [0, 1])
def test_respond_without_reading_a_fatigue_row_of_zeros_gives_the_same_results(impl, channel):
    # A visit adds no fatigue, so the onsite row stays all zeros: respond takes it as 0
    # without fetching it (fatigue_live=False).  Same outputs, for a visits wave and for an
    # email wave (clicks and opt-outs both read fatigue), when the row does hold zeros.
    outs = []
    for live in (True, False):
        args, _ = _visit_inputs(11, 8, optout_base_hazard=(0.0, 0.2, 0.2, 0.2))
        stages = ALL_STAGES & ~STAGES["fatigue"]
        args.update(channel=channel, stages=stages if channel else stages & ~STAGES["optout"])
        args["fatigue"][channel] = 0.0
        _browsed(args)
        assert call("respond", impl, n_threads=2, fatigue_live=live, **args) is None
        outs.append(args)
    for name, a in outs[0].items():
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, outs[1][name], err_msg=name)
    assert outs[0]["clicked"].any() and (channel == 0 or outs[0]["opted_out"].any())


def test_respond_does_not_read_the_fatigue_row_it_is_told_holds_zeros():
    # The compiled kernel really skips the row: given a (wrongly) nonzero row, its clicks are
    # those of a row of zeros, not those the row's heavy fatigue would suppress.
    results = {}
    for row, live in (("zero", True), ("heavy", False), ("heavy", True)):
        args, _ = _visit_inputs(12, 8, click_fatigue=5.0)
        args.update(stages=args["stages"] & ~STAGES["fatigue"])
        args["fatigue"][0] = 0.0 if row == "zero" else 50.0
        _browsed(args)
        call("respond", "compiled", n_threads=1, fatigue_live=live, **args)
        results[row, live] = args["clicked"].copy()
    np.testing.assert_array_equal(results["heavy", False], results["zero", True])
    assert results["heavy", True].sum() < results["zero", True].sum()


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
def test_respond_refuses_to_skip_a_fatigue_row_it_adds_to(impl):
    args, _ = _visit_inputs(13, 8)
    args.update(channel=1, stages=ALL_STAGES)
    _browsed(args)
    with pytest.raises(ValueError, match="fatigue_live is False .* but the fatigue stage runs"):
        call("respond", impl, n_threads=1, fatigue_live=False, **args)


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
def test_respond_refuses_a_stage_mask_with_unknown_bits(impl):
    args = _inputs("respond")
    args["stages"] = 64
    with pytest.raises(ValueError, match="respond: stages is 64; allowed: a combination of the bits 1 .. 32"):
        call("respond", impl, n_threads=1, **args)


def _splits(stages: tuple[str, ...]):
    """Every way of cutting the stages into consecutive runs: the calls a behavior between
    stages makes (one split per set of cut points)."""
    for cuts in range(1 << (len(stages) - 1)):
        runs, run = [], [stages[0]]
        for i, name in enumerate(stages[1:]):
            if cuts >> i & 1:
                runs.append(run)
                run = []
            run.append(name)
        yield [*runs, run]


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
@pytest.mark.parametrize("channel", [0, 1])
def test_respond_in_any_split_equals_one_call_bit_for_bit(impl, channel):
    # The six response stages in every split into consecutive calls (32 of them), e.g.
    # (perceive, creep) + (engage) + (trust, fatigue, optout): the arrays they leave are those
    # of one call.  Values pass from stage to stage through the per-touch arrays.
    def inputs():
        args = _inputs("respond", seed=21)
        args.update(channel=channel)
        _browsed(args)
        if channel == 0:
            args["fatigue"][0] = 0.0
        return args

    stages = RESPONSE_STAGES if channel else RESPONSE_STAGES[:-1]
    whole = inputs()
    whole["stages"] = stage_mask(stages)
    call("respond", impl, n_threads=2, **whole)
    assert whole["clicked"].any() and whole["bought"].max() >= 0 and whole["creepy"].any()
    for split in _splits(stages):
        parts = inputs()
        for run in split:
            call("respond", impl, n_threads=2, **{**parts, "stages": stage_mask(run)})
        for name, a in whole.items():
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, parts[name], err_msg=f"{split}: {name}")


@pytest.mark.parametrize("sparse", [True, False])
def test_observe_over_several_blocks_equals_the_twin_on_any_thread_count(monkeypatch, sparse):
    # observe lists each block's touches with something observed, then learns from them: a
    # wave of several blocks (4096 touches each) and a part block, observations as sparse as
    # an email wave's clicks or as dense as a visits wave's views, and a bad click in the third
    # block after a bad one in the fourth (the first must be reported, on any thread count).
    monkeypatch.setitem(DIMS, "k", 4096 * 3 + 1000)
    monkeypatch.setitem(DIMS, "N", 40_000)
    base = _inputs("observe", seed=4)
    rng = np.random.default_rng(5)
    k, n_slot = base["slate"].shape
    share = 0.03 if sparse else 0.9
    base["viewed"][:] = np.where(rng.random(k) < share, base["viewed"], -1)
    base["clicked"][:] = rng.random(k) < share
    base["bought"][:] = np.where(rng.random(k) < share / 2, base["bought"], -1)
    base["best"][:] = rng.integers(0, n_slot, k)
    base["sales"][:] = rng.integers(0, 50, base["sales"].shape[0])  # units sold: whole numbers
    base["clicked"][[4096 * 2 + 7, 4096 * 3 + 5]] = 1
    base["best"][[4096 * 2 + 7, 4096 * 3 + 5]] = n_slot  # a slot outside the slate
    results = []
    for impl, threads in (("numpy", 1), ("compiled", 1), ("compiled", 2)):
        args = {name: a.copy() if isinstance(a, np.ndarray) else a for name, a in base.items()}
        results.append((call("observe", impl, n_threads=threads, **args), args))
    (want, twin), *compiled = results
    assert want == 4096 * 2 + 7 + 1
    for got, args in compiled:
        assert got == want
        for name in ("est_pref", "n_obs", "last_view_item", "last_view_day", "sales"):
            np.testing.assert_array_equal(args[name], twin[name], err_msg=name)
    assert (twin["n_obs"] != base["n_obs"]).sum() > (300 if sparse else 10_000)
