"""Sweeps from the command line: parallel jobs, resuming after a kill, refusing bad input.

Each sweep here runs several jobs through the real command, a few seconds to half a minute:
they are marked slow (``make test-slow``, run by CI with the fast suite)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.metrics import TIMING_METRICS
from sim.sweep.resume import CONFIG_HASH

TINY = ["population.size=1500", "horizon_days=14", "output.journeys=5"]
TIMING = set(TIMING_METRICS)
PREPERSONA = str(Path(sys.executable).parent / "prepersona")


def prepersona(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run([PREPERSONA, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def metrics(run_dir: Path) -> dict:
    return {k: v for k, v in json.loads((run_dir / "metrics.json").read_text()).items() if k not in TIMING}


def assert_same_run(a: Path, b: Path) -> None:
    """Two run directories hold the same results: the metrics (timings aside) and the daily series,
    not only the totals."""
    assert metrics(a) == metrics(b)
    assert (a / "daily.csv").read_text() == (b / "daily.csv").read_text()


@pytest.mark.slow
def test_the_joblib_launcher_gives_the_basic_launchers_results(tmp_path):
    sweep = ["-m", *TINY, "strategy=retarget_naive,transparent_consented", "seed=7"]
    parallel = prepersona([*sweep, "hydra.sweep.dir=joblib"], tmp_path)
    serial = prepersona([*sweep, "hydra/launcher=basic", "hydra.sweep.dir=basic"], tmp_path)
    assert parallel.returncode == 0 and serial.returncode == 0, parallel.stderr + serial.stderr
    assert "Joblib.Parallel(n_jobs=" in parallel.stderr + parallel.stdout
    assert "Joblib" not in serial.stderr + serial.stdout
    for job in ("0", "1"):
        assert_same_run(tmp_path / "joblib" / job, tmp_path / "basic" / job)
    assert metrics(tmp_path / "basic" / "0") != metrics(tmp_path / "basic" / "1")


@pytest.mark.slow
def test_the_submitit_launcher_gives_the_joblib_launchers_results(tmp_path):
    # submitit_local runs each job as a separate process the way submitit_slurm runs it on a
    # cluster node: the same results prove a cluster sweep needs no change to prepersona.
    sweep = ["-m", *TINY, "strategy=none,recommend", "seed=3,4"]
    joblib = prepersona([*sweep, "hydra.sweep.dir=joblib"], tmp_path)
    submitit = prepersona([*sweep, "hydra/launcher=submitit_local", "hydra.sweep.dir=submitit"], tmp_path)
    assert joblib.returncode == 0 and submitit.returncode == 0, joblib.stderr + submitit.stderr
    assert "Submitit 'local' sweep output dir" in submitit.stderr + submitit.stdout
    assert "sweep: 4 of 4 runs complete" in submitit.stdout
    for job in ("0", "1", "2", "3"):
        assert_same_run(tmp_path / "submitit" / job, tmp_path / "joblib" / job)
    assert (tmp_path / "submitit" / "report.html").is_file()


def _complete(sweep: Path) -> list[Path]:
    return sorted(p.parent for p in sweep.glob("*/metrics.json"))


def finished_runs(sweep: Path) -> list[Path]:
    """The runs prepersona counts as finished: their manifest says so (written just after
    metrics.json; a run killed between the two is, rightly, simulated again)."""
    finished = []
    for d in _complete(sweep):
        try:
            status = json.loads((d / "manifest.json").read_text()).get("status")
        except (OSError, ValueError):
            continue
        if status == "complete":
            finished.append(d)
    return finished


def kill_once_finished(args: list[str], cwd: Path, sweep: Path, runs: int) -> list[Path]:
    """Start ``prepersona ARGS`` in ``cwd``, kill -9 its whole process group (the sweeper, the
    launcher and its workers) once ``runs`` runs of ``sweep`` have finished (or after 240 s),
    and return the runs finished by then."""
    proc = subprocess.Popen(
        [PREPERSONA, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 240
    while len(finished_runs(sweep)) < runs and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return finished_runs(sweep)


@pytest.mark.slow
def test_a_killed_sweep_started_again_finishes_without_recomputing_finished_runs(tmp_path):
    args = [
        "-m",
        "population.size=3000",
        "horizon_days=60",
        "output.journeys=0",
        "output.parquet=false",
        "strategy=none,recommend",
        "seed=range(4)",
        "hydra.sweep.dir=sweep",
    ]
    sweep = tmp_path / "sweep"
    finished = {
        d: ((d / "metrics.json").stat().st_ino, (d / "metrics.json").stat().st_mtime_ns)
        for d in kill_once_finished(args, tmp_path, sweep, runs=1)
    }
    assert finished, "no run had finished when the sweep was killed"
    assert len(finished) < 8, "the kill came too late to test resuming"

    again = prepersona(args, tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(_complete(sweep)) == 8
    for d, stamp in finished.items():
        assert ((d / "metrics.json").stat().st_ino, (d / "metrics.json").stat().st_mtime_ns) == stamp
        assert "skipped" in (d / "app.log").read_text().splitlines()[-1]
    out = again.stdout + again.stderr
    assert out.count(": skipped, ") == len(finished)  # one log line per skipped run
    assert "sweep: 8 of 8 runs complete in" in again.stdout
    assert f"; {len(finished)} skipped as complete" in again.stdout


@pytest.mark.slow
def test_a_changed_config_file_in_a_sweep_directory_is_simulated_again(tmp_path):
    # The same command, but a strategy file it uses was edited in between: its runs are stale.
    strategy = tmp_path / "my_configs" / "strategy" / "mine.yaml"
    strategy.parent.mkdir(parents=True)
    strategy.write_text("name: mine\nslots: [behavioural, popular]\n")
    args = ["-m", *TINY, "hydra.searchpath=[file://my_configs]", "strategy=mine", "seed=0,1", "hydra.sweep.dir=s"]
    first = prepersona(args, tmp_path)
    assert first.returncode == 0, first.stderr
    before = json.loads((tmp_path / "s" / "0" / "metrics.json").read_text())[CONFIG_HASH]
    strategy.write_text("name: mine\nslots: [editorial, popular]\n")
    again = prepersona(args, tmp_path)
    assert again.returncode == 0, again.stderr
    assert ": skipped, " not in again.stdout + again.stderr
    assert "2 recomputed (its config changed: 2)" in again.stdout
    assert json.loads((tmp_path / "s" / "0" / "metrics.json").read_text())[CONFIG_HASH] != before


def test_a_different_sweep_is_refused_in_a_sweep_directory_and_told_where_to_go(tmp_path):
    first = prepersona(["-m", *TINY, "strategy=none", "seed=0,1", "hydra.sweep.dir=s"], tmp_path)
    assert first.returncode == 0, first.stderr
    files = {p: p.read_bytes() for p in (tmp_path / "s").rglob("*") if p.is_file()}
    other = ["-m", *TINY, "strategy=none", "seed=0,1", "customer.trust.loss_creepy=0.3"]
    again = prepersona([*other, "hydra.sweep.dir=s"], tmp_path)
    assert again.returncode == 2 and not again.stdout
    (line,) = again.stderr.strip().splitlines()
    assert line.startswith("prepersona: error: hydra.sweep.dir='s' is not allowed: it holds another sweep (")
    instead = line.split("; use ", 1)[1].split(" for this one")[0]
    assert instead.startswith("hydra.sweep.dir=s-") and not (tmp_path / instead.split("=", 1)[1]).exists()
    assert {p: p.read_bytes() for p in (tmp_path / "s").rglob("*") if p.is_file()} == files


@pytest.mark.slow
def test_bad_input_to_a_sweep_directory_removes_nothing(tmp_path):
    first = prepersona(["-m", *TINY, "strategy=none", "hydra.sweep.dir=s"], tmp_path)
    assert first.returncode == 0, first.stderr
    files = {p: p.stat().st_mtime_ns for p in (tmp_path / "s").rglob("*")}
    for bad in (["strategy=nosuch"], ["campaign=glob(nosuch*)"], ["experiment=nosuch"], ["population.sise=3"]):
        proc = prepersona(["-m", *TINY, *bad, "hydra.sweep.dir=s"], tmp_path)
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("prepersona: error: ") and bad[0] in lines[0], proc.stderr
        assert {p: p.stat().st_mtime_ns for p in (tmp_path / "s").rglob("*")} == files


def test_an_unknown_experiment_lists_the_experiments(tmp_path):
    proc = prepersona(["experiment=strategy_frontiers"], tmp_path)
    assert proc.returncode == 2 and not proc.stdout
    assert proc.stderr.strip() == (
        "prepersona: error: experiment=strategy_frontiers is not allowed: no such option; available options: "
        "creepy_vs_transparent, email_cadence, retarget_caps, robust_frontier, strategy_frontier, toilet_seat, "
        "tune_recommend"
    )
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_an_experiment_writes_to_its_own_directory_and_says_how_it_ends(tmp_path):
    proc = prepersona(["experiment=toilet_seat", *TINY, "seed=0", "strategy=none,retarget_naive"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    sweep = tmp_path / "multirun" / "toilet_seat"
    assert [json.loads((d / "metrics.json").read_text())["strategy"] for d in _complete(sweep)] == [
        "none",
        "retarget_naive",
    ]
    assert f"sweep: 2 runs into {sweep}" in proc.stderr
    # The last line is the report's path; the report and its tables are there.
    *_, done, last = proc.stdout.strip().splitlines()
    assert done == f"sweep: 2 of 2 runs complete in {sweep}" and last == f"report: {sweep / 'report.html'}"
    assert (sweep / "report.html").stat().st_size > 10_000 and (sweep / "strategies.csv").exists()
