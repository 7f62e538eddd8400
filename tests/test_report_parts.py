"""The report's parts on hand-made run directories: planning, labels, baselines, refusals, ranking, tables, page.

Every sweep here is a few ``metrics.json`` files written by the test (see ``report_helpers.fake_run``),
so each case is exact and fast.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from report_helpers import fake_run, legend_below_x_label

from sim.report import MixedConfigs, UnknownBaseline, write_report
from sim.report.baseline import resolve_baseline
from sim.report.charts import PALETTE, _styles
from sim.report.collect import collect
from sim.report.intervals import Interval, paired_difference
from sim.report.labels import plain_duration, plain_override
from sim.report.ownership import record_report_files
from sim.report.planning import MAX_SEEDS, power, seeds_for_power
from sim.report.tables import summarize

BIN = Path(sys.executable).parent


def summary_of(root: Path, baseline: str | None = None):
    sweep = collect(root)
    return summarize(sweep, resolve_baseline(sweep, baseline))


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def report_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "prepersona-report"), *args], capture_output=True, text=True, timeout=120)


# ---------------------------------------------------------------------------------- planning
@pytest.mark.parametrize(
    "effect, seeds",
    [
        # Sample sizes of the two-sided one-sample (paired) t-test at alpha 0.05 and power 0.8, as
        # in any power table (Cohen 1988; G*Power): d = 0.5 needs 34, d = 0.8 needs 15, d = 1 needs 10.
        (0.5, 34),
        (0.8, 15),
        (1.0, 10),
        (0.2, 199),
    ],
)
def test_seeds_for_power_match_the_power_tables(effect, seeds):
    assert seeds_for_power(Interval(3, effect, 0.0, 0.0, 1.0)) == seeds
    assert power(seeds, effect) >= 0.8 > power(seeds - 1, effect)


def test_seeds_for_power_deliver_that_power_in_simulated_sweeps():
    # Follow-up sweeps of the planned size, with normal per-seed differences of the observed mean
    # and spread: about 80% of their paired intervals exclude zero (the old "interval just excludes
    # zero at the observed effect" rule gave about 50%).
    from scipy import stats

    diff = paired_difference([10.0, 14.0, 6.0, 12.0], [9.0, 10.0, 6.5, 8.0])  # mean 2.125, sd 1.9
    n = int(seeds_for_power(diff))
    rng = np.random.default_rng(7)
    samples = rng.normal(diff.mean, diff.sd, size=(4000, n))
    shown = stats.ttest_1samp(samples, 0.0, axis=1).pvalue < 0.05
    assert 0.77 < shown.mean() < 0.83, (n, shown.mean())


def test_seeds_for_power_edge_cases():
    assert math.isnan(seeds_for_power(paired_difference([7.0], [5.0])))  # one pair: no spread
    assert seeds_for_power(paired_difference([1.0, 2.0], [1.0, 2.0])) == math.inf  # no difference at all
    # Identical settings whose float sums differ by rounding alone: still "never".
    assert seeds_for_power(paired_difference([0.1 + 0.2, 0.3, 0.7], [0.3, 0.1 + 0.2, 0.7])) == math.inf
    assert seeds_for_power(paired_difference([2.0, 3.0, 4.0], [1.0, 2.0, 3.0])) == 2  # no spread
    assert seeds_for_power(Interval(3, 1e-4, 0.0, 0.0, 1.0)) == MAX_SEEDS + 1  # negligible


# ---------------------------------------------------------------------------------- labels
@pytest.mark.parametrize(
    "override, words",
    [
        ("campaign.scheduled.newsletter.cadence=3.5d", "email every 3.5 days"),
        ("campaign.scheduled.newsletter.cadence=1d", "email every day"),
        ("campaign.scheduled.newsletter.cadence=12h", "email every 12 hours"),
        ("campaign.scheduled.app.cadence=2w", "push notification every 14 days"),
        ("campaign.limits.ads.cap_per_day=1", "at most 1 ad a day"),
        ("campaign.limits.email.cap_per_week=2", "at most 2 emails a week"),
        ("campaign.limits.ads.cap_per_day=0", "no cap on ads a day"),
        ("strategy.retarget_stop_after_purchase=true", "ads stop after a purchase"),
        ("strategy.retarget_stop_after_purchase=false", "ads go on after a purchase"),
        ("strategy=recommend", "recommend"),
        ("campaign=retargeting", "retargeting campaign"),
        ("population.size=20000", "20,000 customers"),
        ("customer.trust.loss_creepy=0.3", "trust loss creepy: 0.3"),
        ("strategy.explained=true", "strategy explained: yes"),
    ],
)
def test_an_override_in_plain_words(override, words):
    config = {"campaign": {"scheduled": {"newsletter": {"channel": "email"}, "app": {"channel": "push"}}}}
    assert plain_override(override, config) == words


def test_durations_in_words():
    assert [plain_duration(t) for t in ("1d", "7d", "1h", "36h", "soon")] == [
        "day",
        "7 days",
        "hour",
        "1.5 days",
        "soon",
    ]


def test_settings_are_labelled_by_what_varies_in_words(tmp_path):
    config = {"campaign.scheduled.newsletter.channel": "email"}
    for n, (cadence, seed) in enumerate(itertools.product(("3.5d", "7d"), (0, 1))):
        overrides = ["strategy=recommend", f"campaign.scheduled.newsletter.cadence={cadence}", f"seed={seed}"]
        fake_run(tmp_path, str(n), overrides, {"revenue": 1.0 + n}, config=config)
    sweep = collect(tmp_path)
    assert sorted(sweep.labels().values()) == ["email every 3.5 days", "email every 7 days"]
    assert sorted(sweep.raw_labels().values()) == [
        "campaign.scheduled.newsletter.cadence=3.5d",
        "campaign.scheduled.newsletter.cadence=7d",
    ]


def test_settings_whose_words_coincide_keep_their_overrides(tmp_path):
    # "1d" and "24h" read the same in words: both keep their raw spelling, so labels stay unique.
    for n, cadence in enumerate(("1d", "24h")):
        fake_run(tmp_path, str(n), [f"campaign.scheduled.newsletter.cadence={cadence}", "seed=0"], {"revenue": 1.0})
    assert sorted(collect(tmp_path).labels().values()) == [
        "campaign.scheduled.newsletter.cadence=1d",
        "campaign.scheduled.newsletter.cadence=24h",
    ]


def test_twelve_settings_get_twelve_distinct_colours_and_more_get_distinct_styles():
    def lab(hex_colour: str) -> np.ndarray:  # sRGB -> CIELAB (D65)
        rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
        rgb = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
        f = np.cbrt(xyz / np.array([0.95047, 1.0, 1.08883]))
        return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])

    assert len(set(PALETTE)) >= 12
    assert min(np.linalg.norm(lab(a) - lab(b)) for a, b in itertools.combinations(PALETTE[:12], 2)) > 25
    styles = _styles(list(range(30)))
    assert len({s[0] for s in styles[:12]}) == 12 and len(set(styles)) == 30


# ------------------------------------------------------------------------------ point labels
def _label_boxes(ax, labels):
    """Display boxes of the placed labels' text (without their leader lines)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    renderer = FigureCanvasAgg(ax.figure).get_renderer()
    boxes = []
    for label in labels:
        label.get_window_extent(renderer)  # positions the text
        boxes.append(Text.get_window_extent(label, renderer))
    return boxes, ax.get_window_extent(renderer), renderer


