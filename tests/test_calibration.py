"""Calibration to a firm's figures: recovering known parameters, the files it writes, bad input."""

from __future__ import annotations

import functools
import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.calibration.cli import main as calibrate_main
from sim.calibration.figures import figure
from sim.calibration.fit import (
    Fit,
    _not_pinned,
    check,
    consistent_ranges,
    fit,
    more_free_than_targets,
    run_config,
    run_overrides,
    simulate,
)
from sim.calibration.output import fitted_entries, write_outputs
from sim.calibration.spec import CalibrationError, load_spec, parse_spec
from sim.config.preflight import PreflightError, compose_config
from sim.config.priors import Prior
from sim.errors import ConfigError
from sim.uncertainty.design import draw_worlds
from sim.uncertainty.priors import resolve_priors

CALIBRATE = str(Path(sys.executable).parent / "prepersona-calibrate")
EXAMPLE = Path(__file__).resolve().parents[1] / "sim" / "calibration" / "fictional_retailer.yaml"
CHURN = {"churned_share": {"value": 0.1, "sd": 0.01}}
PLAN = ["population=retail", "strategy=popular", "campaign=weekly_email", "horizon_days=120"]
TRUTH = {"customer.email_exposure.base_rate": 0.32, "customer.churn.hazard_max": 0.045}


def test_derived_figures_are_per_customer_and_per_year():
    m = {"revenue": 500.0, "orders": 10, "visits": 90, "customers": 100, "horizon_days": 73, "churned_share": 0.02}
    assert figure(m, "revenue_per_customer_per_year") == pytest.approx(500 / 100 * 365 / 73)
    assert figure(m, "orders_per_customer_per_year") == pytest.approx(10 / 100 * 5)
    assert figure(m, "visits_per_customer_per_month") == pytest.approx(90 / 100 * (365 / 12) / 73)
    assert figure(m, "churned_share_per_year") == pytest.approx(0.1)
    assert figure(m, "average_order_value") == 50.0 and figure(m, "orders_per_visit") == pytest.approx(1 / 9)
    assert figure({"channels": {"email": {"opens": 7}}}, "channels.email.opens") == 7.0


