# The customer model's equations: one inline function each, over one customer's values and
# the run's parameters.
#
# Design note.  Every compiled path of the customer core (the fused response and its
# stage-by-stage calls, the day kernels, every vector path) computes the model through these
# functions and nothing else, so changing an equation is one edit here plus one in its NumPy
# twin (sim/core/twins/model.py, the same names in the same order).  A kernel's exp()-free
# shortcuts decide a coin from bounds on an equation's output (sim/core/_common.pxd); they
# never restate an equation.  Each function's docstring is the equation as the README states
# it; arithmetic is in double precision, in the order written (the build keeps a*b+c as two
# roundings), so the twins agree to the last bit.
#
# Parameters come from CustomerParams (sim/core/params.py, the same field names), packed
# once per run; per-channel fields are indexed by channel code (onsite 0, email 1, push 2,
# ads 3), intrusiveness by data-basis code.

from libc.math cimport exp, exp2, log

from sim.core._common cimport UNIT_SQ, clamp01, sigmoid


cdef struct CustomerParams:
    # visits
    double visit_trust_slope
    int browse_items
    # exposure, per channel
    double open_base_rate[4]
    double open_trust_elasticity[4]
    double open_fatigue_k[4]
    double ad_reminder
    double ad_reminder_half_life
    # perceived relevance
    double persofail_window
    double persofail_relevance
    double replenish_lo
    double replenish_hi
    double replenish_boost
    # creepiness
    double intrusiveness[5]
    double obtrusiveness[4]
    double sensitivity_floor
    double creep_scale
    double covert_factor
    double explanation_relief
    double control_relief
    double personal_look[5]
    # engagement
    double click_bias[4]
    double click_relevance
    double click_trust
    double click_fatigue
    double click_creepy
    double buy_bias
    double organic_bias
    double buy_relevance
    double buy_trust
    double price_elasticity
    double click_control
    double click_explained
    # trust
    double trust_gain
    double loss_irrelevant
    double loss_persofail
    double loss_creepy
    double relevant_above
    double irrelevant_below
    double relevance_memory
    double control_loss_relief
    double trust_relax
    # fatigue, per channel
    double fatigue_cost[4]
    double fatigue_decay[4]
    # opt-out
    double optout_base_hazard[4]
    double optout_fatigue_k[4]
    double optout_trust_k
    double optout_creepy_multiplier
    double optout_irrelevance_k
    # churn
    double churn_hazard_max
    double churn_trust_mid
    double churn_slope
    # feeling valued
    double valued_relevance_above
    double valued_trust_above


# The bits of a response-stage mask (sim.core.params.RESPONSE_STAGES) and a day-stage mask.
cdef enum:
    STAGE_PERCEIVE = 1
    STAGE_CREEP = 2
    STAGE_ENGAGE = 4
    STAGE_TRUST = 8
    STAGE_FATIGUE = 16
    STAGE_OPTOUT = 32
    ALL_RESPONSE_STAGES = 63
    STAGE_RECOVERY = 1
    STAGE_CHURN = 2

# The "age" of a purchase that never happened: a slot whose category the customer never
# bought is given NEVER_BOUGHT_AGE days; any age at or above NEVER_BOUGHT_BELOW means never.
cdef extern from *:
    """
    #define SIM_NEVER_BOUGHT_AGE 1e300
    #define SIM_NEVER_BOUGHT_BELOW 1e299
    """
    const double NEVER_BOUGHT_AGE "SIM_NEVER_BOUGHT_AGE"
    const double NEVER_BOUGHT_BELOW "SIM_NEVER_BOUGHT_BELOW"


cdef struct LogLinear:
    # A rate base * exp(exponent) * factor, kept as its terms so that a coin can be decided
    # from a bound before exp() is called (above_exp_bound).
    double base
    double exponent
    double factor


cdef struct ScaledLogistic:
    # A rate scale * sigmoid(z), scale >= 0 the rate's bound (sigmoid < 1).
    double scale
    double z


