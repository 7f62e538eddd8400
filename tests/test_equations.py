"""Each customer equation, compiled (sim/core/_model.pxd) and twin (sim.core.twins.model),
against its closed form on hand-derived values, and the two against each other.

The values below use the default customer config (configs/customer/default.yaml); each
comment derives the expected number.  Changing an equation's form is one edit in
``_model.pxd`` plus one in its twin, and the matching line here.
"""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest

from sim.codes import ADS, EMAIL, ONSITE, PUSH
from sim.config.schema import CustomerConfig
from sim.core import load_compiled
from sim.core.params import CustomerParams
from sim.core.twins import model as twin
from sim.customer import customer_params

eq = load_compiled("_equations")
P = customer_params(CustomerConfig())
C = P.compiled()


def both(name: str, *args):
    """(compiled, twin) values of one equation on one customer's values."""
    if name in PARAMETER_FREE:
        return getattr(eq, name)(*args), np.asarray(getattr(twin, name)(*args)).item()
    return getattr(eq, name)(C, *args), np.asarray(getattr(twin, name)(P, *args)).item()


PARAMETER_FREE = {"taste_match"}


def assert_closed_form(name: str, args: tuple, expected, rel: float = 1e-15):
    compiled, twinned = both(name, *args)
    for value in (compiled, twinned):
        if isinstance(expected, bool):
            assert value is expected or value == expected, (name, args, value)
        else:
            assert value == pytest.approx(expected, rel=rel, abs=1e-300), (name, args, value, expected)


# --------------------------------------------------------------------------- the parameter struct


def test_the_struct_and_the_dataclass_list_the_same_fields():
    assert list(C.as_dict()) == [f.name for f in fields(CustomerParams)]


def test_packing_refuses_a_missing_or_unknown_field():
    values = P.as_dict()
    with pytest.raises(ValueError, match="unknown fields \\['trust_gian'\\]"):
        eq.Params({**values, "trust_gian": 0.1})
    del values["trust_gain"]
    with pytest.raises(ValueError, match="trust_gain"):
        eq.Params(values)


def test_packing_keeps_every_value():
    packed = C.as_dict()
    for f in fields(CustomerParams):
        want = getattr(P, f.name)
        assert packed[f.name] == (list(want) if isinstance(want, tuple) else want), f.name


def test_the_config_becomes_the_equations_units():
    # Half-lives become daily factors; per-channel options become tuples by channel code.
    assert P.trust_relax == pytest.approx(1 - 0.5 ** (1 / 120))
    assert P.fatigue_decay[EMAIL] == pytest.approx(0.5 ** (1 / 5))
    assert P.click_bias[ONSITE] == -4.6 and P.click_bias[ADS] == -5.0
    assert P.open_base_rate == (0.0, 0.2, 0.6, 0.25)
    assert P.optout_base_hazard[ONSITE] == 0.0 and P.optout_fatigue_k[PUSH] == 0.6
    assert P.intrusiveness == (0.0, 0.05, 0.15, 0.6, 0.8)


# --------------------------------------------------------------------------- closed forms


def test_visit_probability():
    # 0.1 * (1 + 0.5 * (0.7 - 0.5)) = 0.11
    assert_closed_form("visit_probability", (0.1, 0.7), 0.11)
    assert_closed_form("visit_probability", (0.1, 0.5), 0.1)


def test_open_probability_and_its_factors():
    # email: 0.2 * (1.0 / 0.5) ** 1.0 = 0.4; with fatigue 2: 0.4 * exp(-0.15 * 2)
    assert_closed_form("open_trust_factor", (EMAIL, 1.0), 0.4)
    assert_closed_form("open_trust_factor", (EMAIL, 0.0), 0.0)
    assert_closed_form("open_fatigue_exponent", (EMAIL, 2.0), 0.3)
    assert_closed_form("open_probability", (EMAIL, 1.0, 2.0), 0.4 * math.exp(-0.3))
    # ads: 0.25 * (0.25 / 0.5) ** 0.5 = 0.25 * sqrt(0.5)
    assert_closed_form("open_probability", (ADS, 0.25, 0.0), 0.25 * math.sqrt(0.5), rel=1e-14)
    assert_closed_form("open_probability", (PUSH, -0.1, 0.0), 0.0)


def test_an_ad_reminds_most_right_after_a_visit():
    # 0.04 right after the visit, half of it two days later, a quarter after four
    assert_closed_form("reminder_probability", (0.0,), 0.04)
    assert_closed_form("reminder_probability", (2.0,), 0.02)
    assert_closed_form("reminder_probability", (4.0,), 0.01)


