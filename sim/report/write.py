"""``write_report``: from a sweep directory to tables, charts and ``report.html``, in that directory.

Only new files are written (``runs.*``, ``strategies.*``, ``daily.parquet``,
``segments.parquet``, ``report_charts/*.png``, ``report.html``, and for a sweep over plausible
worlds ``robust.*``, ``drivers.csv``, ``worlds.csv``; each overwritten when it exists and is the
report's own, :mod:`sim.report.ownership`); no run's file is touched (a run directory reported
on its own gets no sweep-level ``daily.parquet`` or ``segments.parquet``: it has its own).

Everything is first written into a staging directory inside the sweep directory, and only when
the page has rendered are the files renamed into place, ``report.html`` last (an earlier one is
removed first).  So a report that fails (a template that does not render, Ctrl-C, a full disk)
changes nothing, and a ``report.html`` on disk always comes with the tables and charts it shows.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

from sim.report.baseline import resolve_baseline
from sim.report.charts import SWEEP_CHARTS, draw_all
from sim.report.collect import collect
from sim.report.data import SWEEP_TABLES, write_sweep_data
from sim.report.html import render_report
from sim.report.nested import get_dotted
from sim.report.ownership import CHARTS_DIR, REPORT_FILES, check_report_files, record_report_files
from sim.report.robust import robust_context, robust_view, write_robust_tables
from sim.report.robust_charts import ROBUST_CHARTS, draw_robust
from sim.report.search import search_section
from sim.report.stories import IRRELEVANT_BELOW, Story, Teller, follow_one_customer, pick_stories
from sim.report.tables import Summary, summarize, write_tables
from sim.results import METRICS_FILE
from sim.safety.failures import interrupts
from sim.safety.outputs import write_text_atomic

__all__ = ["write_report", "REPORT_FILE", "CHARTS_DIR"]

REPORT_FILE = "report.html"


def write_report(sweep_dir: Path | str, baseline: str | None = None, template: Path | str | None = None) -> Path:
    """Write the summary tables, the chart PNGs and the self-contained ``report.html`` of a sweep.

    Parameters
    ----------
    sweep_dir
        A directory holding run directories (a Hydra multirun directory; searched recursively).
    baseline
        The setting the paired differences are taken against: a setting's label, a strategy, or
        ``key=value`` overrides (see :mod:`sim.report.baseline`). None: the experiment's
        ``experiment.baseline``, else the strategy ``none`` when a setting has it.
    template
        A page template to use instead of the shipped ``report.html.j2`` (a team's branded copy).

    Returns
    -------
    Path
        The path of ``report.html``.

    Raises
    ------
    sim.report.NoCompleteRuns
        The directory does not exist or holds no complete run (no ``metrics.json``).
    sim.report.MixedConfigs
        Runs of one setting, or settings, differ in config where they must not.
    sim.report.UnknownBaseline
        ``baseline`` (or ``experiment.baseline``) names no setting.
    jinja2.TemplateError
        ``template`` cannot be read or rendered.
    """
    sweep_dir = Path(sweep_dir)
    sweep = collect(sweep_dir)
    summary = summarize(sweep, resolve_baseline(sweep, baseline))
    # Reported on its own, a run directory keeps its own tables: the sweep's stacked daily.parquet
    # would replace the run's, and a segments.parquet would be read as the run's next time.
    one_run = (sweep_dir / METRICS_FILE).exists()
    sweep_tables = {files[0] for files in SWEEP_TABLES.values()}
    names = [name for name in REPORT_FILES if not (one_run and name in sweep_tables)]
    check_report_files(sweep_dir, names)  # before anything is written: no file of someone else's is replaced
    _remove_stale_stages(sweep_dir)
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{socket.gethostname()}-{os.getpid()}-", dir=sweep_dir))
    try:
        written = write_tables(summary, stage)
        if not one_run:
            written += write_sweep_data(sweep, stage)
        tables = [p.name for p in written]
        view = robust_view(summary)
        if view is not None:
            tables += [p.name for p in write_robust_tables(view, stage)]
        charts = draw_all(summary, stage / CHARTS_DIR)
        seed, stories, followed = _stories(summary)
        if isinstance(seed, tuple):  # a sweep over plausible worlds: its replicates are (world, seed)
            seed = f"{seed[1]} in world {seed[0]}"
        robust = robust_context(view, summary.currency, draw_robust(view, summary, stage / CHARTS_DIR))
        search = search_section(sweep_dir, stage / CHARTS_DIR)  # None unless the sweep is a search
        html = render_report(
            summary,
            charts,
            stories,
            tables,
            seed=seed,
            followed=followed,
            template=template,
            robust=robust,
            search=search,
        )
        write_text_atomic(stage / REPORT_FILE, html)
        with interrupts.held():  # Ctrl-C now would leave the page beside half the new files
            _publish(stage, sweep_dir, names)
            record_report_files(sweep_dir, names)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return sweep_dir / REPORT_FILE


STAGE_PREFIX = ".prepersona-report-stage-"
"""The staging directory of a report being written, ``STAGE_PREFIX HOST-PID-XXXX``: removed when
the report ends, and one left by a killed report by the next report on that host."""


def _remove_stale_stages(sweep_dir: Path) -> None:
    """Remove the stages of reports killed on this host; a stage of a report still running
    (another process, another host sharing the directory) is left alone."""
    host = socket.gethostname()
    for stage in sweep_dir.glob(f"{STAGE_PREFIX}{host}-*"):
        pid = stage.name[len(STAGE_PREFIX) + len(host) + 1 :].split("-", 1)[0]
        if stage.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stage, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _publish(stage: Path, sweep_dir: Path, names: list[str]) -> None:
    """Move the staged report into ``sweep_dir``: the old page goes first and the new page
    comes last, so that a page on disk always matches the files beside it.  A table (of
    ``names``, the report's own) or a chart this report no longer writes (no data for it now)
    is removed: it would describe other runs."""
    (sweep_dir / REPORT_FILE).unlink(missing_ok=True)
    for name in names:
        if not (stage / name).exists():
            (sweep_dir / name).unlink(missing_ok=True)
    charts, staged_charts = sweep_dir / CHARTS_DIR, stage / CHARTS_DIR
    charts.mkdir(exist_ok=True)
    for stem in (*SWEEP_CHARTS, *ROBUST_CHARTS):
        if not (staged_charts / f"{stem}.png").exists():
            (charts / f"{stem}.png").unlink(missing_ok=True)
    for path in sorted(staged_charts.glob("*")):
        os.replace(path, charts / path.name)
    for path in sorted(stage.iterdir()):
        if path.is_file() and path.name != REPORT_FILE:
            os.replace(path, sweep_dir / path.name)
    os.replace(stage / REPORT_FILE, sweep_dir / REPORT_FILE)


def _stories(summary: Summary) -> tuple[int | None, dict[str, list[Story]], tuple[int, dict[str, str]] | None]:
    """The seed the stories come from, the stories per setting label, and one customer followed
    through every setting.

    The journeys come from the lowest seed every setting ran (the same recorded customers in
    each setting, so each can be told beside the same customer under the baseline); without
    such a seed, from each setting's lowest seed, told without the baseline, and no customer is
    followed.
    """
    common = set.intersection(*(set(s.seeds) for s in summary.settings))
    seed = min(common) if common else None
    runs = {s.label: (s.run(seed) if seed is not None else None) or s.runs[0] for s in summary.settings}
    journeys = {label: run.journeys() for label, run in runs.items()}
    tellers = {}
    for s in summary.settings:
        below = get_dotted(runs[s.label].config, "customer.trust.irrelevant_below")
        base = None
        if seed is not None and s.baseline and not s.is_baseline:
            base = {j["customer"]: j for j in journeys[s.baseline] if "customer" in j}
        tellers[s.label] = Teller(
            base=base,
            base_label=s.baseline or "the baseline",
            irrelevant_below=float(below) if isinstance(below, (int, float)) else IRRELEVANT_BELOW,
        )
    stories = {label: pick_stories(js, tellers[label]) for label, js in journeys.items()}
    followed = follow_one_customer(journeys, tellers) if seed is not None else None
    return seed, stories, followed
