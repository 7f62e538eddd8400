"""What the report refuses: input it cannot turn into an honest page. Each is one line for the user.

Every error here is a :class:`ReportError`; ``prepersona-report`` prints its message on one line
and exits with status 2, and the end of a sweep prints it instead of the report's path.
"""

from __future__ import annotations

__all__ = ["ReportError", "NoCompleteRuns", "MixedConfigs", "UnknownBaseline", "NotTheReportsFile"]


class ReportError(ValueError):
    """The sweep directory or the report's options cannot give a report; the message says why."""


class NoCompleteRuns(ReportError):
    """The directory holds no complete run (no run directory with a ``metrics.json``)."""


class MixedConfigs(ReportError):
    """Runs that would be averaged as one setting, or compared as settings, have different configs
    (another population size, another horizon): the message names the key and both values."""


class UnknownBaseline(ReportError):
    """``--baseline`` or ``experiment.baseline`` names no setting of the sweep; the message lists them."""


class NotTheReportsFile(ReportError):
    """In a directory prepersona did not make, a file the report would write exists and was not
    written by an earlier report (:mod:`sim.report.ownership`): the message names it."""
