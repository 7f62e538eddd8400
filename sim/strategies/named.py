"""Strategies looked up by name, for campaigns whose slates another strategy fills.

A campaign may name a strategy of ``configs/strategy/`` (``strategy: popular``); its YAML file
is read here and checked against :class:`~sim.config.schema.StrategyConfig`, so a typo in
the name is an error at config time.
"""

from __future__ import annotations

from importlib import resources

from omegaconf import OmegaConf

from sim.config.schema import StrategyConfig

__all__ = ["available_strategies", "load_strategy_config"]


def _strategy_dir():
    return resources.files("sim.configs") / "strategy"


def available_strategies() -> list[str]:
    """Names of the strategies shipped in ``configs/strategy/``."""
    return sorted(p.name[:-5] for p in _strategy_dir().iterdir() if p.name.endswith(".yaml"))


def load_strategy_config(name: str) -> StrategyConfig:
    """The :class:`StrategyConfig` of ``configs/strategy/NAME.yaml``; KeyError for an unknown name."""
    if name not in available_strategies():
        raise KeyError(name)
    node = OmegaConf.load(str(_strategy_dir() / f"{name}.yaml"))
    node.pop("defaults", None)  # a strategy's own choice of campaign plan does not apply here
    if "strategy" in node:  # a file in the global package
        node = node.strategy
    merged = OmegaConf.merge(OmegaConf.structured(StrategyConfig), node)
    return OmegaConf.to_object(merged)
