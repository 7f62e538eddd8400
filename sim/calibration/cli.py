"""``prepersona-calibrate TARGETS.yaml --name NAME --out DIR``: fit the model to a firm's figures.

Everything is checked before the first simulation (the targets file, the plan composed with
the default parameters and with each fitted parameter at either end of its bounds, the output
files); a problem is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.calibration.fit import SAMPLERS, check, fit, more_free_than_targets, run_config, run_overrides
from sim.calibration.output import check_outputs, write_outputs
from sim.calibration.spec import CalibrationError, load_spec
from sim.safety.failures import interrupts, one_line_on_interrupt
from sim.words import counted

__all__ = ["main"]

PROG = "prepersona-calibrate"


def _positive(text: str) -> int:
    try:
        value = int(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed: a whole number >= 1") from None
    if value < 1 or value != float(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed: a whole number >= 1")
    return value


def _directory(text: str) -> Path:
    if not text.strip():  # Path("") is the working directory: written into without being named
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed: a directory's path (an empty one is not)")
    return Path(text)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Fit the model to a firm's own figures: the options population/NAME.yaml and "
        "customer/NAME.yaml, and the fit report NAME-fit.html and .json, written into --out.",
        epilog="example: prepersona-calibrate sim/calibration/fictional_retailer.yaml --name hearth --out calibrated; "
        "then: prepersona hydra.searchpath=[file://$PWD/calibrated] population=hearth customer=hearth",
    )
    p.add_argument("targets", type=Path, help="the targets file (plan, targets, free)")
    p.add_argument("--name", required=True, help="name of the population and customer options written")
    p.add_argument(
        "--out", type=_directory, required=True, help="directory for population/NAME.yaml, customer/NAME.yaml"
    )
    p.add_argument("--size", type=_positive, default=10_000, help="customers per fitting run (default 10000)")
    p.add_argument("--seeds", type=_positive, default=2, help="seeds per trial, the same for all (default 2)")
    p.add_argument("--trials", type=_positive, default=100, help="trials of the search (default 100)")
    p.add_argument("--check-size", type=_positive, default=50_000, help="customers per check run (default 50000)")
    p.add_argument("--check-seeds", type=_positive, default=3, help="fresh seeds of the check (default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the search's sampler (default 0)")
    p.add_argument("--sampler", choices=SAMPLERS, default="cmaes", help="the search: cmaes (default) or tpe")
    return p


def main(argv: list[str] | None = None) -> int:
    """Ctrl-C and SIGTERM stop the calibration with one line; nothing is written before the
    end, and the four files are written with signals held off, so none is left half done."""
    with one_line_on_interrupt(PROG, "nothing was written (run the command again to start over)"):
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    parser = _parser()
    parser.error = lambda message: _fail(message)  # type: ignore[method-assign]
    a = parser.parse_args(argv)
    try:
        spec = load_spec(a.targets)
        check_outputs(a.out, a.name)
        _check_plan(spec, a)
    except CalibrationError as exc:
        return _fail(str(exc))
    start = time.perf_counter()
    n_free = len(spec.free)
    print(f"{PROG}: fitting {counted(n_free, 'parameter')} to {counted(len(spec.targets), 'target')}: "
          f"{counted(a.trials, 'trial')} x {counted(a.seeds, 'seed')} of {a.size:,} customers", flush=True)  # fmt: skip
    for w in more_free_than_targets(spec):  # known before the search: said before it, and in the report
        print(f"{PROG}: warning: {w}", flush=True)

    def progress(number: int, loss: float, best: float) -> None:
        print(f"  trial {number + 1}/{a.trials}: loss {loss:.4g} (best {best:.4g})", flush=True)

    try:
        result = fit(spec, size=a.size, seeds=a.seeds, trials=a.trials, seed=a.seed, sampler=a.sampler,
                     progress=progress)  # fmt: skip
    except CalibrationError as exc:
        return _fail(str(exc))
    print(f"{PROG}: checking on {a.check_seeds} fresh seeds of {a.check_size:,} customers", flush=True)
    check(spec, result, size=a.check_size, seeds=a.check_seeds)
    config = run_config(spec, result.params, None, 0)
    settings = {
        "size": a.size,
        "fit_seeds": a.seeds,
        "check_size": a.check_size,
        "check_seeds": a.check_seeds,
        "sampler": a.sampler,
        "sampler_seed": a.seed,
        "out": str(a.out.resolve()),
        "seconds": round(time.perf_counter() - start, 1),
    }
    interrupts.defer()  # from here the files are written whole, and the command ends as it would
    paths = write_outputs(a.out, a.name, spec, result, config, settings)
    for c in result.checked:
        print(f"  {c.key}: {c.mean:.4g} [{c.low:.4g}, {c.high:.4g}] against {c.target.value:.4g} ± {c.target.sd:.4g} "
              f"(z = {c.z:+.2f})")  # fmt: skip
    for w in result.warnings:
        print(f"{PROG}: warning: {w}")
    print(f"{PROG}: fit report {paths['html']}")
    print(f"{PROG}: use it with: prepersona hydra.searchpath=[file://{a.out.resolve()}] population={a.name} "
          f"customer={a.name}")  # fmt: skip
    return 0


def _check_plan(spec, a) -> None:
    """Compose the plan with the defaults of the free parameters, and make sure the written
    options will not collide with the plan's own choices."""
    from sim.config.preflight import PreflightError, compose_config, sweep_plan

    for o in spec.plan:
        if o.split("=", 1)[0] in ("customer", "population.size", "seed"):
            raise CalibrationError(
                f"plan: {o} is not allowed: the calibration chooses the customer model, size and seeds itself"
            )
        if o.split("=", 1)[0].startswith("uncertainty."):
            raise CalibrationError(
                f"plan: {o} is not allowed: the fit runs the model as it is, one world; plausible worlds come after "
                "it, with the options it writes"
            )
    try:
        config = compose_config(run_overrides(spec, {}, a.size, 0))
        jobs = sweep_plan(spec.plan)
    except PreflightError as exc:
        raise CalibrationError(f"plan: {exc}") from None
    if len(jobs) > 1:  # an experiment's sweep (or its plausible worlds) would be dropped without a word
        raise CalibrationError(
            f"plan: {' '.join(spec.plan)} is not allowed: it is a sweep of {len(jobs)} runs; a plan is the one "
            "config the firm runs today (its strategy, campaign and horizon)"
        )
    # Each fitted parameter at either end of its bounds, the others at their defaults: a rule
    # that ties parameters together (a population's segment shares sum to 1) is found here,
    # not in the middle of the search.
    from sim.config.keys import with_values
    from sim.config.validate import check_rules
    from sim.errors import ConfigError

    for key, bounds in spec.free.items():
        for end in (bounds.low, bounds.high):
            try:
                check_rules(with_values(config, {key: end}))
            except ConfigError as exc:
                raise CalibrationError(
                    f"free.{key}=[{bounds.low:g}, {bounds.high:g}] is not allowed: a run with {key}={end:g} "
                    f"breaks a rule of the config ({exc})"
                ) from None


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


if __name__ == "__main__":
    sys.exit(main())
