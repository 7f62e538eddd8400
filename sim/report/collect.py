"""Finding the run directories of a sweep and reading what each one holds.

A run directory is any directory below the sweep directory that has a ``.hydra/`` folder. It
is *complete* only when its ``metrics.json`` exists (a run writes it last, atomically); an
incomplete run is counted but never read further.

Runs are grouped into *settings*: all of a run's command-line overrides except ``seed`` and
those that cannot change a result (``threads``, ``impl``, ``output.*``, ``hydra.*``). Runs of
one setting with different seeds are the replicates the statistics work on; the same seed in
two settings means the same population and the same customer-side noise (common random
numbers), which is what makes a paired comparison possible.

A report never mixes runs of different configs.  In a sweep directory with a manifest
(:mod:`sim.safety.outputs`), only the sweep's own runs count, each only when its manifest
says it completed the config (and code) the sweep ran; a run left from an earlier config, or
a directory the sweep does not know, is left out and named (``Sweep.stale``).  Anywhere, runs
of one setting whose manifests record different configs (a config file edited between two
sweeps collected together) are not pooled: the runs of the config most of them ran are kept.
Runs are averaged as one setting only when their configs agree on everything but the seed (and
the keys that change no result), and settings are compared only when they agree on population
size and horizon unless an override varies them: a directory holding two sweeps of one strategy
with different horizons is refused (:class:`~sim.report.errors.MixedConfigs`), never averaged.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from sim.report.errors import MixedConfigs, NoCompleteRuns
from sim.report.labels import plain_override
from sim.report.nested import get_dotted
from sim.results import METRICS_FILE
from sim.safety.outputs import SWEEP, read_manifest

__all__ = [
    "Run",
    "Sweep",
    "NoCompleteRuns",
    "collect",
    "flatten_numeric",
    "read_csv_columns",
    "override_key",
    "to_float",
    "NEUTRAL_OVERRIDES",
]

NEUTRAL_OVERRIDES = ("seed", "uncertainty.world", "threads", "impl", "output.", "hydra.", "memory_check")
"""Override keys (or key prefixes, ending in '.') that do not define a setting: the seed (and, in
a sweep over plausible worlds, the world) is the replicate, and the others change speed or
output files, never the simulated outcome."""

WORLD = "uncertainty.world"
"""The override naming a run's plausible world (:mod:`sim.uncertainty.worlds`)."""
WORLD_VALUES = "world.values."
"""The prefix of a run's world's parameter values among its metrics (``world.values.<key>``)."""


NOT_CONFIG = ("seed", "threads", "impl", "output", "hydra", "experiment", "report")
"""Top-level config keys two runs of one setting may differ in: the seed is the replicate; the
others change speed, output files or notes, never the simulated outcome."""

COMPARED = {"population.size": ("population size", "customers"), "horizon_days": ("horizon", "days")}
"""Keys every setting of a sweep must share unless an override varies them: their readable name
and unit."""


@dataclass
class Run:
    """One complete run directory.

    Attributes
    ----------
    path : Path
        The run directory.
    overrides : list[str]
        Its command-line overrides, as in ``.hydra/overrides.yaml`` (``key=value`` strings).
    config : dict
        The composed config from ``.hydra/config.yaml`` (empty when that file is missing).
    metrics : dict[str, int | float]
        Every numeric value of ``metrics.json``, nested dicts flattened with dots
        (``creepy_touches_by_basis.inferred``, ``channels.email.sends``).
    info : dict[str, str]
        The text values of ``metrics.json`` (``strategy``, ``population``, ``campaign``, ...).
    seed : int
    world : int or None
        The plausible world the run is in (``uncertainty.world``), None outside a sweep of worlds.
    """

    path: Path
    overrides: list[str]
    config: dict
    metrics: dict[str, int | float]
    info: dict[str, str]
    seed: int
    manifest: dict = field(default_factory=dict)
    """The run's ``manifest.json`` (empty for a run written before manifests existed)."""
    world: int | None = None
    _daily: dict[str, np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def setting(self) -> tuple[str, ...]:
        """The overrides that define this run's setting (sorted; seed and neutral keys dropped)."""
        return tuple(sorted(o for o in self.overrides if not _is_neutral(override_key(o))))

    @property
    def replicate(self) -> int | tuple[int, int]:
        """What pairs this run with the other settings' runs: its seed, or ``(world, seed)`` in a
        sweep over plausible worlds (the same customers, noise and parameters)."""
        return self.seed if self.world is None else (self.world, self.seed)

    @property
    def strategy(self) -> str:
        return str(self.info.get("strategy") or get_dotted(self.config, "strategy.name") or "?")

    def daily(self) -> dict[str, np.ndarray]:
        """The daily series as float64 columns of one length (empty dict when missing): from
        ``daily.parquet`` when the run wrote it (fast), else ``daily.csv``; read once."""
        if self._daily is None:
            self._daily = _read_daily(self.path)
        return self._daily

    def segments(self) -> list[dict[str, str]]:
        """``segments.csv`` as a list of rows (text values; empty when missing)."""
        return _read_csv_rows(self.path / "segments.csv")

    def journeys(self) -> list[dict]:
        """``journeys.jsonl``: one dict per recorded customer (empty when missing)."""
        path = self.path / "journeys.jsonl"
        if not path.is_file():
            return []
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]


