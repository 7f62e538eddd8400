"""The search sweeper (``hydra/sweeper=search``): an Optuna study over a strategy's levers.

Each trial is one point of the search space (:mod:`sim.sweep.search_space`) run on every seed
of ``hydra.sweeper.seeds``: one ordinary job per seed, launched through the configured
launcher, each into its own run directory (``<sweep dir>/<trial * seeds + k>/``, a normal run
with ``metrics.json`` and ``.hydra``).  The trial's outcome on a metric is the mean of its
runs' ``metrics.json`` over the seeds; the same seeds for every trial (common random numbers)
make the differences between trials those of the levers, not of the draws.

The study lives in the sweep directory (``study.journal``, Optuna's journal storage).  Running
the same command again loads it: finished trials are kept, a trial left running by an
interruption is evaluated again with its own parameters and directories (its complete runs
are skipped by :mod:`sim.sweep.resume`), and new trials are asked until ``n_trials`` have
finished.  The sweep manifest's list of jobs grows with every batch, so the report and the
end-of-sweep count treat the trials' runs like those of any sweep.

At the end :mod:`sim.sweep.search_results` writes the trials, the Pareto front, the best trial
per objective, the levers' importance and the front's strategies.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.results import METRICS_FILE
from sim.safety import outputs
from sim.sweep.search_settings import SearchSettings, settings_from
from sim.sweep.search_space import distributions, override_line, parse_space

__all__ = ["STUDY_FILE", "STUDY_NAME", "Search", "open_study", "make_sampler", "trial_dirs"]

log = logging.getLogger("prepersona")

STUDY_FILE = "study.journal"
STUDY_NAME = "search"


def make_sampler(settings: SearchSettings):
    """The seeded sampler of ``settings`` (it reads each trial's constraints from the trial:
    :meth:`optuna.trial.Trial.set_constraint`)."""
    import optuna

    name = settings.sampler_name
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(population_size=settings.generation, seed=settings.sampler_seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=settings.sampler_seed)
    return optuna.samplers.RandomSampler(seed=settings.sampler_seed)


def open_study(sweep_dir: Path, settings: SearchSettings, sampler=None):
    """The study of ``sweep_dir`` (created on first use)."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(Path(sweep_dir) / STUDY_FILE)))
    return optuna.create_study(
        study_name=STUDY_NAME,
        storage=storage,
        sampler=sampler or make_sampler(settings),
        directions=settings.directions,
        load_if_exists=True,
    )


def trial_dirs(number: int, n_seeds: int) -> list[str]:
    """The run directories (relative to the sweep) of trial ``number``, one per seed."""
    return [str(number * n_seeds + k) for k in range(n_seeds)]


