"""The benchmark table (``make bench``): ``python -m benchmarks.run``.

Every configuration runs in a fresh process (``python -m benchmarks.refv1 ... --json``),
so imports, allocator state and thread pools never carry over from one measurement to the
next.  Configurations are interleaved (every configuration once, then again) and repeated,
and the table shows medians: on a shared machine a neighbour's burst then spoils one run of
each configuration rather than every run of one.  Ratios come from the same invocation.
Children run with ``OMP_WAIT_POLICY=PASSIVE``, the default ``sim.core`` sets, whatever the
caller's environment says: threads that spin without end make two-thread runs fragile when
another process takes a core.  (Idle threads still poll for a few hundred microseconds before
they sleep; see :data:`sim.core.SPIN_BEFORE_SLEEP`.)

Options: ``--sizes 1e5,1e6``, ``--repeats 3``, ``--pairs 5`` (the default scenario's pairs
with the reference workload), ``--quick`` (N = 1e4, one repeat),
``--seed 0``, ``--json PATH`` (all raw results), ``--only sweep`` (some groups only).

Groups: the reference workload (engine on 1 and 2 threads, NumPy twin), the default
scenario (the full customer model, 1 and 2 threads, each run paired with a run of the
reference workload just before it, and its rate relative to the reference workload's as the
median of the pairs' ratios), every shipped strategy (1 thread, relative to ``none``) and a
sweep of every strategy x 5 seeds for a year through ``prepersona -m`` on all cores (wall
time), and ``thousand``: 1 000 runs of 100 000 customers for a year (every strategy x 100
seeds) against the 15-minute bar, with where its time went (about 15-30 minutes on 2 cores;
``--only`` leaves it out).  Adding a group: write a function ``(options, runner) -> GroupReport``
that runs its configurations through ``runner`` (which handles fresh processes, interleaving
and repeats; ``options.results`` holds the rows of the groups run before it) and append it
to :data:`GROUPS`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sim.safety.outputs import why_unwritable, write_text_atomic

ROOT = Path(__file__).resolve().parent.parent

OUTCOME_KEYS = (
    "revenue",
    "mean_trust",
    "churn_fraction",
    "visits",
    "emails_sent",
    "emails_opened",
    "purchases",
    "interactions",
)
"""The reference workload's outputs (compared across implementations and thread counts)."""

COUNT_KEYS = ("visits", "emails_sent", "emails_opened", "purchases", "interactions")


# --------------------------------------------------------------------------- running children


@dataclass(frozen=True)
class Config:
    """One configuration: a benchmark module run with arguments, labelled for the table."""

    module: str  # e.g. "benchmarks.refv1"
    n: int
    impl: str
    threads: int
    args: tuple[str, ...] = ()  # further command-line arguments

    def command(self, seed: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            self.module,
            "--n",
            str(self.n),
            "--threads",
            str(self.threads),
            "--seed",
            str(seed),
            *self.args,
            "--json",
        ]


@dataclass
class Row:
    """The runs of one configuration and their medians."""

    config: Config
    runs: list[dict] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(r[key] for r in self.runs)

    @property
    def rate(self) -> float:
        """Median interactions per second of simulated work."""
        return statistics.median(run_rate(r) for r in self.runs)


def run_rate(run: dict) -> float:
    """One run's interactions per second of simulated work."""
    return run["interactions"] / run["seconds"]


@dataclass
class GroupReport:
    """What a group prints: a title, one table row per configuration, and free-form notes."""

    title: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    ok: bool = True  # False when a check failed (the exit status becomes 1)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_child(config: Config, seed: int) -> dict:
    """Run one configuration in a fresh process; its JSON result."""
    proc = subprocess.run(config.command(seed), cwd=ROOT, env=child_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(config.command(seed))} failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


