"""Composing one job's config through Hydra, checked: every config file against the allow-list
of :mod:`sim.safety.hydra_keys`, every key against the schema, every value against its range.

:func:`compose_config` is the API for tests and notebooks; the preflight
(:mod:`sim.config.preflight`) and the fast job check (:mod:`sim.config.job_check`) use the
parts.  Every problem is a :class:`PreflightError` with one line (:mod:`sim.config.hydra_errors`).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import re
import secrets
from collections.abc import Iterable
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from sim.config.hydra_errors import one_line, unreadable
from sim.config.schema import Config
from sim.config.schema_paths import dataclass_of, list_item_dataclass, schema_fields
from sim.config.validate import validate
from sim.errors import ConfigError

GROUPS = ("population", "catalog", "customer", "strategy", "campaign", "behavior", "experiment")
"""Config groups of the primary config (``configs/<group>/*.yaml``, ``experiments/*.yaml``)."""


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
    fields = schema_fields(schema)
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
        ftype = dataclass_of(schema, key)
        if ftype is not None and isinstance(child, DictConfig):
            _reject_unknown_keys(child, ftype, f"{prefix}{key}.")
        elif isinstance(child, ListConfig):
            item_type = list_item_dataclass(schema, key)
            if item_type is not None:
                for i, item in enumerate(child):
                    if isinstance(item, DictConfig):
                        _reject_unknown_keys(item, item_type, f"{prefix}{key}[{i}].")


def compose_config(overrides: Iterable[str] = (), config_name: str = "config") -> Config:
    """Compose, check and validate one job's config (the API used by tests and notebooks).

    Raises
    ------
    PreflightError
        With a one-line message, for any problem.
    """
    overrides = list(overrides)
    with hydra_context():
        check_hydra_overrides(parse_overrides(overrides))
        return compose_one(config_name, overrides)[0]


@contextlib.contextmanager
def hydra_context():
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


def compose_checked(config_name: str, overrides: list[str], multirun: bool = False) -> DictConfig:
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


def compose_one(config_name: str, overrides: list[str]) -> tuple[Config, DictConfig]:
    """Compose, check and validate one job through Hydra: the config and its composed form."""
    check_override_keys(overrides)
    try:
        cfg = compose_checked(config_name, overrides)
    except ConfigError as exc:
        raise PreflightError(str(exc)) from exc
    except Exception as exc:  # Hydra/OmegaConf errors: condense to one line
        raise PreflightError(one_line(exc, overrides)) from exc
    use_search_path(cfg)
    try:
        return validate(to_config(cfg)), cfg
    except ConfigError as exc:
        raise PreflightError(str(exc)) from exc
    except Exception as exc:
        raise PreflightError(one_line(exc, overrides)) from exc


def use_search_path(cfg: DictConfig) -> None:
    """User behavior modules may live in the ``file://`` directories of the config search path."""
    from sim.safety.imports import use_search_path

    use_search_path(OmegaConf.select(cfg, "hydra.searchpath") or [])


def check_override_keys(overrides: list[str]) -> None:
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
        names = list(schema_fields(node))
        if name not in names:
            where = ".".join(path) or "the top level"
            value = ov.split("=", 1)[1] if "=" in ov else ""
            raise PreflightError(
                f"{key}={value} is not allowed: {name!r} is not a key of {where}; allowed keys: {', '.join(names)}"
            )
        path.append(name)
        list_item = list_item_dataclass(node, name)
        node = list_item if m and m.group(2) else dataclass_of(node, name)


def parse_overrides(lines: list[str]) -> list:
    """Hydra's parse of override strings (one line on a syntax error)."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
    try:
        parsed = parser.parse_overrides(list(lines))
    except OverrideParseException as exc:
        raise PreflightError(unreadable(parser, list(lines)) or one_line(exc, list(lines))) from exc
    except Exception as exc:
        raise PreflightError(one_line(exc, list(lines))) from exc
    for line in lines:
        if "{" in line:  # a mapping may be in its value (or an interpolation: checked the same)
            _check_no_repeated_key(line)
    return parsed


@functools.lru_cache(maxsize=4096)
def _check_no_repeated_key(line: str) -> None:
    """Refuse a mapping in an override's value that names a key twice (``{low:0.1,low:0.2}``):
    Hydra's grammar keeps the last without a word."""
    from antlr4 import CommonTokenStream, InputStream
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.overrides_visitor import HydraOverrideVisitor
    from hydra.grammar.gen.OverrideLexer import OverrideLexer
    from hydra.grammar.gen.OverrideParser import OverrideParser

    class RepeatedKey(Exception):
        pass

    class Checking(HydraOverrideVisitor):
        def visitDictContainer(self, ctx):  # as Hydra's, with the check
            pairs = [self.visitDictKeyValuePair(ctx.getChild(i)) for i in range(1, ctx.getChildCount() - 1, 2)]
            keys = [k for k, _ in pairs]
            for i, k in enumerate(keys):
                if k in keys[:i]:
                    raise RepeatedKey(k)
            return dict(pairs)

    # The line parsed once more, as OverridesParser.parse_rule does, with the checking visitor.
    tree = OverrideParser(CommonTokenStream(OverrideLexer(InputStream(line)))).override()
    try:
        Checking(OverridesParser.create().functions).visit(tree)
    except RepeatedKey as exc:
        key, value = line.split("=", 1)
        raise PreflightError(
            f"{key.lstrip('+~')}={value} is not allowed: {exc.args[0]} is given twice in one mapping; "
            "give each key once"
        ) from None


def check_hydra_overrides(parsed: list) -> None:
    """The command line (and an experiment's sweep) may set only the allowed Hydra keys."""
    from sim.safety.hydra_keys import check_override

    for o in parsed:
        try:
            check_override(o)
            if o.key_or_group == "hydra.searchpath" and not o.is_delete():
                _check_search_path(o)
        except ConfigError as exc:
            raise PreflightError(str(exc)) from exc


def _check_search_path(override) -> None:
    """Every entry of ``hydra.searchpath`` must be there: Hydra skips a missing one with a
    warning, and its options then go missing without a word on why."""
    import importlib.util
    from pathlib import Path

    from sim.safety.imports import search_path_dir

    entries = override.value()
    line = override.input_line.lstrip("+~")
    key, value = line.split("=", 1)
    if not isinstance(entries, list):
        raise ConfigError(key, value, "a list of file://DIR or pkg://PACKAGE entries: hydra.searchpath=[file://DIR]")
    for entry in entries:
        entry = str(entry)
        directory = search_path_dir(entry)
        if directory is not None:
            if not directory.is_dir():
                where = "" if directory.is_absolute() else f" (a relative path is taken from {Path.cwd()})"
                raise ConfigError(key, value, f"{directory} is not a directory{where}")
        elif entry.startswith("pkg://"):
            module = entry.removeprefix("pkg://").replace("/", ".")
            try:
                found = importlib.util.find_spec(module) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                raise ConfigError(key, value, f"{module} is not an importable package")
        else:
            raise ConfigError(key, value, f"entries of file://DIR or pkg://PACKAGE, not {entry!r}")


def is_hydra_line(line: str) -> bool:
    key = line.split("=", 1)[0].lstrip("+~")
    return key.startswith("hydra.") or key.startswith("hydra/")
