"""Check a command line before anything runs: every job it would launch must be a valid config.

``prepersona`` calls :func:`check_command` before handing control to Hydra.  It composes the
config of every job (all combinations of a sweep, from ``-m`` or an experiment file), rejects
unknown keys, unknown options, wrong types and out-of-range values, Hydra settings outside the
allow-list and values that read the environment (:mod:`sim.safety.hydra_keys`), output
directories that would lose data (:mod:`sim.safety.outputs`) and runs that would not fit in
memory (:mod:`sim.safety.memory`), and raises :class:`PreflightError` with one line that names
the key, the value and what is allowed.  Only then does any simulation start, so a bad sweep
never leaves some runs done and others failed.

A sweep of many jobs is checked without composing each job through Hydra: jobs are grouped by
their config-group choices (``strategy=...``, ``campaign=...``, Hydra's own settings), each
group is composed once, and a job's remaining ``key=value`` overrides are converted by the
same OmegaConf nodes Hydra would assign them to and set on a copy of the group's config
(:mod:`sim.config.job_check`); whatever that fast path cannot decide is composed through
Hydra (:mod:`sim.config.compose`), so the verdicts and messages are Hydra's.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Iterable
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict

from sim.config.compose import (
    GROUPS,
    PreflightError,
    check_hydra_overrides,
    check_override_keys,
    compose_checked,
    compose_config,
    hydra_context,
    parse_overrides,
    register_resolvers,
    to_config,
    use_search_path,
)
from sim.config.hydra_errors import one_line
from sim.config.job_check import JobCheck, JobChecker
from sim.config.validate import check_ranges
from sim.errors import ConfigError

__all__ = [
    "PreflightError",
    "preflight",
    "check_command",
    "Plan",
    "JobCheck",
    "compose_config",
    "to_config",
    "expand_jobs",
    "sweep_settings",
    "sweep_plan",
    "register_resolvers",
    "GROUPS",
    "MAX_JOBS",
]

MAX_JOBS = 10_000
"""Sweeps larger than this are refused (almost always a mistake in a range)."""

BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"
"""Hydra's sweeper that enumerates every combination; the preflight expands its jobs itself."""


# --------------------------------------------------------------------------- sweeps


def expand_jobs(overrides: list[str], multirun: bool, params: Iterable[str] = ()) -> list[list[str]]:
    """The override list of every job the command line launches (one job unless ``multirun``).

    ``params`` are the sweep of ``hydra.sweeper.params`` (an experiment's), as ``key=value``
    strings; like Hydra's basic sweeper, a key also given on the command line takes its value
    from there.  The number of jobs is checked against :data:`MAX_JOBS` before they are
    expanded.  Hydra must be initialized (a glob is matched against the group's options).
    """
    if not multirun:
        return [overrides]
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.global_hydra import GlobalHydra

    loader = GlobalHydra.instance().config_loader()
    lines = [*params, *overrides]
    parsed = parse_overrides(lines)
    check_hydra_overrides(parsed)
    sweeper_overrides = [o for o in parsed if not o.is_hydra_override()]
    for o in sweeper_overrides:
        _check_not_empty(o, loader)
    _check_job_count(sweeper_overrides)
    try:
        batches = BasicSweeper.split_arguments(sweeper_overrides, None)
    except Exception as exc:
        raise PreflightError(one_line(exc, lines)) from exc
    jobs = [job for batch in batches for job in batch]
    hydra_overrides = [o.input_line for o in parsed if o.is_hydra_override()]
    return [hydra_overrides + job for job in jobs]


def _values_count(override, limit: int) -> tuple[int, bool]:
    """How many values a sweep override has, and whether that count is exact: a range is
    counted without expanding it, anything else up to ``limit`` values."""
    if not (override.is_sweep_override() and override.is_discrete_sweep()):
        return 1, True
    from hydra.core.override_parser.types import RangeSweep

    value = override.value()
    if isinstance(value, RangeSweep) and isinstance(value.range(), range):
        return len(value.range()), True
    values = value.range() if isinstance(value, RangeSweep) else override.sweep_string_iterator()
    n = sum(1 for _ in itertools.islice(iter(values), limit + 1))
    return min(n, limit), n <= limit


