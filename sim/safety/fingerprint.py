"""The code fingerprint of a run: which prepersona, and which user modules, produced it.

A run's ``config_hash`` says which config it ran; this says which code ran it.  A sweep run
again recomputes a run whose fingerprint differs (:mod:`sim.sweep.resume`), so an edited
behavior or an updated prepersona never leaves stale results that look complete.

* :func:`package_fingerprint` — ``sim.__version__`` and a SHA-256 over the package's files as
  installed: its Python sources, its compiled extensions (the build) and its shipped configs
  and experiments.  Files are found at run time, so the fingerprint follows whatever the
  package holds (about 12 MB, hashed in about 15 ms).  The result is kept with a *signature*
  of the files' names, sizes and modification times (a few milliseconds of ``stat``): in
  the environment variable :data:`ENV_VAR`, for the processes a run starts (a sweep's
  workers), and in ``sim/__pycache__/`` (:data:`CACHE_FILE`), for the next command.  While
  the files keep that signature the fingerprint is reused; an edit, a rebuild or an update
  of the package changes it, and the files are hashed again.
* :func:`module_fingerprints` — a SHA-256 of the source file of every user module a run loaded
  (:func:`sim.safety.imports.user_modules`).
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

__all__ = ["package_fingerprint", "module_fingerprints", "file_digest", "PACKAGE_SUFFIXES", "ENV_VAR"]

ENV_VAR = "PREPERSONA_CODE_FINGERPRINT"
"""``<signature>:<fingerprint>`` of the package, for the processes a run starts."""
CACHE_FILE = "prepersona-fingerprint"
"""The same, in the package's ``__pycache__`` directory (written where it can be)."""

PACKAGE_SUFFIXES = (".py", ".so", ".pyd", ".yaml")
"""Files of the package that decide what a run computes: sources, builds, configs."""


def _package_roots() -> list[Path]:
    import sim

    roots = [Path(sim.__file__).parent]
    for name in ("sim.configs", "sim.experiments"):  # shipped from configs/ and experiments/
        try:
            import importlib

            mod = importlib.import_module(name)
        except ImportError:
            continue
        for p in getattr(mod, "__path__", []):
            if Path(p) not in roots:
                roots.append(Path(p))
    return roots


def _package_files() -> list[tuple[str, str, os.stat_result]]:
    """(path relative to its root, absolute path, stat) of every file of the package that decides
    what a run computes, in a fixed order (``__pycache__`` is never entered)."""
    out = []
    for root in _package_roots():
        found = []
        for top, dirs, _files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            with os.scandir(top) as entries:
                for e in entries:
                    if e.name.endswith(PACKAGE_SUFFIXES) and e.is_file():
                        found.append((os.path.relpath(e.path, root), e.path, e.stat()))
        out += sorted(found)
    return out


@functools.lru_cache(maxsize=1)
def package_fingerprint() -> str:
    """``<version>+<sha256 prefix>`` of the installed package (computed once per process)."""
    import sim

    files = _package_files()
    sig = hashlib.sha256()
    for rel, _, st in files:
        sig.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    signature = sig.hexdigest()[:16]
    cache = Path(sim.__file__).parent / "__pycache__" / CACHE_FILE
    for kept in (os.environ.get(ENV_VAR, ""), _read(cache)):
        handed, _, fingerprint = kept.partition(":")
        if handed == signature and fingerprint:
            os.environ[ENV_VAR] = kept
            return fingerprint
    h = hashlib.sha256()
    for rel, path, _ in files:
        h.update(rel.encode() + b"\0")
        h.update(Path(path).read_bytes())
    fingerprint = f"{sim.__version__}+{h.hexdigest()[:16]}"
    os.environ[ENV_VAR] = f"{signature}:{fingerprint}"  # for the worker processes a sweep starts
    _write(cache, os.environ[ENV_VAR])
    return fingerprint


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return ""


def _write(path: Path, text: str) -> None:
    """Best effort: an installed package may be read-only (the files are then hashed each time)."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(exist_ok=True)
        tmp.write_text(text + "\n", encoding="ascii")
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


def file_digest(path: str | Path) -> str | None:
    """SHA-256 prefix of a file's bytes; None when it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def module_fingerprints(modules: dict[str, str]) -> dict[str, dict[str, str | None]]:
    """``{name: {"path": file, "sha256": digest}}`` of user modules (name -> source file)."""
    return {name: {"path": str(path), "sha256": file_digest(path)} for name, path in modules.items()}
