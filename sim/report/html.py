"""The workshop report as one self-contained HTML page, rendered from a Jinja2 template.

:func:`page_context` turns a sweep's summary into plain data (the answer, the facts, tables as
rows of cells, charts, stories); :func:`render_report` renders it with the page template,
``report.html.j2`` next to this module, or a team's own copy of it (``--template``). The
template holds all of the page's markup, styling and fixed text, so a team can brand it (colours,
fonts, logo, order of sections) without touching the code. Jinja2 escapes every value from a
sweep (labels, segment names, stories); only the charts' SVG is inserted as is.

Everything is inline: CSS in a ``<style>`` element, charts as ``<svg>`` elements, no script, no
font, image or stylesheet from anywhere, no link that leaves the page. Opening the file makes no
network request.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np
from markupsafe import Markup

from sim.report.answer import TRUST, answer
from sim.report.charts import Chart
from sim.report.collect import WORLD_VALUES
from sim.report.fmt import fmt_lift, fmt_pm, fmt_seeds_needed, fmt_value, unit_of
from sim.report.intervals import mean_interval
from sim.report.nested import get_dotted
from sim.report.planning import ASSUMPTION, POWER
from sim.report.stories import Story
from sim.report.tables import MONEY, SettingSummary, Summary, metric_name

__all__ = ["render_report", "page_context", "TEMPLATE", "Cell", "Table", "RANKING_COLUMNS", "CHANNEL_COUNTERS"]

TEMPLATE = Path(__file__).with_name("report.html.j2")
"""The page template shipped with the package."""

RANKING_COLUMNS = (
    "value",
    "revenue",
    "margin",
    TRUST,
    "optout_share_email",
    "churned_share",
    "persofails",
    "creepy_touches",
)
"""The ranking table's metric columns, in order (those the runs lack, or that are 0 everywhere,
are left out); the ranking metric comes first."""

COLUMN_NAMES = {
    TRUST: "trust at the end",
    "optout_share_email": "email opt-outs",
    "churned_share": "churned",
    "persofails": "persofails",
    "creepy_touches": "creepy touches",
}

CHANNEL_COUNTERS: dict[str, dict[str, str]] = {
    "email": {"sends": "sent", "opens": "opened", "clicks": "clicked"},
    "push": {"sends": "sent", "opens": "read", "clicks": "tapped"},
    "ads": {"sends": "served", "opens": "noticed", "clicks": "clicked"},
    "": {
        "optouts": "opted out",
        "optout_share": "opt-out share",
        "consent_start": "consented at the start",
        "suppressed_by_cap": "held back by a cap",
        "deferred_by_quiet_hours": "waited out quiet hours",
        "dropped_by_quiet_hours": "dropped in quiet hours",
    },
}
"""Human labels of the per-channel counters (``channels.<channel>.<counter>`` in metrics.json):
channel-specific words first, then the words every channel shares."""
CHANNEL_NAMES = {"email": "Email", "push": "Push notifications", "ads": "Ads"}


@dataclass
class Cell:
    """One table cell: ``main`` text, smaller ``subs`` lines below it, a CSS class, bold or not."""

    main: str
    subs: list[str] = field(default_factory=list)
    cls: str = ""
    strong: bool = False


@dataclass
class Table:
    """A table for the template: header texts and rows of cells (the first cell names the row)."""

    columns: list[str]
    rows: list[list[Cell]]
    id: str = ""
    note: str = ""


def render_report(
    summary: Summary,
    charts: list[Chart],
    stories: dict[str, list[Story]],
    tables: list[str],
    now: _dt.datetime | None = None,
    seed: int | None = None,
    followed: tuple[int, dict[str, str]] | None = None,
    template: Path | str | None = None,
    robust: dict | None = None,
    search: dict | None = None,
) -> str:
    """The whole page as a string.

    ``stories`` maps a setting's label to its stories, all from runs with seed ``seed`` (None:
    each setting's lowest seed); ``followed`` is one customer number and its story per setting
    label; ``tables`` names the table files written next to the report; ``now`` is the time
    printed as the report's date (default: now); ``template`` a page template to use instead of
    :data:`TEMPLATE`; ``search`` the section on a search (:func:`sim.report.search.search_section`).

    Raises
    ------
    jinja2.TemplateError
        The template does not parse or fails to render (the message names its line).
    """
    path = Path(template) if template else TEMPLATE
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(path.parent)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name in a team's template fails loudly
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    context = page_context(summary, charts, stories, tables, now=now, seed=seed, followed=followed, robust=robust)
    context["search"] = _search(search)
    return env.get_template(path.name).render(**context)


def page_context(
    summary: Summary,
    charts: list[Chart],
    stories: dict[str, list[Story]],
    tables: list[str],
    now: _dt.datetime | None = None,
    seed: int | None = None,
    followed: tuple[int, dict[str, str]] | None = None,
    robust: dict | None = None,
) -> dict:
    """Everything the template shows, as plain data (see ``report.html.j2`` for how it is used);
    ``robust`` is the "Across plausible worlds" section (:func:`sim.report.robust.robust_context`)."""
    now = now or _dt.datetime.now().astimezone()
    the_answer = answer(summary)
    ranking, dropped = _ranking(summary)
    bases = sorted({s.baseline for s in summary.settings if s.baseline})
    return {
        "sweep_name": summary.sweep.root.name or str(summary.sweep.root),
        "answer": the_answer,
        "facts": _facts(summary, now, tables),
        "warnings": _warnings(summary),
        "baseline": bases[0] if len(bases) == 1 else summary.baseline.name,
        "baseline_found": summary.baseline_found,
        "rank_metric": metric_name(summary.rank_metric),
        "rank_is_value": summary.rank_metric == "value",
        "currency": summary.currency,
        "ranking": ranking,
        "dropped": dropped,
        "channels": _channels(summary),
        "behaviors": _behaviors(summary),
        "planning": _planning(summary),
        "power": f"{100 * POWER:.0f}%",
        "assumption": ASSUMPTION,
        "charts": [chart_context(c) for c in charts],
        "stories": [
            {
                "label": s.label,
                "is_baseline": s.is_baseline,
                "baseline": s.baseline,
                "stories": stories.get(s.label, []),
            }
            for s in summary.settings
        ],
        "story_seed": seed,
        "followed": _followed(summary, followed),
        "robust": robust,
    }


def chart_context(chart: Chart) -> dict:
    """A :class:`sim.report.charts.Chart` as the template shows it: its SVG inline, its PNG by name."""
    return {
        "name": chart.name,
        "title": chart.title,
        "caption": chart.caption,
        "svg": Markup(chart.svg),
        "png": chart.png.name,
    }


# ---------------------------------------------------------------------------------- sections
def _seeds_fact(runs, replicates: list) -> tuple[str, str, bool]:
    """The "seeds" row of "What was run"; in a sweep over plausible worlds, worlds × seeds."""
    worlds = sorted({r.world for r in runs if r.world is not None})
    if not worlds:
        return ("seeds", f"{len(replicates)}: {', '.join(map(str, replicates))}", False)
    seeds = sorted({r.seed for r in runs})
    text = f"{len(worlds)} plausible worlds × {len(seeds)} seed{_s(len(seeds))} ({', '.join(map(str, seeds))})"
    return ("worlds and seeds", text, False)


def _uncertain_fact(runs) -> list[tuple[str, str, bool]]:
    """The "uncertain parameters" row of "What was run" in a sweep over plausible worlds: how the
    worlds were drawn and each parameter's prior (its span across the worlds for runs that do
    not record their priors)."""
    worlded = [r for r in runs if r.world is not None]
    if not worlded:
        return []
    first = worlded[0]
    keys = [k[len(WORLD_VALUES) :] for k in first.metrics if k.startswith(WORLD_VALUES)]
    parts = []
    for key in keys:
        prior = first.info.get(f"world.priors.{key}")
        if prior is None:
            seen = [float(r.metrics[WORLD_VALUES + key]) for r in worlded if WORLD_VALUES + key in r.metrics]
            prior = f"{min(seen):.3g} to {max(seen):.3g} across the worlds"
        parts.append(f"{key} {prior}")
    design = {"sobol": "a scrambled Sobol design", "lhs": "a Latin hypercube"}.get(
        str(get_dotted(first.config, "uncertainty.design")), "a design"
    )
    seed = get_dotted(first.config, "uncertainty.seed")
    priors = "its prior" if len(keys) == 1 else "their priors"
    how = f"drawn from {priors} by {design}" + (f" (uncertainty.seed {seed})" if seed is not None else "")
    return [("uncertain parameters", f"{len(keys)}, {how}: " + "; ".join(parts), False)]


def _search(section: dict | None) -> dict | None:
    """The search's section with its chart's SVG marked safe to inline."""
    if section is None or section.get("chart") is None:
        return section
    return {**section, "chart": {**section["chart"], "svg": Markup(section["chart"]["svg"])}}


def _facts(summary: Summary, now: _dt.datetime, tables: list[str]) -> list[tuple[str, str, bool]]:
    """(name, text, is code) rows of "What was run"."""
    sweep = summary.sweep
    runs = sweep.runs

    def values(get) -> str:
        return ", ".join(sorted({get(r) for r in runs}))

    seeds = summary.seeds
    b = summary.baseline
    if b.found:
        bases = sorted({s.baseline for s in summary.settings if s.baseline})
        where = {
            "--baseline": f"named by --baseline “{b.name}”",
            "experiment.baseline": f"named by experiment.baseline “{b.name}”",
            "default": f"the default, the strategy {b.name}",
        }
        baseline = f"{', '.join(bases)} ({where[b.source]})"
    else:
        baseline = f"none: no setting is the strategy “{b.name}”, so nothing is paired"
    facts = [
        ("sweep directory", str(sweep.root.resolve()), True),
        *([("command", sweep.command, True)] if sweep.command else []),
        (
            "population",
            values(lambda r: f"{r.info.get('population', '?')}, {_int(r.metrics.get('customers'))} customers"),
            False,
        ),
        ("horizon", values(lambda r: f"{_int(r.metrics.get('horizon_days'))} days"), False),
        ("campaign", values(lambda r: r.info.get("campaign", "?")), False),
        ("settings compared", f"{len(summary.settings)}: " + "; ".join(s.label for s in summary.settings), False),
        _seeds_fact(runs, seeds),
        *_uncertain_fact(runs),
        ("complete runs", f"{len(runs)}", False),
        ("baseline", baseline, False),
        ("ranked by", metric_name(summary.rank_metric) + _rank_reason(summary), False),
        ("report written", now.strftime("%Y-%m-%d %H:%M %Z").strip(), False),
        ("tables", ", ".join(tables) + " (next to this report); PNG charts in report_charts/", False),
    ]
    return facts


def _rank_reason(summary: Summary) -> str:
    if summary.rank_metric == "value":
        return " (margin plus the value of the customers kept)"
    if summary.rank_metric == "margin":
        return " (the runs report no value, so the margin ranks)"
    return " (the runs report neither value nor margin)"


def _warnings(summary: Summary) -> list[str]:
    sweep = summary.sweep
    out = []
    if sweep.incomplete:
        out.append(f"{sweep.incomplete} run{_s(sweep.incomplete)} incomplete (no metrics.json), not counted.")
    if sweep.duplicates:
        out.append(
            f"{sweep.duplicates} run{_s(sweep.duplicates)} repeating a setting and seed already counted, "
            "not counted again."
        )
    if sweep.unreadable:
        out.append(f"{len(sweep.unreadable)} unreadable: " + "; ".join(sweep.unreadable))
    if sweep.stale:
        out.append(
            f"{len(sweep.stale)} complete run{_s(len(sweep.stale))} of another config left out: "
            + "; ".join(sweep.stale)
        )
    if len(summary.seeds) < 2:
        out.append("Only one seed: there is no spread to estimate, so no interval is given.")
    return out


def _ranking(summary: Summary) -> tuple[Table, list[str]]:
    """The ranking table, and the names of the metric columns left out for being 0 in every run."""
    present = set(summary.metrics)
    metrics = [summary.rank_metric] + [m for m in RANKING_COLUMNS if m != summary.rank_metric and m in present]
    dropped = [m for m in metrics if all(s.mean[m].mean == 0 for s in summary.settings)]
    metrics = [m for m in metrics if m not in dropped]
    columns = ["#", "setting"] + [_header(m, summary.currency) for m in metrics]
    rows = []
    for rank, s in enumerate(summary.settings, 1):
        who = [_runs_of(s)] + (["baseline"] if s.is_baseline else [])
        row = [Cell(str(rank)), Cell(s.label, who, cls="name")]
        row += [_metric_cell(s, m, summary.currency) for m in metrics]
        rows.append(row)
    return Table(columns, rows, id="ranking-table"), [COLUMN_NAMES.get(m, metric_name(m)) for m in dropped]


def _runs_of(s: SettingSummary) -> str:
    """What a setting's mean is over, for its row: "3 seeds", or "8 worlds × 2 seeds"."""
    worlds = {r.world for r in s.runs if r.world is not None}
    if not worlds:
        return f"{len(s.runs)} seed{_s(len(s.runs))}"
    seeds = {r.seed for r in s.runs}
    return f"{len(worlds)} world{_s(len(worlds))} × {len(seeds)} seed{_s(len(seeds))}"


