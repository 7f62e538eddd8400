"""The ``prepersona`` command: a Hydra app, guarded by a preflight check.

``main()`` first checks everything the command line would do (:func:`sim.config.preflight.
check_command`): every job's config, the Hydra settings it may set, the output directory and
the memory it needs.  A problem stops here with one line on stderr and exit status 2, before
any simulation and before any output directory exists.  Then it writes the directory's
manifest (:mod:`sim.safety.outputs`) and Hydra runs :func:`run_job` once (or once per sweep
job with ``-m`` or an experiment), writing exactly into the directory the preflight checked.

A job whose directory already holds a complete run of the same config and code is skipped,
so a sweep run again into its directory finishes what is missing and recomputes what is stale
(:mod:`sim.sweep.resume`).  A job that fails writes ``failure.txt`` into its directory; the
other jobs of a sweep go on, and the sweep ends with a summary line and exit status 1.
Ctrl-C and SIGTERM end with one line that gives the command that finishes the work.
"""

from __future__ import annotations

import logging
import secrets
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.config.experiments import register_experiments
from sim.config.preflight import PreflightError, check_command, register_resolvers, to_config
from sim.config.schema import register_schemas
from sim.engine import terminal_progress
from sim.results import remove_results, write_results
from sim.safety import outputs
from sim.safety.failures import Terminated, describe, interrupts, record_failure, resume_command
from sim.safety.fingerprint import module_fingerprints, package_fingerprint
from sim.safety.imports import secure_import_path, use_search_path, user_modules
from sim.scenario import Scenario
from sim.summary import format_summary
from sim.sweep import callback, compose
from sim.sweep.resume import COMPLETE, CONFIG_HASH, config_hash, discard_results, run_status
from sim.sweep.search_config import register as register_search
from sim.uncertainty.worlds import apply_world, world_metrics

__all__ = ["main", "run_job", "run_config"]

log = logging.getLogger("prepersona")

register_resolvers()
register_schemas()
register_experiments()
register_search()
compose.install()  # a sweep's jobs composed once per combination of config groups


def run_config(cfg, out_dir: Path, *, progress: bool | None = None) -> dict:
    """Simulate one validated :class:`sim.config.schema.Config` and write its results to ``out_dir``."""
    start = time.perf_counter()
    # A run of a plausible world simulates its world's values; its hash stays the config's own
    # (which names the world), so it resumes like any run.
    world_cfg, world = apply_world(cfg)
    scenario = Scenario(world_cfg)
    show = (
        progress
        if progress is not None
        else (cfg.output.progress == "on" or (cfg.output.progress == "auto" and sys.stderr.isatty()))
    )
    result = scenario.run(terminal_progress() if show else None)
    result.metrics["wall_seconds"] = time.perf_counter() - start
    result.metrics[CONFIG_HASH] = config_hash(cfg)
    result.metrics.update(world_metrics(cfg, world))
    write_results(out_dir, result, parquet=cfg.output.parquet)
    return result.metrics


@hydra.main(version_base="1.3", config_path="pkg://sim.configs", config_name="config")
def run_job(cfg: DictConfig) -> float:
    """One Hydra job: build, simulate, write.  Returns the revenue (for sweepers that optimize).

    A failure is recorded in the job's directory (``failure.txt``, its manifest) and logged in
    one line; a single run then exits with status 1, a sweep's job returns NaN so that the
    other jobs go on.
    """
    interrupts.allow()  # from here on Ctrl-C stops the run (a pending one now)
    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    sweep = hc.mode == RunMode.MULTIRUN
    use_search_path(hc.searchpath)
    try:
        return _run_job(cfg, hc, out_dir, sweep)
    except Exception as exc:
        line = describe(exc, out_dir)
        if (outputs.read_manifest(out_dir) or {}).get("status") == "running":
            remove_results(out_dir)  # this attempt's half-written files (and room on a full disk)
        record_failure(out_dir, line, exc)
        try:
            outputs.update_manifest(out_dir, status="failed", error=line)
        except OSError:
            pass  # a full disk: failure.txt and the log say it where they can
        log.error("%s: failed: %s", out_dir, line)
        if not sweep:
            print(f"prepersona: error: {line}", file=sys.stderr, flush=True)
            raise SystemExit(1) from None
        return float("nan")
    finally:
        interrupts.defer()  # Hydra composes the next job of a sweep in this process (basic launcher)


def _run_job(cfg: DictConfig, hc, out_dir: Path, sweep: bool) -> float:
    config = to_config(cfg)  # validated by the preflight, and again by Scenario
    digest = config_hash(config)
    package = package_fingerprint()
    sweep_manifest = outputs.read_manifest(hc.sweep.dir) if sweep else None
    # The invocation that launched this job: the sweep's (its summary counts this job's outcome).
    invocation = (sweep_manifest or outputs.read_manifest(out_dir) or {}).get("invocation")
    metrics, why = run_status(out_dir, digest, package)
    if metrics is not None:
        log.info("%s: skipped, %s already holds the results of this config and code", config.strategy.name, out_dir)
        outputs.update_manifest(out_dir, outcome="skipped", invocation=invocation)
    else:
        if why:
            log.info("%s: %s is simulated again: %s", config.strategy.name, out_dir, why)
        discard_results(out_dir)  # a stale metrics.json must not look complete meanwhile
        outputs.write_manifest(
            out_dir,
            {
                **_run_manifest(hc, config, digest, package),
                "sweep": (sweep_manifest or {}).get("id"),
                "outcome": f"recomputed: {why}" if why else "simulated",
                "invocation": invocation,
            },
        )
        # Parallel jobs would overwrite each other's one-line display: a sweep shows runs done instead.
        metrics = run_config(config, out_dir, progress=False if sweep else None)
        outputs.update_manifest(
            out_dir,
            status=COMPLETE,
            code={"package": package, "user_modules": module_fingerprints(user_modules())},
        )
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


