"""A sweep's per-run series as single tables: ``daily.parquet`` and ``segments.parquet`` in the sweep directory.

Each run directory holds its own daily series and segment breakdown; analysis wants them in one
table, each row saying which run, setting and seed it came from. The sweep-level tables stack
every complete run's rows behind the columns ``run_dir``, ``setting``, ``seed``, ``strategy``
and one ``override.<key>`` column per override (text; empty where a run does not set it), the
same keys as ``runs.parquet`` has, so the three join on ``run_dir``::

    import pandas as pd
    daily = pd.read_parquet("multirun/strategy_frontier/daily.parquet")
    daily.groupby(["setting", "day"]).trust_mean.mean()
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sim.report.collect import Run, Sweep, override_key

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["sweep_table", "write_sweep_data", "SWEEP_TABLES"]

SWEEP_TABLES = {"daily": ("daily.parquet", "daily.csv"), "segments": ("segments.parquet", "segments.csv")}
"""Table name -> the run files it is read from, the first that exists."""


def sweep_table(sweep: Sweep, name: str) -> pd.DataFrame | None:
    """Every complete run's ``name`` table (``daily`` or ``segments``) stacked, with the run's keys
    first; None when no run has one."""
    table = _stacked(sweep, name)
    return None if table is None else table.to_pandas()


def write_sweep_data(sweep: Sweep, out_dir: Path) -> list[Path]:
    """Write ``daily.parquet`` and ``segments.parquet`` of the sweep into ``out_dir``.

    A table no run has is not written (one left by an earlier report is removed by
    :mod:`sim.report.write`: it would describe other runs). Returns the paths written.
    """
    import pyarrow.parquet as pq

    written = []
    for name in SWEEP_TABLES:
        path = Path(out_dir) / f"{name}.parquet"
        table = _stacked(sweep, name)
        if table is None:
            continue
        pq.write_table(table, path)
        written.append(path)
    return written


def _stacked(sweep: Sweep, name: str):
    """The stacked table as an Arrow table (one per run, the run's keys as constant columns, then
    concatenated once: a sweep of a thousand runs is stacked in about a second, where a pandas
    frame per run took ten); None when no run has one."""
    import numpy as np
    import pyarrow as pa

    labels = sweep.labels()
    keys = sorted({override_key(o) for r in sweep.runs for o in r.overrides})
    tables = []
    for run in sweep.runs:
        table = _read(run, SWEEP_TABLES[name])
        if table is None:
            continue
        ids = {
            "run_dir": str(run.path.relative_to(sweep.root)) or ".",
            "setting": labels[run.setting],
            "seed": run.seed,
            "strategy": run.strategy,
            **{f"override.{k}": _override_value(run, k) for k in keys},
        }
        rows = table.num_rows
        columns = {k: pa.array(np.full(rows, v, dtype=np.int64 if k == "seed" else object)) for k, v in ids.items()}
        columns.update({c: table.column(c) for c in table.column_names if c not in ids})
        tables.append(pa.table(columns))
    if not tables:
        return None
    # Runs whose tables differ in columns (a behavior's counter) stack with nulls where absent.
    return pa.concat_tables(tables, promote_options="permissive")


def _read(run: Run, files: tuple[str, str]):
    """The run's table as an Arrow table (its Parquet file, else its CSV), None if it has none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet, csv = (run.path / f for f in files)
    try:
        if parquet.is_file():
            return pq.read_table(parquet)
        if csv.is_file() and csv.stat().st_size:
            import pandas as pd

            return pa.Table.from_pandas(pd.read_csv(csv), preserve_index=False)
    except (OSError, ValueError, pa.ArrowException):  # a damaged file: runs.csv still tells its metrics
        return None
    return None


def _override_value(run: Run, key: str) -> str:
    return next((o.split("=", 1)[1] for o in run.overrides if override_key(o) == key and "=" in o), "")