@pytest.mark.slow
def test_calibration_recovers_the_parameters_that_made_the_targets():
    # Targets measured on a run with known parameters (on the seeds the fit uses), then fitted
    # back from wide bounds: both parameters land near the truth and the check on fresh seeds
    # reproduces the targets.
    free = {k: [v * 0.5, v * 1.5] for k, v in TRUTH.items()}
    truth_spec = parse_spec({"plan": PLAN, "targets": CHURN, "free": free})
    runs = simulate(truth_spec, TRUTH, size=4000, seeds=[0, 1])
    observed = {k: sum(figure(m, k) for m in runs) / 2 for k in ("email_open_rate", "churned_share_per_year")}
    spec = parse_spec(
        {
            "plan": PLAN,
            "targets": {k: {"value": v, "sd": 0.03 * v} for k, v in observed.items()},
            "free": {
                "customer.email_exposure.base_rate": [0.1, 0.6],
                "customer.churn.hazard_max": {"low": 0.005, "high": 0.1, "log": True},
            },
        }
    )
    result = fit(spec, size=4000, seeds=2, trials=40, seed=1)
    assert result.params["customer.email_exposure.base_rate"] == pytest.approx(0.32, abs=0.03)
    assert result.params["customer.churn.hazard_max"] == pytest.approx(0.045, rel=0.3)
    check(spec, result, size=4000, seeds=2)
    assert all(abs(c.z) <= 2 for c in result.checked), [(c.key, c.z) for c in result.checked]


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"targets": {"open_rate": {"value": 0.2, "sd": 0.01}}}, "targets.open_rate is not allowed: not a figure"),
        ({"targets": {"email_open_rate": {"value": 0.2, "sd": 0}}}, "targets.email_open_rate.sd=0 is not allowed"),
        ({"targets": {"email_open_rate": {"value": 0.2}}}, "targets.email_open_rate is not allowed without sd"),
        ({"targets": CHURN, "free": {"strategy.name": [0, 1]}},
         "free.strategy.name is not allowed: a fitted parameter must be numeric"),
        ({"targets": CHURN, "free": {"customer.email_exposure.base_rate": [0.1, 1.5]}},
         "free.customer.email_exposure.base_rate=[0.1, 1.5] is not allowed: both bounds within the parameter's range"),
        ({"targets": CHURN, "free": {"customer.nope": [0, 1]}},
         "free.customer.nope is not allowed: not a parameter"),
        ({"targets": CHURN, "free": {"customer.churn.hazard_max": [0.05, 0.01]}},
         "free.customer.churn.hazard_max=[0.05, 0.01] is not allowed: bounds with low < high, got 0.05 and 0.01"),
        # A figure the model cannot produce: no search would reach it.
        ({"targets": {"email_open_rate": {"value": 1.3, "sd": 0.1}}},
         "targets.email_open_rate.value=1.3 is not allowed: between 0 and 1"),
        ({"targets": {"orders_per_customer_per_year": {"value": -1, "sd": 0.1}}},
         "targets.orders_per_customer_per_year.value=-1 is not allowed: >= 0"),
        ({"targets": CHURN, "extra": 1}, "extra is not allowed"),
        # A misspelt or missing key of a target or of bounds is named, with the keys allowed.
        ({"targets": {"churned_share": {"value": 0.1, "sd": 0.01, "sdd": 1}}},
         "targets.churned_share.sdd is not allowed: not a key of a target; allowed keys: value, sd"),
        ({"targets": {"churned_share": {"sd": 0.01}}}, "targets.churned_share is not allowed without value"),
        ({"targets": CHURN, "free": {"customer.trust.gain": {"low": 0.01, "high": 0.1, "lgo": True}}},
         "free.customer.trust.gain.lgo is not allowed: not a key of bounds; allowed keys: low, high, log"),
        # Fitted values reach a firm's runs only through the population and customer options.
        ({"targets": CHURN, "free": {"catalog.category_spread": [0.2, 1]}},
         "free.catalog.category_spread is not allowed: a parameter of population.* or customer.*"),
        ({"targets": CHURN, "free": {"seed": [0, 10]}}, "free.seed is not allowed: a parameter of population.*"),
        ({"targets": CHURN, "free": {"customer.visits.browse_items": [2, 10]}},
         "free.customer.visits.browse_items is not allowed: a fitted parameter must be a real number"),
    ],
)  # fmt: skip
def test_a_bad_targets_file_is_one_line_naming_the_key(raw, message):
    with pytest.raises(CalibrationError) as err:
        parse_spec(raw)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "text, message",
    [
        # Plain YAML keeps the last of two equal keys: the first target would go without a word.
        ("targets:\n  churned_share: {value: 0.1, sd: 0.01}\n  churned_share: {value: 0.2, sd: 0.01}\n",
         "t.yaml: churned_share is given twice in one mapping (lines 2 and 3); give each key once"),
        ("targets: {churned_share: {value: 0.1, sd: 0.01}}\ntargets: {email_open_rate: {value: 0.2, sd: 0.01}}\n",
         "t.yaml: targets is given twice in one mapping (lines 1 and 2)"),
        ("targets: [a\n", "t.yaml: not valid YAML, line 2 (expected ',' or ']'"),
    ],
)  # fmt: skip
def test_a_targets_file_that_yaml_would_read_wrongly_is_refused_with_its_line(tmp_path, text, message):
    (tmp_path / "t.yaml").write_text(text)
    with pytest.raises(CalibrationError) as err:
        load_spec(tmp_path / "t.yaml")
    assert message in str(err.value) and "\n" not in str(err.value)


