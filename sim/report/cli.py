"""``prepersona-report DIR [--baseline NAME]`` (and ``python -m sim.report``): write a sweep's report.

Prints the path of ``report.html``. A directory that does not exist or holds no complete run
gives one line on stderr and exit status 2; nothing in the directory is changed then. A report
that cannot be written (a read-only directory) gives one line and exit status 1.
"""

from __future__ import annotations

import argparse
import sys

from sim.report.collect import NoCompleteRuns
from sim.report.write import write_report

__all__ = ["main"]

PROG = "prepersona-report"


def main(argv: list[str] | None = None) -> None:
    """Entry point; exits with status 0 on success, 2 on a directory without complete runs, 1 when
    the report cannot be written."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Write the workshop report (tables, charts, report.html) of a sweep directory."
    )
    parser.add_argument("dir", help="a sweep directory: run directories (with .hydra/ and metrics.json) below it")
    parser.add_argument(
        "--baseline",
        default="none",
        help="setting or strategy the paired differences are taken against (default: none)",
    )
    args = parser.parse_args(argv)
    try:
        path = write_report(args.dir, baseline=args.baseline)
    except NoCompleteRuns as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except OSError as exc:  # e.g. a read-only sweep directory
        print(f"{PROG}: error: cannot write the report into {args.dir}: {exc}", file=sys.stderr)
        sys.exit(1)
    print(path)
