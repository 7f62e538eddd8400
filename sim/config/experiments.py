"""Experiment files: the ``experiment`` config group (``prepersona experiment=NAME``).

An experiment is a YAML file in the top-level ``experiments/`` folder (shipped with the
package as ``sim.experiments``): a Hydra config in the global package that sets a sweep
(``hydra.mode: MULTIRUN``, ``hydra.sweeper.params``), the population, the horizon, the seeds
and the ``experiment.question`` it answers.

Hydra finds a config group as a sub-folder of a search-path root, and ``experiments/`` is a
root folder of its own.  So its files are stored in Hydra's ConfigStore under the
``experiment`` group instead: that works the same from a source tree, an editable install and
a wheel, and a misspelt name lists the available experiments like any other group.
"""

from __future__ import annotations

import re
from importlib import resources

from omegaconf import OmegaConf

__all__ = ["GROUP", "experiment_files", "register_experiments"]

GROUP = "experiment"

# Hydra reads a file's package from its leading comment lines; the same rule here.
_HEADER = re.compile(r"\A(?:#[^\n]*\n|\s*\n)*?#\s*@package\s+(\S+)")


def experiment_files() -> dict:
    """Every shipped experiment: name -> its YAML file (an ``importlib.resources`` Traversable)."""
    root = resources.files("sim.experiments")
    return {p.name[: -len(".yaml")]: p for p in root.iterdir() if p.name.endswith(".yaml")}


def register_experiments() -> None:
    """Store every shipped experiment in Hydra's ConfigStore, group ``experiment`` (idempotent)."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    for name, path in sorted(experiment_files().items()):
        text = path.read_text(encoding="utf-8")
        header = _HEADER.match(text)
        store.store(group=GROUP, name=name, node=OmegaConf.create(text), package=header.group(1) if header else None)
