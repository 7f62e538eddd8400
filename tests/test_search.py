"""The search sweeper's parts: the search space, its settings, the study loop with a stand-in
launcher (batches, job directories, resume), the Pareto front, and the preflight's refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from sim.config.preflight import PreflightError, check_command
from sim.errors import ConfigError
from sim.report.search import search_section
from sim.sweep.search import Search, open_study, trial_dirs
from sim.sweep.search_results import pareto_numbers, write_search_results
from sim.sweep.search_settings import settings_from
from sim.sweep.search_space import check_dimension, distributions, override_line, parse_space

# --------------------------------------------------------------------------- the search space


def test_space_kinds_follow_the_schema():
    dims, fixed = parse_space(
        [
            "strategy=recommend",
            "strategy.exploration=interval(0, 0.3)",
            "campaign.limits.email.cap_per_week=interval(0, 5)",
            "campaign.scheduled.newsletter.cadence=interval(0.5, 14)",
            "strategy.candidates=range(8, 40, 8)",
            "strategy.retarget_stop_after_purchase=choice(false, true)",
            "firm.inference_accuracy=tag(log, interval(0.1, 0.9))",
        ]
    )
    assert fixed == ["strategy=recommend"]
    x = dims["strategy.exploration"]
    assert (x.kind, x.integer, x.low, x.high) == ("interval", False, 0.0, 0.3)
    assert dims["campaign.limits.email.cap_per_week"].integer  # an int key: whole numbers
    cadence = dims["campaign.scheduled.newsletter.cadence"]
    assert cadence.days and (cadence.low, cadence.high) == (12, 336)  # 0.5 and 14 days, in hours
    assert override_line(cadence, 36) == "campaign.scheduled.newsletter.cadence=36h"
    assert override_line(cadence, 48) == "campaign.scheduled.newsletter.cadence=2d"
    cand = dims["strategy.candidates"]
    assert (cand.kind, cand.low, cand.high, cand.step) == ("range", 8, 32, 8)  # range() stops before 40
    assert dims["strategy.retarget_stop_after_purchase"].choices == (False, True)
    assert override_line(dims["strategy.retarget_stop_after_purchase"], True).endswith("=true")
    assert dims["firm.inference_accuracy"].log
    dist = distributions(dims)
    assert dist["strategy.candidates"].step == 8 and dist["strategy.candidates"].high == 32
    assert dist["campaign.scheduled.newsletter.cadence"].low == 12


def test_a_later_line_of_a_key_wins():
    dims, fixed = parse_space(["strategy.exploration=interval(0, 0.3)", "strategy.exploration=0.1"])
    assert dims == {} and fixed == ["strategy.exploration=0.1"]


@pytest.mark.parametrize(
    "line, reason",
    [
        ("strategy.exploration=interval(0, 1.5)", "bounds within the key's range (>= 0 and <= 1); 1.5 is not"),
        ("campaign.limits.email.cap_per_week=range(0, 300)", "bounds within the key's range (>= 0 and <= 255)"),
        ("strategy.name=interval(1, 2)", "a number to search an interval: strategy.name is a str key"),
        ("strategy=interval(1, 2)", "a number to search an interval: strategy is a config group"),
        ("strategy.exploration=interval(0.3, 0.1)", "an interval whose start is below its end"),
        ("strategy.exploration=glob(*)", "glob is not searched"),
    ],
)
def test_a_dimension_the_schema_cannot_take_is_refused(line, reason):
    with pytest.raises(ConfigError) as info:
        dims, _ = parse_space([line])
        check_dimension(next(iter(dims.values())))
    assert reason in str(info.value)


# --------------------------------------------------------------------------- settings

GOOD = {"objectives": {"value": "maximize"}, "n_trials": 3, "seeds": [0, 1]}


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"objectives": {"valeu": "maximize"}}, "a metric of metrics.json (did you mean value?)"),
        ({"objectives": {"value": "maximise"}}, "maximize or minimize"),
        ({"objectives": {}}, "at least one metric"),
        ({"n_trials": 0}, "a whole number >= 1"),
        ({"seeds": []}, "distinct whole numbers"),
        ({"seeds": [1, 1]}, "distinct whole numbers"),
        ({"constraints": ["churned_share < 0.1"]}, "'metric <= number'"),
        ({"constraints": ["churn <= 0.1"]}, "a metric of metrics.json"),
        ({"sampler": "cmaes"}, "one of auto, tpe, nsga2, random"),
        ({"population_size": 1}, "a whole number >= 2"),
    ],
)
def test_bad_settings_are_refused_in_one_line(change, reason):
    with pytest.raises(ConfigError) as info:
        settings_from({**GOOD, **change})
    assert reason in str(info.value) and "\n" not in str(info.value)


def test_sampler_auto_is_nsga2_for_several_objectives_and_tpe_for_one():
    assert settings_from(GOOD).sampler_name == "tpe"
    two = settings_from({**GOOD, "objectives": {"value": "maximize", "trust_mean_end": "maximize"}})
    assert two.sampler_name == "nsga2" and two.directions == ["maximize", "maximize"]
    # NSGA-II's generation: a quarter of the trials, between 4 and 50, unless given.
    assert (two.generation, settings_from({**GOOD, "n_trials": 400}).generation) == (4, 50)
    assert settings_from({**GOOD, "n_trials": 40}).generation == 10
    assert settings_from({**GOOD, "population_size": 7}).generation == 7


# --------------------------------------------------------------------------- the study loop


class StandInLauncher:
    """Writes each job's metrics.json from its overrides: value = -(exploration - 0.2)^2 + seed / 1000,
    so the mean over seeds 0 and 1 is -(x - 0.2)^2 + 0.0005, largest at exploration 0.2."""

    def __init__(self, sweep_dir: Path, stop_after: int | None = None):
        self.sweep_dir, self.stop_after = sweep_dir, stop_after
        self.launched: list[int] = []

    def launch(self, overrides, initial_job_idx):
        for i, job in enumerate(overrides):
            if self.stop_after is not None and len(self.launched) == self.stop_after:
                raise KeyboardInterrupt  # the process dies in the middle of a batch
            values = dict(line.split("=", 1) for line in job)
            x, seed = float(values["strategy.exploration"]), int(values["seed"])
            run_dir = self.sweep_dir / str(initial_job_idx + i)
            run_dir.mkdir(parents=True, exist_ok=True)
            metrics = {"value": -((x - 0.2) ** 2) + seed / 1000, "churned_share": x / 10}
            (run_dir / "metrics.json").write_text(json.dumps(metrics))
            self.launched.append(initial_job_idx + i)
        return [None] * len(overrides)


def _search(tmp_path: Path, launcher, n_trials=30, **extra):
    node = {
        "objectives": {"value": "maximize"},
        "n_trials": n_trials,
        "seeds": [0, 1],
        "sampler_seed": 0,
        "params": {"strategy": "recommend", "strategy.exploration": "interval(0, 1)"},
        **extra,
    }
    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}, "launcher": {"n_jobs": 2}}})
    return Search(node, config, launcher, [])


def test_the_search_finds_a_known_optimum_and_writes_its_results(tmp_path):
    launcher = StandInLauncher(tmp_path)
    search = _search(tmp_path, launcher, constraints=["churned_share <= 0.05"])
    study = search.run()
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert len(complete) == 30
    # Every trial ran both seeds, in the directories its number gives.
    assert sorted(launcher.launched) == list(range(60))
    feasible = [t for t in complete if t.user_attrs["constraints"][0] <= 0]
    best = max(feasible, key=lambda t: t.values[0])
    assert abs(best.params["strategy.exploration"] - 0.2) < 0.03  # within 30 trials
    assert best.user_attrs["means"]["value"] == pytest.approx(
        -((best.params["strategy.exploration"] - 0.2) ** 2) + 0.0005
    )
    summary = write_search_results(study, search)
    assert "best value: trial" in summary
    rows = (tmp_path / "trials.csv").read_text().splitlines()
    assert len(rows) == 31 and rows[0].startswith("trial,state,strategy.exploration,value,churned_share")
    assert json.loads((tmp_path / "best.json").read_text())["value"]["trial"] == best.number
    # The report's section reads the files back: the front, the best trial, the chart.
    section = search_section(tmp_path, tmp_path / "charts")
    assert len(section["front"].rows) == 1 and section["front"].rows[0][0].main == f"t{best.number}"
    assert section["best"].rows[0][1].main == f"t{best.number}"
    assert (tmp_path / "charts" / "search_front.png").is_file() and section["chart"]["svg"].startswith("<svg")
    assert search_section(tmp_path / "charts", tmp_path) is None  # no search there


def test_the_same_search_gives_the_same_trials(tmp_path):
    a = _search(tmp_path / "a", StandInLauncher(tmp_path / "a"), n_trials=12).run()
    b = _search(tmp_path / "b", StandInLauncher(tmp_path / "b"), n_trials=12).run()
    assert [t.params for t in a.trials] == [t.params for t in b.trials]


def test_an_interrupted_search_continues_without_repeating_finished_trials(tmp_path):
    first = StandInLauncher(tmp_path, stop_after=9)  # batches of one trial (two seeds): dies in trial 4
    with pytest.raises(KeyboardInterrupt):
        _search(tmp_path, first, n_trials=8).run()
    asked = {t.number: t.params for t in open_study(tmp_path, settings_from({**GOOD, "n_trials": 8})).trials}
    assert len(asked) == 5  # trials 0-3 told, trial 4 left running
    second = StandInLauncher(tmp_path)
    study = _search(tmp_path, second, n_trials=8).run()
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 8
    assert study.trials[4].params == asked[4]  # the interrupted trial ran again as it was asked
    # Only the interrupted trial's jobs and the new trials' ran again: trial 4 in 8 and 9.
    assert sorted(second.launched) == list(range(8, 16))
    assert trial_dirs(4, 2) == ["8", "9"]


def test_the_pareto_front_keeps_the_feasible_trials_no_other_beats():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    settings = settings_from({**GOOD, "objectives": {"value": "maximize", "optout_share_email": "minimize"}})
    study = optuna.create_study(directions=settings.directions)
    points = [(10, 0.5, 0.0), (8, 0.1, 0.0), (9, 0.6, 0.0), (12, 0.05, 1.0)]  # value, optout, violation
    for value, optout, violation in points:
        trial = study.ask()
        trial.set_user_attr("constraints", [violation])
        study.tell(trial, [value, optout])
    # Trial 2 is beaten by trial 0 on both; trial 3 beats all but breaks its constraint.
    assert pareto_numbers(study, settings) == [0, 1]


# --------------------------------------------------------------------------- the preflight


def _check(tmp_path, *extra):
    small = ["population.size=2000", "horizon_days=30", "value.tail_days=0", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    return check_command(["experiment=tune_recommend", *small, *extra], multirun=False)


def test_the_preflight_checks_a_search_without_expanding_it(tmp_path):
    plan = _check(tmp_path)
    assert plan.multirun and plan.search
    # The base config, then each dimension at its bounds: 5 dimensions, a bound each beyond the base.
    assert len(plan.jobs) == 1 + 5
    assert all("seed=0" in job.overrides for job in plan.jobs)


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            "+hydra.sweeper.objectives.valeu=maximize",
            "hydra.sweeper.objectives.valeu='maximize' is not allowed: a metric of metrics.json (did you mean value?)",
        ),
        (
            "hydra.sweeper.objectives.value=maximise",
            "hydra.sweeper.objectives.value='maximise' is not allowed: maximize or minimize",
        ),
        (
            "strategy.exploration=interval(0,1.5)",
            "strategy.exploration='interval(0,1.5)' is not allowed: bounds within the key's range (>= 0 and <= 1)",
        ),
        (
            "strategy.name=interval(0,1)",
            "strategy.name='interval(0,1)' is not allowed: a number to search an interval: strategy.name is a str key",
        ),
        ("hydra.sweeper.n_trials=0", "hydra.sweeper.n_trials=0 is not allowed: a whole number >= 1 (trials to run)"),
        ("seed=4", "seed='4' is not allowed: hydra.sweeper.seeds (every trial runs those seeds)"),
        ("population.size=0", "population.size=0 is not allowed: >= 1"),  # the base config, as any job's
    ],
)
def test_bad_input_stops_the_preflight_in_one_line(tmp_path, extra, message):
    with pytest.raises(PreflightError) as info:
        _check(tmp_path, extra)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)
    assert not (tmp_path / "sweep").exists()


def test_a_search_sweep_counts_its_trials_times_seeds_as_runs():
    from sim.sweep.callback import sweep_size
    from sim.sweep.search_config import SWEEPER_TARGET

    config = OmegaConf.create({"hydra": {"sweeper": {"_target_": SWEEPER_TARGET, "n_trials": 5, "seeds": [0, 1, 2]}}})
    assert sweep_size(config) == 15


def test_plausible_worlds_are_refused_with_a_search(tmp_path):
    # A search compares trials on one config; worlds would turn each trial into a different model.
    with pytest.raises(PreflightError) as info:
        _check(tmp_path, "uncertainty.worlds=4")
    assert "uncertainty.worlds=4 is not allowed with a search sweeper" in str(info.value)
    assert "\n" not in str(info.value) and not (tmp_path / "sweep").exists()
