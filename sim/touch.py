"""A wave's touches: one contact per customer of a cohort, as per-touch arrays."""

from __future__ import annotations

import numpy as np

__all__ = ["TouchBatch"]


class TouchBatch:
    """The k touches of one wave (k = len(cust)), filled stage by stage.

    Attributes (k touches, S slate slots)
    ----------
    channel : int            channel code (sim.codes)
    day, hour : int          when the wave happens
    wave : int               which campaign of the plan sent it (0: visits and the first campaign)
    campaign : str           that campaign's name ("visits", "newsletter", "retargeting", ...)
    slot_sources : list[str] (S,)  the strategy's source of each slot on this channel
    cust : int64 (k,)        customer of each touch, unique, ascending
    slate : int32 (k, S)     items shown
    basis : uint8 (k, S)     data basis of each slot (sim.codes.DATA_BASES)
    score : float32 (k, S)   the firm's model score of each slot
    exposed : uint8 (k,)     the customer noticed the touch (onsite: always)
    viewed : int32 (k,)      item found by browsing, -1 if none (onsite only)
    viewed_rel : float32 (k,)
    rel : float32 (k,)       perceived relevance of the slate (the customer's, not the firm's)
    best : int8 (k,)         slot the customer liked best, -1 if not exposed
    persofail : uint8 (k,)   1 + the first slot showing a durable bought within the persofail
                             window, 0 if none (nonzero = a persofail)
    creepy : uint8 (k,)      the touch felt creepy
    clicked : uint8 (k,)     the best slot was clicked
    bought : int32 (k,)      item bought, -1 if none
    revenue, margin : float64 (k,)
    opted_out : uint8 (k,)   the customer unsubscribed from the channel
    validated : set[str]     per-touch index arrays known to be in range, which the kernel
                             calls do not scan again; checked : bool, whether this wave's
                             kernel calls check their arguments.  Both are set by the run's
                             :class:`sim.checks.RunChecks` (``begin_wave``), where the rule
                             that allows skipping a check is stated; the built-in kernels add
                             to ``validated`` the arrays they write.
    """

    def __init__(
        self,
        channel: int,
        day: int,
        hour: int,
        cust: np.ndarray,
        slate_size: int,
        wave: int = 0,
        written: frozenset[str] = frozenset(),
    ):
        """``written`` names per-touch arrays that the wave's stages write at every touch
        before anything reads them (``RunChecks.written``): those are allocated without their
        initial values, sparing a pass over each; every other array starts as listed above
        (-1 for ``viewed``, ``best`` and ``bought``, else 0)."""
        k = int(cust.shape[0])
        self.channel, self.day, self.hour, self.wave = channel, day, hour, wave
        self.campaign = ""  # name of the campaign that sent it, for journeys
        self.slot_sources: list[str] = ["editorial"] * slate_size  # the rule behind each slot
        self.cust = np.ascontiguousarray(cust, dtype=np.int64)
        self.validated: set[str] = set()
        self.checked = True

        def array(name: str, shape, dtype, initial=0):
            if name in written:
                return np.empty(shape, dtype=dtype)
            return np.full(shape, initial, dtype=dtype) if initial else np.zeros(shape, dtype=dtype)

        self.slate = array("slate", (k, slate_size), np.int32)
        self.basis = array("basis", (k, slate_size), np.uint8)
        self.score = array("score", (k, slate_size), np.float32)
        self.exposed = array("exposed", k, np.uint8)
        self.viewed = array("viewed", k, np.int32, -1)
        self.viewed_rel = array("viewed_rel", k, np.float32)
        self.rel = array("rel", k, np.float32)
        self.best = array("best", k, np.int8, -1)
        self.persofail = array("persofail", k, np.uint8)
        self.creepy = array("creepy", k, np.uint8)
        self.clicked = array("clicked", k, np.uint8)
        self.bought = array("bought", k, np.int32, -1)
        self.revenue = array("revenue", k, np.float64)
        self.margin = array("margin", k, np.float64)
        self.opted_out = array("opted_out", k, np.uint8)

    def __len__(self) -> int:
        return int(self.cust.shape[0])
