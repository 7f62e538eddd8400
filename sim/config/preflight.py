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
(:class:`_JobChecker`).  A literal list or dict as a value (``uncertainty.priors=[...]``, the
same line in every job) is composed with the group.  Whatever that fast path cannot decide (an
added or deleted key, an interpolation as a value, a plain value inside a list or dict the job
also sets, any value it finds invalid) is composed through Hydra as before, so the verdicts
and messages are Hydra's.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import hashlib
import itertools
import json
import math
import re
import secrets
from collections.abc import Iterable
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from sim.config.schema import Config
from sim.config.validate import check_rules, check_value, validate
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

GROUPS = ("population", "catalog", "customer", "strategy", "campaign", "behavior", "experiment")
"""Config groups of the primary config (``configs/<group>/*.yaml``, ``experiments/*.yaml``)."""

MAX_JOBS = 10_000
"""Sweeps larger than this are refused (almost always a mistake in a range)."""

BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"
"""Hydra's sweeper that enumerates every combination; the preflight expands its jobs itself."""


class PreflightError(Exception):
    """A one-line, user-facing reason why the command line cannot run."""


def register_resolvers() -> None:
    """The resolvers prepersona's configs use (idempotent): ``${run_id:}`` and ``${parallel_jobs:N}``."""
    from sim.sweep.parallel import parallel_jobs

    # A short random token makes every run directory unique, even for two runs started in the
    # same microsecond.  It is not a simulation random number: results depend only on the seed.
    if not OmegaConf.has_resolver("run_id"):
        OmegaConf.register_new_resolver("run_id", lambda: secrets.token_hex(3), use_cache=True)
    if not OmegaConf.has_resolver("parallel_jobs"):
        OmegaConf.register_new_resolver("parallel_jobs", parallel_jobs)


def to_config(cfg: DictConfig) -> Config:
    """Turn a composed config into plain dataclasses, rejecting keys the schema does not know.

    A ``hydra`` node, if the config still has one, is left out.
    """
    _reject_unknown_keys(cfg, Config, "")
    if "hydra" in cfg:
        cfg = copy.copy(cfg)
        with open_dict(cfg):
            del cfg["hydra"]
    obj = OmegaConf.to_object(cfg)
    assert isinstance(obj, Config)
    return obj


def _reject_unknown_keys(node: Any, schema: type, prefix: str) -> None:
    fields = _fields(schema)
    for key in node:
        if prefix == "" and key == "hydra":
            continue
        if key not in fields:
            raise ConfigError(
                f"{prefix}{key}",
                OmegaConf.select(node, str(key), throw_on_missing=False),
                f"not a known key; allowed keys here: {', '.join(fields)}",
            )
        child = node[key] if not OmegaConf.is_missing(node, key) else None
        ftype = _dataclass_of(schema, key)
        if ftype is not None and isinstance(child, DictConfig):
            _reject_unknown_keys(child, ftype, f"{prefix}{key}.")
        elif isinstance(child, ListConfig):
            item_type = _list_item_dataclass(schema, key)
            if item_type is not None:
                for i, item in enumerate(child):
                    if isinstance(item, DictConfig):
                        _reject_unknown_keys(item, item_type, f"{prefix}{key}[{i}].")


@functools.cache
def _fields(schema: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(schema)}


@functools.cache
def _resolved_hints(schema: type) -> dict[str, Any]:
    import typing

    return typing.get_type_hints(schema)


def _dataclass_of(schema: type, key: str):
    t = _resolved_hints(schema).get(key)
    return t if dataclasses.is_dataclass(t) else None


def _list_item_dataclass(schema: type, key: str):
    import typing

    t = _resolved_hints(schema).get(key)
    args = typing.get_args(t)
    return args[0] if args and dataclasses.is_dataclass(args[0]) else None


# --------------------------------------------------------------------------- composing


def compose_config(overrides: Iterable[str] = (), config_name: str = "config") -> Config:
    """Compose, check and validate one job's config (the API used by tests and notebooks).

    Raises
    ------
    PreflightError
        With a one-line message, for any problem.
    """
    overrides = list(overrides)
    with _hydra_context():
        _check_hydra_overrides(_parse(overrides))
        return _compose_one(config_name, overrides)[0]


