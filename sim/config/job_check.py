"""Checking the jobs of a sweep fast: each distinct combination of config-group choices is
composed once, and a job's plain ``key=value`` overrides are set on a copy of it.

A job's remaining values are converted by the same OmegaConf nodes Hydra would assign them to,
checked against their schema fields and the config's rules, and hashed as the results'
manifests hash them.  A literal list or dict as a value (``uncertainty.priors=[...]``, the same
line in every job) is composed with the group.  Whatever this path cannot decide (an added or
deleted key, an interpolation as a value, a plain value inside a list or dict the job also
sets, any value it finds invalid) is composed through Hydra (:func:`sim.config.compose.compose_one`),
so the verdicts and messages are Hydra's.  Tests hold both paths to the same verdicts.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from sim.config.compose import GROUPS, PreflightError, compose_one, is_hydra_line, parse_overrides
from sim.config.schema import Config
from sim.config.schema_paths import item_schema, resolved_hints, schema_fields
from sim.config.validate import check_rules, check_value


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


class JobChecker:
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
            parsed = self._parsed[line] = parse_overrides([line])[0]
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
            config, cfg = compose_one(self.config_name, list(structural))
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
            task_overrides=[line for line in job if not is_hydra_line(line)],
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
                    schema, field = item_schema(schema), None
                elif isinstance(node, DictConfig):
                    if node._is_none() or node._is_missing() or part not in node:
                        raise KeyError(part)
                    node = node._get_node(part)
                    path.append(part)
                    if dataclasses.is_dataclass(schema):
                        field = schema_fields(schema).get(part)
                        if field is None:
                            raise KeyError(part)
                        schema = resolved_hints(schema).get(part)
                    else:  # an entry of a dict[str, X] (a campaign by name, a behavior)
                        schema, field = item_schema(schema), None
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

        config, cfg = compose_one(self.config_name, job)
        return JobCheck(
            overrides=list(job),
            task_overrides=[line for line in job if not is_hydra_line(line)],
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
