"""The engine end to end: reproducibility, thread independence, common random numbers, timing."""

from __future__ import annotations

import numpy as np
import pytest

from sim.codes import EMAIL
from sim.metrics import TIMING_METRICS
from sim.scenario import Scenario

TIMING_KEYS = {*TIMING_METRICS, "threads", "impl"}


def outcome(cfg) -> dict:
    result = Scenario(cfg).run()
    return {k: v for k, v in result.metrics.items() if k not in TIMING_KEYS}


def test_same_seed_same_metrics(small_config):
    assert outcome(small_config("seed=7")) == outcome(small_config("seed=7"))


def test_different_seed_different_metrics(small_config):
    assert outcome(small_config("seed=7"))["revenue"] != outcome(small_config("seed=8"))["revenue"]


@pytest.mark.parametrize("strategy", ["none", "recommend", "retarget_naive"])
def test_one_and_two_threads_give_identical_results(small_config, strategy):
    a = Scenario(small_config(f"strategy={strategy}", "threads=1")).run()
    b = Scenario(small_config(f"strategy={strategy}", "threads=2")).run()
    assert {k: v for k, v in a.metrics.items() if k not in TIMING_KEYS} == {
        k: v for k, v in b.metrics.items() if k not in TIMING_KEYS
    }
    assert a.daily == b.daily
    assert a.journeys == b.journeys


@pytest.mark.parametrize("strategy", ["none", "recommend", "retarget_naive"])
def test_compiled_engine_equals_numpy_twin_engine(small_config, strategy):
    # A whole run through the NumPy twins of every kernel gives the same outcome.
    fast = outcome(small_config(f"strategy={strategy}", "population.size=600", "horizon_days=21"))
    twin = outcome(small_config(f"strategy={strategy}", "population.size=600", "horizon_days=21", "impl=numpy"))
    assert fast.keys() == twin.keys()
    for k in fast:
        if isinstance(fast[k], float):
            assert fast[k] == pytest.approx(twin[k], rel=1e-9, abs=1e-12), k
        else:
            assert fast[k] == twin[k], k


def test_strategy_does_not_change_population_or_customer_noise(small_config):
    # Common random numbers: the population is drawn from its own stream, and the visits of
    # day 0 (before any strategy acted) are the same draws whatever the strategy.
    a = Scenario(small_config("strategy=none"))
    b = Scenario(small_config("strategy=retarget_naive"))
    for field in ("pref", "trust", "privacy", "visit_rate", "consent"):
        np.testing.assert_array_equal(a.population[field], b.population[field])
    buf = np.zeros(a.population.n, np.int64)
    va = a.customer.visitors(a.population, 0, a.streams, 1, "compiled", buf)
    vb = b.customer.visitors(b.population, 0, b.streams, 1, "compiled", buf)
    np.testing.assert_array_equal(va, vb)
    ra, rb = a.run(), b.run()
    assert ra.daily[0]["visits"] == rb.daily[0]["visits"]
    assert ra.metrics["revenue"] != rb.metrics["revenue"]


def test_weekly_email_sends_exactly_four_times_in_four_weeks_at_the_send_hour(small_config):
    cfg = small_config("campaign.scheduled.newsletter.send_hour=9", "campaign.scheduled.newsletter.start=2d")
    result = Scenario(cfg).run()
    email_times = [t for t, ch, _, _ in result.wave_log if ch == "email"]
    # Days 2, 9, 16, 23 at 09:00, in hours since the start.
    assert email_times == [2 * 24 + 9, 9 * 24 + 9, 16 * 24 + 9, 23 * 24 + 9]
    visit_times = [t for t, ch, _, _ in result.wave_log if ch == "onsite"]
    assert visit_times == [d * 24 + 12 for d in range(28)]


def test_email_goes_only_to_consenting_customers(small_config):
    s = Scenario(small_config("strategy=retarget_naive"))
    consenting_start = int(np.count_nonzero(s.population.consent & (1 << EMAIL)))
    result = s.run()
    sends = [n for _, ch, _, n in result.wave_log if ch == "email"]
    assert sends[0] == consenting_start
    # Opt-outs and churn only ever shrink the audience.
    assert all(later <= earlier for earlier, later in zip(sends, sends[1:]))
    assert sends[-1] < sends[0]


