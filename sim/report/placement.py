"""Labels next to a scatter's points that overlap neither each other nor the points.

A label at one fixed offset from its point covers its neighbours' labels wherever settings lie
close together, which they do near the baseline of most sweeps. :func:`place_labels` tries, for
each label in turn, the positions around its point from the nearest outwards (beyond the
nearest ring joined to its point by a thin line) and keeps the first whose box stays inside the
axes and clear of every marker and of the labels placed before it. A label with no such
position is left out: the chart's legend still names every point, and a caption can say so.

Geometry is measured on the figure's renderer in display units, so call it once the figure is
laid out (``fig.tight_layout()``); labels are placed in the order given, the most important
first. It is deterministic: the same points give the same picture.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from matplotlib.transforms import Bbox

__all__ = ["place_labels", "CANDIDATES"]

# (dx, dy, ha, va) per unit of distance: the four diagonal positions around a point, the
# upper right first (where a reader looks for a point's label). Only diagonals: a label beside,
# above or below its point would lie on the point's own error bars.
_RING = [
    (1.0, 1.0, "left", "bottom"),
    (1.0, -1.0, "left", "top"),
    (-1.0, 1.0, "right", "bottom"),
    (-1.0, -1.0, "right", "top"),
]
RINGS = (7.0, 15.0, 25.0, 37.0)
"""Distances from the point along each axis, in points: the first ring sits against the
marker; the others get a leader line."""
CANDIDATES = [(dx * r, dy * r, ha, va) for r in RINGS for dx, dy, ha, va in _RING]
"""Every position tried, nearest first: (dx, dy) offset in points, horizontal and vertical alignment."""

_GAP = 1.5  # points kept free around a label's box


def place_labels(
    ax,
    xy: np.ndarray,
    texts: Sequence[str],
    *,
    order: Sequence[int] | None = None,
    marker_size: float = 8.0,
    fontsize: float = 8.0,
    bold: Sequence[bool] | None = None,
) -> list:
    """Label each point of ``ax`` without overlaps; returns the annotation of each point (None
    for a label that found no free position).

    Parameters
    ----------
    ax : matplotlib Axes, already laid out
    xy : float64 (n, 2), the points in data coordinates
    texts : n labels
    order : the order in which labels claim their place (default: as given)
    marker_size : the markers' size in points (each marker is kept clear as a square of this side)
    fontsize : the labels' size in points
    bold : n flags, a label in bold
    """
    fig = ax.figure
    renderer = FigureCanvasAgg(fig).get_renderer()
    to_px = fig.dpi / 72.0
    area = ax.get_window_extent(renderer)
    centres = ax.transData.transform(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
    half = (marker_size / 2 + 1) * to_px
    taken: list[Bbox] = [Bbox.from_extents(cx - half, cy - half, cx + half, cy + half) for cx, cy in centres]
    gap = _GAP * to_px
    placed: list = [None] * len(texts)
    for i in order if order is not None else range(len(texts)):
        for dx, dy, ha, va in CANDIDATES:
            near = abs(dx) <= RINGS[0]
            label = ax.annotate(
                texts[i],
                tuple(xy[i]),
                textcoords="offset points",
                xytext=(dx, dy),
                ha=ha,
                va=va,
                fontsize=fontsize,
                fontweight="bold" if bold is not None and bold[i] else "normal",
                arrowprops=None
                if near
                else {"arrowstyle": "-", "color": "#888888", "lw": 0.6, "shrinkA": 0, "shrinkB": 4},
            )
            # The text's own box: an annotation's extent includes its leader line, which ends at
            # its own point (the annotation's extent first, which positions the text).
            label.get_window_extent(renderer)
            box = Text.get_window_extent(label, renderer).padded(gap)
            inside = area.x0 <= box.x0 and box.x1 <= area.x1 and area.y0 <= box.y0 and box.y1 <= area.y1
            if inside and not any(box.overlaps(other) for other in taken):
                taken.append(box)
                placed[i] = label
                break
            label.remove()
    return placed
