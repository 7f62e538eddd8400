"""Plausible worlds: the design, the world dimension of a sweep, storage with the runs, bad input."""

from __future__ import annotations

import dataclasses
import json
import subprocess

import numpy as np
import pytest

from sim.config.preflight import PreflightError, check_command, compose_config, sweep_plan
from sim.config.priors import PRIORS
from sim.uncertainty.design import draw_worlds
from sim.uncertainty.priors import default_prior_keys, resolve_priors

PRIORS_2 = "uncertainty.priors=[{key:customer.trust.loss_creepy},{key:customer.visits.browse_items}]"


def _config(*overrides):
    return compose_config(["uncertainty.worlds=16", *overrides])


def test_the_same_seed_gives_the_same_worlds_and_another_seed_others():
    a, b = draw_worlds(_config(PRIORS_2)), draw_worlds(_config(PRIORS_2))
    assert a.keys == ["customer.trust.loss_creepy", "customer.visits.browse_items"]
    assert a.values.shape == (16, 2) and a.values.dtype == np.float64
    np.testing.assert_array_equal(a.values, b.values)
    other = draw_worlds(_config(PRIORS_2, "uncertainty.seed=1"))
    assert not np.any(other.values[:, 0] == a.values[:, 0])
    lhs = draw_worlds(_config(PRIORS_2, "uncertainty.design=lhs"))
    assert not np.any(lhs.values[:, 0] == a.values[:, 0])


@pytest.mark.parametrize("design", ["sobol", "lhs"])
def test_worlds_fill_each_prior(design):
    w = draw_worlds(_config(PRIORS_2, f"uncertainty.design={design}"))
    creepy, browse = w.values[:, 0], w.values[:, 1]
    lo, hi = PRIORS["customer.trust.loss_creepy"].low, PRIORS["customer.trust.loss_creepy"].high
    assert lo <= creepy.min() and creepy.max() <= hi
    # Both designs put one of the 16 worlds in each sixteenth of the log-uniform prior's range.
    slices = np.floor(16 * np.log(creepy / lo) / np.log(hi / lo)).astype(int)
    assert sorted(slices) == list(range(16))
    # An integer parameter is drawn as a whole number within its prior.
    assert np.all(browse == np.rint(browse)) and 2 <= browse.min() and browse.max() <= 32
    assert isinstance(w.world(0)["customer.visits.browse_items"], int)


def test_without_priors_every_assumption_is_uncertain():
    cfg = _config()
    keys = [p.key for p in resolve_priors(cfg)]
    assert keys == list(default_prior_keys()) and len(keys) > 50
    assert "customer.creepiness.scale" in keys  # an assumption
    assert "customer.email_exposure.base_rate" not in keys  # published
    assert all("[]" not in k for k in keys)


def test_declared_distributions_stay_in_their_support():
    cfg = _config(
        "uncertainty.priors=[{key:customer.trust.gain,dist:beta,a:2,b:5,low:0.005,high:0.04},"
        "{key:customer.churn.trust_mid,dist:normal,mean:0.2,sd:0.5},"
        "{key:customer.optout.trust_k,dist:uniform,low:1,high:2}]"
    )
    w = draw_worlds(cfg)
    gain, mid, trust_k = w.values.T
    assert 0.005 <= gain.min() and gain.max() <= 0.04
    assert 0 <= mid.min() and mid.max() <= 1  # truncated to the schema's range [0, 1]
    assert 1 <= trust_k.min() and trust_k.max() <= 2


def test_a_sweep_runs_every_setting_in_every_world_on_the_same_seeds():
    jobs = sweep_plan(["strategy=none,recommend", "seed=range(2)", "uncertainty.worlds=4", PRIORS_2], multirun=True)
    assert len(jobs) == 2 * 2 * 4
    cells = {(j[0], j[1], j[-1]) for j in jobs}
    assert cells == {
        (f"strategy={s}", f"seed={seed}", f"uncertainty.world={k}")
        for s in ("none", "recommend")
        for seed in (0, 1)
        for k in range(4)
    }


def test_the_world_dimension_reaches_hydra(tmp_path):
    plan = check_command(
        ["strategy=none,recommend", "uncertainty.worlds=4", PRIORS_2, f"hydra.sweep.dir={tmp_path / 's'}"],
        multirun=True,
    )
    assert plan.pinned[-1] == "uncertainty.world=range(4)"
    assert [j.task_overrides[-1] for j in plan.jobs] == [f"uncertainty.world={k}" for k in range(4)] * 2
    # Each world is its own config: a sweep resumes world by world.
    assert len({j.config_hash for j in plan.jobs}) == 8


