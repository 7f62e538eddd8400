"""A config never runs code it was not meant to, and never copies a secret into results.

Failure 1: Hydra settings outside the allow-list (callbacks, logging handlers, a launcher's
``_target_``), from the command line or a config file, are refused before anything runs.
Failure 9: a value that reads the environment (``${oc.env:VAR}``) is refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.config.preflight import PreflightError, check_command, compose_config

TINY = ["population.size=800", "horizon_days=7", "output.journeys=2", "output.parquet=false"]
PREPERSONA = str(Path(sys.executable).parent / "prepersona")


def prepersona(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0", **(env or {})}
    return subprocess.run([PREPERSONA, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def refused(proc: subprocess.CompletedProcess, fragment: str) -> str:
    """The one stderr line of a refusal (exit status 2, nothing on stdout)."""
    assert proc.returncode == 2, proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("prepersona: error: "), proc.stderr
    assert fragment in lines[0], lines[0]
    return lines[0]


def test_a_callback_from_the_command_line_runs_nothing(tmp_path):
    payload = tmp_path / "PAYLOAD"  # open(PAYLOAD, "w") creates it, as it did before the allow-list
    proc = prepersona(
        [
            *TINY,
            "+hydra.callbacks.x._target_=builtins.open",
            f"+hydra.callbacks.x.file={payload}",
            "+hydra.callbacks.x.mode=w",
            "hydra.run.dir=run",
        ],
        tmp_path,
    )
    refused(proc, "hydra.callbacks.x._target_='builtins.open' is not allowed: callbacks run code")
    assert not payload.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_callback_in_an_experiment_file_of_the_search_path_runs_nothing(tmp_path):
    payload = tmp_path / "PAYLOAD"
    exp = tmp_path / "my_configs" / "experiment" / "quick.yaml"
    exp.parent.mkdir(parents=True)
    exp.write_text(
        "# @package _global_\n"
        "hydra:\n  callbacks:\n    quick:\n      _target_: builtins.open\n"
        f"      file: {payload}\n      mode: w\n"
    )
    proc = prepersona([*TINY, "hydra.searchpath=[file://my_configs]", "experiment=quick"], tmp_path)
    line = refused(proc, "hydra.callbacks.quick._target_='builtins.open' is not allowed: callbacks run code")
    assert "experiment/quick.yaml" in line
    assert not payload.exists() and not (tmp_path / "outputs").exists()


def test_a_logging_handler_cannot_overwrite_a_file(tmp_path):
    victim = tmp_path / "notes.txt"
    victim.write_bytes(b"precious\x00bytes\n")
    proc = prepersona([*TINY, f"hydra.job_logging.handlers.file.filename={victim}", "hydra.run.dir=run"], tmp_path)
    refused(proc, "hydra.job_logging.handlers.file.filename=")
    assert victim.read_bytes() == b"precious\x00bytes\n" and not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "override, fragment",
    [
        ("+hydra.callbacks.y._target_=builtins.open", "callbacks run code"),
        ("hydra.launcher._target_=builtins.exec", "a _target_ names code to run"),
        ("hydra/job_logging=disabled", "hydra/job_logging='disabled' is not allowed"),
        ("hydra/hydra_logging=disabled", "hydra/hydra_logging='disabled' is not allowed"),
        ("hydra.hydra_logging.root.level=DEBUG", "logging handlers can open and overwrite any file"),
        ("hydra.output_subdir=/tmp/elsewhere", "outside the run directory"),
        ("+hydra.job.env_set.LD_PRELOAD=/tmp/x.so", "it changes the environment"),
        ("~hydra.callbacks.sweep", "a Hydra setting cannot be removed"),
        ("hydra.job.chdir=true", "hydra.job.chdir='true' is not allowed"),
    ],
)
def test_hydra_settings_outside_the_allow_list_are_refused(override, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PreflightError) as err:
        check_command([*TINY, override])
    assert fragment in str(err.value) and "\n" not in str(err.value)
    assert "allowed: hydra.run.dir, hydra.sweep.dir" in str(err.value)


def test_a_launcher_or_config_file_of_the_search_path_may_not_name_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    launcher = tmp_path / "my_configs" / "hydra" / "launcher" / "mine.yaml"
    launcher.parent.mkdir(parents=True)
    launcher.write_text("_target_: builtins.open\nfile: /tmp/x\n")
    with pytest.raises(PreflightError, match=r"hydra.launcher._target_='builtins.open' is not allowed: a _target_"):
        check_command([*TINY, "hydra.searchpath=[file://my_configs]", "hydra/launcher=mine", "seed=0,1"], multirun=True)
    strategy = tmp_path / "my_configs" / "strategy" / "sneaky.yaml"
    strategy.parent.mkdir(parents=True)
    strategy.write_text("name: sneaky\n_target_: os.system\n")
    with pytest.raises(PreflightError, match=r"strategy._target_='os.system' is not allowed: a config names code only"):
        check_command([*TINY, "hydra.searchpath=[file://my_configs]", "strategy=sneaky"])


def test_the_allowed_hydra_settings_still_work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = check_command(
        [*TINY, "seed=0,1", "hydra/launcher=basic", "hydra.sweep.dir=s", "hydra.sweep.subdir=run_${hydra.job.num}"],
        multirun=True,
    )
    assert plan.subdirs == ["run_0", "run_1"] and plan.at_once == 1
    plan = check_command([*TINY, "seed=0,1", "hydra.launcher.n_jobs=1", "hydra.sweep.dir=s"], multirun=True)
    assert plan.at_once == 1
    assert check_command([*TINY, "hydra.run.dir=r", "hydra.mode=RUN"]).out_dir == "r"


def test_a_secret_from_the_environment_is_never_written(tmp_path):
    secret = "hunter2-correct-horse"
    proc = prepersona(
        [*TINY, "strategy.name=${oc.env:PREPERSONA_TEST_SECRET}"], tmp_path, {"PREPERSONA_TEST_SECRET": secret}
    )
    refused(proc, "strategy.name='${oc.env:PREPERSONA_TEST_SECRET}' is not allowed: a value that does not read")
    assert secret not in proc.stderr + proc.stdout
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("value", ["${oc.env:HOME}", "${env:HOME}", "x-${oc.decode:${oc.env:HOME}}"])
def test_environment_resolvers_are_refused_in_any_value_that_reaches_results(value, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PreflightError, match="a value that does not read the environment"):
        compose_config([f"population.name='{value}'"])
    exp = tmp_path / "my_configs" / "experiment" / "leak.yaml"
    exp.parent.mkdir(parents=True, exist_ok=True)
    exp.write_text(f"# @package _global_\nexperiment:\n  question: '{value}'\n")
    with pytest.raises(PreflightError, match="experiment.question=.* a value that does not read the environment"):
        check_command([*TINY, "hydra.searchpath=[file://my_configs]", "experiment=leak"])
