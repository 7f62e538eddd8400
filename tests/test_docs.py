"""The README documents every output a run writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.codes import OUTBOUND_NAMES
from sim.metrics import METRICS
from sim.recorder import CHANNEL_COUNTERS, DAILY_COLUMNS

README = (Path(__file__).parents[1] / "README.md").read_text()


@pytest.mark.parametrize("key", sorted(METRICS))
def test_every_metric_is_documented_with_its_meaning(key):
    assert f"| `{key}` | {METRICS[key]} |" in README


@pytest.mark.parametrize("column", sorted(DAILY_COLUMNS))
def test_every_daily_column_is_documented_with_its_meaning(column):
    channel, _, counter = column.partition("_")
    if channel in OUTBOUND_NAMES and counter in CHANNEL_COUNTERS:
        # One row per counter stands for the three channels' columns.
        assert f"| `{{email,push,ads}}_{counter}` | {CHANNEL_COUNTERS[counter]} |" in README
    else:
        assert f"| `{column}` | {DAILY_COLUMNS[column]} |" in README


def test_readme_starts_with_the_two_commands():
    head = README[:600]
    assert "make run" in head and "make test" in head


def test_the_public_namespace_resolves():
    import sim

    for name in sim.__all__:
        assert getattr(sim, name) is not None