# --------------------------------------------------------------------------- visits

cdef inline double visit_probability(const CustomerParams* p, double visit_rate, double trust) noexcept nogil:
    """p_visit = visit_rate * (1 + visit_trust_slope * (trust - 0.5)), per day.

    ``visit_rate`` is the customer's own rate at trust 0.5 (population field visit_rate)."""
    return visit_rate * (1.0 + p.visit_trust_slope * (trust - 0.5))


# --------------------------------------------------------------------------- exposure

cdef inline double open_trust_factor(const CustomerParams* p, int channel, double trust) noexcept nogil:
    """open_base_rate[c] * (trust / 0.5) ** open_trust_elasticity[c]; 0 at trust <= 0.

    Increasing in trust for elasticity >= 0 (expose's shortcut tables it at the edges of
    trust bins and relies on that)."""
    if trust <= 0.0:
        return 0.0
    return p.open_base_rate[channel] * exp(p.open_trust_elasticity[channel] * log(trust / 0.5))


cdef inline double open_fatigue_exponent(const CustomerParams* p, int channel, double fatigue) noexcept nogil:
    """open_fatigue_k[c] * fatigue: the open probability falls by exp(-this)."""
    return p.open_fatigue_k[channel] * fatigue


cdef inline double open_probability(const CustomerParams* p, int channel, double trust,
                                    double fatigue) noexcept nogil:
    """p_open = open_base_rate[c] * (trust / 0.5) ** open_trust_elasticity[c]
               * exp(-open_fatigue_k[c] * fatigue)     (an email opened, a push read, an ad
    noticed; 0 at trust <= 0).  The product of open_trust_factor and exp(-open_fatigue_exponent)."""
    return open_trust_factor(p, channel, trust) * exp(-open_fatigue_exponent(p, channel, fatigue))


cdef inline double reminder_probability(const CustomerParams* p, double days_since_visit) noexcept nogil:
    """p_return = ad_reminder * 2 ** (-days_since_visit / ad_reminder_half_life): a noticed ad
    brings the customer back to the site (a visit), more likely right after its last visit."""
    return p.ad_reminder * exp2(-days_since_visit / p.ad_reminder_half_life)


# --------------------------------------------------------------------------- perceived relevance

cdef inline double taste_match(int dot) noexcept nogil:
    """match = pref . feat / 127**2, from the exact int8 dot product ``dot``."""
    return dot * (1.0 / UNIT_SQ)


cdef inline bint is_persofail(const CustomerParams* p, bint durable, double bought_age) noexcept nogil:
    """A persofail: a durable whose category was bought less than persofail_window days ago
    (``bought_age``: days since the latest purchase in the item's category)."""
    return durable & (bought_age < NEVER_BOUGHT_BELOW) & (bought_age < p.persofail_window)


cdef inline bint is_replenishment_due(const CustomerParams* p, bint durable, double bought_age,
                                      double cycle_days) noexcept nogil:
    """Due again: a consumable bought between replenish_lo and replenish_hi of its repurchase
    cycles ago."""
    cdef double ratio = bought_age / cycle_days
    return (not durable) & (bought_age < NEVER_BOUGHT_BELOW) & (ratio >= p.replenish_lo) & (ratio <= p.replenish_hi)


cdef inline double perceived_relevance(const CustomerParams* p, double match, bint persofail,
                                       bint due) noexcept nogil:
    """rel = persofail_relevance for a persofail, match + replenish_boost for a consumable due
    again, else match.  A slate's relevance is its best slot's."""
    return p.persofail_relevance if persofail else (match + p.replenish_boost if due else match)


# --------------------------------------------------------------------------- how personal a touch looks

cdef inline double personal_look(const CustomerParams* p, int basis) noexcept nogil:
    """look = personal_look[basis]: how personal one slot looks (1 for a pick presented as
    chosen for the customer, less for best sellers and editorial picks).  A touch's look is
    its most personal slot's; a persofail's is its own slot's."""
    return p.personal_look[basis]


