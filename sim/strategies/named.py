"""Strategies looked up by name, for campaigns whose slates another strategy fills.

A campaign may name a strategy of ``configs/strategy/`` (``strategy: popular``); its YAML file
is read here and checked against :class:`~sim.config.schema.StrategyConfig`, so a typo in
the name is an error at config time.  The file is plain YAML (no interpolation), read with
``yaml`` and turned into the dataclass by :func:`sim.config.plain.from_mapping`: the library
below the command never loads OmegaConf.
"""

from __future__ import annotations

from importlib import resources

import yaml

from sim.config.plain import from_mapping
from sim.config.schema import StrategyConfig

__all__ = ["available_strategies", "load_strategy_config"]


def _strategy_dir():
    return resources.files("sim.configs") / "strategy"


def available_strategies() -> list[str]:
    """Names of the strategies shipped in ``configs/strategy/``."""
    return sorted(p.name[:-5] for p in _strategy_dir().iterdir() if p.name.endswith(".yaml"))


def load_strategy_config(name: str) -> StrategyConfig:
    """The :class:`StrategyConfig` of ``configs/strategy/NAME.yaml``.

    Raises
    ------
    KeyError
        For a name that is not a shipped strategy.
    sim.errors.ConfigError
        For a key the schema does not have or a value of the wrong type in the file.
    """
    if name not in available_strategies():
        raise KeyError(name)
    node = yaml.safe_load((_strategy_dir() / f"{name}.yaml").read_text()) or {}
    node.pop("defaults", None)  # a strategy's own choice of campaign plan does not apply here
    if "strategy" in node:  # a file in the global package
        node = node["strategy"]
    return from_mapping(StrategyConfig, node, "strategy")