def test_crowded_points_get_labels_that_cover_no_other_label_or_point():
    from matplotlib.figure import Figure

    from sim.report.placement import place_labels

    rng = np.random.default_rng(3)
    # Eight settings within a few percent of each other, as near a baseline, and two far out.
    xy = np.vstack([rng.normal([0.0, 0.0], [0.004, 500.0], size=(8, 2)), [[0.04, 8000.0], [-0.04, -6000.0]]])
    texts = [f"setting_number_{i}" for i in range(len(xy))]
    fig = Figure(figsize=(8, 5.2))
    ax = fig.add_subplot()
    ax.plot(xy[:, 0], xy[:, 1], "o", ms=8)
    ax.margins(x=0.12, y=0.08)
    fig.tight_layout()
    order = [8, 9, *range(8)]  # the two far ones claim their place first
    placed = place_labels(ax, xy, texts, order=order)
    labels = [p for p in placed if p is not None]
    assert placed[8] is not None and placed[9] is not None
    assert len(labels) >= 8  # crowded, yet most find a free place
    boxes, area, renderer = _label_boxes(ax, labels)
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    px = fig.dpi / 72
    markers = [ax.transData.transform(p) for p in xy]
    for box in boxes:
        assert area.x0 <= box.x0 and box.x1 <= area.x1 and area.y0 <= box.y0 and box.y1 <= area.y1
        for cx, cy in markers:  # no label covers a marker (8 points wide)
            assert not (box.x0 < cx + 4 * px and cx - 4 * px < box.x1 and box.y0 < cy + 4 * px and cy - 4 * px < box.y1)
    # The same points give the same picture.
    again = Figure(figsize=(8, 5.2))
    ax2 = again.add_subplot()
    ax2.plot(xy[:, 0], xy[:, 1], "o", ms=8)
    ax2.margins(x=0.12, y=0.08)
    again.tight_layout()
    placed2 = place_labels(ax2, xy, texts, order=order)
    assert [p is None for p in placed] == [p is None for p in placed2]
    assert [p.xyann for p in labels] == [p.xyann for p in placed2 if p is not None]