def _check_job_count(sweeper_overrides: list) -> None:
    """Refuse a sweep of more than MAX_JOBS jobs from the sizes of its sweeps, before expanding it."""
    counts: dict[str, tuple[int, bool, str]] = {}
    for o in sweeper_overrides:  # a key given twice takes the later values, as in the basic sweeper
        counts[o.get_key_element()] = (*_values_count(o, MAX_JOBS), o.input_line)
    total = math.prod(n for n, _, _ in counts.values())
    exact = all(e for _, e, _ in counts.values())
    if total > MAX_JOBS or not exact:
        line = max(counts.values())[2]
        jobs = f"{total:,}" if exact else f"more than {MAX_JOBS:,}"
        raise PreflightError(
            f"{line} is not allowed: the sweep would have {jobs} jobs; at most {MAX_JOBS:,} are allowed"
        )


def _check_not_empty(override, loader) -> None:
    """A sweep that expands to nothing (``campaign=glob(nosuch*)``, ``seed=range(0)``) is a mistake."""
    if not override.is_discrete_sweep() or any(True for _ in override.sweep_string_iterator()):
        return
    key = override.key_or_group
    options = loader.get_group_options(key) if key in GROUPS else []
    available = f"; available options: {', '.join(options)}" if options else ""
    raise PreflightError(f"{override.input_line} is not allowed: it matches nothing{available}")


def sweep_settings(overrides: list[str], config_name: str = "config") -> tuple[bool, list[str]]:
    """Whether the command line is a sweep by its config (an experiment sets ``hydra.mode``), and
    the ``hydra.sweeper.params`` it sets, as ``key=value`` strings.  Hydra must be initialized."""
    master = _master(overrides, config_name)
    return master.multirun, master.params


@dataclasses.dataclass
class _Master:
    """What the command line's own composition says: is it a sweep, where it writes, how."""

    cfg: DictConfig
    multirun: bool
    params: list[str]
    worlds: list[str] = dataclasses.field(default_factory=list)
    """The world dimension the sweep gains (``uncertainty.world=range(K)``, :mod:`sim.uncertainty.worlds`)."""
    sweeper: str = BASIC_SWEEPER
    """The sweeper's class (``hydra.sweeper._target_``)."""
    search: list[str] | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    """What the user should know before the runs start, though nothing is wrong."""
    """A sampling sweeper's identity: its settings and search space (set by :func:`_search_jobs`)."""


def _master(overrides: list[str], config_name: str) -> _Master:
    from hydra.types import RunMode

    try:
        cfg = compose_checked(config_name, overrides, multirun=True)
    except ConfigError as exc:
        raise PreflightError(str(exc)) from exc
    except Exception as exc:
        raise PreflightError(one_line(exc, overrides)) from exc
    use_search_path(cfg)
    params = OmegaConf.select(cfg, "hydra.sweeper.params") or {}
    sweeper = str(OmegaConf.select(cfg, "hydra.sweeper._target_", default=BASIC_SWEEPER))
    return _Master(cfg, cfg.hydra.mode == RunMode.MULTIRUN, [f"{k}={v}" for k, v in params.items()], sweeper=sweeper)


def sweep_plan(overrides: list[str], multirun: bool = False, config_name: str = "config") -> list[list[str]]:
    """The override list of every job a command line launches, in Hydra's order, without composing them.

    Raises
    ------
    PreflightError
        For an unknown key, option or experiment, or a sweep that expands to nothing.
    """
    with hydra_context():
        return _plan(overrides, multirun, config_name)[0]


def _plan(overrides: list[str], multirun: bool, config_name: str) -> tuple[list[list[str]], _Master, bool]:
    check_hydra_overrides(parse_overrides(overrides))
    check_override_keys(overrides)  # before Hydra, whose messages for typos are longer
    master = _master(overrides, config_name)
    sweep = multirun or master.multirun
    if not sweep and master.params and not any(line.split("=", 1)[0] == "hydra.mode" for line in overrides):
        # Hydra would run the config once and drop its sweep without a word (and with it any
        # typo in the sweep's keys).
        swept = ", ".join(line.split("=", 1)[0] for line in master.params)
        raise PreflightError(
            f"hydra.sweeper.params ({swept}) is not allowed in a single run: the config declares a sweep but "
            "the command runs once; add -m, or hydra.mode: MULTIRUN to the experiment (hydra.mode=RUN runs it "
            "once on purpose)"
        )
    if sweep and master.sweeper != BASIC_SWEEPER:
        worlds = OmegaConf.select(master.cfg, "uncertainty.worlds", default=0)
        if worlds:
            raise PreflightError(
                f"uncertainty.worlds={worlds} is not allowed with a search sweeper: a search evaluates every trial "
                "on the same config; search within one world, or compare settings across worlds with the basic sweeper"
            )
        return _search_jobs(overrides, master), master, sweep
    master.worlds = _world_sweep(master, overrides, sweep)
    # Appended after the command line, as check_command pins it for Hydra: the same job order.
    return expand_jobs(overrides + master.worlds, sweep, master.params if sweep else ()), master, sweep


