"""One line for every failure a user can cause or meet while a run is under way.

The preflight refuses bad input before anything runs; this module covers what happens after:
a full disk, a result that is not finite, a behavior that raises, Ctrl-C and SIGTERM.  Each
becomes one line on stderr (and, for a run, a ``failure.txt`` in its directory with the whole
traceback for whoever debugs it), never a traceback on the terminal.
"""

from __future__ import annotations

import contextlib
import errno
import re
import shlex
import signal
import sys
import traceback
from pathlib import Path

from sim.errors import ConfigError
from sim.safety.finite import NotFinite

__all__ = [
    "FAILURE_FILE",
    "Terminated",
    "describe",
    "record_failure",
    "resume_command",
    "interrupts",
    "one_line_on_interrupt",
]

FAILURE_FILE = "failure.txt"
"""Written into a run directory whose run failed: the one-line reason, then the traceback."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that a sweep's launcher stops its jobs the same way."""


class _Interrupts:
    """Ctrl-C (SIGINT) and SIGTERM, raised only where stopping is clean.

    A signal raises its exception wherever the main thread happens to be.  Inside Hydra's and
    OmegaConf's composition that can leave a half-built config whose clean-up raises another
    error, which Hydra then prints as a traceback.  So :func:`sim.app.main` *defers* them while
    it checks the command and while Hydra composes: a signal then only marks itself pending,
    and :meth:`checkpoint` raises it at the next safe point (between two jobs of the preflight,
    when a job starts).  Once jobs run, signals are raised at once: a run stops, a launcher
    stops its workers, and ``main`` prints one line.
    """

    def __init__(self) -> None:
        self.installed = False
        self.deferring = False
        self.pending: int | None = None

    def install(self) -> None:
        """Handle SIGINT and SIGTERM in this process from now on, deferring them."""
        self.installed, self.deferring, self.pending = True, True, None
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        if self.deferring:
            self.pending = signum
            return
        raise self._exception(signum)

    @staticmethod
    def _exception(signum: int) -> KeyboardInterrupt:
        return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()

    def checkpoint(self) -> None:
        """Raise a pending signal's exception (a safe point)."""
        if self.pending is not None:
            signum, self.pending = self.pending, None
            raise self._exception(signum)

    def allow(self) -> None:
        """Raise signals at once from now on (and a pending one now)."""
        self.deferring = False
        self.checkpoint()

    def defer(self) -> None:
        """Defer signals again (in the process that installed the handlers)."""
        if self.installed:
            self.deferring = True

    @contextlib.contextmanager
    def held(self):
        """Signals deferred inside the block (a few steps that must happen together, such as
        moving a report's files into place); then handled as before the block, a signal that
        came meanwhile raised at its end if signals were being raised."""
        before = self.deferring
        self.defer()
        try:
            yield
        finally:
            self.deferring = before
            if not before:
                self.checkpoint()


interrupts = _Interrupts()
"""The process's handling of Ctrl-C and SIGTERM (see :class:`_Interrupts`)."""


@contextlib.contextmanager
def one_line_on_interrupt(prog: str, consequence: str):
    """A command that does its work in this process: Ctrl-C and SIGTERM are raised at once, and
    end it with one line on stderr, ``PROG: interrupted; CONSEQUENCE`` (``terminated`` for
    SIGTERM), and exit status 130 (143)."""
    interrupts.install()
    interrupts.allow()
    try:
        yield
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        print(f"\n{prog}: {'terminated' if terminated else 'interrupted'}; {consequence}", file=sys.stderr)
        raise SystemExit(143 if terminated else 130) from None


def describe(exc: BaseException, where: Path | str | None = None) -> str:
    """One line saying what went wrong, for the user (no traceback); ``where`` is the directory
    being written, named when the error does not name a file itself."""
    if isinstance(exc, NotFinite):
        return f"{exc}; the run is not complete"
    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "out of memory (a smaller population.size, catalog.items or output.journeys would fit)"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else (f" into {where}" if where else "")
        what = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            return f"cannot write{where}: {what} (the disk is full; free space, then run the same command again)"
        return f"cannot write{where}: {what}"
    text = re.sub(r"\s+", " ", str(exc)).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def record_failure(out_dir: Path | str, line: str, exc: BaseException) -> Path | None:
    """Write ``failure.txt`` (the line, then the traceback) into ``out_dir``; best effort (a
    full disk may refuse it too).  Returns its path, or None when it could not be written."""
    path = Path(out_dir) / FAILURE_FILE
    try:
        text = line + "\n\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        path.write_text(text, encoding="utf-8")
    except OSError:
        try:
            path.unlink(missing_ok=True)  # no half-written record
        except OSError:
            pass
        return None
    return path


_SIMPLE = re.compile(r"^[\w@%+=:,./~-]+$")


def resume_command(argv: list[str], dir_key: str | None, out_dir: str | None) -> str:
    """The command that finishes an interrupted run or sweep: the same arguments, writing into
    the same directory (``dir_key=out_dir``), quoted for a shell."""
    args = [a for a in argv if not (dir_key and a.split("=", 1)[0].lstrip("+") == dir_key)]
    if dir_key and out_dir is not None:
        value = out_dir if _SIMPLE.match(out_dir) else "'" + out_dir.replace("\\", "\\\\").replace("'", "\\'") + "'"
        args.append(f"{dir_key}={value}")
    return shlex.join(["prepersona", *args])