def test_the_value_trust_chart_labels_crowded_settings_without_overlaps(tmp_path):
    from matplotlib.text import Annotation

    from sim.report.charts import _value_vs_trust

    names = ["none", "popular", "segment_rules", "recommend", "recommend_explained", "recommend_purchase_aware",
             "retarget_naive", "inferred_sensitive", "transparent_consented", "aggressive"]  # fmt: skip
    for k, name in enumerate(names):
        for seed in range(3):
            # All within a hair of the baseline but two: the crowd every default sweep shows.
            lift = {8: 8000.0, 7: -6000.0}.get(k, 150.0 * (k % 4) - 200.0)
            trust = {8: 0.04, 7: -0.04}.get(k, 0.002 * (k % 3) - 0.002)
            metrics = {"value": 80_000 + lift + 37 * seed * k, "trust_mean_end": 0.6 + trust + 0.0003 * seed}
            fake_run(tmp_path, f"{k}/{seed}", [f"strategy={name}", f"seed={seed}"], metrics)
    summary = summary_of(tmp_path)
    fig, _, caption = _value_vs_trust(summary, _styles(summary.settings))
    ax = fig.axes[0]
    labels = [t for t in ax.texts if isinstance(t, Annotation)]
    boxes, area, _ = _label_boxes(ax, labels)
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    shown = {t.get_text() for t in labels}
    assert {"transparent_consented", "inferred_sensitive", "none"} <= shown
    # A setting left without a label is named by the legend, and the caption says so.
    assert (len(shown) < len(names)) == ("left to the legend" in caption)
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert set(names) - shown <= {name.replace(" (baseline)", "") for name in legend}
    assert legend_below_x_label(fig)


# ---------------------------------------------------------------------------------- baselines
def cadence_sweep(root: Path, baseline: str | None = None) -> Path:
    config = {"campaign.scheduled.newsletter.channel": "email"}
    if baseline is not None:
        config["experiment.baseline"] = baseline
    for n, (cadence, seed) in enumerate(itertools.product(("1d", "7d", "14d"), (0, 1, 2))):
        overrides = ["strategy=recommend", f"campaign.scheduled.newsletter.cadence={cadence}", f"seed={seed}"]
        revenue = {"1d": 120.0, "7d": 100.0, "14d": 90.0}[cadence] + 10 * seed + (seed == 1) * (cadence == "1d")
        fake_run(root, str(n), overrides, {"revenue": revenue, "margin": revenue / 4}, config=config)
    return root


@pytest.mark.parametrize(
    "name",
    ["email every 7 days", "campaign.scheduled.newsletter.cadence=7d", "campaign.scheduled.newsletter.cadence=7.0d"],
)
def test_a_baseline_named_by_label_or_by_overrides(tmp_path, name):
    if name.endswith("7.0d"):  # another spelling of the same value does not match a text value
        with pytest.raises(UnknownBaseline):
            summary_of(cadence_sweep(tmp_path), name)
        return
    summary = summary_of(cadence_sweep(tmp_path), name)
    daily = summary.by_label("email every day")
    assert daily.baseline == "email every 7 days" and summary.by_label("email every 7 days").is_baseline
    # Seed by seed: 120 - 100, 121 - 100, 120 - 100.
    assert daily.diff["revenue"].mean == pytest.approx(20 + 1 / 3)
    assert daily.lift["revenue"].mean == pytest.approx((20 + 1 / 3) / 110)