# --------------------------------------------------------------------------- creepiness

cdef inline double slot_intrusion(const CustomerParams* p, int basis, double item_sensitivity) noexcept nogil:
    """intrusion = intrusiveness[basis] * (sensitivity_floor + item_sensitivity): how intrusive
    one slot's pick looks.  A touch's intrusion is its most intrusive slot's (at least 0)."""
    return p.intrusiveness[basis] * (p.sensitivity_floor + item_sensitivity)


cdef inline double covert_multiplier(const CustomerParams* p, bint covert) noexcept nogil:
    """covert_factor when the data was collected covertly, else 1."""
    return p.covert_factor if covert else 1.0


cdef inline double transparency_relief(const CustomerParams* p, bint explained, bint control) noexcept nogil:
    """relief = (1 - explanation_relief * explained) * (1 - control_relief * control)."""
    return (1.0 - p.explanation_relief * explained) * (1.0 - p.control_relief * control)


cdef inline double creep_probability(const CustomerParams* p, int channel, double intrusion, double privacy,
                                     double covert, double relief) noexcept nogil:
    """p_creepy = min(1, creep_scale * intrusion * obtrusiveness[c] * privacy * covert * relief),
    with covert = covert_multiplier and relief = transparency_relief of the strategy."""
    cdef double q = p.creep_scale * intrusion * p.obtrusiveness[channel] * privacy * covert * relief
    return 1.0 if q > 1.0 else q


# --------------------------------------------------------------------------- engagement

cdef inline double click_logit(const CustomerParams* p, int channel, double rel, double trust, double fatigue,
                               bint creepy, double look, bint control, bint explained) noexcept nogil:
    """logit p_click = click_bias[c] + click_relevance * rel + click_trust * (trust - 0.5)
                      - click_fatigue * fatigue - click_creepy * creepy
                      + (click_control * control + click_explained * explained) * look,
    ``look`` the touch's personal look: control over one's data and an explanation make
    personal content more acceptable, not generic content."""
    return (p.click_bias[channel] + p.click_relevance * rel + p.click_trust * (trust - 0.5)
            - p.click_fatigue * fatigue - p.click_creepy * creepy
            + (p.click_control * control + p.click_explained * explained) * look)


cdef inline double purchase_logit(const CustomerParams* p, bint organic, double rel, double trust,
                                  double price_sensitivity, double log_price_ratio) noexcept nogil:
    """logit p_buy = bias + buy_relevance * rel + buy_trust * (trust - 0.5)
                    - price_elasticity * price_sensitivity * log(price / reference price),
    bias = buy_bias for a clicked slot, organic_bias for the item a visitor found itself."""
    return ((p.organic_bias if organic else p.buy_bias) + p.buy_relevance * rel + p.buy_trust * (trust - 0.5)
            - p.price_elasticity * price_sensitivity * log_price_ratio)


# --------------------------------------------------------------------------- trust

cdef inline double trust_after_touch(const CustomerParams* p, double trust, double rel, bint persofail,
                                     bint creepy, double privacy, double fail_look, double look,
                                     bint control) noexcept nogil:
    """The asymmetric trust update of a noticed touch, clamped to [0, 1]:
    creepy:     trust -= loss_creepy * privacy * trust
    persofail:  trust -= loss_persofail * fail_look * relief * trust   (after the creepy loss)
    otherwise   trust += trust_gain * (1 - trust)                      if rel >= relevant_above
                trust -= loss_irrelevant * look * relief * trust       if rel <  irrelevant_below
                (unchanged in between),
    with relief = 1 - control_loss_relief * control.  The firm is blamed for a bad slot as
    far as it looks personal: ``fail_look`` is the persofail slot's personal look, ``look``
    the touch's."""
    cdef double t = trust
    cdef double relief = 1.0 - p.control_loss_relief * control
    if creepy or persofail:
        if creepy:
            t = t - p.loss_creepy * privacy * t
        if persofail:
            t = t - p.loss_persofail * fail_look * relief * t
    else:
        # A select, not a branch: a slate's relevance is not predictable from the last touch's.
        t = (t + p.trust_gain * (1.0 - t) if rel >= p.relevant_above
             else (t - p.loss_irrelevant * look * relief * t if rel < p.irrelevant_below else t))
    return clamp01(t)


