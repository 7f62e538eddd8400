"""The firm's strategies: what to show, to whom, on which data.

A strategy sees only a :class:`sim.firm.FirmView`.  Built-in strategies are chosen by
``strategy.kind``; each ``configs/strategy/*.yaml`` file is one named strategy.
"""

from sim.strategies.base import Strategy, build_strategy
from sim.strategies.builtin import PopularStrategy, RecommendStrategy, RetargetStrategy

__all__ = ["Strategy", "build_strategy", "PopularStrategy", "RecommendStrategy", "RetargetStrategy"]
