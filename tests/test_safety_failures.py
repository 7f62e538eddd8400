"""One line, never a traceback, for every failure a user can cause or meet (failure 10).

A read-only place, a run directory that is a file, ``hydra.launcher.n_jobs=0``: refused before
anything runs.  A full disk: one line, no temporary file left behind.  Ctrl-C and SIGTERM: one
line with the command that finishes the work.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.config.preflight import PreflightError, check_command
from sim.results import write_json_atomic

PREPERSONA = str(Path(sys.executable).parent / "prepersona")
TINY = ["population.size=800", "horizon_days=7", "output.journeys=2", "output.parquet=false"]


def prepersona(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run([PREPERSONA, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def _mount_tmpfs(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return proc.returncode == 0


@pytest.fixture
def readonly_dir(tmp_path):
    """A directory nothing can be written into (a read-only mount for root, else mode 0555)."""
    path = tmp_path / "readonly"
    if os.geteuid() == 0:
        if not _mount_tmpfs(path, "ro,size=64k"):
            pytest.skip("root, but cannot mount a read-only tmpfs here")
        yield path
        subprocess.run(["umount", str(path)], check=True)
    else:
        path.mkdir()
        path.chmod(0o555)
        yield path
        path.chmod(0o755)


@pytest.fixture
def full_disk(tmp_path):
    """A directory on a 96 KiB file system: results of a run do not fit."""
    path = tmp_path / "small"
    if not _mount_tmpfs(path, "size=96k"):
        pytest.skip("needs root to mount a small tmpfs")
    yield path
    subprocess.run(["umount", str(path)], check=True)


def test_a_read_only_place_is_refused_before_anything_runs(readonly_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PreflightError, match=r"hydra.run.dir='readonly/run' is not allowed: the directory cannot be"):
        check_command([*TINY, "hydra.run.dir=readonly/run"])
    with pytest.raises(PreflightError, match=r"hydra.sweep.dir='readonly' is not allowed: the directory cannot be"):
        check_command([*TINY, "seed=0,1", "hydra.sweep.dir=readonly"], multirun=True)


def test_zero_jobs_at_once_and_a_file_as_run_directory_are_one_line(tmp_path):
    proc = prepersona(["-m", *TINY, "seed=0,1", "hydra.launcher.n_jobs=0", "hydra.sweep.dir=s"], tmp_path)
    assert proc.returncode == 2 and not proc.stdout
    assert proc.stderr.strip().splitlines() == [
        "prepersona: error: hydra.launcher.n_jobs=0 is not allowed: a whole number >= 1, or -1 for one job per core"
    ]
    (tmp_path / "taken").write_text("a file\n")
    proc = prepersona([*TINY, "hydra.run.dir=taken"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "prepersona: error: hydra.run.dir='taken' is not allowed: it is a file; give a directory"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_a_failed_atomic_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        write_json_atomic(tmp_path / "metrics.json", {"revenue": 1.0})
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_one_line_and_leaves_no_temporary_file(full_disk, tmp_path):
    args = ["population.size=3000", "horizon_days=30", "output.journeys=2000", "output.parquet=false"]
    proc = prepersona([*args, f"hydra.run.dir={full_disk / 'run'}"], tmp_path)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"prepersona: error: cannot write into {full_disk / 'run'}: No space left on device")
    run = full_disk / "run"
    assert sorted(p.name for p in run.iterdir()) == [".hydra", "app.log", "failure.txt", "manifest.json"]
    assert json.loads((run / "manifest.json").read_text())["status"] == "failed"


def _wait_for_a_running_job(sweep: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for manifest in sweep.glob("*/manifest.json"):
            try:
                if json.loads(manifest.read_text()).get("status") == "running":
                    time.sleep(0.3)  # inside the simulation
                    return
            except ValueError:
                pass
        time.sleep(0.05)
    pytest.fail("no job started in time")


def test_ctrl_c_is_one_line_with_the_command_that_finishes_the_sweep(tmp_path):
    args = [
        "-m",
        "population.size=100000",
        "horizon_days=120",
        "output.journeys=0",
        "output.parquet=false",
        "seed=0,1",
        "hydra.sweep.dir=s",
    ]
    proc = subprocess.Popen(
        [PREPERSONA, *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    _wait_for_a_running_job(tmp_path / "s", proc)
    os.killpg(proc.pid, signal.SIGINT)  # as the terminal does: the command and its workers
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    prefix = "prepersona: interrupted; to finish it, run: "
    assert last == prefix + shlex.join(["prepersona", *args])
    again = shlex.split(last[len(prefix) :])
    done = prepersona(again[1:], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "sweep: 2 of 2 runs complete in" in done.stdout and "it was interrupted" in done.stdout


def test_sigterm_is_one_line_with_the_command_that_finishes_the_run(tmp_path):
    args = ["population.size=300000", "horizon_days=365", "output.journeys=0", "output.parquet=false"]
    proc = subprocess.Popen(
        [PREPERSONA, *args, "hydra.run.dir=r"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        m = tmp_path / "r" / "manifest.json"
        if m.exists() and '"running"' in m.read_text():
            break
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == [
        "prepersona: terminated; to finish it, run: " + shlex.join(["prepersona", *args, "hydra.run.dir=r"])
    ]
    assert not (tmp_path / "r" / "metrics.json").exists()
