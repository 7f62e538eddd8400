"""Which Hydra settings a config file or the command line may set, and which values may not
reach results.

Hydra instantiates whatever ``_target_`` its callbacks, launcher and sweeper name, and hands
its logging settings to :func:`logging.config.dictConfig` (whose handlers open any file).  A
config file or an override that sets them runs code or writes files before any check of
prepersona.  So only an allow-list of Hydra keys may be set, from a config file (prepersona's
own, an experiment, a file of the user's search path) and from the command line:

* ``hydra.run.dir``, ``hydra.sweep.dir``, ``hydra.sweep.subdir`` (checked by
  :mod:`sim.safety.outputs`), ``hydra.mode``, ``hydra.searchpath``;
* the launcher's and the sweeper's settings (``hydra.launcher.*``, ``hydra.sweeper.*``, and
  the choice ``hydra/launcher=...``, ``hydra/sweeper=...``), except ``_target_`` and a
  launcher's shell ``setup`` lines;
* ``hydra.job.chdir: false`` and prepersona's own sweep callback, as ``configs/config.yaml``
  sets them.

Everything else under ``hydra`` (callbacks, ``job_logging`` and ``hydra_logging``,
``output_subdir``, ``job.env_set``, ...) is refused in one line, and so is a ``_target_``
anywhere in the config but a behavior's (``behaviors.<name>._target_``, which
:mod:`sim.safety.imports` checks).  Config files that Hydra or an installed Hydra plugin ships
are theirs and not checked.

Values that read the environment (``${oc.env:VAR}``, ``${env:VAR}``) are refused outside
``hydra``: they would copy a secret into ``metrics.json``, the logs and the report.
"""

from __future__ import annotations

import re
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.errors import ConfigError

__all__ = [
    "SWEEP_CALLBACK",
    "check_override",
    "check_config_file",
    "check_composed",
    "is_hydra_own_source",
    "ALLOWED_HELP",
]

SWEEP_CALLBACK = "sim.sweep.callback.SweepCallback"
"""The one callback a config may name: prepersona's own (``configs/config.yaml``)."""

ALLOWED_HELP = (
    "hydra.run.dir, hydra.sweep.dir, hydra.sweep.subdir, hydra.mode, hydra.searchpath, "
    "hydra.launcher.*, hydra.sweeper.* (no _target_), hydra/launcher=..., hydra/sweeper=..."
)

_FREE = ("hydra.run.dir", "hydra.sweep.dir", "hydra.sweep.subdir", "hydra.mode", "hydra.searchpath")
_GROUPS = ("hydra/launcher", "hydra/sweeper")
_ENV = re.compile(r"\$\{\s*(?:oc\.env|env)\s*:")

# Why a key is refused, by the first matching prefix (the default is the generic reason).
_REASONS = (
    ("hydra.callbacks", "callbacks run code"),
    ("hydra.job_logging", "logging handlers can open and overwrite any file"),
    ("hydra.hydra_logging", "logging handlers can open and overwrite any file"),
    ("hydra/job_logging", "logging handlers can open and overwrite any file"),
    ("hydra/hydra_logging", "logging handlers can open and overwrite any file"),
    ("hydra.output_subdir", "it writes Hydra's files outside the run directory"),
    ("hydra.job.env", "it changes the environment of the simulation"),
)


def _refuse(key: str, value: Any, why: str | None = None) -> ConfigError:
    reason = why or next((r for p, r in _REASONS if key.startswith(p)), "not a setting a config may change")
    return ConfigError(key, value, f"{reason}; allowed: {ALLOWED_HELP}")


def _hydra_key_ok(key: str, value: Any, from_file: bool) -> str | None:
    """None when ``key`` (a dotted Hydra key) may be set to ``value``; else why not."""
    parts = key.split(".")
    if key in _FREE or key.startswith("hydra.searchpath."):
        return None
    if parts[:2] in (["hydra", "launcher"], ["hydra", "sweeper"]) and len(parts) > 2:
        if "_target_" in parts[2:]:
            return "a _target_ names code to run"
        if parts[1] == "launcher" and "setup" in parts[2:]:
            return "a launcher's setup lines run shell commands"
        return None
    if key == "hydra.job.chdir" and value in (False, "false", "False"):
        return None
    if from_file and key == "hydra.callbacks.sweep._target_" and value == SWEEP_CALLBACK:
        return None
    return next((r for p, r in _REASONS if key.startswith(p)), "not a setting a config may change")


