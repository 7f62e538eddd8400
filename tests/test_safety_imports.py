"""The import path holds only what the user asked for (failure 2).

A stray module in the working directory never shadows a real one, a ``hydra_plugins/`` folder
there is never loaded, and a module named as a behavior is read before it is imported: a
module that is not a behavior module never runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim.config.preflight import PreflightError, compose_config
from sim.errors import ConfigError
from sim.safety.imports import load_class

TINY = ["population.size=800", "horizon_days=7", "output.journeys=2"]
BIN = Path(sys.executable).parent


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def payload_module(path: Path, marker: Path, body: str = "") -> None:
    path.write_text(f"open({str(marker)!r}, 'w').write('ran')\n{body}")


def test_a_stray_module_in_the_working_directory_never_runs(tmp_path):
    marker = tmp_path / "RAN"
    payload_module(tmp_path / "pyarrow.py", marker)  # the run writes daily.parquet with pyarrow
    proc = run([str(BIN / "prepersona"), *TINY, "output.parquet=true", "hydra.run.dir=a"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "a" / "daily.parquet").stat().st_size > 0 and not marker.exists()
    proc = run([sys.executable, "-m", "sim", *TINY, "output.parquet=true", "hydra.run.dir=b"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "b" / "daily.parquet").stat().st_size > 0 and not marker.exists()


def test_a_hydra_plugins_folder_in_the_working_directory_never_runs(tmp_path):
    marker = tmp_path / "RAN"
    (tmp_path / "hydra_plugins").mkdir()
    payload_module(tmp_path / "hydra_plugins" / "stray_plugin.py", marker)
    proc = run([str(BIN / "prepersona"), "--cfg", "job"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "horizon_days: 365" in proc.stdout and not marker.exists()


def test_a_module_named_as_a_behavior_is_read_not_run_before_it_is_refused(tmp_path):
    marker = tmp_path / "RAN"
    payload_module(tmp_path / "helpers.py", marker, "class Thing:\n    pass\n")
    proc = run(
        [
            str(BIN / "prepersona"),
            *TINY,
            "behavior=word_of_mouth",
            "behaviors.word_of_mouth._target_=helpers.Thing",
            "hydra.run.dir=r",
        ],
        tmp_path,
    )
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("prepersona: error: behaviors.word_of_mouth._target_='helpers.Thing' is not allowed: ")
    assert "it was not imported" in line
    assert not marker.exists() and not (tmp_path / "r").exists()


@pytest.mark.parametrize("target", ["antigravity.Fly", "this.Zen", "os.system", "subprocess.Popen"])
def test_a_library_module_is_never_imported_as_a_behavior(target):
    module = target.rsplit(".", 1)[0]
    was_loaded = module in sys.modules
    with pytest.raises(ConfigError, match="a behavior module: one that imports sim and defines class"):
        load_class("behaviors.x._target_", target)
    assert (module in sys.modules) == was_loaded


def test_a_behavior_module_in_the_search_path_directory_loads(tmp_path, monkeypatch):
    # The module lives next to its YAML file; neither directory joins sys.path.
    monkeypatch.chdir(tmp_path)
    configs = tmp_path / "my_configs"
    (configs / "behavior").mkdir(parents=True)
    (configs / "gentle_nudge.py").write_text(
        textwrap.dedent(
            """
            from sim.behavior import Behavior


            class Nudge(Behavior):
                def __init__(self, strength=0.1, after="trust", replaces=None):
                    super().__init__(after=after, replaces=replaces)
                    self.strength = strength
            """
        )
    )
    (configs / "behavior" / "nudge.yaml").write_text(
        "# @package behaviors.nudge\n_target_: gentle_nudge.Nudge\nstrength: 0.2\n"
    )
    path_before = list(sys.path)
    cfg = compose_config(["hydra.searchpath=[file://my_configs]", "behavior=nudge"])
    assert cfg.behaviors["nudge"]["strength"] == 0.2
    assert sys.modules["gentle_nudge"].__file__ == str(configs / "gentle_nudge.py")
    assert sys.path == path_before
    with pytest.raises(PreflightError, match="gentle_nudge.Missing.* has no attribute 'Missing'|defines class Missing"):
        compose_config(
            ["hydra.searchpath=[file://my_configs]", "behavior=nudge", "behaviors.nudge._target_=gentle_nudge.Missing"]
        )
    del sys.modules["gentle_nudge"]
