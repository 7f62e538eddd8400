"""Check a command line before anything runs: every job it would launch must be a valid config.

``prepersona`` calls :func:`preflight` before handing control to Hydra.  It composes the
config of every job (all combinations of a sweep, from ``-m`` or an experiment file), rejects
unknown keys, unknown options, wrong types and out-of-range values, and raises
:class:`PreflightError` with one line that names the key, the value and what is allowed.  Only
then does any simulation start, so a bad sweep never leaves some runs done and others failed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterable
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from sim.config.schema import Config
from sim.config.validate import validate
from sim.errors import ConfigError

__all__ = [
    "PreflightError",
    "preflight",
    "compose_config",
    "to_config",
    "expand_jobs",
    "sweep_settings",
    "sweep_plan",
    "GROUPS",
    "MAX_JOBS",
]

GROUPS = ("population", "catalog", "customer", "strategy", "campaign", "behavior", "experiment")
"""Config groups of the primary config (``configs/<group>/*.yaml``, ``experiments/*.yaml``)."""

MAX_JOBS = 10_000
"""Sweeps larger than this are refused (almost always a mistake in a range)."""


class PreflightError(Exception):
    """A one-line, user-facing reason why the command line cannot run."""


def to_config(cfg: DictConfig) -> Config:
    """Turn a composed config into plain dataclasses, rejecting keys the schema does not know."""
    _reject_unknown_keys(cfg, Config, "")
    obj = OmegaConf.to_object(cfg)
    assert isinstance(obj, Config)
    return obj


def _reject_unknown_keys(node: Any, schema: type, prefix: str) -> None:
    fields = {f.name: f for f in dataclasses.fields(schema)}
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
    from hydra import compose

    with _hydra_context():
        return _compose_one(compose, config_name, list(overrides))


@contextlib.contextmanager
def _hydra_context():
    """Hydra initialized on the packaged configs, with the schema registered; cleared after."""
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    from sim.config.experiments import register_experiments
    from sim.config.schema import register_schemas

    register_schemas()
    register_experiments()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="sim.configs", version_base="1.3"):
            yield
    finally:
        GlobalHydra.instance().clear()


def _compose_one(compose, config_name: str, overrides: list[str]) -> Config:
    _check_override_keys(overrides)
    try:
        cfg = compose(config_name=config_name, overrides=overrides)
    except Exception as exc:  # Hydra/OmegaConf errors: condense to one line
        raise PreflightError(_one_line(exc, overrides)) from exc
    try:
        return validate(to_config(cfg))
    except ConfigError as exc:
        raise PreflightError(str(exc)) from exc
    except Exception as exc:
        raise PreflightError(_one_line(exc, overrides)) from exc


def _check_override_keys(overrides: list[str]) -> None:
    """Unknown keys and group options, caught before Hydra's multi-line errors."""
    for ov in overrides:
        key = ov.split("=", 1)[0].lstrip("+~")
        if "/" in key or key.startswith("hydra"):
            continue  # Hydra's own groups and settings: Hydra checks them
        parts = key.split(".")
        if len(parts) == 1 and parts[0] in GROUPS:
            continue  # a group option: Hydra lists the options if it is unknown
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
            names = [f.name for f in dataclasses.fields(node)]
            if name not in names:
                where = ".".join(path) or "the top level"
                value = ov.split("=", 1)[1] if "=" in ov else ""
                raise PreflightError(
                    f"{key}={value} is not allowed: {name!r} is not a key of {where}; allowed keys: {', '.join(names)}"
                )
            path.append(name)
            list_item = _list_item_dataclass(node, name)
            node = list_item if m and m.group(2) else _dataclass_of(node, name)


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


# --------------------------------------------------------------------------- sweeps


def expand_jobs(overrides: list[str], multirun: bool, params: Iterable[str] = ()) -> list[list[str]]:
    """The override list of every job the command line launches (one job unless ``multirun``).

    ``params`` are the sweep of ``hydra.sweeper.params`` (an experiment's), as ``key=value``
    strings; like Hydra's basic sweeper, a key also given on the command line takes its value
    from there.  Hydra must be initialized (a glob is matched against the group's options).
    """
    if not multirun:
        return [overrides]
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    loader = GlobalHydra.instance().config_loader()
    parser = OverridesParser.create(config_loader=loader)
    lines = [*params, *overrides]
    try:
        parsed = parser.parse_overrides(lines)
    except Exception as exc:
        raise PreflightError(_one_line(exc, lines)) from exc
    sweeper_overrides = [o for o in parsed if not o.is_hydra_override()]
    for o in sweeper_overrides:
        _check_not_empty(o, loader)
    try:
        batches = BasicSweeper.split_arguments(sweeper_overrides, None)
    except Exception as exc:
        raise PreflightError(_one_line(exc, lines)) from exc
    jobs = [job for batch in batches for job in batch]
    if len(jobs) > MAX_JOBS:
        raise PreflightError(f"the sweep has {len(jobs)} jobs; at most {MAX_JOBS} are allowed")
    hydra_overrides = [o.input_line for o in parsed if o.is_hydra_override()]
    return [hydra_overrides + job for job in jobs]


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
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    try:
        cfg = GlobalHydra.instance().hydra.compose_config(
            config_name=config_name,
            overrides=list(overrides),
            run_mode=RunMode.MULTIRUN,
            with_log_configuration=False,
            validate_sweep_overrides=False,
        )
    except Exception as exc:
        raise PreflightError(_one_line(exc, overrides)) from exc
    params = OmegaConf.select(cfg, "hydra.sweeper.params") or {}
    return cfg.hydra.mode == RunMode.MULTIRUN, [f"{k}={v}" for k, v in params.items()]


def sweep_plan(overrides: list[str], multirun: bool = False, config_name: str = "config") -> list[list[str]]:
    """The override list of every job a command line launches, in Hydra's order, without composing them.

    Raises
    ------
    PreflightError
        For an unknown key, option or experiment, or a sweep that expands to nothing.
    """
    with _hydra_context():
        return _plan(overrides, multirun, config_name)


def _plan(overrides: list[str], multirun: bool, config_name: str) -> list[list[str]]:
    _check_override_keys(overrides)  # before Hydra, whose messages for typos are longer
    by_config, params = sweep_settings(overrides, config_name)
    sweep = multirun or by_config
    return expand_jobs(overrides, sweep, params if sweep else ())


def preflight(overrides: list[str], multirun: bool = False, config_name: str = "config") -> int:
    """Compose and validate every job of a command line; returns the number of jobs.

    A sweep is either ``-m`` with sweep overrides, or an experiment that sets ``hydra.mode:
    MULTIRUN`` and ``hydra.sweeper.params`` (to which the command line adds or overrides).

    Raises
    ------
    PreflightError
        For the first job that is not a valid config.
    """
    from hydra import compose

    with _hydra_context():
        jobs = _plan(overrides, multirun, config_name)
        for job in jobs:
            _compose_one(compose, config_name, job)
    return len(jobs)