@dataclass
class Sweep:
    """The complete runs below a directory, and how many were left out.

    ``runs`` is sorted by path. ``incomplete`` counts run directories without ``metrics.json``;
    ``duplicates`` counts complete runs dropped because a run of the same setting and seed came
    first (by path), so that each setting has at most one value per seed.
    """

    root: Path
    runs: list[Run]
    incomplete: int = 0
    duplicates: int = 0
    unreadable: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    """Complete runs left out because they ran another config or code than the others (why, per run)."""
    command: str | None = None
    """The sweep's command line, from Hydra's ``multirun.yaml`` in ``root`` (None without one)."""

    def settings(self) -> dict[tuple[str, ...], list[Run]]:
        """Runs grouped by setting, in order of first appearance; each list sorted by seed."""
        groups: dict[tuple[str, ...], list[Run]] = {}
        for run in self.runs:
            groups.setdefault(run.setting, []).append(run)
        return {k: sorted(v, key=lambda r: (r.world or 0, r.seed)) for k, v in groups.items()}

    def labels(self) -> dict[tuple[str, ...], str]:
        """A readable name per setting: the overrides that vary across settings, in plain words.

        A varying ``strategy=x`` is shown first, as ``x``; other varying overrides follow in
        words ("email every 3.5 days", see :mod:`sim.report.labels`), joined by ", ". A sweep of
        one setting is named by its strategy. Settings whose words coincide keep their
        :meth:`raw_labels`.
        """
        groups = self.settings()
        varying = _varying_keys(list(groups))
        plain = {}
        for s, runs in groups.items():
            shown = sorted(
                (o for o in s if override_key(o) in varying), key=lambda o: (override_key(o) != "strategy", o)
            )
            plain[s] = ", ".join(plain_override(o, runs[0].config) for o in shown) if shown else runs[0].strategy
        raw = self.raw_labels()
        counts = Counter(plain.values())
        return {s: plain[s] if counts[plain[s]] == 1 else raw[s] for s in groups}

    def raw_labels(self) -> dict[tuple[str, ...], str]:
        """A name per setting in the overrides' own spelling: ``none, campaign.email.cadence_days=3.5``.

        A varying ``strategy=x`` is shown first, as ``x``; other varying overrides follow as
        ``key=value``, joined by ", ". A sweep of one setting is named by its strategy.
        """
        groups = self.settings()
        varying = _varying_keys(list(groups))
        labels = {}
        for s, runs in groups.items():
            shown = sorted(
                (o for o in s if override_key(o) in varying), key=lambda o: (override_key(o) != "strategy", o)
            )
            parts = [o.split("=", 1)[1] if override_key(o) == "strategy" else o for o in shown]
            labels[s] = ", ".join(parts) if parts else runs[0].strategy
        # Two settings can only share a label when their overrides differ in spelling alone.
        seen: dict[str, int] = {}
        for s, lab in labels.items():
            seen[lab] = seen.get(lab, 0) + 1
            if seen[lab] > 1:
                labels[s] = f"{lab} ({seen[lab]})"
        return labels


def collect(root: Path | str) -> Sweep:
    """Read every run directory below ``root`` (searched recursively).

    Raises
    ------
    NoCompleteRuns
        ``root`` does not exist, is not a directory, or holds no complete run.
    """
    root = Path(root)
    if not root.is_dir():
        what = "not a directory" if root.exists() else "no such directory"
        raise NoCompleteRuns(f"{root}: {what} (expected a sweep directory holding run directories with {METRICS_FILE})")
    run_dirs = sorted({p.parent for p in root.rglob(".hydra") if p.is_dir()})
    expected, stale = _sweep_jobs(root), []
    runs, incomplete, unreadable = [], 0, []
    for d in run_dirs:
        if not (d / METRICS_FILE).is_file():
            incomplete += 1
            continue
        try:
            run = _read_run(d)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            unreadable.append(f"{d}: {exc}")
            continue
        why = _left_out(run, expected)
        if why:
            stale.append(f"{d}: {why}")
        else:
            runs.append(run)
    runs, mixed = _one_config_per_setting(runs)
    stale += mixed
    if not runs:
        found = f"{len(run_dirs)} run directories, none complete" if run_dirs else "no run directories"
        raise NoCompleteRuns(
            f"{root}: no complete run ({found}; expected run directories with .hydra/ and {METRICS_FILE})"
        )
    check_comparable(root, runs)
    kept, seen, duplicates = [], set(), 0
    for run in runs:
        key = (run.setting, run.replicate)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        kept.append(run)
    return Sweep(
        root=root,
        runs=kept,
        incomplete=incomplete,
        duplicates=duplicates,
        unreadable=unreadable,
        stale=stale,
        command=_sweep_command(root),
    )