def _world_sweep(master: _Master, overrides: list[str], sweep: bool) -> list[str]:
    """The override that runs every setting in every plausible world, if the config declares
    worlds (:func:`sim.uncertainty.worlds.world_sweep`); its priors are checked here."""
    from sim.uncertainty.worlds import WORLD_KEY, world_sweep

    for o in parse_overrides([*master.params, *overrides]):
        key = o.key_or_group
        if key.startswith("uncertainty.") and key != WORLD_KEY and o.is_sweep_override():
            raise PreflightError(
                f"{o.input_line} is not allowed: the world design is one per sweep (sweep uncertainty.world "
                "to run some of its worlds; run another design as a sweep of its own)"
            )
    if not OmegaConf.select(master.cfg, "uncertainty.worlds", default=0):
        return []
    try:
        config = to_config(master.cfg)
        # The design's settings are checked before the worlds are drawn with them (the jobs,
        # checked whole later, would otherwise never be reached).
        check_ranges(config.uncertainty, "uncertainty.")
        keys = {line.split("=", 1)[0].lstrip("+~") for line in [*master.params, *overrides]}
        lines = world_sweep(config, sweep, keys & {WORLD_KEY})
    except ConfigError as exc:
        raise PreflightError(str(exc)) from exc
    k = config.uncertainty.worlds
    if sweep and config.uncertainty.design == "sobol" and k & (k - 1):
        below, above = 1 << (k.bit_length() - 1), 1 << k.bit_length()
        master.notes.append(
            f"uncertainty.worlds={k} is not a power of 2, so the Sobol design is not balanced (a prior's {k} "
            f"equal slices do not hold one world each); {below} or {above} keep it balanced, and "
            "uncertainty.design=lhs is balanced at any number"
        )
    return lines


def _search_jobs(overrides: list[str], master: _Master) -> list[list[str]]:
    """The jobs that check a sampling sweeper's command: the base config, then each dimension
    of its search space at its bounds (every choice), the others at their first value.

    A sampler decides its jobs as it runs, so they are not expanded here: the base config and
    the bounds are composed and validated like any job, each interval's bounds are checked
    against the key's range in the schema (:mod:`sim.sweep.search_space`), and the search
    sweeper's own settings (objectives, constraints, trials, seeds) are checked.  The sweeper
    expands the search itself.  Hydra must be initialized.
    """
    from sim.sweep.search_config import SWEEPER_TARGET
    from sim.sweep.search_settings import settings_from
    from sim.sweep.search_space import bound_lines, check_dimension, parse_space

    lines = [*master.params, *overrides]
    parsed = parse_overrides(lines)
    check_hydra_overrides(parsed)
    hydra_lines = [o.input_line for o in parsed if o.is_hydra_override()]
    task_lines = [o.input_line for o in parsed if not o.is_hydra_override()]
    check_override_keys(task_lines)
    node = OmegaConf.to_container(master.cfg.hydra.sweeper, resolve=True)
    try:
        dims, fixed = parse_space(task_lines)
        for dim in dims.values():
            check_dimension(dim)
        seeds: list[int] = []
        ident = [*fixed, *(d.line for d in dims.values())]
        if master.sweeper == SWEEPER_TARGET:
            settings = settings_from(node)
            seeds = list(settings.seeds)
            for line in ident:
                if line.split("=", 1)[0].lstrip("+~") == "seed":
                    raise ConfigError(
                        "seed", line.split("=", 1)[1], "hydra.sweeper.seeds (every trial runs those seeds)"
                    )
            ident.append("search:" + json.dumps(settings.identity(), sort_keys=True))
    except ConfigError as exc:
        raise PreflightError(str(exc)) from exc
    except PreflightError:
        raise
    except Exception as exc:
        raise PreflightError(one_line(exc, lines)) from exc
    master.search = ident
    firsts = {k: bound_lines(d)[0] for k, d in dims.items()}
    base = [*fixed, *firsts.values(), *([f"seed={seeds[0]}"] if seeds else [])]
    jobs = [base]
    for key, dim in dims.items():
        for line in bound_lines(dim)[1:]:
            jobs.append([line if x == firsts[key] else x for x in base])
    return [hydra_lines + job for job in jobs]


