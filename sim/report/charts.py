"""The report's charts: each drawn once, kept as inline SVG for the HTML and as a PNG for slides.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot, no global figure
state) on the Agg renderer. Every chart's title is the question it answers.

With a baseline, the charts show what the ranking table shows: each setting's *paired*
difference against the baseline (seed by seed) with its 95% interval. Intervals of the means
would overlap even where the paired difference is clear, since most seed-to-seed variation is
shared by all settings.

Colours: the Okabe–Ito palette (distinguishable under the common colour-vision deficiencies)
extended to twelve with colours of Paul Tol's muted scheme and a brown, each at least 26 CIELAB units from
every other; beyond twelve settings marker and line style tell the rest apart.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before any figure: the report never needs a display

import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.transforms import offset_copy  # noqa: E402

from sim.report.collect import to_float  # noqa: E402
from sim.report.intervals import Interval, mean_interval  # noqa: E402
from sim.report.placement import place_labels  # noqa: E402
from sim.report.tables import MONEY, SettingSummary, Summary, metric_name  # noqa: E402

__all__ = ["Chart", "PALETTE", "draw_all", "pareto_front"]

PALETTE = [
    "#0072B2",  # Okabe & Ito (2008): blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#000000",  # black
    "#332288",  # Tol's muted scheme: indigo
    "#777777",  # grey
    "#882255",  # wine
    "#8C564B",  # brown
    "#DDCC77",  # sand, last: faint on white
]
"""Twelve colours, pairwise at least 26 CIELAB (ΔE76) units apart."""
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
LINESTYLES = ["-", "--", ":", "-."]

STYLE = {
    "svg.fonttype": "none",  # SVG text stays text: small, searchable, no glyph paths
    "svg.hashsalt": "prepersona",  # stable element ids, so the same sweep gives the same report
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "font.family": "sans-serif",
}


@dataclass
class Chart:
    """One rendered chart: ``name`` (file stem), ``title``, ``caption``, ``svg`` (an ``<svg>``
    element, ready to inline) and ``png`` (the file written for slides)."""

    name: str
    title: str
    caption: str
    svg: str
    png: Path


SWEEP_CHARTS = ("differences", "value_vs_trust", "trust_over_time", "optouts_and_churn", "causes", "segments")
"""The file stems of the charts :func:`draw_all` draws (``report_charts/NAME.png``)."""


def draw_all(summary: Summary, out_dir: Path) -> list[Chart]:
    """Draw every chart the sweep has data for; PNGs go into ``out_dir`` (created)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    styles = _styles(summary.settings)
    charts = []
    with matplotlib.rc_context(STYLE):
        for name, draw in zip(SWEEP_CHARTS, (_differences, _value_vs_trust, _trust_over_time,
                                              _optouts_and_churn, _causes, _segments)):  # fmt: skip
            drawn = draw(summary, styles)
            if drawn is not None:  # None: no data for it (sim.report.write removes an earlier slide)
                fig, title, caption = drawn
                charts.append(_render(fig, name, title, caption, out_dir))
    return charts


