"""What a search sweep asks for (``hydra.sweeper.*`` of ``hydra/sweeper=search``), checked.

``objectives`` maps a metric of ``metrics.json`` to ``maximize`` or ``minimize``;
``constraints`` are lines ``metric <= bound`` or ``metric >= bound`` that a trial must keep to
be feasible; ``seeds`` are the seeds every trial runs (the same for all trials: common random
numbers), and a trial's outcome on a metric is its mean over them; ``n_trials`` trials are
run in all; ``sampler`` is ``auto`` (NSGA-II for several objectives, TPE for one), ``tpe``,
``nsga2`` or ``random``, seeded by ``sampler_seed`` (NSGA-II evolves generations of
``population_size`` trials, by default a quarter of the trials); ``trials_at_once`` trials are launched
together (default: enough to keep the launcher's jobs busy).

:func:`settings_from` refuses bad input in one line (:class:`sim.errors.ConfigError`) before
any trial runs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from sim.errors import ConfigError
from sim.metrics import METRICS, TIMING_METRICS

__all__ = ["SearchSettings", "Constraint", "settings_from", "OBJECTIVE_METRICS", "DIRECTIONS", "SAMPLERS"]

DIRECTIONS = ("maximize", "minimize")
SAMPLERS = ("auto", "tpe", "nsga2", "random")

# Metrics that are labels or counts of the setup, not outcomes (and the wall-clock timings,
# the only metrics that differ between two runs of one config and seed).
_NOT_OUTCOMES = {
    "customers",
    "horizon_days",
    "seed",
    "strategy",
    "population",
    "customer_model",
    "campaign",
    "threads",
    "impl",
    "config_hash",
    "channels",
    "creepy_touches_by_basis",
    "persofails_by_source",
    "behaviors",
    "equity_sample",
    "state_bytes_per_customer",
    *TIMING_METRICS,
}
OBJECTIVE_METRICS = tuple(k for k in METRICS if k not in _NOT_OUTCOMES)
"""The metrics a search may optimize or constrain (numbers of ``metrics.json``)."""

_CONSTRAINT = re.compile(r"^\s*([\w.]+)\s*(<=|>=)\s*([-+0-9.eE]+)\s*$")


@dataclasses.dataclass(frozen=True)
class Constraint:
    """``metric <= bound`` (or ``>=``): a trial is feasible when its mean keeps it."""

    metric: str
    op: str
    bound: float

    def violation(self, value: float) -> float:
        """How far ``value`` is beyond the bound (<= 0: kept), as Optuna's constraints want it."""
        return value - self.bound if self.op == "<=" else self.bound - value

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.bound:g}"


@dataclasses.dataclass(frozen=True)
class SearchSettings:
    objectives: dict[str, str]
    constraints: tuple[Constraint, ...]
    sampler: str
    sampler_seed: int
    n_trials: int
    seeds: tuple[int, ...]
    trials_at_once: int | None
    population_size: int | None = None

    @property
    def generation(self) -> int:
        """NSGA-II's population: as given, else a quarter of the trials between 4 and 50, so
        that even a small search evolves over a few generations (Optuna's 50 would leave a
        search of 40 trials at its random first generation)."""
        if self.population_size is not None:
            return self.population_size
        return min(50, max(4, self.n_trials // 4))

    @property
    def directions(self) -> list[str]:
        return list(self.objectives.values())

    @property
    def sampler_name(self) -> str:
        """The sampler actually used (``auto`` resolved)."""
        if self.sampler != "auto":
            return self.sampler
        return "nsga2" if len(self.objectives) > 1 else "tpe"

    def identity(self) -> dict:
        """Everything but ``n_trials``: asking for more trials continues the same study."""
        d = dataclasses.asdict(self)
        d.pop("n_trials")
        d.pop("trials_at_once")
        d["constraints"] = [str(c) for c in self.constraints]
        return d


def _key(name: str) -> str:
    return f"hydra.sweeper.{name}"


def settings_from(node: Mapping[str, Any]) -> SearchSettings:
    """The checked settings of a search sweeper's config node (plain containers).

    Raises
    ------
    ConfigError
        One line naming the setting, its value and what is allowed.
    """
    objectives = dict(node.get("objectives") or {})
    if not objectives:
        raise ConfigError(_key("objectives"), objectives, "at least one metric with maximize or minimize")
    for metric, direction in objectives.items():
        if metric not in OBJECTIVE_METRICS:
            raise ConfigError(_key(f"objectives.{metric}"), direction, _unknown_metric(metric))
        if direction not in DIRECTIONS:
            raise ConfigError(_key(f"objectives.{metric}"), direction, "maximize or minimize")
    constraints = []
    for i, line in enumerate(node.get("constraints") or []):
        m = _CONSTRAINT.match(str(line))
        if not m:
            raise ConfigError(_key(f"constraints.{i}"), line, "'metric <= number' or 'metric >= number'")
        metric, op, bound = m.groups()
        if metric not in OBJECTIVE_METRICS:
            raise ConfigError(_key(f"constraints.{i}"), line, _unknown_metric(metric))
        try:
            constraints.append(Constraint(metric, op, float(bound)))
        except ValueError:
            raise ConfigError(_key(f"constraints.{i}"), line, "'metric <= number' or 'metric >= number'") from None
    sampler = node.get("sampler", "auto")
    if sampler not in SAMPLERS:
        raise ConfigError(_key("sampler"), sampler, "one of " + ", ".join(SAMPLERS))
    n_trials = node.get("n_trials")
    if not _whole(n_trials) or n_trials < 1:
        raise ConfigError(_key("n_trials"), n_trials, "a whole number >= 1 (trials to run)")
    seeds = list(node.get("seeds") or [])
    if not seeds or not all(_whole(s) and s >= 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise ConfigError(_key("seeds"), seeds, "a list of distinct whole numbers >= 0 (the seeds of every trial)")
    at_once = node.get("trials_at_once")
    if at_once is not None and (not _whole(at_once) or at_once < 1):
        raise ConfigError(_key("trials_at_once"), at_once, "a whole number >= 1, or null")
    population = node.get("population_size")
    if population is not None and (not _whole(population) or population < 2):
        raise ConfigError(_key("population_size"), population, "a whole number >= 2 (NSGA-II's generation), or null")
    sampler_seed = node.get("sampler_seed", 0)
    if not _whole(sampler_seed) or sampler_seed < 0:
        raise ConfigError(_key("sampler_seed"), sampler_seed, "a whole number >= 0")
    return SearchSettings(
        objectives=objectives,
        constraints=tuple(constraints),
        sampler=sampler,
        sampler_seed=int(sampler_seed),
        n_trials=int(n_trials),
        seeds=tuple(int(s) for s in seeds),
        trials_at_once=at_once,
        population_size=population,
    )


def _whole(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _unknown_metric(metric: str) -> str:
    import difflib

    near = difflib.get_close_matches(metric, OBJECTIVE_METRICS, n=3)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    return f"a metric of metrics.json{hint}; one of {', '.join(OBJECTIVE_METRICS)}"
