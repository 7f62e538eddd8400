"""A sweep's progress: runs done out of the total, and the time left.

The sweep's parent process counts the run directories that hold a ``metrics.json``, on a
background thread.  Counting files rather than listening to jobs works under every launcher
(jobs may run in other processes or on other machines) and counts a resumed sweep's skipped
runs as done.  On a terminal one line is redrawn in place; elsewhere (a log file, CI) it
prints nothing unless ``output.progress=on``, and then one plain line per finished run.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from sim.sweep.resume import complete_runs

__all__ = ["SweepProgress", "status_line"]

_ERASE_LINE_END = "\x1b[K"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def status_line(done: int, total: int | None, done_at_start: int, elapsed: float) -> str:
    """``sweep: 5/27 runs done, 1m20s left``: the time left from the pace of the runs finished so far."""
    if total is None:
        return f"sweep: {done} runs done"
    line = f"sweep: {done}/{total} runs done"
    finished_here = done - done_at_start  # runs skipped on resuming took no time
    if 0 < finished_here and done < total:
        line += f", {_duration(elapsed / finished_here * (total - done))} left"
    elif done < total:
        line += ", time left unknown until a run finishes"
    return line


class SweepProgress:
    """Shows the progress of the sweep writing into ``sweep_dir`` until :meth:`stop`.

    Parameters
    ----------
    sweep_dir : the sweep directory (its runs are its sub-directories)
    total : number of runs of the sweep, or None when unknown
    mode : ``auto`` (only on a terminal), ``on`` or ``off`` (``output.progress``)
    stream : where to write (standard error by default)
    interval : seconds between two looks at the sweep directory
    """

    def __init__(self, sweep_dir: Path, total: int | None, mode: str = "auto", stream=None, interval: float = 1.0):
        self.sweep_dir, self.total, self.interval = Path(sweep_dir), total, interval
        self.stream = stream if stream is not None else sys.stderr
        terminal = self.stream.isatty()
        self.in_place = terminal
        self.enabled = mode == "on" or (mode == "auto" and terminal)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = time.perf_counter()
        self._done_at_start = complete_runs(self.sweep_dir)
        self._last_done = -1

    def start(self) -> SweepProgress:
        if self.enabled:
            self._thread = threading.Thread(target=self._watch, name="sweep-progress", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching and show the final count (on its own line)."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        self._show(final=True)

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self._show()

    def _show(self, final: bool = False) -> None:
        done = complete_runs(self.sweep_dir)
        if not self.in_place and done == self._last_done:
            return
        self._last_done = done
        line = status_line(done, self.total, self._done_at_start, time.perf_counter() - self._start)
        if self.in_place:
            # Redraw the line (erasing the rest of it) and leave the cursor at its start, so that
            # a job's log line written meanwhile replaces it instead of running on after it.
            self.stream.write(f"\r{line}{_ERASE_LINE_END}" + ("\n" if final else "\r"))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