def _header(metric: str, currency: str) -> str:
    name = COLUMN_NAMES.get(metric, metric_name(metric))
    unit = unit_of(metric, currency)
    return f"{name}, {unit}" if unit and unit != "%" else name


def _metric_cell(s: SettingSummary, m: str, currency: str) -> Cell:
    """The mean; below it the paired difference ± its half-width (bold when its interval
    excludes zero) and, for money, the lift in % of the baseline."""
    main = fmt_value(s.mean[m].mean, m)
    d = s.diff.get(m)
    if d is None:  # the baseline itself, or no baseline: the spread of the mean over seeds
        iv = s.mean[m]
        return Cell(main, [] if math.isnan(iv.low) else [_half_width(iv, m)])
    subs = [_breakable(f"Δ {fmt_pm(d, m, signed=True)}")]
    if m in MONEY and s.lift.get(m) is not None and not math.isnan(s.lift[m].mean):
        subs.append(_breakable(fmt_lift(s.lift[m])))
    return Cell(main, subs, strong=d.excludes_zero)


def _channels(summary: Summary) -> list[Table]:
    """A table per channel (``channels.<channel>.<counter>``), in words; counters 0 everywhere left out."""
    keys = sorted({k for s in summary.settings for r in s.runs for k in r.metrics if k.startswith("channels.")})
    by_channel: dict[str, list[str]] = {}
    for k in keys:
        _, channel, counter = k.split(".", 2)
        by_channel.setdefault(channel, []).append(counter)
    out = []
    known = [c for c in CHANNEL_NAMES if c in by_channel]
    for channel in known + sorted(c for c in by_channel if c not in known):
        counters = by_channel[channel]
        sends = [s.values(f"channels.{channel}.sends") for s in summary.settings]
        if "sends" in counters and not any(np.nansum(v) for v in sends):
            continue  # a channel no setting used: nothing to tell

        words = {**CHANNEL_COUNTERS[""], **CHANNEL_COUNTERS.get(channel, {})}
        order = list(CHANNEL_COUNTERS.get(channel, {})) + [
            c for c in CHANNEL_COUNTERS[""] if c not in ("optout_share",)
        ]
        order += ["optout_share"] + sorted(c for c in counters if c not in words)
        cols = [c for c in order if c in counters]
        stats = {c: [mean_interval(s.values(f"channels.{channel}.{c}")) for s in summary.settings] for c in cols}
        cols = [c for c in cols if not all(iv.mean == 0 or math.isnan(iv.mean) for iv in stats[c])]
        if not cols:
            continue
        metric_of = {c: "share" if c.endswith("share") else c for c in cols}
        rows = [
            [Cell(s.label, cls="name")] + [_mean_cell(stats[c][i], metric_of[c]) for c in cols]
            for i, s in enumerate(summary.settings)
        ]
        out.append(
            Table(
                ["setting"] + [words.get(c, c.replace("_", " ")) for c in cols],
                rows,
                id=f"channel-{channel}",
                note=CHANNEL_NAMES.get(channel, channel),
            )
        )
    return out