def test_the_experiment_names_the_baseline_and_the_command_line_overrides_it(tmp_path):
    summary = summary_of(cadence_sweep(tmp_path, baseline="campaign.scheduled.newsletter.cadence=7d"))
    assert summary.baseline.source == "experiment.baseline"
    assert {s.baseline for s in summary.settings} == {"email every 7 days"}
    summary = summary_of(tmp_path, "email every 14 days")
    assert summary.baseline.source == "--baseline" and {s.baseline for s in summary.settings} == {"email every 14 days"}


def test_an_unknown_baseline_is_one_line_naming_the_settings(tmp_path):
    cadence_sweep(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = report_cli(str(tmp_path), "--baseline", "weekly")
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("prepersona-report: error: --baseline 'weekly' names no setting")
    assert "email every day; email every 7 days; email every 14 days" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_an_unknown_experiment_baseline_is_one_line_too(tmp_path):
    cadence_sweep(tmp_path, baseline="campaign.scheduled.newsletter.cadence=3d")
    proc = report_cli(str(tmp_path))
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "experiment.baseline='campaign.scheduled.newsletter.cadence=3d' names no setting" in line
    assert "email every 7 days" in line


def test_a_strategy_baseline_pairs_within_the_other_overrides(tmp_path):
    # strategy x cadence: each strategy is paired with `none` at the same cadence.
    for i, (strategy, cadence, seed) in enumerate(
        (s, c, seed) for s in ("none", "recommend") for c in (3.5, 7.0) for seed in (0, 1)
    ):
        fake_run(
            tmp_path,
            str(i),
            [f"strategy={strategy}", f"campaign.email.cadence_days={cadence}", f"seed={seed}", "population.size=100"],
            {"revenue": 100 * (1 + (strategy == "recommend")) + cadence + seed, "trust_mean_end": 0.5},
        )
    summary = summary_of(tmp_path)
    labels = {s.label: s for s in summary.settings}
    assert set(labels) == {f"{s}, email cadence days: {c}" for s in ("none", "recommend") for c in (3.5, 7.0)}
    rec = labels["recommend, email cadence days: 7.0"]
    assert rec.baseline == "none, email cadence days: 7.0"
    assert rec.diff["revenue"].mean == pytest.approx(100.0) and rec.diff["revenue"].sd == 0


def test_without_none_and_without_a_named_baseline_nothing_is_paired_and_the_page_says_so(tmp_path):
    for seed in (0, 1):
        fake_run(tmp_path, f"a{seed}", ["strategy=recommend", f"seed={seed}"], {"revenue": 10.0 + seed})
        fake_run(tmp_path, f"b{seed}", ["strategy=popular", f"seed={seed}"], {"revenue": 11.0 + 3 * seed})
    html = write_report(tmp_path).read_text()
    assert {r["baseline"] for r in read_csv(tmp_path / "strategies.csv")} == {""}
    assert "There is no baseline (no setting is the baseline “none”)" in html
    assert "popular</b> (12" in html  # the highest mean revenue, named with its interval


# ---------------------------------------------------------------------------------- refusals
def test_runs_of_one_setting_with_different_horizons_are_refused_not_averaged(tmp_path):
    fake_run(tmp_path, "a", ["strategy=none", "seed=0"], {"revenue": 1.0, "horizon_days": 30, "customers": 100})
    fake_run(tmp_path, "b", ["strategy=none", "seed=1"], {"revenue": 2.0, "horizon_days": 60, "customers": 100})
    with pytest.raises(
        MixedConfigs, match="the runs of setting “none” differ in horizon: 30 days in a/, 60 days in b/"
    ):
        collect(tmp_path)
    proc = report_cli(str(tmp_path))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "differ in horizon" in proc.stderr and not (tmp_path / "report.html").exists()


def test_runs_of_one_setting_differing_in_any_config_key_are_refused(tmp_path):
    for seed, loss in ((0, 0.25), (1, 0.3)):
        fake_run(
            tmp_path,
            str(seed),
            ["strategy=none", f"seed={seed}"],
            {"revenue": 1.0},
            config={"customer.trust.loss_creepy": loss},
        )
    with pytest.raises(MixedConfigs, match=r"differ in `customer.trust.loss_creepy`: 0.25 in 0/, 0.3 in 1/"):
        collect(tmp_path)


def test_settings_differing_in_population_size_without_an_override_are_refused(tmp_path):
    fake_run(tmp_path, "a", ["strategy=none", "seed=0"], {"customers": 2000}, config={"population.size": 2000})
    fake_run(tmp_path, "b", ["strategy=recommend", "seed=0"], {"customers": 1000}, config={"population.size": 1000})
    with pytest.raises(MixedConfigs, match="the settings differ in population size .*2,000 customers in “none”"):
        collect(tmp_path)
    # The same sizes set by an override of the sweep are settings of their own: compared, not refused.
    for name, size in (("c", 2000), ("d", 1000)):
        fake_run(tmp_path / "ok", name, [f"population.size={size}", "seed=0"], {"customers": size})
    assert len(collect(tmp_path / "ok").settings()) == 2


def test_seed_and_neutral_keys_may_differ_within_a_setting(tmp_path):
    for seed, threads in ((0, 1), (1, 2)):
        fake_run(
            tmp_path,
            str(seed),
            ["strategy=none", f"seed={seed}", f"threads={threads}"],
            {"revenue": 1.0},
            config={"threads": threads, "output.journeys": 10 * threads, "experiment.question": f"q{seed}?"},
        )
    assert len(collect(tmp_path).runs) == 2


# ---------------------------------------------------------------------------------- ranking and money
def money_sweep(root: Path, with_value: bool, currency: str = "") -> Path:
    for strategy, seed in itertools.product(("none", "recommend", "aggressive"), (0, 1, 2)):
        k = {"none": 0, "recommend": 1, "aggressive": 2}[strategy]
        metrics = {
            "revenue": 1000.0 + 300 * k + 10 * seed,  # aggressive earns the most revenue ...
            "margin": 400.0 + 50 * k - 40 * k * k + 5 * seed + seed * (k == 1),  # ... recommend the most margin
            "trust_mean_end": 0.6 - 0.05 * k + 0.01 * seed,
            "persofails": 3 * k + seed,
            "creepy_touches": 0,
        }
        if with_value:
            metrics["value"] = metrics["margin"] + 100.0 * (2 - k)  # none keeps the most customers
        fake_run(
            root,
            f"{strategy}{seed}",
            [f"strategy={strategy}", f"seed={seed}"],
            metrics,
            config={"report.currency": currency},
        )
    return root


def test_the_ranking_is_by_value_when_the_runs_have_it_else_by_margin(tmp_path):
    by_margin = summary_of(money_sweep(tmp_path / "m", with_value=False))
    assert by_margin.rank_metric == "margin" and [s.label for s in by_margin.settings][0] == "recommend"
    by_value = summary_of(money_sweep(tmp_path / "v", with_value=True))
    assert by_value.rank_metric == "value" and [s.label for s in by_value.settings] == [
        "none",
        "recommend",
        "aggressive",
    ]
    html = write_report(tmp_path / "v").read_text()
    assert "Settings ranked by value" in html and "margin plus the value of the customers kept" in html
    assert "Settings ranked by margin" in write_report(tmp_path / "m").read_text()


def test_money_carries_the_currency_and_the_lift_and_all_zero_columns_are_dropped(tmp_path):
    html = write_report(money_sweep(tmp_path, with_value=False, currency="EUR")).read_text()
    ranking = html.split('id="ranking-table"', 1)[1].split("</table>", 1)[0].replace("\u00a0", " ")
    assert "<th>margin, EUR</th>" in ranking and "<th>revenue, EUR</th>" in ranking
    assert "<th>persofails</th>" in ranking and "creepy" not in ranking  # 0 in every run: left out
    assert "No run had any creepy touches: that column is left out." in html
    # recommend against none, seed by seed: margin +10, +11, +12 -> +11 ± t(0.975, 2) * 1 / sqrt(3) = 2.48,
    # interval [8.5, 13.5]; lift = 11 / 405 (none's mean margin) = +2.7% ± 0.6.
    assert "Δ +11 ± 2" in ranking and "+2.7% ± 0.6" in ranking
    answer = html.split('<section id="answer">', 1)[1].split("</section>", 1)[0]
    assert "<b>recommend</b> adds the most margin: +11 EUR (+2.7%), 95% interval [+9 EUR to +13 EUR]" in answer
    assert "<b>aggressive</b> earns the most: +600 EUR" in answer


def test_the_answer_says_when_the_seeds_were_not_enough_and_plans_for_80_percent_power(tmp_path):
    for strategy, seed in itertools.product(("none", "recommend"), (0, 1, 2)):
        noise = [5.0, -4.0, 1.0][seed] if strategy == "recommend" else 0.0
        fake_run(
            tmp_path, f"{strategy}{seed}", [f"strategy={strategy}", f"seed={seed}"], {"margin": 100.0 + seed + noise}
        )
    summary = summary_of(tmp_path)
    rec = summary.by_label("recommend")
    assert not rec.diff["margin"].excludes_zero
    need = int(seeds_for_power(rec.diff["margin"]))
    html = write_report(tmp_path).read_text()
    expected = f"the margin difference is not clear (its interval includes zero): about {need:,} seeds would show it"
    assert f"{expected} with 80% power" in html


# ---------------------------------------------------------------------------------- tables and page
def test_unknown_nested_and_missing_metrics_are_taken_as_they_come(tmp_path):
    channels = {"email": {"sends": 10, "opens": 3, "optouts": 1, "deferred_by_quiet_hours": 0}, "ads": {"sends": 50}}
    fake_run(tmp_path, "0", ["strategy=none", "seed=0"], {"revenue": 10.0, "channels": channels, "note": "x"})
    fake_run(tmp_path, "1", ["strategy=none", "seed=1"], {"revenue": 12.0, "brand_new": 3, "flag": True})
    (tmp_path / "report_charts").mkdir()
    (tmp_path / "report_charts" / "segments.png").write_bytes(b"from an earlier report")
    (tmp_path / "daily.parquet").write_bytes(b"from an earlier report")
    record_report_files(tmp_path)  # as an earlier report wrote them
    write_report(tmp_path)
    assert list((tmp_path / "report_charts").iterdir()) == []  # no segments.csv: no segment chart, old one gone
    assert not (tmp_path / "daily.parquet").exists()  # no run has a daily series: none at sweep level either
    rows = read_csv(tmp_path / "runs.csv")
    assert rows[0]["channels.email.sends"] == "10" and rows[0]["channels.ads.sends"] == "50"
    assert rows[1]["channels.email.sends"] == "" and rows[1]["brand_new"] == "3" and "flag" not in rows[1]
    html = (tmp_path / "report.html").read_text()
    assert "trust at the end" not in html.split('id="ranking-table"', 1)[1].split("</table>")[0]
    # Per-channel tables in words; a counter 0 in every run is left out.
    email = html.split('id="channel-email"', 1)[1].split("</table>")[0]
    assert "<th>sent</th><th>opened</th><th>opted out</th>" in email and "quiet" not in email
    assert "<th>served</th>" in html.split('id="channel-ads"', 1)[1].split("</table>")[0]


def test_the_sweep_tables_stack_every_run_with_its_keys(tmp_path):
    import pandas as pd

    for strategy, seed in itertools.product(("none", "recommend"), (0, 1)):
        fake_run(
            tmp_path,
            f"{strategy}/{seed}",
            [f"strategy={strategy}", f"seed={seed}"],
            {"revenue": 1.0},
            daily=[{"day": d, "trust_mean": 0.5 + 0.01 * d + seed} for d in range(3)],
            segments=[{"segment": "loyal", "revenue": 2.0 + seed}, {"segment": "new", "revenue": 1.0}],
        )
    write_report(tmp_path)
    daily = pd.read_parquet(tmp_path / "daily.parquet")
    assert list(daily.columns[:4]) == ["run_dir", "setting", "seed", "strategy"]
    assert {"override.strategy", "override.seed"} <= set(daily.columns)
    assert len(daily) == 4 * 3 and set(daily.setting) == {"none", "recommend"}
    one = daily[(daily.setting == "recommend") & (daily.seed == 1)]
    assert one.trust_mean.tolist() == pytest.approx([1.5, 1.51, 1.52]) and set(one.run_dir) == {"recommend/1"}
    segments = pd.read_parquet(tmp_path / "segments.parquet")
    assert len(segments) == 8 and segments.groupby("segment").revenue.sum()["loyal"] == pytest.approx(2 * (2 + 3))
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert len(daily.merge(runs[["run_dir", "revenue"]], on="run_dir")) == 12  # they join on run_dir


def test_behaviors_metrics_land_in_the_tables_and_the_page(tmp_path):
    for strategy, seed in itertools.product(("none", "aggressive"), (0, 1)):
        told = 10 * seed + (40 if strategy == "aggressive" else 0)
        fake_run(
            tmp_path,
            f"{strategy}{seed}",
            [f"strategy={strategy}", f"seed={seed}"],
            {"revenue": 1.0, "behaviors": {"word_of_mouth": {"contacts_told": told}}},
        )
    write_report(tmp_path)
    row = next(r for r in read_csv(tmp_path / "strategies.csv") if r["setting"] == "aggressive")
    assert float(row["behaviors.word_of_mouth.contacts_told_diff"]) == 40.0
    html = (tmp_path / "report.html").read_text()
    table = html.split('id="behaviors-table"', 1)[1].split("</table>")[0].replace("\u00a0", " ")
    assert "<th>word of mouth: contacts told</th>" in table and "Δ +40" in table


def test_a_team_template_replaces_the_page_and_a_broken_one_is_one_line(tmp_path):
    money_sweep(tmp_path, with_value=False)
    mine = tmp_path / "brand.html.j2"
    mine.write_text("<h1>ACME</h1><p>{{ answer.question }}</p>{% for p in answer.parts %}{{ p.text }}{% endfor %}")
    html = write_report(tmp_path, template=mine).read_text()
    assert html.startswith("<h1>ACME</h1><p>Which setting wins on margin against trust?</p>Against none")
    mine.write_text("{{ answer.nosuch.thing }}")
    proc = report_cli(str(tmp_path), "--template", str(mine))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "--template" in proc.stderr


def _snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in directory.rglob("*")
        if p.is_file()
    }


