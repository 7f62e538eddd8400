"""The import path holds what the user asked for, and a config imports only behavior modules.

Two rules:

1. **The working directory is not on the import path.**  ``python -m`` and the old
   ``prepersona`` put it first, so a stray ``pyarrow.py`` (or a ``hydra_plugins/`` folder)
   next to where the command ran was imported instead of the real one, on every command.
   :func:`secure_import_path` removes it before anything else is imported.

2. **A module named by a config is checked before it is imported.**  A behavior's
   ``_target_`` (``apology.Apology``) names a module and a class.  :func:`load_class` finds the
   module's file without running anything (installed packages first, as ``import`` would, then
   the directories the user asked for: the working directory and the ``file://`` entries of
   ``hydra.searchpath``), reads its source and imports it only when that source defines the
   class at top level and imports ``sim`` (a behavior module subclasses
   :class:`sim.behavior.Behavior`).  A module of the ``sim`` package itself is imported
   directly.  Anything else is refused with :class:`sim.errors.ConfigError`, and nothing of
   it ran.

The modules loaded from the user's directories are remembered (:func:`user_modules`): their
sources are part of a run's code fingerprint (:mod:`sim.safety.fingerprint`).
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

from sim.errors import ConfigError

__all__ = [
    "secure_import_path",
    "use_search_path",
    "user_module_dirs",
    "load_class",
    "user_modules",
    "TRUSTED_PACKAGE",
]

TRUSTED_PACKAGE = "sim"
"""Modules of this package are prepersona's own: imported without a source check."""

_search_dirs: list[Path] = []
# top-level module name -> the user directory it was loaded from
_loaded: dict[str, Path] = {}


def secure_import_path() -> None:
    """Remove the working directory ('' or its path) from ``sys.path`` (see the module note)."""
    cwd = os.path.realpath(os.getcwd())
    sys.path[:] = [p for p in sys.path if p != "" and os.path.realpath(p) != cwd]


def search_path_dir(entry: str) -> Path | None:
    """The directory of a ``hydra.searchpath`` entry: ``file://DIR``, or a plain path, which
    Hydra reads as ``file://``; None for an entry of another scheme (``pkg://...``)."""
    if entry.startswith("file://") or "://" not in entry:
        return Path(entry.removeprefix("file://")).expanduser()
    return None


def use_search_path(searchpath) -> None:
    """Set the directories of the config search path (``hydra.searchpath`` entries) where user
    behavior modules may live besides the working directory (:func:`search_path_dir`)."""
    dirs = [search_path_dir(str(entry)) for entry in searchpath or ()]
    _search_dirs[:] = [d for d in dirs if d is not None]


def user_module_dirs() -> list[Path]:
    """Where user behavior modules are looked for, in order: the working directory, then the
    ``file://`` directories of the config search path (absolute paths)."""
    out: list[Path] = []
    for d in [Path.cwd(), *_search_dirs]:
        d = d if d.is_absolute() else Path.cwd() / d
        if d not in out:
            out.append(d)
    return out


def user_modules() -> dict[str, str]:
    """Every module loaded from a user directory (and its submodules): name -> source file."""
    out = {}
    for name, module in list(sys.modules.items()):
        top = name.split(".", 1)[0]
        path = getattr(module, "__file__", None)
        if top in _loaded and path:
            out[name] = path
    return dict(sorted(out.items()))