def test_perceived_relevance_with_persofail_and_replenishment():
    assert_closed_form("taste_match", (16129,), 1.0)  # 127 * 127 / 127**2
    assert_closed_form("taste_match", (-4838,), -4838 / 16129)
    # a durable bought 10 days ago (window 60) is a persofail; 60 days ago it is not
    assert_closed_form("is_persofail", (True, 10.0), True)
    assert_closed_form("is_persofail", (True, 60.0), False)
    assert_closed_form("is_persofail", (False, 10.0), False)
    assert_closed_form("is_persofail", (True, twin.NEVER_BOUGHT_AGE), False)
    # a consumable with a 30-day cycle bought 30 days ago (ratio 1.0 in [0.8, 1.3]) is due
    assert_closed_form("is_replenishment_due", (False, 30.0, 30.0), True)
    assert_closed_form("is_replenishment_due", (False, 20.0, 30.0), False)  # ratio 0.67
    assert_closed_form("is_replenishment_due", (False, 39.0, 30.0), True)  # ratio 1.3
    assert_closed_form("is_replenishment_due", (True, 30.0, 30.0), False)
    assert_closed_form("is_replenishment_due", (False, twin.NEVER_BOUGHT_AGE, 30.0), False)
    # relevance: the persofail value -0.3, a due match 0.3 + 0.25, else the match
    assert_closed_form("perceived_relevance", (0.3, True, False), -0.3)
    assert_closed_form("perceived_relevance", (0.3, False, True), 0.55)
    assert_closed_form("perceived_relevance", (0.3, False, False), 0.3)


def test_personal_look():
    # best sellers and editorial picks look far less personal than a pick "for you"
    assert_closed_form("personal_look", (0,), 0.2)
    assert_closed_form("personal_look", (3,), 1.0)


def test_creepiness():
    # off-site data (0.8) on an item of sensitivity 0.5: 0.8 * (0.2 + 0.5) = 0.56
    assert_closed_form("slot_intrusion", (4, 0.5), 0.56)
    assert_closed_form("covert_multiplier", (True,), 2.0)
    assert_closed_form("covert_multiplier", (False,), 1.0)
    # explained and with control: (1 - 0.4) * (1 - 0.5) = 0.3
    assert_closed_form("transparency_relief", (True, True), 0.3)
    assert_closed_form("transparency_relief", (False, False), 1.0)
    # email (0.8), privacy 0.5, covert: 1.0 * 0.56 * 0.8 * 0.5 * 2 * 1 = 0.448
    assert_closed_form("creep_probability", (EMAIL, 0.56, 0.5, 2.0, 1.0), 0.448)
    assert_closed_form("creep_probability", (PUSH, 0.8, 1.0, 2.0, 1.0), 1.0)  # 1.92, capped


def test_engagement():
    # email: -3.51 + 2.5 * 0.5 + 1.2 * (0.5 - 0.5) - 0.2 * 1 - 1.5 * 1 = -3.96
    assert_closed_form("click_logit", (EMAIL, 0.5, 0.5, 1.0, True, 1.0, False, False), -3.96)
    # onsite, not creepy, trust 1: -4.6 + 2.5 * 0.2 + 1.2 * 0.5 = -3.5
    assert_closed_form("click_logit", (ONSITE, 0.2, 1.0, 0.0, False, 1.0, False, False), -3.5)
    # with control over its data: + 0.7 on a personal slate, + 0.7 * 0.2 on best sellers;
    # explained: + 0.2
    assert_closed_form("click_logit", (EMAIL, 0.5, 0.5, 1.0, True, 1.0, True, False), -3.26)
    assert_closed_form("click_logit", (EMAIL, 0.5, 0.5, 1.0, True, 0.2, True, False), -3.96 + 0.7 * 0.2)
    assert_closed_form("click_logit", (EMAIL, 0.5, 0.5, 1.0, True, 1.0, True, True), -3.06)
    # a clicked slot: -5 + 2 * 0.5 + 0.8 * 0.25 - 0.6 * 1 * ln 2
    assert_closed_form("purchase_logit", (False, 0.5, 0.75, 1.0, math.log(2)), -3.8 - 0.6 * math.log(2))
    # the item found browsing: organic bias -3.8 instead of -5
    assert_closed_form("purchase_logit", (True, 0.5, 0.5, 1.0, 0.0), -2.8)


