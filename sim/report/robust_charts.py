"""The charts of "Across plausible worlds": how each setting fares world by world, and what
decides between the leader and its rival.

Both are drawn from a :class:`~sim.report.robust.RobustView` (outcomes per setting and world,
each world's parameters, the drivers), in the colours the report's other charts give each
setting, and rendered like them (inline SVG, a PNG for slides):

- ``across_worlds``: per setting, one dot per world at its shortfall (regret) against that
  world's best setting, and a bar at the mean, the expected regret the ranking sorts by;
- ``decider``: the leader's lead over its rival in each world against the parameter the
  section's sentence names: the one whose threshold best separates the worlds each one wins,
  drawn as a dashed line, where that beats always naming the usual winner; else the one most
  strongly rank-correlated with the lead.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.report.charts import STYLE, Chart, _done, _render, _styles, legend_below
from sim.report.robust import RobustView
from sim.report.tables import Summary, metric_name
from sim.uncertainty.drivers import best_rule

__all__ = ["draw_robust", "ROBUST_CHARTS"]

ROBUST_CHARTS = ("across_worlds", "decider")
"""The file stems of the charts this module draws (``report_charts/NAME.png``)."""

_MONEY = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}")


def draw_robust(view: RobustView | None, summary: Summary, out_dir: Path) -> dict[str, Chart | None]:
    """The charts of the robust section by name (None where there is nothing to draw); PNGs go
    into ``out_dir`` (an earlier report's slide that no longer applies is removed by
    :mod:`sim.report.write`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    colour = {s.label: style[0] for s, style in zip(summary.settings, _styles(summary.settings))}
    charts: dict[str, Chart | None] = {}
    with matplotlib.rc_context(STYLE):
        for name, draw in (("across_worlds", _across_worlds), ("decider", _decider)):
            drawn = draw(view, colour) if view is not None else None
            if drawn is None:
                charts[name] = None
            else:
                fig, title, caption = drawn
                charts[name] = _render(fig, name, title, caption, out_dir)
    return charts


def _across_worlds(view: RobustView, colour: dict[str, str]):
    """Each setting's regret in each world (dots) and its expected regret (bar), in the robust
    ranking's order from the top."""
    order = [r.setting for r in view.rows]
    if len(order) < 2:  # one setting is the best of every world: its regret is 0 throughout
        return None
    regret = view.value.max(axis=0) - view.value  # (settings, worlds), >= 0
    k = regret.shape[1]
    fig = Figure(figsize=(8, 1.8 + 0.42 * len(order)))
    ax = fig.add_subplot()
    # Worlds whose regrets coincide (0 where a setting wins) are spread a little up and down
    # by their index, so that the dots stay countable; the same worlds, the same places.
    spread = ((np.arange(k) % 5) - 2) * 0.07
    for row, label in enumerate(order):
        i = view.labels.index(label)
        y = len(order) - 1 - row
        ax.scatter(regret[i], y + spread, s=16, color=colour.get(label, "#555555"), alpha=0.75, linewidths=0)
        ax.plot([regret[i].mean()] * 2, [y - 0.32, y + 0.32], color="#222222", lw=2.2, solid_capstyle="butt")
    ax.set_yticks(range(len(order)), list(reversed(order)))
    ax.grid(False, axis="y")
    ax.set_xlim(left=-0.02 * max(float(regret.max()), 1e-9))
    ax.xaxis.set_major_formatter(_MONEY)
    metric = metric_name(view.metric)
    ax.set_xlabel(f"{metric}: shortfall against the world's best setting")
    bar = Line2D([], [], color="#222222", lw=2.2, label="expected regret (mean over the worlds)")
    dot = Line2D([], [], marker="o", ls="none", color="#777777", label="one plausible world")
    legend_below(ax, ncols=2, handles=[dot, bar])
    return _done(
        fig,
        ax,
        "How far does each setting fall short of each world's best?",
        f"Each dot is one of the {k} plausible worlds: how much less {metric} the setting earned there than "
        "that world's best setting (0: it was the best there). The bar is the expected regret, the mean over the "
        "worlds, by which the table above ranks; a setting whose dots all sit at 0 comes first in every world.",
    )


def _decider(view: RobustView, colour: dict[str, str]):
    """The leader's lead over its rival per world against the top driver, with its threshold."""
    if view.rival is None or not view.drivers:
        return None
    # The parameter the section's sentence states: the threshold rule that gets the most worlds
    # right, where it beats always naming the usual winner; else the strongest correlation.
    rule = best_rule(view.drivers)
    driver = rule if rule.decisive else view.drivers[0]
    x = view.params[:, view.keys.index(driver.key)]
    lead = view.value[view.labels.index(view.leader)] - view.value[view.labels.index(view.rival)]
    fig = Figure(figsize=(8, 4.6))
    ax = fig.add_subplot()
    for mask, who, tint in (
        (lead > 0, f"{view.leader} ahead", colour.get(view.leader, "#555555")),
        (lead < 0, f"{view.rival} ahead", colour.get(view.rival, "#555555")),
        (lead == 0, "a tie", "#999999"),
    ):
        if mask.any():  # a legend entry only for what is drawn
            ax.scatter(x[mask], lead[mask], s=30, color=tint, label=who, zorder=3)
    ax.axhline(0, color="#999999", lw=0.8)
    why = (
        "the uncertain parameter whose threshold best separates the worlds each one wins"
        if driver.decisive
        else "the uncertain parameter whose rank correlation with that lead is strongest"
    )
    caption = (
        f"Each dot is a plausible world: {view.leader}'s {metric_name(view.metric)} minus {view.rival}'s "
        f"(above 0: {view.leader} comes first) against {driver.key}, {why} "
        f"(ρ = {driver.rho:+.2f} over {driver.worlds} worlds)."
    )
    if driver.decisive:
        ax.axvline(driver.threshold, color="#555555", lw=1.2, ls="--", label=f"threshold {driver.threshold:.3g}")
        caption += f" The dashed line is that threshold ({driver.agree} of {driver.worlds} worlds on its side)."
    caption += f" {view.sentence}"
    ax.yaxis.set_major_formatter(_MONEY)
    ax.set_xlabel(driver.key)
    ax.set_ylabel(f"{view.leader}'s lead in {metric_name(view.metric)}")
    legend_below(ax, ncols=3)
    return _done(fig, ax, f"What decides between {view.leader} and {view.rival}?", caption)
