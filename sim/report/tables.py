"""The per-setting statistics of a sweep, and the summary tables written from them.

``runs.csv`` / ``runs.parquet``: one row per complete run (its directory, its setting, its
overrides as one string and one column each, seed, strategy, every text and numeric value of its
metrics).

``strategies.csv`` / ``strategies.parquet``: one row per setting (strategy, or whatever the
sweep varied besides the seed), ranked by the ranking metric (``value`` when the runs report it,
else ``margin``, else ``revenue``), with for each key metric ``M``: ``M_mean``, ``M_low``,
``M_high`` (95% t-interval across seeds), ``M_diff``, ``M_diff_low``, ``M_diff_high`` (paired
difference against the baseline), ``M_welch_low``, ``M_welch_high`` (the unpaired interval of
the same difference), ``M_seeds_needed`` (seeds for 80% power, :mod:`sim.report.planning`) and,
for money, ``M_lift``, ``M_lift_low``, ``M_lift_high`` (the paired difference as a share of the
baseline's mean). See :mod:`sim.report.intervals` for the formulas.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.report.baseline import Baseline
from sim.report.collect import Run, Sweep, override_key
from sim.report.intervals import Interval, mean_interval, paired_difference, welch_difference
from sim.report.planning import seeds_for_power

__all__ = [
    "KEY_METRICS",
    "MONEY",
    "RANK_METRICS",
    "SettingSummary",
    "Summary",
    "summarize",
    "write_tables",
    "runs_rows",
    "strategies_rows",
    "metric_name",
]

KEY_METRICS: dict[str, str] = {
    "value": "value",
    "customer_equity": "customer equity",
    "revenue": "revenue",
    "margin": "margin",
    "orders": "orders",
    "trust_mean_end": "trust at the end (mean)",
    "trust_p10_end": "trust at the end (10th percentile)",
    "churned_share": "churned share",
    "optout_share_email": "email opt-out share",
    "email_unsubscribes": "email unsubscribes",
    "persofails": "persofails",
    "creepy_touches": "creepy touches",
    "feel_valued_share": "share feeling valued",
}
"""Metrics the strategies table and the ranking summarize, with a readable name each. A key a
sweep's metrics do not have is left out; the scalar metrics of behaviors (``behaviors.<name>.<key>``
in metrics.json) follow them."""

MONEY = ("value", "customer_equity", "revenue", "margin")
"""Metrics in currency units: they get a lift (% of the baseline) and the report's currency."""

RANK_METRICS = ("value", "margin", "revenue")
"""The ranking metric is the first of these every run reports: ``value`` (margin plus the value of
the customers kept), else the margin, else revenue."""

BEHAVIOR_PREFIX = "behaviors."
"""Metrics a behavior declares (:meth:`sim.behavior.Behavior.metrics`) are nested under this key."""


def metric_name(metric: str) -> str:
    """A metric's readable name: ``trust at the end (mean)``; ``word_of_mouth: contacts told``."""
    if metric in KEY_METRICS:
        return KEY_METRICS[metric]
    if metric.startswith(BEHAVIOR_PREFIX):
        behavior, _, key = metric[len(BEHAVIOR_PREFIX) :].partition(".")
        return f"{behavior.replace('_', ' ')}: {key.replace('_', ' ')}"
    return metric.replace("_", " ")


