"""The workshop report of a sweep: statistics across seeds, summary tables, charts, customer stories.

Public API:

* :func:`write_report` — ``write_report(sweep_dir, baseline=None, template=None)`` writes
  ``runs.csv``/``.parquet``, ``strategies.csv``/``.parquet``, ``daily.parquet``,
  ``segments.parquet``, ``report_charts/*.png`` and ``report.html`` into the sweep directory and
  returns the path of ``report.html``;
* :class:`ReportError` — what the report refuses, one line each: :class:`NoCompleteRuns` (no
  complete run), :class:`MixedConfigs` (runs that would be averaged or compared differ in config),
  :class:`UnknownBaseline` (the baseline names no setting), :class:`NotTheReportsFile` (in a
  directory prepersona did not make, a file of the report's names that no report wrote).

Modules, one job each: :mod:`~sim.report.collect` (find and read runs, refuse mixed configs),
:mod:`~sim.report.labels` (settings in plain words), :mod:`~sim.report.baseline` (what is compared
with what), :mod:`~sim.report.intervals` (intervals, paired differences), :mod:`~sim.report.planning`
(seeds for 80% power), :mod:`~sim.report.tables` (per-setting statistics and the tables),
:mod:`~sim.report.data` (the sweep's daily and segment tables), :mod:`~sim.report.answer` (the
question and its answer), :mod:`~sim.report.charts`, :mod:`~sim.report.paths` (trust against the
baseline's path), :mod:`~sim.report.stories`, :mod:`~sim.report.fmt` (numbers in words),
:mod:`~sim.report.html` (the page, from ``report.html.j2``), :mod:`~sim.report.ownership` (which
files it may replace), :mod:`~sim.report.write` (all of it), :mod:`~sim.report.cli`
(``prepersona-report``).
"""

from __future__ import annotations

from sim.report.errors import MixedConfigs, NoCompleteRuns, NotTheReportsFile, ReportError, UnknownBaseline
from sim.report.write import write_report

__all__ = ["write_report", "ReportError", "NoCompleteRuns", "MixedConfigs", "UnknownBaseline", "NotTheReportsFile"]