def _behaviors(summary: Summary) -> Table | None:
    """The behaviors' own metrics (``behaviors.<name>.<metric>``): mean ± and the paired difference."""
    metrics = [m for m in summary.metrics if m.startswith("behaviors.")]
    if not metrics:
        return None
    rows = []
    for s in summary.settings:
        row = [Cell(s.label, cls="name")]
        for m in metrics:
            cell = _mean_cell(s.mean[m], m)
            if m in s.diff:
                cell.subs.append(_breakable(f"Δ {fmt_pm(s.diff[m], m, signed=True)}"))
                cell.strong = s.diff[m].excludes_zero
            row.append(cell)
        rows.append(row)
    return Table(["setting"] + [metric_name(m) for m in metrics], rows, id="behaviors-table")


def _planning(summary: Summary) -> Table | None:
    """Per compared setting and headline metric: the paired interval, the unpaired one, and the
    seeds a follow-up sweep needs for 80% power."""
    compared = [s for s in summary.settings if s.diff]
    metrics = [m for m in dict.fromkeys((summary.rank_metric, TRUST)) if m in summary.metrics]
    if not compared or not metrics:
        return None
    columns = ["setting"]
    for m in metrics:
        name = COLUMN_NAMES.get(m, metric_name(m))
        columns += [f"Δ {name}, paired", "unpaired", f"seeds needed ({name})"]
    rows = []
    for s in compared:
        row = [Cell(s.label, [f"ran {_runs_of(s)}"], cls="name")]
        for m in metrics:
            d, w = s.diff[m], s.welch.get(m)
            row += [
                Cell(fmt_pm(d, m, signed=True), strong=d.excludes_zero),
                Cell(
                    "± " + fmt_value(w.half_width, m) if w is not None and not math.isnan(w.low) else "—", cls="muted"
                ),
                Cell(fmt_seeds_needed(s.needed.get(m, math.nan))),
            ]
        rows.append(row)
    return Table(columns, rows, id="planning-table")


def _followed(summary: Summary, followed: tuple[int, dict[str, str]] | None) -> dict | None:
    if followed is None:
        return None
    customer, told = followed
    return {"customer": customer, "rows": [(s.label, told[s.label]) for s in summary.settings if s.label in told]}


# ---------------------------------------------------------------------------------- cells
def _mean_cell(iv, metric: str) -> Cell:
    main = fmt_value(iv.mean, metric)
    return Cell(main, [] if math.isnan(iv.low) else [_half_width(iv, metric)])


NBSP = "\u00a0"


def _breakable(text: str) -> str:
    """ "Δ +13,514 ± 1,403" that a narrow column breaks before "±" only: the sign or symbol stays
    with its number (no-break spaces), the one space left is before "±"."""
    text = text.replace(" ", NBSP)
    return text.replace(f"{NBSP}±{NBSP}", f" ±{NBSP}")


def _half_width(iv, metric: str) -> str:
    """ "± 2" for the interval of a mean of 12 (the precision of the mean)."""
    return f"± {fmt_value(iv.half_width, metric, like=max(abs(iv.mean), iv.half_width))}"


def _int(x) -> str:
    return "?" if x is None else f"{int(x):,}"


def _s(n: int) -> str:
    return "" if n == 1 else "s"