class Runner:
    """Runs configurations in fresh processes, interleaved and repeated."""

    def __init__(self, repeats: int, seed: int, log: Callable[[str], None]):
        self.repeats, self.seed, self.log = repeats, seed, log

    def with_repeats(self, repeats: int) -> Runner:
        """A runner like this one with another number of repeats."""
        return Runner(repeats, self.seed, self.log)

    def run(self, configs: list[Config]) -> list[Row]:
        rows = [Row(c) for c in configs]
        total = self.repeats * len(rows)
        for rep in range(self.repeats):
            for k, row in enumerate(rows):
                c = row.config
                result = run_child(c, self.seed)
                row.runs.append(result)
                self.log(
                    f"[{rep * len(rows) + k + 1}/{total}] {c.module} {c.impl} N={c.n:,} "
                    f"threads={c.threads}: {result['seconds']:.2f} s"
                )
        return rows


# --------------------------------------------------------------------------- the reference group


def same_outcomes(a: dict, b: dict) -> bool:
    return all(a[k] == b[k] for k in OUTCOME_KEYS)


def compare(a: dict, b: dict) -> str:
    """How close two runs' outcomes are, in words."""
    if same_outcomes(a, b):
        return "identical"
    counts = [k for k in COUNT_KEYS if a[k] != b[k]]
    rev = abs(a["revenue"] - b["revenue"]) / max(abs(a["revenue"]), 1e-300)
    return (
        f"counts {'identical' if not counts else 'differ in ' + ', '.join(counts)}; "
        f"revenue rel. diff {rev:.1e}; mean trust diff {abs(a['mean_trust'] - b['mean_trust']):.1e}; "
        f"churn fraction diff {abs(a['churn_fraction'] - b['churn_fraction']):.1e}"
    )


def reference_group(options: argparse.Namespace, runner: Runner) -> GroupReport:
    """ref-v1 through the engine (1 and 2 threads) and the NumPy twin, per size."""
    configs = []
    for n in options.sizes:
        configs += [
            Config("benchmarks.refv1", n, "engine", 1, ("--impl", "engine")),
            Config("benchmarks.refv1", n, "engine", 2, ("--impl", "engine")),
            Config("benchmarks.refv1", n, "numpy", 1, ("--impl", "numpy")),
        ]
    rows = runner.run(configs)
    report = GroupReport("reference workload ref-v1 (90 days; interactions = visits + emails sent)", rows)
    by_key = {(r.config.n, r.config.impl, r.config.threads): r for r in rows}
    for n in options.sizes:
        e1, e2, npy = by_key[(n, "engine", 1)], by_key[(n, "engine", 2)], by_key[(n, "numpy", 1)]
        report.notes.append(
            f"N={n:,}: engine 1 thread / numpy = {e1.rate / npy.rate:.1f}x; "
            f"engine 2 threads / 1 thread = {e2.rate / e1.rate:.2f}x"
        )
        first = e1.runs[0]
        threads_same = all(same_outcomes(first, r) for r in e1.runs + e2.runs)
        report.ok &= threads_same
        report.notes.append(
            f"  engine, 1 vs 2 threads and across repeats: "
            f"{'identical' if threads_same else 'DIFFERENT'} "
            f"(revenue, mean trust, churn fraction, counts)"
        )
        report.notes.append(f"  engine vs numpy: {compare(first, npy.runs[0])}")
    return report


SCENARIO_DAYS = 90
SCENARIO_OUTCOMES = ("revenue", "trust_mean_end", "persofails", "interactions")


