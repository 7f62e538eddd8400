"""Finite results and a sweep that a failing job does not sink (failure 8).

Values whose arithmetic overflows are refused at config time; every number a run writes is
checked finite, and a run that produced a NaN or an infinity (a behavior's doing) fails in one
line without a ``metrics.json``.  The other jobs of its sweep finish, the failure is recorded
in its directory, and the sweep ends with a summary line and exit status 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.config.preflight import PreflightError, compose_config
from sim.results import METRICS_FILE, write_results
from sim.safety.finite import NotFinite

PREPERSONA = str(Path(sys.executable).parent / "prepersona")


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        (["catalog.categories.0.price_median=1e306"], "catalog.categories[0].price_median=1e+306 is not allowed: "),
        (["strategy.retarget_window_days=2147483648"], "strategy.retarget_window_days=2147483648 is not allowed: "),
        (
            ["campaign=omnichannel", "campaign.triggers.post_purchase.delay=90000000d"],
            "campaign.triggers.post_purchase.delay='90000000d' is not allowed: at most 30000d",
        ),
        (["campaign.dispatch_bucket=1000000000000h"], "campaign.dispatch_bucket='1000000000000h' is not allowed"),
        (["catalog.categories.7.cycle_days=1e300"], "catalog.categories[7].cycle_days=1e+300 is not allowed: "),
        (["catalog.categories.7.cycle_days=1e8"], "catalog.categories[7].cycle_days=100000000.0 is not allowed: "),
        (["behavior=word_of_mouth", "behaviors.word_of_mouth.contacts=true"], "contacts=True; allowed: an integer"),
    ],
)
def test_extremes_that_overflow_or_crash_mid_run_are_refused_at_config_time(overrides, fragment):
    with pytest.raises(PreflightError) as err:
        compose_config(overrides)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_extremes_within_the_ranges_run_to_finite_results(small_config):
    from sim.scenario import Scenario

    cfg = small_config(
        "campaign=omnichannel",
        "catalog.categories.7.price_median=1e9",
        "catalog.categories.7.cycle_days=1000000",
        "strategy.retarget_window_days=30000",
        "campaign.triggers.win_back.delay=30000d",
        "campaign.dispatch_bucket=30000d",
    )
    result = Scenario(cfg).run()
    json.dumps(result.metrics, allow_nan=False)  # raises on NaN or Infinity


class Result:
    def __init__(self, metrics, daily=(), segments=(), journeys=()):
        self.metrics, self.daily, self.segments, self.journeys = metrics, list(daily), list(segments), list(journeys)


@pytest.mark.parametrize(
    "result, fragment",
    [
        (Result({"revenue": float("inf")}), "metrics.json: revenue = inf is not a finite number"),
        (Result({"channels": {"email": {"open_rate": float("nan")}}}), "metrics.json: channels.email.open_rate = nan"),
        (Result({"revenue": 1.0}, daily=[{"day": 0, "trust_mean": float("nan")}]), "daily.csv: [0].trust_mean = nan"),
        (Result({"revenue": 1.0}, journeys=[{"customer": 3, "trust_end": float("-inf")}]), "journeys.jsonl: line 1:"),
    ],
)
def test_a_non_finite_result_is_not_written_as_complete(result, fragment, tmp_path):
    with pytest.raises(NotFinite) as err:
        write_results(tmp_path, result, parquet=False)
    assert fragment in str(err.value)
    assert not (tmp_path / METRICS_FILE).exists() and not list(tmp_path.glob(".*tmp*"))


BLOWUP = '''
import numpy as np
from sim.behavior import Behavior


class Blowup(Behavior):
    """On day ``day`` every customer's trust becomes infinite (a broken behavior)."""

    def __init__(self, day=2, after="trust", replaces=None):
        super().__init__(after=after, replaces=replaces)
        self.day = day

    def on_day(self, ctx):
        if ctx.day == self.day:
            ctx.pop.trust[:] = np.inf
'''


def test_a_failing_job_does_not_sink_its_sweep(tmp_path):
    configs = tmp_path / "my_configs"
    (configs / "behavior").mkdir(parents=True)
    (configs / "blowup.py").write_text(BLOWUP)
    (configs / "behavior" / "blowup.yaml").write_text("# @package behaviors.blowup\n_target_: blowup.Blowup\nday: 2\n")
    args = [
        "-m",
        "population.size=800",
        "horizon_days=7",
        "output.journeys=2",
        "output.parquet=false",
        "hydra.searchpath=[file://my_configs]",
        "behavior=blowup",
        "behaviors.blowup.day=2,100,3",  # day 100 never comes: that job is fine
        "hydra.sweep.dir=s",
    ]
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    proc = subprocess.run([PREPERSONA, *args], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    sweep = tmp_path / "s"
    lines = proc.stdout.strip().splitlines()
    assert f"sweep: 1 of 3 runs complete in {sweep}; 2 failed" in lines
    failed = [line for line in lines if line.startswith("sweep: failed: ")]
    assert failed == [
        f"sweep: failed: {sweep / j / 'failure.txt'} (metrics.json: trust_mean_end = nan is not a finite number; "
        "the run is not complete)"
        for j in ("0", "2")
    ]
    assert lines[-1] == f"report: {sweep / 'report.html'}"

    def strict(text):
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in metrics.json"))

    assert strict((sweep / "1" / METRICS_FILE).read_text())["horizon_days"] == 7
    for j in ("0", "2"):
        assert not (sweep / j / METRICS_FILE).exists()
        record = (sweep / j / "failure.txt").read_text()
        assert record.startswith("metrics.json: trust_mean_end = nan is not a finite number") and "Traceback" in record
        assert json.loads((sweep / j / "manifest.json").read_text())["status"] == "failed"