cdef inline double relevance_memory_after_touch(const CustomerParams* p, double rel_mean, double rel) noexcept nogil:
    """rel_mean = (1 - relevance_memory) * rel_mean + relevance_memory * rel: the running
    perceived relevance of what the customer was shown."""
    return (1.0 - p.relevance_memory) * rel_mean + p.relevance_memory * rel


cdef inline double trust_after_day(const CustomerParams* p, double trust, double trust_base) noexcept nogil:
    """Recovery: trust += trust_relax * (trust_base - trust) each day (active customers)."""
    return trust + p.trust_relax * (trust_base - trust)


# --------------------------------------------------------------------------- fatigue

cdef inline double fatigue_after_contact(const CustomerParams* p, int channel, double fatigue,
                                         double sensitivity) noexcept nogil:
    """fatigue += fatigue_cost[c] * fatigue_sensitivity, at every contact on channel c."""
    return fatigue + p.fatigue_cost[channel] * sensitivity


cdef inline double fatigue_after_day(const CustomerParams* p, int channel, double fatigue) noexcept nogil:
    """fatigue *= fatigue_decay[c] each day (0.5 ** (1 / half-life))."""
    return fatigue * p.fatigue_decay[channel]


# --------------------------------------------------------------------------- opt-out and churn

cdef inline LogLinear optout_hazard(const CustomerParams* p, int channel, double fatigue, double trust,
                                    bint creepy, double rel) noexcept nogil:
    """h_optout = optout_base_hazard[c] * exp(optout_fatigue_k[c] * fatigue
                                             + optout_trust_k * (0.5 - trust)
                                             + optout_irrelevance_k * max(0, relevant_above - rel))
                 * (optout_creepy_multiplier if creepy else 1),
    per noticed outbound touch: volume (fatigue: recent contacts), distrust (the trust after
    the touch) and irrelevance, the reasons people give most."""
    cdef LogLinear h
    cdef double gap = p.relevant_above - rel
    h.base = p.optout_base_hazard[channel]
    h.exponent = (p.optout_fatigue_k[channel] * fatigue + p.optout_trust_k * (0.5 - trust)
                  + p.optout_irrelevance_k * (gap if gap > 0.0 else 0.0))
    h.factor = p.optout_creepy_multiplier if creepy else 1.0
    return h


cdef inline double log_linear(LogLinear h) noexcept nogil:
    """The value base * exp(exponent) * factor (rounded in that order)."""
    return h.base * exp(h.exponent) * h.factor


cdef inline ScaledLogistic churn_hazard(const CustomerParams* p, double trust) noexcept nogil:
    """h_churn = churn_hazard_max * sigmoid(churn_slope * (churn_trust_mid - trust)), per day.

    Its scale does not depend on trust: the day kernel rules out most customers with one
    bound (the scale) before it reads their trust."""
    cdef ScaledLogistic h
    h.scale = p.churn_hazard_max
    h.z = p.churn_slope * (p.churn_trust_mid - trust)
    return h


cdef inline double scaled_logistic(ScaledLogistic h) noexcept nogil:
    """The value scale * sigmoid(z)."""
    return h.scale * sigmoid(h.z)


# --------------------------------------------------------------------------- feeling valued

cdef inline bint feels_valued(const CustomerParams* p, bint active, float rel_mean, float trust) noexcept nogil:
    """Active, rel_mean >= valued_relevance_above and trust >= valued_trust_above.  Compared at
    the state's float32 precision (the thresholds rounded to float32)."""
    return active & (rel_mean >= <float>p.valued_relevance_above) & (trust >= <float>p.valued_trust_above)
