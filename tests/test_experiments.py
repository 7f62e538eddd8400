"""Experiment files: each is a valid sweep that answers one question, selectable by name."""

from __future__ import annotations

import pytest

from sim.config.experiments import experiment_files
from sim.config.preflight import PreflightError, compose_config, preflight, sweep_plan

EXPERIMENTS = sorted(experiment_files())


def test_the_workshop_questions_each_have_an_experiment():
    assert {"strategy_frontier", "toilet_seat", "creepy_vs_transparent", "email_cadence", "retarget_caps"} <= set(
        EXPERIMENTS
    )


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_an_experiment_is_a_global_sweep_that_asks_a_question(name):
    text = experiment_files()[name].read_text()
    assert text.startswith("# @package _global_\n")
    cfg = compose_config([f"experiment={name}"])
    assert cfg.experiment.name == name and cfg.experiment.question.endswith("?")
    # An experiment is a sweep, not one run.
    assert len(sweep_plan([f"experiment={name}"])) > 1


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_job_of_an_experiment_is_valid(name):
    # Every job composes and validates, as the command checks before the first one runs
    # (a second or so per ten jobs: strategy_frontier has 30).
    assert preflight([f"experiment={name}"]) == len(sweep_plan([f"experiment={name}"]))


def test_the_command_line_adds_to_an_experiment_and_overrides_its_sweep():
    assert len(sweep_plan(["experiment=toilet_seat"])) == 3 * 5
    assert sweep_plan(["experiment=toilet_seat", "seed=range(2)", "horizon_days=9"]) == [
        [f"strategy={s}", f"seed={seed}", "experiment=toilet_seat", "horizon_days=9"]
        for s in ("none", "retarget_naive", "recommend_purchase_aware")
        for seed in (0, 1)
    ]
    assert len(sweep_plan(["experiment=toilet_seat", "threads=1,2"])) == 3 * 5 * 2
    cfg = compose_config(["experiment=toilet_seat", "strategy=none", "seed=4", "population.size=500"])
    assert (cfg.strategy.name, cfg.seed, cfg.population.size) == ("none", 4, 500)


def test_an_experiment_sets_what_it_is_about():
    cfg = compose_config(["experiment=retarget_caps", "strategy=retarget_naive", "campaign=retargeting"])
    assert cfg.campaign.retargeting.enabled and cfg.population.size == 100_000 and cfg.horizon_days == 365


@pytest.mark.parametrize(
    "args, fragment",
    [
        (
            ["experiment=nosuch"],
            "experiment=nosuch is not allowed: no such option; available options: "
            "creepy_vs_transparent, email_cadence, retarget_caps, robust_frontier, strategy_frontier, toilet_seat, "
            "tune_recommend",
        ),
        (["experiment=toilet_seat", "strategy=nosuch"], "strategy=nosuch is not allowed: no such option"),
        (["experiment=email_cadence", "campaign.scheduled.newsletter.cadence=0d"], "cadence='0d'"),
    ],
)
def test_a_bad_experiment_is_one_line(args, fragment):
    with pytest.raises(PreflightError) as err:
        preflight(args)
    assert fragment in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "sweep, fragment",
    [
        (
            "campaign=glob(nosuch*)",
            "campaign=glob(nosuch*) is not allowed: it matches nothing; available options: "
            "frequent_email, omnichannel, retargeting, weekly_email",
        ),
        ("seed=range(0)", "seed=range(0) is not allowed: it matches nothing"),
    ],
)
def test_a_sweep_over_nothing_is_refused(sweep, fragment):
    with pytest.raises(PreflightError) as err:
        preflight([sweep], multirun=True)
    assert str(err.value).startswith(fragment)
