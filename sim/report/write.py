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
from sim.report.stories import Story, pick_stories
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
    html = render_report(summary, charts, _stories(summary), tables)
    out = sweep_dir / REPORT_FILE
    tmp = out.with_name(f".{REPORT_FILE}.tmp-{os.getpid()}")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)
    return out


def _stories(summary: Summary) -> dict[str, list[Story]]:
    """Stories per setting label, from the journeys of its run with the lowest seed."""
    return {s.label: pick_stories(s.runs[0].journeys()) for s in summary.settings}
