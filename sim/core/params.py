"""The customer model's parameters for one run, packed once for the compiled core.

:class:`CustomerParams` holds every number the model equations (``sim/core/_model.pxd``)
read, already in the units the equations use (a daily fraction rather than a half-life, a
value per channel code rather than a named field).  The customer model builds it once per
run from its config (:func:`sim.customer.customer_params`); the NumPy twins read its
attributes, and the compiled kernels a C struct of the same fields, made once by
:meth:`CustomerParams.compiled` (the struct is declared in ``_model.pxd`` under the same
names; a test checks that both list the same fields).

Per-channel tuples are indexed by channel code (``sim.codes``: onsite 0, email 1, push 2,
ads 3); per-basis tuples by data-basis code (none 0, stated 1, onsite 2, inferred 3,
offsite 4).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

__all__ = ["CustomerParams", "STAGES", "RESPONSE_STAGES", "DAY_STAGES", "stage_mask"]

RESPONSE_STAGES: tuple[str, ...] = ("perceive", "creep", "engage", "trust", "fatigue", "optout")
"""The response stages of a wave, in pipeline order; bit ``i`` of a stage mask is stage ``i``."""

DAY_STAGES: tuple[str, ...] = ("recovery", "churn")
"""The day stages, in order; bit ``i`` of a day-stage mask is stage ``i``."""

STAGES: dict[str, int] = {
    **{name: 1 << i for i, name in enumerate(RESPONSE_STAGES)},
    **{name: 1 << i for i, name in enumerate(DAY_STAGES)},
}
"""The bit of each stage in its phase's mask (``respond``'s or ``recover_and_churn``'s)."""


def stage_mask(names) -> int:
    """The mask of the named stages (all of one phase)."""
    mask = 0
    for name in names:
        mask |= STAGES[name]
    return mask


def _per_channel(onsite=0.0, email=0.0, push=0.0, ads=0.0) -> tuple[float, float, float, float]:
    return (float(onsite), float(email), float(push), float(ads))


@dataclass(frozen=True)
class CustomerParams:
    """Every parameter of the customer equations, in the equations' units.

    The docstring of each equation in ``sim/core/_model.pxd`` (and its twin in
    :mod:`sim.core.twins.model`) names the fields it reads.
    """

    # visits ----------------------------------------------------------------------------
    visit_trust_slope: float = 0.5
    """visit_probability: rate * (1 + slope * (trust - 0.5))."""
    browse_items: int = 8
    """Items a visitor looks through on its own (it views the best match)."""
    # exposure (per channel; onsite visitors always see the page) -------------------------
    open_base_rate: tuple[float, ...] = field(default_factory=_per_channel)
    open_trust_elasticity: tuple[float, ...] = field(default_factory=_per_channel)
    open_fatigue_k: tuple[float, ...] = field(default_factory=_per_channel)
    ad_reminder: float = 0.04
    """Probability a noticed ad right after a visit brings the customer back."""
    ad_reminder_half_life: float = 2.0
    """Days since the last visit after which the reminder has halved."""
    # perceived relevance ---------------------------------------------------------------------
    persofail_window: float = 60.0
    persofail_relevance: float = -0.3
    replenish_lo: float = 0.8
    replenish_hi: float = 1.3
    replenish_boost: float = 0.25
    # creepiness -------------------------------------------------------------------------------
    intrusiveness: tuple[float, ...] = (0.0, 0.05, 0.15, 0.6, 0.8)
    obtrusiveness: tuple[float, ...] = field(default_factory=_per_channel)
    sensitivity_floor: float = 0.2
    creep_scale: float = 1.0
    covert_factor: float = 2.0
    explanation_relief: float = 0.4
    control_relief: float = 0.5
    personal_look: tuple[float, ...] = (0.2, 1.0, 1.0, 1.0, 1.0)
    """How personal a slot looks, by data basis (blame and the levers' click effects scale with it)."""
    # engagement --------------------------------------------------------------------------------
    click_bias: tuple[float, ...] = field(default_factory=_per_channel)
    click_relevance: float = 2.5
    click_trust: float = 1.2
    click_fatigue: float = 0.2
    click_creepy: float = 1.5
    buy_bias: float = -5.0
    organic_bias: float = -3.8
    buy_relevance: float = 2.0
    buy_trust: float = 0.8
    price_elasticity: float = 0.6
    click_control: float = 0.7
    click_explained: float = 0.2
    # trust -----------------------------------------------------------------------------------------
    trust_gain: float = 0.015
    loss_irrelevant: float = 0.035
    loss_persofail: float = 0.08
    loss_creepy: float = 0.1
    relevant_above: float = 0.5
    irrelevant_below: float = 0.05
    relevance_memory: float = 0.1
    control_loss_relief: float = 0.3
    trust_relax: float = 0.0
    """Share of the gap between trust and its baseline closed per day without contact."""
    # fatigue ----------------------------------------------------------------------------------------
    fatigue_cost: tuple[float, ...] = field(default_factory=_per_channel)
    fatigue_decay: tuple[float, ...] = field(default_factory=lambda: _per_channel(1.0, 1.0, 1.0, 1.0))
    """Multiplier of each channel's fatigue per day."""
    # opt-out (per channel; nobody opts out of onsite) ---------------------------------------------
    optout_base_hazard: tuple[float, ...] = field(default_factory=_per_channel)
    optout_fatigue_k: tuple[float, ...] = field(default_factory=_per_channel)
    optout_trust_k: float = 3.0
    optout_creepy_multiplier: float = 4.0
    optout_irrelevance_k: float = 2.0
    # churn ------------------------------------------------------------------------------------------------
    churn_hazard_max: float = 0.02
    churn_trust_mid: float = 0.2
    churn_slope: float = 15.0
    # feeling valued ---------------------------------------------------------------------------------------
    valued_relevance_above: float = 0.55
    valued_trust_above: float = 0.7

    def as_dict(self) -> dict:
        """Field name -> value (tuples as lists), the form the compiled struct is made from."""
        return {f.name: (list(v) if isinstance(v, tuple) else v) for f, v in zip(self._fields(), self._values())}

    @classmethod
    def _fields(cls):
        return dataclasses.fields(cls)

    def _values(self):
        return [getattr(self, f.name) for f in self._fields()]

    def compiled(self):
        """The compiled core's form of these parameters (``sim.core._equations.Params``), made
        once per object and kept."""
        packed = self.__dict__.get("_compiled")
        if packed is None:
            from sim.core import load_compiled

            packed = load_compiled("_equations").Params(self.as_dict())
            object.__setattr__(self, "_compiled", packed)
        return packed
