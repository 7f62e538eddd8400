"""Running a sweep in every plausible world: the world dimension and one world's config.

How worlds become jobs.  A sweep whose config declares ``uncertainty.worlds: K`` (K >= 2) gets
one more sweep dimension, ``uncertainty.world=range(K)``, added by the preflight
(:func:`world_sweep`) to the command line Hydra receives: every setting runs in every world,
and with the same ``seed`` values in each (common random numbers), as ordinary jobs of the
configured launcher.  A job's overrides therefore name its world by index only: the world's
values are not overrides but a pure function of the config (priors, K, design, design seed and
index, :func:`sim.uncertainty.design.draw_worlds`), applied when the run starts
(:func:`apply_world`).  Hence the allow-list of Hydra settings is untouched, a job's config hash
(which covers the ``uncertainty`` node) identifies its world, a sweep resumes like any other,
and a single world is rerun with ``uncertainty.world=k``.  The applied values are written into
the run's ``metrics.json`` (``world``) and, by the report, into the sweep's ``worlds.csv``.
"""

from __future__ import annotations

from sim.config.keys import with_values
from sim.uncertainty.design import Worlds, draw_worlds
from sim.uncertainty.priors import resolve_priors

__all__ = ["WORLD_KEY", "apply_world", "world_metrics", "world_sweep", "with_values"]

WORLD_KEY = "uncertainty.world"
"""The override that names a job's world."""


def world_sweep(config, multirun: bool, swept_keys: set[str]) -> list[str]:
    """The override lines a command line gains for its worlds: ``["uncertainty.world=range(K)"]``
    for a sweep with K >= 2 worlds that does not sweep the world itself, else none.

    Raises
    ------
    sim.errors.ConfigError
        Bad priors, K < 2, or worlds declared for a single run without ``uncertainty.world``.
    """
    from sim.errors import ConfigError

    unc = config.uncertainty
    worlds = draw_worlds(config)  # checks the priors before anything runs
    if unc.worlds == 0:
        return []
    for k in range(unc.worlds):  # every world must be a valid config (cross-field rules too)
        _validate_world(config, worlds, k)
    if not multirun:
        if unc.world < 0:
            raise ConfigError(
                "uncertainty.worlds",
                unc.worlds,
                "plausible worlds run as a sweep (add -m), or one world with uncertainty.world=K",
            )
        return []
    if WORLD_KEY in swept_keys:
        return []
    return [f"{WORLD_KEY}=range({unc.worlds})"]


def _validate_world(config, worlds: Worlds, k: int) -> None:
    """World ``k``'s values in their ranges and its config's cross-field rules (the rest of the
    config is the validated one, unchanged)."""
    from sim.config.keys import locate
    from sim.config.validate import check_rules, check_value
    from sim.errors import ConfigError

    try:
        values = worlds.world(k)
        for key, value in values.items():
            check_value(locate(config, key)[0], value, key)
        check_rules(with_values(config, values))
    except ConfigError as exc:
        raise ConfigError(exc.key, exc.value, f"{exc.allowed} (in world {k} of the uncertainty design)") from None


def apply_world(config):
    """``config`` with its world's values set (unchanged when ``uncertainty.world`` is -1).

    Returns ``(config, world)``: the config to simulate and the world's ``{key: value}`` (empty
    without a world).
    """
    k = config.uncertainty.world
    if k < 0 or config.uncertainty.worlds == 0:
        return config, {}
    values = draw_worlds(config).world(k)
    return with_values(config, values), values


def world_metrics(config, values: dict) -> dict:
    """What ``metrics.json`` records of a run's world: its index, every value it set, and the
    prior each was drawn from in words (``"uniform 0.05-0.25"``), so that a run says what was
    uncertain without its config."""
    if not values:
        return {}
    priors = {p.key: p.describe() for p in resolve_priors(config)}
    return {"world": {"index": int(config.uncertainty.world), "values": dict(values), "priors": priors}}
