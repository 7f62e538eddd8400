"""``write_report``: from a sweep directory to tables, charts and ``report.html``, in that directory.

Only new files are written (``runs.*``, ``strategies.*``, ``report_charts/*.png``,
``report.html``; each overwritten when it exists); no run directory is touched. The HTML is
written to a temporary file and renamed into place, so a reader never sees half a report.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.report.charts import draw_all
from sim.report.collect import collect
from sim.report.html import render_report
from sim.report.stories import Story, follow_one_customer, pick_stories
from sim.report.tables import Summary, summarize, write_tables

__all__ = ["write_report", "REPORT_FILE", "CHARTS_DIR"]

REPORT_FILE = "report.html"
CHARTS_DIR = "report_charts"


def write_report(sweep_dir: Path | str, baseline: str = "none") -> Path:
    """Write the summary tables, the chart PNGs and the self-contained ``report.html`` of a sweep.

    Parameters
    ----------
    sweep_dir
        A directory holding run directories (a Hydra multirun directory; searched recursively).
    baseline
        The setting the paired differences are taken against: a setting's label, or a strategy
        name (default ``none``). When no setting matches, the report says so and shows no
        differences.

    Returns
    -------
    Path
        The path of ``report.html``.

    Raises
    ------
    sim.report.NoCompleteRuns
        The directory does not exist or holds no complete run (no ``metrics.json``).
    """
    sweep_dir = Path(sweep_dir)
    summary = summarize(collect(sweep_dir), baseline)
    tables = [p.name for p in write_tables(summary, sweep_dir)]
    charts = draw_all(summary, sweep_dir / CHARTS_DIR)
    seed, stories, followed = _stories(summary)
    html = render_report(summary, charts, stories, tables, seed=seed, followed=followed)
    out = sweep_dir / REPORT_FILE
    tmp = out.with_name(f".{REPORT_FILE}.tmp-{os.getpid()}")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)
    return out


def _stories(summary: Summary) -> tuple[int | None, dict[str, list[Story]], tuple[int, dict[str, str]] | None]:
    """The seed the stories come from, the stories per setting label, and one customer followed
    through every setting.

    The journeys come from the lowest seed every setting ran (the same recorded customers in
    each setting); without such a seed, from each setting's lowest seed, and no customer is
    followed.
    """
    common = set.intersection(*(set(s.seeds) for s in summary.settings))
    seed = min(common) if common else None
    journeys = {s.label: next((r for r in s.runs if r.seed == seed), s.runs[0]).journeys() for s in summary.settings}
    stories = {label: pick_stories(js) for label, js in journeys.items()}
    return seed, stories, follow_one_customer(journeys) if seed is not None else None