@contextlib.contextmanager
def _hydra_context():
    """Hydra initialized on the packaged configs, with the schema registered; cleared after."""
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    from sim.config.experiments import register_experiments
    from sim.config.schema import register_schemas
    from sim.sweep.search_config import register as register_search

    register_schemas()
    register_experiments()
    register_search()
    register_resolvers()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="sim.configs", version_base="1.3"):
            yield
    finally:
        GlobalHydra.instance().clear()


def _compose(config_name: str, overrides: list[str], multirun: bool = False) -> DictConfig:
    """The config Hydra composes for ``overrides`` (with its ``hydra`` node), every config file
    it read checked against the allow-list of :mod:`sim.safety.hydra_keys` first.

    Raises whatever Hydra raises, and ConfigError for a file or value the allow-list refuses.
    """
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    from sim.safety.hydra_keys import check_composed, check_config_file

    gh = GlobalHydra.instance()
    loader = gh.config_loader()
    load_single = loader._load_single_config

    def load_checked(default, repo):
        # Every file Hydra loads passes here, embedded at its package, before it is merged.
        result = load_single(default, repo)
        check_config_file(result, default.config_path or "")
        return result

    # An attribute of this one loader instance (cleared with GlobalHydra after the preflight).
    loader._load_single_config = load_checked
    try:
        cfg = gh.hydra.compose_config(
            config_name=config_name,
            overrides=list(overrides),
            run_mode=RunMode.MULTIRUN if multirun else RunMode.RUN,
            from_shell=False,
            with_log_configuration=False,
            validate_sweep_overrides=not multirun,
        )
    finally:
        del loader._load_single_config
    check_composed(cfg)
    return cfg


def _compose_one(config_name: str, overrides: list[str]) -> tuple[Config, DictConfig]:
    """Compose, check and validate one job through Hydra: the config and its composed form."""
    _check_override_keys(overrides)
    try:
        cfg = _compose(config_name, overrides)
    except ConfigError as exc:
        raise PreflightError(str(exc)) from exc
    except Exception as exc:  # Hydra/OmegaConf errors: condense to one line
        raise PreflightError(_one_line(exc, overrides)) from exc
    _use_search_path(cfg)
    try:
        return validate(to_config(cfg)), cfg
    except ConfigError as exc:
        raise PreflightError(str(exc)) from exc
    except Exception as exc:
        raise PreflightError(_one_line(exc, overrides)) from exc


def _use_search_path(cfg: DictConfig) -> None:
    """User behavior modules may live in the ``file://`` directories of the config search path."""
    from sim.safety.imports import use_search_path

    use_search_path(OmegaConf.select(cfg, "hydra.searchpath") or [])


def _check_override_keys(overrides: list[str]) -> None:
    """Unknown keys and group options, caught before Hydra's multi-line errors."""
    for ov in overrides:
        _check_override_key(ov)


@functools.lru_cache(maxsize=4096)
def _check_override_key(ov: str) -> None:
    key = ov.split("=", 1)[0].lstrip("+~")
    if "/" in key or key.startswith("hydra"):
        return  # Hydra's own groups and settings: checked by sim.safety.hydra_keys and Hydra
    parts = key.split(".")
    if len(parts) == 1 and parts[0] in GROUPS:
        return  # a group option: Hydra lists the options if it is unknown
    node: Any = Config
    path: list[str] = []
    list_item: Any = None
    for part in parts:
        if list_item is not None and part.isdigit():  # an index into a list of dataclasses
            node, list_item = list_item, None
            path[-1] += f"[{part}]"
            continue
        m = re.fullmatch(r"(\w+)(\[\d+\])?", part)
        name = m.group(1) if m else part
        if node is None or not dataclasses.is_dataclass(node):
            break
        names = list(_fields(node))
        if name not in names:
            where = ".".join(path) or "the top level"
            value = ov.split("=", 1)[1] if "=" in ov else ""
            raise PreflightError(
                f"{key}={value} is not allowed: {name!r} is not a key of {where}; allowed keys: {', '.join(names)}"
            )
        path.append(name)
        list_item = _list_item_dataclass(node, name)
        node = list_item if m and m.group(2) else _dataclass_of(node, name)