def _calibrate(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CALIBRATE, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    "text, extra, message",
    [
        ("targets: {nope: {value: 1, sd: 1}}", [], "targets.nope is not allowed"),
        ("plan: [strategy=nonsense]\ntargets: {churned_share: {value: 0.1, sd: 0.01}}", [], "plan: strategy"),
        ("plan: [customer=default]\ntargets: {churned_share: {value: 0.1, sd: 0.01}}", [], "plan: customer=default"),
        # A sweep or plausible worlds in the plan: the fit would run one config and drop them.
        ("plan: [experiment=toilet_seat]\ntargets: {churned_share: {value: 0.1, sd: 0.01}}", [],
         "plan: experiment=toilet_seat is not allowed: it is a sweep of 15 runs"),
        ("plan: [uncertainty.worlds=4]\ntargets: {churned_share: {value: 0.1, sd: 0.01}}", [],
         "plan: uncertainty.worlds=4 is not allowed: the fit runs the model as it is, one world"),
        ("targets: {churned_share: {value: 0.1, sd: 0.01}}", ["--trials", "0"], "'0' is not allowed"),
        ("targets: {churned_share: {value: 0.1, sd: 0.01}}", ["--name", "../x"], "--name='../x' is not allowed"),
        # A bound that breaks a rule tying parameters together: the shares no longer sum to 1.
        ("targets: {churned_share: {value: 0.1, sd: 0.01}}\nfree: {population.segments.0.share: [0.2, 0.6]}", [],
         "free.population.segments.0.share=[0.2, 0.6] is not allowed: a run with population.segments.0.share=0.2 "
         "breaks a rule of the config"),
    ],
)  # fmt: skip
def test_the_command_refuses_bad_input_in_one_line_before_any_run(tmp_path, text, extra, message):
    (tmp_path / "t.yaml").write_text(text)
    args = ["t.yaml", "--name", "firm", "--out", "out", *extra]
    if "--name" in extra:
        args = ["t.yaml", "--out", "out", *extra]
    out = _calibrate(args, tmp_path)
    assert out.returncode == 2 and not out.stdout, out.stdout + out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("prepersona-calibrate: error: ") and message in line, line
    assert not (tmp_path / "out").exists()


def test_the_command_never_overwrites_a_file_it_did_not_write(tmp_path):
    (tmp_path / "out" / "population").mkdir(parents=True)
    mine = tmp_path / "out" / "population" / "firm.yaml"
    mine.write_text("name: firm\n")
    out = _calibrate([str(EXAMPLE), "--name", "firm", "--out", "out"], tmp_path)
    assert out.returncode == 2 and "was not written by a calibration" in out.stderr
    assert mine.read_text() == "name: firm\n"


@pytest.mark.parametrize(
    "out, message",
    [
        ("a_file", "--out='a_file' is not allowed: it is a file; give a directory"),
        ("a_file/out", "a_file is a file, so the directory cannot be created"),
        ("holder", "--out='holder' is not allowed: holder/population is a file, where the calibration writes its "
                   "population option (population/firm.yaml)"),
        ("", "argument --out: '' is not allowed: a directory's path"),
    ],
)  # fmt: skip
def test_an_output_directory_that_cannot_take_the_files_is_refused_before_any_run(
    tmp_path, monkeypatch, capsys, out, message
):
    # Found only when the files were written, after the whole search, it used to be a traceback.
    (tmp_path / "a_file").write_text("mine\n")
    (tmp_path / "holder").mkdir()
    (tmp_path / "holder" / "population").write_text("mine\n")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        calibrate_main([str(EXAMPLE), "--name", "firm", "--out", out])
    assert exit_.value.code == 2
    stdout, stderr = capsys.readouterr()
    assert not stdout, stdout
    (line,) = stderr.strip().splitlines()
    assert line.startswith("prepersona-calibrate: error: ") and message in line, line
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


