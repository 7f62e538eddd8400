"""The vocabulary of a validation fact: what is run, what is measured, what it must fall in.

A :class:`Fact` pairs a published finding with a prediction about the model:

* the **settings** it runs (:class:`Setting`: config overrides and a horizon; every setting runs
  on the same seeds, so two settings of one seed share the population and the customers'
  random numbers);
* the **figure** it measures from the runs' ``metrics.json`` (:class:`Level` of one setting,
  :class:`Ratio` or :class:`Lift` of two, or a :class:`Formula` of several), computed seed by
  seed;
* the **threshold** (:class:`Threshold`), the published figure's range written as constants in
  ``sim/validation/facts.py`` before anything runs.

Nothing here runs a simulation; :mod:`sim.validation.runner` does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["Setting", "Threshold", "Measure", "Level", "Ratio", "Lift", "Formula", "Figure", "Fact", "UNITS"]

Metrics = Mapping[str, object]
"""One run's ``metrics.json`` as a dictionary."""
Runs = Mapping[str, Metrics]
"""The runs of one seed, by setting name."""

UNITS = ("share", "ratio", "lift")
"""How a figure reads: a share (shown in %), a ratio (shown as 1.23x) or a lift (a ratio minus 1,
shown as +12.3%)."""


@dataclass(frozen=True)
class Setting:
    """One configuration the suite runs on every seed.

    ``overrides`` are ``prepersona`` command-line overrides (``strategy=none``,
    ``campaign.scheduled.newsletter.cadence=1d``); the runner adds the population size, the
    seed and what every validation run shares (:data:`sim.validation.settings.COMMON`).
    Settings with the same overrides and horizon are run once and shared between facts.
    """

    name: str
    overrides: tuple[str, ...]
    horizon_days: int = 365
    about: str = ""

    @property
    def key(self) -> tuple[tuple[str, ...], int]:
        """What makes two settings the same runs."""
        return (tuple(self.overrides), self.horizon_days)


@dataclass(frozen=True)
class Threshold:
    """The range the measured figure must lie in: ``[low, high]``, or ``(low, high)`` when
    ``strict`` (for a direction, "> 1", where a figure of exactly 1 means no effect at all).
    Either end may be open (``-inf`` / ``inf``).  Always constants: never computed from a run."""

    low: float = -math.inf
    high: float = math.inf
    strict: bool = False

    def __post_init__(self):
        for end in (self.low, self.high):
            if isinstance(end, bool) or not isinstance(end, int | float):
                raise TypeError(f"a threshold's ends are numbers, got {end!r}")
        if math.isnan(self.low) or math.isnan(self.high) or self.low >= self.high:
            raise ValueError(f"a threshold needs low < high, got [{self.low}, {self.high}]")

    def contains(self, x: float) -> bool:
        """True when ``x`` lies in the range (NaN never does)."""
        if self.strict:
            return bool(self.low < x < self.high)
        return bool(self.low <= x <= self.high)


@dataclass(frozen=True)
class Measure:
    """A number read off one run's metrics, with a label for the tables."""

    label: str
    read: Callable[[Metrics], float]

    def __call__(self, metrics: Metrics) -> float:
        return float(self.read(metrics))


def _divide(a: float, b: float) -> float:
    return a / b if b else math.nan


@dataclass(frozen=True)
class Level:
    """``measure`` of one setting."""

    setting: Setting
    measure: Measure

    @property
    def settings(self) -> tuple[Setting, ...]:
        return (self.setting,)

    def __call__(self, runs: Runs) -> float:
        return self.measure(runs[self.setting.name])

    def describe(self) -> str:
        return f"{self.measure.label} under `{self.setting.name}`"


@dataclass(frozen=True)
class Ratio:
    """``measure`` of ``setting`` divided by ``measure`` of ``baseline`` (same seed)."""

    setting: Setting
    baseline: Setting
    measure: Measure

    @property
    def settings(self) -> tuple[Setting, ...]:
        return (self.setting, self.baseline)

    def __call__(self, runs: Runs) -> float:
        return _divide(self.measure(runs[self.setting.name]), self.measure(runs[self.baseline.name]))

    def describe(self) -> str:
        return f"{self.measure.label}: `{self.setting.name}` / `{self.baseline.name}`"


@dataclass(frozen=True)
class Lift(Ratio):
    """The ratio of :class:`Ratio` minus 1: the relative change from ``baseline`` to ``setting``."""

    def __call__(self, runs: Runs) -> float:
        return super().__call__(runs) - 1.0

    def describe(self) -> str:
        return f"{self.measure.label}: `{self.setting.name}` / `{self.baseline.name}` - 1"


@dataclass(frozen=True)
class Formula:
    """Any function of the runs of one seed, for figures that combine more than two settings.

    ``compute`` receives the runs by setting name; ``text`` says what it computes.
    """

    settings: tuple[Setting, ...]
    compute: Callable[[Runs], float]
    text: str

    def __call__(self, runs: Runs) -> float:
        return float(self.compute(runs))

    def describe(self) -> str:
        return self.text


Figure = Level | Ratio | Lift | Formula


@dataclass(frozen=True)
class Fact:
    """A published stylized fact and the model's prediction of it.

    Attributes
    ----------
    id : short name, used by ``--only``.
    area : email, push, personalization, ads, privacy or trust.
    finding : the published finding, in one sentence.
    citation : author(s), year, venue.
    prediction : what the model must show, in words.
    figure : how the measured figure is computed from each seed's runs.
    threshold : the range the figure must lie in (the published range, see ``basis``).
    basis : where the threshold's numbers come from, and any tolerance added to them.
    unit : how the figure reads (:data:`UNITS`).
    digits : decimals shown (of the percentage for shares and lifts).
    note : what the prediction does not capture, or how the model's terms differ from the study's.
    """

    id: str
    area: str
    finding: str
    citation: str
    prediction: str
    figure: Figure
    threshold: Threshold
    basis: str
    unit: str = "share"
    digits: int = 1
    note: str = ""

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"fact {self.id}: unit {self.unit!r} is not one of {', '.join(UNITS)}")

    @property
    def settings(self) -> tuple[Setting, ...]:
        return self.figure.settings
