"""The Hydra callback of every sweep (``hydra.callbacks.sweep`` in ``configs/config.yaml``).

At the start of a sweep it says where the sweep writes and how to resume it, and starts the
progress display; at the end it writes the sweep's report (:func:`sim.report.write_report`),
prints its path, and says what this invocation did: runs skipped as complete, recomputed (and
why), and failed (where their ``failure.txt`` is).  Both run in the sweep's parent process and
read only the sweep directory (its manifest and its runs' manifests), so they work under any
launcher.  :func:`failed_runs` tells :func:`sim.app.main` to exit with status 1.  At the end
of each job, where the job ran, it lightens what the launcher sends back to the parent (see
``SweepCallback.on_job_end``).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from sim.results import METRICS_FILE
from sim.safety.failures import FAILURE_FILE
from sim.safety.outputs import read_manifest
from sim.sweep.progress import SweepProgress
from sim.sweep.resume import COMPLETE, CONFIG_HASH, complete_runs
from sim.words import counted

__all__ = ["SweepCallback", "end_of_sweep", "sweep_size", "sweep_outcome", "failed_runs", "reset"]

_failed: list[str] = []


def reset() -> None:
    """Forget the failures of an earlier sweep in this process."""
    _failed.clear()


def failed_runs() -> list[str]:
    """The run directories of the last sweep in this process whose run failed."""
    return list(_failed)


def sweep_size(config: DictConfig) -> int | None:
    """The number of runs of the sweep ``config`` describes (None when it cannot be told)."""
    from sim.config.preflight import PreflightError, expand_jobs
    from sim.sweep.search_config import SWEEPER_TARGET

    if OmegaConf.select(config, "hydra.sweeper._target_") == SWEEPER_TARGET:
        n_trials, seeds = config.hydra.sweeper.n_trials, config.hydra.sweeper.seeds
        return n_trials * len(seeds) if isinstance(n_trials, int) else None
    params = OmegaConf.select(config, "hydra.sweeper.params") or {}
    try:
        return len(expand_jobs(list(config.hydra.overrides.task), True, [f"{k}={v}" for k, v in params.items()]))
    except PreflightError:  # e.g. a sweeper that samples (an interval): no fixed number of runs
        return None


def sweep_outcome(sweep_dir: Path) -> tuple[int, list[str], list[str]]:
    """What the sweep in ``sweep_dir`` holds and what its last invocation did.

    Returns ``(complete, notes, failed)``: the runs of the sweep that are complete (for its
    current config), the notes on this invocation (``"3 skipped as complete"``, ``"2 recomputed
    (prepersona's code changed: 2)"``), and the directories of the runs that failed in it.
    A directory without a sweep manifest counts every run directory holding a ``metrics.json``.
    """
    sweep_dir = Path(sweep_dir)
    manifest = read_manifest(sweep_dir)
    if manifest is None or manifest.get("kind") != "sweep":
        return complete_runs(sweep_dir), [], []
    invocation = manifest.get("invocation")
    complete, skipped, failed = 0, 0, []
    recomputed: Counter[str] = Counter()
    for job in manifest.get("jobs", []):
        run_dir = sweep_dir / job["dir"]
        run = read_manifest(run_dir) or {}
        done = (
            (run_dir / METRICS_FILE).is_file()
            and run.get("status") == COMPLETE
            and run.get(CONFIG_HASH) == job.get(CONFIG_HASH)
        )
        complete += done
        if run.get("invocation") != invocation:
            continue
        outcome = str(run.get("outcome", ""))
        if run.get("status") == "failed":
            failed.append(f"{run_dir / FAILURE_FILE} ({run.get('error', 'failed')})")
        elif outcome == "skipped":
            skipped += 1
        elif outcome.startswith("recomputed: "):
            recomputed[outcome[len("recomputed: ") :]] += 1
    notes = []
    if skipped:
        notes.append(f"{skipped} skipped as complete")
    if recomputed:
        why = "; ".join(f"{reason}: {n}" for reason, n in recomputed.most_common())
        notes.append(f"{sum(recomputed.values())} recomputed ({why})")
    if failed:
        notes.append(f"{len(failed)} failed")
    return complete, notes, failed


def end_of_sweep(sweep_dir: Path, total: int | None) -> str:
    """The lines that end a sweep: how many runs are complete, what this invocation did, which
    runs failed, and where its report is.

    Raises whatever :func:`sim.report.write_report` raises, except a ``ReportError`` (no complete
    run, mixed configs, an unknown baseline), which becomes the line's reason for no report.
    """
    from sim.report import ReportError, write_report

    complete, notes, failed = sweep_outcome(sweep_dir)
    _failed[:] = failed
    of_total = f" of {total}" if total is not None else ""
    runs = "run" if (total if total is not None else complete) == 1 else "runs"
    done = f"sweep: {complete}{of_total} {runs} complete in {sweep_dir}"
    if notes:
        done += "; " + ", ".join(notes)
    lines = [done]
    lines += [f"sweep: failed: {f}" for f in failed]
    try:
        lines.append(f"report: {write_report(sweep_dir)}")
    except ReportError as exc:
        lines[0] += f"; no report ({exc})"
    return "\n".join(lines)


class SweepCallback(Callback):
    """Announces a sweep, shows its progress and writes its report at the end."""

    def __init__(self) -> None:
        self._progress: SweepProgress | None = None
        self._total: int | None = None

    def __getstate__(self) -> dict:
        # Launchers pickle the callbacks along with each job; the display stays in this process.
        return {**self.__dict__, "_progress": None}

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        from sim.safety.failures import interrupts

        # Jobs in other processes (joblib, a cluster): from now on Ctrl-C stops the launcher,
        # which stops them.  The basic launcher composes each job here, between runs: there
        # signals stay deferred until a job starts (sim.app.run_job).
        if "BasicLauncher" not in str(OmegaConf.select(config, "hydra.launcher._target_", default="")):
            interrupts.allow()
        sweep_dir = Path(config.hydra.sweep.dir)
        self._total = sweep_size(config)
        runs = counted(self._total, "run") if self._total is not None else "runs"
        print(
            f"sweep: {runs} into {sweep_dir.resolve()}; if it is interrupted, the same command "
            f"with hydra.sweep.dir={sweep_dir} finishes it",
            file=sys.stderr,
            flush=True,
        )
        mode = OmegaConf.select(config, "output.progress", default="auto")
        self._progress = SweepProgress(sweep_dir, self._total, mode=mode).start()

    def on_job_end(self, config: DictConfig, job_return, **kwargs) -> None:
        # Where the job ran (a pool process, a cluster node).  The launcher sends the job's
        # return back to the parent, with two full copies of its config (``cfg`` and
        # ``hydra_cfg``) that the parent never reads: every outcome prepersona reports comes
        # from the run directory, which holds the config in ``.hydra/``.  Pickling and
        # unpickling them cost about 30 ms of a core a job.  Hydra calls this hook in reverse
        # order of ``hydra.callbacks``, so a callback added after this one still sees them.
        job_return.cfg = None
        job_return.hydra_cfg = None

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        if self._progress is not None:
            self._progress.stop()
        print(end_of_sweep(Path(config.hydra.sweep.dir).resolve(), self._total), flush=True)