def test_simpy_event_count_does_not_grow_with_customers(small_config):
    from sim.engine import Engine

    counts = []
    for n in (500, 1000):
        engine = Engine(Scenario(small_config(f"population.size={n}")))
        scheduled = []
        original = engine.env.schedule
        engine.env.schedule = lambda event, *a, **kw: (scheduled.append(event), original(event, *a, **kw))
        engine.run()
        counts.append(len(scheduled))
    # 28 day-clock ticks + 28 visit waves + 4 emails + process starts and ends: a few dozen.
    assert counts[0] == counts[1] < 100


def test_results_are_sane(small_config):
    m = Scenario(small_config()).run().metrics
    assert 0 <= m["trust_p10_end"] <= m["trust_mean_end"] <= 1
    assert 0 <= m["email_unsubscribe_rate"] <= m["email_click_rate"] <= m["email_open_rate"] <= 1
    assert m["interactions"] == m["visits"] + m["email_sends"]
    assert m["orders"] > 0 and m["revenue"] > 0 and m["margin"] < m["revenue"]
    assert m["state_bytes_per_customer"] <= 128


def test_purchase_awareness_removes_the_persofails_naive_retargeting_makes(small_config):
    # Showing a just-bought durable is the persofail mechanism: naive retargeting puts the
    # last purchase back on the slate for 30 days; the purchase-aware recommender suppresses
    # every durable category within its repurchase cycle (longer than the persofail window).
    naive = outcome(small_config("strategy=retarget_naive", "population.size=3000", "horizon_days=120"))
    aware = outcome(small_config("strategy=recommend_purchase_aware", "population.size=3000", "horizon_days=120"))
    assert naive["persofails"] > 1000
    assert aware["persofails"] == 0
    assert aware["trust_mean_end"] > naive["trust_mean_end"]


def test_journeys_tell_the_story_of_a_touch(small_config):
    result = Scenario(small_config("strategy=retarget_naive", "output.journeys=50")).run()
    events = [e for j in result.journeys for e in j["events"] if e.get("channel")]
    assert events, "journey customers were touched"
    bought = [e for e in events if "bought" in e]
    assert bought and all(e["price"] > 0 for e in bought)
    for e in events:
        assert 0 <= e["trust_after"] <= 1
        # A noticed contact tells what it showed; an unopened email shows nothing.
        assert ("shown" in e) == e["exposed"]
        assert len(e.get("shown", [0] * 4)) == 4


