"""Which files of a directory the report may write: its own, never a user's.

A report writes its tables, charts and page into the directory it reports on.  A directory
prepersona made (it holds a run's or a sweep's ``manifest.json``, :mod:`sim.safety.outputs`) is
prepersona's own: the report writes there as it likes.  Any other directory (run directories
gathered by hand, a team's shared folder) may hold files of the same names that someone else
wrote; there the report replaces only the files an earlier report wrote, which it lists in
:data:`RECORD`, and refuses, before it writes anything, a directory where one of its files
exists and is not on that list.
"""

from __future__ import annotations

import json
from pathlib import Path

from sim.report.errors import NotTheReportsFile
from sim.safety.outputs import read_manifest, write_text_atomic

__all__ = ["CHARTS_DIR", "RECORD", "REPORT_FILES", "NotTheReportsFile", "check_report_files", "record_report_files"]

RECORD = ".prepersona-report.json"
"""The list of files the report wrote into a directory that is not prepersona's own."""

REPORT_FILES = (
    "report.html",
    "runs.csv",
    "runs.parquet",
    "strategies.csv",
    "strategies.parquet",
    "daily.parquet",
    "segments.parquet",
    "robust.csv",
    "robust.parquet",
    "drivers.csv",
    "worlds.csv",
)
"""Every file the report may write at the top of the directory (its charts go below
``report_charts/``)."""

CHARTS_DIR = "report_charts"
"""Where the report's charts go, below the directory."""


def check_report_files(directory: Path, names: tuple[str, ...] | list[str] = REPORT_FILES) -> None:
    """Refuse a directory where a file the report writes (``names`` at the top, any chart)
    exists and is not the report's own.

    Raises
    ------
    NotTheReportsFile
        Naming the first such file (nothing has been written yet).
    """
    if read_manifest(directory) is not None:
        return  # a run or sweep directory of prepersona's: every report file in it is ours
    ours = _recorded(directory)
    for name in _present(directory, names):
        if name not in ours:
            raise NotTheReportsFile(
                f"{directory}: {name} exists and was not written by a report; move it, or report into a copy of "
                "the run directories (nothing was changed)"
            )


def record_report_files(directory: Path, names: tuple[str, ...] | list[str] = REPORT_FILES) -> None:
    """After a report: add the report's files now in ``directory`` (``names`` at the top, every
    chart) to its record; they are the report's, since :func:`check_report_files` passed.
    Nothing is recorded in a directory of prepersona's own (see the module note)."""
    if read_manifest(directory) is not None:
        return
    record = {
        "written_by": "prepersona-report",
        "files": sorted(_recorded(directory) | set(_present(directory, names))),
    }
    write_text_atomic(directory / RECORD, json.dumps(record, indent=1) + "\n")


def _present(directory: Path, names) -> list[str]:
    """The report's files that exist in ``directory``, relative to it: ``names`` at the top,
    then every file below :data:`CHARTS_DIR`."""
    present = [name for name in names if (directory / name).exists()]
    charts = directory / CHARTS_DIR
    if charts.is_dir():
        present += sorted(p.relative_to(directory).as_posix() for p in charts.rglob("*") if p.is_file())
    return present


def _recorded(directory: Path) -> set[str]:
    try:
        data = json.loads((directory / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(data, dict) or data.get("written_by") != "prepersona-report":
        return set()
    return {str(name) for name in data.get("files", [])}
