"""The firm's side: it sees only observable data, it learns, and every shipped strategy runs."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.codes import SOURCES
from sim.core.kernels import KERNELS, call
from sim.firm import FirmView
from sim.scenario import Scenario

HIDDEN = (
    "pref",
    "trust",
    "trust_base",
    "privacy",
    "visit_rate",
    "fatigue",
    "active",
    "rel_mean",
    "price_sensitivity",
    "fatigue_sensitivity",
)


def test_the_population_marks_the_customers_own_state_as_hidden(small_config):
    pop = Scenario(small_config()).population
    assert {name for name, spec in pop.specs.items() if not spec.observable} >= set(HIDDEN)


def test_the_firm_view_holds_no_hidden_customer_state(small_config):
    # Every array reachable from the firm's view is the firm's own or an observable field;
    # none shares memory with a hidden population field.  Adding a reference to, say,
    # pop.trust to FirmView makes this fail.
    s = Scenario(small_config())
    hidden = [s.population[name] for name, spec in s.population.specs.items() if not spec.observable]
    reachable = [v for v in vars(s.firm).values() if isinstance(v, np.ndarray)]
    reachable += [v for v in vars(s.firm.catalog).values() if isinstance(v, np.ndarray)]
    assert reachable
    for a in reachable:
        assert not any(np.shares_memory(a, h) for h in hidden)
    assert not any(isinstance(v, type(s.population)) for v in vars(s.firm).values())


def test_firm_kernels_take_no_hidden_state():
    # The compiled slate and learning kernels' signatures name only firm-observable arrays.
    for name in ("fill_slates", "observe"):
        params = {spec.name for spec in KERNELS[name].arrays}
        assert not params & set(HIDDEN), name


def test_a_strategy_is_given_only_the_firm_view():
    from sim.strategies.base import Strategy

    params = list(inspect.signature(Strategy.fill).parameters)
    assert params[:3] == ["self", "batch", "firm"]
    assert inspect.signature(Strategy.fill).parameters["firm"].annotation in ("FirmView", FirmView)


def _estimation_error(scenario) -> float:
    """Mean angle-free error: 1 - cosine between the firm's estimate and the true taste."""
    est = scenario.firm.est_pref.astype(np.float64)
    true = scenario.population.pref.astype(np.float64)
    norm = np.linalg.norm(est, axis=1) * np.linalg.norm(true, axis=1)
    cos = np.where(norm > 0, (est * true).sum(axis=1) / np.maximum(norm, 1e-12), 0.0)
    return float(np.mean(1.0 - cos))


def test_preference_estimates_improve_with_observed_behaviour(small_config):
    # Cold start: the estimate is zero (error 1).  The more the firm observes, the closer it
    # gets: error after 90 days < after 30 days < after 7 days.
    errors = []
    for days in (7, 30, 90):
        s = Scenario(small_config("population.size=3000", f"horizon_days={days}"))
        assert _estimation_error(s) == 1.0
        s.run()
        errors.append(_estimation_error(s))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.6


def test_stated_inferred_and_offsite_data_are_as_accurate_as_configured(small_config):
    s = Scenario(
        small_config(
            "population.size=20000",
            "firm.inference_accuracy=0.6",
            "firm.offsite_coverage=0.5",
            "firm.offsite_accuracy=0.8",
        )
    )
    f, pop = s.firm, s.population
    match = pop.pref.astype(np.int32) @ s.catalog.centroids.astype(np.int32).T
    top = np.argmax(match, axis=1)
    stated = f.stated_cats[:, 0] != 255
    assert np.all(f.stated_cats[stated, 0] == top[stated])  # stated data is true
    assert stated.mean() == pytest.approx(0.25, abs=0.02)
    right = np.mean(f.inferred_cat == top)
    assert right == pytest.approx(0.6 + 0.4 / len(s.catalog.categories), abs=0.02)
    covered = f.offsite_cat != 255
    assert covered.mean() == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize(
    "sources",
    [
        ["editorial", "popular", "editorial", "popular"],
        ["behavioural", "behavioural", "replenish", "retarget"],
        ["stated", "inferred", "offsite", "retarget"],
    ],
)
def test_every_slot_source_agrees_with_its_numpy_twin(small_config, sources):
    # A short run fills the firm's state; then one wave of slates through both implementations.
    s = Scenario(small_config("population.size=1500", "horizon_days=30", "strategy.suppress_within_cycle=true"))
    s.run()
    rng = np.random.default_rng(0)
    cust = np.sort(rng.choice(s.population.n, 600, replace=False)).astype(np.int64)
    out = {}
    for impl in ("compiled", "numpy"):
        slate, basis = np.zeros((600, 4), np.int32), np.zeros((600, 4), np.uint8)
        score = np.zeros((600, 4), np.float32)
        f, cat = s.firm, s.catalog
        call(
            "fill_slates",
            impl,
            cust=cust,
            exposed=(rng.random(600) < 2).astype(np.uint8),
            slot_source=np.array([SOURCES.index(x) for x in sources], np.uint8),
            est_pref=f.est_pref,
            n_obs=f.n_obs,
            last_view_item=f.last_view_item,
            last_view_day=f.last_view_day,
            hist_item=f.hist_item,
            hist_day=f.hist_day,
            stated_cats=f.stated_cats,
            inferred_cat=f.inferred_cat,
            offsite_cat=f.offsite_cat,
            item_feat=cat.features,
            item_cat=cat.category,
            item_durable=cat.durable,
            item_cycle=cat.cycle,
            cat_start=cat.cat_start,
            cat_items=cat.cat_items,
            popular=f.popular(50),
            editorial=f.editorial,
            slate=slate,
            basis=basis,
            score=score,
            day=30,
            n_candidates=24,
            exploration=0.1,
            suppress_window=0.0,
            suppress_cycle=True,
            retarget_window=30,
            replenish_lo=0.5,
            replenish_hi=3.0,
            key=77,
            n_threads=1,
        )
        out[impl] = (slate, basis, score)
    for a, b in zip(out["compiled"], out["numpy"]):
        np.testing.assert_array_equal(a, b)
    slate = out["compiled"][0]
    assert all(len(set(row)) == 4 for row in slate.tolist())  # no item twice in a slate