def test_trust_update():
    # arguments: trust, rel, persofail, creepy, privacy, persofail slot's look, touch's look, control
    # relevant (0.6 >= 0.5): 0.5 + 0.015 * (1 - 0.5) = 0.5075
    assert_closed_form("trust_after_touch", (0.5, 0.6, False, False, 0.8, 0.0, 1.0, False), 0.5075)
    # irrelevant (0 < 0.05) and personal: 0.5 - 0.035 * 0.5 = 0.4825; a slate of best sellers
    # (look 0.2) is blamed less: 0.5 - 0.035 * 0.2 * 0.5 = 0.4965; with control (relief 0.7):
    # 0.5 - 0.035 * 0.7 * 0.5 = 0.48775
    assert_closed_form("trust_after_touch", (0.5, 0.0, False, False, 0.8, 0.0, 1.0, False), 0.4825)
    assert_closed_form("trust_after_touch", (0.5, 0.0, False, False, 0.8, 0.0, 0.2, False), 0.4965)
    assert_closed_form("trust_after_touch", (0.5, 0.0, False, False, 0.8, 0.0, 1.0, True), 0.48775)
    # in between: unchanged
    assert_closed_form("trust_after_touch", (0.5, 0.3, False, False, 0.8, 0.0, 1.0, False), 0.5)
    # creepy, privacy 0.8: 0.5 - 0.1 * 0.8 * 0.5 = 0.46, whatever the relevance
    assert_closed_form("trust_after_touch", (0.5, 0.9, False, True, 0.8, 0.0, 1.0, False), 0.46)
    # persofail in a personal slot: 0.5 - 0.08 * 0.5 = 0.46; in a best-seller slot (0.2):
    # 0.5 - 0.08 * 0.2 * 0.5 = 0.492; creepy too: 0.46 - 0.08 * 0.46 = 0.4232
    assert_closed_form("trust_after_touch", (0.5, 0.9, True, False, 0.8, 1.0, 1.0, False), 0.46)
    assert_closed_form("trust_after_touch", (0.5, 0.9, True, False, 0.8, 0.2, 1.0, False), 0.492)
    assert_closed_form("trust_after_touch", (0.5, 0.9, True, True, 0.8, 1.0, 1.0, False), 0.4232)
    assert_closed_form("trust_after_touch", (1.0, 0.9, False, False, 0.8, 0.0, 1.0, False), 1.0)
    # the running relevance: 0.9 * 0.2 + 0.1 * 0.7 = 0.25
    assert_closed_form("relevance_memory_after_touch", (0.2, 0.7), 0.25)
    # a day: 0.3 + (1 - 0.5 ** (1 / 120)) * (0.6 - 0.3)
    assert_closed_form("trust_after_day", (0.3, 0.6), 0.3 + (1 - 0.5 ** (1 / 120)) * 0.3)


def test_fatigue():
    # an email costs 1.0 times the customer's sensitivity 1.5: 2 + 1.5
    assert_closed_form("fatigue_after_contact", (EMAIL, 2.0, 1.5), 3.5)
    assert_closed_form("fatigue_after_contact", (ONSITE, 2.0, 1.5), 2.0)  # visits cost nothing
    # a day with a 5-day half-life: 4 * 0.5 ** (1 / 5)
    assert_closed_form("fatigue_after_day", (EMAIL, 4.0), 4.0 * 0.5 ** (1 / 5))


def test_opt_out_and_churn_hazards():
    # a relevant email (0.6 >= 0.5): 0.0072 * exp(0.25 * 2 + 3 * (0.5 - 0.5)); times 4 if creepy
    assert_closed_form("optout_hazard", (EMAIL, 2.0, 0.5, False, 0.6), 0.0072 * math.exp(0.5))
    assert_closed_form("optout_hazard", (EMAIL, 2.0, 0.5, True, 0.6), 0.0072 * math.exp(0.5) * 4)
    # an irrelevant one (0.1): the gap 0.5 - 0.1 adds 2 * 0.4 to the exponent
    assert_closed_form("optout_hazard", (EMAIL, 2.0, 0.5, False, 0.1), 0.0072 * math.exp(1.3), rel=1e-14)
    # push: 0.004 * exp(0.6 * 1 + 3 * (0.5 - 0.3))
    assert_closed_form("optout_hazard", (PUSH, 1.0, 0.3, False, 0.7), 0.004 * math.exp(1.2), rel=1e-14)
    assert_closed_form("optout_hazard", (ONSITE, 5.0, 0.0, True, 0.0), 0.0)
    # at the midpoint (0.2) the hazard is half its maximum: 0.02 * 0.5
    assert_closed_form("churn_hazard", (0.2,), 0.01)
    assert_closed_form("churn_hazard", (0.6,), 0.02 / (1 + math.exp(15 * 0.4)))


def test_feeling_valued():
    # thresholds: running relevance 0.55, trust 0.7
    assert_closed_form("feels_valued", (True, 0.6, 0.75), True)
    assert_closed_form("feels_valued", (True, 0.54, 0.75), False)
    assert_closed_form("feels_valued", (True, 0.6, 0.69), False)
    assert_closed_form("feels_valued", (False, 0.6, 0.75), False)
    # compared at float32 precision: rel_mean float32(0.55) meets the threshold 0.55
    assert_closed_form("feels_valued", (True, float(np.float32(0.55)), 0.75), True)


