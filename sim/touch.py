"""A wave's touches: one contact per customer of a cohort, as per-touch arrays."""

from __future__ import annotations

import numpy as np

__all__ = ["TouchBatch", "WaveArena"]


class WaveArena:
    """Reusable memory for the per-touch arrays of one run's waves.

    A wave's arrays are views of the start of buffers kept here, so a run allocates them once
    for its largest wave (an email wave reaches most of the population).  Fresh arrays of that
    size, every wave, cost the page faults and zeroing of tens of megabytes, inside whichever
    kernel first writes them.  The price: a batch's arrays stay valid only until the next
    batch takes the arena; a behavior that keeps per-touch values past its hook copies them.
    """

    def __init__(self):
        self._buffers: dict[str, np.ndarray] = {}

    def take(self, name: str, k: int, width: int | None, dtype, fill) -> np.ndarray:
        """Array ``name`` of shape (k,) or (k, width), dtype ``dtype``, every entry ``fill``."""
        tail = () if width is None else (width,)
        buf = self._buffers.get(name)
        if buf is None or buf.shape[0] < k or buf.shape[1:] != tail or buf.dtype != dtype:
            buf = np.empty((k,) + tail, dtype=dtype)
            self._buffers[name] = buf
        out = buf[:k]
        out.fill(fill)
        return out


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

    With an ``arena`` (the engine passes its own), the arrays other than ``cust`` are views of
    the arena's buffers, valid until the next batch takes the same arena.
    """

    def __init__(self, channel: int, day: int, hour: int, cust: np.ndarray, slate_size: int, wave: int = 0,
                 arena: WaveArena | None = None):
        k = int(cust.shape[0])
        self.channel, self.day, self.hour, self.wave = channel, day, hour, wave
        self.campaign = ""   # name of the campaign that sent it, for journeys
        self.slot_sources: list[str] = ["editorial"] * slate_size   # the rule behind each slot
        self.cust = np.ascontiguousarray(cust, dtype=np.int64)
        arena = arena if arena is not None else WaveArena()
        s = slate_size
        for name, width, dtype, fill in _FIELDS:
            setattr(self, name, arena.take(name, k, s if width else None, dtype, fill))

    def __len__(self) -> int:
        return int(self.cust.shape[0])

    def clicked_item(self) -> np.ndarray:
        """int32 (k,): the clicked slate item, -1 where nothing was clicked."""
        out = np.full(len(self), -1, dtype=np.int32)
        rows = np.flatnonzero(self.clicked != 0)   # few: only these rows are gathered
        out[rows] = self.slate[rows, np.maximum(self.best[rows], 0)]
        return out


# The per-touch arrays: (name, one column per slate slot, dtype, initial value).
_FIELDS = (
    ("slate", True, np.int32, 0),
    ("basis", True, np.uint8, 0),
    ("score", True, np.float32, 0),
    ("exposed", False, np.uint8, 0),
    ("viewed", False, np.int32, -1),
    ("viewed_rel", False, np.float32, 0),
    ("rel", False, np.float32, 0),
    ("best", False, np.int8, -1),
    ("persofail", False, np.uint8, 0),
    ("creepy", False, np.uint8, 0),
    ("clicked", False, np.uint8, 0),
    ("bought", False, np.int32, -1),
    ("revenue", False, np.float64, 0),
    ("margin", False, np.float64, 0),
    ("opted_out", False, np.uint8, 0),
)
