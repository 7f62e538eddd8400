"""Resuming a sweep: a run whose directory already holds its results is not simulated again.

A run is complete when its ``metrics.json`` exists (written last, atomically; see
:mod:`sim.results`) and records the hash of the same config.  A run that crashed left no
``metrics.json``; a run of another config (an edited strategy file, another population size)
left another hash: both are simulated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from sim.results import METRICS_FILE

__all__ = ["CONFIG_HASH", "config_hash", "completed", "discard_results", "complete_runs"]

CONFIG_HASH = "config_hash"
"""The key of ``metrics.json`` that records the hash of the run's config."""

# Keys that never change results: any thread count gives identical results, the progress
# display is cosmetic, an experiment's name, question and baseline are notes, and the report's
# options only change how results are shown.
_NOT_HASHED = ("threads", "output.progress", "experiment", "report")


def config_hash(cfg) -> str:
    """A hash of a validated :class:`sim.config.schema.Config`, over everything that decides its results."""
    data = dataclasses.asdict(cfg)
    for dotted in _NOT_HASHED:
        *parents, leaf = dotted.split(".")
        node = data
        for p in parents:
            node = node[p]
        node.pop(leaf)
    text = json.dumps(data, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def completed(out_dir: Path, digest: str) -> dict | None:
    """The metrics of a complete run of the config with hash ``digest`` in ``out_dir``, else None."""
    try:
        metrics = json.loads((Path(out_dir) / METRICS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return metrics if metrics.get(CONFIG_HASH) == digest else None


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
