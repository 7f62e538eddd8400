"""The report's view of a sweep over plausible worlds: the robust ranking and what drives it.

When the runs of a sweep carry a world (``world.index`` in ``metrics.json``, see
:mod:`sim.uncertainty.worlds`), :func:`robust_view` builds, from the report's
:class:`~sim.report.tables.Summary`:

- the outcome matrices, float64 (settings, worlds): per setting and world the mean over the
  seeds it ran there of the ranking metric (value, else margin) and of mean trust at the end;
  only worlds every setting completed are used (the others are counted);
- the parameters of each world, float64 (worlds, parameters), from the runs' ``world.values``;
- the robust ranking (:func:`sim.uncertainty.robust.robust_ranking`) and the drivers of the
  decision between its leader and the leader's strongest rival
  (:mod:`sim.uncertainty.drivers`), with the sentence that states it.

:func:`write_robust_tables` writes ``robust.csv``/``robust.parquet`` (one row per setting),
``drivers.csv`` (one row per uncertain parameter) and ``worlds.csv`` (one row per world: its
parameter values, then each setting's outcome in it).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.report.collect import WORLD_VALUES
from sim.report.fmt import fmt_value
from sim.report.html import Cell, Table, chart_context
from sim.report.tables import Summary, metric_name
from sim.uncertainty.drivers import Driver, flip_sentence, rank_drivers, rival
from sim.uncertainty.robust import RobustRow, robust_ranking

__all__ = ["RobustView", "robust_view", "write_robust_tables", "robust_context", "TRUST"]

TRUST = "trust_mean_end"
"""The trust outcome of the robust ranking: mean trust at the end."""


@dataclass
class RobustView:
    """A sweep's outcome across plausible worlds (see the module note for each part)."""

    labels: list[str]
    worlds: list[int]
    metric: str
    value: np.ndarray
    trust: np.ndarray
    keys: list[str]
    params: np.ndarray
    rows: list[RobustRow]
    leader: str
    rival: str | None
    drivers: list[Driver]
    sentence: str
    incomplete_worlds: int


def robust_view(summary: Summary) -> RobustView | None:
    """The robust view of ``summary``'s sweep, or None when its runs have no worlds (or no world
    was completed by every setting)."""
    runs = summary.sweep.runs
    all_worlds = sorted({r.world for r in runs if r.world is not None})
    if not all_worlds:
        return None
    metric = summary.rank_metric
    labels = [s.label for s in summary.settings]
    value = np.full((len(labels), len(all_worlds)), np.nan)
    trust = np.full_like(value, np.nan)
    col = {w: j for j, w in enumerate(all_worlds)}
    for i, s in enumerate(summary.settings):
        for w in all_worlds:
            here = [r for r in s.runs if r.world == w]
            if here:
                value[i, col[w]] = np.mean([float(r.metrics.get(metric, math.nan)) for r in here])
                trust[i, col[w]] = np.mean([float(r.metrics.get(TRUST, math.nan)) for r in here])
    done = np.isfinite(value).all(axis=0) & np.isfinite(trust).all(axis=0)
    if not done.any():
        return None
    worlds = [w for w, ok in zip(all_worlds, done) if ok]
    value, trust = value[:, done], trust[:, done]
    keys, params = _world_params(runs, worlds)
    rows = robust_ranking(labels, value, trust)
    lead = labels.index(rows[0].setting)
    other = rival(labels, value, lead)
    drivers: list[Driver] = []
    if other is not None:
        drivers = rank_drivers(keys, params, value[lead] - value[other])
        sentence = flip_sentence(labels[lead], labels[other], drivers)
    else:
        sentence = f"Only one setting ran: {labels[lead]}."
    return RobustView(
        labels=labels,
        worlds=worlds,
        metric=metric,
        value=value,
        trust=trust,
        keys=keys,
        params=params,
        rows=rows,
        leader=labels[lead],
        rival=labels[other] if other is not None else None,
        drivers=drivers,
        sentence=sentence,
        incomplete_worlds=len(all_worlds) - len(worlds),
    )


def _world_params(runs, worlds: list[int]) -> tuple[list[str], np.ndarray]:
    """The uncertain parameters' keys (in the order the runs record them) and float64
    (worlds, keys) values: each world's from its first run (every run of a world has the same)."""
    first = {}
    for r in runs:
        if r.world is not None and r.world not in first:
            first[r.world] = r
    keys = [k[len(WORLD_VALUES) :] for k in first[worlds[0]].metrics if k.startswith(WORLD_VALUES)]
    params = np.array(
        [[float(first[w].metrics.get(WORLD_VALUES + k, math.nan)) for k in keys] for w in worlds], dtype=np.float64
    ).reshape(len(worlds), len(keys))
    return keys, params


