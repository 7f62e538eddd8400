"""The README documents every output a run writes."""

from __future__ import annotations

import re
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


def test_the_customer_model_table_lists_every_equation_in_order():
    # One row per equation (or a row naming several that form one), in the order of
    # sim/core/_model.pxd: the README's model table cannot drift from the code.
    import re

    from sim.core import load_compiled

    section = README.split("## The customer model\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = [name for row in rows for name in re.findall(r"`(\w+)`", row.split(" | ")[0])]
    assert named == list(load_compiled("_equations").EQUATIONS)


def test_the_customer_model_table_names_only_config_keys_that_exist():
    # Each config key the table's last column names resolves in the customer schema.
    import dataclasses

    from sim.config.schema import CustomerConfig

    section = README.split("## The customer model\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    keys = [key for row in rows for key in re.findall(r"`([\w.*]+)`", row.rstrip(" |").rsplit(" | ", 1)[1])]
    assert len(keys) > 20
    for key in keys:
        node = CustomerConfig()
        for part in key.split("."):
            if part.endswith("*"):  # every field (or every field starting with the prefix)
                names = [f.name for f in dataclasses.fields(node)]
                assert any(name.startswith(part[:-1]) for name in names), key
                break
            assert hasattr(node, part), key
            node = getattr(node, part)