def preflight(overrides: list[str], multirun: bool = False, config_name: str = "config") -> int:
    """Compose and validate every job of a command line; returns the number of jobs.

    A sweep is either ``-m`` with sweep overrides, or an experiment that sets ``hydra.mode:
    MULTIRUN`` and ``hydra.sweeper.params`` (to which the command line adds or overrides).
    Output directories and memory are :func:`check_command`'s.

    Raises
    ------
    PreflightError
        For the first job that is not a valid config.
    """
    with hydra_context():
        jobs, _, _ = _plan(overrides, multirun, config_name)
        checker = JobChecker(config_name)
        for job in jobs:
            checker.check(job)
    return len(jobs)


# --------------------------------------------------------------------------- the whole command


@dataclasses.dataclass
class Plan:
    """What a checked command line runs, and where."""

    config_name: str
    multirun: bool
    jobs: list[JobCheck]
    dir_key: str
    """``hydra.run.dir`` or ``hydra.sweep.dir``."""
    out_dir: str
    """The run or sweep directory, resolved once (its date, time and token fixed)."""
    subdirs: list[str] | None
    """A sweep's job directories, relative to ``out_dir``."""
    ident: str
    """The run's or sweep's identity (:func:`sim.safety.outputs.identity`)."""
    command: str
    """The command line, as a user would type it again."""
    at_once: int
    """Jobs that run side by side."""
    memory: int
    """Estimated peak memory of the jobs at once, bytes."""
    pinned: list[str]
    """The override that makes Hydra write exactly where this plan was checked."""
    search: bool = False
    """A sampling sweeper's: ``jobs`` are the checked bounds, its runs are decided as it goes."""
    notes: list[str] = dataclasses.field(default_factory=list)
    """Lines the command prints before the runs start: nothing is wrong, but the user should know."""


def check_command(
    overrides: list[str], multirun: bool = False, config_name: str = "config", available: int | None = None
) -> Plan:
    """Check everything a command line would do before it does any of it (see the module note).

    ``available`` is the memory available in bytes (default: what the system says).

    Raises
    ------
    PreflightError
        One line naming the key, the value and what is allowed.
    """
    from sim.safety import outputs
    from sim.safety.failures import interrupts
    from sim.safety.memory import check_memory

    with hydra_context():
        jobs_overrides, master, sweep = _plan(overrides, multirun, config_name)
        checker = JobChecker(config_name)
        hydra = master.cfg.hydra
        subdir_raw = _raw(hydra.sweep, "subdir") if sweep else None
        default_subdir = subdir_raw == "${hydra.job.num}"
        jobs, subdirs = [], []
        largest = None
        for i, job in enumerate(jobs_overrides):
            interrupts.checkpoint()  # a Ctrl-C meanwhile stops here, between two jobs
            checked = checker.check(job, keep_config=True)
            if sweep:
                subdirs.append(str(i) if default_subdir else _subdir(subdir_raw, i, checked, master.cfg))
            if largest is None or checked.memory > largest.memory:
                largest = checked
            else:
                checked.config = None
            checked.choices = None
            jobs.append(checked)
        try:
            out_dir = _resolve(hydra, "sweep.dir" if sweep else "run.dir")
            at_once = _jobs_at_once(hydra, len(jobs)) if sweep else 1
            command = outputs.command_line(overrides, multirun)
            if master.search is not None:
                if not default_subdir:
                    raise ConfigError(
                        "hydra.sweep.subdir", subdir_raw, "${hydra.job.num} in a search (its runs are numbered)"
                    )
                at_once = _jobs_at_once(hydra, MAX_JOBS)
                ident = outputs.identity(outputs.SWEEP, config_name, [(None, master.search)])
                outputs.check_output_dir("hydra.sweep.dir", out_dir, outputs.SWEEP, ident, command)
            elif sweep:
                ident = outputs.identity(
                    outputs.SWEEP, config_name, [(s, j.task_overrides) for s, j in zip(subdirs, jobs)]
                )
                path = outputs.check_output_dir("hydra.sweep.dir", out_dir, outputs.SWEEP, ident, command)
                outputs.check_job_dirs("hydra.sweep.subdir", subdir_raw, subdirs, path)
            else:
                ident = outputs.identity(outputs.RUN, config_name, [(None, jobs[0].task_overrides)])
                outputs.check_output_dir("hydra.run.dir", out_dir, outputs.RUN, ident, command)
            memory = check_memory(largest.config, at_once, available)
            pinned = [f"{'hydra.sweep.dir' if sweep else 'hydra.run.dir'}={_quote(out_dir)}", *master.worlds]
        except ConfigError as exc:
            raise PreflightError(str(exc)) from exc
        largest.config = None
    return Plan(
        config_name=config_name,
        multirun=sweep,
        jobs=jobs,
        dir_key="hydra.sweep.dir" if sweep else "hydra.run.dir",
        out_dir=out_dir,
        subdirs=subdirs if sweep else None,
        ident=ident,
        command=command,
        at_once=at_once,
        memory=memory,
        pinned=pinned,
        search=master.search is not None,
        notes=master.notes,
    )


