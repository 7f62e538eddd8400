"""Sweep jobs composed once per combination of config groups (sim.sweep.compose) are the
configs Hydra composes, YAML for YAML; and a batch the preflight checked is not composed again."""

from __future__ import annotations

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from hydra.plugins.sweeper import Sweeper
from omegaconf import DictConfig, ListConfig, OmegaConf

from sim.config.compose import compose_checked, hydra_context, is_hydra_line
from sim.config.experiments import experiment_files
from sim.config.preflight import sweep_plan
from sim.sweep import compose

compose.install()

EXPERIMENTS = sorted(name for name in experiment_files() if name != "tune_recommend")
"""Every shipped experiment of the basic sweeper (tune_recommend's trials are tested below)."""


def hydra_compose(loader, master, job):
    """The config Hydra itself composes for ``job``."""
    return compose._hydra_load_sweep_config(loader, master, job)


def sample(jobs: list[list[str]], per_combination: int = 2) -> list[list[str]]:
    """A few jobs of every combination of group choices, so that some reuse a kept composition."""
    seen: dict[tuple, int] = {}
    picked = []
    for job in jobs:
        groups = tuple(line for line in job if line.split("=")[0] in ("strategy", "campaign", "population"))
        if seen.get(groups, 0) < per_combination:
            seen[groups] = seen.get(groups, 0) + 1
            picked.append(job)
    return picked[:4]


def yaml_of(cfg) -> str:
    return OmegaConf.to_yaml(cfg)


def structure_of(node, path: str = "") -> dict[str, tuple]:
    """Every container node's flags (struct, readonly), type and parent: what the YAML does not show."""
    out = {
        path: (
            node._get_node_flag("struct"),
            node._get_node_flag("readonly"),
            OmegaConf.get_type(node),
            node._get_parent() is not None,
        )
    }
    keys = node.keys() if isinstance(node, DictConfig) else range(len(node))
    for key in keys:
        child = node._get_node(key)
        if isinstance(child, (DictConfig, ListConfig)):
            assert child._get_parent() is node, f"{path}.{key}: not linked to its parent"
            out.update(structure_of(child, f"{path}.{key}"))
    return out


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_shipped_experiments_jobs_compose_as_hydra_composes_them(experiment):
    command = [f"experiment={experiment}", "population.size=1000"]
    jobs = [[line for line in job if not is_hydra_line(line)] for job in sweep_plan(command, multirun=True)]
    before = compose.cache_info()
    with hydra_context():
        master = compose_checked("config", command, multirun=True)
        loader = GlobalHydra.instance().config_loader()
        for job in sample(jobs):
            ours = ConfigLoaderImpl.load_sweep_config(loader, master, job)
            theirs = hydra_compose(loader, master, job)
            assert yaml_of(ours) == yaml_of(theirs), job
            assert structure_of(ours) == structure_of(theirs), job
            assert list(ours.hydra.overrides.task) == job
    after = compose.cache_info()
    assert after["reused"] > before["reused"], "no job reused a kept composition"
    assert after["whole"] == before["whole"]


def test_search_trials_and_odd_jobs_compose_as_hydra_composes_them():
    command = ["strategy=recommend", "population.size=1000"]
    jobs = [
        ["strategy=recommend", "seed=4", "customer.creepiness.scale=0.7", "strategy.exploration=0.25"],
        ["seed=4", "strategy=recommend", "campaign=frequent_email", "value.tail_days=30"],
        ["strategy=popular", "output.journeys=0"],
        # Composed by Hydra as a whole: a key given twice (the last wins), a Hydra setting of
        # one job, a deleted key.
        ["seed=1", "seed=2"],
        ["seed=1", "hydra.job.name=other"],
        ["seed=1", "~behaviors"],
    ]
    with hydra_context():
        master = compose_checked("config", command, multirun=True)
        loader = GlobalHydra.instance().config_loader()
        whole = compose.cache_info()["whole"]
        for job in jobs:
            assert yaml_of(ConfigLoaderImpl.load_sweep_config(loader, master, job)) == yaml_of(
                hydra_compose(loader, master, job)
            ), job
    assert compose.cache_info()["whole"] == whole + 3


