"""One timed sweep through the ``prepersona`` command, as JSON: every shipped strategy x seeds.

    python -m benchmarks.sweep --n 1e5 --days 365 --seeds 5 --json

Runs ``prepersona -m 'strategy=glob(*)' seed=range(...)`` in a fresh process, through the
default launcher (joblib, as many jobs at once as cores with ``--threads`` threads each), into
a temporary sweep directory, and prints the sweep's wall time (``seconds``: everything from
the command's start to its end, set-up of every job included), the number of runs, the total
``interactions`` of all runs and the peak memory of the largest job; and where the time went:
``start_seconds`` (from the command's start to the first job's start: imports, the preflight,
launching the workers), ``runs_seconds`` (from then to the last run's ``metrics.json``) and
``report_seconds`` (from then to the report), with the runs' mean ``init_seconds``,
``sim_seconds_per_run`` and ``equity_seconds_per_run`` (the customer-equity tail).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREPERSONA = [sys.executable, "-m", "sim"]


def run(n: int, threads: int, days: int, seeds: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="prepersona-sweep-") as tmp:
        cmd = [
            *PREPERSONA,
            "-m",
            "strategy=glob(*)",
            f"seed=range({seed},{seed + seeds})",
            f"population.size={n}",
            f"horizon_days={days}",
            f"threads={threads}",
            "output.progress=off",
            f"hydra.sweep.dir={tmp}/sweep",
        ]
        started = time.time()
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
        sweep = Path(tmp, "sweep")
        metrics = sorted(sweep.glob("*/metrics.json"))
        runs = [json.loads(p.read_text()) for p in metrics]
        # Phases from the files' times: a job's .hydra directory is its first write.
        first_job = min(os.path.getmtime(p) for p in sweep.glob("*/.hydra"))
        last_run = max(os.path.getmtime(p) for p in metrics)
        report = os.path.getmtime(sweep / "report.html")
    return {
        "n": n,
        "threads": threads,
        "days": days,
        "runs": len(runs),
        "strategies": len({r["strategy"] for r in runs}),
        "seeds": seeds,
        "interactions": sum(r["interactions"] for r in runs),
        "seconds": seconds,
        "init_seconds": sum(r["init_seconds"] for r in runs) / max(len(runs), 1),
        "sim_seconds_per_run": sum(r["sim_seconds"] for r in runs) / max(len(runs), 1),
        "equity_seconds_per_run": sum(r["equity_seconds"] for r in runs) / max(len(runs), 1),
        "start_seconds": first_job - started,
        "runs_seconds": last_run - first_job,
        "report_seconds": report - last_run,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=lambda s: int(float(s)), default=100_000)
    p.add_argument("--threads", type=int, default=1, help="threads of each job's compiled core")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0, help="first seed")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    r = run(a.n, a.threads, a.days, a.seeds, a.seed)
    if a.json:
        print(json.dumps(r))
    else:
        print(
            f"{r['runs']} runs ({r['strategies']} strategies x {r['seeds']} seeds, N={r['n']:,}, "
            f"{r['days']} days) in {r['seconds']:.1f} s wall; {r['sim_seconds_per_run']:.2f} s of "
            f"simulation per run"
        )


if __name__ == "__main__":
    main()
