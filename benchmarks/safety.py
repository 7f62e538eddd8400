"""What the safety checks cost: per run, and for a 10 000-job preflight, as JSON.

    python -m benchmarks.safety            # both measurements
    python -m benchmarks.safety --jobs 2000

**Per run** (``per_run_ms``): each step the safety work adds to a default run (100 000
customers, a year), timed in a fresh process: the code fingerprint (``code_fingerprint``:
kept from an earlier command while the package's files are unchanged; ``code_fingerprint_cold``
hashes them, as after an update), the output-directory and memory checks, the allow-list
checks of every config file, override and the composed config, the manifests (written before
the run, when it starts and when it completes; read to decide whether it is complete), the
finiteness check of its results, and the user-module fingerprints.  ``total_ms`` is their sum
with the kept fingerprint, ``total_cold_ms`` with the cold one.

**Preflight** (``preflight``): ``check_command`` of a sweep of every shipped strategy x
``jobs / 10`` seeds (10 000 jobs by default), wall seconds, and how many jobs the fast path
decided; ``hydra_per_job_s`` is the cost of composing one job through Hydra (the median of a
few), the way every job was checked before, and ``hydra_estimate_s`` that cost times the jobs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time

PER_RUN = r"""
import json, os, statistics, sys, tempfile, time
from pathlib import Path
REPEAT = 5
t = {}
def timed(name, f, *a, **k):
    # The median of REPEAT calls (the machine may be busy with other work).
    runs = []
    for _ in range(REPEAT):
        s = time.perf_counter(); out = f(*a, **k); runs.append(time.perf_counter() - s)
    t[name] = statistics.median(runs) * 1e3
    return out

import sim
import sim.safety.fingerprint as fp
from sim.safety.fingerprint import package_fingerprint, module_fingerprints
from sim.safety.imports import secure_import_path, user_modules
from sim.safety import outputs
from sim.safety.memory import check_memory
from sim.sweep.resume import run_status

timed("import_path", secure_import_path)
def fingerprint(cold):
    package_fingerprint.cache_clear()
    os.environ.pop(fp.ENV_VAR, None)
    if cold:  # as after an update of the package: nothing kept
        (Path(sim.__file__).parent / "__pycache__" / fp.CACHE_FILE).unlink(missing_ok=True)
    return package_fingerprint()
timed("code_fingerprint_cold", fingerprint, True)
package = timed("code_fingerprint", fingerprint, False)

# The allow-list checks: the time spent in them while one config is composed.
from sim.config import preflight as pf
from sim.safety import hydra_keys
spent = [0.0]
def timing(f):
    def wrapped(*a, **k):
        s = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            spent[0] += time.perf_counter() - s
    return wrapped
hydra_keys.check_config_file = timing(hydra_keys.check_config_file)
hydra_keys.check_composed = timing(hydra_keys.check_composed)
hydra_keys.check_override = timing(hydra_keys.check_override)
per_compose = []
for _ in range(3):
    spent[0] = 0.0
    cfg = pf.compose_config(["population.size=100000", "horizon_days=365"])
    per_compose.append(spent[0])
t["config_allow_list"] = statistics.median(per_compose) * 1e3

with tempfile.TemporaryDirectory() as tmp:
    run = Path(tmp) / "run"
    ident = outputs.identity(outputs.RUN, "config", [(None, ["seed=0"])])
    timed("output_dir_check", outputs.check_output_dir, "hydra.run.dir", str(run), outputs.RUN, ident)
    timed("memory_check", check_memory, cfg, 1)
    data = {"kind": "run", "id": ident, "overrides": ["seed=0"], "config_hash": "x", "status": "started",
            "code": {"package": package}}
    def manifests():
        outputs.write_manifest(run, data)
        run_status(run, "x", package)
        outputs.write_manifest(run, {**data, "status": "running"})
        outputs.update_manifest(run, status="complete", code={"package": package, "user_modules": {}})
    timed("manifests", manifests)

    from sim.scenario import Scenario
    result = Scenario(cfg).run()
    from sim.safety.finite import check_finite
    def finite():
        # json.dumps(..., allow_nan=False) of the journeys costs what json.dumps costs: not counted.
        check_finite(result.metrics, "metrics.json"); check_finite(result.daily, "daily.csv")
        check_finite(result.segments, "segments.csv")
    timed("finite_results", finite)
timed("user_modules", lambda: module_fingerprints(user_modules()))
print(json.dumps(t))
"""


def per_run() -> dict:
    proc = subprocess.run([sys.executable, "-c", PER_RUN], capture_output=True, text=True, check=True)
    steps = json.loads(proc.stdout.strip().splitlines()[-1])
    cold = steps.pop("code_fingerprint_cold")
    total = sum(steps.values())
    return {
        "per_run_ms": {k: round(v, 2) for k, v in {**steps, "code_fingerprint_cold": cold}.items()},
        "total_ms": round(total, 1),
        "total_cold_ms": round(total - steps["code_fingerprint"] + cold, 1),
    }


def preflight(jobs: int) -> dict:
    from sim.config import compose
    from sim.config import preflight as pf

    seeds = max(1, jobs // 10)
    overrides = ["strategy=glob(*)", f"seed=range({seeds})"]
    with tempfile.TemporaryDirectory() as tmp:
        import os

        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            start = time.perf_counter()
            plan = pf.check_command(overrides, multirun=True)
            seconds = time.perf_counter() - start
        finally:
            os.chdir(cwd)
    # One job composed through Hydra, the way every job was checked before.
    per_job = []
    with compose.hydra_context():
        for seed in range(5):
            start = time.perf_counter()
            compose.compose_one("config", ["strategy=recommend", f"seed={seed}"])
            per_job.append(time.perf_counter() - start)
    hydra = statistics.median(per_job)
    return {
        "command": "prepersona -m " + " ".join(overrides),
        "jobs": len(plan.jobs),
        "seconds": round(seconds, 2),
        "hydra_per_job_s": round(hydra, 3),
        "hydra_estimate_s": round(hydra * len(plan.jobs), 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs of the preflight sweep (default 10000)")
    args = parser.parse_args(argv)
    print(json.dumps({**per_run(), "preflight": preflight(args.jobs)}, indent=1))


if __name__ == "__main__":
    main()