def _sweep_jobs(root: Path) -> dict[Path, dict] | None:
    """The jobs a sweep manifest in ``root`` lists, by run directory; None without one."""
    manifest = read_manifest(root)
    if manifest is None or manifest.get("kind") != SWEEP:
        return None
    code = (manifest.get("code") or {}).get("package")
    return {(root / job["dir"]).resolve(): {**job, "code": code} for job in manifest.get("jobs", [])}


def _left_out(run: Run, expected: dict[Path, dict] | None) -> str | None:
    """Why a complete run of a sweep directory does not count for the sweep (None: it counts)."""
    if expected is None:
        status = run.manifest.get("status")
        return "its manifest says it did not complete" if status not in (None, "complete") else None
    job = expected.get(run.path.resolve())
    if job is None:
        return "not a run of this sweep"
    if run.manifest.get("status") != "complete" or run.manifest.get("config_hash") != job.get("config_hash"):
        return "it ran another config than the sweep's"
    if (run.manifest.get("code") or {}).get("package") != job.get("code"):
        return "another prepersona ran it than the sweep's"
    return None


def _one_config_per_setting(runs: list[Run]) -> tuple[list[Run], list[str]]:
    """Keep, per setting, only the runs of the config most of its runs ran (by the manifests'
    ``setting_hash``: the config hash with the seed left out)."""
    by_setting: dict[tuple[str, ...], dict[str, int]] = {}
    for run in runs:
        h = run.manifest.get("setting_hash")
        if h:
            counts = by_setting.setdefault(run.setting, {})
            counts[h] = counts.get(h, 0) + 1
    kept, left = [], []
    for run in runs:
        counts = by_setting.get(run.setting)
        h = run.manifest.get("setting_hash")
        if counts and h and len(counts) > 1 and h != max(counts, key=lambda k: (counts[k], k)):
            left.append(f"{run.path}: its setting's other runs ran another config")
        else:
            kept.append(run)
    return kept, left


def check_comparable(root: Path, runs: list[Run]) -> None:
    """Refuse runs the report would average or compare although their configs differ.

    Raises
    ------
    MixedConfigs
        Two runs of one setting differ in a config key other than the seed and :data:`NOT_CONFIG`
        (population size and horizon are checked first, from ``metrics.json`` when the config
        lacks them), or two settings differ in a :data:`COMPARED` key no override varies.
    """
    groups: dict[tuple[str, ...], list[Run]] = {}
    for run in runs:
        groups.setdefault(run.setting, []).append(run)
    sweep = Sweep(root=root, runs=runs)
    labels = sweep.labels()
    for s, members in groups.items():
        first = _comparable_items(members[0])
        for run in members[1:]:
            items = _comparable_items(run)
            differing = [k for k in {**first, **items} if first.get(k) != items.get(k)]
            if differing:
                key = min(differing, key=lambda k: (k not in COMPARED, k))
                raise MixedConfigs(
                    f"{root}: the runs of setting “{labels[s]}” differ in {_describe(key)}: "
                    f"{_show(key, first.get(key))} in {_where(root, members[0])}, {_show(key, items.get(key))} in "
                    f"{_where(root, run)}; a setting's runs must share one config (report each sweep on its own)"
                )
    varying = _varying_keys(list(groups))
    for key in COMPARED:
        if key in varying:
            continue
        values = {}
        for s, members in groups.items():
            values.setdefault(_comparable_items(members[0]).get(key), s)
        if len(values) > 1:
            shown = ", ".join(f"{_show(key, v)} in “{labels[s]}”" for v, s in values.items())
            raise MixedConfigs(
                f"{root}: the settings differ in {_describe(key)} ({shown}) though no override of the sweep "
                "varies it, so they are not comparable (report each sweep on its own)"
            )


