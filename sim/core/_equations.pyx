# The customer equations' parameters, packed, and each equation callable from Python.
#
# Design note.  Params (declared in _equations.pxd) holds a run's CustomerParams
# (sim/core/params.py) as the C struct of _model.pxd, made once per run; every kernel that
# computes the model takes one and hands the equations a pointer to its struct.  The def
# functions below call each inline equation of _model.pxd on one customer's values: the tests
# check them against closed forms and against the NumPy twins (sim/core/twins/model.py), and
# a reader can try an equation at the prompt.  Kernels never call these wrappers.

from sim.core._model cimport (
    visit_probability as c_visit_probability,
    open_trust_factor as c_open_trust_factor,
    open_fatigue_exponent as c_open_fatigue_exponent,
    open_probability as c_open_probability,
    reminder_probability as c_reminder_probability,
    taste_match as c_taste_match,
    is_persofail as c_is_persofail,
    is_replenishment_due as c_is_replenishment_due,
    perceived_relevance as c_perceived_relevance,
    personal_look as c_personal_look,
    slot_intrusion as c_slot_intrusion,
    covert_multiplier as c_covert_multiplier,
    transparency_relief as c_transparency_relief,
    creep_probability as c_creep_probability,
    click_logit as c_click_logit,
    purchase_logit as c_purchase_logit,
    trust_after_touch as c_trust_after_touch,
    relevance_memory_after_touch as c_relevance_memory_after_touch,
    trust_after_day as c_trust_after_day,
    fatigue_after_contact as c_fatigue_after_contact,
    fatigue_after_day as c_fatigue_after_day,
    optout_hazard as c_optout_hazard,
    log_linear,
    churn_hazard as c_churn_hazard,
    scaled_logistic,
    feels_valued as c_feels_valued,
)


cdef class Params:
    """A run's customer parameters as the compiled core reads them.

    Parameters
    ----------
    values : dict
        Every field of sim.core.params.CustomerParams by name (per-channel and per-basis
        fields as sequences of 4 and 5 numbers).  A missing field, a field the struct does not
        have, or a sequence of the wrong length raises ValueError.
    """

    def __init__(self, dict values):
        self.c = values          # Cython's conversion checks that every struct field is given
        unknown = set(values) - set(self.c)
        if unknown:
            raise ValueError(f"Params: unknown fields {sorted(unknown)}; allowed: {sorted(self.c)}")

    def as_dict(self):
        """Field name -> value, as packed (per-channel fields as lists)."""
        return self.c


# --------------------------------------------------------------------------- the equations, one call each

def visit_probability(Params params, double visit_rate, double trust):
    return c_visit_probability(&params.c, visit_rate, trust)


def open_trust_factor(Params params, int channel, double trust):
    return c_open_trust_factor(&params.c, channel, trust)


def open_fatigue_exponent(Params params, int channel, double fatigue):
    return c_open_fatigue_exponent(&params.c, channel, fatigue)


def open_probability(Params params, int channel, double trust, double fatigue):
    return c_open_probability(&params.c, channel, trust, fatigue)


def reminder_probability(Params params, double days_since_visit):
    return c_reminder_probability(&params.c, days_since_visit)


def taste_match(int dot):
    return c_taste_match(dot)


def is_persofail(Params params, bint durable, double bought_age):
    return bool(c_is_persofail(&params.c, durable, bought_age))


def is_replenishment_due(Params params, bint durable, double bought_age, double cycle_days):
    return bool(c_is_replenishment_due(&params.c, durable, bought_age, cycle_days))


def perceived_relevance(Params params, double match, bint persofail, bint due):
    return c_perceived_relevance(&params.c, match, persofail, due)


def personal_look(Params params, int basis):
    return c_personal_look(&params.c, basis)


def slot_intrusion(Params params, int basis, double item_sensitivity):
    return c_slot_intrusion(&params.c, basis, item_sensitivity)


def covert_multiplier(Params params, bint covert):
    return c_covert_multiplier(&params.c, covert)


def transparency_relief(Params params, bint explained, bint control):
    return c_transparency_relief(&params.c, explained, control)


def creep_probability(Params params, int channel, double intrusion, double privacy, double covert, double relief):
    return c_creep_probability(&params.c, channel, intrusion, privacy, covert, relief)


def click_logit(Params params, int channel, double rel, double trust, double fatigue, bint creepy, double look,
                bint control, bint explained):
    return c_click_logit(&params.c, channel, rel, trust, fatigue, creepy, look, control, explained)


def purchase_logit(Params params, bint organic, double rel, double trust, double price_sensitivity,
                   double log_price_ratio):
    return c_purchase_logit(&params.c, organic, rel, trust, price_sensitivity, log_price_ratio)


def trust_after_touch(Params params, double trust, double rel, bint persofail, bint creepy, double privacy,
                      double fail_look, double look, bint control):
    return c_trust_after_touch(&params.c, trust, rel, persofail, creepy, privacy, fail_look, look, control)


def relevance_memory_after_touch(Params params, double rel_mean, double rel):
    return c_relevance_memory_after_touch(&params.c, rel_mean, rel)


def trust_after_day(Params params, double trust, double trust_base):
    return c_trust_after_day(&params.c, trust, trust_base)


def fatigue_after_contact(Params params, int channel, double fatigue, double sensitivity):
    return c_fatigue_after_contact(&params.c, channel, fatigue, sensitivity)


def fatigue_after_day(Params params, int channel, double fatigue):
    return c_fatigue_after_day(&params.c, channel, fatigue)


def optout_hazard(Params params, int channel, double fatigue, double trust, bint creepy, double rel):
    """The hazard's value (base * exp(exponent) * factor)."""
    return log_linear(c_optout_hazard(&params.c, channel, fatigue, trust, creepy, rel))


def churn_hazard(Params params, double trust):
    """The hazard's value (scale * sigmoid(z))."""
    return scaled_logistic(c_churn_hazard(&params.c, trust))


def feels_valued(Params params, bint active, float rel_mean, float trust):
    return bool(c_feels_valued(&params.c, active, rel_mean, trust))


EQUATIONS = (
    "visit_probability", "open_trust_factor", "open_fatigue_exponent", "open_probability", "reminder_probability",
    "taste_match",
    "is_persofail", "is_replenishment_due", "perceived_relevance", "personal_look", "slot_intrusion",
    "covert_multiplier",
    "transparency_relief", "creep_probability", "click_logit", "purchase_logit", "trust_after_touch",
    "relevance_memory_after_touch", "trust_after_day", "fatigue_after_contact", "fatigue_after_day",
    "optout_hazard", "churn_hazard", "feels_valued",
)
"""Every equation of the customer model, in the order of _model.pxd (and of the twins)."""