@pytest.mark.slow
def test_the_example_calibrates_at_small_size_and_its_options_run(tmp_path):
    small = ["--size", "2000", "--seeds", "1", "--trials", "4", "--check-size", "2000", "--check-seeds", "2"]
    out = _calibrate([str(EXAMPLE), "--name", "hearth", "--out", "out", *small], tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "out" / "hearth-fit.json").read_text())
    assert set(report["targets"]) == set(parse_spec(__import__("yaml").safe_load(EXAMPLE.read_text())).targets)
    assert all(math.isfinite(t["z"]) for t in report["targets"].values()) and report["trials"] == 4
    assert (tmp_path / "out" / "hearth-fit.html").read_text().count("<tr>") >= 5
    # Where the search started: the first trial is the model's defaults, so the fit is no worse.
    assert report["fit_loss"] <= report["default_loss"]
    defaults = compose_config([])
    for key, p in report["parameters"].items():
        shipped = functools.reduce(getattr, key.split("."), defaults)
        assert p["default"] == pytest.approx(min(max(shipped, p["low"]), p["high"])), key
    page = (tmp_path / "out" / "hearth-fit.html").read_text()
    assert "at the model's defaults" in page and "<th>default</th><th>change</th>" in page
    # Each parameter's range consistent with the targets holds its fitted value; the options carry
    # those ranges (none here, maybe: 4 trials rarely come within 1 of the best loss).
    for p in report["parameters"].values():
        assert p["consistent_low"] <= p["value"] <= p["consistent_high"]
    for entry in report["fitted"]:
        p = report["parameters"][entry["key"]]
        assert entry["low"] <= p["consistent_low"] and p["consistent_high"] <= entry["high"]
    assert "<th>consistent with the targets</th>" in page
    assert ("<code>fitted:</code>" in page) == bool(report["fitted"])
    # The written options compose, and carry the fitted values.
    cfg = compose_config([f"hydra.searchpath=[file://{tmp_path / 'out'}]", "population=hearth", "customer=hearth"])
    fitted = report["parameters"]["customer.email_exposure.base_rate"]["value"]
    assert cfg.customer.email_exposure.base_rate == pytest.approx(fitted) and cfg.population.name == "hearth"
    # Running it again replaces its own files.
    again = _calibrate([str(EXAMPLE), "--name", "hearth", "--out", "out", *small], tmp_path)
    assert again.returncode == 0, again.stderr


def test_a_trial_config_is_the_composed_config_of_its_overrides():
    # The search sets each trial's values on a copy of the plan composed once: the same config
    # as composing the trial's overrides, and no trial's values leak into the next.
    spec = parse_spec({"plan": PLAN, "targets": CHURN})
    for params in (TRUTH, {"customer.churn.hazard_max": 0.01}, {}):
        for size, seed in ((3000, 1), (None, 0)):
            assert run_config(spec, params, size, seed) == compose_config(run_overrides(spec, params, size, seed))


def test_trials_that_break_a_rule_together_count_as_the_worst_and_are_reported(monkeypatch):
    # Each bound alone is checked before the search, but a combination of values can still break
    # a rule that ties parameters together (two segments' shares fitted at once). Here every
    # other trial's runs raise as such a run would: the search goes on and the report says so.
    spec = parse_spec({"plan": PLAN, "targets": CHURN, "free": {"customer.churn.hazard_max": [0.01, 0.05]}})
    real = fit.__globals__["simulate"]
    calls = []

    def simulate_breaking_every_other(spec, params, size, seeds):
        calls.append(params)
        if len(calls) % 2 == 0:
            raise ConfigError("population.segments[].share", 1.2, "shares that sum to 1")
        return real(spec, params, size, seeds)

    monkeypatch.setitem(fit.__globals__, "simulate", simulate_breaking_every_other)
    result = fit(spec, size=300, seeds=1, trials=4, seed=0)
    assert result.trials == 4 and math.isfinite(result.loss) and result.loss < 1e300
    assert any(w.startswith("2 of 4 trials broke a rule of the config") for w in result.warnings), result.warnings
    monkeypatch.setitem(fit.__globals__, "simulate", lambda *a: (_ for _ in ()).throw(ConfigError("k", 1, "rule")))
    with pytest.raises(CalibrationError, match="every trial broke a rule of the config"):
        fit(spec, size=300, seeds=1, trials=2, seed=0)


def _study(trials: list[tuple[float, dict]]):
    """A stand-in for an Optuna study: finished trials with their loss and parameters."""
    from types import SimpleNamespace

    return SimpleNamespace(trials=[SimpleNamespace(value=v, params=p) for v, p in trials])


