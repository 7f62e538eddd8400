"""The validation suite: the fact list is well formed, thresholds are constants, the judging and
the tables work on canned metrics, bad options are one line, and a small run goes end to end."""

from __future__ import annotations

import ast
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sim.validation import cli
from sim.validation.evaluate import judge
from sim.validation.facts import FACTS, loss_gain_ratio, obtrusive_targeting_ratio
from sim.validation.measures import REVENUE, click_through, metric, noticed_touches
from sim.validation.runner import QUICK, RunSet, Scale, overrides_of, settings_of
from sim.validation.settings import (
    NONE,
    OMNI_NONE,
    OMNI_RECOMMEND,
    PURCHASE_AWARE,
    SETTINGS,
    TRUST_ALL_IRRELEVANT,
    TRUST_ALL_RELEVANT,
    TRUST_FIXED,
)
from sim.validation.spec import Fact, Level, Lift, Ratio, Setting, Threshold
from sim.validation.table import (
    format_measured,
    format_threshold,
    format_value,
    markdown_page,
    markdown_table,
    short_source,
    summary,
    terminal_table,
)

ROOT = Path(__file__).parents[1]
FACTS_FILE = ROOT / "sim" / "validation" / "facts.py"


def canned(**values) -> dict:
    """A metrics dictionary with every counter the measures read, zero unless given."""
    m = {
        "customers": 1000,
        "revenue": 0.0,
        "visits": 0,
        "onsite_clicks": 0,
        "trust_mean_end": 0.5,
        "churned_share": 0.0,
        "channels": {
            ch: {"opens": 0, "clicks": 0, "optouts": 0, "optout_share": 0.0} for ch in ("email", "push", "ads")
        },
    }
    for key, value in values.items():
        if "__" in key:  # channels__push__opens=5
            _, ch, counter = key.split("__")
            m["channels"][ch][counter] = value
        else:
            m[key] = value
    return m


# --------------------------------------------------------------------------- the fact list


def test_the_suite_has_at_least_ten_well_formed_facts():
    assert len(FACTS) >= 10
    ids = [f.id for f in FACTS]
    assert len(ids) == len(set(ids)), "fact ids are unique"
    for f in FACTS:
        assert re.fullmatch(r"[a-z0-9_]+", f.id), f.id
        assert f.area in {"email", "push", "personalization", "ads", "privacy", "trust"}, f.id
        # A citation names its authors and a year; the other texts are sentences.
        assert re.search(r"\(\d{4}", f.citation), f"{f.id}: the citation has no year"
        for text in (f.finding, f.prediction, f.basis):
            assert len(text) > 20, f"{f.id}: {text!r}"
        assert isinstance(f.threshold, Threshold)
        assert f.settings, f"{f.id} runs no setting"
        assert all(isinstance(s, Setting) for s in f.settings)
    # Facts on every subject the suite is about, including ones the model misses today.
    assert {f.area for f in FACTS} >= {"email", "personalization", "ads", "privacy", "trust"}


