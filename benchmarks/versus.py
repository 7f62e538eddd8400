"""The default scenario on this build and on another checkout, side by side.

    python -m benchmarks.versus ../other-checkout [--n 1e6] [--days 90] [--threads 1 2] [--pairs 7]

Each pair runs the scenario (``benchmarks.scenario``) once on the other checkout's build and
once on this one, in alternating order, in fresh processes, so both see the same machine
load; it prints each build's median seconds and the median of the pairs' ratios (this build's
rate over the other's: above 1 means this build is faster).  The other checkout must have its
own ``.venv`` with its core built (``make install`` there).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def run_once(checkout: Path, n: int, threads: int, days: int) -> float:
    """Simulated seconds of one default-scenario run of ``checkout``'s build."""
    python = checkout / ".venv" / "bin" / "python"
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    out = subprocess.run(
        [str(python), "-m", "benchmarks.scenario", "--n", str(n), "--threads", str(threads), "--days", str(days),
         "--json"],
        cwd=checkout, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("other", type=Path, help="the other checkout (with its .venv built)")
    p.add_argument("--n", type=lambda s: int(float(s)), default=1_000_000)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--pairs", type=int, default=7)
    a = p.parse_args(argv)
    other = a.other.resolve()
    if not (other / ".venv" / "bin" / "python").exists():
        print(f"versus: {other} has no .venv; run `make install` there first", file=sys.stderr)
        return 2
    for threads in a.threads:
        mine, theirs, ratios = [], [], []
        for i in range(a.pairs):
            order = (other, HERE) if i % 2 == 0 else (HERE, other)
            times = {checkout: run_once(checkout, a.n, threads, a.days) for checkout in order}
            theirs.append(times[other])
            mine.append(times[HERE])
            ratios.append(times[other] / times[HERE])
        print(
            f"threads={threads}: this build {statistics.median(mine):.3f} s, other {statistics.median(theirs):.3f} s "
            f"(medians of {a.pairs}); rate ratio this/other {statistics.median(ratios):.3f} "
            f"(pairs {min(ratios):.3f}-{max(ratios):.3f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