def test_the_range_consistent_with_the_targets_spans_the_trials_near_the_best_loss():
    free = {"customer.churn.hazard_max": Prior(0.002, 0.08, "log"), "customer.engagement.buy_bias": Prior(-7, -3)}
    study = _study(
        [
            (5.0, {"customer.churn.hazard_max": 0.03, "customer.engagement.buy_bias": -5.0}),  # the best
            (5.9, {"customer.churn.hazard_max": 0.036, "customer.engagement.buy_bias": -4.9}),  # within 1
            (5.4, {"customer.churn.hazard_max": 0.028, "customer.engagement.buy_bias": -5.2}),  # within 1
            (6.2, {"customer.churn.hazard_max": 0.07, "customer.engagement.buy_bias": -3.1}),  # not
            (1e300, {"customer.churn.hazard_max": 0.002, "customer.engagement.buy_bias": -7}),  # broke a rule
        ]
    )
    ranges = consistent_ranges(free, study)
    assert ranges == {"customer.churn.hazard_max": (0.028, 0.036), "customer.engagement.buy_bias": (-5.2, -4.9)}
    bounds = {k: {"low": p.low, "high": p.high, "log": p.scale == "log"} for k, p in free.items()}
    spec = parse_spec({"plan": PLAN, "targets": CHURN, "free": bounds})
    result = Fit(params={}, loss=5.0, trials=5, ranges={**ranges, "customer.engagement.buy_bias": (-5.0, -5.0)})
    # Rounded outward to 4 digits; a range of one value (one trial that close) gives no entry.
    assert fitted_entries(spec, result) == [
        {"key": "customer.churn.hazard_max", "low": 0.028, "high": 0.036, "scale": "log"}
    ]
    result.ranges = {"customer.churn.hazard_max": (0.0123456, 0.0161111), "customer.engagement.buy_bias": (-7, -4.5)}
    entries = fitted_entries(spec, result)
    assert entries[0]["low"] == 0.01234 and entries[0]["high"] == 0.01612
    assert entries[1] == {"key": "customer.engagement.buy_bias", "low": -7.0, "high": -4.5, "scale": "linear"}


def test_plausible_worlds_draw_a_fitted_parameter_from_its_range_not_the_generic_prior(tmp_path):
    # Options as a calibration writes them, fitted on two parameters, one with a range.
    spec = parse_spec({"plan": PLAN, "targets": CHURN, "free": {
        "customer.churn.hazard_max": {"low": 0.002, "high": 0.08, "log": True},
        "population.segments.0.visit_rate_mean": [0.02, 0.3]}})  # fmt: skip
    params = {"customer.churn.hazard_max": 0.031, "population.segments.0.visit_rate_mean": 0.1}
    result = Fit(params=params, loss=1.0, trials=9, defaults=params, default_loss=2.0)
    result.ranges = {"customer.churn.hazard_max": (0.0289, 0.0342), "population.segments.0.visit_rate_mean": (0.1, 0.1)}
    settings = {"out": str(tmp_path), "size": 1000, "fit_seeds": 1, "check_size": 1000, "check_seeds": 1}
    write_outputs(tmp_path, "firm", spec, result, run_config(spec, params, None, 0), settings)
    options = [f"hydra.searchpath=[file://{tmp_path}]", "population=firm", "customer=firm", "uncertainty.worlds=8"]
    base = compose_config(options)
    assert [(r.key, r.low, r.high, r.scale) for r in base.customer.fitted] == [
        ("customer.churn.hazard_max", 0.0289, 0.0342, "log")
    ]
    assert base.population.fitted == []  # its parameter's range is a single value: no entry
    # A prior on it without bounds, as robust_frontier declares them: the fitted range.
    declared = compose_config(
        [*options, "uncertainty.priors=[{key:customer.churn.hazard_max},{key:customer.trust.gain}]"]
    )
    churn, gain = resolve_priors(declared)
    assert (churn.dist, churn.lo, churn.hi, churn.fitted) == ("loguniform", 0.0289, 0.0342, True)
    assert churn.describe() == "log-uniform 0.0289-0.0342, fitted to the firm's figures"
    assert not gain.fitted and "fitted" not in gain.describe()
    values = draw_worlds(declared).values[:, 0]
    assert ((values >= 0.0289) & (values <= 0.0342)).all()
    # Without declared priors: every assumption, and the fitted parameter over its range.
    every = {p.key: p for p in resolve_priors(base)}
    assert every["customer.churn.hazard_max"].fitted and every["customer.churn.hazard_max"].hi == 0.0342
    # Bounds given in the prior are the user's choice, and win.
    own = compose_config([*options, "uncertainty.priors=[{key:customer.churn.hazard_max,low:0.01,high:0.05}]"])
    (mine,) = resolve_priors(own)
    assert (mine.lo, mine.hi, mine.fitted) == (0.01, 0.05, False)


