"""Writing a run's results directory.

Files (see the README's "Outputs"): ``daily.csv`` (and ``daily.parquet``), ``segments.csv``,
``journeys.jsonl``, and last ``metrics.json``, written atomically (a temporary file renamed
into place), so its presence means the run completed.

Every number is checked finite before it is written (:mod:`sim.safety.finite`): a run with a
NaN or an infinity raises :class:`sim.safety.finite.NotFinite` and writes no ``metrics.json``.
A failed write (a full disk) leaves no temporary file behind.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from sim.safety.finite import NotFinite, check_finite, first_not_finite

__all__ = ["write_results", "write_json_atomic", "remove_results", "METRICS_FILE", "RESULT_FILES"]

METRICS_FILE = "metrics.json"
RESULT_FILES = ("daily.csv", "daily.parquet", "segments.csv", "journeys.jsonl", METRICS_FILE)
"""Every file :func:`write_results` writes."""


def remove_results(out_dir: Path) -> None:
    """Remove the result files of a run that failed while writing them (half-written files
    would only take space, e.g. on a full disk, and mislead a reader)."""
    for name in RESULT_FILES:
        (Path(out_dir) / name).unlink(missing_ok=True)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` so that readers see either nothing or the whole file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            # allow_nan=False: strict JSON, never NaN or Infinity (checked before, see write_results).
            json.dump(data, f, indent=2, sort_keys=False, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:  # a full disk, Ctrl-C: no temporary file is left behind
        tmp.unlink(missing_ok=True)
        raise


def _write_csv(path: Path, rows: list[dict]) -> None:
    if not rows:
        path.write_text("")
        return
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _write_parquet(path: Path, rows: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)


def write_results(out_dir: Path, result, *, parquet: bool = True) -> None:
    """Write every output of ``result`` (a :class:`sim.scenario.RunResult`) into ``out_dir``.

    A ``metrics.json`` left by an earlier attempt is removed first, so the directory never
    looks complete while its other files are being rewritten.

    Raises
    ------
    sim.safety.finite.NotFinite
        A value of the metrics, the daily series, the segments or a journey is NaN or infinite;
        no ``metrics.json`` is written then.
    OSError
        The directory cannot be written (e.g. a full disk).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / METRICS_FILE).unlink(missing_ok=True)
    check_finite(result.metrics, METRICS_FILE)
    check_finite(result.daily, "daily.csv")
    check_finite(result.segments, "segments.csv")
    _write_csv(out_dir / "daily.csv", result.daily)
    if parquet:
        _write_parquet(out_dir / "daily.parquet", result.daily)
    _write_csv(out_dir / "segments.csv", result.segments)
    with open(out_dir / "journeys.jsonl", "w", encoding="utf-8") as f:
        for i, j in enumerate(result.journeys):
            try:
                f.write(json.dumps(j, separators=(",", ":"), allow_nan=False) + "\n")
            except ValueError:
                raise NotFinite(f"journeys.jsonl: line {i + 1}: {first_not_finite(j)} is not a finite number") from None
    write_json_atomic(out_dir / METRICS_FILE, result.metrics)
