"""Composing a sweep's jobs once per combination of config groups, not once per job.

Hydra composes every job of a sweep from the config files: it reads and merges about a dozen
YAML files and the schema, about 0.23 s of a core per job.  It does so twice per job (the
sweeper composes each job in the parent process to check it can be composed, then the
launcher composes it again where the job runs), so a sweep of 1 000 short runs spent minutes
composing, the parent's share of it before the first job started.

The jobs of a sweep mostly differ in plain values (``seed=3``, ``customer.trust.gain=0.2``)
on top of a few combinations of config groups (``strategy=recommend``).  :func:`install`
replaces Hydra's ``ConfigLoaderImpl.load_sweep_config`` in this process by
:func:`load_sweep_config`, which composes each combination of group choices and Hydra settings
through Hydra once, keeps it, and makes each job from a copy of it with the job's plain values
applied by Hydra's own function for command-line overrides
(``ConfigLoaderImpl._apply_overrides_to_config``), its ``hydra.overrides`` and
``hydra.job.override_dirname`` set as Hydra sets them.  The result is the config Hydra would
compose (tests compare the two, YAML for YAML, over every shipped experiment's jobs).
Anything else, an added (``+key``) or deleted (``~key``) key, a sweep left in a job, a
Hydra setting that only some jobs carry, a key given twice, goes to Hydra unchanged.  A kept
composition serves the jobs of one command only (its sweep manifest, written anew by every
command, is part of the key), so an edited config file counts from the next command on, as
with Hydra alone.

Every launcher and sweeper composes through this method, so the saving holds for the joblib,
basic and submitit launchers alike; a job running on another machine installs it when it
imports :mod:`sim.app` for its task function.

The sweeper also composes every job of a batch in the parent process before it launches any
(``Sweeper.validate_batch_is_legal``, to fail early), while the workers wait.  ``prepersona``
has composed and checked every job of the command line already (its preflight,
:func:`sim.config.preflight.check_command`), so a batch whose jobs are all among those
(:func:`checked_by_preflight`) is not composed again; any other job (a search's trials) is.

Before each job, a process of the joblib or submitit launcher also restores Hydra's global
state from the parent's (``Singleton.set_state``), which discovers every installed Hydra plugin
again by importing their modules (about 60 ms a job).  The plugins installed where a process
runs do not change between its jobs, so :func:`set_state` keeps the ones this process found.
"""

from __future__ import annotations

import copy
import io
import os
import pickle
from collections import OrderedDict

__all__ = [
    "install",
    "load_sweep_config",
    "validate_batch_is_legal",
    "checked_by_preflight",
    "set_state",
    "cache_info",
]


class _Frozen:
    """A composed config kept as a pickle, from which each job gets its own copy.

    Unpickling makes a copy in about a fifth of the time ``copy.deepcopy`` takes on an OmegaConf
    config (8 ms against 38 ms for the default config), with the same values, flags and
    parents.  Classes (the schema's dataclasses) are kept by identity, as ``copy.deepcopy`` keeps
    them, not pickled by name: Hydra's plugin discovery may import a plugin's config module
    again, after which its class is no longer the one its name leads to.
    """

    def __init__(self, cfg) -> None:
        index: dict[type, int] = {}  # each class the config refers to, numbered as first met

        def type_id(obj) -> int | None:
            return index.setdefault(obj, len(index)) if isinstance(obj, type) else None

        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
        pickler.persistent_id = type_id
        pickler.dump(cfg)
        self._bytes = buffer.getvalue()
        self._types = list(index)  # in the order of their numbers

    def copy(self):
        """A new copy of the kept config."""
        unpickler = pickle.Unpickler(io.BytesIO(self._bytes))
        unpickler.persistent_load = self._types.__getitem__
        return unpickler.load()


MAX_BASES = 64
"""Compositions kept per process (least recently used first out); a sweep rarely has more
combinations of config groups than this."""

_bases: OrderedDict[tuple, _Frozen] = OrderedDict()
_stats = {"composed": 0, "reused": 0, "whole": 0}
_hydra_load_sweep_config = None  # Hydra's own methods, kept by install()
_hydra_validate_batch = None
_hydra_set_state = None
_checked: frozenset[tuple[str, ...]] = frozenset()


def cache_info() -> dict[str, int]:
    """How jobs were composed in this process: ``composed`` (a new combination of groups, through
    Hydra), ``reused`` (from a kept one), ``whole`` (through Hydra as a whole, see the module)."""
    return dict(_stats, kept=len(_bases))


def install() -> None:
    """Make Hydra compose sweep jobs through :func:`load_sweep_config`, check batches through
    :func:`validate_batch_is_legal` and restore its state through :func:`set_state` (idempotent)."""
    global _hydra_load_sweep_config, _hydra_validate_batch, _hydra_set_state
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.core.singleton import Singleton
    from hydra.plugins.sweeper import Sweeper

    if _hydra_load_sweep_config is not None:
        return
    _hydra_load_sweep_config = ConfigLoaderImpl.load_sweep_config
    _hydra_validate_batch = Sweeper.validate_batch_is_legal
    _hydra_set_state = Singleton.set_state
    ConfigLoaderImpl.load_sweep_config = load_sweep_config
    Sweeper.validate_batch_is_legal = validate_batch_is_legal
    Singleton.set_state = staticmethod(set_state)