class Search:
    """One invocation of a search sweep: asks trials in batches, runs them, tells their outcomes.

    Parameters
    ----------
    node : the sweeper's config node (``hydra.sweeper``)
    config : the sweep's composed config (with its ``hydra`` node)
    launcher : the Hydra launcher that runs the jobs
    arguments : the command line's overrides (they take precedence over ``params``)
    """

    def __init__(self, node: DictConfig | dict, config: DictConfig, launcher, arguments: list[str]):
        plain = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else dict(node)
        self.settings = settings_from(plain)
        params = plain.get("params") or {}
        self.dims, self.fixed = parse_space([f"{k}={v}" for k, v in params.items()] + list(arguments))
        self.config, self.launcher = config, launcher
        self.sweep_dir = Path(str(config.hydra.sweep.dir))
        n_jobs = OmegaConf.select(config, "hydra.launcher.n_jobs", default=1)
        n_jobs = n_jobs if isinstance(n_jobs, int) and n_jobs > 0 else 1
        seeds = len(self.settings.seeds)
        # Whole rounds of the launcher's jobs: 2 at once and 3 seeds make batches of 2 trials (6 runs).
        self.at_once = self.settings.trials_at_once or math.lcm(n_jobs, seeds) // seeds
        self.trials_run, self.launch_seconds, self.own_seconds = 0, 0.0, 0.0

    def run(self):
        """Run the study until ``n_trials`` trials have finished; returns it."""
        from optuna.trial import Trial, TrialState

        start = time.perf_counter()
        self.sweep_dir.mkdir(parents=True, exist_ok=True)
        study = open_study(self.sweep_dir, self.settings)
        dists = distributions(self.dims)
        trials = study.get_trials(deepcopy=False)
        # A trial left running by an interrupted invocation is evaluated again as it was asked.
        pending = [Trial(study, t._trial_id) for t in trials if t.state == TrialState.RUNNING]
        finished = sum(t.state in (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED) for t in trials)
        to_ask = self.settings.n_trials - finished - len(pending)
        if pending:
            log.info("search: %d trials finished; %d interrupted ones run again", finished, len(pending))
        while pending or to_ask > 0:
            batch, pending = pending[: self.at_once], pending[self.at_once :]
            while len(batch) < self.at_once and to_ask > 0:
                batch.append(study.ask(fixed_distributions=dists))
                to_ask -= 1
            self._evaluate(study, batch)
            self.trials_run += len(batch)
        self.own_seconds = time.perf_counter() - start - self.launch_seconds
        return study

    def timing(self) -> str:
        """The search's own time per trial (sampling, storage, bookkeeping) against its runs'."""
        if not self.trials_run:
            return "search: no trial ran in this invocation"
        own, runs = self.own_seconds / self.trials_run, self.launch_seconds / self.trials_run
        share = f" ({100 * own / runs:.2f}% of it)" if runs > 0 else ""
        return f"search: per trial, the runs took {runs:.1f} s and the search itself {1000 * own:.0f} ms{share}"

    # -- one batch

    def job_overrides(self, params: dict[str, Any], seed: int) -> list[str]:
        """The overrides of one run of a trial: the fixed ones, the trial's values, the seed."""
        values = [override_line(self.dims[k], params[k]) for k in self.dims]
        return [*self.fixed, *values, f"seed={seed}"]

    def _evaluate(self, study, batch: list) -> None:
        seeds = self.settings.seeds
        n = len(seeds)
        for start, group in _consecutive(batch):
            overrides = [self.job_overrides(t.params, s) for t in group for s in seeds]
            began = time.perf_counter()
            self.launcher.launch(overrides, initial_job_idx=start * n)
            self.launch_seconds += time.perf_counter() - began
        self._record_jobs(batch)
        for trial in batch:
            runs = [self._metrics(d) for d in trial_dirs(trial.number, n)]
            trial.set_user_attr("seeds", list(seeds))
            trial.set_user_attr("dirs", trial_dirs(trial.number, n))
            if any(m is None for m in runs):
                study.tell(trial, state=_state("FAIL"))
                log.warning("search: trial %d failed (a run wrote no metrics.json)", trial.number)
                continue
            means = {m: sum(float(r[m]) for r in runs) / n for m in self.metrics_used()}
            trial.set_user_attr("means", means)
            violations = [c.violation(means[c.metric]) for c in self.settings.constraints]
            trial.set_user_attr("constraints", violations)
            for c, v in zip(self.settings.constraints, violations):
                if math.isfinite(v):
                    trial.set_constraint(str(c), v)
            values = [means[m] for m in self.settings.objectives]
            if not all(math.isfinite(v) for v in values):
                study.tell(trial, state=_state("FAIL"))
                continue
            study.tell(trial, values)

    def metrics_used(self) -> list[str]:
        """The objectives, then the constrained metrics that are not objectives."""
        used = list(self.settings.objectives)
        used += [c.metric for c in self.settings.constraints if c.metric not in used]
        return used

    def _metrics(self, run_dir: str) -> dict | None:
        try:
            return json.loads((self.sweep_dir / run_dir / METRICS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _record_jobs(self, batch: list) -> None:
        """Add the batch's runs to the sweep manifest, so that the report and the end-of-sweep
        count know them as the sweep's own (with the config hash each run recorded)."""
        manifest = outputs.read_manifest(self.sweep_dir)
        if manifest is None:
            return
        jobs = {j["dir"]: j for j in manifest.get("jobs", [])}
        for trial in batch:
            for d in trial_dirs(trial.number, len(self.settings.seeds)):
                run = outputs.read_manifest(self.sweep_dir / d) or {}
                if run.get("config_hash"):
                    jobs[d] = {"dir": d, "overrides": run.get("overrides", []), "config_hash": run["config_hash"]}
        outputs.update_manifest(self.sweep_dir, jobs=sorted(jobs.values(), key=lambda j: int(j["dir"])))


def _consecutive(batch: list) -> list[tuple[int, list]]:
    """The batch split into runs of consecutive trial numbers: each is one launch whose job
    numbers (and so directories) follow from its first trial's number."""
    groups: list[tuple[int, list]] = []
    for t in sorted(batch, key=lambda t: t.number):
        if groups and groups[-1][1][-1].number == t.number - 1:
            groups[-1][1].append(t)
        else:
            groups.append((t.number, [t]))
    return groups


def _state(name: str):
    from optuna.trial import TrialState

    return getattr(TrialState, name)
