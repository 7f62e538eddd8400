"""One timed run of a configured scenario (the engine's default model), as JSON.

    python -m benchmarks.scenario --n 1e6 --threads 1 --days 90 --strategy recommend [--campaign omnichannel] --json

Prints the run's ``interactions``, ``seconds`` (simulation only), ``init_seconds``,
``interactions_per_second``, ``peak_rss_mib`` and the headline outcomes.  The run has no
customer-equity tail unless ``--equity`` (then ``equity_seconds`` is the tail's cost).  Extra
config overrides may follow ``--``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys

from sim.config.preflight import compose_config
from sim.scenario import Scenario


def run(
    n: int,
    threads: int,
    days: int,
    strategy: str,
    seed: int,
    extra: list[str],
    campaign: str | None = None,
    equity: bool = False,
) -> dict:
    plan = [f"campaign={campaign}"] if campaign else []
    # The engine's rate is measured on the run alone; the customer-equity tail, which runs
    # after it, only with ``equity`` (its cost is then equity_seconds).
    tail = [] if equity else ["value.tail_days=0"]
    cfg = compose_config(
        [
            f"population.size={n}",
            f"threads={threads}",
            f"horizon_days={days}",
            f"strategy={strategy}",
            *plan,
            f"seed={seed}",
            "output.journeys=0",
            *tail,
            *extra,
        ]
    )
    scenario = Scenario(cfg)
    m = scenario.run().metrics
    return {
        "strategy": strategy,
        "campaign": m["campaign"],
        "n": n,
        "threads": threads,
        "days": days,
        "interactions": m["interactions"],
        "seconds": m["sim_seconds"],
        "init_seconds": m["init_seconds"],
        "interactions_per_second": m["interactions_per_second"],
        "equity_seconds": m["equity_seconds"],
        "revenue": m["revenue"],
        "trust_mean_end": m["trust_mean_end"],
        "persofails": m["persofails"],
        "state_bytes_per_customer": m["state_bytes_per_customer"],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=lambda s: int(float(s)), default=1_000_000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--strategy", default="recommend")
    p.add_argument("--campaign", default=None, help="campaign plan (default: the strategy's own)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--equity", action="store_true", help="also value the customers left (the default tail)")
    a = p.parse_args(argv)
    r = run(a.n, a.threads, a.days, a.strategy, a.seed, extra, a.campaign, a.equity)
    if a.json:
        print(json.dumps(r))
    else:
        print(
            f"{r['strategy']}: {r['interactions'] / 1e6:.1f} M interactions in {r['seconds']:.2f} s "
            f"= {r['interactions_per_second'] / 1e6:.2f} M/s; peak RSS {r['peak_rss_mib']:.0f} MiB"
            + (f"; customer equity {r['equity_seconds']:.2f} s" if a.equity else "")
        )


if __name__ == "__main__":
    main()
