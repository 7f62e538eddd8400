"""Shared fixtures: small configs that run in well under a second."""

from __future__ import annotations

import pytest

from sim.config.preflight import compose_config

SMALL = ["population.size=2000", "horizon_days=28", "output.journeys=20"]
"""Overrides for a quick run: 2 000 customers, four weeks."""


@pytest.fixture
def small_config():
    """A function composing a small validated Config with extra overrides."""

    def make(*overrides: str):
        return compose_config([*SMALL, *overrides])

    return make