def scenario_group(options: argparse.Namespace, runner: Runner) -> GroupReport:
    """The engine's default scenario (full customer model, recommend strategy, weekly email),
    each configuration right after the reference workload's of the same size and threads.

    The two run as adjacent pairs in every repeat, and the ratio is the median of the pairs'
    ratios: a shared machine's load drifts over the minutes a table takes, and a pair run
    seconds apart sees the same load, where two groups' medians may not."""
    configs = []
    for n in options.sizes:
        for threads in (1, 2):
            configs += [
                Config("benchmarks.refv1", n, "ref-v1", threads, ("--impl", "engine")),
                Config("benchmarks.scenario", n, "default", threads, ("--days", str(SCENARIO_DAYS))),
            ]
    pairs = runner.with_repeats(options.pairs).run(configs)
    report = GroupReport(
        f"default scenario (retail, recommend, weekly email, {SCENARIO_DAYS} days; "
        "interactions = visits + emails sent), each run right after a run of the reference "
        "workload (ref-v1, engine)",
        pairs,
    )
    rows = [r for r in pairs if r.config.impl == "default"]
    for ref, row in zip(pairs[0::2], pairs[1::2]):
        ratios = [run_rate(d) / run_rate(r) for r, d in zip(ref.runs, row.runs)]
        report.notes.append(
            f"N={row.config.n:,}, {row.config.threads} thread(s): default scenario / "
            f"reference workload = {statistics.median(ratios):.2f} (median of the "
            f"{len(ratios)} pairs: {', '.join(f'{x:.2f}' for x in ratios)}; "
            f"{row.rate / 1e6:.2f} vs {ref.rate / 1e6:.2f} M/s)"
        )
    for n in options.sizes:
        runs = [r for row in rows if row.config.n == n for r in row.runs]
        same = all(all(r[k] == runs[0][k] for k in SCENARIO_OUTCOMES) for r in runs)
        report.ok &= same
        report.notes.append(
            f"N={n:,}: 1 vs 2 threads and across repeats: {'identical' if same else 'DIFFERENT'} "
            f"({', '.join(SCENARIO_OUTCOMES)}); state {runs[0]['state_bytes_per_customer']} "
            f"bytes per customer"
        )
    return report


STRATEGY_DAYS = 30


def strategy_group(options: argparse.Namespace, runner: Runner) -> GroupReport:
    """Every shipped strategy on the default scenario, at the largest size, 1 thread."""
    n = max(options.sizes)
    names = sorted(p.stem for p in (ROOT / "configs" / "strategy").glob("*.yaml"))
    configs = [
        Config("benchmarks.scenario", n, name, 1, ("--days", str(STRATEGY_DAYS), "--strategy", name)) for name in names
    ]
    rows = runner.run(configs)
    report = GroupReport(
        f"strategies (default scenario, {STRATEGY_DAYS} days, 1 thread; interactions/s include slate selection)", rows
    )
    base = next((r for r in rows if r.config.impl == "none"), None)
    if base is not None:
        slowest = min(rows, key=lambda r: r.rate)
        report.notes.append(
            "rate relative to none: " + ", ".join(f"{r.config.impl} {r.rate / base.rate:.2f}" for r in rows)
        )
        report.notes.append(f"slowest: {slowest.config.impl}, {base.rate / slowest.rate:.2f}x slower than none")
    return report


CHANNEL_DAYS = 30


def channels_group(options: argparse.Namespace, runner: Runner) -> GroupReport:
    """Onsite + weekly email against every channel and trigger (omnichannel), largest size."""
    n = max(options.sizes)
    configs = [
        Config(
            "benchmarks.scenario",
            n,
            plan,
            threads,
            ("--days", str(CHANNEL_DAYS), "--strategy", "retarget_naive", "--campaign", plan),
        )
        for plan in ("weekly_email", "omnichannel")
        for threads in (1, 2)
    ]
    rows = runner.run(configs)
    report = GroupReport(
        f"channels (retarget_naive, {CHANNEL_DAYS} days; interactions = visits + emails + "
        "push notifications + ad impressions)",
        rows,
    )
    by = {(r.config.impl, r.config.threads): r for r in rows}
    for threads in (1, 2):
        one, every = by[("weekly_email", threads)], by[("omnichannel", threads)]
        report.notes.append(
            f"{threads} thread(s): omnichannel / onsite + weekly email = "
            f"{every.rate / one.rate:.2f} ({every.rate / 1e6:.2f} vs {one.rate / 1e6:.2f} M/s; "
            f"{every.median('interactions') / one.median('interactions'):.1f}x the interactions)"
        )
    return report


SWEEP_DAYS, SWEEP_SEEDS, SWEEP_LIMIT = 365, 5, 300.0