@dataclass
class SettingSummary:
    """One setting of a sweep: its runs (sorted by seed) and, per key metric, its statistics.

    ``mean[m]`` is the interval across seeds; ``diff[m]`` the paired difference against the
    baseline and ``welch[m]`` the unpaired one (absent when there is no baseline, or for the
    baseline itself); ``lift[m]`` the paired difference as a share of the baseline's mean (money
    metrics only); ``needed[m]`` the seeds for ``diff[m]`` at 80% power.
    """

    label: str
    overrides: tuple[str, ...]
    runs: list[Run]
    mean: dict[str, Interval] = field(default_factory=dict)
    diff: dict[str, Interval] = field(default_factory=dict)
    welch: dict[str, Interval] = field(default_factory=dict)
    lift: dict[str, Interval] = field(default_factory=dict)
    needed: dict[str, float] = field(default_factory=dict)
    baseline: str | None = None
    is_baseline: bool = False

    @property
    def seeds(self) -> list:
        """The runs' replicates: seeds, or ``(world, seed)`` in a sweep over plausible worlds."""
        return [r.replicate for r in self.runs]

    @property
    def strategy(self) -> str:
        return self.runs[0].strategy

    def values(self, metric: str) -> np.ndarray:
        """float64 (n_seeds,): the metric per run, NaN where a run lacks it."""
        return np.array([float(r.metrics.get(metric, math.nan)) for r in self.runs], dtype=np.float64)

    def run(self, seed: int) -> Run | None:
        """This setting's run with ``seed`` (None when it has none)."""
        return next((r for r in self.runs if r.replicate == seed), None)


@dataclass
class Summary:
    """A sweep's settings, ranked by ``rank_metric`` (highest mean first), and its baseline.

    ``currency`` is ``report.currency`` of the runs' configs ("" when unset).
    """

    sweep: Sweep
    settings: list[SettingSummary]
    metrics: list[str]
    baseline: Baseline
    rank_metric: str
    currency: str = ""

    @property
    def baseline_found(self) -> bool:
        return self.baseline.found

    @property
    def baselines(self) -> list[SettingSummary]:
        """The settings others are compared with, in ranking order."""
        return [s for s in self.settings if s.is_baseline]

    def by_label(self, label: str) -> SettingSummary:
        return next(s for s in self.settings if s.label == label)

    @property
    def seeds(self) -> list:
        """Every replicate of the sweep (seeds, or ``(world, seed)`` pairs), sorted."""
        return sorted({r.replicate for r in self.sweep.runs})


def summarize(sweep: Sweep, baseline: Baseline) -> Summary:
    """Statistics of every setting of ``sweep``, paired against its ``baseline`` (see
    :func:`sim.report.baseline.resolve_baseline`)."""
    labels = sweep.labels()
    groups = sweep.settings()
    present = Counter(k for r in sweep.runs for k in r.metrics)
    metrics = [m for m in KEY_METRICS if m in present]
    metrics += sorted(k for k in present if k.startswith(BEHAVIOR_PREFIX))
    rank_metric = next((m for m in RANK_METRICS if present[m] == len(sweep.runs)), metrics[0] if metrics else "")
    settings = {k: SettingSummary(labels[k], k, runs) for k, runs in groups.items()}
    for s in settings.values():
        s.mean = {m: mean_interval(s.values(m)) for m in metrics}
    for key, s in settings.items():
        base_key = baseline.of.get(key)
        if base_key is None:
            continue
        base = settings[base_key]
        s.baseline = base.label
        s.is_baseline = base is s
        if s.is_baseline:
            continue
        common = sorted(set(s.seeds) & set(base.seeds))
        for m in metrics:
            a = np.array([float(s.run(seed).metrics.get(m, math.nan)) for seed in common])
            b = np.array([float(base.run(seed).metrics.get(m, math.nan)) for seed in common])
            s.diff[m] = paired_difference(a, b)
            s.welch[m] = welch_difference(s.values(m), base.values(m))
            s.needed[m] = seeds_for_power(s.diff[m])
            if m in MONEY:
                s.lift[m] = _lift(s.diff[m], b)
    ranked = sorted(settings.values(), key=lambda s: _rank_key(s, rank_metric))
    return Summary(sweep, ranked, metrics, baseline, rank_metric, _currency(sweep))


def runs_rows(sweep: Sweep) -> list[dict]:
    """One dict per complete run, every row with the same keys (missing values: None)."""
    labels = sweep.labels()
    rows = []
    for run in sweep.runs:
        row = {
            "run_dir": str(run.path.relative_to(sweep.root)) or ".",
            "setting": labels[run.setting],
            "overrides": " ".join(run.overrides),
            "seed": run.seed,
            "strategy": run.strategy,
        }
        row.update({f"override.{override_key(o)}": o.split("=", 1)[1] if "=" in o else "" for o in run.overrides})
        row.update({k: v for k, v in run.info.items() if k not in row})
        row.update(run.metrics)
        rows.append(row)
    return _same_keys(rows)


