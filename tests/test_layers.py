"""The library below the command works on plain dataclasses: importing it loads neither
OmegaConf nor Hydra (they stay in sim.app, sim.config and sim.sweep)."""

from __future__ import annotations

import json
import subprocess
import sys

LIBRARY = [
    "sim.customer",
    "sim.scenario",
    "sim.engine",
    "sim.behavior",
    "sim.behaviors",
    "sim.population",
    "sim.catalog",
    "sim.firm",
    "sim.recorder",
    "sim.metrics",
    "sim.campaigns.book",
    "sim.campaigns.checks",
    "sim.campaigns.policy",
    "sim.campaigns.retargeting",
    "sim.campaigns.scheduled",
    "sim.campaigns.triggers",
    "sim.strategies",
    "sim.strategies.named",
    "sim.config.schema",
    "sim.testing",
]
"""Library modules, each imported in turn in one fresh interpreter."""

CONFIG_FRAMEWORKS = ("omegaconf", "hydra")

# For each module in turn: import it, then list the framework modules loaded so far.
_PROBE = f"""
import importlib, json, sys
loaded = {{}}
for name in sys.argv[1:]:
    importlib.import_module(name)
    loaded[name] = sorted(m for m in sys.modules if m.split(".")[0] in {CONFIG_FRAMEWORKS!r})
print(json.dumps(loaded))
"""


def frameworks_loaded_by(modules: list[str]) -> dict[str, list[str]]:
    """For each module, imported in this order in a fresh interpreter: the OmegaConf and Hydra
    modules loaded once it is imported."""
    out = subprocess.run([sys.executable, "-c", _PROBE, *modules], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_importing_the_library_loads_neither_omegaconf_nor_hydra():
    loaded = frameworks_loaded_by(LIBRARY)
    assert {name: mods[:3] for name, mods in loaded.items() if mods} == {}


def test_the_probe_sees_the_command_load_them():
    # The command's module composes configs with Hydra: the same probe must report it.
    loaded = frameworks_loaded_by(["sim.customer", "sim.app"])
    assert loaded["sim.customer"] == []
    assert "omegaconf" in loaded["sim.app"] and "hydra" in loaded["sim.app"]
