"""The robust ranking: how each setting fares across the plausible worlds.

Input is one outcome per setting and world, the mean over the seeds the setting ran in that
world (every setting meets the same customers and noise in a world and seed: common random
numbers).  Per setting, over the worlds every setting completed:

- ``best_value_share`` / ``best_trust_share``: the share of worlds in which it has the highest
  value (margin plus customer equity; margin for runs without it) / mean trust at the end; a
  tie splits the world between the tied settings;
- ``expected_regret``: the mean over worlds of (that world's best value − its value): what
  choosing it costs on average against knowing which world is true (0: best everywhere);
- ``max_regret``: the largest such shortfall;
- ``value_mean``, ``value_worst``, ``value_p10``: its value's mean, minimum and 10th
  percentile over worlds (linear interpolation between worlds), and the same for trust.

Settings are ranked by expected regret (lowest first), then by the share of worlds they win.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["RobustRow", "robust_ranking", "best_shares"]


@dataclass(frozen=True)
class RobustRow:
    """One setting's line of ``robust.csv`` (see the module note for each column)."""

    setting: str
    rank: int
    worlds: int
    best_value_share: float
    best_trust_share: float
    expected_regret: float
    max_regret: float
    value_mean: float
    value_worst: float
    value_p10: float
    trust_mean: float
    trust_worst: float
    trust_p10: float

    def as_dict(self) -> dict:
        return asdict(self)


def best_shares(outcome: np.ndarray) -> np.ndarray:
    """float64 (S,): the share of worlds (columns of ``outcome``, float64 (S, K)) in which each
    setting (row) is highest; a tie splits its world equally."""
    top = outcome == outcome.max(axis=0, keepdims=True)
    return (top / top.sum(axis=0, keepdims=True)).mean(axis=1)


def robust_ranking(labels: list[str], value: np.ndarray, trust: np.ndarray) -> list[RobustRow]:
    """The robust ranking of ``labels`` from ``value`` and ``trust``, float64 (S, K): setting ×
    world, each finite (the worlds every setting completed).  Sorted best first."""
    value = np.asarray(value, dtype=np.float64)
    trust = np.asarray(trust, dtype=np.float64)
    if value.ndim != 2 or value.shape != trust.shape or value.shape[0] != len(labels) or value.shape[1] < 1:
        raise ValueError(f"value and trust must be (settings, worlds), got {value.shape} and {trust.shape}")
    regret = value.max(axis=0, keepdims=True) - value
    win_value, win_trust = best_shares(value), best_shares(trust)
    rows = []
    for i, label in enumerate(labels):
        rows.append(
            dict(
                setting=label,
                worlds=value.shape[1],
                best_value_share=float(win_value[i]),
                best_trust_share=float(win_trust[i]),
                expected_regret=float(regret[i].mean()),
                max_regret=float(regret[i].max()),
                value_mean=float(value[i].mean()),
                value_worst=float(value[i].min()),
                value_p10=float(np.percentile(value[i], 10)),
                trust_mean=float(trust[i].mean()),
                trust_worst=float(trust[i].min()),
                trust_p10=float(np.percentile(trust[i], 10)),
            )
        )
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["expected_regret"], -rows[i]["best_value_share"], i))
    return [RobustRow(rank=r + 1, **rows[i]) for r, i in enumerate(order)]