def pareto_front(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats on both x and y (maximizing both), by x.

    ``x``, ``y``: float arrays (n,). A point is dominated when another is ≥ on both and > on
    one. NaN points are never on the front.
    """
    ok = ~(np.isnan(x) | np.isnan(y))
    front = [i for i in np.flatnonzero(ok) if not np.any(ok & (x >= x[i]) & (y >= y[i]) & ((x > x[i]) | (y > y[i])))]
    return np.array(sorted(front, key=lambda i: x[i]), dtype=np.int64)


# ---------------------------------------------------------------------------------- the charts
TRUST = "trust_mean_end"


def _headline_metrics(summary: Summary) -> list[str]:
    """The ranking metric, revenue (when it is not the ranking metric) and trust at the end."""
    return [m for m in dict.fromkeys((summary.rank_metric, "revenue", TRUST)) if m in summary.metrics]


def _differences(summary: Summary, styles):
    """One panel per headline metric: each setting's paired difference against its baseline."""
    compared = [(s, st) for s, st in zip(summary.settings, styles) if s.diff]
    metrics = _headline_metrics(summary)
    if not compared or not metrics:
        return None
    fig = Figure(figsize=(8, 0.9 + 0.32 * len(compared) * len(metrics) + 0.7 * len(metrics)))
    axes = fig.subplots(len(metrics), 1, squeeze=False)[:, 0]
    y = np.arange(len(compared))[::-1]
    for ax, m in zip(axes, metrics):
        for yi, (s, (color, marker, _)) in zip(y, compared):
            d = s.diff[m]
            ax.errorbar(
                d.mean,
                yi,
                xerr=_err([d]),
                fmt=marker,
                color=color,
                ms=7,
                capsize=3,
                mfc=color if d.excludes_zero else "white",
            )
        ax.axvline(0, color="#333333", lw=0.9)
        ax.set_yticks(y, [s.label for s, _ in compared])
        ax.set_xlabel(f"{_axis_name(m, summary)}: difference against the baseline")
        ax.grid(axis="y", visible=False)
        if m in MONEY:
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:+,.0f}" if v else "0"))
    return _done(
        fig,
        axes[0],
        f"How does each setting differ from {_baseline_name(summary)}?",
        "Each point is a setting's mean difference against the baseline, taken seed by seed (same customers, "
        "same noise), with its paired 95% interval; a filled point's interval excludes zero. These are the "
        "differences the ranking table gives.",
    )


def _value_vs_trust(summary: Summary, styles):
    """The ranking metric against trust: paired differences with a baseline, else means."""
    metric = summary.rank_metric
    if not {metric, TRUST} <= set(summary.metrics):
        return None
    paired = any(s.diff for s in summary.settings)
    fig = Figure(figsize=(8, 5.2))
    ax = fig.add_subplot()
    points: list[tuple[SettingSummary, Interval, Interval]] = []
    for s in summary.settings:
        if paired and s.is_baseline:
            zero = Interval(0, 0.0, 0.0, 0.0)
            points.append((s, zero, zero))
        elif paired and s.diff:
            points.append((s, s.diff[TRUST], s.diff[metric]))
        elif not paired:
            points.append((s, s.mean[TRUST], s.mean[metric]))
    style_of = dict(zip((s.label for s in summary.settings), styles))
    for s, t, v in points:
        color, marker, _ = style_of[s.label]
        if paired and s.is_baseline:
            ax.plot(0, 0, marker="*", color="#333333", ms=13, ls="none", label=f"{s.label} (baseline)")
            continue
        ax.errorbar(
            t.mean, v.mean, xerr=_err([t]), yerr=_err([v]), fmt=marker, color=color, ms=8, capsize=3, label=s.label
        )
    x = np.array([t.mean for _, t, _ in points])
    yv = np.array([v.mean for _, _, v in points])
    front = pareto_front(x, yv)
    if front.size > 1:
        ax.plot(x[front], yv[front], color="#555555", lw=1.2, ls="--", zorder=0, label="Pareto front")
    if paired:
        ax.axhline(0, color="#999999", lw=0.8)
        ax.axvline(0, color="#999999", lw=0.8)
        ax.set_xlabel("trust at the end: difference against the baseline")
        ax.set_ylabel(f"{_axis_name(metric, summary)}: difference against the baseline")
        title = f"Which settings earn more than {_baseline_name(summary)} without eroding trust?"
        caption = (
            f"Each point is a setting's paired difference against the baseline (the star at 0, 0) in "
            f"{metric_name(metric)} (up) and in mean trust at the end (right), with paired 95% intervals on both "
            "axes. Up and to the right beats the baseline on both; the settings no other beats on both (the "
            "Pareto front) are in bold and joined by the dashed line."
        )
    else:
        ax.set_xlabel("mean trust at the end, [0, 1]")
        ax.set_ylabel(_axis_name(metric, summary))
        title = f"Which settings earn more {metric_name(metric)} without eroding trust?"
        caption = (
            "Each point is a setting's mean across seeds, with 95% intervals on both axes (unpaired: there is no "
            "baseline, so the intervals include the seed-to-seed variation every setting shares). The settings no "
            "other beats on both (the Pareto front) are in bold and joined by the dashed line."
        )
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.margins(x=0.12, y=0.08)  # room for the labels of the outermost points
    legend_below(ax, ncols=3)
    ax.set_title(title)
    fig.tight_layout()  # the labels are placed in the final layout (which they do not change)
    on_front = set(front.tolist())
    # The front first, then the other points from the top down: where points crowd, the
    # labels left out are those of the settings that matter least here.
    order = sorted(range(len(points)), key=lambda i: (i not in on_front, -yv[i]))
    labels = place_labels(
        ax,
        np.column_stack([x, yv]),
        [s.label for s, _, _ in points],
        order=order,
        bold=[i in on_front for i in range(len(points))],
    )
    if None in labels:
        caption += " Where points crowd, labels that would cover another are left to the legend."
    return _done(fig, ax, title, caption)


