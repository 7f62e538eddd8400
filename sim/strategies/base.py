"""The Strategy interface."""

from __future__ import annotations

from abc import ABC, abstractmethod

from sim.config.schema import StrategyConfig
from sim.firm import FirmView
from sim.touch import TouchBatch

__all__ = ["Strategy", "build_strategy"]


class Strategy(ABC):
    """Fills the slates of a wave from what the firm observes.

    Subclasses implement :meth:`fill`, which writes ``batch.slate``, ``batch.basis`` and
    ``batch.score`` (int32 / uint8 / float32 arrays of shape (k, S)) and nothing else.

    Attributes
    ----------
    config : StrategyConfig
    covert, explained, control : bool
        How the touches are presented; the customer model's creepiness stage reads them.
    """

    def __init__(self, config: StrategyConfig):
        self.config = config
        self.name = config.name
        self.slate_size = len(config.slots)
        self.covert = config.covert
        self.explained = config.explained
        self.control = config.control

    def written_every_touch(self) -> frozenset[str]:
        """The per-touch arrays :meth:`fill` writes at every touch, exposed or not, so that a
        wave need not give them initial values.  None unless a subclass says so."""
        return frozenset()

    @abstractmethod
    def fill(self, batch: TouchBatch, firm: FirmView, wave_key: int, threads: int, impl: str) -> None:
        """Write the batch's slates; ``wave_key`` keys the strategy's own random stream."""


def build_strategy(config: StrategyConfig) -> Strategy:
    """The built-in slot strategy configured by ``config``."""
    from sim.strategies.builtin import SlotStrategy

    return SlotStrategy(config)