def _raw(node: DictConfig, key: str) -> str:
    value = node._get_node(key)
    return str(value._value()) if value is not None else ""


def _resolve(hydra: DictConfig, key: str) -> str:
    """``hydra.<key>`` resolved once (so ``${now:...}`` and ``${run_id:}`` are fixed here)."""
    try:
        value = OmegaConf.select(hydra, key, throw_on_missing=True)
    except Exception as exc:
        raise ConfigError(f"hydra.{key}", _raw(hydra, key), f"a value that resolves ({one_line(exc, [])})") from None
    return "" if value is None else str(value)


def _jobs_at_once(hydra: DictConfig, n_jobs_total: int) -> int:
    """How many jobs the launcher runs side by side (the joblib launcher's ``n_jobs``)."""
    target = str(OmegaConf.select(hydra, "launcher._target_", default="") or "")
    if "joblib" not in target:
        return 1  # the basic launcher runs one job at a time; others run jobs elsewhere
    raw = _raw(hydra.launcher, "n_jobs")
    try:
        n = OmegaConf.select(hydra, "launcher.n_jobs")
    except Exception as exc:
        raise ConfigError("hydra.launcher.n_jobs", raw, f"a value that resolves ({one_line(exc, [])})") from None
    if not isinstance(n, int) or isinstance(n, bool) or not (n >= 1 or n == -1):
        raise ConfigError("hydra.launcher.n_jobs", n, "a whole number >= 1, or -1 for one job per core")
    if n == -1:
        from sim.sweep.parallel import usable_cores

        n = usable_cores()
    return max(1, min(n, n_jobs_total))


def _subdir(raw: str, num: int, job: JobCheck, master: DictConfig) -> str:
    """A sweep job's directory name, as Hydra will resolve ``hydra.sweep.subdir`` for it."""
    from hydra._internal.config_loader_impl import get_overrides_dirname

    job_node: dict[str, Any] = {"num": num, "id": f"{OmegaConf.select(master, 'hydra.job.name')}_{num}"}
    job_node["name"] = OmegaConf.select(master, "hydra.job.name")
    if "override_dirname" in raw:
        od = master.hydra.job.config.override_dirname
        job_node["override_dirname"] = get_overrides_dirname(
            overrides=[o for o in parse_overrides(job.task_overrides)],
            exclude_keys=list(od.exclude_keys),
            item_sep=od.item_sep,
            kv_sep=od.kv_sep,
        )
    task = dataclasses.asdict(job.config) if job.config is not None else {}
    mini = OmegaConf.create({**task, "hydra": {"job": job_node, "runtime": {"choices": job.choices or {}}}})
    with open_dict(mini):
        mini["_subdir_"] = raw
    try:
        return str(mini._subdir_)
    except Exception as exc:
        raise ConfigError("hydra.sweep.subdir", raw, f"a value that resolves ({one_line(exc, [])})") from None


def _quote(text: str) -> str:
    """``text`` as a quoted override value that Hydra reads back unchanged."""
    from hydra.core.override_parser.types import Quote, QuotedString

    quoted = QuotedString(text=text, quote=Quote.single).with_quotes()
    if "${" in text or parse_overrides([f"x={quoted}"])[0].value() != text:
        raise ConfigError("hydra.run.dir", text, "a path Hydra can take back as written (no '${' in it)")
    return quoted
