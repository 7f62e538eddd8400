"""``prepersona-validate`` (and ``python -m sim.validation``): run the published stylized facts.

Prints the table of facts (threshold, measured figure with its 95% interval, passed or missed)
and, with ``--out FILE``, writes the Markdown page (``make validate`` writes
``docs/validation.md``).  Exit status 0 whether or not facts are missed (the table says which);
2 with one line on stderr for a bad option, before anything runs; 1 with one line when one of
the suite's own settings is not a valid config.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from sim.safety.failures import interrupts, one_line_on_interrupt
from sim.safety.outputs import why_unwritable, write_text_atomic
from sim.validation.evaluate import evaluate
from sim.validation.facts import FACTS, fact_ids
from sim.validation.runner import FULL, QUICK, SettingFailed, run_settings, settings_of
from sim.validation.table import PAGE_MARK, markdown_page, summary, terminal_table
from sim.words import counted

__all__ = ["main", "PROG"]

PROG = "prepersona-validate"


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr (no usage block) and exit status 2."""

    def error(self, message: str):
        print(f"{PROG}: error: {message}", file=sys.stderr)
        sys.exit(2)


class BadOption(Exception):
    """An option value that is not allowed; the message names the option, the value and what is allowed."""


def _parser() -> argparse.ArgumentParser:
    p = _OneLineParser(prog=PROG, description="Check the model against published stylized facts and print the table.")
    p.add_argument(
        "--only",
        metavar="ID[,ID...]",
        action="append",
        default=[],
        help="run only these facts (repeatable or comma-separated); default: all",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run: {QUICK.customers:,} customers and {len(QUICK.seeds)} seeds instead of "
        f"{FULL.customers:,} and {len(FULL.seeds)} (too noisy to judge the model)",
    )
    p.add_argument(
        "--out", metavar="FILE", help="also write the Markdown page to FILE (make validate: docs/validation.md)"
    )
    p.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        default=None,
        help="runs at once, one core each (default: the usable cores)",
    )
    return p


def _selected(only: list[str]) -> list:
    """The facts named by ``--only`` (all without it), in the suite's order."""
    if not only:
        return list(FACTS)
    wanted = [i.strip() for item in only for i in item.split(",") if i.strip()]
    known = fact_ids()
    for fact_id in wanted:
        if fact_id not in known:
            raise BadOption(f"--only={fact_id} is not allowed: no such fact; available: {', '.join(known)}")
    if not wanted:
        raise BadOption("--only= is not allowed: name at least one fact")
    return [f for f in FACTS if f.id in wanted]


def _check_out(out: str | None) -> Path | None:
    if out is None:
        return None
    path = Path(out)
    if path.is_dir():
        raise BadOption(f"--out={out} is not allowed: it is a directory; give a file name")
    if not path.parent.resolve().is_dir():
        raise BadOption(f"--out={out} is not allowed: the directory {path.parent} does not exist")
    why = why_unwritable(path.parent)
    if why:  # found now, not after the hour the runs take
        raise BadOption(f"--out={out} is not allowed: the directory {path.parent} cannot be written ({why})")
    if path.exists() and not _written_here(path):
        raise BadOption(
            f"--out={out} is not allowed: the file exists and was not written by {PROG}; give a new file "
            "(nothing was changed)"
        )
    return path


def _written_here(path: Path) -> bool:
    """Whether ``path`` holds a validation page (which this command may write again)."""
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(2000)
    except (OSError, UnicodeDecodeError):
        return False
    return PAGE_MARK in head


def _check_jobs(jobs: int | None) -> int:
    from sim.sweep.parallel import usable_cores

    if jobs is None:
        return usable_cores()
    if jobs < 1:
        raise BadOption(f"--jobs={jobs} is not allowed: at least 1")
    return jobs


def _progress(done: int, total: int) -> None:
    # On a terminal the count updates in place; in a log it would be noise.
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\r{PROG}: {done}/{total} runs done", end=end, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point; exits 0 after a run (facts passed or missed), 2 on a bad option, 130 on
    Ctrl-C and 143 on SIGTERM (one line; the page is written only at the end, whole)."""
    with one_line_on_interrupt(PROG, "nothing was written"):
        _main(argv)


def _main(argv: list[str] | None) -> None:
    args = _parser().parse_args(argv)
    try:
        facts = _selected(args.only)
        out = _check_out(args.out)
        jobs = _check_jobs(args.jobs)
    except BadOption as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    scale = QUICK if args.quick else FULL
    settings = settings_of(facts)
    jobs = min(jobs, len(settings) * len(scale.seeds))
    print(
        f"{PROG}: {counted(len(facts), 'fact')}, {counted(len(settings), 'setting')} x "
        f"{counted(len(scale.seeds), 'seed')} of "
        f"{scale.customers:,} customers, {jobs} at once",
        file=sys.stderr,
        flush=True,
    )
    try:
        runs = run_settings(settings, scale, jobs=jobs, progress=_progress)
    except SettingFailed as exc:  # the suite's own settings are wrong: not the user's input
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        sys.exit(1)
    outcomes = evaluate(facts, runs)
    print(terminal_table(outcomes))
    print(
        f"\n{summary(outcomes)} ({runs.count} runs, {scale.name} scale: {runs.wall_seconds:.0f} s wall, "
        f"{runs.cpu_seconds:.0f} s of CPU)"
    )
    if out is not None:
        when = datetime.date.today().isoformat()
        interrupts.defer()  # the page is written whole, and the command ends as it would
        write_text_atomic(out, markdown_page(outcomes, runs, when))
        print(f"written: {out}")
