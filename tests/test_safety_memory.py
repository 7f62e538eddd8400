"""Memory is checked before anything runs (failure 7).

A run whose estimated peak memory exceeds what the machine has is refused in one line naming
the size that would fit; ``memory_check=false`` runs it anyway.  A sweep's size is checked
before its jobs are expanded, so ``seed=range(100000000000)`` costs nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim.config.preflight import PreflightError, check_command, compose_config
from sim.safety.memory import available_bytes, estimate_bytes

PREPERSONA = str(Path(sys.executable).parent / "prepersona")
GIB = 1 << 30


def test_a_population_that_cannot_fit_is_refused_before_it_grows(tmp_path):
    # About 200 GiB: more than any test machine has.
    args = ["population.size=100000000", "catalog.features=64", "catalog.items=10000000", "hydra.run.dir=r"]
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    proc = subprocess.run([PREPERSONA, *args], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("prepersona: error: population.size=100000000 is not allowed: the run needs about ")
    assert re.search(r"GiB are available; (at most about [\d,]+ fit|even 1 does not fit) \(memory_check=false", line)
    assert not (tmp_path / "r").exists()


def test_the_size_named_as_fitting_does_fit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    available = 2 * GIB
    with pytest.raises(PreflightError) as err:
        check_command(["population.size=20000000"], available=available)
    fits = int(re.search(r"at most about ([\d,]+) fit", str(err.value)).group(1).replace(",", ""))
    assert 1_000_000 < fits < 20_000_000
    assert check_command([f"population.size={fits}"], available=available).memory <= available
    # The size is rounded down to three digits (at most 1% below the limit): 2% more does not fit.
    with pytest.raises(PreflightError):
        check_command([f"population.size={int(fits * 1.02)}"], available=available)
    # Deliberately: the check is off, the estimate is still reported.
    plan = check_command(["population.size=20000000", "memory_check=false"], available=available)
    assert plan.memory > available


def test_a_sweep_needs_room_for_the_jobs_it_runs_at_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    one = estimate_bytes(compose_config(["population.size=2000000"]))
    args = ["population.size=2000000", "seed=0,1,2"]
    assert check_command([*args, "hydra.launcher.n_jobs=1"], multirun=True, available=int(1.5 * one)).at_once == 1
    with pytest.raises(PreflightError, match=r"\(2 jobs at once\)"):
        check_command([*args, "hydra.launcher.n_jobs=2"], multirun=True, available=int(1.5 * one))


def test_the_memory_check_does_not_change_the_config_hash(small_config):
    from sim.sweep.resume import config_hash

    assert config_hash(small_config("memory_check=false")) == config_hash(small_config())


def test_a_huge_sweep_is_refused_before_it_is_expanded(tmp_path):
    # Under a 3 GiB address-space limit: expanding 10^11 jobs would fail with MemoryError.
    code = textwrap.dedent(
        """
        import resource, time
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
        from sim.config.preflight import PreflightError, check_command
        start = time.perf_counter()
        try:
            check_command(["seed=range(100000000000)"], multirun=True)
        except PreflightError as exc:
            print(exc)
        print(round(time.perf_counter() - start))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    message, seconds = proc.stdout.strip().splitlines()
    assert message == (
        "seed=range(100000000000) is not allowed: the sweep would have 100,000,000,000 jobs; at most 10,000 are allowed"
    )
    assert int(seconds) < 30


def test_the_available_memory_is_read_from_the_system():
    avail = available_bytes()
    if sys.platform.startswith("linux"):
        assert avail is not None and 0 < avail
    if avail is not None:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        assert avail <= total


@pytest.mark.slow
def test_the_estimate_is_above_a_measured_peak(tmp_path):
    args = ["population.size=600000", "horizon_days=30", "output.journeys=2000", "campaign=omnichannel"]
    # A fresh process runs prepersona, so the children's peak is this run's alone.
    code = textwrap.dedent(
        f"""
        import resource, subprocess
        subprocess.run([{PREPERSONA!r}, *{args!r}, "hydra.run.dir=r", "output.parquet=false"], check=True,
                       capture_output=True)
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    peak = int(proc.stdout.strip())
    estimate = estimate_bytes(compose_config(args))
    assert peak <= estimate <= 2 * peak