def test_every_equation_has_a_closed_form_test_and_a_twin():
    tested = {name for name in eq.EQUATIONS if f'assert_closed_form("{name}"' in open(__file__).read()}
    assert tested == set(eq.EQUATIONS)
    assert [n for n in twin.__all__ if n in eq.EQUATIONS] == list(eq.EQUATIONS)  # same order


# --------------------------------------------------------------------------- compiled = twin


def _grid(rng, n=400):
    return dict(
        channel=rng.integers(0, 4, n),
        trust=np.concatenate([rng.random(n - 4), [0.0, 1.0, -0.2, 1e-9]]),
        fatigue=rng.exponential(2.0, n),
        rate=rng.random(n) * 0.5,
        rel=rng.uniform(-0.5, 1.3, n),
        flag=rng.random(n) < 0.5,
        flag2=rng.random(n) < 0.5,
        age=np.where(rng.random(n) < 0.2, twin.NEVER_BOUGHT_AGE, rng.uniform(0, 200, n)),
        cycle=rng.uniform(5, 400, n),
        basis=rng.integers(0, 5, n),
        unit=rng.random(n),
        dot=rng.integers(-16129, 16130, n),
        logp=rng.normal(0, 0.5, n),
    )


CASES = {
    "visit_probability": lambda g, i: (g["rate"][i], g["trust"][i]),
    "open_trust_factor": lambda g, i: (g["channel"][i], g["trust"][i]),
    "open_fatigue_exponent": lambda g, i: (g["channel"][i], g["fatigue"][i]),
    "open_probability": lambda g, i: (g["channel"][i], g["trust"][i], g["fatigue"][i]),
    "reminder_probability": lambda g, i: (g["fatigue"][i],),
    "taste_match": lambda g, i: (g["dot"][i],),
    "is_persofail": lambda g, i: (g["flag"][i], g["age"][i]),
    "is_replenishment_due": lambda g, i: (g["flag"][i], g["age"][i], g["cycle"][i]),
    "perceived_relevance": lambda g, i: (g["rel"][i], g["flag"][i], g["flag2"][i]),
    "personal_look": lambda g, i: (g["basis"][i],),
    "slot_intrusion": lambda g, i: (g["basis"][i], g["unit"][i]),
    "covert_multiplier": lambda g, i: (g["flag"][i],),
    "transparency_relief": lambda g, i: (g["flag"][i], g["flag2"][i]),
    "creep_probability": lambda g, i: (g["channel"][i], g["unit"][i], g["trust"][i], 2.0, 0.7),
    "click_logit": lambda g, i: (
        g["channel"][i],
        g["rel"][i],
        g["trust"][i],
        g["fatigue"][i],
        g["flag"][i],
        g["unit"][i],
        g["flag2"][i],
        g["flag"][i],
    ),  # fmt: skip
    "purchase_logit": lambda g, i: (g["flag"][i], g["rel"][i], g["trust"][i], g["unit"][i], g["logp"][i]),
    "trust_after_touch": lambda g, i: (
        g["trust"][i],
        g["rel"][i],
        g["flag"][i],
        g["flag2"][i],
        g["unit"][i],
        g["unit"][-i],
        g["unit"][i // 2],
        g["flag2"][-i],
    ),  # fmt: skip
    "relevance_memory_after_touch": lambda g, i: (g["unit"][i], g["rel"][i]),
    "trust_after_day": lambda g, i: (g["trust"][i], g["unit"][i]),
    "fatigue_after_contact": lambda g, i: (g["channel"][i], g["fatigue"][i], g["unit"][i]),
    "fatigue_after_day": lambda g, i: (g["channel"][i], g["fatigue"][i]),
    "optout_hazard": lambda g, i: (g["channel"][i], g["fatigue"][i], g["trust"][i], g["flag"][i], g["rel"][i]),
    "churn_hazard": lambda g, i: (g["trust"][i],),
    "feels_valued": lambda g, i: (
        g["flag"][i],
        float(np.float32(g["rel"][i])),
        float(np.float32(g["trust"][i])),
    ),
}
USES_LIBM = {"open_trust_factor", "open_probability", "reminder_probability", "optout_hazard", "churn_hazard"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_equation_equals_its_twin(name):
    # The same arithmetic in the same order: equal to the last bit, except where libm's
    # exp() / log() and NumPy's may differ (within a few units in the last place).
    g = _grid(np.random.default_rng(len(name)))
    for i in range(len(g["trust"])):
        args = tuple(a.item() if hasattr(a, "item") else a for a in CASES[name](g, i))
        compiled, twinned = both(name, *args)
        if name in USES_LIBM:
            assert compiled == pytest.approx(twinned, rel=4e-16, abs=0), (name, args)
        else:
            assert compiled == twinned, (name, args)


def test_every_equation_is_compared_with_its_twin():
    assert set(CASES) == set(eq.EQUATIONS)
