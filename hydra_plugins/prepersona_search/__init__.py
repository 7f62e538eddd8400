"""prepersona's search sweeper as a Hydra plugin (Hydra instantiates plugins from ``hydra_plugins``
only).  The work is :mod:`sim.sweep.search`'s; this module stays small because Hydra imports
every module of ``hydra_plugins`` whenever it starts."""

from __future__ import annotations

from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper

from sim.sweep.search_config import store_config

__all__ = ["SearchSweeper"]

store_config()


class SearchSweeper(Sweeper):
    """Hydra's side of :class:`sim.sweep.search.Search`."""

    def __init__(self, **settings) -> None:
        self.settings = settings
        self.config = self.launcher = None

    def setup(self, *, hydra_context, task_function, config) -> None:
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]):
        from sim.sweep.search import Search
        from sim.sweep.search_results import write_search_results

        search = Search(self.config.hydra.sweeper, self.config, self.launcher, arguments)
        study = search.run()
        print(write_search_results(study, search), flush=True)
        print(search.timing(), flush=True)
        return study
