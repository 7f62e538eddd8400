"""The firm's strategies: what to show, to whom, on which data.

A strategy sees only a :class:`sim.firm.FirmView`.  A built-in strategy is a list of slot
sources plus levers (``configs/strategy/*.yaml``), filled by one compiled kernel.
"""

from sim.strategies.base import Strategy, build_strategy
from sim.strategies.builtin import SlotStrategy

__all__ = ["Strategy", "build_strategy", "SlotStrategy"]
