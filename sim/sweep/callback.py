"""The Hydra callback of every sweep (``hydra.callbacks.sweep`` in ``configs/config.yaml``).

At the start of a sweep it says where the sweep writes and how to resume it, and starts the
progress display; at the end it writes the sweep's report (:func:`sim.report.write_report`)
and prints its path.  Both run in the sweep's parent process and read only the sweep
directory, so they work under any launcher.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from sim.sweep.progress import SweepProgress
from sim.sweep.resume import complete_runs

__all__ = ["SweepCallback", "end_of_sweep", "sweep_size"]


def sweep_size(config: DictConfig) -> int | None:
    """The number of runs of the sweep ``config`` describes (None when it cannot be told)."""
    from sim.config.preflight import PreflightError, expand_jobs

    params = OmegaConf.select(config, "hydra.sweeper.params") or {}
    try:
        return len(expand_jobs(list(config.hydra.overrides.task), True, [f"{k}={v}" for k, v in params.items()]))
    except PreflightError:  # e.g. a sweeper that samples (an interval): no fixed number of runs
        return None


def end_of_sweep(sweep_dir: Path, total: int | None) -> str:
    """The lines that end a sweep: how many runs are complete, and where its report is.

    Raises whatever :func:`sim.report.write_report` raises, except a ``ReportError`` (no complete
    run, mixed configs, an unknown baseline), which becomes the line's reason for no report.
    """
    from sim.report import ReportError, write_report

    of_total = f" of {total}" if total is not None else ""
    done = f"sweep: {complete_runs(sweep_dir)}{of_total} runs complete in {sweep_dir}"
    try:
        return f"{done}\nreport: {write_report(sweep_dir)}"
    except ReportError as exc:
        return f"{done}; no report ({exc})"


class SweepCallback(Callback):
    """Announces a sweep, shows its progress and writes its report at the end."""

    def __init__(self) -> None:
        self._progress: SweepProgress | None = None
        self._total: int | None = None

    def __getstate__(self) -> dict:
        # Launchers pickle the callbacks along with each job; the display stays in this process.
        return {**self.__dict__, "_progress": None}

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        self._total = sweep_size(config)
        runs = f"{self._total} runs" if self._total is not None else "runs"
        print(
            f"sweep: {runs} into {sweep_dir.resolve()}; if it is interrupted, the same command "
            f"with hydra.sweep.dir={sweep_dir} finishes it",
            file=sys.stderr,
            flush=True,
        )
        mode = OmegaConf.select(config, "output.progress", default="auto")
        self._progress = SweepProgress(sweep_dir, self._total, mode=mode).start()

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        if self._progress is not None:
            self._progress.stop()
        print(end_of_sweep(Path(config.hydra.sweep.dir).resolve(), self._total), flush=True)