def test_thresholds_are_constants_written_in_the_facts_file():
    # Every threshold is a Threshold(...) call in facts.py whose arguments are number literals
    # (or INF, optionally negated, and strict=True/False): nothing a run could have computed.
    tree = ast.parse(FACTS_FILE.read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Threshold"]
    assert len(calls) == len(FACTS)

    def constant(node) -> bool:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return constant(node.operand)
        if isinstance(node, ast.Name):
            return node.id == "INF"
        return isinstance(node, ast.Constant) and isinstance(node.value, int | float | bool)

    for call in calls:
        args = [*call.args, *(k.value for k in call.keywords)]
        assert all(constant(a) for a in args), ast.unparse(call)


def test_a_threshold_refuses_anything_but_an_ordered_pair_of_numbers():
    with pytest.raises(ValueError):
        Threshold(0.3, 0.2)
    with pytest.raises(TypeError):
        Threshold(lambda: 0.1, 0.2)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Threshold(math.nan, 1.0)


def test_settings_are_distinct_runs_and_each_is_used():
    used = settings_of(FACTS)
    assert {s.name for s in used} == {s.name for s in SETTINGS}
    assert len({s.key for s in SETTINGS}) == len(SETTINGS)
    with pytest.raises(ValueError, match="same runs"):
        settings_of([_fact(Level(Setting("a", ("strategy=none",)), REVENUE)), _fact(Level(NONE, REVENUE))])


def test_every_setting_is_a_valid_config():
    # The suite's overrides use keys that exist on this model: a renamed key fails here, not
    # minutes into `make validate`.
    from sim.config.preflight import compose_config

    for s in SETTINGS:
        cfg = compose_config(overrides_of(s, 1000))
        assert cfg.horizon_days == s.horizon_days and cfg.value.tail_days == 0


# --------------------------------------------------------------------------- figures on canned metrics


def test_measures_read_the_metrics():
    m = canned(visits=800, onsite_clicks=40, channels__email__opens=150, channels__email__clicks=10, revenue=5.0)
    assert metric(m, "channels.email.opens") == 150
    assert noticed_touches(m) == 950
    assert click_through(m) == pytest.approx(50 / 950)
    assert math.isnan(click_through(canned()))  # nothing noticed: no figure


def test_a_lift_and_a_ratio_compare_runs_of_one_seed():
    runs = {PURCHASE_AWARE.name: canned(revenue=110.0), NONE.name: canned(revenue=100.0)}
    assert Lift(PURCHASE_AWARE, NONE, REVENUE)(runs) == pytest.approx(0.10)
    assert Ratio(PURCHASE_AWARE, NONE, REVENUE)(runs) == pytest.approx(1.10)
    assert math.isnan(Ratio(PURCHASE_AWARE, NONE, REVENUE)({**runs, NONE.name: canned(revenue=0.0)}))


def test_the_loss_gain_ratio_on_constructed_runs():
    # 1000 customers; relevant touches add 0.02 of mean trust over 2000 touches (1e-2 per
    # touch), irrelevant ones remove 0.05 over 2500 touches (2e-2 per touch): ratio 2.
    runs = {
        TRUST_FIXED.name: canned(trust_mean_end=0.50, visits=2000),
        TRUST_ALL_RELEVANT.name: canned(trust_mean_end=0.52, visits=2000),
        TRUST_ALL_IRRELEVANT.name: canned(trust_mean_end=0.45, visits=2500),
    }
    assert loss_gain_ratio(runs) == pytest.approx(2.0)
    runs[TRUST_ALL_RELEVANT.name] = canned(trust_mean_end=0.50, visits=2000)  # no gain: no figure
    assert math.isnan(loss_gain_ratio(runs))


def test_the_obtrusive_targeting_ratio_on_constructed_runs():
    # Personalization doubles email click-through but only lifts push by half: 1.5 / 2 = 0.75.
    rec = canned(
        channels__push__opens=100, channels__push__clicks=6, channels__email__opens=100, channels__email__clicks=8
    )
    none = canned(
        channels__push__opens=100, channels__push__clicks=4, channels__email__opens=100, channels__email__clicks=4
    )
    assert obtrusive_targeting_ratio({OMNI_RECOMMEND.name: rec, OMNI_NONE.name: none}) == pytest.approx(0.75)


# --------------------------------------------------------------------------- judging


RANGE = Threshold(0.21, 0.23)


def _fact(figure, threshold=RANGE, unit="share", digits=1) -> Fact:
    return Fact(
        id="canned",
        area="email",
        finding="A canned finding for the tests.",
        citation="Nobody (2000), Journal of Tests",
        prediction="A canned prediction for the tests.",
        figure=figure,
        threshold=threshold,
        basis="made up for the tests only",
        unit=unit,
        digits=digits,
    )


OPEN_RATE = _fact(Level(NONE, REVENUE))


def test_a_level_inside_its_range_passes_and_outside_misses():
    assert judge(OPEN_RATE, [0.220, 0.221, 0.219, 0.220, 0.222]).passed
    out = judge(OPEN_RATE, [0.236, 0.238, 0.235, 0.237, 0.236])
    assert not out.passed and out.reason == "outside the threshold"


def test_a_mean_inside_whose_interval_crosses_an_end_misses():
    out = judge(OPEN_RATE, [0.2295, 0.2305, 0.2290, 0.2310, 0.2280])
    assert not out.passed and "crosses" in out.reason and OPEN_RATE.threshold.contains(out.mean)
    assert out.result == "missed (interval crosses an end)"


def test_a_direction_needs_its_interval_clear_of_no_effect():
    more = _fact(Level(NONE, REVENUE), Threshold(1.0, math.inf, strict=True), unit="ratio")
    assert judge(more, [1.10, 1.12, 1.09]).passed
    assert not judge(more, [1.0, 1.0, 1.0]).passed  # no effect at all is not "more"
    assert not judge(more, [0.98, 1.05, 1.02]).passed  # could be either way


def test_one_seed_is_judged_on_its_value_and_no_figure_is_a_miss():
    assert judge(OPEN_RATE, [0.22]).passed and not judge(OPEN_RATE, [0.25]).passed
    out = judge(OPEN_RATE, [math.nan, math.nan])
    assert not out.passed and out.reason.startswith("no figure") and out.result == "missed (no figure)"
    partial = judge(OPEN_RATE, [0.22, math.nan, 0.22])
    assert "1 of 3 seeds gave no figure" in partial.reason


def test_a_shipped_fact_passes_and_fails_on_constructed_metrics():
    fact = next(f for f in FACTS if f.id == "revenue_lift")
    scale = Scale("canned", 1000, (0, 1, 2))

    def runs(lifts):
        return RunSet(
            scale,
            {
                PURCHASE_AWARE.name: {s: canned(revenue=100.0 * (1 + x)) for s, x in enumerate(lifts)},
                NONE.name: {s: canned(revenue=100.0) for s in range(3)},
            },
            0.0,
            1,
        )

    from sim.validation.evaluate import evaluate

    assert evaluate([fact], runs([0.10, 0.11, 0.09]))[0].passed
    assert not evaluate([fact], runs([0.30, 0.31, 0.29]))[0].passed


# --------------------------------------------------------------------------- tables


def test_values_and_thresholds_read_as_the_tables_show_them():
    assert format_value(0.2236, "share", 1) == "22.4%"
    assert format_value(0.0026, "share", 3) == "0.260%"
    assert format_value(-0.037, "lift", 1) == "-3.7%"
    assert format_value(1.5, "ratio", 2) == "1.50x"
    assert format_value(math.nan, "ratio", 2) == "n/a"
    assert format_threshold(Threshold(0.21, 0.23), "share", 1) == "21.0% to 23.0%"
    assert format_threshold(Threshold(1.0, math.inf, strict=True), "ratio", 2) == "> 1.00x"
    assert format_threshold(Threshold(3.0, math.inf), "ratio", 2) == ">= 3.00x"
    assert format_threshold(Threshold(-math.inf, 0.5, strict=True), "share", 1) == "< 50.0%"
    assert short_source("Bhagat, Muralidharan, Lobzhanidze & Vishwanath (2018), KDD") == "Bhagat et al. (2018)"
    assert short_source("Bleier & Eisenbeiss (2015), Marketing Science") == "Bleier & Eisenbeiss (2015)"


def test_the_tables_list_every_fact_with_its_result():
    outcomes = [judge(OPEN_RATE, [0.22, 0.221, 0.219]), judge(_fact(Level(NONE, REVENUE)), [0.3, 0.31, 0.29])]
    assert format_measured(outcomes[0]).startswith("22.0% [")
    text = terminal_table(outcomes)
    lines = text.splitlines()
    assert len(lines) == 4 and lines[2].endswith("passed") and lines[3].endswith("missed (outside)")
    column = lines[0].index("result")  # columns line up
    assert lines[2][column:] == "passed" and lines[3][column:] == "missed (outside)"
    assert summary(outcomes) == "1 of 2 facts reproduced; missed: canned"
    md = markdown_table(outcomes)
    assert md.count("\n") == 3 and "| **passed** |" in md and "| missed (outside) |" in md
    runs = RunSet(QUICK, {NONE.name: {0: canned(), 1: canned()}}, 12.0, 2)
    page = markdown_page(outcomes[:1], runs, "today")
    assert page.startswith("# Validation against published findings")
    assert md.splitlines()[2] in page and "### `canned` (email): passed" in page


def test_the_readme_and_the_generated_page_list_every_fact():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Validation against published findings\n", 1)[1].split("\n## ", 1)[0]
    page = (ROOT / "docs" / "validation.md").read_text()
    for f in FACTS:
        assert f"| `{f.id}` |" in section, f"README: {f.id}"
        assert f"### `{f.id}`" in page, f"docs/validation.md: {f.id} (run make validate)"


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--only", "no_such_fact"], "--only=no_such_fact is not allowed: no such fact; available: email_open_rate"),
        (["--only", ","], "--only= is not allowed"),
        (["--jobs", "0"], "--jobs=0 is not allowed: at least 1"),
        (["--jobs", "two"], "argument --jobs: invalid int value: 'two'"),
        (
            ["--out", "no/such/dir/v.md"],
            "--out=no/such/dir/v.md is not allowed: the directory no/such/dir does not exist",
        ),
        # A directory even root cannot write in: found before the runs, not after them.
        (["--out", "/proc/v.md"], "--out=/proc/v.md is not allowed: the directory /proc cannot be written"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_a_bad_option_is_one_line_and_status_2(args, fragment, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(args)
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("prepersona-validate: error: ")
    assert fragment in err


def test_the_module_entry_point_refuses_a_bad_option_in_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "sim.validation", "--only", "nope"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1


def test_a_quick_run_of_one_fact_goes_end_to_end(tmp_path, capsys):
    out = tmp_path / "validation.md"
    cli.main(["--quick", "--only", "email_open_rate", "--jobs", "1", "--out", str(out)])  # returns: status 0
    stdout = capsys.readouterr().out
    assert re.search(r"email_open_rate .*\d+\.\d% \[\d+\.\d%, \d+\.\d%\]\s+(passed|missed)", stdout)
    assert re.search(r"[01] of 1 facts reproduced", stdout)
    page = out.read_text()
    assert "### `email_open_rate` (email)" in page and "2 seeds" in page
    # The page it wrote may be written again; a file of the user's may not.
    cli.main(["--quick", "--only", "email_open_rate", "--jobs", "1", "--out", str(out)])
    assert "### `email_open_rate` (email)" in out.read_text()
    mine = tmp_path / "notes.md"
    mine.write_text("my own notes\n")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--quick", "--only", "email_open_rate", "--out", str(mine)])
    assert exit_.value.code == 2 and mine.read_text() == "my own notes\n"
    assert "the file exists and was not written by prepersona-validate" in capsys.readouterr().err


def test_sigterm_stops_the_runs_in_one_line_and_writes_no_page(tmp_path):
    out = tmp_path / "v.md"
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "prepersona-validate"), "--quick", "--jobs", "2", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    first = proc.stderr.readline()  # the runs have started
    assert first.startswith(f"prepersona-validate: {len(FACTS)} facts"), first
    os.killpg(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert (
        "Traceback" not in err
        and err.strip().splitlines()[-1] == "prepersona-validate: terminated; nothing was written"
    )
    assert not out.exists()