def test_no_customer_exceeds_the_weekly_email_cap(small_config):
    # A daily email capped at 3 per calendar week: every consenting customer gets exactly
    # 3 emails in each full week (days 0-6, 7-13, ...), the other 4 sends are held back.
    cfg = small_config(
        "campaign.scheduled.newsletter.cadence=1d",
        "campaign.limits.email.cap_per_week=3",
        "customer.optout.email_base_hazard=0",
        "customer.churn.hazard_max=0",
        "output.journeys=200",
        "horizon_days=21",
    )
    s = Scenario(cfg)
    consenting = int(np.count_nonzero(s.population.consent & (1 << EMAIL)))
    result = s.run()
    per_week: dict[tuple[int, int], int] = {}
    for j in result.journeys:
        for e in j["events"]:
            if e.get("channel") == "email":
                key = (j["customer"], e["day"] // 7)
                per_week[key] = per_week.get(key, 0) + 1
    assert per_week and max(per_week.values()) == 3
    m = result.metrics
    assert m["email_sends"] == 3 * 3 * consenting
    assert m["email_suppressed_by_cap"] == 4 * 3 * consenting


def test_idle_threads_wait_passively_after_a_short_poll_unless_the_user_says_otherwise():
    from sim.core import SPIN_BEFORE_SLEEP, _default_openmp_waiting

    env = {}
    _default_openmp_waiting(env)
    assert env == {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": SPIN_BEFORE_SLEEP}
    env = {"OMP_WAIT_POLICY": "passive", "GOMP_SPINCOUNT": "0"}
    _default_openmp_waiting(env)
    assert env == {"OMP_WAIT_POLICY": "passive", "GOMP_SPINCOUNT": "0"}
    env = {"OMP_WAIT_POLICY": "ACTIVE"}
    _default_openmp_waiting(env)
    assert env == {"OMP_WAIT_POLICY": "ACTIVE"}  # an active policy keeps the runtime's own spin


def test_the_openmp_defaults_are_in_place_before_the_runtime_loads():
    # A fresh interpreter: importing the core sets them, and a compiled module loads after.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    code = (
        "import os, sim.core as c; c.load_compiled('_threads'); "
        "print(os.environ['OMP_WAIT_POLICY'], os.environ['GOMP_SPINCOUNT'])"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    from sim.core import SPIN_BEFORE_SLEEP

    assert out.stdout.split() == ["PASSIVE", SPIN_BEFORE_SLEEP]


def test_the_day_decays_only_the_fatigue_in_use_and_that_changes_nothing(small_config, monkeypatch):
    from sim.codes import EMAIL

    cfg = small_config("campaign=weekly_email")
    s = Scenario(cfg)
    result = s.run()
    # Weekly email only: email fatigue is in use, onsite visits cost none, push and ads unused.
    assert s.customer.checks.fatigue_in_use().tolist() == [0, 1, 0, 0]
    assert (s.population.fatigue[:, EMAIL] > 0).any()
    # Decaying every channel's fatigue every day gives the very same run.
    from sim.checks import RunChecks

    monkeypatch.setattr(RunChecks, "fatigue_in_use", lambda self: self._all_channels)
    every = Scenario(cfg).run()
    assert {k: v for k, v in result.metrics.items() if k not in TIMING_KEYS} == {
        k: v for k, v in every.metrics.items() if k not in TIMING_KEYS
    }
    assert result.daily == every.daily and result.journeys == every.journeys


def test_with_a_behavior_the_day_decays_every_channel(small_config):
    s = Scenario(small_config("behavior=word_of_mouth"))
    s.run()
    assert s.customer.checks.fatigue_in_use().tolist() == [1, 1, 1, 1]


@pytest.mark.parametrize("campaign", ["weekly_email", "omnichannel"])
def test_waves_that_skip_initial_values_the_stages_overwrite_run_the_same(small_config, monkeypatch, campaign):
    from sim.checks import RunChecks
    from sim.touch import TouchBatch

    cfg = small_config(f"campaign={campaign}")
    fast = Scenario(cfg).run()
    monkeypatch.setattr(RunChecks, "written", lambda self, channel, strategy: frozenset())
    full = Scenario(cfg).run()
    assert {k: v for k, v in fast.metrics.items() if k not in TIMING_KEYS} == {
        k: v for k, v in full.metrics.items() if k not in TIMING_KEYS
    }
    assert fast.daily == full.daily and fast.journeys == full.journeys
    # The arrays not named still start at their documented values.
    b = TouchBatch(1, 0, 9, np.arange(5), 3, written=frozenset({"rel", "bought"}))
    assert (b.viewed == -1).all() and (b.best == -1).all() and not b.slate.any() and not b.clicked.any()


def test_with_a_behavior_every_per_touch_array_starts_at_its_initial_value(small_config):
    from sim.codes import EMAIL, ONSITE
    from sim.engine import Engine

    s = Scenario(small_config("behavior=word_of_mouth"))
    checks = Engine(s).checks
    assert checks.written(ONSITE, s.strategy) == checks.written(EMAIL, s.strategy) == frozenset()
    assert not checks.sealed(s.strategy)


def _one_wave(cfg, channel, cohort):
    from sim.engine import Engine

    s = Scenario(cfg)
    engine = Engine(s)
    s.recorder.start_day(0, np.zeros(s.population.n, np.uint8))
    return engine.run_wave(channel, cohort)


def test_a_built_in_wave_checks_its_customers_once_and_trusts_what_its_kernels_write(small_config):
    from sim.codes import EMAIL, ONSITE

    batch = _one_wave(small_config(), ONSITE, np.arange(0, 2000, 7, dtype=np.int64))
    assert batch.validated == {"cust", "viewed", "slate", "basis", "bought"}
    batch = _one_wave(small_config(), EMAIL, np.arange(0, 2000, 3, dtype=np.int64))
    assert batch.validated == {"cust", "viewed", "slate", "basis", "bought"} and (batch.viewed == -1).all()
    # With a behavior in the wave nothing is taken on trust: every call checks every index array.
    assert _one_wave(small_config("behavior=word_of_mouth"), ONSITE, np.arange(50, dtype=np.int64)).validated == set()
    assert _one_wave(small_config("impl=numpy"), ONSITE, np.arange(50, dtype=np.int64)).validated == set()


def test_a_wave_of_customers_outside_the_population_is_refused_before_any_kernel_runs(small_config):
    from sim.codes import ONSITE
    from sim.core.kernels import KernelArgumentError

    refused = r"wave on day 0 \(cust\): indices span \[3, 2000\], allowed \[0, 2000\)"
    with pytest.raises(KernelArgumentError, match=refused):
        _one_wave(small_config(), ONSITE, np.array([3, 2000], dtype=np.int64))


def test_a_later_wave_of_customers_outside_the_population_is_refused_too(small_config):
    # After the first wave of its kind a wave skips the kernels' signature checks; a cohort
    # that does not come from the engine's own selections is still checked.
    from sim.codes import ONSITE
    from sim.core.kernels import KernelArgumentError
    from sim.engine import Engine

    s = Scenario(small_config())
    engine = Engine(s)
    s.recorder.start_day(0, np.zeros(s.population.n, np.uint8))
    assert engine.run_wave(ONSITE, np.arange(0, 2000, 7, dtype=np.int64)).checked
    assert not engine.run_wave(ONSITE, np.arange(0, 2000, 5, dtype=np.int64)).checked
    with pytest.raises(KernelArgumentError, match=r"wave on day 0 \(cust\): indices span \[3, 2001\]"):
        engine.run_wave(ONSITE, np.array([3, 2001], dtype=np.int64))


def test_built_in_code_checks_kernel_arguments_once_per_run_and_kind_of_wave(small_config, monkeypatch):
    # A wave of built-in code only has arrays of the same dtypes and shapes at every wave: its
    # kernel calls are checked at the first wave of each channel and strategy, not at every
    # wave.  With a behavior (other code in the wave) every call is checked.
    import collections

    import sim.core.kernels as kernels
    from sim.behavior import Behavior

    class Quiet(Behavior):
        def on_wave(self, ctx):
            pass

    checked = collections.Counter()
    real_check = kernels._check

    def counting(name, *args, **kwargs):
        checked[name] += 1
        return real_check(name, *args, **kwargs)

    monkeypatch.setattr(kernels, "_check", counting)
    # (Without the customer-equity tail, a second run whose waves are checked in their turn.)
    cfg = small_config("strategy=recommend", "campaign=omnichannel", "horizon_days=21", "value.tail_days=0")
    Scenario(cfg).run()
    sealed = dict(checked)
    # One wave checked per channel the plan uses (onsite, email, push, ads), of 21 days' waves.
    assert 2 <= sealed["fill_slates"] == sealed["respond"] == sealed["observe"] <= 4
    assert "browse" not in sealed  # a visits wave of built-in code browses inside the response
    # The day kernels, on the population's arrays: once per run.
    assert sealed["recover_and_churn"] == sealed["select_visitors"] == 1
    checked.clear()
    Scenario(cfg, behaviors=[Quiet(after="trust")]).run()
    assert checked["observe"] > 10 * sealed["observe"]
    assert checked["recover_and_churn"] == checked["select_visitors"] == 21
