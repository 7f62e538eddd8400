"""The workshop report of a sweep: statistics across seeds, summary tables, charts, customer stories.

Public API:

* :func:`write_report` — ``write_report(sweep_dir, baseline="none")`` writes ``runs.csv``/``.parquet``,
  ``strategies.csv``/``.parquet``, ``report_charts/*.png`` and ``report.html`` into the sweep
  directory and returns the path of ``report.html``;
* :class:`NoCompleteRuns` — raised when the directory holds no complete run.

Modules, one job each: :mod:`~sim.report.collect` (find and read runs), :mod:`~sim.report.intervals`
(intervals, paired differences, seeds needed), :mod:`~sim.report.tables` (per-setting statistics
and the tables), :mod:`~sim.report.charts`, :mod:`~sim.report.stories`, :mod:`~sim.report.html`
(the page), :mod:`~sim.report.write` (all of it), :mod:`~sim.report.cli` (``prepersona-report``).
"""

from __future__ import annotations

from sim.report.collect import NoCompleteRuns
from sim.report.write import write_report

__all__ = ["write_report", "NoCompleteRuns"]
