"""The workshop report as one self-contained HTML page.

Everything is inline: CSS in a ``<style>`` element, charts as ``<svg>`` elements, no script, no
font, image or stylesheet from anywhere, no link that leaves the page. Opening the file makes no
network request. Every piece of text from a sweep (labels, segment names, stories) is escaped.
"""

from __future__ import annotations

import datetime as _dt
import math
from html import escape

import numpy as np

from sim.report.charts import Chart, pareto_front
from sim.report.stats import Interval, mean_interval
from sim.report.stories import Story
from sim.report.tables import KEY_METRICS, SettingSummary, Summary

__all__ = ["render_report", "fmt_value", "fmt_interval", "fmt_seeds_needed"]

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1a1a1a; background: #fff; margin: 0 auto; max-width: 1320px; padding: 1.5rem 2rem 4rem;
       line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { margin-top: 2.4rem; border-bottom: 2px solid #0072B2; padding-bottom: 0.2rem; }
h3 { margin-top: 1.6rem; }
.lede { color: #444; margin-top: 0; }
table { border-collapse: collapse; font-size: 0.8rem; margin: 0.8rem 0; }
th, td { padding: 0.25rem 0.4rem; border-bottom: 1px solid #ddd; text-align: right; vertical-align: top; }
th { background: #f3f6f9; text-align: center; }
td.name, th.name { text-align: left; font-weight: 600; }
td .ci { display: block; color: #555; font-size: 0.78rem; white-space: nowrap; font-weight: normal; }
td.ci { color: #555; font-size: 0.78rem; white-space: nowrap; }
.sig { font-weight: 700; }
.muted { color: #666; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
figure { margin: 1.5rem 0 2rem; }
figure svg { width: 100%; height: auto; max-width: 900px; display: block; }
figcaption { color: #444; font-size: 0.9rem; max-width: 900px; }
.story { margin: 0.6rem 0; }
.story b { display: block; }
.warn { background: #fff4e0; border-left: 4px solid #E69F00; padding: 0.5rem 0.8rem; }
.wide { overflow-x: auto; }
nav a { margin-right: 1rem; color: #0072B2; }
"""


def render_report(
    summary: Summary,
    charts: list[Chart],
    stories: dict[str, list[Story]],
    tables: list[str],
    now: _dt.datetime | None = None,
    seed: int | None = None,
    followed: tuple[int, dict[str, str]] | None = None,
) -> str:
    """The whole page as a string.

    ``stories`` maps a setting's label to its stories, all from runs with seed ``seed`` (None:
    each setting's lowest seed); ``followed`` is one customer number and its story per setting
    label; ``tables`` names the table files written next to the report; ``now`` is the time
    printed as the report's date (default: now).
    """
    now = now or _dt.datetime.now().astimezone()
    title = f"Revenue against trust: {summary.sweep.root.name or summary.sweep.root}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        '<p class="lede">What each personalization strategy earns, and what it costs in trust, opt-outs, churn, '
        "persofails and creepy touches, on a simulated customer population.</p>",
        '<nav><a href="#run">What was run</a><a href="#short">In short</a><a href="#ranking">Ranking</a>'
        '<a href="#charts">Charts</a>'
        '<a href="#stories">Customer stories</a><a href="#method">How to read this</a></nav>',
        _what_was_run(summary, now, tables),
        _in_short(summary),
        _ranking(summary),
        _channels(summary),
        '<h2 id="charts">Charts</h2>',
        *[_figure(c) for c in charts],
        _stories(summary, stories, seed, followed),
        _method(summary),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------- sections
def _what_was_run(summary: Summary, now: _dt.datetime, tables: list[str]) -> str:
    sweep = summary.sweep
    runs = sweep.runs

    def values(get) -> str:
        return ", ".join(escape(v) for v in sorted({get(r) for r in runs}))

    seeds = sorted({r.seed for r in runs})
    facts = [
        ("sweep directory", f"<code>{escape(str(sweep.root.resolve()))}</code>"),
        *([("command", f"<code>{escape(sweep.command)}</code>")] if sweep.command else []),
        (
            "population",
            values(lambda r: f"{r.info.get('population', '?')}, {_int(r.metrics.get('customers'))} customers"),
        ),
        ("horizon", values(lambda r: f"{_int(r.metrics.get('horizon_days'))} days")),
        ("campaign", values(lambda r: r.info.get("campaign", "?"))),
        ("settings compared", f"{len(summary.settings)}: " + ", ".join(escape(s.label) for s in summary.settings)),
        ("seeds", f"{len(seeds)}: {', '.join(map(str, seeds))}"),
        ("complete runs", f"{len(runs)}"),
        (
            "baseline",
            escape(summary.baseline)
            if summary.baseline_found
            else f"none: no setting is named or has the strategy “{escape(summary.baseline)}”, "
            "so no paired differences",
        ),
        ("report written", escape(now.strftime("%Y-%m-%d %H:%M %Z").strip())),
        (
            "tables",
            ", ".join(f"<code>{escape(t)}</code>" for t in tables) + " (next to this report), PNG charts in "
            "<code>report_charts/</code>",
        ),
    ]
    html = ['<h2 id="run">What was run</h2>', '<dl class="facts">']
    html += [f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts]
    html.append("</dl>")
    left_out = []
    if sweep.incomplete:
        left_out.append(
            f"{sweep.incomplete} run{'s' if sweep.incomplete != 1 else ''} incomplete (no metrics.json), not counted."
        )
    if sweep.duplicates:
        left_out.append(
            f"{sweep.duplicates} run{'s' if sweep.duplicates != 1 else ''} repeating a setting and seed "
            "already counted, not counted again."
        )
    if sweep.unreadable:
        left_out.append(f"{len(sweep.unreadable)} unreadable: " + "; ".join(escape(u) for u in sweep.unreadable))
    if getattr(sweep, "stale", None):
        left_out.append(
            f"{len(sweep.stale)} complete run{'s' if len(sweep.stale) != 1 else ''} of another config left out: "
            + "; ".join(escape(u) for u in sweep.stale)
        )
    if len(seeds) < 2:
        left_out.append("Only one seed: there is no spread to estimate, so no interval is given.")
    html += [f'<p class="warn">{w}</p>' for w in left_out]
    return "\n".join(html)


def _in_short(summary: Summary) -> str:
    """Three sentences: most revenue, most trust, and which settings are on the Pareto front."""
    if not {"revenue", "trust_mean_end"} <= set(summary.metrics):
        return ""
    settings = summary.settings
    rev = np.array([s.mean["revenue"].mean for s in settings])
    trust = np.array([s.mean["trust_mean_end"].mean for s in settings])
    if np.all(np.isnan(rev)) or np.all(np.isnan(trust)):
        return ""
    best_rev, best_trust = settings[int(np.nanargmax(rev))], settings[int(np.nanargmax(trust))]
    front = [settings[i].label for i in pareto_front(trust, rev)]
    lines = [
        f"Most revenue: <b>{escape(best_rev.label)}</b> ({fmt_value(best_rev.mean['revenue'].mean, 'revenue')}"
        f"{_versus(best_rev, 'revenue')}).",
        f"Most trust at the end: <b>{escape(best_trust.label)}</b> "
        f"({fmt_value(best_trust.mean['trust_mean_end'].mean, 'trust_mean_end')}"
        f"{_versus(best_trust, 'trust_mean_end')}).",
        "Not beaten on both revenue and trust (the Pareto front): "
        + ", ".join(f"<b>{escape(f)}</b>" for f in front)
        + ".",
    ]
    return '<h2 id="short">In short</h2>\n<ul>' + "".join(f"<li>{x}</li>" for x in lines) + "</ul>"


def _versus(s: SettingSummary, metric: str) -> str:
    """ ", +5,946 vs none, paired 95% interval excludes zero" (empty without a difference)."""
    iv = s.diff.get(metric)
    if iv is None:
        return ""
    verdict = "excludes zero" if iv.excludes_zero else "includes zero" if not math.isnan(iv.low) else "no interval"
    return f", {fmt_value(iv.mean, metric, signed=True)} vs {escape(s.baseline)}; paired 95% interval {verdict}"


def _ranking(summary: Summary) -> str:
    m = set(summary.metrics)
    base = f" vs {escape(summary.baseline)}" if summary.baseline_found else ""
    cols = ["#", "setting"]
    if "revenue" in m:
        cols += ["revenue", f"Δ revenue{base}, paired", "Δ revenue, unpaired (Welch)", "seeds needed (revenue)"]
    if "trust_mean_end" in m:
        cols += ["trust at the end", f"Δ trust{base}, paired", "seeds needed (trust)"]
    extra = [k for k in ("churned_share", "optout_share_email", "persofails", "creepy_touches") if k in m]
    cols += [KEY_METRICS[k] for k in extra]
    head = "".join(f'<th class="name">{c}</th>' if c == "setting" else f"<th>{c}</th>" for c in cols)
    rows = []
    for rank, s in enumerate(summary.settings, 1):
        seeds = f"{len(s.runs)} seed{'s' if len(s.runs) != 1 else ''}"
        cells = [f"<td>{rank}</td>", f'<td class="name">{escape(s.label)}<span class="ci">{seeds}</span></td>']
        if "revenue" in m:
            welch = s.welch.get("revenue")
            cells += [
                _td(s.mean["revenue"], "revenue"),
                _td_diff(s, "revenue"),
                f'<td class="ci">{fmt_interval(welch, "revenue", signed=True)}</td>'
                if welch
                else '<td class="muted">—</td>',
                _td_needed(s, "revenue"),
            ]
        if "trust_mean_end" in m:
            cells += [
                _td(s.mean["trust_mean_end"], "trust_mean_end"),
                _td_diff(s, "trust_mean_end"),
                _td_needed(s, "trust_mean_end"),
            ]
        cells += [_td(s.mean[k], k) for k in extra]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(
        [
            '<h2 id="ranking">Strategies ranked by revenue</h2>',
            "<p>Each cell: the mean across seeds, and below it the 95% interval (the unpaired column: the interval "
            "alone, around the same mean difference). A difference in <b>bold</b> has an "
            "interval that excludes zero. Paired differences compare runs with the same seed; "
            "“seeds needed” estimates how many seeds the paired interval would need to exclude zero.</p>",
            f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>',
            *rows,
            "</tbody></table></div>",
        ]
    )


def _channels(summary: Summary) -> str:
    """Per-channel counters (``channels.<channel>.<counter>`` in metrics.json), when runs have them."""
    keys = sorted({k for s in summary.settings for r in s.runs for k in r.metrics if k.startswith("channels.")})
    if not keys:
        return ""
    head = '<th class="name">setting</th>' + "".join(f"<th>{escape(k[len('channels.') :])}</th>" for k in keys)
    rows = [
        f'<tr><td class="name">{escape(s.label)}</td>'
        + "".join(_td(mean_interval(s.values(k)), k) for k in keys)
        + "</tr>"
        for s in summary.settings
    ]
    return "\n".join(
        [
            '<h3 id="channels">Per channel</h3>',
            "<p>The counters each run reports per channel: mean across seeds, 95% interval below.</p>",
            f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>',
            *rows,
            "</tbody></table></div>",
        ]
    )


def _figure(c: Chart) -> str:
    return (
        f'<figure id="chart-{escape(c.name)}">{c.svg}<figcaption><b>{escape(c.title)}</b> {escape(c.caption)} '
        f"(Slide version: <code>report_charts/{escape(c.png.name)}</code>.)</figcaption></figure>"
    )


def _stories(
    summary: Summary, stories: dict[str, list[Story]], seed: int | None, followed: tuple[int, dict[str, str]] | None
) -> str:
    source = (
        f"from the runs with seed {seed}, so the same customers are recorded in every setting and a customer "
        "number can be followed across settings"
        if seed is not None
        else "from each setting's run with the lowest seed (no seed is shared by every setting)"
    )
    html = [
        '<h2 id="stories">Customer stories</h2>',
        "<p>A few of the recorded customers under each setting, chosen by rule (the most persofails, a creepy "
        "touch followed by leaving, the biggest loss of trust, an unsubscribe, a customer whose trust grew), "
        f"{source}.</p>",
    ]
    if followed is not None:
        customer, told = followed
        html += [
            f"<h3>One customer, every setting: #{customer}</h3>",
            "<p>The recorded customer whose trust at the end differs most between settings.</p>",
            "<ul>",
        ]
        html += [
            f"<li><b>{escape(label)}</b>: {escape(told[label])}</li>"
            for label in (s.label for s in summary.settings)
            if label in told
        ]
        html.append("</ul>")
    for s in summary.settings:
        html.append(f"<h3>{escape(s.label)}</h3>")
        told = stories.get(s.label, [])
        if not told:
            html.append('<p class="muted">No recorded journeys in this setting\'s runs.</p>')
        html += [f'<p class="story"><b>{escape(t.title)}</b>{escape(t.text)}</p>' for t in told]
    return "\n".join(html)


def _method(summary: Summary) -> str:
    return "\n".join(
        [
            '<h2 id="method">How to read this</h2>',
            "<p><b>Seeds and settings.</b> A setting is one combination of the sweep's overrides other than the seed "
            "(here, mostly, a strategy). Each seed draws its own population and its own customer-side randomness; "
            "every setting run with the same seed meets the <i>same</i> customers with the <i>same</i> noise.</p>",
            "<p><b>What an interval means.</b> “91,193 [86,253 – 96,133]” is the mean over seeds and its 95% "
            "t-interval: mean ± t(0.975, n−1) · sd / √n. Had we run many more seeds, the long-run mean would lie in "
            "such intervals 95% of the time. It describes the simulation's seed-to-seed variation, not the "
            "uncertainty of the model's parameters. With a single seed there is no interval.</p>",
            "<p><b>Paired differences.</b> The difference to the baseline is computed seed by seed (this setting's run "
            "minus the baseline's run with the same seed), then averaged, with a t-interval over those per-seed "
            "differences. Because both runs share customers and noise, most of the seed-to-seed variation cancels, "
            "so the paired interval is usually much narrower than the unpaired (Welch) interval printed beside it, "
            "which ignores the pairing. When the paired interval excludes zero (bold), the sign of the difference "
            "is unlikely to be an accident of the seeds.</p>",
            "<p><b>Seeds needed.</b> The smallest number of seeds n at which t(0.975, n−1) · sd / √n would fall below "
            "the observed |mean difference| — roughly n ≈ (t · sd / mean)². It assumes the mean and the spread stay "
            "as observed, so it is an estimate to plan the next sweep with, not a promise. “never” means the "
            "observed difference is exactly zero; “—” means fewer than two paired seeds.</p>",
            "<p><b>The Pareto front.</b> A setting is on the front when no other setting has both higher revenue and "
            "higher end trust. Settings off the front give up one without gaining the other.</p>",
            "<p><b>Files.</b> <code>runs.csv</code> has one row per complete run with its overrides and every metric; "
            "<code>strategies.csv</code> one row per setting with means, intervals, paired and unpaired differences "
            "and seeds needed (also as Parquet). Runs without <code>metrics.json</code> are incomplete and never "
            "counted.</p>",
        ]
    )


# ---------------------------------------------------------------------------------- cells
def fmt_value(x: float, metric: str, signed: bool = False) -> str:
    """A metric's value for a reader: shares as %, trust with 3 decimals, money and counts with commas."""
    if x is None or math.isnan(x):
        return "—"
    sign = "+" if signed and x > 0 else ""
    if "share" in metric or metric.endswith("_rate"):
        return f"{sign}{100 * x:.1f}%"
    if metric.startswith("trust"):
        return f"{sign}{x:.3f}"
    return f"{sign}{x:,.0f}"


def fmt_interval(iv: Interval, metric: str, signed: bool = False) -> str:
    """ "low – high" of a 95% interval, or why there is none."""
    if math.isnan(iv.low):
        return f"no interval ({iv.n} seed{'s' if iv.n != 1 else ''})"
    return f"[{fmt_value(iv.low, metric, signed)} – {fmt_value(iv.high, metric, signed)}]"


def fmt_seeds_needed(n: float) -> str:
    """The seeds-needed estimate: a count, "never" (no difference) or "—" (no estimate)."""
    if math.isnan(n):
        return "—"
    if math.isinf(n):
        return "never"
    return f"{int(n):,}"


def _td(iv: Interval | None, metric: str, signed: bool = False) -> str:
    if iv is None:
        return '<td class="muted">—</td>'
    return f'<td>{fmt_value(iv.mean, metric, signed)}<span class="ci">{fmt_interval(iv, metric, signed)}</span></td>'


def _td_diff(s: SettingSummary, metric: str) -> str:
    if s.is_baseline:
        return '<td class="muted">baseline</td>'
    iv = s.diff.get(metric)
    if iv is None:
        return '<td class="muted">—</td>'
    cell = _td(iv, metric, signed=True)
    return cell.replace("<td>", '<td class="sig">', 1) if iv.excludes_zero else cell


def _td_needed(s: SettingSummary, metric: str) -> str:
    if metric not in s.needed:
        return '<td class="muted">—</td>'
    n = s.needed[metric]
    have = f'<span class="ci">ran {len(s.runs)}</span>'
    return f"<td>{fmt_seeds_needed(n)}{have}</td>"


def _int(x) -> str:
    return "?" if x is None else f"{int(x):,}"