def _parse(lines: list[str]) -> list:
    """Hydra's parse of override strings (one line on a syntax error)."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
    try:
        return parser.parse_overrides(list(lines))
    except OverrideParseException as exc:
        raise PreflightError(_unreadable(parser, list(lines)) or _one_line(exc, list(lines))) from exc
    except Exception as exc:
        raise PreflightError(_one_line(exc, list(lines))) from exc


def _unreadable(parser, lines: list[str]) -> str | None:
    """The refusal of the first line the override grammar cannot read, or None."""
    for line in lines:
        try:
            parser.parse_overrides([line])
        except Exception:
            key = line.split("=", 1)[0] if "=" in line else "KEY"
            return (
                f"{line} is not allowed: not an override the command line can read (key=value); a value with "
                f"spaces, '=', brackets or other symbols goes in quotes: {key}='...'"
            )
    return None


def _check_hydra_overrides(parsed: list) -> None:
    """The command line (and an experiment's sweep) may set only the allowed Hydra keys."""
    from sim.safety.hydra_keys import check_override

    for o in parsed:
        try:
            check_override(o)
        except ConfigError as exc:
            raise PreflightError(str(exc)) from exc


_NOISE = re.compile(r"^\s*(full_key|object_type|reference_type|Set the environment variable).*$")


def _one_line(exc: BaseException, overrides: list[str]) -> str:
    """A Hydra or OmegaConf error message, condensed to one line."""
    msgs = []
    e: BaseException | None = exc
    while e is not None:
        text = str(e).strip()
        if text and text not in msgs:
            msgs.append(text)
        e = e.__cause__
    lines = []
    for text in msgs:
        for line in text.splitlines():
            line = line.strip()
            if line and not _NOISE.match(line) and line not in lines:
                lines.append(line)
    msg = re.sub(r"\s+", " ", " ".join(lines))
    msg = msg.split(" Config search path:")[0]
    missing = re.search(r"Could not find '([\w/]+)/([^']+)'(?: Available options in '[^']+': (.*))?", msg)
    if missing:
        group, option, options = missing.groups()
        allowed = ", ".join((options or "").split()) or "none"
        return f"{group}={option} is not allowed: no such option; available options: {allowed}"
    unknown = re.search(r"Could not override '([^']+)'\. .* Key '([^']+)' is not in struct", msg)
    if unknown:
        key, name = unknown.groups()
        value = next((o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0] == key), "")
        parent = key.rsplit(".", 1)[0]
        return f"{key}={value} is not allowed: {name!r} is not a key of {parent}"
    ambiguous = re.search(r"Ambiguous value for argument '([^']+)'", msg)
    if ambiguous:  # a sweep of values in a single run
        line = ambiguous.group(1)
        return (
            f"{line} is not allowed in a single run: a sweep over these values needs -m (prepersona -m {line}); "
            "a list is written [a,b], a text with commas in quotes"
        )
    needs_sweep = re.search(r"Sweep parameters '([^']+)' requires --multirun", msg)
    if needs_sweep:
        line = needs_sweep.group(1)
        key, value = line.split("=", 1)
        if key.startswith("hydra.sweeper.params."):  # a dimension written as a Hydra setting
            dimension = key.removeprefix("hydra.sweeper.params.")
            return (
                f"{line} is not allowed: a sweep's dimension goes on the command line as {dimension}={value} "
                "(with -m, or in an experiment that sweeps), or into an experiment's hydra.sweeper.params"
            )
        return f"{line} is not allowed in a single run: a sweep needs -m (prepersona -m {line})"
    full = re.search(r"full_key: (\S+)", " ".join(msgs))  # a line the noise filter drops
    bad_value = re.search(r"In '([^']+)': ValidationError raised while composing config: (Value '([^']*)' .*)", msg)
    if bad_value and full:  # a config file sets a value of the wrong type
        source, reason, value = bad_value.groups()
        return f"{source}.yaml: {full.group(1)}={value!r} is not allowed: {reason}"
    no_default = re.search(r"In '([^']+)': Could not load '([\w/]+)/([^']+)'", msg)
    if no_default:  # a defaults list names an option that does not exist
        source, group, option = no_default.groups()
        # The options listed are the package's: those of a search path's directories are not
        # known here, so with one the list is left out rather than given short.
        searched = any(o.lstrip("+").startswith("hydra.searchpath") for o in overrides)
        listed = "" if searched else _options_of(group)
        return f"{source}.yaml: defaults entry {group}/{option} is not allowed: no such option{listed}"
    in_file = re.search(
        r"In '([^']+)': ConfigKeyError raised while composing config: Key '([^']+)' not in '(\w+)'", msg
    )
    if in_file:  # a config file sets a key its schema does not have
        source, name, cls = in_file.groups()
        full_key = full.group(1) if full else name
        parent = full_key.rsplit(".", 1)[0] if "." in full_key else ""
        return f"{source}.yaml: {full_key} is not allowed: {_unknown_inner_key(parent, name, cls)}"
    inside = re.search(r"Could not override '([^']+)'\. .*? Key '([^']+)' not in '(\w+)'", msg)
    if inside:  # a key inside a list or dict value; Hydra's advice (append with +) would not help
        key, name, cls = inside.groups()
        value = next((o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0].lstrip("+") == key), "")
        return f"{key}={value} is not allowed: {_unknown_inner_key(key, name, cls)}"
    shape = re.search(r"Error merging override (\S+?)=(.*?) Cannot merge (?:DictConfig|ListConfig) with", msg)
    if shape:  # a list where a mapping belongs, or the other way round (Hydra's wording is the same)
        key, value = shape.groups()
        if value.lstrip().startswith("["):
            return f"{key}={value} is not allowed: a mapping {{key: value, ...}}, not a list"
        return f"{key}={value} is not allowed: a list [a, b, ...], not a mapping"
    for ov in overrides:  # the override as written: its value may hold spaces
        marker = f"Error merging override {ov} "
        if marker in msg and "=" in ov:
            key, value = ov.split("=", 1)
            reason = msg.split(marker, 1)[1]
            if re.search(r"Invalid type assigned: dict is not a subclass of \w+", reason):
                reason = (
                    "a new named entry cannot be added from the command line; add it in a config file "
                    "(e.g. a campaign plan in configs/campaign/) and override its keys here"
                )
            return f"{key.lstrip('+')}={value} is not allowed: {reason}"
    merging = re.search(r"Error merging override (\S+?)=(\S*) (.*)", msg)
    if merging:
        key, value, reason = merging.groups()
        return f"{key}={value} is not allowed: {reason}"
    return msg


