"""Output directories never lose data and a report never mixes configs (failures 3, 4 and 6).

A run or a sweep writes only into a new or empty directory, or into its own (the same
command: that finishes it).  A directory of files prepersona did not write, or of another
run or sweep, is refused in one line before anything is written; so is a sweep whose jobs
would share a directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.config.preflight import PreflightError, check_command
from sim.report.collect import collect
from sim.safety.outputs import MANIFEST_FILE, check_job_dirs, identity, read_manifest

TINY = ["population.size=800", "horizon_days=7", "output.journeys=2", "output.parquet=false"]
PREPERSONA = str(Path(sys.executable).parent / "prepersona")


def prepersona(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0", **(env or {})}
    return subprocess.run([PREPERSONA, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_run_never_writes_into_a_directory_of_someone_elses_files(tmp_path):
    (tmp_path / "daily.csv").write_text("my own spreadsheet\n")
    (tmp_path / ".hydra").mkdir()
    (tmp_path / ".hydra" / "config.yaml").write_text("mine: true\n")
    before = snapshot(tmp_path)
    for run_dir in (".", str(tmp_path)):
        proc = prepersona([*TINY, f"hydra.run.dir={run_dir}"], tmp_path)
        assert proc.returncode == 2, proc.stderr
        (line,) = proc.stderr.strip().splitlines()
        assert line.startswith(f"prepersona: error: hydra.run.dir='{run_dir}' is not allowed: it holds files ")
        assert "prepersona did not write (.hydra, daily.csv)" in line
        assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("", "an empty path would write into the working directory"),
        ("HOME", "it holds files prepersona did not write (.profile)"),  # the shell's $HOME
        ("notes.txt", "it is a file"),
        ("notes.txt/run", "notes.txt is a file, so the directory cannot be created"),
    ],
)
def test_a_run_directory_that_would_overwrite_is_refused(value, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".profile").write_text("export PATH\n")
    monkeypatch.setenv("HOME", str(home))
    value = str(home) if value == "HOME" else value
    (tmp_path / "notes.txt").write_text("keep\n")
    with pytest.raises(PreflightError) as err:
        check_command([*TINY, f"hydra.run.dir={value}"])
    assert fragment in str(err.value) and str(err.value).startswith("hydra.run.dir=")
    with pytest.raises(PreflightError) as err:
        check_command([*TINY, "seed=0,1", f"hydra.sweep.dir={value}"], multirun=True)
    assert fragment in str(err.value) and str(err.value).startswith("hydra.sweep.dir=")
    assert (home / ".profile").read_text() == "export PATH\n" and (tmp_path / "notes.txt").read_text() == "keep\n"


def test_a_run_directory_of_another_run_is_refused_and_the_same_command_finishes_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = check_command([*TINY, "seed=1", "hydra.run.dir=r"])
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / MANIFEST_FILE).write_text(json.dumps({"kind": "run", "id": plan.ident, "command": plan.command}))
    assert check_command([*TINY, "seed=1", "hydra.run.dir=r"]).ident == plan.ident  # the same run: allowed
    with pytest.raises(PreflightError, match=r"hydra.run.dir='r' is not allowed: it holds another run \(prepersona "):
        check_command([*TINY, "seed=2", "hydra.run.dir=r"])
    with pytest.raises(PreflightError, match=r"it holds a run, not a sweep; use hydra.sweep.dir=r-[0-9a-f]{8} "):
        check_command([*TINY, "seed=1,2", "hydra.sweep.dir=r"], multirun=True)


def test_a_smaller_experiment_is_sent_to_its_own_directory(tmp_path, monkeypatch):
    # The README's two commands: the full experiment, then a smaller one of the same name.
    monkeypatch.chdir(tmp_path)
    full = check_command(["experiment=toilet_seat"])
    assert full.out_dir == "multirun/toilet_seat" and len(full.jobs) == 15
    (tmp_path / full.out_dir).mkdir(parents=True)
    (tmp_path / full.out_dir / MANIFEST_FILE).write_text(
        json.dumps({"kind": "sweep", "id": full.ident, "command": full.command})
    )
    small = ["experiment=toilet_seat", "population.size=20000", "seed=range(2)"]
    with pytest.raises(PreflightError) as err:
        check_command(small)
    msg = str(err.value)
    assert msg.startswith("hydra.sweep.dir='multirun/toilet_seat' is not allowed: it holds another sweep (")
    instead = msg.split("; use hydra.sweep.dir=", 1)[1].split(" ", 1)[0]
    assert instead.startswith("multirun/toilet_seat-")
    plan = check_command([*small, f"hydra.sweep.dir={instead}"])
    assert plan.out_dir == instead and len(plan.jobs) == 3 * 2


def test_sweep_jobs_that_would_share_a_directory_are_refused_before_anything_runs(tmp_path):
    proc = prepersona(
        ["-m", *TINY, "strategy=none,popular", "seed=0,1", "hydra.sweep.subdir=${strategy.name}", "hydra.sweep.dir=s"],
        tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("prepersona: error: hydra.sweep.subdir='${strategy.name}' is not allowed: jobs 0 and 1 ")
    assert f"would both write into {Path('s') / 'none'}" in line
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "subdirs, fragment",
    [
        (["a", "b", "a"], "jobs 0 and 2 would both write into"),
        (["a", "./a"], "jobs 0 and 1 would both write into"),
        (["a", "a/b"], "job 1's directory a/b is inside job 0's a"),
        (["../escape", "b"], "job 0 would write into '../escape'"),
        (["/etc", "b"], "job 0 would write into '/etc'"),
        (["", "b"], "job 0 would write into ''"),
    ],
)
def test_job_directories_must_be_separate_and_inside_the_sweep(subdirs, fragment, tmp_path):
    with pytest.raises(Exception, match=fragment.replace("(", r"\(")):
        check_job_dirs("hydra.sweep.subdir", "x", subdirs, tmp_path / "sweep")


def test_a_sweep_directory_holds_a_manifest_of_what_produced_it(tmp_path):
    proc = prepersona(["-m", *TINY, "strategy=none,popular", "hydra.sweep.dir=s"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    sweep = read_manifest(tmp_path / "s")
    assert sweep["kind"] == "sweep" and sweep["command"].startswith("prepersona -m population.size=800 ")
    assert [j["dir"] for j in sweep["jobs"]] == ["0", "1"]
    assert sweep["jobs"][1]["overrides"][0] == "population.size=800"
    assert sweep["jobs"][1]["overrides"][-1] == "strategy=popular"
    assert sweep["id"] == identity("sweep", "config", [(j["dir"], j["overrides"]) for j in sweep["jobs"]])
    for job in sweep["jobs"]:
        run = read_manifest(tmp_path / "s" / job["dir"])
        assert run["status"] == "complete" and run["overrides"] == job["overrides"]
        assert run["config_hash"] == job["config_hash"]  # the preflight's hash is the job's
        metrics = json.loads((tmp_path / "s" / job["dir"] / "metrics.json").read_text())
        assert metrics["config_hash"] == job["config_hash"]
        assert run["code"]["package"] == sweep["code"]["package"]


def test_the_report_leaves_out_a_run_of_another_config(tmp_path):
    proc = prepersona(["-m", *TINY, "strategy=none", "seed=0,1,2", "hydra.sweep.dir=s"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(collect(tmp_path / "s").runs) == 3
    # Job 2 as an earlier config left it: complete, but not the config the sweep now runs.
    run = tmp_path / "s" / "2" / MANIFEST_FILE
    run.write_text(json.dumps({**json.loads(run.read_text()), "config_hash": "0123456789abcdef"}))
    # ... and a run directory the sweep does not know.
    (tmp_path / "s" / "stray").mkdir()
    for f in (".hydra", "metrics.json", "manifest.json"):
        src = tmp_path / "s" / "0" / f
        (tmp_path / "s" / "stray" / f).mkdir() if src.is_dir() else (tmp_path / "s" / "stray" / f).write_bytes(
            src.read_bytes()
        )
    sweep = collect(tmp_path / "s")
    assert sorted(r.path.name for r in sweep.runs) == ["0", "1"]
    assert sorted(s.split(": ", 1)[1] for s in sweep.stale) == [
        "it ran another config than the sweep's",
        "not a run of this sweep",
    ]
