"""The report's charts: each drawn once, kept as inline SVG for the HTML and as a PNG for slides.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot, no global figure
state) on the Agg renderer. Colours are the Okabe–Ito palette, which stays distinguishable
under the common colour-vision deficiencies; when a sweep has more settings than colours,
marker and line style tell the rest apart. Every chart's title is the question it answers.
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
from matplotlib.figure import Figure  # noqa: E402

from sim.report.collect import to_float  # noqa: E402
from sim.report.intervals import mean_interval  # noqa: E402
from sim.report.tables import SettingSummary, Summary  # noqa: E402

__all__ = ["Chart", "PALETTE", "draw_all", "pareto_front"]

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"]
"""Okabe & Ito (2008), colour-blind safe; yellow last, as it is faint on white."""
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


def draw_all(summary: Summary, out_dir: Path) -> list[Chart]:
    """Draw every chart the sweep has data for; PNGs go into ``out_dir`` (created)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    styles = _styles(summary.settings)
    charts = []
    with matplotlib.rc_context(STYLE):
        for name, draw in (
            ("revenue_vs_trust", _revenue_vs_trust),
            ("trust_over_time", _trust_over_time),
            ("optouts_and_churn", _optouts_and_churn),
            ("causes", _causes),
            ("segments", _segments),
        ):
            drawn = draw(summary, styles)
            if drawn is not None:
                fig, title, caption = drawn
                charts.append(_render(fig, name, title, caption, out_dir))
            else:  # no data for it now: an earlier report's slide would no longer match
                (out_dir / f"{name}.png").unlink(missing_ok=True)
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
def _revenue_vs_trust(summary: Summary, styles):
    if not {"revenue", "trust_mean_end"} <= set(summary.metrics):
        return None
    fig = Figure(figsize=(8, 5.2))
    ax = fig.add_subplot()
    rev = np.array([s.mean["revenue"].mean for s in summary.settings])
    trust = np.array([s.mean["trust_mean_end"].mean for s in summary.settings])
    for s, (color, marker, _) in zip(summary.settings, styles):
        r, t = s.mean["revenue"], s.mean["trust_mean_end"]
        ax.errorbar(
            t.mean, r.mean, xerr=_err([t]), yerr=_err([r]), fmt=marker, color=color, ms=8, capsize=3, label=s.label
        )
    front = pareto_front(trust, rev)
    if front.size > 1:
        ax.plot(trust[front], rev[front], color="#555555", lw=1.2, ls="--", zorder=0, label="Pareto front")
    for i, s in enumerate(summary.settings):
        ax.annotate(
            s.label,
            (trust[i], rev[i]),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize=8,
            fontweight="bold" if i in front else "normal",
        )
    ax.set_xlabel("mean trust at the end, [0, 1]")
    ax.set_ylabel("revenue, currency units")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    _legend(ax, len(summary.settings) + 1)
    return _done(
        fig,
        ax,
        "Which strategies earn more without eroding trust?",
        "Each point is a setting's mean across seeds, with 95% intervals on both axes. Up is more "
        "revenue, right is more trust; the settings no other beats on both (the Pareto front) are "
        "labelled in bold and joined by the dashed line.",
    )


def _trust_over_time(summary: Summary, styles):
    fig = Figure(figsize=(8, 4.8))
    ax = fig.add_subplot()
    drawn = 0
    for s, (color, _, ls) in zip(summary.settings, styles):
        runs = [r.daily().get("trust_mean") for r in s.runs]
        runs = [x for x in runs if x is not None and x.size]
        if not runs:
            continue
        n = min(x.size for x in runs)
        values = np.stack([x[:n] for x in runs])  # (seeds, days)
        mean = values.mean(axis=0)
        ax.plot(np.arange(n), mean, color=color, ls=ls, lw=1.8, label=s.label)
        if values.shape[0] > 1:
            band = np.array([[iv.low, iv.high] for iv in map(mean_interval, values.T)])
            ax.fill_between(np.arange(n), band[:, 0], band[:, 1], color=color, alpha=0.15, lw=0)
        drawn += 1
    if not drawn:
        return None
    ax.set_xlabel("day")
    ax.set_ylabel("mean trust of all customers, [0, 1]")
    _legend(ax, drawn)
    return _done(
        fig,
        ax,
        "How does trust move, day by day?",
        "Mean trust of all customers per simulated day (churned customers at their last value), "
        "averaged over seeds; the band is the 95% interval across seeds.",
    )


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
        ax.barh(y, [100 * i.mean for i in iv], xerr=100 * _err(iv), color=colors, capsize=3, height=0.6)
        ax.set_yticks(y, [s.label for s in summary.settings])
        ax.set_xlabel(f"{lab}, %")
        ax.grid(axis="y", visible=False)
    return _done(fig, axes[0], "Who opts out of email, and who leaves?", "Means across seeds with 95% intervals.")


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
            vals = [np.nanmean([v[col] for v in table.get((i, seg), [(math.nan, math.nan)])]) for seg in segments]
            ax.bar(x - 0.4 + width * (i + 0.5), vals, width, color=color, label=s.label if col == 0 else None)
    for ax, lab in zip(axes, ("revenue per segment, currency units", "trust change per segment (end − start)")):
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
    """(colour, marker, line style) per setting, in order; distinct for up to 8 × 4 settings."""
    return [
        (
            PALETTE[i % len(PALETTE)],
            MARKERS[(i // len(PALETTE)) % len(MARKERS)],
            LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)],
        )
        for i in range(len(settings))
    ]


def _err(intervals) -> np.ndarray:
    """float64 (2, n): lower and upper error-bar lengths of n intervals (zero where there is none)."""
    err = np.array([[iv.mean - iv.low, iv.high - iv.mean] for iv in intervals], dtype=np.float64).T
    return np.nan_to_num(err.reshape(2, -1))


def _done(fig: Figure, ax, title: str, caption: str):
    """Put the chart's question on its top axes, lay the figure out; ``(fig, title, caption)``."""
    ax.set_title(title)
    fig.tight_layout()
    return fig, title, caption


def _legend(ax, entries: int) -> None:
    ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5), ncols=1 if entries <= 16 else 2)


def _render(fig: Figure, name: str, title: str, caption: str, out_dir: Path) -> Chart:
    png = out_dir / f"{name}.png"
    fig.savefig(png, dpi=150, bbox_inches="tight", metadata={"Software": None})
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
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