def sweep_group(options: argparse.Namespace, runner: Runner) -> GroupReport:
    """Every shipped strategy x 5 seeds, one year, at the smallest size, through the joblib launcher."""
    n = min(options.sizes)
    # One sweep is already 50 runs of a year; it is timed once, not repeated.
    once = runner.with_repeats(1)
    rows = once.run(
        [Config("benchmarks.sweep", n, "sweep", 1, ("--days", str(SWEEP_DAYS), "--seeds", str(SWEEP_SEEDS)))]
    )
    r = rows[0].runs[0]
    report = GroupReport(
        f"sweep (prepersona -m 'strategy=glob(*)' seed=range({SWEEP_SEEDS}), {SWEEP_DAYS} days, "
        "all cores through the joblib launcher, 1 thread per job; seconds = wall time of "
        "the whole command)",
        rows,
    )
    report.notes.append(
        f"{r['runs']} runs ({r['strategies']} strategies x {r['seeds']} seeds) in "
        f"{r['seconds']:.0f} s wall ({r['seconds'] / 60:.1f} min), "
        f"{r['sim_seconds_per_run']:.2f} s of simulation per run"
    )
    if n >= 100_000:
        report.ok &= r["seconds"] < SWEEP_LIMIT
        report.notes.append(f"under {SWEEP_LIMIT / 60:.0f} minutes: {'yes' if r['seconds'] < SWEEP_LIMIT else 'NO'}")
    return report


THOUSAND_N, THOUSAND_SEEDS, THOUSAND_LIMIT = 100_000, 100, 900.0


def thousand_group(options: argparse.Namespace, runner: Runner) -> GroupReport:
    """1 000 runs of 100 000 customers for a year (every shipped strategy x 100 seeds) through the
    joblib launcher: the sweep that plausible worlds make common, against its 15-minute bar.
    With ``--quick``, 100 runs of 10 000 customers, and no bar."""
    n, seeds = (10_000, 10) if options.quick else (THOUSAND_N, THOUSAND_SEEDS)
    once = runner.with_repeats(1)
    # The machine's speed right before and after: a shared machine's speed drifts from day to
    # day (2x between days has been seen), and the bar is in minutes, not in work.
    probe = Config("benchmarks.scenario", THOUSAND_N, "default", 1, ("--days", str(SCENARIO_DAYS)))
    before = runner.with_repeats(3).run([probe])[0]
    rows = once.run(
        [Config("benchmarks.sweep", n, f"sweep of {10 * seeds}", 1, ("--days", "365", "--seeds", str(seeds)))]
    )
    after = runner.with_repeats(3).run([probe])[0]
    r = rows[0].runs[0]
    report = GroupReport(
        f"{10 * seeds} runs (prepersona -m 'strategy=glob(*)' seed=range({seeds}), N = {n:,}, "
        "365 days, with the customer-equity tail; seconds = wall time of the whole command)",
        rows,
    )
    per_run = r["runs_seconds"] / max(r["runs"], 1)
    report.notes.append(
        f"{r['runs']} runs in {r['seconds']:.0f} s wall ({r['seconds'] / 60:.1f} min): "
        f"{r['start_seconds']:.0f} s to the first job, {r['runs_seconds']:.0f} s of runs "
        f"({per_run:.2f} s of wall per run on all cores), {r['report_seconds']:.0f} s of report"
    )
    report.notes.append(
        f"per run, on one core: {r['init_seconds']:.2f} s set-up, {r['sim_seconds_per_run']:.2f} s simulation, "
        f"{r['equity_seconds_per_run']:.2f} s customer-equity tail"
    )
    report.notes.append(
        f"machine speed: the default scenario (N = {THOUSAND_N:,}, {SCENARIO_DAYS} days, 1 thread) ran at "
        f"{before.rate / 1e6:.2f} M interactions/s right before the sweep and {after.rate / 1e6:.2f} right after "
        "(medians of 3)"
    )
    if not options.quick:
        ok = r["seconds"] <= THOUSAND_LIMIT
        report.ok &= ok
        report.notes.append(f"within {THOUSAND_LIMIT / 60:.0f} minutes: {'yes' if ok else 'NO'}")
    return report


