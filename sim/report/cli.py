"""``prepersona-report DIR [--baseline NAME] [--template FILE]`` (and ``python -m sim.report``): write a sweep's report.

Prints the path of ``report.html``. Input the report cannot use gives one line on stderr and exit
status 2, and nothing in the directory is changed: a directory that does not exist or holds no
complete run, a baseline that names no setting, runs of one setting with different configs, a
template that does not render. A report that cannot be written (a read-only directory) gives
one line and exit status 1; Ctrl-C and SIGTERM, one line and 130 or 143, with nothing changed.
"""

from __future__ import annotations

import argparse
import sys

import jinja2

from sim.report.errors import ReportError
from sim.report.write import write_report
from sim.safety.failures import one_line_on_interrupt

__all__ = ["main"]

PROG = "prepersona-report"


def main(argv: list[str] | None = None) -> None:
    """Entry point; exits with status 0 on success, 2 on input the report cannot use, 1 when the
    report cannot be written."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Write the workshop report (tables, charts, report.html) of a sweep directory."
    )
    parser.add_argument("dir", help="a sweep directory: run directories (with .hydra/ and metrics.json) below it")
    parser.add_argument(
        "--baseline",
        default=None,
        help="the setting every setting is compared with: a label, a strategy, or key=value overrides "
        "(default: the experiment's experiment.baseline, else the strategy none)",
    )
    parser.add_argument(
        "--template", default=None, help="a page template to use instead of the shipped one (a branded copy)"
    )
    args = parser.parse_args(argv)
    with one_line_on_interrupt(PROG, f"nothing was changed in {args.dir}"):  # written whole or not at all
        try:
            path = write_report(args.dir, baseline=args.baseline, template=args.template)
        except ReportError as exc:
            _fail(str(exc), 2)
        except jinja2.TemplateError as exc:
            where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
            _fail(f"--template {args.template or '(shipped)'}: cannot render it{where}: {exc}", 2)
        except OSError as exc:  # e.g. a read-only sweep directory
            _fail(f"cannot write the report into {args.dir}: {exc}", 1)
    print(path)


def _fail(message: str, status: int) -> None:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    sys.exit(status)