def check_override(override) -> None:
    """Refuse a parsed command-line override (:class:`hydra.core.override_parser.types.Override`)
    that sets a Hydra key outside the allow-list.

    Raises
    ------
    ConfigError
        Naming the key, the value and what is allowed.
    """
    key = override.key_or_group
    value = _override_value(override)
    if key.startswith("hydra/"):
        if key in _GROUPS and not override.is_delete():
            return
        raise _refuse(key, value)
    if not (key == "hydra" or key.startswith("hydra.")):
        if _ENV.search(value):
            raise _environment(key.lstrip("+~"), value)
        return
    if override.is_delete():
        raise _refuse(key, value, "a Hydra setting cannot be removed")
    why = _hydra_key_ok(key, override.value() if not override.is_sweep_override() else None, from_file=False)
    if why is not None:
        raise _refuse(key, value, why)


def _override_value(override) -> str:
    line = override.input_line or ""
    return line.split("=", 1)[1] if "=" in line else ""


def is_hydra_own_source(result) -> bool:
    """Whether a loaded config (a Hydra ``ConfigResult``) is Hydra's own or an installed
    plugin's: those are not a user's files and are not checked."""
    path = str(getattr(result, "path", "") or "")
    provider = getattr(result, "provider", None)
    if path.startswith("pkg://hydra.conf") or path.startswith("pkg://hydra_plugins"):
        return True
    # Hydra and its plugins register their structured configs with a provider name; the
    # ConfigStore entries of prepersona (schema, experiments) have none.
    return path.startswith("structured://") and provider not in (None, "", "main")


def check_config_file(result, config_path: str = "") -> None:
    """Refuse a config file (a Hydra ``ConfigResult``, embedded at its package) that sets a
    Hydra key outside the allow-list, names a ``_target_`` other than a behavior's, or reads the
    environment in a value outside ``hydra``.

    Raises
    ------
    ConfigError
        For the first such key, naming the file.
    """
    if is_hydra_own_source(result) or _is_code_schema(result):
        return
    where = f" (in {result.path}/{config_path}.yaml)" if config_path else f" (in {result.path})"
    for key, value in _leaves(OmegaConf.to_container(result.config, resolve=False), ""):
        if key == "hydra" or key.startswith("hydra."):
            why = _hydra_key_ok(key, value, from_file=True)
            if why is not None:
                exc = _refuse(key, value, why)
                raise ConfigError(exc.key, exc.value, exc.allowed + where)
        elif key.endswith("._target_") or key == "_target_":
            if not re.fullmatch(r"behaviors\.[^.]+\._target_", key):
                raise ConfigError(
                    key, value, "a config names code only as a behavior (behaviors.<name>._target_)" + where
                )
        elif isinstance(value, str) and _ENV.search(value):
            exc = _environment(key, value)
            raise ConfigError(exc.key, exc.value, exc.allowed + where)


def _is_code_schema(result) -> bool:
    """A structured config that prepersona's Python code defines (the schema): code, not a file."""
    import dataclasses

    cfg = getattr(result, "config", None)
    return (
        getattr(result, "provider", None) in (None, "")
        and isinstance(cfg, DictConfig)
        and dataclasses.is_dataclass(OmegaConf.get_type(cfg))
    )


def _environment(key: str, value: Any) -> ConfigError:
    return ConfigError(
        key,
        value,
        "a value that does not read the environment (it would be written into metrics.json, the logs and the report)",
    )


def check_composed(cfg: DictConfig) -> None:
    """Checks of a whole composed config (files and command line together): its callbacks are
    exactly prepersona's own.  (Each file and each override was checked on its own already.)

    Raises
    ------
    ConfigError
        When another callback is configured.
    """
    callbacks = OmegaConf.select(cfg, "hydra.callbacks") if isinstance(cfg, DictConfig) else None
    if callbacks is not None:
        found = OmegaConf.to_container(callbacks, resolve=False)
        if found not in ({"sweep": {"_target_": SWEEP_CALLBACK}}, {}):
            raise _refuse("hydra.callbacks", found)


def _leaves(node: Any, prefix: str):
    """(dotted key, raw value) of every leaf of a config as plain containers (interpolations
    unresolved); Hydra's ``defaults`` lists are skipped."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "defaults" and isinstance(v, list):
                continue
            yield from _leaves(v, f"{prefix}{k}.")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, f"{prefix}{i}.")
    else:
        yield prefix.rstrip("."), node
