"""Resuming a sweep: a run whose directory already holds its results is not simulated again.

A run is complete when its ``metrics.json`` exists (written last, atomically; see
:mod:`sim.results`) and records the hash of the same config, **and** its manifest
(:mod:`sim.safety.outputs`) records the same code: the same prepersona (version, build and
sources, :func:`sim.safety.fingerprint.package_fingerprint`) and unchanged sources of every
user module the run loaded.  Anything else is simulated again, and :func:`run_status` says
why: a run that crashed or was interrupted, an edited config file, an edited behavior module,
an updated prepersona.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from sim.results import METRICS_FILE
from sim.safety.fingerprint import file_digest
from sim.safety.outputs import read_manifest

__all__ = [
    "CONFIG_HASH",
    "COMPLETE",
    "config_hash",
    "completed",
    "run_status",
    "discard_results",
    "complete_runs",
]

CONFIG_HASH = "config_hash"
"""The key of ``metrics.json`` that records the hash of the run's config."""

COMPLETE = "complete"
"""The status a run's manifest records once its ``metrics.json`` is written."""

# Keys that never change results: any thread count gives identical results, the progress
# display is cosmetic, an experiment's name, question and baseline are notes, the report's
# options only change how results are shown, and the memory check only decides whether a run
# starts.
_NOT_HASHED = ("threads", "output.progress", "experiment", "report", "memory_check")


def config_hash(cfg) -> str:
    """A hash of a validated :class:`sim.config.schema.Config`, over everything that decides its results."""
    text = json.dumps(hashed_fields(cfg), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def hashed_fields(cfg) -> dict:
    """The config as nested dicts, without the keys that never change results (what is hashed)."""
    data = dataclasses.asdict(cfg)
    for dotted in _NOT_HASHED:
        *parents, leaf = dotted.split(".")
        node = data
        for p in parents:
            node = node[p]
        node.pop(leaf)
    return data


def completed(out_dir: Path, digest: str) -> dict | None:
    """The metrics of a complete run of the config with hash ``digest`` in ``out_dir``, else None."""
    try:
        metrics = json.loads((Path(out_dir) / METRICS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return metrics if metrics.get(CONFIG_HASH) == digest else None


def run_status(out_dir: Path, digest: str, package: str) -> tuple[dict | None, str | None]:
    """Whether ``out_dir`` holds a complete run of the config with hash ``digest`` made by the
    code with package fingerprint ``package``.

    Returns ``(metrics, None)`` for a complete run; else ``(None, why)``, where ``why`` says why
    it must be simulated (again), or is None for a directory that holds no run yet.
    """
    out_dir = Path(out_dir)
    manifest = read_manifest(out_dir) or {}
    try:
        metrics = json.loads((out_dir / METRICS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        metrics = None
    if metrics is None:
        status = manifest.get("status")
        if status == "failed":
            return None, "it failed before"
        if status == "running":  # "started": the command wrote the manifest, nothing ran yet
            return None, "it was interrupted"
        return None, None
    if metrics.get(CONFIG_HASH) != digest:
        return None, "its config changed"
    if manifest.get(CONFIG_HASH) != digest or manifest.get("status") != COMPLETE:
        return None, "no manifest says it completed (an older prepersona, or an interrupted run)"
    code = manifest.get("code") or {}
    if code.get("package") != package:
        return None, "prepersona's code changed"
    for name, entry in (code.get("user_modules") or {}).items():
        if file_digest(entry.get("path", "")) != entry.get("sha256"):
            return None, f"module {name} changed"
    return metrics, None


def discard_results(out_dir: Path) -> bool:
    """Remove ``out_dir``'s ``metrics.json`` before it is simulated again; True if there was one.

    Until the new run completes, the directory must not look complete with another config's results.
    """
    path = Path(out_dir) / METRICS_FILE
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def complete_runs(sweep_dir: Path) -> int:
    """How many run directories of a sweep hold a ``metrics.json`` (whatever their config)."""
    return sum(1 for _ in Path(sweep_dir).glob(f"*/{METRICS_FILE}"))