def test_a_report_that_fails_midway_changes_nothing_and_leaves_no_stage(tmp_path, monkeypatch):
    # The page and the tables beside it must match: a report that stops before its page is
    # rendered (a broken template, Ctrl-C) used to have replaced the tables and charts already.
    import sim.report.write as write

    money_sweep(tmp_path, with_value=False)
    write_report(tmp_path)
    before = _snapshot(tmp_path)
    broken = tmp_path.parent / "broken.html.j2"
    broken.write_text("{{ answer.nosuch.thing }}")
    import sim.report.cli as cli

    with pytest.raises(SystemExit) as exit_:
        cli.main([str(tmp_path), "--template", str(broken)])
    assert exit_.value.code == 2
    assert _snapshot(tmp_path) == before

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(write, "render_report", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_report(tmp_path)
    assert _snapshot(tmp_path) == before
    monkeypatch.undo()
    # A stage left by a report killed outright is cleared by the next one; the stage of a report
    # still running (this process stands for it) is left alone.
    import socket

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname()
    (tmp_path / f"{write.STAGE_PREFIX}{host}-{dead.stdout.strip()}-x" / "report_charts").mkdir(parents=True)
    running = tmp_path / f"{write.STAGE_PREFIX}{host}-{os.getpid()}-y"
    running.mkdir()
    write_report(tmp_path)
    assert list(tmp_path.glob(write.STAGE_PREFIX + "*")) == [running]
    running.rmdir()
    assert set(_snapshot(tmp_path)) == set(before)


def test_the_page_escapes_what_comes_from_the_runs(tmp_path):
    fake_run(tmp_path, "0", ["strategy=<b>x</b>", "seed=0"], {"revenue": 1.0})
    html = write_report(tmp_path).read_text()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_the_report_node_never_changes_the_config_hash(small_config):
    from sim.sweep.resume import config_hash

    assert config_hash(small_config("report.currency=EUR")) == config_hash(small_config())
    assert config_hash(small_config("experiment.baseline=none")) == config_hash(small_config())


def test_item_names_change_no_draw():
    from sim.catalog import Catalog, Category

    def catalog(names):
        cats = [
            Category("a", "durable", 100, "ordinary", 1.0, 10.0, 0.4, 0.3, names),
            Category("b", "consumable", 30, "ordinary", 2.0, 5.0, 0.3, 0.3),
        ]
        return Catalog(cats, 30, 4, 0.5, np.random.default_rng(3))

    named, plain = catalog(("toilet seat", "bath mat")), catalog(())
    for attr in ("features", "category", "price", "margin", "centroids"):
        assert np.array_equal(getattr(named, attr), getattr(plain, attr))
    assert [named.item_name(i) for i in range(3)] == ["toilet seat", "bath mat", "toilet seat"]
    assert named.item_name(29) == "" and plain.item_name(0) == ""


def test_a_behavior_declares_metrics_that_land_in_metrics_json(small_config):
    from sim.behaviors.word_of_mouth import WordOfMouth
    from sim.metrics import behavior_metrics
    from sim.scenario import Scenario

    wom = WordOfMouth()
    wom.name = "word_of_mouth"
    result = Scenario(small_config("strategy=inferred_sensitive"), behaviors=[wom]).run()
    assert result.metrics["behaviors"] == {"word_of_mouth": {"contacts_told": float(wom.told)}} and wom.told > 0

    class Bad(WordOfMouth):
        def metrics(self, pop):
            return {"told": "many"}

    bad = Bad()
    bad.name = "bad"
    with pytest.raises(ValueError, match=re.escape("behaviors.bad: metrics() gave 'told'='many'; allowed")):
        behavior_metrics([bad], None)


def test_the_report_replaces_only_its_own_files_in_a_directory_prepersona_did_not_make(tmp_path):
    from sim.report import NotTheReportsFile

    for seed in range(2):  # run directories gathered by hand: no sweep manifest
        fake_run(tmp_path, str(seed), ["strategy=recommend", f"seed={seed}"], {"value": 100.0 + seed})
    (tmp_path / "report.html").write_text("the team's own page")
    with pytest.raises(NotTheReportsFile, match="report.html exists and was not written by a report"):
        write_report(tmp_path)
    assert (tmp_path / "report.html").read_text() == "the team's own page"
    assert not (tmp_path / "strategies.csv").exists()  # nothing was written
    (tmp_path / "report.html").unlink()
    write_report(tmp_path)
    write_report(tmp_path)  # its own files, written again
    assert "<html" in (tmp_path / "report.html").read_text()
    (tmp_path / "report_charts" / "team_logo.png").write_bytes(b"png")
    with pytest.raises(NotTheReportsFile, match="report_charts/team_logo.png exists"):
        write_report(tmp_path)


def test_a_run_directory_reported_on_its_own_keeps_its_own_tables(tmp_path):
    from sim.safety.outputs import write_manifest

    # The sweep-level daily.parquet and segments.parquet would land on the run's own files (or be
    # read as the run's by the next report): a run directory gets neither.
    run = tmp_path / "run"
    daily = [{"day": d, "trust_mean": 0.5 + 0.01 * d} for d in range(3)]
    segments = [{"segment": "loyal", "customers": 10, "trust_mean_end": 0.6}]
    fake_run(tmp_path, "run", ["strategy=none", "seed=0"], {"value": 1.0}, daily=daily, segments=segments)
    (run / "daily.parquet").write_bytes(b"the run's own daily table")
    write_manifest(run, {"kind": "run"})  # a run directory of prepersona's, as the command leaves it
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    write_report(run)
    write_report(run)
    assert {name: (run / name).read_bytes() for name in before} == before
    assert not (run / "segments.parquet").exists()
    assert "<html" in (run / "report.html").read_text()


def test_ctrl_c_during_a_report_is_one_line_and_status_130(tmp_path, monkeypatch, capsys):
    import sim.report.cli as cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "write_report", interrupted)
    with pytest.raises(SystemExit) as exit_:
        cli.main([str(tmp_path)])
    assert exit_.value.code == 130
    assert capsys.readouterr().err.strip() == f"prepersona-report: interrupted; nothing was changed in {tmp_path}"


def test_a_signal_while_the_report_s_files_move_into_place_waits_for_the_move():
    import signal

    from sim.safety.failures import interrupts

    interrupts.install()
    interrupts.allow()
    try:
        with pytest.raises(KeyboardInterrupt):
            with interrupts.held():
                signal.raise_signal(signal.SIGINT)
                moved = True  # reached: the signal waited for the block
        assert moved and not interrupts.deferring
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