def test_a_run_stores_its_world_and_simulates_it(tmp_path):
    from sim.app import run_config

    small = ["population.size=1000", "horizon_days=20", "value.tail_days=0", "output.journeys=0"]
    cfg = compose_config([*small, "uncertainty.worlds=4", "uncertainty.world=2", PRIORS_2])
    values = draw_worlds(cfg).world(2)
    run_config(cfg, tmp_path / "world", progress=False)
    world = json.loads((tmp_path / "world" / "metrics.json").read_text())
    priors = {p.key: p.describe() for p in draw_worlds(cfg).priors}
    assert world["world"] == {"index": 2, "values": values, "priors": priors}
    # The same run with those values set directly gives the same results.
    plain = compose_config([*small, *(f"{k}={v}" for k, v in values.items())])
    run_config(plain, tmp_path / "plain", progress=False)
    got = json.loads((tmp_path / "plain" / "metrics.json").read_text())
    for key in ("revenue", "orders", "trust_mean_end", "creepy_touches"):
        assert world[key] == got[key]
    # ... and another world other results.
    other = dataclasses.replace(cfg, uncertainty=dataclasses.replace(cfg.uncertainty, world=3))
    run_config(other, tmp_path / "other", progress=False)
    assert json.loads((tmp_path / "other" / "metrics.json").read_text())["orders"] != got["orders"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["uncertainty.worlds=1"], "uncertainty.worlds=1 is not allowed: 0 (no plausible worlds) or at least 2"),
        (
            ["uncertainty.worlds=4", "uncertainty.priors=[{key:customer.trust.gain,dist:gamma,low:0.01,high:0.02}]"],
            "uncertainty.priors[0].dist='gamma' is not allowed: one of uniform, loguniform, beta, normal",
        ),
        (
            ["uncertainty.worlds=4", "uncertainty.priors=[{key:customer.trust.gain,low:0.01,high:2}]"],
            "uncertainty.priors[0].high=2.0 is not allowed: within the allowed range of customer.trust.gain "
            "(>= 0 and <= 1)",
        ),
        (
            ["uncertainty.worlds=4", "uncertainty.priors=[{key:customer.churn.slope,dist:normal,mean:-3,sd:1}]"],
            "uncertainty.priors[0].mean=-3.0 is not allowed: within the allowed range of customer.churn.slope",
        ),
        (
            ["uncertainty.worlds=4", "uncertainty.priors=[{key:strategy.name}]"],
            "uncertainty.priors[0].key='strategy.name' is not allowed: a numeric parameter",
        ),
        (
            ["uncertainty.worlds=4", "uncertainty.priors=[{key:seed,low:0,high:9}]"],
            "uncertainty.priors[0].key='seed' is not allowed: a model parameter",
        ),
        (
            ["uncertainty.worlds=4", "uncertainty.priors=[{key:customer.trust.nosuch,low:0,high:1}]"],
            "uncertainty.priors[0].key='customer.trust.nosuch' is not allowed: a parameter of the config; "
            "'nosuch' is not a key of customer.trust",
        ),
        (
            ["uncertainty.worlds=4", "uncertainty.priors=[{key:customer.trust.gain,dist:loguniform,low:0,high:0.1}]"],
            "uncertainty.priors[0].low=0.0 is not allowed: > 0",
        ),
        # The design's own settings are checked before the worlds are drawn with them.
        (
            ["uncertainty.worlds=4", "uncertainty.design=halton"],
            "uncertainty.design='halton' is not allowed: one of sobol, lhs",
        ),
        # A parameter the prior does not read is a slip, not a no-op.
        (
            [
                "uncertainty.worlds=4",
                "uncertainty.priors=[{key:customer.trust.gain,dist:uniform,low:0.01,high:0.02,sd:3}]",
            ],
            "uncertainty.priors[0].sd=3.0 is not allowed: not a parameter of a uniform prior (it takes low and high)",
        ),
        (
            ["uncertainty.worlds=4", "uncertainty.priors=[{key:customer.trust.gain,mean:0.1}]"],
            "uncertainty.priors[0].mean=0.1 is not allowed: a parameter of a normal prior: give its dist too",
        ),
        # One bound of two, or no bounds for a key with no range to consider: said as such.
        (
            ["uncertainty.worlds=4", "uncertainty.priors=[{key:customer.trust.gain,low:0.01}]"],
            "uncertainty.priors[0].high=None is not allowed: both low and high (a uniform prior), or neither",
        ),
        (
            ["uncertainty.worlds=4", "uncertainty.priors=[{key:horizon_days}]"],
            "uncertainty.priors[0].low=None is not allowed: a prior on horizon_days needs low and high",
        ),
    ],
)
def test_bad_priors_are_refused_in_one_line_before_anything_runs(tmp_path, overrides, message):
    out = tmp_path / "sweep"
    with pytest.raises(PreflightError) as err:
        check_command([*overrides, f"hydra.sweep.dir={out}"], multirun=True)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
    assert not out.exists()


def test_worlds_need_a_sweep_or_a_world(tmp_path):
    with pytest.raises(PreflightError, match="plausible worlds run as a sweep"):
        check_command(["uncertainty.worlds=4", f"hydra.run.dir={tmp_path / 'r'}"])
    with pytest.raises(PreflightError, match=r"uncertainty.world=4 is not allowed: -1 or a world of the design"):
        check_command(["uncertainty.worlds=4", "uncertainty.world=4", f"hydra.run.dir={tmp_path / 'r'}"])