def test_a_bad_value_fails_as_in_hydra():
    with hydra_context():
        master = compose_checked("config", ["population.size=1000"], multirun=True)
        loader = GlobalHydra.instance().config_loader()
        for job in (["customer.no_such_key=1"], ["seed=not_a_number"]):
            with pytest.raises(ConfigCompositionException) as ours:
                ConfigLoaderImpl.load_sweep_config(loader, master, job)
            with pytest.raises(ConfigCompositionException) as theirs:
                hydra_compose(loader, master, job)
            assert str(ours.value) == str(theirs.value)
            assert str(ours.value.__cause__) == str(theirs.value.__cause__)


def test_a_job_does_not_see_the_values_of_the_job_before():
    with hydra_context():
        master = compose_checked("config", ["population.size=1000"], multirun=True)
        loader = GlobalHydra.instance().config_loader()
        first = ConfigLoaderImpl.load_sweep_config(loader, master, ["strategy=recommend", "seed=7"])
        second = ConfigLoaderImpl.load_sweep_config(loader, master, ["strategy=recommend"])
    assert first.seed == 7
    assert second.seed == 0


class _Sweeper:
    def __init__(self, config, loader):
        self.config, self.config_loader, self.hydra_context = config, loader, None


def test_a_batch_the_preflight_checked_is_not_composed_again():
    def composed() -> int:
        info = compose.cache_info()
        return info["composed"] + info["reused"] + info["whole"]

    with hydra_context():
        master = compose_checked("config", ["population.size=1000"], multirun=True)
        sweeper = _Sweeper(master, GlobalHydra.instance().config_loader())
        compose.checked_by_preflight([["seed=1"], ["seed=2"]])
        try:
            before = composed()
            Sweeper.validate_batch_is_legal(sweeper, [["seed=1"], ["seed=2"]])
            assert composed() == before
            # A batch with a job the preflight did not check is composed, and a bad job fails
            # as in Hydra.
            Sweeper.validate_batch_is_legal(sweeper, [["seed=1"], ["strategy=popular"]])
            assert composed() == before + 2
            with pytest.raises(ConfigCompositionException):
                Sweeper.validate_batch_is_legal(sweeper, [["seed=1"], ["customer.no_such_key=1"]])
        finally:
            compose.checked_by_preflight([])


def test_restoring_hydras_state_keeps_the_plugins_found_and_restores_the_rest():
    from hydra.core.config_store import ConfigStore
    from hydra.core.plugins import Plugins
    from hydra.core.singleton import Singleton
    from hydra.plugins.launcher import Launcher
    from omegaconf.basecontainer import BaseContainer

    plugins = Plugins.instance()
    state = Singleton.get_state()  # as a launcher passes it to a job: without the plugins
    assert Plugins not in state["instances"]
    store = state["instances"][ConfigStore]
    Singleton.set_state(state)
    assert Plugins.instance() is plugins
    assert ConfigStore.instance() is store
    assert set(BaseContainer._resolvers) == set(state["omegaconf_resolvers"])
    assert any("JoblibLauncher" in c.__name__ for c in Plugins.instance().discover(Launcher))


def test_a_new_command_into_the_same_sweep_directory_composes_again(tmp_path):
    from sim.safety.outputs import write_manifest

    sweep_dir = tmp_path / "sweep"
    command = ["population.size=1000", f"hydra.sweep.dir={sweep_dir}"]
    write_manifest(sweep_dir, {"kind": "sweep", "invocation": "first"})
    with hydra_context():
        master = compose_checked("config", command, multirun=True)
        loader = GlobalHydra.instance().config_loader()
        job = ["strategy=segment_rules", "seed=3"]
        before = compose.cache_info()
        ConfigLoaderImpl.load_sweep_config(loader, master, job)
        ConfigLoaderImpl.load_sweep_config(loader, master, job)
        middle = compose.cache_info()
        assert (middle["composed"], middle["reused"]) == (before["composed"] + 1, before["reused"] + 1)
        # The next command rewrites the manifest: what it composes may read edited files.
        write_manifest(sweep_dir, {"kind": "sweep", "invocation": "second, with more to say"})
        ConfigLoaderImpl.load_sweep_config(loader, master, job)
        assert compose.cache_info()["composed"] == middle["composed"] + 1