def _options_of(group: str) -> str:
    """``"; available options: a, b"`` for a config group, or ``""`` where Hydra is not set up."""
    from hydra.core.global_hydra import GlobalHydra

    try:
        options = GlobalHydra.instance().config_loader().get_group_options(group)
    except Exception:  # no Hydra context here: the message goes without the list
        return ""
    return f"; available options: {', '.join(options)}" if options else ""


@functools.cache
def _schema_homes(dc: type) -> tuple[str, ...]:
    """Where the schema holds dataclass ``dc``: ``"campaign.limits.email"``, ``"an entry of
    uncertainty.priors"`` (a list of them), every place it occurs."""
    homes: list[str] = []

    def walk(node: type, path: str) -> None:
        for name in _fields(node):
            here = f"{path}.{name}" if path else name
            item, child = _list_item_dataclass(node, name), _dataclass_of(node, name)
            if item is dc:
                homes.append(f"an entry of {here}")
            if child is dc:
                homes.append(here)
            for sub in (item, child):
                if sub is not None and sub is not node:
                    walk(sub, here)

    walk(Config, "")
    return tuple(homes)


def _unknown_inner_key(key: str, name: str, cls: str) -> str:
    """Why ``name`` inside the value or at the path ``key`` is refused, where Hydra names the
    schema class ``cls`` it is not a field of: where that is, in the config's terms (the path
    when its schema is that class, an entry of it when it is a list of them), and its fields."""
    from sim.config import schema
    from sim.sweep import search_config

    dc = getattr(schema, cls, None) or getattr(search_config, cls, None)
    if not (isinstance(dc, type) and dataclasses.is_dataclass(dc)):
        return f"{name!r} is not a key of {cls}"
    if dc is search_config.SearchSweeperConf:  # a setting of the search sweeper
        return f"{name!r} is not a key of hydra.sweeper; allowed keys: {', '.join(_fields(dc))}"
    node: Any = Config
    parts = key.split(".") if key else []
    for part in parts[:-1]:
        node = _dataclass_of(node, part) if node is not None and not part.isdigit() else node
    last = parts[-1] if parts else ""
    if not parts:
        homes = _schema_homes(dc)
        where = "the top level" if dc is Config else (homes[0] if len(homes) == 1 else cls)
    elif node is not None and _list_item_dataclass(node, last) is dc:
        where = f"an entry of {key}"
    elif node is not None and _dataclass_of(node, last) is dc:
        where = key
    else:
        where = f"{cls} (inside {key})"
    return f"{name!r} is not a key of {where}; allowed keys: {', '.join(_fields(dc))}"


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
    parsed = _parse(lines)
    _check_hydra_overrides(parsed)
    sweeper_overrides = [o for o in parsed if not o.is_hydra_override()]
    for o in sweeper_overrides:
        _check_not_empty(o, loader)
    _check_job_count(sweeper_overrides)
    try:
        batches = BasicSweeper.split_arguments(sweeper_overrides, None)
    except Exception as exc:
        raise PreflightError(_one_line(exc, lines)) from exc
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
    """A sampling sweeper's identity: its settings and search space (set by :func:`_search_jobs`)."""


