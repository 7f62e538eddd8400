"""The ``prepersona`` command as a user runs it: from any directory, results contract, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.metrics import TIMING_METRICS

REQUIRED_METRICS = [
    "customers",
    "horizon_days",
    "seed",
    "strategy",
    "revenue",
    "margin",
    "orders",
    "trust_mean_start",
    "trust_mean_end",
    "trust_p10_end",
    "churned_share",
    "email_sends",
    "email_open_rate",
    "email_click_rate",
    "email_unsubscribe_rate",
    "optout_share_email",
    "persofails",
    "creepy_touches",
    "feel_valued_share",
    "interactions",
    "wall_seconds",
]
SMALL = ["population.size=1500", "horizon_days=14", "output.journeys=10"]


def prepersona(args: list[str], cwd: Path, module: bool = False) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "sim"] if module else [str(Path(sys.executable).parent / "prepersona")]
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run(cmd + args, cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def run_dirs(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob(".hydra"))


def test_a_run_from_another_directory_writes_the_results_contract(tmp_path):
    proc = prepersona([*SMALL, "strategy=retarget_naive", "seed=3"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    (run,) = run_dirs(tmp_path / "outputs")
    metrics = json.loads((run / "metrics.json").read_text())
    assert all(k in metrics for k in REQUIRED_METRICS)
    assert metrics["strategy"] == "retarget_naive" and metrics["seed"] == 3 and metrics["customers"] == 1500
    daily = (run / "daily.csv").read_text().splitlines()
    assert daily[0].startswith("day,") and len(daily) == 1 + 14
    assert (run / "daily.parquet").stat().st_size > 0
    assert len((run / "journeys.jsonl").read_text().splitlines()) == 10
    assert f"results: {run.resolve()}" in proc.stdout or f"results: {run}" in proc.stdout
    assert "retarget_naive on retail: 1,500 customers, 14 days, seed 3" in proc.stdout
    assert f"revenue     {metrics['revenue']:>14,.0f}" in proc.stdout


def test_python_dash_m_sim_is_the_same_command_and_same_seed_same_metrics(tmp_path):
    a = prepersona([*SMALL, "hydra.run.dir=a"], tmp_path)
    b = prepersona([*SMALL, "hydra.run.dir=b"], tmp_path, module=True)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    ma = json.loads((tmp_path / "a" / "metrics.json").read_text())
    mb = json.loads((tmp_path / "b" / "metrics.json").read_text())
    drop = set(TIMING_METRICS)
    assert {k: v for k, v in ma.items() if k not in drop} == {k: v for k, v in mb.items() if k not in drop}


def test_two_runs_never_share_a_directory(tmp_path):
    procs = [
        subprocess.Popen(
            [str(Path(sys.executable).parent / "prepersona"), *SMALL],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    dirs = run_dirs(tmp_path / "outputs")
    assert len(dirs) == 2 and all((d / "metrics.json").exists() for d in dirs)


@pytest.mark.parametrize("bad", ["strategy=bogus", "customer.email_exposure.base_rate=1.5", "threads=0"])
def test_bad_input_stops_with_one_line_and_no_output(tmp_path, bad):
    proc = prepersona([*SMALL, bad], tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("prepersona: error: ")
    assert bad.split("=")[0] in lines[0]
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "multirun").exists()


@pytest.mark.slow
def test_multirun_sweeps_strategies_into_separate_directories(tmp_path):
    proc = prepersona(["-m", *SMALL, "strategy=none,retarget_naive", "hydra.sweep.dir=sweep"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    strategies = sorted(
        json.loads((tmp_path / "sweep" / str(i) / "metrics.json").read_text())["strategy"] for i in range(2)
    )
    assert strategies == ["none", "retarget_naive"]


def test_help_gives_usage_every_group_s_options_and_where_to_look_next(tmp_path, monkeypatch, capsys):
    from sim.app import main
    from sim.config.preflight import GROUPS
    from sim.strategies.named import available_strategies

    (tmp_path / "mine" / "customer").mkdir(parents=True)
    (tmp_path / "mine" / "customer" / "firm.yaml").write_text("defaults:\n  - default\n")
    monkeypatch.chdir(tmp_path)
    for argv, firm in ((["--help"], False), (["hydra.searchpath=[file://mine]", "--help"], True)):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("prepersona: ") and "usage:" in out and "powered by Hydra" not in out
        listed = " ".join(out.split("config groups (GROUP=OPTION):")[1].split("more:")[0].split())
        for group in GROUPS:
            assert f" {group} " in f" {listed} "
        for strategy in available_strategies():
            assert strategy in listed
        assert ("firm" in listed) == firm  # the options of the search path's directories too
        assert "--cfg job" in out and "prepersona-report" in out and "prepersona-calibrate" in out
        assert max(len(line) for line in out.splitlines()) <= 100
        assert not list(tmp_path.glob("outputs")) and not list(tmp_path.glob("multirun"))
