"""The behavior API: adding and replacing stages, the checker, and bad behavior configs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from sim.behavior import Behavior
from sim.behaviors import WordOfMouth
from sim.config.preflight import PreflightError, compose_config
from sim.population import FieldSpec
from sim.scenario import Scenario
from sim.testing import BehaviorCheckError, check_behavior


def test_word_of_mouth_passes_the_checker():
    assert "same seed gives the same result" in check_behavior(WordOfMouth())


def test_word_of_mouth_lowers_the_trust_of_contacts_after_creepy_touches(small_config):
    # With every creepy touch told (probability 1) and a large loss, the population ends
    # with lower trust than the same seed without word of mouth.
    base = ["customer.creepiness.scale=4", "population.size=3000", "horizon_days=60"]
    plain = Scenario(small_config(*base)).run().metrics
    cfg = small_config(
        *base,
        "behavior=word_of_mouth",
        "behaviors.word_of_mouth.tell_probability=1.0",
        "behaviors.word_of_mouth.loss=0.2",
    )
    s = Scenario(cfg)
    talked = s.run().metrics
    assert s.customer.behaviors[0].told > 0
    assert talked["trust_mean_end"] < plain["trust_mean_end"] - 0.005


class FrozenTrust(Behavior):
    """Replaces a built-in stage with one that does nothing."""

    def on_wave(self, ctx):
        pass

    def on_day(self, ctx):
        pass


def test_a_behavior_replaces_built_in_stages(small_config):
    # Replacing both the trust update and recovery leaves trust exactly as drawn.
    cfg = small_config("customer.churn.hazard_max=0")
    s = Scenario(cfg, behaviors=[FrozenTrust(replaces="trust"), FrozenTrust(replaces="recovery")])
    start = s.population.trust.copy()
    s.run()
    np.testing.assert_array_equal(s.population.trust, start)
    changed = Scenario(cfg)
    changed.run()
    assert not np.array_equal(changed.population.trust, start)


def test_built_in_stages_stay_compiled_next_to_a_numpy_behavior(small_config):
    s = Scenario(small_config("behavior=word_of_mouth"))
    # The compiled response runs in two calls around the behavior (placed after trust).
    from functools import partial

    from sim.core.params import stage_mask

    steps = s.customer._respond_steps
    assert [isinstance(step, partial) for step in steps] == [True, False, True]
    assert steps[0].keywords["stages"] == stage_mask(["perceive", "creep", "engage", "trust"])
    assert steps[2].keywords["stages"] == stage_mask(["fatigue", "optout"])
    assert steps[1] == s.customer.behaviors[0].on_wave
    assert s.impl == "compiled"


class OutOfRange(Behavior):
    def on_wave(self, ctx):
        ctx.pop.trust[ctx.batch.cust] += 0.5


class MakesNaN(Behavior):
    fields = (FieldSpec("mood", "float32", (), 0.0),)

    def on_day(self, ctx):
        ctx.pop.mood[:] = np.nan


class UsesGlobalRandomness(Behavior):
    def on_wave(self, ctx):
        ctx.pop.trust[ctx.batch.cust] *= np.float32(1 - 0.01 * np.random.random())


class BreaksOnEmptyWave(Behavior):
    def on_wave(self, ctx):
        ctx.pop.trust[ctx.batch.cust[0]] += 0.0


@pytest.mark.parametrize(
    "behavior, failure",
    [
        (OutOfRange(), "trust stays in [0, 1]"),
        (MakesNaN(), "no NaN or infinite state"),
        (UsesGlobalRandomness(), "same seed gives the same result"),
        (BreaksOnEmptyWave(), "an empty wave works"),
    ],
)
def test_the_checker_catches_a_misbehaving_behavior(behavior, failure):
    with pytest.raises(BehaviorCheckError, match=failure.replace("[", r"\[").replace("]", r"\]")):
        check_behavior(behavior)


def test_the_checker_rejects_a_non_behavior():
    with pytest.raises(BehaviorCheckError, match="does not subclass"):
        check_behavior(object())


@pytest.mark.parametrize(
    "override, fragment",
    [
        ("behaviors.word_of_mouth.loss=2", "behaviors.word_of_mouth="),
        ("behaviors.word_of_mouth.lose=0.1", "behaviors.word_of_mouth.lose=0.1 is not allowed: 'lose' is not a key"),
        ("+behaviors.word_of_mouth.lose=0.1", "behaviors.word_of_mouth.lose=0.1 is not allowed: not a parameter of"),
        ("behaviors.word_of_mouth.after=nowhere", "after='nowhere'; allowed: start, exposure"),
        ("behaviors.word_of_mouth._target_=sim.population.Population", "a subclass of sim.behavior.Behavior"),
        ("behaviors.word_of_mouth._target_=no.such.Thing", "an importable class"),
    ],
)
def test_a_bad_behavior_config_is_one_line_before_anything_runs(override, fragment):
    with pytest.raises(PreflightError) as err:
        compose_config(["behavior=word_of_mouth", override])
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_a_researcher_adds_a_behavior_without_touching_sim(tmp_path):
    # One Python module and one YAML file outside the package, enabled from the command line.
    (tmp_path / "apology.py").write_text(
        textwrap.dedent('''
        import numpy as np
        from sim.behavior import Behavior

        class Apology(Behavior):
            """After a persofail the firm apologizes: part of the lost trust comes back."""

            def __init__(self, restore=0.5, after="trust", replaces=None):
                super().__init__(after=after, replaces=replaces)
                self.restore = restore
                self.apologies = 0

            def on_wave(self, ctx):
                b = ctx.batch
                hit = b.cust[b.persofail.astype(bool)]
                t = ctx.pop.trust[hit].astype(np.float64)
                ctx.pop.trust[hit] = (t + self.restore * (1 - t) * 0.05).astype(np.float32)
                self.apologies += hit.size
    ''')
    )
    (tmp_path / "my_configs" / "behavior").mkdir(parents=True)
    (tmp_path / "my_configs" / "behavior" / "apology.yaml").write_text(
        "# @package behaviors.apology\n_target_: apology.Apology\nafter: trust\nrestore: 0.5\n"
    )
    exe = Path(sys.executable).parent / "prepersona"
    args = [
        str(exe),
        "population.size=800",
        "horizon_days=14",
        "strategy=retarget_naive",
        "hydra.searchpath=[file://my_configs]",
        "behavior=apology",
        "hydra.run.dir=run",
    ]
    proc = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["persofails"] > 0
    bad = subprocess.run(
        args[:-1] + ["behaviors.apology.restor=1", "hydra.run.dir=bad"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "behaviors.apology.restor=1 is not allowed" in bad.stderr
    bad = subprocess.run(
        args[:-1] + ["+behaviors.apology.restor=1", "hydra.run.dir=bad"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "not a parameter of apology.Apology; allowed: restore, after" in bad.stderr


class DailyDoubt(Behavior):
    """Each day a few active customers lose a little trust at random (uses day_uniforms)."""

    def on_day(self, ctx):
        from sim.behavior import day_uniforms

        who = np.flatnonzero(ctx.pop.active)
        hit = who[day_uniforms(ctx, self, who) < 0.01]
        ctx.pop.trust[hit] = (ctx.pop.trust[hit] * np.float32(0.99)).astype(np.float32)


def test_a_day_hook_with_its_own_random_stream_is_well_behaved():
    assert "same seed gives the same result" in check_behavior(DailyDoubt())