def set_state(state) -> None:
    """Hydra's ``Singleton.set_state``, keeping the plugins this process has discovered already
    (Hydra leaves them out of the state it passes to a job and discovers them again)."""
    from hydra.core.plugins import Plugins
    from hydra.core.singleton import Singleton
    from omegaconf.basecontainer import BaseContainer

    plugins = Singleton._instances.get(Plugins)
    if plugins is None:
        _hydra_set_state(state)  # the first job of this process: Hydra discovers them
        return
    # What Hydra's set_state does, with the plugins found before in place of a new discovery.
    Singleton._instances = state["instances"]
    Singleton._instances[Plugins] = plugins
    BaseContainer._resolvers = copy.deepcopy(state["omegaconf_resolvers"])


def checked_by_preflight(jobs) -> None:
    """Record the task overrides (an iterable of lists of str) of every job the preflight has
    composed and checked in this process, replacing those recorded before."""
    global _checked
    _checked = frozenset(tuple(job) for job in jobs)


def validate_batch_is_legal(self, batch) -> None:
    """Hydra's ``Sweeper.validate_batch_is_legal``, except for a batch the preflight checked."""
    if batch and all(tuple(job) in _checked for job in batch):
        return
    _hydra_validate_batch(self, batch)


def _invocation(master_config) -> tuple | None:
    """Which command's sweep this is: its sweep manifest's path, time and size, which every
    ``prepersona`` command writes anew before launching.  A process that runs the jobs of two
    commands (a worker that joblib reuses within one Python session, the basic launcher) thus
    composes again for the second, whose config files may have changed in between."""
    from omegaconf import OmegaConf

    from sim.safety.outputs import MANIFEST_FILE

    try:
        path = os.path.join(str(OmegaConf.select(master_config, "hydra.sweep.dir")), MANIFEST_FILE)
        st = os.stat(path)
    except Exception:  # no sweep directory or manifest yet (Hydra used directly)
        return None
    return (os.path.abspath(path), st.st_mtime_ns, st.st_size)


def _split(master_config, sweep_overrides: list[str]):
    """(structural lines, parsed plain-value overrides, every parsed override) of a job, or None
    when the job must be composed as a whole.  Structural: a config group's choice (``strategy=recommend``,
    ``hydra/launcher=basic``, ``population@x=y``) and the master's Hydra settings."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_overrides(overrides=list(sweep_overrides))
    except Exception:
        return None  # Hydra says what is wrong with it
    groups = set(master_config.hydra.runtime.choices.keys())
    structural, values, seen = [], [], set()
    for o in parsed:
        key = o.key_or_group
        if key in seen:
            return None  # the last one wins in Hydra; not worth reproducing here
        seen.add(key)
        if o.is_hydra_override():
            return None  # a Hydra setting of this job only (the master's come separately)
        if o.is_sweep_override() or o.is_add() or o.is_delete() or o.is_force_add():
            return None
        if o.package is not None or "/" in key or key in groups:
            structural.append(o.input_line)
        else:
            values.append(o)
    return structural, values, parsed


def load_sweep_config(self, master_config, sweep_overrides: list[str]):
    """Hydra's ``ConfigLoaderImpl.load_sweep_config``, composing each combination of groups once
    (see the module docstring); the same config, the same exceptions."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
    from omegaconf import OmegaConf, open_dict

    split = _split(master_config, sweep_overrides)
    if split is None:
        _stats["whole"] += 1
        return _hydra_load_sweep_config(self, master_config, sweep_overrides)
    structural, values, parsed = split
    hydra_overrides = list(OmegaConf.to_container(master_config.hydra.overrides.hydra))
    # The loader itself is a new object in every job of a process pool (unpickled with the
    # job); what it composes from is its search path.
    search_path = tuple((p.provider, p.path) for p in self.get_search_path().get_path())
    key = (
        search_path,
        master_config.hydra.job.config_name,
        tuple(hydra_overrides),
        tuple(structural),
        os.getcwd(),
        _invocation(master_config),
    )
    base = _bases.get(key)
    if base is None:
        base = _Frozen(_hydra_load_sweep_config(self, master_config, structural))
        _bases[key] = base
        while len(_bases) > MAX_BASES:
            _bases.popitem(last=False)
        _stats["composed"] += 1
    else:
        _bases.move_to_end(key)
        _stats["reused"] += 1
    cfg = base.copy()
    # Hydra applies the command line's plain values after composing, in order, with this
    # function; the structural lines are the base's.
    ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
    with open_dict(cfg.hydra):
        # Every override of the job is the app's here (its Hydra settings are the master's).
        cfg.hydra.overrides.task = [o.input_line for o in parsed]
        cfg.hydra.job.override_dirname = get_overrides_dirname(
            overrides=parsed,
            kv_sep=cfg.hydra.job.config.override_dirname.kv_sep,
            item_sep=cfg.hydra.job.config.override_dirname.item_sep,
            exclude_keys=cfg.hydra.job.config.override_dirname.exclude_keys,
        )
    OmegaConf.copy_cache(from_config=master_config, to_config=cfg)
    return cfg