def _run_manifest(hc, config, digest: str, package: str) -> dict:
    """What a run's manifest says while it runs: the command that made it, its config and code."""
    overrides = list(hc.overrides.task)
    config_name = hc.job.config_name or "config"
    return {
        "prepersona": package.split("+")[0],
        "kind": outputs.RUN,
        "id": outputs.identity(outputs.RUN, config_name, [(None, overrides)]),
        "command": outputs.command_line(overrides),
        "config_name": config_name,
        "overrides": overrides,
        CONFIG_HASH: digest,
        "setting_hash": config_hash(_without_seed(config)),
        "code": {"package": package},
        "status": "running",
    }


def _without_seed(config):
    """The config with seed 0, the compiled kernels and no world: the runs of one setting (in the
    report's sense: other seeds, either implementation, every plausible world) share its hash."""
    import dataclasses

    return dataclasses.replace(
        config, seed=0, impl="compiled", uncertainty=dataclasses.replace(config.uncertainty, world=-1)
    )


def _parse_command_line(argv: list[str]):
    from hydra._internal.utils import get_args_parser

    return get_args_parser().parse_args(argv)


def _begin(plan) -> None:
    """Write the manifest of the run or sweep directory before Hydra writes anything there."""
    package = package_fingerprint()
    common = {
        "prepersona": package.split("+")[0],
        "id": plan.ident,
        "command": plan.command,
        "config_name": plan.config_name,
        "invocation": secrets.token_hex(4),
    }
    if plan.multirun and plan.search:
        # A search's runs are listed as its trials run (sim.sweep.search); a resumed one keeps them.
        existing = outputs.read_manifest(plan.out_dir) or {}
        jobs = existing.get("jobs", []) if existing.get("id") == plan.ident else []
        data = {**common, "kind": outputs.SWEEP, "code": {"package": package}, "jobs": jobs, "search": True}
        outputs.write_manifest(plan.out_dir, data)
        return
    if plan.multirun:
        jobs = [
            {"dir": d, "overrides": j.task_overrides, CONFIG_HASH: j.config_hash}
            for d, j in zip(plan.subdirs, plan.jobs)
        ]
        data = {**common, "kind": outputs.SWEEP, "code": {"package": package}, "jobs": jobs}
        outputs.write_manifest(plan.out_dir, data)
        return
    existing = outputs.read_manifest(plan.out_dir)
    if existing is not None and existing.get("id") == plan.ident:
        return  # the same run again: its manifest says whether it is complete (run_job decides)
    job = plan.jobs[0]
    data = {
        **common,
        "kind": outputs.RUN,
        "overrides": job.task_overrides,
        "sweep": None,
        CONFIG_HASH: job.config_hash,
        "code": {"package": package},
        "status": "started",
    }
    outputs.write_manifest(plan.out_dir, data)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``prepersona`` and ``python -m sim``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Only what the user asked for is importable: not the working directory (sim.safety.imports).
    secure_import_path()
    # Ctrl-C and SIGTERM stop cleanly, with one line (sim.safety.failures.interrupts).
    interrupts.install()
    plan = None
    try:
        plan = _prepare(argv)
        sys.argv = [sys.argv[0]] + argv + (plan.pinned if plan else [])
        callback.reset()
        # A log handler that cannot write (a full disk) must not print a traceback: the failure
        # itself is reported in one line.
        logging.raiseExceptions = False
        run_job()
        interrupts.checkpoint()
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        if plan is None:
            print(f"{_fresh_line()}prepersona: {what} before anything ran", file=sys.stderr, flush=True)
        else:
            again = resume_command(argv, plan.dir_key, plan.out_dir)
            print(f"{_fresh_line()}prepersona: {what}; to finish it, run: {again}", file=sys.stderr, flush=True)
        sys.exit(143 if isinstance(exc, Terminated) else 130)
    if callback.failed_runs():
        sys.exit(1)


def _fresh_line() -> str:
    """After the terminal's "^C", the message starts on a line of its own."""
    return "\n" if sys.stderr.isatty() else ""


def _prepare(argv: list[str]):
    """Check the command line and write the manifest; exits with status 2 on bad input.
    Returns the checked :class:`sim.config.preflight.Plan` (None for --help, --cfg, ...)."""
    args = _parse_command_line(argv)
    if getattr(args, "experimental_rerun", None) is not None:
        print(
            "prepersona: error: --experimental-rerun is not allowed: it loads a pickled config, which can run "
            "any code; run the command again instead",
            file=sys.stderr,
        )
        sys.exit(2)
    if args.help:
        from sim.command_help import help_text

        print(help_text(args.overrides), end="")
        sys.exit(0)
    if args.hydra_help or args.cfg or args.info or args.shell_completion:
        return None
    try:
        plan = check_command(args.overrides, multirun=args.multirun, config_name=args.config_name or "config")
    except PreflightError as exc:
        print(f"prepersona: error: {exc}", file=sys.stderr)
        sys.exit(2)
    for note in plan.notes:
        print(f"prepersona: note: {note}", file=sys.stderr, flush=True)
    # The sweeper need not compose these jobs again before launching them (sim.sweep.compose).
    compose.checked_by_preflight(job.task_overrides for job in plan.jobs)
    interrupts.checkpoint()
    try:
        _begin(plan)
    except OSError as exc:
        print(f"prepersona: error: {describe(exc)}", file=sys.stderr)
        sys.exit(1)
    return plan
