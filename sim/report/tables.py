"""The per-setting statistics of a sweep, and the two summary tables written from them.

``runs.csv`` / ``runs.parquet``: one row per complete run (its directory, its overrides as one
string and one column each, seed, strategy, every text and numeric value of its metrics).

``strategies.csv`` / ``strategies.parquet``: one row per setting (strategy, or whatever the
sweep varied besides the seed), with for each key metric ``M``: ``M_mean``, ``M_low``,
``M_high`` (95% t-interval across seeds), ``M_diff``, ``M_diff_low``, ``M_diff_high`` (paired
difference against the baseline), ``M_welch_low``, ``M_welch_high`` (the unpaired interval of
the same difference) and ``M_seeds_needed``. See :mod:`sim.report.intervals` for the formulas.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.report.collect import Run, Sweep, override_key
from sim.report.intervals import Interval, mean_interval, paired_difference, seeds_needed, welch_difference

__all__ = ["KEY_METRICS", "SettingSummary", "Summary", "summarize", "write_tables", "runs_rows", "strategies_rows"]

KEY_METRICS: dict[str, str] = {
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
sweep's metrics do not have is left out."""


@dataclass
class SettingSummary:
    """One setting of a sweep: its runs (sorted by seed) and, per key metric, its statistics.

    ``mean[m]`` is the interval across seeds; ``diff[m]`` the paired difference against the
    baseline and ``welch[m]`` the unpaired one (absent when there is no baseline, or for the
    baseline itself); ``needed[m]`` the seeds-needed estimate for ``diff[m]``.
    """

    label: str
    overrides: tuple[str, ...]
    runs: list[Run]
    mean: dict[str, Interval] = field(default_factory=dict)
    diff: dict[str, Interval] = field(default_factory=dict)
    welch: dict[str, Interval] = field(default_factory=dict)
    needed: dict[str, float] = field(default_factory=dict)
    baseline: str | None = None
    is_baseline: bool = False

    @property
    def seeds(self) -> list[int]:
        return [r.seed for r in self.runs]

    @property
    def strategy(self) -> str:
        return self.runs[0].strategy

    def values(self, metric: str) -> np.ndarray:
        """float64 (n_seeds,): the metric per run, NaN where a run lacks it."""
        return np.array([float(r.metrics.get(metric, math.nan)) for r in self.runs], dtype=np.float64)


@dataclass
class Summary:
    """A sweep's settings, ranked by mean revenue (highest first), and its baseline."""

    sweep: Sweep
    settings: list[SettingSummary]
    metrics: list[str]
    baseline: str
    baseline_found: bool


def summarize(sweep: Sweep, baseline: str = "none") -> Summary:
    """Statistics of every setting of ``sweep``, paired against ``baseline``.

    ``baseline`` names a setting by its label, or a strategy: then each setting is compared with
    the baseline-strategy setting that shares its other overrides (or with the only one there is).
    """
    labels = sweep.labels()
    groups = sweep.settings()
    present = {k for r in sweep.runs for k in r.metrics}
    metrics = [m for m in KEY_METRICS if m in present]
    settings = [SettingSummary(labels[k], k, runs) for k, runs in groups.items()]
    for s in settings:
        s.mean = {m: mean_interval(s.values(m)) for m in metrics}
    found = False
    for s in settings:
        base = _baseline_for(s, settings, baseline)
        if base is None:
            continue
        found = True
        s.baseline = base.label
        s.is_baseline = base is s
        if s.is_baseline:
            continue
        common = sorted(set(s.seeds) & set(base.seeds))
        for m in metrics:
            a = np.array([float(_by_seed(s, seed).metrics.get(m, math.nan)) for seed in common])
            b = np.array([float(_by_seed(base, seed).metrics.get(m, math.nan)) for seed in common])
            s.diff[m] = paired_difference(a, b)
            s.welch[m] = welch_difference(s.values(m), base.values(m))
            s.needed[m] = seeds_needed(s.diff[m])
    settings.sort(key=_rank_key)
    return Summary(sweep, settings, metrics, baseline, found)


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
            "seeds": " ".join(map(str, s.seeds)),
            "baseline": s.baseline or "",
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
        rows.append(row)
    return rows


def write_tables(summary: Summary, out_dir: Path) -> list[Path]:
    """Write runs.csv/.parquet and strategies.csv/.parquet into ``out_dir``; returns their paths."""
    written = []
    for name, rows in (("runs", runs_rows(summary.sweep)), ("strategies", strategies_rows(summary))):
        written += [_write_csv(out_dir / f"{name}.csv", rows), _write_parquet(out_dir / f"{name}.parquet", rows)]
    return written


def _baseline_for(s: SettingSummary, settings: list[SettingSummary], baseline: str) -> SettingSummary | None:
    by_label = [t for t in settings if t.label == baseline]
    if by_label:
        return by_label[0]
    candidates = [t for t in settings if t.strategy == baseline]
    if len(candidates) == 1:
        return candidates[0]
    rest = _without_strategy(s.overrides)
    return next((t for t in candidates if _without_strategy(t.overrides) == rest), None)


def _without_strategy(overrides: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(o for o in overrides if override_key(o) != "strategy")


def _by_seed(s: SettingSummary, seed: int) -> Run:
    return next(r for r in s.runs if r.seed == seed)


def _rank_key(s: SettingSummary) -> tuple[float, str]:
    """Highest mean revenue first; a setting without revenue last; ties by label."""
    revenue = s.mean["revenue"].mean if "revenue" in s.mean else math.nan
    return (math.inf if math.isnan(revenue) else -revenue, s.label)


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
