"""The validation tables: one for the terminal, and a Markdown page (``docs/validation.md``).

The Markdown page holds the table the README copies, how the facts are judged, and per fact
its finding, source, prediction, figure, threshold with where it comes from, the figure on each
seed and the settings run.
"""

from __future__ import annotations

import math

from sim.validation.evaluate import Outcome
from sim.validation.runner import RunSet
from sim.validation.settings import COMMON
from sim.validation.spec import Threshold
from sim.words import counted

__all__ = [
    "format_value",
    "format_threshold",
    "format_measured",
    "short_source",
    "summary",
    "terminal_table",
    "markdown_table",
    "markdown_page",
]


def format_value(x: float, unit: str, digits: int) -> str:
    """A figure as the tables show it: a share in %, a lift as a signed %, a ratio as 1.23x."""
    if math.isnan(x):
        return "n/a"
    if unit == "share":
        return f"{100 * x:.{digits}f}%"
    if unit == "lift":
        return f"{100 * x:+.{digits}f}%"
    return f"{x:.{digits}f}x"


def format_threshold(t: Threshold, unit: str, digits: int) -> str:
    """``21.0% to 23.0%``, ``> 1.00x``, ``>= 3.00x``, ``< 50.0%``."""
    low, high = (format_value(v, unit, digits) for v in (t.low, t.high))
    if math.isinf(t.low) and math.isinf(t.high):
        return "any"
    if math.isinf(t.high):
        return f"{'>' if t.strict else '>='} {low}"
    if math.isinf(t.low):
        return f"{'<' if t.strict else '<='} {high}"
    return f"{low} to {high}" + (" (ends excluded)" if t.strict else "")


def format_measured(o: Outcome) -> str:
    """The mean with its 95% interval: ``22.4% [22.3%, 22.5%]`` (one seed: the value alone)."""
    f = o.fact
    if math.isnan(o.mean):
        return "no figure"
    mean = format_value(o.mean, f.unit, f.digits)
    if math.isnan(o.low):
        return mean
    return f"{mean} [{format_value(o.low, f.unit, f.digits)}, {format_value(o.high, f.unit, f.digits)}]"


def short_source(citation: str) -> str:
    """The first source's authors and year, ``Bhagat et al. (2018)`` for three authors or more."""
    authors, _, rest = citation.partition(" (")
    year = rest.partition(")")[0]
    if "," in authors:  # "A, B & C": three or more authors
        authors = authors.split(",")[0] + " et al."
    return f"{authors} ({year})" if year else authors


def summary(outcomes: list[Outcome]) -> str:
    """One line: how many facts the model reproduces, and which it misses."""
    missed = [o.fact.id for o in outcomes if not o.passed]
    line = f"{len(outcomes) - len(missed)} of {len(outcomes)} facts reproduced"
    return line + (f"; missed: {', '.join(missed)}" if missed else "")


def terminal_table(outcomes: list[Outcome]) -> str:
    """A plain-text table: fact, source, threshold, measured [95% interval], result."""
    header = ("fact", "source", "threshold", "measured [95% interval]", "result")
    rows = [
        (
            o.fact.id,
            short_source(o.fact.citation),
            format_threshold(o.fact.threshold, o.fact.unit, o.fact.digits),
            format_measured(o),
            o.result,
        )
        for o in outcomes
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def markdown_table(outcomes: list[Outcome]) -> str:
    """The Markdown table the README copies: one row per fact."""
    out = [
        "| fact | published finding | source | the model's prediction | threshold | measured [95% interval] | result |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        f = o.fact
        result = "**passed**" if o.passed else o.result
        out.append(
            f"| `{f.id}` | {f.finding} | {f.citation} | {f.prediction} | "
            f"{format_threshold(f.threshold, f.unit, f.digits)} | {format_measured(o)} | {result} |"
        )
    return "\n".join(out)


def _details(o: Outcome, runs: RunSet) -> list[str]:
    f = o.fact
    per_seed = ", ".join(
        f"{seed}: {format_value(v, f.unit, f.digits + 1)}" for seed, v in zip(runs.scale.seeds, o.values)
    )
    lines = [
        f"### `{f.id}` ({f.area}): {o.verdict}",
        "",
        f"- **Published finding**: {f.finding}",
        f"- **Source**: {f.citation}",
        f"- **Prediction**: {f.prediction}",
        f"- **Figure**: {f.figure.describe()}",
        f"- **Threshold**: {format_threshold(f.threshold, f.unit, f.digits)}: {f.basis}",
        f"- **Measured**: {format_measured(o)} over {o.seeds} seeds (per seed {per_seed})"
        + (f"; {o.reason}" if o.reason else ""),
        "- **Settings**: "
        + "; ".join(f"`{s.name}` ({s.about}, {s.horizon_days} days): `{' '.join(s.overrides)}`" for s in f.settings),
    ]
    if f.note:
        lines.append(f"- **Note**: {f.note}")
    return lines + [""]


PAGE_MARK = "Generated by `make validate` (`prepersona-validate"
"""The start of the page's second paragraph: a file holding it was written by this command."""


def markdown_page(outcomes: list[Outcome], runs: RunSet, when: str) -> str:
    """The whole ``docs/validation.md``: the table, the method, and every fact in detail."""
    scale = runs.scale
    settings = len(runs.metrics)
    shared = " ".join((*COMMON, f"population.size={scale.customers}", "threads=1"))
    lines = [
        "# Validation against published findings",
        "",
        f"{PAGE_MARK} --out docs/validation.md`; the same as "
        "`python -m sim.validation`). Do not edit by hand: run it again.",
        "",
        f"Run {when}: {counted(len(outcomes), 'fact')}, {counted(settings, 'setting')} x "
        f"{counted(len(scale.seeds), 'seed')} "
        f"({runs.count} runs of {scale.customers:,} customers), {runs.jobs} parallel jobs: "
        f"{runs.wall_seconds:.0f} s wall, {runs.cpu_seconds:.0f} s of CPU.",
        "",
        f"**{summary(outcomes)}.**",
        "",
        markdown_table(outcomes),
        "",
        "## How a fact is judged",
        "",
        "- Each fact is a published finding and a prediction about the model: a figure computed from the "
        "`metrics.json` of one or more settings (config overrides and a horizon), and a threshold, the "
        "published figure's range, fixed in `sim/validation/facts.py` before any run. A sampling tolerance "
        "is added only to survey figures of known sample size, and the fact says so. A threshold is never "
        "moved to make a fact pass; a fact the model misses stays in the table as missed.",
        f"- Every setting runs on the same seeds ({', '.join(map(str, scale.seeds))}): two settings of one "
        "seed share the population and the customers' random numbers, so a ratio or difference is computed "
        "seed by seed and its interval is a paired interval.",
        "- **passed**: the whole 95% t-interval of the mean over seeds (mean +/- t(0.975, n-1) sd / sqrt(n)) "
        'lies inside the threshold. A direction ("> 1.00x") must be clear of no effect, a level clear of '
        "the range's ends. **missed**: otherwise, with the reason below.",
        f"- Every run also has `{shared}` and its seed (no customer-equity tail: no fact reads it).",
        "",
        "## The facts",
        "",
    ]
    for o in outcomes:
        lines += _details(o, runs)
    return "\n".join(lines).rstrip() + "\n"
