"""Tools for researchers: is a new behavior well-behaved?

``check_behavior(MyBehavior(...))`` runs the behavior in a small scenario and checks that
its declared state is allocated, trust stays in [0, 1], no float state becomes NaN, the same
seed gives the same result, and an empty wave does not break it.  It returns the list of
checks passed, or raises :class:`BehaviorCheckError` naming every check that failed.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np

from sim.behavior import Behavior
from sim.codes import EMAIL, ONSITE
from sim.customer import DayContext, WaveContext
from sim.population import FieldSpec
from sim.touch import TouchBatch

__all__ = ["check_behavior", "BehaviorCheckError"]


class BehaviorCheckError(AssertionError):
    """A behavior failed one or more checks; the message lists them."""


def check_behavior(
    behavior: Behavior, *, customers: int = 600, days: int = 21, seed: int = 0, overrides: tuple[str, ...] = ()
) -> list[str]:
    """Run every check on ``behavior`` (which is not modified; copies are run).

    Parameters
    ----------
    behavior : Behavior
        A configured behavior instance.
    customers, days, seed : the size of the test scenario.
    overrides : extra config overrides for the test scenario (e.g. to provoke creepy touches).

    Returns
    -------
    list of str : the names of the checks passed.

    Raises
    ------
    BehaviorCheckError
        Listing every failed check.
    """
    from sim.config.preflight import compose_config
    from sim.scenario import Scenario

    failures: list[str] = []
    passed: list[str] = []

    def check(name: str, ok: bool, detail: str = "") -> None:
        (passed if ok else failures).append(name if ok else f"{name}: {detail}")

    check(
        "is a Behavior",
        isinstance(behavior, Behavior),
        f"{type(behavior).__name__} does not subclass sim.behavior.Behavior",
    )
    if failures:
        raise BehaviorCheckError("; ".join(failures))
    fields = tuple(behavior.fields)
    check(
        "declares FieldSpecs",
        all(isinstance(f, FieldSpec) for f in fields),
        "every entry of `fields` must be a sim.population.FieldSpec",
    )

    cfg = compose_config(
        [f"population.size={customers}", f"horizon_days={days}", f"seed={seed}", "output.journeys=0", *overrides]
    )

    def run_once():
        b = copy.deepcopy(behavior)
        b.name = b.name or type(b).__name__
        scenario = Scenario(cfg, behaviors=[b])
        allocated = {f.name: scenario.population[f.name] for f in fields if f.name in scenario.population.arrays}
        result = scenario.run()
        return scenario, result, allocated

    try:
        scenario, result, allocated = run_once()
    except Exception as exc:  # report, do not crash the checker
        raise BehaviorCheckError(f"runs in a small scenario: {type(exc).__name__}: {exc}") from exc
    pop = scenario.population
    for f in fields:
        a = allocated.get(f.name)
        shape = (pop.n,) + tuple(pop.n_features if s == "D" else s for s in f.shape)
        check(
            f"field {f.name} allocated",
            a is not None and a.dtype == np.dtype(f.dtype) and a.shape == shape,
            f"expected {f.dtype} {shape}, got {None if a is None else (a.dtype, a.shape)}",
        )
    trust = pop.trust
    check(
        "trust stays in [0, 1]",
        bool(np.all((trust >= 0) & (trust <= 1))),
        f"trust spans [{trust.min()}, {trust.max()}]",
    )
    nan_fields = [n for n, a in pop.arrays.items() if a.dtype.kind == "f" and not np.all(np.isfinite(a))]
    check("no NaN or infinite state", not nan_fields, f"fields {nan_fields}")
    check(
        "metrics are finite",
        all(np.isfinite(v) for v in result.metrics.values() if isinstance(v, float)),
        "a metric is NaN or infinite",
    )

    scenario2, result2, _ = run_once()
    same = all(np.array_equal(pop.arrays[n], scenario2.population.arrays[n]) for n in pop.arrays)
    check(
        "same seed gives the same result", same and result.daily == result2.daily, "two runs with the same seed differ"
    )

    b = copy.deepcopy(behavior)
    b.name = b.name or type(b).__name__
    try:
        empty_scenario = Scenario(replace(cfg), behaviors=[b])
        for channel in (ONSITE, EMAIL):
            batch = TouchBatch(channel, 0, 10, np.zeros(0, dtype=np.int64), 4)
            b.on_wave(
                WaveContext(
                    empty_scenario.population,
                    empty_scenario.catalog,
                    batch,
                    empty_scenario.strategy,
                    empty_scenario.streams,
                    1,
                    "compiled",
                )
            )
        b.on_day(
            DayContext(
                empty_scenario.population,
                0,
                empty_scenario.streams,
                1,
                "compiled",
                np.zeros(empty_scenario.population.n, dtype=np.uint8),
            )
        )
        check("an empty wave works", True)
    except Exception as exc:
        check("an empty wave works", False, f"{type(exc).__name__}: {exc}")

    if failures:
        raise BehaviorCheckError("; ".join(failures))
    return passed