def write_robust_tables(view: RobustView, out_dir: Path) -> list[Path]:
    """Write ``robust.csv``, ``robust.parquet``, ``drivers.csv`` and ``worlds.csv`` into ``out_dir``;
    returns their paths."""
    import pandas as pd

    out_dir = Path(out_dir)
    robust = pd.DataFrame([r.as_dict() for r in view.rows])
    robust.insert(2, "ranked_by", view.metric)
    paths = [out_dir / "robust.csv", out_dir / "robust.parquet", out_dir / "drivers.csv", out_dir / "worlds.csv"]
    robust.to_csv(paths[0], index=False)
    robust.to_parquet(paths[1], index=False)
    with open(paths[2], "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "parameter",
                "leader",
                "rival",
                "rank_correlation",
                "threshold",
                "leader_ahead_above",
                "rule_holds",
                "worlds",
                "decisive",
            ]
        )
        for d in view.drivers:
            w.writerow([d.key, view.leader, view.rival, d.rho, d.threshold, d.above, d.agree, d.worlds, d.decisive])
    with open(paths[3], "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["world", *view.keys, *(f"{view.metric}:{lab}" for lab in view.labels), "best"])
        for j, world in enumerate(view.worlds):
            best = view.labels[int(np.argmax(view.value[:, j]))]
            w.writerow([world, *view.params[j].tolist(), *view.value[:, j].tolist(), best])
    return paths


def robust_context(view: RobustView | None, currency: str = "", charts: dict | None = None) -> dict | None:
    """What the report's "Across plausible worlds" section shows (None: no worlds): the sentence,
    the robust ranking and the drivers as template tables, each parameter's span, and the
    section's ``charts`` by name (:func:`sim.report.robust_charts.draw_robust`)."""
    if view is None:
        return None
    m = view.metric
    shown = {name: chart_context(chart) for name, chart in (charts or {}).items() if chart is not None}

    def money(x: float) -> str:
        return fmt_value(x, m, currency=currency)

    def pct(x: float) -> str:
        return f"{100 * x:.0f}%"

    ranking = Table(
        columns=[
            "setting",
            f"best on {metric_name(m)}",
            "best on trust",
            "expected regret",
            "largest regret",
            "worst world",
            "10th percentile",
            "mean over worlds",
            "trust, worst world",
        ],
        rows=[
            [
                Cell(r.setting, cls="name"),
                Cell(pct(r.best_value_share)),
                Cell(pct(r.best_trust_share)),
                Cell(money(r.expected_regret)),
                Cell(money(r.max_regret)),
                Cell(money(r.value_worst)),
                Cell(money(r.value_p10)),
                Cell(money(r.value_mean)),
                Cell(f"{r.trust_worst:.3f}"),
            ]
            for r in view.rows
        ],
        id="robust",
    )
    spans = {k: (float(np.min(view.params[:, j])), float(np.max(view.params[:, j]))) for j, k in enumerate(view.keys)}
    drivers = Table(
        columns=[
            "uncertain parameter",
            f"rank correlation with {view.leader}'s lead",
            "threshold",
            "the rule holds in",
        ],
        rows=[
            [
                Cell(d.key, [f"{spans[d.key][0]:.3g} to {spans[d.key][1]:.3g} across the worlds"], cls="name"),
                Cell("—" if math.isnan(d.rho) else f"{d.rho:+.2f}"),
                Cell(
                    f"{view.leader if d.above else view.rival} ahead above {d.threshold:.3g}"
                    if d.decisive
                    else "none better than the usual winner"
                ),
                _rule_holds(d, view.leader, view.rival),
            ]
            for d in view.drivers[:10]
        ],
        id="drivers",
    )
    return {
        "sentence": view.sentence,
        "worlds": len(view.worlds),
        "incomplete": view.incomplete_worlds,
        "parameters": len(view.keys),
        "leader": view.leader,
        "rival": view.rival,
        "metric": metric_name(m),
        "ranking": ranking,
        "drivers": drivers if view.drivers else None,
        "across_chart": shown.get("across_worlds"),
        "decider_chart": shown.get("decider"),
    }


def _rule_holds(d: Driver, leader: str, rival: str) -> Cell:
    """In how many worlds a driver's rule is right: its threshold's rule when that beats always
    naming the usual winner, else the usual winner's (no cut of the parameter does better)."""
    if d.decisive:
        return Cell(f"{d.agree} of {d.worlds} worlds")
    usual, n = (leader, d.ahead) if d.ahead >= d.worlds - d.ahead else (rival, d.worlds - d.ahead)
    return Cell(f"{n} of {d.worlds} worlds", [f"always {usual}"])