@pytest.mark.parametrize(
    "entry, message",
    [
        ("{key:population.size,low:1,high:2}", "key='population.size' is not allowed: a parameter of customer.*"),
        ("{key:customer.visits.browse_items,low:1,high:2}", "a real-valued parameter"),
        ("{key:customer.churn.nope,low:1,high:2}", "'nope' is not a key of customer.churn"),
        ("{key:customer.churn.hazard_max,low:0.03,high:0.02}", "fitted[0].high=0.02 is not allowed: greater than low"),
        ("{key:customer.email_exposure.base_rate,low:0.1,high:1.5}", "fitted[0].high=1.5 is not allowed: within"),
        ("{key:customer.churn.hazard_max,low:0.01,high:0.02,scale:cubic}", "scale='cubic' is not allowed: one of"),
    ],
)  # fmt: skip
def test_a_bad_fitted_range_is_one_line_naming_the_key(entry, message):
    with pytest.raises(PreflightError) as err:
        compose_config([f"customer.fitted=[{entry}]"])
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_parameter_is_not_pinned_when_its_consistent_range_spans_half_its_bounds():
    free = {"customer.engagement.buy_bias": Prior(-7, -3)}
    wide, narrow = {"customer.engagement.buy_bias": (-6.5, -4.0)}, {"customer.engagement.buy_bias": (-5.2, -4.9)}
    assert _not_pinned(free, wide, n_near=3) and not _not_pinned(free, narrow, n_near=3)
    assert not _not_pinned(free, wide, n_near=2)  # too few trials that close to say


def test_more_free_parameters_than_targets_is_a_warning():
    # One target cannot pin down two parameters, whatever the search finds; two can.
    two = {"customer.email_exposure.base_rate": [0.1, 0.6], "customer.churn.hazard_max": [0.005, 0.1]}
    one_target = parse_spec({"plan": PLAN, "targets": CHURN, "free": two})
    (warning,) = more_free_than_targets(one_target)
    assert warning.startswith("2 free parameters against 1 target: the targets cannot pin down every parameter")
    two_targets = parse_spec(
        {"plan": PLAN, "targets": {**CHURN, "email_open_rate": {"value": 0.2, "sd": 0.01}}, "free": two}
    )
    assert more_free_than_targets(two_targets) == []
    # The default six against the example's five targets.
    example = parse_spec(yaml.safe_load(EXAMPLE.read_text()))
    assert more_free_than_targets(example)[0].startswith("6 free parameters against 5 targets")


def test_figures_that_can_be_negative_or_above_one_are_targets_as_given():
    # Margin and value are net of the ads' cost; a per-year churn scaled from a short horizon
    # can exceed 1; relevance lies in [-1, 1].
    for key, value in (("margin", -5.0), ("churned_share_per_year", 1.4), ("perceived_relevance_mean", -0.5)):
        assert parse_spec({"targets": {key: {"value": value, "sd": 0.1}}}).targets[key].value == value


@pytest.mark.parametrize(
    "signum, status, word", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_ctrl_c_or_sigterm_stops_the_fit_in_one_line_and_writes_nothing(tmp_path, signum, status, word):
    args = [str(EXAMPLE), "--name", "firm", "--out", "out", "--size", "3000", "--trials", "200", "--seeds", "1"]
    proc = subprocess.Popen(
        [CALIBRATE, *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    for line in proc.stdout:  # the search has started
        if line.startswith("  trial 1/"):
            break
    os.killpg(proc.pid, signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == status, err
    # One line: neither a traceback nor the search's own report of the trial it stopped.
    assert err.strip().splitlines() == [
        f"prepersona-calibrate: {word}; nothing was written (run the command again to start over)"
    ]
    assert not (tmp_path / "out").exists()
