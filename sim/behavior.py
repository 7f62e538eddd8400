"""The behavior API: how a researcher adds or replaces a customer stage.

A behavior is one Python class and one YAML file.  The class subclasses :class:`Behavior`,
declares the per-customer state it owns in ``fields`` and implements ``on_wave`` (vectorized
over a wave's touches), ``on_day`` (once per simulated day, over everyone), or both, with
NumPy.  The YAML file in ``configs/behavior/`` names the class and its parameters::

    # @package behaviors.word_of_mouth
    _target_: sim.behaviors.word_of_mouth.WordOfMouth
    after: trust          # run right after this built-in stage
    links: 3
    loss: 0.03

and ``prepersona behavior=word_of_mouth`` enables it.  ``replaces: <stage>`` swaps a
built-in stage for the behavior instead.  The built-in stages stay compiled either way: a
behavior runs between them, on the same arrays.

Built-in stage names, in pipeline order:

* wave stages: ``exposure`` (browse / open), then after the strategy filled the slates
  ``perceive``, ``creep``, ``engage``, ``trust``, ``fatigue``, ``optout``;
* day stages: ``recovery``, ``churn``.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np

from sim.core.twins.random import customer_base, draw_uniform
from sim.errors import ConfigError
from sim.population import FieldSpec

__all__ = ["Behavior", "WAVE_STAGES", "DAY_STAGES", "build_behaviors", "wave_uniforms", "day_uniforms"]

WAVE_STAGES = ("exposure", "perceive", "creep", "engage", "trust", "fatigue", "optout")
DAY_STAGES = ("recovery", "churn")


class Behavior:
    """Base class of a customer behavior (a stage of the customer pipeline).

    Subclasses may override:

    ``fields`` (class attribute)
        :class:`~sim.population.FieldSpec` s of the per-customer state the behavior owns;
        the population allocates them (filled with ``fill``) before the run.
    ``setup(pop, rng)``
        Called once after the population is drawn; ``rng`` is the behavior's own
        :class:`numpy.random.Generator`.  Initialize owned fields here.
    ``on_wave(ctx)``
        Called in every wave, at the behavior's place in the pipeline.  ``ctx`` is a
        :class:`sim.customer.WaveContext`: ``ctx.batch`` holds the wave's per-touch arrays
        (``cust``, ``exposed``, ``rel``, ``persofail``, ``creepy``, ``clicked``, ``bought``, ...;
        see :class:`sim.touch.TouchBatch`), ``ctx.pop`` the population.  It may update
        population fields and the batch's per-touch arrays in place.
    ``on_day(ctx)``
        Called at the start of every day with a :class:`sim.customer.DayContext`.
    ``metrics(pop)``
        Called once when the run ends; returns the behavior's own scalar outcomes as a dict of
        name -> number (``{"contacts_told": 812.0}``). They land in ``metrics.json`` as
        ``behaviors.<behavior name>.<name>``, and from there in the report and its tables.

    Randomness must come from :func:`wave_uniforms` / :func:`day_uniforms` (keyed by
    customer, hence reproducible and independent of other customers) or from the generator
    given to ``setup``; never from a global generator.

    Parameters
    ----------
    after : str
        The built-in stage this behavior runs after (default ``"trust"``); ``"start"`` runs
        it before every wave stage.  Ignored when ``replaces`` is set.
    replaces : str or None
        A built-in stage this behavior replaces.
    """

    fields: ClassVar[tuple[FieldSpec, ...]] = ()
    name: str = ""

    def __init__(self, after: str = "trust", replaces: str | None = None):
        stages = ("start",) + WAVE_STAGES + DAY_STAGES
        if after not in stages:
            raise ValueError(f"after={after!r}; allowed: {', '.join(stages)}")
        if replaces is not None and replaces not in WAVE_STAGES + DAY_STAGES:
            raise ValueError(f"replaces={replaces!r}; allowed: {', '.join(WAVE_STAGES + DAY_STAGES)}")
        self.after = after
        self.replaces = replaces

    def setup(self, pop, rng: np.random.Generator) -> None:
        """Initialize owned fields (optional)."""

    def on_wave(self, ctx) -> None:
        """React to a wave (optional)."""

    def on_day(self, ctx) -> None:
        """React to the start of a day (optional)."""

    def metrics(self, pop) -> dict[str, float]:
        """Scalar outcomes of the finished run (optional): name -> finite number. Must not change state."""
        return {}

    @property
    def stream(self) -> str:
        """Name of this behavior's random stream."""
        return f"behavior.{self.name or type(self).__name__}"


def wave_uniforms(ctx, behavior: Behavior, draw: int = 0) -> np.ndarray:
    """float64 (k,): one uniform per touch of the wave, keyed by (behavior, wave, customer, draw)."""
    key = ctx.streams.wave_key(behavior.stream, ctx.tick)
    return draw_uniform(customer_base(key, ctx.batch.cust), draw)


def day_uniforms(ctx, behavior: Behavior, customers: np.ndarray, draw: int = 0) -> np.ndarray:
    """float64 (len(customers),): uniforms for a day hook, keyed by (behavior, day, customer, draw)."""
    key = ctx.streams.wave_key(behavior.stream, ctx.day)
    return draw_uniform(customer_base(key, customers), draw)


def build_behaviors(specs: dict[str, dict[str, Any]]) -> list[Behavior]:
    """Instantiate the configured behaviors (``behaviors.<name>`` nodes), in config order.

    Raises
    ------
    ConfigError
        When a target cannot be imported, is not a :class:`Behavior`, does not accept the
        given parameters, or rejects their values.
    """
    built = []
    replaced: dict[str, str] = {}
    for name, spec in specs.items():
        key = f"behaviors.{name}"
        spec = dict(spec)
        target = spec.pop("_target_", None)
        if not isinstance(target, str):
            raise ConfigError(f"{key}._target_", target, "the import path of a Behavior class")
        cls = _import(key, target)
        params = inspect.signature(cls.__init__).parameters
        accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        allowed = [p for p in params if p not in ("self", "args", "kwargs")]
        for p in spec:
            if not accepts_any and p not in allowed:
                raise ConfigError(f"{key}.{p}", spec[p], f"not a parameter of {target}; allowed: {', '.join(allowed)}")
        try:
            obj = cls(**spec)
        except (TypeError, ValueError) as exc:
            raise ConfigError(key, spec, f"{target} rejected its parameters: {exc}") from None
        obj.name = name
        if obj.replaces is not None:
            if obj.replaces in replaced:
                raise ConfigError(
                    f"{key}.replaces",
                    obj.replaces,
                    f"a stage not already replaced (by behaviors.{replaced[obj.replaces]})",
                )
            replaced[obj.replaces] = name
        built.append(obj)
    return built


def _import(key: str, target: str) -> type:
    # The module is found and its source checked before anything of it runs
    # (sim.safety.imports): a config can name only a behavior module.
    from sim.safety.imports import load_class

    cls = load_class(f"{key}._target_", target)
    if not (inspect.isclass(cls) and issubclass(cls, Behavior)):
        raise ConfigError(f"{key}._target_", target, "a subclass of sim.behavior.Behavior")
    return cls
