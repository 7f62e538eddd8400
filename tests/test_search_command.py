"""The search sweeper through the real command: a known optimum found, resuming after kill -9.

Each runs tens of small simulations through ``prepersona``: marked slow (``make test-slow``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.test_sweep import kill_once_finished, prepersona


def _trials(sweep: Path) -> list[dict]:
    with open(sweep / "trials.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_the_search_finds_the_cadence_that_sends_the_most_emails(tmp_path):
    # A frozen model: nobody opts out or churns, so every consenting customer gets every
    # newsletter.  Sends fall on day floor(k * cadence) for k = 0, 1, ... below the horizon:
    # over 30 days a cadence of 24h sends 30 emails to each, 25h only 29 (k * 25/24 < 30 for
    # k <= 28), and longer cadences fewer still.  So email_sends is largest at exactly 1d,
    # the interval's lower bound, and nowhere else on its whole hours.
    args = [
        "-m",
        "hydra/sweeper=search",
        "strategy=recommend",
        "population.size=1000",
        "horizon_days=30",
        "value.tail_days=0",
        "output.journeys=0",
        "customer.optout.email_base_hazard=0",
        "customer.churn.hazard_max=0",
        "campaign.scheduled.newsletter.cadence=tag(log, interval(1, 14))",
        "+hydra.sweeper.objectives.email_sends=maximize",
        "hydra.sweeper.n_trials=25",
        "hydra.sweeper.seeds=[0]",
        "hydra.sweep.dir=sweep",
    ]
    done = prepersona(args, tmp_path)
    assert done.returncode == 0, done.stderr
    trials = _trials(tmp_path / "sweep")
    assert len(trials) == 25 and all(t["state"] == "COMPLETE" for t in trials)
    best = json.loads((tmp_path / "sweep" / "best.json").read_text())["email_sends"]
    assert best["levers"]["campaign.scheduled.newsletter.cadence"] == "1d"  # found within 25 trials
    sends = {t["campaign.scheduled.newsletter.cadence"]: float(t["email_sends"]) for t in trials}
    consenting = sends["1d"] / 30
    assert consenting == int(consenting)  # 30 emails to each consenting customer
    if "25h" in sends:
        assert sends["25h"] == 29 * consenting
    # A trial's run is a normal run: the report counts the search's runs as the sweep's own.
    row = next(t for t in trials if int(t["trial"]) == best["trial"])
    run = tmp_path / "sweep" / row["dirs"]
    assert (run / "metrics.json").is_file() and (run / ".hydra" / "overrides.yaml").is_file()
    assert "sweep: 25 of 25 runs complete in" in done.stdout and "report: " in done.stdout
    assert '<section id="search">' in (tmp_path / "sweep" / "report.html").read_text()
    strategies = list((tmp_path / "sweep" / "strategies" / "strategy").glob("*.yaml"))
    assert len(strategies) == 1 and "cadence: 1d" in strategies[0].read_text()


@pytest.mark.slow
def test_a_killed_search_started_again_finishes_the_trials_asked(tmp_path):
    args = [
        "experiment=tune_recommend",
        "population.size=3000",
        "horizon_days=30",
        "value.tail_days=0",
        "output.journeys=0",
        "output.parquet=false",
        "hydra.sweeper.n_trials=6",
        "hydra.sweeper.seeds=[0,1]",
        "hydra.sweep.dir=sweep",
    ]
    sweep = tmp_path / "sweep"
    finished = {d.name: (d / "metrics.json").stat().st_mtime_ns for d in kill_once_finished(args, tmp_path, sweep, 3)}
    assert 0 < len(finished) < 12, "the kill came too late to test resuming"

    again = prepersona(args, tmp_path)
    assert again.returncode == 0, again.stderr
    trials = _trials(sweep)
    assert [t["state"] for t in trials] == ["COMPLETE"] * 6  # exactly the trials asked
    # Every trial's two runs, in the directories its number gives, and no others.
    assert sorted(int(p.parent.name) for p in sweep.glob("*/metrics.json")) == list(range(12))
    for name, stamp in finished.items():  # the runs finished before the kill were not run again
        assert (sweep / name / "metrics.json").stat().st_mtime_ns == stamp
    assert "sweep: 12 of 12 runs complete in" in again.stdout
