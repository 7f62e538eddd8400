"""Shipped example behaviors (see :mod:`sim.behavior` for the API)."""

from sim.behaviors.word_of_mouth import WordOfMouth

__all__ = ["WordOfMouth"]