def _master(overrides: list[str], config_name: str) -> _Master:
    from hydra.types import RunMode

    try:
        cfg = _compose(config_name, overrides, multirun=True)
    except ConfigError as exc:
        raise PreflightError(str(exc)) from exc
    except Exception as exc:
        raise PreflightError(_one_line(exc, overrides)) from exc
    _use_search_path(cfg)
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
    with _hydra_context():
        return _plan(overrides, multirun, config_name)[0]


def _plan(overrides: list[str], multirun: bool, config_name: str) -> tuple[list[list[str]], _Master, bool]:
    _check_hydra_overrides(_parse(overrides))
    _check_override_keys(overrides)  # before Hydra, whose messages for typos are longer
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

    for o in _parse([*master.params, *overrides]):
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
        keys = {line.split("=", 1)[0].lstrip("+~") for line in [*master.params, *overrides]}
        return world_sweep(config, sweep, keys & {WORLD_KEY})
    except ConfigError as exc:
        raise PreflightError(str(exc)) from exc


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
    parsed = _parse(lines)
    _check_hydra_overrides(parsed)
    hydra_lines = [o.input_line for o in parsed if o.is_hydra_override()]
    task_lines = [o.input_line for o in parsed if not o.is_hydra_override()]
    _check_override_keys(task_lines)
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
        raise PreflightError(_one_line(exc, lines)) from exc
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
    with _hydra_context():
        jobs, _, _ = _plan(overrides, multirun, config_name)
        checker = _JobChecker(config_name)
        for job in jobs:
            checker.check(job)
    return len(jobs)


# --------------------------------------------------------------------------- checking jobs fast


@dataclasses.dataclass
class JobCheck:
    """One checked job of a command line."""

    overrides: list[str]
    """Every override of the job, as Hydra receives it (Hydra settings first in a sweep)."""
    task_overrides: list[str]
    """The overrides that are not Hydra settings: what the job runs (its identity)."""
    config_hash: str
    """:func:`sim.sweep.resume.config_hash` of the job's config."""
    memory: int
    """Estimated peak memory of the job, bytes (:func:`sim.safety.memory.estimate_bytes`)."""
    config: Config | None = None
    """The job's config, kept only while it is needed (for its directory name, memory check)."""
    choices: dict | None = None
    """Its config-group choices (``hydra.runtime.choices``)."""


@dataclasses.dataclass
class _Base:
    """One composition shared by the jobs with the same group choices and Hydra settings."""

    cfg: DictConfig
    config: Config
    hashed: dict
    choices: dict
    leaves: dict = dataclasses.field(default_factory=dict)


_STRUCTURAL_FLAGS = ("is_add", "is_delete", "is_force_add")


