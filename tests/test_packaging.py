"""A non-editable install works from any directory (slow: builds a wheel in a fresh venv)."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_a_wheel_install_runs_from_any_directory(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(ROOT)], check=True, timeout=900)
    work = tmp_path / "elsewhere"
    work.mkdir()
    proc = subprocess.run(
        [
            str(env_dir / "bin" / "prepersona"),
            "population.size=1000",
            "horizon_days=7",
            "behavior=word_of_mouth",
            "hydra.run.dir=run",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((work / "run" / "metrics.json").read_text())["customers"] == 1000
    # An experiment and the default launcher of sweeps come with the wheel too.
    sweep = subprocess.run(
        [
            str(env_dir / "bin" / "prepersona"),
            "experiment=toilet_seat",
            "population.size=1000",
            "horizon_days=7",
            "seed=0",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert sweep.returncode == 0, sweep.stderr
    assert "Joblib.Parallel" in sweep.stdout + sweep.stderr
    assert len(list((work / "multirun" / "toilet_seat").glob("*/metrics.json"))) == 3
    # The installed package, not the source tree, was used.
    where = subprocess.run(
        [str(py), "-c", "import sim; print(sim.__file__)"], cwd=work, capture_output=True, text=True, check=True
    ).stdout
    assert str(env_dir) in where and sys.prefix not in where
    # The benchmarks (the reference workload and its compiled kernels) stay in the checkout.
    assert not [p for p in env_dir.rglob("*") if "benchmarks" in p.name], "benchmark files in the installed wheel"


def test_every_source_folder_is_a_package_the_build_ships():
    # setup.py ships find_packages(include=["sim", "sim.*"]): a folder of modules without an
    # __init__.py would silently be left out of a wheel (it still works in the source tree).
    from setuptools import find_packages

    shipped = set(find_packages(str(ROOT), include=["sim", "sim.*"]))
    folders = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "sim").rglob("*.py") if "__pycache__" not in p.parts
    }
    assert folders <= shipped


def test_a_build_ships_the_configs_the_experiments_and_the_stubs(tmp_path):
    # What a wheel would contain (build_py copies packages and their data, compiles nothing).
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    shipped = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.yaml")}
    expected = {f"sim/configs/{p.relative_to(ROOT / 'configs').as_posix()}" for p in (ROOT / "configs").rglob("*.yaml")}
    expected |= {f"sim/experiments/{p.name}" for p in (ROOT / "experiments").glob("*.yaml")}
    expected |= {"sim/calibration/fictional_retailer.yaml"}  # the calibration's example targets
    assert (
        "sim/experiments/strategy_frontier.yaml" in expected and "sim/configs/hydra/launcher/parallel.yaml" in expected
    )
    assert shipped == expected
    # The typed stubs of the compiled core, and nothing of the benchmarks.
    stubs = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pyi")}
    assert stubs == {f"sim/core/{p.name}" for p in (ROOT / "sim" / "core").glob("*.pyi")}
    assert "sim/core/_firm.pyi" in stubs and not (tmp_path / "benchmarks").exists()
    assert (tmp_path / "sim" / "report" / "report.html.j2").is_file()  # the report's page template
    # The search sweeper's plugin class: Hydra instantiates plugins from hydra_plugins only.
    assert (tmp_path / "hydra_plugins" / "prepersona_search" / "__init__.py").is_file()