@pytest.mark.slow
def test_every_shipped_strategy_runs_in_a_glob_sweep(tmp_path):
    exe = Path(sys.executable).parent / "prepersona"
    proc = subprocess.run(
        [
            str(exe),
            "-m",
            "strategy=glob(*)",
            "population.size=600",
            "horizon_days=14",
            "output.journeys=5",
            "hydra.sweep.dir=sweep",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    names = sorted(json.loads(p.read_text())["strategy"] for p in (tmp_path / "sweep").glob("*/metrics.json"))
    shipped = sorted(p.stem for p in (Path(__file__).parents[1] / "configs" / "strategy").glob("*.yaml"))
    assert names == shipped and len(names) >= 8


def test_persofails_are_attributed_to_the_rule_that_caused_them(small_config):
    m = Scenario(small_config("strategy=retarget_naive", "population.size=3000", "horizon_days=90")).run().metrics
    by_source = m["persofails_by_source"]
    assert sum(by_source.values()) == m["persofails"] > 0
    assert by_source["retarget"] > 0.9 * m["persofails"]


def test_creepy_touches_are_attributed_to_the_data_behind_them(small_config):
    m = Scenario(small_config("strategy=inferred_sensitive", "population.size=3000", "horizon_days=60")).run().metrics
    by_basis = m["creepy_touches_by_basis"]
    assert sum(by_basis.values()) == m["creepy_touches"] > 0
    assert by_basis["offsite"] + by_basis["inferred"] > by_basis["onsite"]


def test_a_strategy_personalizes_only_its_channels(small_config):
    # Email left out: email slates show editorial picks (basis none), so nothing sent by email
    # can be creepy, while onsite slates stay personal.
    both = Scenario(small_config("strategy=inferred_sensitive", "output.journeys=300")).run()
    onsite = Scenario(
        small_config("strategy=inferred_sensitive", "strategy.channels=[onsite]", "output.journeys=300")
    ).run()

    def bases(result, channel):
        return {
            b
            for j in result.journeys
            for e in j["events"]
            if e.get("channel") == channel and e["exposed"]
            for b in e["data_basis"]
        }

    assert bases(onsite, "email") == {"none"}
    assert bases(both, "email") - {"none"}
    assert bases(onsite, "onsite") - {"none"}


def test_an_unknown_channel_is_refused():
    from sim.config.preflight import PreflightError, compose_config

    with pytest.raises(
        PreflightError, match=r"strategy.channels\[1\]='fax' is not allowed: one of onsite, email, push, ads"
    ):
        compose_config(["strategy.channels=[onsite,fax]"])


def test_a_strategist_sets_cadence_and_cap_in_a_strategy_file_alone(tmp_path):
    # A new strategy in its own YAML file (outside the package), choosing slots, levers,
    # the channels it personalizes and its email cadence and weekly cap.
    from sim.config.preflight import compose_config

    (tmp_path / "strategy").mkdir()
    (tmp_path / "strategy" / "gentle.yaml").write_text(
        "# @package _global_\n"
        "strategy:\n"
        "  name: gentle\n"
        "  slots: [stated, replenish, behavioural]\n"
        "  suppress_within_cycle: true\n"
        "  explained: true\n"
        "  channels: [onsite]\n"
        "campaign:\n"
        "  scheduled: {newsletter: {cadence: 3.5d}}\n"
        "  limits: {email: {cap_per_week: 1}}\n"
    )
    cfg = compose_config([f"hydra.searchpath=[file://{tmp_path}]", "strategy=gentle"])
    assert cfg.strategy.slots == ["stated", "replenish", "behavioural"]
    assert cfg.campaign.scheduled["newsletter"].cadence == "3.5d" and cfg.campaign.limits.email.cap_per_week == 1
    m = (
        Scenario(
            compose_config(
                [f"hydra.searchpath=[file://{tmp_path}]", "strategy=gentle", "population.size=1000", "horizon_days=14"]
            )
        )
        .run()
        .metrics
    )
    assert m["strategy"] == "gentle" and m["email_suppressed_by_cap"] > 0


@pytest.mark.parametrize("pool", [0, 1, 5, 50, 1999, 2000, 2500])
def test_best_sellers_are_the_top_of_a_full_sort_by_sales_then_tie_break(small_config, pool):
    from sim.scenario import Scenario

    firm = Scenario(small_config()).firm
    rng = np.random.default_rng(pool)
    m = firm.sales.shape[0]
    # Random sales (many equal: the tie-break decides), then sales rising and falling along
    # the catalogue (each item beating, or never beating, the list so far).
    cases = [rng.integers(0, rng.integers(1, 30), m) for _ in range(20)] + [np.arange(m), np.arange(m)[::-1]]
    for sales in cases:
        firm.sales[:] = sales
        full = np.argsort(-(firm.sales + firm._tiebreak), kind="stable")[:pool]
        np.testing.assert_array_equal(firm.popular(pool), full)