class _JobChecker:
    """Checks jobs one by one, composing each distinct combination of group choices once.

    ``check(job)`` returns the job's :class:`JobCheck` or raises :class:`PreflightError`
    exactly as composing the job through Hydra would (see the module note).
    """

    def __init__(self, config_name: str):
        self.config_name = config_name
        self.bases: dict[tuple[str, ...], _Base | None] = {}
        self._parsed: dict[str, Any] = {}
        self.fast = self.slow = 0  # jobs decided each way (for tests and the benchmark)

    def check(self, job: list[str], keep_config: bool = False) -> JobCheck:
        split = self._split(job)
        result = None
        if split is not None:
            structural, values = split
            base = self._base(tuple(structural))
            if base is not None:
                result = self._fast(base, values, job)
        if result is None:
            result = self._slow(job)
            self.slow += 1
        else:
            self.fast += 1
        if not keep_config:
            result.config = None
        return result

    # -- the parts of a job

    def _parse_one(self, line: str):
        parsed = self._parsed.get(line)
        if parsed is None:
            parsed = self._parsed[line] = _parse([line])[0]
        return parsed

    def _split(self, job: list[str]) -> tuple[list[str], list] | None:
        """(group choices, Hydra settings and literal lists or dicts, plain ``key=value``
        overrides); None when the job must be composed as a whole (an added or deleted key, an
        interpolation, a plain value inside a list or dict the job also sets...)."""
        structural, values, composed = [], [], []
        for line in job:
            try:
                o = self._parse_one(line)
            except PreflightError:
                return None
            key = o.key_or_group
            if o.is_hydra_override() or "/" in key or key in GROUPS or o.package is not None:
                structural.append(line)
                continue
            if any(getattr(o, flag)() for flag in _STRUCTURAL_FLAGS) or o.is_sweep_override():
                return None
            v = o.value()
            if _plain(v):
                values.append(o)
            elif isinstance(v, (list, dict)) and _literal(v):
                # A whole list or dict (a sweep's priors, segments): the same line in the jobs of
                # a sweep, so composed once with the group choices, by Hydra itself.
                structural.append(line)
                composed.append(key)
            else:
                return None
        # Hydra applies a job's values in order; with the list or dict composed first, a value
        # inside it (or one that replaces it) would land in another order.
        if any(_overlaps(o.key_or_group, key) for o in values for key in composed):
            return None
        return structural, values

    def _base(self, structural: tuple[str, ...]) -> _Base | None:
        if structural in self.bases:
            return self.bases[structural]
        base = None
        try:
            config, cfg = _compose_one(self.config_name, list(structural))
            choices = OmegaConf.to_container(cfg.hydra.runtime.choices, resolve=False)
            base = _Base(cfg, config, _hashed_dict(config), choices)
        except PreflightError:
            base = None  # its jobs are composed one by one; the first one gives Hydra's message
        self.bases[structural] = base
        return base

    def _fast(self, base: _Base, values: list, job: list[str]) -> JobCheck | None:
        from sim.safety.memory import estimate_bytes

        changes = []
        for o in values:
            leaf = self._leaf(base, o.key_or_group)
            if leaf is None:
                return None
            node, path, field = leaf
            n = copy.deepcopy(node)
            try:
                n._set_value(o.value())
            except Exception:
                return None
            changes.append((path, n._value(), field))
        config = base.config
        for path, value, _ in changes:
            config = _with_value(config, path, value)
        try:
            for path, value, field in changes:
                check_value(field, value, ".".join(map(str, path)))
            check_rules(config)
        except Exception:  # invalid (or not decidable here): Hydra composes the job and says why
            return None
        hashed = base.hashed
        for path, value, _ in changes:
            hashed = _with_item(hashed, path, value)
        return JobCheck(
            overrides=list(job),
            task_overrides=[line for line in job if not _is_hydra_line(line)],
            config_hash=_digest(hashed),
            memory=estimate_bytes(config),
            config=config,
            choices=base.choices,
        )

    def _leaf(self, base: _Base, key: str):
        """(OmegaConf value node, path in the dataclasses, its dataclass field) of ``key``; None
        when ``key`` is not a plain value of the composed config."""
        if key in base.leaves:
            return base.leaves[key]
        leaf = None
        node: Any = base.cfg
        path: list = []
        schema: Any = Config
        field = None
        try:
            for part in key.split("."):
                if isinstance(node, ListConfig):
                    if not part.isdigit():
                        raise KeyError(part)
                    idx = int(part)
                    node = node._get_node(idx)
                    path.append(idx)
                    schema, field = _item_schema(schema), None
                elif isinstance(node, DictConfig):
                    if node._is_none() or node._is_missing() or part not in node:
                        raise KeyError(part)
                    node = node._get_node(part)
                    path.append(part)
                    if dataclasses.is_dataclass(schema):
                        field = _fields(schema).get(part)
                        if field is None:
                            raise KeyError(part)
                        schema = _resolved_hints(schema).get(part)
                    else:  # an entry of a dict[str, X] (a campaign by name, a behavior)
                        schema, field = _item_schema(schema), None
                else:
                    raise KeyError(part)
            # A value whose range is not known here is left to Hydra, except a behavior's
            # parameters: no schema declares them, the behavior class checks them (check_rules).
            known = field is not None or (path and path[0] == "behaviors")
            if known and not isinstance(node, (DictConfig, ListConfig)) and not node._is_interpolation():
                leaf = (node, tuple(path), field)
        except KeyError:
            leaf = None
        base.leaves[key] = leaf
        return leaf

    def _slow(self, job: list[str]) -> JobCheck:
        from sim.safety.memory import estimate_bytes
        from sim.sweep.resume import config_hash

        config, cfg = _compose_one(self.config_name, job)
        return JobCheck(
            overrides=list(job),
            task_overrides=[line for line in job if not _is_hydra_line(line)],
            config_hash=config_hash(config),
            memory=estimate_bytes(config),
            config=config,
            choices=OmegaConf.to_container(cfg.hydra.runtime.choices, resolve=False),
        )


