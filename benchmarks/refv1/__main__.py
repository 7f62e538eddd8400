"""One timed run of the reference workload "ref-v1" (see :mod:`benchmarks.refv1`).

    python -m benchmarks.refv1 --impl engine --n 1e6 --threads 2 --seed 0 --json

``--json`` prints one JSON object with the keys of :data:`benchmarks.refv1.RESULT_KEYS` plus
``peak_rss_mib`` (this process's peak resident memory); without it, a short summary.
``python -m benchmarks.run`` runs this module in fresh processes to build its table.
"""

from __future__ import annotations

import argparse
import json
import sys

from benchmarks.cli import count, peak_rss_mib, positive
from benchmarks.refv1.simulation import IMPLS, run_reference


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.refv1", description=__doc__.splitlines()[0])
    p.add_argument(
        "--impl",
        choices=IMPLS,
        default="engine",
        help="engine: SimPy waves + compiled kernels; numpy: the same waves + NumPy twin",
    )
    p.add_argument("--n", type=count, default=1_000_000, help="customers (1000000 or 1e6)")
    p.add_argument("--threads", type=positive, default=1, help="threads for the compiled kernels")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run_reference(args.n, args.seed, args.threads, args.impl)
    result["peak_rss_mib"] = peak_rss_mib()
    if args.json:
        print(json.dumps(result))
    else:
        rate = result["interactions"] / result["seconds"] / 1e6 if result["seconds"] > 0 else 0.0
        print(
            f"ref-v1, {args.impl}, N={args.n:,}, {args.threads} thread(s), seed {args.seed}: "
            f"{result['interactions'] / 1e6:.2f} M interactions in {result['seconds']:.2f} s "
            f"= {rate:.2f} M/s (world built in {result['init_seconds']:.2f} s); "
            f"peak RSS {result['peak_rss_mib']:.0f} MiB"
        )
        print(
            f"  revenue {result['revenue']:,.2f}, mean trust {result['mean_trust']:.4f}, "
            f"churned {result['churn_fraction']:.2%}, visits {result['visits']:,}, "
            f"emails sent {result['emails_sent']:,} / opened {result['emails_opened']:,}, "
            f"purchases {result['purchases']:,}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