GROUPS: list[tuple[str, Callable[[argparse.Namespace, Runner], GroupReport]]] = [
    ("reference", reference_group),
    ("scenario", scenario_group),
    ("strategies", strategy_group),
    ("channels", channels_group),
    ("sweep", sweep_group),
    ("thousand", thousand_group),
]
"""(name, function) of every benchmark group, in the order printed."""


# --------------------------------------------------------------------------- output

HEADER = ("N", "impl", "threads", "M inter/s", "seconds", "init s", "peak RSS MiB")


def table(rows: list[Row]) -> list[str]:
    cells = [HEADER] + [
        (
            f"{r.config.n:,}",
            r.config.impl,
            str(r.config.threads),
            f"{r.rate / 1e6:.2f}",
            f"{r.median('seconds'):.3f}",
            f"{r.median('init_seconds'):.3f}",
            f"{r.median('peak_rss_mib'):.0f}",
        )
        for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    left = {1}  # impl is text; the rest are numbers
    return [
        "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
        for line in cells
    ]


def machine() -> dict:
    try:
        from sim.core import openmp_enabled

        openmp = openmp_enabled()
    except ImportError:
        openmp = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "openmp": openmp,
        "omp_wait_policy": "PASSIVE",
    }


def sizes(text: str) -> list[int]:
    from benchmarks.cli import count

    return [count(s) for s in text.split(",") if s.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=sizes, default=[100_000, 1_000_000], help="customers, e.g. 1e5,1e6")
    p.add_argument("--repeats", type=int, default=3, help="fresh runs per configuration (median shown)")
    p.add_argument(
        "--pairs",
        type=int,
        default=5,
        help="pairs of runs (reference workload, then default scenario) per size and thread count "
        "behind the default scenario's ratio (median shown)",
    )
    p.add_argument("--quick", action="store_true", help="N = 1e4 only, one repeat")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="PATH", help="also write every raw result as JSON")
    p.add_argument(
        "--only",
        type=lambda t: t.split(","),
        default=[name for name, _ in GROUPS],
        help=f"groups to run, comma-separated: {', '.join(name for name, _ in GROUPS)}",
    )
    args = p.parse_args(argv)
    unknown = set(args.only) - {name for name, _ in GROUPS}
    if unknown:
        p.error(f"--only: no such group: {', '.join(sorted(unknown))}")
    if args.quick:
        args.sizes, args.repeats, args.pairs = [10_000], 1, 1
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    if args.pairs < 1:
        p.error("--pairs must be >= 1")
    if args.json and Path(args.json).exists() and not _raw_results(Path(args.json)):
        # Checked now, not after the hour the benchmarks take.
        p.error(f"--json={args.json} is not allowed: the file exists and holds no benchmark results; give a new file")
    if args.json:
        parent = Path(args.json).parent
        why = why_unwritable(parent) if parent.is_dir() else "it is not a directory"
        if why:
            p.error(f"--json={args.json} is not allowed: {parent} cannot take the file ({why})")
    return args


def _raw_results(path: Path) -> bool:
    """Whether ``path`` holds the raw results of an earlier run (which may be replaced)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and {"machine", "groups"} <= data.keys()


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    info = machine()
    print(
        f"python {info['python']} on {info['platform']}, {info['cpus']} CPUs, OpenMP "
        f"{'on' if info['openmp'] else 'off' if info['openmp'] is not None else 'unknown'}; "
        f"seed {options.seed}; medians of {options.repeats} fresh run(s) per row",
        flush=True,
    )
    runner = Runner(options.repeats, options.seed, lambda line: print(line, file=sys.stderr, flush=True))
    ok, raw = True, {}
    options.results = {}
    for name, group in GROUPS:
        if name not in options.only:
            continue
        report = group(options, runner)
        options.results[name] = report.rows
        ok &= report.ok
        print(f"\n{report.title}")
        print("\n".join(table(report.rows)))
        print("\n".join(report.notes))
        raw[name] = [{"config": asdict(r.config), "runs": r.runs} for r in report.rows]
    if options.json:
        write_text_atomic(
            options.json,
            json.dumps({"machine": info, "seed": options.seed, "repeats": options.repeats, "groups": raw}, indent=1),
        )
        print(f"\nraw results: {options.json}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
