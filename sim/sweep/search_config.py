"""The config of ``hydra/sweeper=search`` (registered in Hydra's ConfigStore).

Registered with a provider name, as Hydra's own plugins register theirs: it names the sweeper
class (a ``_target_``), which no config file of a user may (:mod:`sim.safety.hydra_keys`).
The settings a user sets are ``hydra.sweeper.*`` (see :mod:`sim.sweep.search_settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SearchSweeperConf", "SWEEPER_TARGET", "store_config", "register"]

SWEEPER_TARGET = "hydra_plugins.prepersona_search.SearchSweeper"


@dataclass
class SearchSweeperConf:
    _target_: str = SWEEPER_TARGET
    # metric of metrics.json -> maximize | minimize
    objectives: dict[str, str] = field(default_factory=dict)
    # "metric <= number" or "metric >= number": what a feasible trial keeps
    constraints: list[str] = field(default_factory=list)
    # auto (NSGA-II for several objectives, TPE for one), tpe, nsga2, random
    sampler: str = "auto"
    sampler_seed: int = 0
    # NSGA-II's generation (null: a quarter of the trials, between 4 and 50)
    population_size: Any = None
    n_trials: int = 20
    # the seeds every trial runs (common random numbers); a trial's outcome is their mean
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    # trials launched together (null: enough to keep the launcher's jobs busy)
    trials_at_once: Any = None
    # the search space: key -> interval(...), choice(...), range(...) or a fixed value
    params: dict[str, str] | None = None


def store_config() -> None:
    """Store the config as ``hydra/sweeper=search`` (idempotent)."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(group="hydra/sweeper", name="search", node=SearchSweeperConf, provider="prepersona")


def register() -> None:
    """Store the config and register the sweeper with Hydra's plugins (idempotent).

    Hydra finds plugins by listing the modules of ``hydra_plugins``, which does not see a
    package installed in editable mode; registering the class explicitly works either way.
    """
    from hydra.core.plugins import Plugins

    from hydra_plugins.prepersona_search import SearchSweeper

    store_config()
    Plugins.instance().register(SearchSweeper)
