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
    import pandas as pd  # here: importing pandas takes a second that a refused sweep need not wait

    labels = sweep.labels()
    keys = sorted({override_key(o) for r in sweep.runs for o in r.overrides})
    frames = []
    for run in sweep.runs:
        frame = _read(run, SWEEP_TABLES[name])
        if frame is None:
            continue
        ids = {
            "run_dir": str(run.path.relative_to(sweep.root)) or ".",
            "setting": labels[run.setting],
            "seed": run.seed,
            "strategy": run.strategy,
            **{f"override.{k}": _override_value(run, k) for k in keys},
        }
        frame = frame.drop(columns=[c for c in ids if c in frame.columns])
        frames.append(pd.concat([pd.DataFrame(ids, index=frame.index), frame], axis=1))
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True)


def write_sweep_data(sweep: Sweep, out_dir: Path) -> list[Path]:
    """Write ``daily.parquet`` and ``segments.parquet`` of the sweep into ``out_dir``.

    A table no run has is not written, and one left by an earlier report is removed (it would
    describe other runs). Returns the paths written.
    """
    written = []
    for name in SWEEP_TABLES:
        path = Path(out_dir) / f"{name}.parquet"
        frame = sweep_table(sweep, name)
        if frame is None:
            path.unlink(missing_ok=True)
            continue
        frame.to_parquet(path, index=False)
        written.append(path)
    return written


def _read(run: Run, files: tuple[str, str]) -> pd.DataFrame | None:
    import pandas as pd

    parquet, csv = (run.path / f for f in files)
    try:
        if parquet.is_file():
            return pd.read_parquet(parquet)
        if csv.is_file() and csv.stat().st_size:
            return pd.read_csv(csv)
    except (OSError, ValueError):  # a damaged file: the run's row in runs.csv still tells its metrics
        return None
    return None


def _override_value(run: Run, key: str) -> str:
    return next((o.split("=", 1)[1] for o in run.overrides if override_key(o) == key and "=" in o), "")
