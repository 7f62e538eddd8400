"""Which argument checks a run may skip, and why that is safe: one object, owned by the engine.

The compiled kernels run with bounds checks off, so :func:`sim.core.kernels.call` checks every
array a kernel reads (dtype, shape, layout, index ranges) before the kernel runs.  In a run of
built-in code only, most of those checks would repeat, wave after wave, what an earlier check
or the engine's own construction already guarantees, and they cost a few hundred microseconds
of Python per wave.  :class:`RunChecks` holds every decision to skip one, so that the rule
lives in one place:

**Invariant.**  A check is skipped only for an array that built-in code made, in the same way
(same dtype, shape and owner), as an array this run has already checked, or whose values are
in range by construction.  Code the engine does not own (a researcher's behavior, a strategy
other than the built-in slot strategy) or the NumPy twins switch every skip off.

What may be skipped, and the state that says so:

* ``sealed(strategy)``: a wave of that strategy runs built-in code only;
* ``begin_wave(batch, ...)``: in a sealed wave, its kernels check their arguments' signatures
  at the first wave of each (channel, strategy) of the run (``TouchBatch.checked``), and the
  per-touch index arrays built-in kernels wrote are not scanned again (``TouchBatch.validated``,
  a set of names the kernels add to as they write them);
* ``written(channel, strategy)``: per-touch arrays that every stage of a sealed wave writes
  before anything reads them, so the wave allocates them without initial values;
* ``day_kernel(name)``: a day kernel checks its arguments at its first call of the run;
* ``fatigue_live``: the channels whose fatigue may be nonzero (a row of zeros is neither
  decayed by the day nor read by the response).
"""

from __future__ import annotations

import numpy as np

from sim.codes import CHANNELS, ONSITE

__all__ = ["RunChecks", "CUSTOMER_WRITTEN"]

CUSTOMER_WRITTEN = frozenset(
    {"exposed", "rel", "best", "persofail", "creepy", "clicked", "bought", "revenue", "margin"}
)
"""Per-touch arrays the built-in customer stages write at every touch of every wave."""


class RunChecks:
    """The skip-the-checks state of one run.

    Parameters
    ----------
    builtin_customer : bool
        The customer model has no behavior and runs on the compiled kernels (``impl`` is
        "compiled"): the only condition under which anything is skipped.
    """

    def __init__(self, builtin_customer: bool = False):
        self.builtin_customer = builtin_customer
        self._signatures_checked: set[tuple[int, str]] = set()
        self._day_kernels_checked: set[str] = set()
        self._all_channels = np.ones(len(CHANNELS), dtype=np.uint8)
        self._fatigue_live: np.ndarray | None = None

    # ------------------------------------------------------------------ waves
    def sealed(self, strategy) -> bool:
        """Whether a wave of ``strategy`` runs built-in code only: a built-in customer model and
        the built-in slot strategy."""
        from sim.strategies.builtin import SlotStrategy

        return self.builtin_customer and type(strategy) is SlotStrategy

    def written(self, channel: int, strategy) -> frozenset[str]:
        """The per-touch arrays of a wave on ``channel`` that its stages write at every touch
        before any reads them (empty unless the wave is sealed): the customer stages' outputs
        (exposure writes ``exposed``, and onsite, browsing ``viewed`` and ``viewed_rel``; the
        response every touch's outcome, and on an outbound channel ``opted_out``) and the
        strategy's own."""
        if not self.sealed(strategy):
            return frozenset()
        customer = CUSTOMER_WRITTEN | ({"viewed", "viewed_rel"} if channel == ONSITE else {"opted_out"})
        return customer | strategy.written_every_touch()

    def begin_wave(self, batch, strategy, strategy_name: str) -> bool:
        """Set ``batch.checked`` and ``batch.validated`` for a new wave; True when the wave's
        customers must be scanned (a sealed wave's kernels then trust them).

        In a sealed wave the kernels check their signatures at the first wave of the run of
        each (channel, strategy) only: the arrays are the population's, the firm's, the
        catalogue's and the batch's, of the same dtypes and shapes at every such wave.  Its
        customers are checked once for all its kernels; the index arrays the built-in kernels
        write are marked as they are written.  Outside a sealed wave every call checks
        everything.
        """
        if not self.sealed(strategy):
            batch.checked = True
            batch.validated = set()
            return False
        key = (batch.channel, strategy_name)
        batch.checked = key not in self._signatures_checked
        self._signatures_checked.add(key)
        # Onsite, browsing will write ``viewed``; elsewhere it stays -1 (nothing browsed).
        batch.validated = {"cust"} if batch.channel == ONSITE else {"cust", "viewed"}
        return True

    # ------------------------------------------------------------------ day kernels
    def day_kernel(self, name: str) -> bool:
        """Whether this call of day kernel ``name`` checks its arguments: always unless the
        customer model is built-in, else only at the kernel's first call of the run (its
        arrays, the population's, stay the same)."""
        if not self.builtin_customer or name not in self._day_kernels_checked:
            self._day_kernels_checked.add(name)
            return True
        return False

    # ------------------------------------------------------------------ fatigue in use
    def start_fatigue(self, fatigue: np.ndarray) -> None:
        """Note which channels' fatigue is in use as the run starts: those with some nonzero
        fatigue now (``fatigue``: the population's float32 (N, C) array); from then on, every
        channel a built-in stage adds fatigue to (``fatigue_added``).  With a behavior, which
        may write any channel's fatigue, every channel."""
        if self.builtin_customer:
            self._fatigue_live = np.ascontiguousarray((fatigue != 0).any(axis=0), dtype=np.uint8)
        else:
            self._fatigue_live = None

    def fatigue_in_use(self) -> np.ndarray:
        """uint8 (C,): 1 for the channels whose fatigue may be nonzero.  A channel's row is all
        zeros until a contact on it adds fatigue, and zeros decay to zeros, so the day skips
        the others (most plans use one or two of the four channels)."""
        return self._all_channels if self._fatigue_live is None else self._fatigue_live

    def fatigue_added(self, channel: int) -> None:
        """A built-in stage adds fatigue on ``channel`` from now on."""
        if self._fatigue_live is not None:
            self._fatigue_live[channel] = 1