def test_the_command_refuses_bad_priors_with_one_line_and_status_2(tmp_path, capsys):
    from sim.app import main

    with pytest.raises(SystemExit) as exit_:
        main(["-m", "uncertainty.worlds=1", f"hydra.sweep.dir={tmp_path / 's'}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err == "prepersona: error: uncertainty.worlds=1 is not allowed: 0 (no plausible worlds) or at least 2\n"
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
def test_a_sweep_over_worlds_runs_every_world_and_resumes_like_any_sweep(tmp_path):
    import sys
    from pathlib import Path

    from sim.sweep.resume import CONFIG_HASH

    prepersona = str(Path(sys.executable).parent / "prepersona")
    args = [
        "-m",
        "population.size=1500",
        "horizon_days=14",
        "value.tail_days=0",
        "strategy=none,recommend",
        "uncertainty.worlds=2",
        "uncertainty.priors=[{key:customer.trust.loss_creepy},{key:customer.creepiness.scale}]",
        "hydra.sweep.dir=s",
    ]

    def run():
        return subprocess.run([prepersona, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)

    first = run()
    assert first.returncode == 0, first.stderr
    runs = sorted((tmp_path / "s").glob("*/metrics.json"))
    assert len(runs) == 4
    stored = [json.loads(p.read_text()) for p in runs]
    worlds = draw_worlds(compose_config([a for a in args[1:-1] if not a.startswith("strategy=")]))
    for m in stored:
        assert m["world"]["values"] == worlds.world(m["world"]["index"])
        assert m["world"]["priors"] == {p.key: p.describe() for p in worlds.priors}
    assert sorted((m["strategy"], m["world"]["index"]) for m in stored) == [
        ("none", 0),
        ("none", 1),
        ("recommend", 0),
        ("recommend", 1),
    ]
    assert (tmp_path / "s" / "robust.csv").is_file() and (tmp_path / "s" / "worlds.csv").is_file()
    # "What was run" names the uncertain parameters, their priors and the design.
    page = (tmp_path / "s" / "report.html").read_text()
    uncertain = page[page.index("uncertain parameters</dt>") :].split("</dd>")[0]
    assert "2, drawn from their priors by a scrambled Sobol design (uncertainty.seed 0)" in uncertain
    for p in worlds.priors:
        assert f"{p.key} {p.describe()}" in uncertain
    again = run()
    assert again.returncode == 0, again.stderr
    assert "4 skipped as complete" in again.stdout + again.stderr
    assert [json.loads(p.read_text())[CONFIG_HASH] for p in runs] == [m[CONFIG_HASH] for m in stored]


def test_a_world_that_breaks_a_rule_is_refused_before_anything_runs(tmp_path):
    # One segment's share drawn alone no longer sums to 1 with the others.
    bad = "uncertainty.priors=[{key:population.segments.0.share,low:0.1,high:0.7}]"
    with pytest.raises(PreflightError) as err:
        check_command(["uncertainty.worlds=4", bad, f"hydra.sweep.dir={tmp_path / 's'}"], multirun=True)
    text = str(err.value)
    assert text.startswith("population.segments[].share=") and "\n" not in text
    assert text.endswith("is not allowed: shares that sum to 1 (in world 0 of the uncertainty design)")


def test_the_design_itself_is_not_swept(tmp_path):
    with pytest.raises(PreflightError) as err:
        check_command(["uncertainty.worlds=4,8", f"hydra.sweep.dir={tmp_path / 's'}"], multirun=True)
    assert str(err.value).startswith("uncertainty.worlds=4,8 is not allowed: the world design is one per sweep")
    # Some worlds of a design may be swept: the world dimension is then the command line's.
    jobs = sweep_plan(["strategy=none,recommend", "uncertainty.worlds=8", "uncertainty.world=1,5"], multirun=True)
    assert [j[-1] for j in jobs] == ["uncertainty.world=1", "uncertainty.world=5"] * 2


def test_a_sobol_design_of_a_number_of_worlds_not_a_power_of_2_gets_a_note(tmp_path):
    # Balanced (each of K equal slices of a prior holds one world) only at powers of 2: said,
    # not refused, before the runs start.
    def notes(*overrides):
        one = "uncertainty.priors=[{key:customer.trust.gain}]"  # one prior: twelve worlds checked fast
        return check_command([*overrides, one, f"hydra.sweep.dir={tmp_path / 's'}"], multirun=True).notes

    (note,) = notes("uncertainty.worlds=12")
    assert note.startswith("uncertainty.worlds=12 is not a power of 2") and "8 or 16 keep it balanced" in note
    assert notes("uncertainty.worlds=16") == []
    assert notes("uncertainty.worlds=12", "uncertainty.design=lhs") == []


def test_the_command_prints_the_note_before_the_runs(tmp_path, monkeypatch, capsys):
    from sim.app import _prepare

    monkeypatch.chdir(tmp_path)
    plan = _prepare(
        ["-m", "uncertainty.worlds=3", "uncertainty.priors=[{key:customer.trust.gain}]", "hydra.sweep.dir=s"]
    )
    assert len(plan.jobs) == 3
    assert "prepersona: note: uncertainty.worlds=3 is not a power of 2" in capsys.readouterr().err
