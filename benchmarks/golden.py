"""Fingerprints of whole runs, to check that a change of the code keeps every result to the bit.

    python -m benchmarks.golden --save before.json      # on the build before the change
    python -m benchmarks.golden --compare before.json   # on the build after it

Runs a fixed set of configurations (every shipped strategy, every campaign plan, both
populations, a behavior that splits the response) on 1 and 2 threads and on every vector
path this CPU has, and hashes each run's metrics (without timings and the thread count), daily series, segments
and final per-customer state.  ``--compare`` prints the configurations whose fingerprint
differs and exits 1 when any does.  This is a refactoring tool: a change of the model is
expected to change fingerprints.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

import numpy as np

CONFIGS: dict[str, list[str]] = {
    **{
        f"strategy={s}": [f"strategy={s}"]
        for s in (
            "none",
            "popular",
            "recommend",
            "recommend_explained",
            "recommend_purchase_aware",
            "segment_rules",
            "aggressive",
            "inferred_sensitive",
            "retarget_naive",
            "transparent_consented",
        )
    },
    **{
        f"campaign={c}": ["strategy=recommend_purchase_aware", f"campaign={c}"]
        for c in ("weekly_email", "frequent_email", "retargeting", "omnichannel")
    },
    "population=subscription": ["population=subscription", "campaign=omnichannel"],
    "behavior=word_of_mouth": ["behavior=word_of_mouth", "campaign=omnichannel"],
}
"""Name -> config overrides of each fingerprinted configuration."""

TIMING_KEYS = (
    "threads",
    "sim_seconds",
    "init_seconds",
    "equity_seconds",
    "interactions_per_second",
    "wall_seconds",
    "peak_rss_mib",
    "started",
    "finished",
)


def _simd_modules():
    from sim.core import load_compiled

    mods = []
    for name in ("_stages", "_firm", "_stats", "_book", "_policy", "_bounds"):
        try:
            m = load_compiled(name)
        except ImportError:
            continue
        if hasattr(m, "set_simd"):
            mods.append(m)
    return mods


def _paths() -> list[str]:
    mods = _simd_modules()
    return list(mods[0].simd_paths()) if mods else ["scalar"]


def fingerprint(overrides: list[str], n: int, days: int, threads: int, path: str) -> str:
    """The SHA-256 of one run's outcomes (see the module docstring)."""
    from sim.config.preflight import compose_config
    from sim.scenario import Scenario

    previous = [(m, m.set_simd(path)) for m in _simd_modules()]
    try:
        cfg = compose_config(
            [
                f"population.size={n}",
                f"horizon_days={days}",
                f"threads={threads}",
                "seed=3",
                "output.journeys=5",
                *overrides,
            ]
        )
        scenario = Scenario(cfg)
        result = scenario.run()
    finally:
        for m, p in previous:
            m.set_simd(p)
    h = hashlib.sha256()
    metrics = {k: v for k, v in result.metrics.items() if k not in TIMING_KEYS}
    h.update(json.dumps(metrics, sort_keys=True, default=str).encode())
    h.update(json.dumps(result.daily, sort_keys=True, default=str).encode())
    h.update(json.dumps(result.segments, sort_keys=True, default=str).encode())
    h.update(json.dumps(result.journeys, sort_keys=True, default=str).encode())
    pop = scenario.population
    for name in sorted(pop.arrays):
        h.update(name.encode())
        h.update(np.ascontiguousarray(pop.arrays[name]).tobytes())
    return h.hexdigest()


def fingerprints(n: int, days: int) -> dict[str, str]:
    out = {}
    for name, overrides in CONFIGS.items():
        for threads in (1, 2):
            for path in _paths():
                key = f"{name} threads={threads} simd={path}"
                out[key] = fingerprint(overrides, n, days, threads, path)
                print(f"{key}: {out[key][:16]}", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--save", metavar="FILE")
    p.add_argument("--compare", metavar="FILE")
    p.add_argument("--n", type=lambda s: int(float(s)), default=20_000)
    p.add_argument("--days", type=int, default=60)
    a = p.parse_args(argv)
    prints = fingerprints(a.n, a.days)
    if a.save:
        with open(a.save, "w") as f:
            json.dump({"n": a.n, "days": a.days, "fingerprints": prints}, f, indent=1)
    if a.compare:
        with open(a.compare) as f:
            saved = json.load(f)["fingerprints"]
        differ = [k for k in saved if prints.get(k) != saved[k]]
        for k in differ:
            print(f"differs: {k}")
        print(f"{len(saved) - len(differ)} of {len(saved)} fingerprints identical")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
