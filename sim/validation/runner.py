"""Run the settings a list of facts needs, every setting on the same seeds.

Each (setting, seed) is one simulation of ``population.size`` customers, run in-process through
:class:`sim.scenario.Scenario` (no output directory is written: the suite reads the metrics it
returns).  Runs go to a pool of worker processes, one compiled-core thread each, so that jobs
never compete for a core; results do not depend on the number of jobs or threads.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context

from sim.validation.settings import COMMON
from sim.validation.spec import Fact, Setting

__all__ = ["Scale", "FULL", "QUICK", "RunSet", "SettingFailed", "settings_of", "run_settings"]


class SettingFailed(Exception):
    """A setting could not be run (its overrides are not a valid config, or the run failed);
    the message names the setting."""


@dataclass(frozen=True)
class Scale:
    """How big the runs are: customers per run and the seeds every setting runs on."""

    name: str
    customers: int
    seeds: tuple[int, ...]


FULL = Scale("full", 50_000, (0, 1, 2, 3, 4))
"""`make validate`: 50 000 customers, 5 seeds (paired: every setting runs on seeds 0-4)."""
QUICK = Scale("quick", 3_000, (0, 1))
"""`--quick`: a smoke run of the whole pipeline; its figures are too noisy to judge the model."""


@dataclass
class RunSet:
    """The metrics of every run, by setting name and seed, and how long they took."""

    scale: Scale
    metrics: dict[str, dict[int, dict]]
    wall_seconds: float
    jobs: int
    cpu_seconds: float = 0.0

    def runs_of_seed(self, seed: int) -> dict[str, dict]:
        """The runs of one seed, by setting name (what a fact's figure is computed from)."""
        return {name: by_seed[seed] for name, by_seed in self.metrics.items()}

    @property
    def count(self) -> int:
        return sum(len(by_seed) for by_seed in self.metrics.values())


def settings_of(facts: Iterable[Fact]) -> list[Setting]:
    """The distinct settings the facts compare, in order of first use.

    Two settings with one name must be the same runs; two names for the same runs would
    simulate them twice, so both are refused.
    """
    by_name: dict[str, Setting] = {}
    by_key: dict[tuple, str] = {}
    for fact in facts:
        for s in fact.settings:
            if s.name in by_name:
                if by_name[s.name].key != s.key:
                    raise ValueError(f"two different settings are named {s.name!r}")
                continue
            if s.key in by_key:
                raise ValueError(f"settings {by_key[s.key]!r} and {s.name!r} are the same runs")
            by_name[s.name] = s
            by_key[s.key] = s.name
    return list(by_name.values())


def overrides_of(setting: Setting, customers: int) -> list[str]:
    """The full override list of one setting's runs (without the seed)."""
    return [
        *COMMON,
        f"population.size={customers}",
        f"horizon_days={setting.horizon_days}",
        "threads=1",
        *setting.overrides,
    ]


def run_seeds(overrides: tuple[str, ...], seeds: tuple[int, ...]) -> dict[int, dict]:
    """Simulate one setting on each of ``seeds``; its ``metrics.json`` dictionary by seed.

    The config is composed once (it takes a second or more) and only its seed changes.
    """
    from sim.config.preflight import compose_config
    from sim.scenario import Scenario

    composed = compose_config(list(overrides))
    out = {}
    for seed in seeds:
        config = copy.deepcopy(composed)
        config.seed = seed
        out[seed] = Scenario(config).run().metrics
    return out


def _tasks(settings: list[Setting], scale: Scale, jobs: int) -> list[tuple[str, tuple[str, ...], tuple[int, ...]]]:
    """(setting name, overrides, seeds) of each task.  A task is a setting's seeds together, or
    single runs when there are too few settings to keep every job busy to the end."""
    # Longest runs first, so that the last tasks to finish are short ones.
    order = sorted(settings, key=lambda s: -s.horizon_days)
    whole = len(settings) >= 2 * jobs
    return [
        (s.name, tuple(overrides_of(s, scale.customers)), seeds)
        for s in order
        for seeds in ([scale.seeds] if whole else [(seed,) for seed in scale.seeds])
    ]


def run_settings(
    settings: list[Setting],
    scale: Scale,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> RunSet:
    """Run every setting on every seed of ``scale``; ``jobs`` tasks at once (1: in this process).

    ``progress(runs done, runs in all)`` is called after each task.
    """
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    tasks = _tasks(settings, scale, jobs)
    metrics: dict[str, dict[int, dict]] = {s.name: {} for s in settings}
    total, done = len(settings) * len(scale.seeds), 0

    def collect(name: str, get: Callable[[], dict[int, dict]]) -> None:
        nonlocal done
        runs = _result(name, get)
        metrics[name].update(runs)
        done += len(runs)
        if progress:
            progress(done, total)

    if jobs <= 1:
        for name, overrides, seeds in tasks:
            collect(name, partial(run_seeds, overrides, seeds))
    else:
        # A fresh interpreter per worker: the compiled core's thread pool is never forked.
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(run_seeds, overrides, seeds): name for name, overrides, seeds in tasks}
            try:
                for future in as_completed(futures):
                    collect(futures[future], future.result)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)  # no further runs after a failure
                raise
    return RunSet(scale, metrics, time.perf_counter() - start, max(1, jobs), _cpu_seconds() - cpu_start)


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished workers: on a machine shared with
    other jobs, what the runs cost regardless of how long they waited for a core."""
    try:
        import resource
    except ImportError:  # not a Unix system: this process only
        return time.process_time()
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _result(name: str, get: Callable[[], dict[int, dict]]) -> dict[int, dict]:
    """The metrics ``get()`` returns; a failure is re-raised naming the setting."""
    from sim.config.preflight import PreflightError
    from sim.errors import ConfigError

    try:
        return get()
    except (PreflightError, ConfigError) as exc:
        raise SettingFailed(f"setting {name}: {exc}") from exc
