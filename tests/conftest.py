"""Shared fixtures: small configs that run in well under a second."""

from __future__ import annotations

import signal

import pytest

from sim.config.preflight import compose_config

SMALL = ["population.size=2000", "horizon_days=28", "output.journeys=20", "value.tail_days=0"]
"""Overrides for a quick run: 2 000 customers, four weeks, no customer-equity tail (its own
tests turn it on: a year's tail would cost a four-week run many times over)."""


@pytest.fixture
def small_config():
    """A function composing a small validated Config with extra overrides."""

    def make(*overrides: str):
        return compose_config([*SMALL, *overrides])

    return make


def pytest_collection_modifyitems(config, items):
    """Slow tests first, in their collected order, then the rest: spread over workers
    (``-n auto``), the longest tests (a wheel install, command-line sweeps) then start at
    once beside the fast ones instead of running alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _signal_handlers_restored():
    """A command's main() called in-process installs its Ctrl-C and SIGTERM handling
    (sim.safety.failures.interrupts); the next test gets the handlers it found."""
    from sim.safety.failures import interrupts

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    state = (interrupts.installed, interrupts.deferring, interrupts.pending)
    yield
    for s, handler in handlers.items():
        signal.signal(s, handler)
    interrupts.installed, interrupts.deferring, interrupts.pending = state