def load_class(key: str, target: object) -> type:
    """The class ``target`` (``"package.module.Class"``) names, imported only after its module's
    source was found to define it (see the module note).

    Raises
    ------
    ConfigError
        Naming ``key`` and ``target``: not a dotted path, no such module, or a module that is
        not a behavior module (it was not imported then).
    """
    if not isinstance(target, str) or not _is_dotted(target):
        raise ConfigError(key, target, "the import path of a Behavior class (module.Class)")
    module_name, _, attr = target.rpartition(".")
    if module_name == TRUSTED_PACKAGE or module_name.startswith(TRUSTED_PACKAGE + "."):
        module = _import_trusted(key, target, module_name)
    elif module_name in sys.modules:
        module = sys.modules[module_name]
        _check_source(key, target, getattr(module, "__file__", None), attr)
    else:
        found = _find(module_name)
        if found is None:
            where = ", ".join(str(d) for d in user_module_dirs())
            raise ConfigError(
                key, target, f"an importable class (no module named {module_name!r} installed or in {where})"
            )
        spec, user_dir = found
        _check_source(key, target, spec.origin, attr)
        module = _import_found(key, target, module_name, user_dir)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ConfigError(key, target, f"an importable class ({module_name} has no attribute {attr!r})") from None


def _is_dotted(target: str) -> bool:
    parts = target.split(".")
    return len(parts) >= 2 and all(p.isidentifier() for p in parts)


def _import_trusted(key: str, target: str, module_name: str):
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(key, target, f"an importable class ({exc})") from None


def _find(module_name: str) -> tuple[importlib.machinery.ModuleSpec, Path | None] | None:
    """The spec of ``module_name`` and the user directory it is in (None: installed), found
    without running any of its code (its parent packages included); None when there is none."""
    top, *rest = module_name.split(".")
    spec = importlib.util.find_spec(top)  # a top-level name: nothing is executed
    user_dir = None
    if spec is None:
        for d in user_module_dirs():
            spec = importlib.machinery.PathFinder.find_spec(top, [str(d)])
            if spec is not None:
                user_dir = d
                break
    name = top
    for part in rest:
        if spec is None or not spec.submodule_search_locations:
            return None
        name = f"{name}.{part}"
        spec = importlib.machinery.PathFinder.find_spec(name, list(spec.submodule_search_locations))
    return (spec, user_dir) if spec is not None else None


def _check_source(key: str, target: str, origin: str | None, attr: str) -> None:
    """Refuse ``target`` unless the source at ``origin`` defines class ``attr`` and imports sim."""
    if not origin or not origin.endswith(".py") or not os.path.isfile(origin):
        raise ConfigError(key, target, f"a class in a Python source module ({origin or 'no source file'} is not one)")
    try:
        tree = ast.parse(Path(origin).read_bytes(), filename=origin)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ConfigError(key, target, f"a behavior module that can be read ({origin}: {exc})") from None
    defines = any(isinstance(n, ast.ClassDef) and n.name == attr for n in tree.body)
    imports_sim = any(_imports_sim(n) for n in ast.walk(tree))
    if not (defines and imports_sim):
        raise ConfigError(
            key,
            target,
            f"a behavior module: one that imports sim and defines class {attr} at top level ({origin} does not; "
            "it was not imported)",
        )


def _imports_sim(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name == TRUSTED_PACKAGE or a.name.startswith(TRUSTED_PACKAGE + ".") for a in node.names)
    if isinstance(node, ast.ImportFrom):
        mod = node.module or ""
        return node.level == 0 and (mod == TRUSTED_PACKAGE or mod.startswith(TRUSTED_PACKAGE + "."))
    return False


def _import_found(key: str, target: str, module_name: str, user_dir: Path | None):
    """Import ``module_name``: normally when installed, else from ``user_dir`` by file location
    (so that the directory never joins ``sys.path``)."""
    try:
        if user_dir is None:
            return importlib.import_module(module_name)
        _loaded[module_name.split(".", 1)[0]] = user_dir
        parts = module_name.split(".")
        module = None
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name in sys.modules:
                module = sys.modules[name]
                continue
            locations = [str(user_dir)] if module is None else list(module.__path__)
            spec = importlib.machinery.PathFinder.find_spec(name, locations)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
        return module
    except ConfigError:
        raise
    except Exception as exc:  # the module itself failed while importing: one line, naming it
        raise ConfigError(key, target, f"a module that imports cleanly ({type(exc).__name__}: {exc})") from None