def _comparable_items(run: Run) -> dict[str, str]:
    """A run's config flattened to dotted keys (values as JSON text), without :data:`NOT_CONFIG`;
    population size and horizon from ``metrics.json`` when the config does not have them."""
    flat: dict[str, str] = {}

    def walk(node, prefix: str) -> None:
        for k, v in node.items():
            if not prefix and k in NOT_CONFIG or f"{prefix}{k}" == WORLD:
                continue
            if isinstance(v, dict) and v:
                walk(v, f"{prefix}{k}.")
            else:
                flat[f"{prefix}{k}"] = json.dumps(v, sort_keys=True, default=str)

    walk(run.config, "")
    for key, metric in (("population.size", "customers"), ("horizon_days", "horizon_days")):
        if key not in flat and metric in run.metrics:
            flat[key] = json.dumps(int(run.metrics[metric]))
    return flat


def _describe(key: str) -> str:
    return COMPARED[key][0] if key in COMPARED else f"`{key}`"


def _show(key: str, value: str | None) -> str:
    if value is None:
        return "(not set)"
    if key in COMPARED:
        try:
            return f"{int(json.loads(value)):,} {COMPARED[key][1]}"
        except (TypeError, ValueError):
            pass
    return value


def _where(root: Path, run: Run) -> str:
    return f"{run.path.relative_to(root).as_posix() or '.'}/"


def flatten_numeric(d: dict, prefix: str = "") -> tuple[dict[str, int | float], dict[str, str]]:
    """Split a metrics dict into numbers and texts, nested dicts flattened with dots.

    Booleans and lists are neither: they are dropped. Returns ``(numbers, texts)``.
    """
    numbers: dict[str, int | float] = {}
    texts: dict[str, str] = {}
    for k, v in d.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            n, t = flatten_numeric(v, f"{name}.")
            numbers.update(n)
            texts.update(t)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            numbers[name] = v
        elif isinstance(v, str):
            texts[name] = v
    return numbers, texts


def read_csv_columns(path: Path) -> dict[str, np.ndarray]:
    """A CSV of numbers as float64 columns; a cell that is not a number becomes NaN."""
    rows = _read_csv_rows(path)
    if not rows:
        return {}
    return {k: np.array([to_float(r.get(k)) for r in rows], dtype=np.float64) for k in rows[0]}


def _read_daily(run_dir: Path) -> dict[str, np.ndarray]:
    parquet = run_dir / "daily.parquet"
    if parquet.is_file():
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(parquet)
            return {k: table.column(k).to_numpy().astype(np.float64) for k in table.column_names}
        except (OSError, ValueError, TypeError):  # unreadable or not numeric: the CSV tells the same
            pass
    return read_csv_columns(run_dir / "daily.csv")


def _read_run(d: Path) -> Run:
    metrics = json.loads((d / METRICS_FILE).read_text(encoding="utf-8"))
    if not isinstance(metrics, dict):
        raise ValueError(f"{METRICS_FILE} is not a JSON object")
    numbers, texts = flatten_numeric(metrics)
    config = _read_yaml(d / ".hydra" / "config.yaml") or {}
    overrides = [str(o) for o in (_read_yaml(d / ".hydra" / "overrides.yaml") or [])]
    seed = numbers.get("seed", get_dotted(config, "seed"))
    if seed is None:
        seed = next((int(o.split("=", 1)[1]) for o in overrides if override_key(o) == "seed"), 0)
    manifest = read_manifest(d) or {}
    world = numbers.get("world.index")
    return Run(
        path=d,
        overrides=overrides,
        config=config,
        metrics=numbers,
        info=texts,
        seed=int(seed),
        manifest=manifest,
        world=int(world) if world is not None else None,
    )


def _sweep_command(root: Path) -> str | None:
    """``prepersona -m <overrides>`` as Hydra recorded the sweep in ``multirun.yaml``."""
    try:
        task = get_dotted(_read_yaml(root / "multirun.yaml") or {}, "hydra.overrides.task")
    except (OSError, yaml.YAMLError):
        return None
    return "prepersona -m " + " ".join(map(str, task)) if isinstance(task, list) else None


# libyaml's loader when PyYAML was built with it: a composed config reads ~10x faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path):
    if not path.is_file():
        return None
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)


def _read_csv_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def to_float(x) -> float:
    """``float(x)``, or NaN for what is not a number (an empty CSV cell, None)."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def override_key(override: str) -> str:
    """The key of an override string: ``+a.b=1`` -> ``a.b``."""
    return override.split("=", 1)[0].lstrip("+~")


def _is_neutral(key: str) -> bool:
    return any(key.startswith(n) if n.endswith(".") else key == n for n in NEUTRAL_OVERRIDES)


def _varying_keys(settings: list[tuple[str, ...]]) -> set[str]:
    """Override keys whose value is not the same in every setting (missing counts as a value)."""
    values: dict[str, set] = {}
    for s in settings:
        for o in s:
            values.setdefault(override_key(o), set()).add(o)
    keys_of = [{override_key(o) for o in s} for s in settings]
    return {k for k, v in values.items() if len(v) > 1 or any(k not in keys for keys in keys_of)}