def _trust_over_time(summary: Summary, styles):
    """Trust day by day: against the baseline (paired by seed) when there is one, else levels."""
    paired = any(s.diff for s in summary.settings)
    fig = Figure(figsize=(8, 4.8))
    ax = fig.add_subplot()
    drawn = 0
    by_label = {s.label: s for s in summary.settings}
    for s, (color, _, ls) in zip(summary.settings, styles):
        if paired and (s.is_baseline or not s.diff):
            continue
        series = []
        for r in s.runs:
            x = r.daily().get("trust_mean")
            if x is None or not x.size:
                continue
            if paired:
                base_run = by_label[s.baseline].run(r.replicate)
                b = base_run.daily().get("trust_mean") if base_run else None
                if b is None or not b.size:
                    continue
                n = min(x.size, b.size)
                x = x[:n] - b[:n]
            series.append(x)
        if not series:
            continue
        n = min(x.size for x in series)
        values = np.stack([x[:n] for x in series])  # (seeds, days)
        mean = values.mean(axis=0)
        ax.plot(np.arange(n), mean, color=color, ls=ls, lw=1.8, label=s.label)
        if values.shape[0] > 1:
            band = np.array([[iv.low, iv.high] for iv in map(mean_interval, values.T)])
            ax.fill_between(np.arange(n), band[:, 0], band[:, 1], color=color, alpha=0.15, lw=0)
        drawn += 1
    if not drawn:
        return None
    ax.set_xlabel("day")
    if paired:
        ax.axhline(0, color="#333333", lw=0.8)
        ax.set_ylabel("mean trust: difference against the baseline")
        return _done(
            fig,
            ax,
            f"How does trust move against {_baseline_name(summary)}, day by day?",
            "Mean trust of all customers per simulated day minus the baseline's on the same day and seed, averaged "
            "over seeds; the band is the paired 95% interval. Below zero, the setting has cost trust by that day.",
        )
    ax.set_ylabel("mean trust of all customers, [0, 1]")
    _legend(ax, drawn)
    return _done(
        fig,
        ax,
        "How does trust move, day by day?",
        "Mean trust of all customers per simulated day (churned customers at their last value), "
        "averaged over seeds; the band is the 95% interval across seeds.",
    )


def _axis_name(metric: str, summary: Summary) -> str:
    name = metric_name(metric)
    return f"{name}, {summary.currency}" if metric in MONEY and summary.currency else name


def _baseline_name(summary: Summary) -> str:
    bases = sorted({s.baseline for s in summary.settings if s.baseline})
    return bases[0] if len(bases) == 1 else f"{summary.baseline.name} (each at its other settings)"


