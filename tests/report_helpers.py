"""Run directories for the report's tests: hand-made ones, and small sweeps simulated in this process."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import yaml


def fake_run(
    root: Path,
    name: str,
    overrides: list[str],
    metrics: dict,
    config: dict | None = None,
    daily: list[dict] | None = None,
    segments: list[dict] | None = None,
    journeys: list[dict] | None = None,
) -> Path:
    """A run directory as Hydra and prepersona leave it, with only the files the report reads.

    ``config`` is merged into the minimal composed config (seed and strategy name).
    """
    d = root / name
    (d / ".hydra").mkdir(parents=True)
    (d / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    seed = next(int(o.split("=")[1]) for o in overrides if o.startswith("seed="))
    strategy = next((o.split("=")[1] for o in overrides if o.startswith("strategy=")), "recommend")
    composed = {"seed": seed, "strategy": {"name": strategy}}
    for key, value in (config or {}).items():
        node = composed
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    (d / ".hydra" / "config.yaml").write_text(yaml.safe_dump(composed))
    for file, rows in (("daily.csv", daily), ("segments.csv", segments)):
        if rows:
            with open(d / file, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(rows[0]))
                w.writeheader()
                w.writerows(rows)
    if journeys:
        (d / "journeys.jsonl").write_text("".join(json.dumps(j) + "\n" for j in journeys))
    (d / "metrics.json").write_text(json.dumps({"seed": seed, "strategy": strategy, **metrics}))
    return d


def simulate_sweep(root: Path, overrides: list[str]) -> Path:
    """Every job of the sweep ``prepersona -m <overrides>`` describes (an experiment's too),
    simulated here and written as Hydra would: ``root/<job>/`` with ``.hydra/config.yaml``,
    ``.hydra/overrides.yaml`` and the run's results. Much faster than a sweep in subprocesses."""
    from sim.app import run_config
    from sim.config.preflight import compose_config, sweep_plan

    composed = {}  # one composition per setting: the seed is set on a copy (composing takes a second)
    for n, job in enumerate(sweep_plan(overrides, multirun=True)):
        seed = next(int(o.split("=", 1)[1]) for o in job if o.startswith("seed="))
        setting = tuple(o for o in job if not o.startswith("seed="))
        if setting not in composed:
            composed[setting] = compose_config(job)
        cfg = dataclasses.replace(composed[setting], seed=seed)
        out = root / str(n)
        (out / ".hydra").mkdir(parents=True)
        (out / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(list(job)))
        (out / ".hydra" / "config.yaml").write_text(yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False))
        run_config(cfg, out, progress=False)
    return root


def legend_below_x_label(fig) -> bool:
    """Whether the legend of ``fig``'s axes lies wholly below its x label (not on it)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # a legend finds its place when drawn
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    label = ax.xaxis.label.get_window_extent(renderer)
    return legend.y1 < label.y0  # display coordinates: y grows upwards
