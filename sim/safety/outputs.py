"""Output directories that never lose data: manifests, and where a command may write.

Every directory prepersona writes holds a ``manifest.json`` that says what produced it:

* a **run directory**: the command's config name and overrides (its *identity*), the run's
  config hash, its code fingerprint (:mod:`sim.safety.fingerprint`) and its status;
* a **sweep directory**: the sweep's identity (every job's overrides and directory), each
  job's config hash, and the code fingerprint of the sweep.

Before anything runs, :func:`check_output_dir` refuses, in one line, a directory that would
lose data or mix results: an empty path, a file, a read-only place, a non-empty directory
without a manifest (not prepersona's), the directory of another run or another sweep (it
names the directory to use instead); :func:`check_job_dirs` refuses a sweep whose jobs would
share a directory or write outside the sweep directory.  Writing into the directory of the
same command is allowed: that finishes it (:mod:`sim.sweep.resume` decides, run by run, what
is complete and what is recomputed).
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import shlex
import tempfile
from pathlib import Path
from typing import Any

from sim.errors import ConfigError

__all__ = [
    "MANIFEST_FILE",
    "RUN",
    "SWEEP",
    "identity",
    "command_line",
    "read_manifest",
    "write_manifest",
    "write_text_atomic",
    "update_manifest",
    "check_output_dir",
    "check_writable_dir",
    "why_unwritable",
    "check_job_dirs",
]

MANIFEST_FILE = "manifest.json"
RUN = "run"
SWEEP = "sweep"


def identity(kind: str, config_name: str, jobs: list[tuple[str | None, list[str]]]) -> str:
    """What makes a run or a sweep the same one: its config name and, per job, its directory
    and overrides (a run: one job, no directory).  Hydra settings are not part of it (where it
    writes and how it launches change no result)."""
    text = json.dumps([kind, config_name, [[d, list(o)] for d, o in jobs]], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def command_line(overrides: list[str], multirun: bool = False) -> str:
    """The ``prepersona`` command of a list of overrides, quoted for a shell."""
    return shlex.join(["prepersona", *(["-m"] if multirun else []), *overrides])


def read_manifest(directory: Path | str) -> dict | None:
    """The manifest of ``directory``; None when it has none (or it is not prepersona's)."""
    try:
        data = json.loads((Path(directory) / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("kind") in (RUN, SWEEP) else None


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so that the file is
    either the old one or the new one, never half of it (an interrupted command, a full disk)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_manifest(directory: Path | str, data: dict[str, Any]) -> None:
    """Write ``directory``'s manifest atomically (a temporary file renamed into place).

    A manifest is small and rewritten at each step of a run; it is not synced to disk (a
    crash loses at most its last step, and then the run is simply recomputed)."""
    write_text_atomic(Path(directory) / MANIFEST_FILE, json.dumps(data, indent=1, allow_nan=False) + "\n")


def update_manifest(directory: Path | str, **changes: Any) -> dict:
    """Read, change and write back ``directory``'s manifest; returns the new content."""
    data = read_manifest(directory) or {}
    data.update(changes)
    write_manifest(directory, data)
    return data


# --------------------------------------------------------------------------- checks


def why_unwritable(path: Path) -> str | None:
    """Why nothing can be created in directory ``path`` (None: it can).

    A probe directory is created and removed at once: permission bits do not tell a read-only
    file system, or one where even root may not write (``/sys``), from a writable one."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".prepersona-probe-", dir=path))
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_writable_dir(key: str, text: str) -> Path:
    """Refuse ``text`` (the value of ``key``) as a directory to write into, or to create and
    write into: an empty path, a file, a path under a file, a directory that cannot be written
    (or created).  Returns it as a Path; what the directory holds is the caller's to check.

    Raises
    ------
    ConfigError
        One line naming the key, the value and why.
    """
    if not str(text).strip():
        raise ConfigError(key, text, "an empty path would write into the working directory; give a directory")
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise ConfigError(key, text, "it is a file; give a directory")
    if not path.exists():
        parent = _nearest_existing(path)
        if not parent.is_dir():
            raise ConfigError(key, text, f"{parent} is a file, so the directory cannot be created")
        why = why_unwritable(parent)
        if why:
            raise ConfigError(key, text, f"the directory cannot be created in {parent} ({why})")
        return path
    why = why_unwritable(path)
    if why:
        raise ConfigError(key, text, f"the directory cannot be written ({why})")
    return path


def check_output_dir(key: str, text: str, kind: str, ident: str, command: str = "") -> Path:
    """Refuse ``text`` (the value of ``key``: ``hydra.run.dir`` or ``hydra.sweep.dir``) as the
    directory of a ``kind`` (run or sweep) with identity ``ident``; returns it as a Path.

    Raises
    ------
    ConfigError
        One line naming the key, the value and what is allowed (see the module note).
    """
    path = check_writable_dir(key, text)
    if not path.exists():
        return path
    try:
        entries = sorted(e.name for e in os.scandir(path))
    except OSError as exc:
        raise ConfigError(key, text, f"the directory cannot be read ({exc.strerror})") from None
    if not entries:
        return path
    manifest = read_manifest(path)
    instead = f"use {key}={text.rstrip('/')}-{ident[:8]} for this one"
    if manifest is None:
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise ConfigError(
            key,
            text,
            f"it holds files prepersona did not write ({shown}), which this {kind} could overwrite; "
            "give a new or empty directory",
        )
    if manifest.get("kind") != kind:
        raise ConfigError(key, text, f"it holds a {manifest.get('kind')}, not a {kind}; {instead}")
    if manifest.get("id") != ident:
        other = manifest.get("command") or "another command"
        raise ConfigError(key, text, f"it holds another {kind} ({other}); {instead}")
    return path


def check_job_dirs(key: str, raw: str, subdirs: list[str], sweep_dir: Path) -> None:
    """Refuse a sweep whose jobs' directories (``subdirs``, resolved from ``raw``, the value of
    ``key``) are not distinct, separate directories inside ``sweep_dir``.

    Raises
    ------
    ConfigError
        Naming the two jobs that would share a directory, or the directory that leaves the sweep.
    """
    seen: dict[str, int] = {}
    for i, sub in enumerate(subdirs):
        norm = posixpath.normpath(str(sub).replace(os.sep, "/")) if str(sub).strip() else ""
        if not norm or norm == "." or norm.startswith("../") or norm == ".." or posixpath.isabs(norm):
            raise ConfigError(key, raw, f"job {i} would write into {sub!r}; give a relative directory inside the sweep")
        if norm in seen:
            raise ConfigError(
                key,
                raw,
                f"jobs {seen[norm]} and {i} would both write into {sweep_dir / norm}; give every job its own "
                "directory (e.g. include ${hydra.job.num})",
            )
        seen[norm] = i
    # A job's directory inside another's would mix their files too.
    ordered = sorted(seen)
    for a, b in zip(ordered, ordered[1:]):
        if b.startswith(a + "/"):
            raise ConfigError(
                key, raw, f"job {seen[b]}'s directory {b} is inside job {seen[a]}'s {a}; give separate directories"
            )
    if sweep_dir.is_dir():
        for norm, i in seen.items():
            p = sweep_dir / norm
            if p.exists() and not p.is_dir():
                raise ConfigError(key, raw, f"job {i}'s directory {p} is a file; give another directory")