def _optouts_and_churn(summary: Summary, styles):
    panels = [
        (m, lab)
        for m, lab in (
            ("optout_share_email", "share of email subscribers who opted out"),
            ("churned_share", "share of customers who churned"),
        )
        if m in summary.metrics
    ]
    if not panels:
        return None
    fig = Figure(figsize=(8, 0.9 + 0.45 * len(summary.settings) * len(panels) + 0.6 * len(panels)))
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    y = np.arange(len(summary.settings))[::-1]
    colors = [c for c, _, _ in styles]
    for ax, (m, lab) in zip(axes, panels):
        iv = [s.mean[m] for s in summary.settings]
        ax.barh(y, [100 * i.mean for i in iv], color=colors, height=0.6)
        ax.set_yticks(y, [s.label for s in summary.settings])
        ax.set_xlabel(f"{lab}, %")
        ax.grid(axis="y", visible=False)
    return _done(
        fig,
        axes[0],
        "Who opts out of email, and who leaves?",
        "Means across seeds; the ranking table gives each setting's difference against the baseline with its "
        "paired 95% interval.",
    )


def _causes(summary: Summary, styles):
    panels = []
    for prefix, lab in (
        ("persofails_by_source.", "persofails, by the slot rule that showed the just-bought item"),
        ("creepy_touches_by_basis.", "creepy touches, by the data basis behind them"),
    ):
        keys = sorted({k for s in summary.settings for r in s.runs for k in r.metrics if k.startswith(prefix)})
        # A cause a run's dict does not list did not occur in that run: 0, not missing.
        means = np.array(
            [[np.mean([r.metrics.get(k, 0.0) for r in s.runs]) for k in keys] for s in summary.settings],
            dtype=np.float64,
        ).reshape(len(summary.settings), len(keys))
        if keys and means.sum() > 0:
            keep = means.sum(axis=0) > 0
            panels.append(([k[len(prefix) :] for k, ok in zip(keys, keep) if ok], means[:, keep], lab))
    if not panels:
        return None
    fig = Figure(figsize=(8, 0.9 + sum(0.45 * len(summary.settings) + 0.9 for _ in panels)))
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    y = np.arange(len(summary.settings))[::-1]
    # One colour per cause name across both panels ("inferred" is the same blue in each).
    names = sorted({c for causes, _, _ in panels for c in causes})
    for ax, (causes, means, lab) in zip(axes, panels):
        left = np.zeros(len(summary.settings))
        for j, cause in enumerate(causes):
            k = names.index(cause)
            ax.barh(
                y,
                means[:, j],
                left=left,
                color=PALETTE[k % len(PALETTE)],
                height=0.6,
                label=cause,
                hatch=["", "//", ".."][(k // len(PALETTE)) % 3],
                edgecolor="white",
                lw=0.5,
            )
            left += means[:, j]
        ax.set_yticks(y, [s.label for s in summary.settings])
        ax.set_xlabel(f"{lab} (mean per run)")
        ax.grid(axis="y", visible=False)
        _legend(ax, len(causes))
    return _done(
        fig,
        axes[0],
        "What causes persofails and creepy touches?",
        "Persofails (a just-bought durable shown again) by the slot rule that showed it, and creepy "
        "touches by the data basis of their most intrusive slot; means across seeds.",
    )


def _segments(summary: Summary, styles):
    table = {}  # (setting index, segment) -> list of (revenue, trust change) per run
    segments: list[str] = []
    for i, s in enumerate(summary.settings):
        for r in s.runs:
            for row in r.segments():
                seg = row.get("segment", "?")
                if seg not in segments:
                    segments.append(seg)
                change = to_float(row.get("trust_mean_end")) - to_float(row.get("trust_mean_start"))
                table.setdefault((i, seg), []).append((to_float(row.get("revenue")), change))
    if not segments:
        return None
    fig = Figure(figsize=(8, 6.4))
    axes = fig.subplots(2, 1)
    k = len(summary.settings)
    width = 0.8 / k
    x = np.arange(len(segments))
    for i, (s, (color, _, _)) in enumerate(zip(summary.settings, styles)):
        for ax, col in zip(axes, (0, 1)):
            vals = [_mean([v[col] for v in table.get((i, seg), [])]) for seg in segments]
            ax.bar(x - 0.4 + width * (i + 0.5), vals, width, color=color, label=s.label if col == 0 else None)
    money = f"revenue per segment, {summary.currency}" if summary.currency else "revenue per segment"
    for ax, lab in zip(axes, (money, "trust change per segment (end − start)")):
        ax.set_xticks(x, [seg.replace("_", "\n") for seg in segments])  # long names side by side
        ax.set_ylabel(lab)
        ax.grid(axis="x", visible=False)
    axes[1].axhline(0, color="#333333", lw=0.8)
    axes[0].yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    _legend(axes[0], k)
    return _done(
        fig,
        axes[0],
        "Which customer segments gain, and which lose?",
        "Revenue and change of mean trust within each customer segment, means across seeds.",
    )


# ---------------------------------------------------------------------------------- helpers
def _styles(settings: list[SettingSummary]) -> list[tuple[str, str, str]]:
    """(colour, marker, line style) per setting, in order: twelve colours, then a new marker and
    line style for each further twelve (distinct up to 12 × 8 settings)."""
    return [
        (
            PALETTE[i % len(PALETTE)],
            MARKERS[(i // len(PALETTE)) % len(MARKERS)],
            LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)],
        )
        for i in range(len(settings))
    ]


def _mean(values: list[float]) -> float:
    """Mean of the values that are numbers; NaN (silently) when none is."""
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else math.nan


def _err(intervals) -> np.ndarray:
    """float64 (2, n): lower and upper error-bar lengths of n intervals (zero where there is none)."""
    err = np.array([[iv.mean - iv.low, iv.high - iv.mean] for iv in intervals], dtype=np.float64).T
    return np.nan_to_num(err.reshape(2, -1))


def _done(fig: Figure, ax, title: str, caption: str):
    """Put the chart's question on its top axes, lay the figure out; ``(fig, title, caption)``."""
    ax.set_title(title)
    fig.tight_layout()
    return fig, title, caption


LEGEND_DROP_POINTS = 36
"""How far below the axes a legend under them starts, in points: clear of the tick labels and
the x label (10-point text) whatever the axes' height."""


def legend_below(ax, ncols: int, handles=None) -> None:
    """A legend centred under the axes, below its x label.  The gap is fixed in points: a share
    of the axes' height put the legend on the x label of a short chart (three settings)."""
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-LEGEND_DROP_POINTS, units="points")
    extra = {} if handles is None else {"handles": handles}
    ax.legend(
        fontsize=8,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, 0),
        bbox_transform=below,
        ncols=ncols,
        **extra,
    )


def _legend(ax, entries: int) -> None:
    ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5), ncols=1 if entries <= 16 else 2)


def _render(fig: Figure, name: str, title: str, caption: str, out_dir: Path) -> Chart:
    png = out_dir / f"{name}.png"
    # The tight box around everything drawn (legends outside the axes included), measured once
    # for both files: bbox_inches="tight" would draw the figure an extra time per file.
    box = fig.get_tightbbox(FigureCanvasAgg(fig).get_renderer()).padded(0.1)
    fig.savefig(png, dpi=150, bbox_inches=box, metadata={"Software": None})
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches=box, metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    # Keep the <svg> element alone: no XML prolog, DOCTYPE or RDF metadata block (which holds
    # addresses; harmless, but the report names no address at all).
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # Inline in HTML an <svg> is in the SVG namespace (and xlink:href works) without declarations.
    svg = re.sub(r' xmlns(:xlink)?="[^"]*"', "", svg)
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", svg, count=1)
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{_attr(title)}"', 1)
    return Chart(name, title, caption, svg, png)


def _attr(text: str) -> str:
    import html

    return html.escape(text, quote=True)
