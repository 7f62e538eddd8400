"""The code fingerprint of a run: which prepersona, and which user modules, produced it.

A run's ``config_hash`` says which config it ran; this says which code ran it.  A sweep run
again recomputes a run whose fingerprint differs (:mod:`sim.sweep.resume`), so an edited
behavior or an updated prepersona never leaves stale results that look complete.

* :func:`package_fingerprint` — ``sim.__version__`` and a SHA-256 over the package's files as
  installed: its Python sources, its compiled extensions (the build) and its shipped configs
  and experiments.  Files are found at run time, so the fingerprint follows whatever the
  package holds (about 12 MB, hashed once per process in about 15 ms).
* :func:`module_fingerprints` — a SHA-256 of the source file of every user module a run loaded
  (:func:`sim.safety.imports.user_modules`).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

__all__ = ["package_fingerprint", "module_fingerprints", "file_digest", "PACKAGE_SUFFIXES"]

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


@functools.lru_cache(maxsize=1)
def package_fingerprint() -> str:
    """``<version>+<sha256 prefix>`` of the installed package (computed once per process)."""
    import sim

    h = hashlib.sha256()
    for root in _package_roots():
        files = sorted(
            p for p in root.rglob("*") if p.suffix in PACKAGE_SUFFIXES and "__pycache__" not in p.parts and p.is_file()
        )
        for p in files:
            h.update(str(p.relative_to(root)).encode() + b"\0")
            h.update(p.read_bytes())
    return f"{sim.__version__}+{h.hexdigest()[:16]}"


def file_digest(path: str | Path) -> str | None:
    """SHA-256 prefix of a file's bytes; None when it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def module_fingerprints(modules: dict[str, str]) -> dict[str, dict[str, str | None]]:
    """``{name: {"path": file, "sha256": digest}}`` of user modules (name -> source file)."""
    return {name: {"path": str(path), "sha256": file_digest(path)} for name, path in modules.items()}