def _plain(value: Any) -> bool:
    """A value the fast path may assign: a number, a bool, None or a plain string."""
    if value is None or isinstance(value, (bool, int, float)):
        return True
    return type(value) is str and "${" not in value and value != "???"


def _literal(value: Any) -> bool:
    """A list or dict of plain values only, at any depth (no interpolation, nothing missing)."""
    if isinstance(value, list):
        return all(_literal(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(k) and _literal(v) for k, v in value.items())
    return _plain(value)


def _overlaps(a: str, b: str) -> bool:
    """Whether dotted keys ``a`` and ``b`` are the same key or one lies inside the other."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _is_hydra_line(line: str) -> bool:
    key = line.split("=", 1)[0].lstrip("+~")
    return key.startswith("hydra.") or key.startswith("hydra/")


def _item_schema(schema: Any) -> Any:
    """The type of an item of ``list[X]`` or of a value of ``dict[str, X]``."""
    import typing

    args = typing.get_args(schema)
    return args[-1] if args else None


def _with_value(obj: Any, path: tuple, value: Any) -> Any:
    """A copy of ``obj`` (dataclasses, lists and dicts) with the item at ``path`` set to ``value``;
    only the containers along the path are copied."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(obj, list):
        out = list(obj)
        out[head] = _with_value(obj[head], rest, value)
        return out
    if isinstance(obj, dict):
        out = dict(obj)
        out[head] = _with_value(obj[head], rest, value)
        return out
    out = copy.copy(obj)
    setattr(out, head, _with_value(getattr(obj, head), rest, value))
    return out


def _with_item(d: Any, path: tuple, value: Any) -> Any:
    """Like :func:`_with_value` on the nested dicts of a config hash; keys left out stay out."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(d, list):
        out = list(d)
        out[head] = _with_item(d[head], rest, value)
        return out
    if not isinstance(d, dict) or head not in d:
        return d  # a key the hash leaves out (threads, output.progress, ...)
    out = dict(d)
    out[head] = _with_item(d[head], rest, value)
    return out


def _hashed_dict(config: Config) -> dict:
    from sim.sweep.resume import hashed_fields

    return hashed_fields(config)


def _digest(hashed: dict) -> str:
    text = json.dumps(hashed, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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

    with _hydra_context():
        jobs_overrides, master, sweep = _plan(overrides, multirun, config_name)
        checker = _JobChecker(config_name)
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
    )


def _raw(node: DictConfig, key: str) -> str:
    value = node._get_node(key)
    return str(value._value()) if value is not None else ""


def _resolve(hydra: DictConfig, key: str) -> str:
    """``hydra.<key>`` resolved once (so ``${now:...}`` and ``${run_id:}`` are fixed here)."""
    try:
        value = OmegaConf.select(hydra, key, throw_on_missing=True)
    except Exception as exc:
        raise ConfigError(f"hydra.{key}", _raw(hydra, key), f"a value that resolves ({_one_line(exc, [])})") from None
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
        raise ConfigError("hydra.launcher.n_jobs", raw, f"a value that resolves ({_one_line(exc, [])})") from None
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
            overrides=[o for o in _parse(job.task_overrides)],
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
        raise ConfigError("hydra.sweep.subdir", raw, f"a value that resolves ({_one_line(exc, [])})") from None


def _quote(text: str) -> str:
    """``text`` as a quoted override value that Hydra reads back unchanged."""
    from hydra.core.override_parser.types import Quote, QuotedString

    quoted = QuotedString(text=text, quote=Quote.single).with_quotes()
    if "${" in text or _parse([f"x={quoted}"])[0].value() != text:
        raise ConfigError("hydra.run.dir", text, "a path Hydra can take back as written (no '${' in it)")
    return quoted
