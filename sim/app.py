"""The ``prepersona`` command: a Hydra app, guarded by a preflight check.

``main()`` first composes and validates every job the command line would launch
(:mod:`sim.config.preflight`); a bad key, option, type or value stops here with one line on
stderr and exit status 2, before any simulation and before any output directory exists.
Then Hydra runs :func:`run_job` once (or once per sweep job with ``-m`` or an experiment).
A sweep job whose directory already holds the results of the same config is skipped, so a
sweep run again into its directory finishes what is missing (:mod:`sim.sweep.resume`).
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.config.experiments import register_experiments
from sim.config.preflight import PreflightError, preflight, to_config
from sim.config.schema import register_schemas
from sim.engine import terminal_progress
from sim.results import write_results
from sim.scenario import Scenario
from sim.summary import format_summary
from sim.sweep.parallel import parallel_jobs
from sim.sweep.resume import CONFIG_HASH, completed, config_hash, discard_results

__all__ = ["main", "run_job", "run_config"]

log = logging.getLogger("prepersona")

# A short random token makes every run directory unique, even for two runs started in the
# same microsecond.  It is not a simulation random number: results depend only on the seed.
OmegaConf.register_new_resolver("run_id", lambda: secrets.token_hex(3), use_cache=True, replace=True)
OmegaConf.register_new_resolver("parallel_jobs", parallel_jobs, replace=True)
register_schemas()
register_experiments()


def run_config(cfg, out_dir: Path, *, progress: bool | None = None) -> dict:
    """Simulate one validated :class:`sim.config.schema.Config` and write its results to ``out_dir``."""
    start = time.perf_counter()
    scenario = Scenario(cfg)
    show = (
        progress
        if progress is not None
        else (cfg.output.progress == "on" or (cfg.output.progress == "auto" and sys.stderr.isatty()))
    )
    result = scenario.run(terminal_progress() if show else None)
    result.metrics["wall_seconds"] = time.perf_counter() - start
    result.metrics[CONFIG_HASH] = config_hash(cfg)
    write_results(out_dir, result, parquet=cfg.output.parquet)
    return result.metrics


@hydra.main(version_base="1.3", config_path="pkg://sim.configs", config_name="config")
def run_job(cfg: DictConfig) -> float:
    """One Hydra job: build, simulate, write.  Returns the revenue (for sweepers that optimize)."""
    config = to_config(cfg)  # validated by the preflight, and again by Scenario
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    sweep = HydraConfig.get().mode == RunMode.MULTIRUN
    metrics = completed(out_dir, config_hash(config))
    if metrics is not None:
        log.info("%s: skipped, %s already holds the results of this config", config.strategy.name, out_dir)
    else:
        if discard_results(out_dir):
            log.info("%s: %s holds the results of another config; simulating this one", config.strategy.name, out_dir)
        # Parallel jobs would overwrite each other's one-line display: a sweep shows runs done instead.
        metrics = run_config(config, out_dir, progress=False if sweep else None)
        log.info(
            "%s: revenue %.0f, trust %.3f -> %.3f, churned %.1f%%, %.1f M interactions/s",
            config.strategy.name,
            metrics["revenue"],
            metrics["trust_mean_start"],
            metrics["trust_mean_end"],
            100 * metrics["churned_share"],
            metrics["interactions_per_second"] / 1e6,
        )
    if not sweep:
        print(format_summary(metrics))
    print(f"results: {out_dir}", flush=True)
    return float(metrics["revenue"])


def _parse_command_line(argv: list[str]):
    from hydra._internal.utils import get_args_parser

    return get_args_parser().parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``prepersona`` and ``python -m sim``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parse_command_line(argv)
    # Like `python -m`, make modules in the working directory importable, so a researcher's
    # behavior class next to where prepersona runs can be named by `_target_`.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    informational = args.help or args.hydra_help or args.cfg or args.info or args.shell_completion
    if not informational:
        try:
            preflight(args.overrides, multirun=args.multirun, config_name=args.config_name or "config")
        except PreflightError as exc:
            print(f"prepersona: error: {exc}", file=sys.stderr)
            sys.exit(2)
    sys.argv = [sys.argv[0]] + argv
    run_job()
