"""The report's section on a search (``hydra/sweeper=search``): the front, the best trials, the levers.

A search leaves ``search.json`` (its objectives and constraints), ``trials.csv``,
``importance.csv`` and its strategy files in the sweep directory (:mod:`sim.sweep.search_results`);
this module reads them back and gives the template a chart of the trials on two objectives
(value against trust when both are searched) with the Pareto front marked, the front as a
table, the best trial per objective and each lever's importance.  A sweep without
``search.json`` has no such section.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from sim.report.charts import STYLE, _render
from sim.report.html import Cell, Table
from sim.report.tables import metric_name
from sim.words import counted

__all__ = ["SEARCH_FILE", "search_section"]

SEARCH_FILE = "search.json"

_FRONT = "#0072B2"
_OTHER = "#9ecae1"
_INFEASIBLE = "#bbbbbb"


def search_section(sweep_dir: Path, charts_dir: Path) -> dict | None:
    """What the template shows of the search in ``sweep_dir``; None when it holds none."""
    import pandas as pd

    sweep_dir = Path(sweep_dir)
    try:
        info = json.loads((sweep_dir / SEARCH_FILE).read_text(encoding="utf-8"))
        trials = pd.read_csv(sweep_dir / "trials.csv")
    except (OSError, ValueError):
        return None
    objectives: dict[str, str] = info["objectives"]
    levers: list[str] = info["levers"]
    strategies = info.get("strategies", {})
    complete = trials[trials["state"] == "COMPLETE"]
    front = complete[complete["pareto"]]
    section = {
        "summary": (
            f"{len(complete)} of {counted(info['n_trials'], 'trial')} complete, each the mean of seeds "
            f"{', '.join(map(str, info['seeds']))}; sampler {info['sampler']}; objectives "
            + ", ".join(f"{metric_name(m)} ({d})" for m, d in objectives.items())
            + (f"; a feasible trial keeps {', '.join(info['constraints'])}" if info["constraints"] else "")
            + "."
        ),
        "chart": _chart(complete, objectives, charts_dir),
        "front": _front_table(front, objectives, levers, strategies),
        "best": _best_table(_read_json(sweep_dir / "best.json"), objectives),
        "importance": _importance_table(sweep_dir / "importance.csv"),
        "searchpath": f"hydra.searchpath=[file://{sweep_dir.resolve() / 'strategies'}]",
    }
    return section


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _axes(objectives: dict[str, str]) -> tuple[str, str | None]:
    """The chart's x and y: value against trust when both are searched, else the first two."""
    names = list(objectives)
    if "value" in names and "trust_mean_end" in names:
        return "value", "trust_mean_end"
    return names[0], names[1] if len(names) > 1 else None


def _chart(complete, objectives: dict[str, str], charts_dir: Path) -> dict | None:
    import matplotlib
    from matplotlib.figure import Figure

    if complete.empty:
        return None
    x, y = _axes(objectives)
    charts_dir.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(7.5, 4.8))
        ax = fig.add_subplot()
        ys = complete[y] if y else complete["trial"]
        groups = (
            (~complete["feasible"], _INFEASIBLE, "infeasible (breaks a constraint)", "x"),
            (complete["feasible"] & ~complete["pareto"], _OTHER, "feasible", "o"),
            (complete["pareto"], _FRONT, "Pareto front", "o"),
        )
        for mask, color, label, marker in groups:
            if mask.any():
                ax.scatter(complete[x][mask], ys[mask], c=color, marker=marker, s=28, label=label, zorder=2)
        for _, row in complete[complete["pareto"]].iterrows():
            ax.annotate(
                f"t{int(row['trial'])}",
                (row[x], row[y] if y else row["trial"]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
        ax.set_xlabel(f"{metric_name(x)} ({objectives[x]})")
        ax.set_ylabel(f"{metric_name(y)} ({objectives[y]})" if y else "trial")
        ax.legend(fontsize=8, frameon=False)
        title = f"The search: {metric_name(x)} against {metric_name(y)}" if y else f"The search: {metric_name(x)}"
        ax.set_title(title)
        fig.tight_layout()
        caption = (
            "Each point is one trial, the mean of its seeds; the front (labelled by trial) holds the feasible "
            "trials no other feasible trial beats on every objective"
            + (
                " (with more than two objectives, a trial may be on the front for an objective not drawn)."
                if len(objectives) > 2
                else "."
            )
        )
        chart = _render(fig, "search_front", title, caption, charts_dir)
    return {"name": chart.name, "title": chart.title, "caption": chart.caption, "svg": chart.svg, "png": chart.png.name}


def _number(metric: str, x: float) -> str:
    if not isinstance(x, (int, float)) or math.isnan(x):
        return "–"
    if metric.endswith("_share") or metric.startswith("trust") or metric.endswith("_rate"):
        return f"{x:.4f}"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _short(value) -> str:
    text = str(value)
    try:
        return f"{float(text):.4g}" if "." in text else text
    except ValueError:
        return text


def _front_table(front, objectives: dict[str, str], levers: list[str], strategies: dict) -> Table:
    columns = ["trial", *(metric_name(m) for m in objectives), *levers, "strategy file"]
    rows = []
    for _, r in front.iterrows():
        n = int(r["trial"])
        rows.append(
            [Cell(f"t{n}", cls="name")]
            + [Cell(_number(m, r[m])) for m in objectives]
            + [Cell(_short(r[k])) for k in levers]
            + [Cell(strategies.get(str(n), "–"))]
        )
    return Table(columns, rows, id="search-front")


def _best_table(best: dict, objectives: dict[str, str]) -> Table:
    rows = []
    for m, b in best.items():
        levers = ", ".join(f"{k}={_short(v)}" for k, v in b["levers"].items())
        rows.append(
            [
                Cell(f"{metric_name(m)} ({objectives[m]})", cls="name"),
                Cell(f"t{b['trial']}"),
                Cell(_number(m, b["value"])),
                Cell(levers),
            ]
        )
    return Table(["objective", "best trial", "its mean", "its levers"], rows, id="search-best")


def _importance_table(path: Path) -> Table | None:
    import pandas as pd

    try:
        imp = pd.read_csv(path)
    except (OSError, ValueError):
        return None
    if imp.empty:
        return None
    levers = list(dict.fromkeys(imp["lever"]))
    goals = list(dict.fromkeys(imp["objective"]))
    share = {(r.objective, r.lever): r.importance for r in imp.itertuples()}
    rows = [
        [Cell(lever, cls="name")] + [Cell(f"{share.get((g, lever), math.nan):.2f}") for g in goals] for lever in levers
    ]
    return Table(["lever", *(metric_name(g) for g in goals)], rows, id="search-importance")