def strategies_rows(summary: Summary) -> list[dict]:
    """One dict per setting, in ranking order (see the module docstring for the columns)."""
    rows = []
    for rank, s in enumerate(summary.settings, 1):
        row = {
            "rank": rank,
            "setting": s.label,
            "strategy": s.strategy,
            "overrides": " ".join(s.overrides),
            "n_seeds": len(s.runs),
            "seeds": " ".join(map(str, sorted({r.seed for r in s.runs}))),
            "baseline": s.baseline or "",
            "ranked_by": summary.rank_metric,
        }
        for m in summary.metrics:
            i = s.mean[m]
            row.update({f"{m}_mean": i.mean, f"{m}_low": i.low, f"{m}_high": i.high})
            d, w = s.diff.get(m), s.welch.get(m)
            row.update(
                {
                    f"{m}_diff": d.mean if d else None,
                    f"{m}_diff_low": d.low if d else None,
                    f"{m}_diff_high": d.high if d else None,
                    f"{m}_welch_low": w.low if w else None,
                    f"{m}_welch_high": w.high if w else None,
                    f"{m}_seeds_needed": s.needed.get(m),
                }
            )
            if m in MONEY:
                lift = s.lift.get(m)
                row.update(
                    {
                        f"{m}_lift": lift.mean if lift else None,
                        f"{m}_lift_low": lift.low if lift else None,
                        f"{m}_lift_high": lift.high if lift else None,
                    }
                )
        rows.append(row)
    return rows


def write_tables(summary: Summary, out_dir: Path) -> list[Path]:
    """Write runs.csv/.parquet and strategies.csv/.parquet into ``out_dir``; returns their paths."""
    written = []
    for name, rows in (("runs", runs_rows(summary.sweep)), ("strategies", strategies_rows(summary))):
        written += [_write_csv(out_dir / f"{name}.csv", rows), _write_parquet(out_dir / f"{name}.parquet", rows)]
    return written


def _lift(diff: Interval, base_values: np.ndarray) -> Interval:
    """The paired difference as a share of the baseline's mean over the same seeds (NaN when that
    mean is 0). The baseline's mean is taken as fixed: the interval is the difference's, scaled."""
    base = float(np.nanmean(base_values)) if base_values.size else math.nan
    if not base or math.isnan(base):
        return Interval(diff.n, math.nan, math.nan, math.nan)
    return Interval(diff.n, diff.mean / abs(base), diff.low / abs(base), diff.high / abs(base), diff.sd / abs(base))


def _rank_key(s: SettingSummary, metric: str) -> tuple[float, str]:
    """Highest mean of the ranking metric first; a setting without it last; ties by label."""
    value = s.mean[metric].mean if metric in s.mean else math.nan
    return (math.inf if math.isnan(value) else -value, s.label)


def _currency(sweep: Sweep) -> str:
    """``report.currency`` of the runs (the most common value; "" when none sets it)."""
    found = Counter(str(c) for r in sweep.runs if (c := (r.config.get("report") or {}).get("currency")))
    return found.most_common(1)[0][0] if found else ""


def _same_keys(rows: list[dict]) -> list[dict]:
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r))
    return [{k: r.get(k) for k in keys} for r in rows]


def _write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else [])
        w.writeheader()
        w.writerows({k: "" if _missing(v) else v for k, v in r.items()} for r in rows)
    return path


def _write_parquet(path: Path, rows: list[dict]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # A column of ints and NaNs, or of ints and floats, is stored as float64.
    clean = [{k: None if _missing(v) else v for k, v in r.items()} for r in rows]
    pq.write_table(pa.Table.from_pylist(clean), path)
    return path


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))
