"""Resume is honest (failure 5): a run counts as complete only for the same config and the same
code, the package's and every user module's it loaded; anything else is recomputed, and the
sweep says how many and why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sim.safety.fingerprint import package_fingerprint
from sim.safety.outputs import read_manifest, write_manifest
from sim.sweep.resume import run_status

TINY = ["population.size=800", "horizon_days=10", "output.journeys=2", "output.parquet=false"]
PREPERSONA = str(Path(sys.executable).parent / "prepersona")

BEHAVIOR = '''
import numpy as np
from sim.behavior import Behavior


class Doubt(Behavior):
    """Every day, active customers keep this share of their trust."""

    def on_day(self, ctx):
        ctx.pop.trust[:] = (ctx.pop.trust * np.float32(KEEP)).astype(np.float32)
'''


def prepersona(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run([PREPERSONA, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def trust_end(run_dir: Path) -> float:
    return json.loads((run_dir / "metrics.json").read_text())["trust_mean_end"]


def test_an_edited_behavior_or_another_build_is_recomputed_not_skipped(tmp_path):
    configs = tmp_path / "my_configs"
    (configs / "behavior").mkdir(parents=True)
    module = configs / "doubt.py"
    module.write_text(BEHAVIOR.replace("KEEP", "1.0"))
    (configs / "behavior" / "doubt.yaml").write_text("# @package behaviors.doubt\n_target_: doubt.Doubt\n")
    args = ["-m", *TINY, "hydra.searchpath=[file://my_configs]", "behavior=doubt", "seed=0,1", "hydra.sweep.dir=s"]
    first = prepersona(args, tmp_path)
    assert first.returncode == 0, first.stderr
    before = trust_end(tmp_path / "s" / "0")
    manifest = read_manifest(tmp_path / "s" / "0")
    assert manifest["code"]["user_modules"]["doubt"]["path"] == str(module)

    module.write_text(BEHAVIOR.replace("KEEP", "0.95"))  # trust now erodes every day
    again = prepersona(args, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "sweep: 2 of 2 runs complete in" in again.stdout
    assert "; 2 recomputed (module doubt changed: 2)" in again.stdout
    assert trust_end(tmp_path / "s" / "0") < before - 0.1

    # Job 1 as another build of prepersona left it: recomputed; job 0 is current: skipped.
    run = tmp_path / "s" / "1"
    write_manifest(run, {**read_manifest(run), "code": {"package": "0.0.9+0123456789abcdef", "user_modules": {}}})
    third = prepersona(args, tmp_path)
    assert third.returncode == 0, third.stderr
    assert "; 1 skipped as complete, 1 recomputed (prepersona's code changed: 1)" in third.stdout
    assert read_manifest(run)["code"]["package"] == package_fingerprint()


def _complete_run(d: Path, digest: str, package: str, modules: dict | None = None) -> None:
    d.mkdir(parents=True, exist_ok=True)
    (d / "metrics.json").write_text(json.dumps({"config_hash": digest, "revenue": 1.0}))
    write_manifest(
        d,
        {
            "kind": "run",
            "config_hash": digest,
            "status": "complete",
            "code": {"package": package, "user_modules": modules or {}},
        },
    )


def test_run_status_says_why_a_run_is_simulated_again(tmp_path):
    _complete_run(tmp_path / "ok", "abc", "1+x")
    assert run_status(tmp_path / "ok", "abc", "1+x") == ({"config_hash": "abc", "revenue": 1.0}, None)
    assert run_status(tmp_path / "ok", "xyz", "1+x") == (None, "its config changed")
    assert run_status(tmp_path / "ok", "abc", "2+y") == (None, "prepersona's code changed")
    assert run_status(tmp_path / "fresh", "abc", "1+x") == (None, None)
    helper = tmp_path / "helper.py"
    helper.write_text("X = 1\n")
    from sim.safety.fingerprint import file_digest

    _complete_run(tmp_path / "mod", "abc", "1+x", {"helper": {"path": str(helper), "sha256": file_digest(helper)}})
    assert run_status(tmp_path / "mod", "abc", "1+x")[1] is None
    helper.write_text("X = 2\n")
    assert run_status(tmp_path / "mod", "abc", "1+x") == (None, "module helper changed")
    # A metrics.json without a manifest (an older prepersona): not trusted as complete.
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "metrics.json").write_text(json.dumps({"config_hash": "abc"}))
    assert run_status(tmp_path / "old", "abc", "1+x")[1].startswith("no manifest says it completed")
    # A run that was under way when it was killed.
    write_manifest(tmp_path / "killed", {"kind": "run", "status": "running"})
    assert run_status(tmp_path / "killed", "abc", "1+x") == (None, "it was interrupted")
