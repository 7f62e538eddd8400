"""The robust ranking against a brute-force check on worlds where one parameter decides the winner."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from sim.config.preflight import compose_config
from sim.uncertainty.design import draw_worlds
from sim.uncertainty.drivers import best_cut, flip_sentence, rank_drivers
from sim.uncertainty.robust import best_shares, robust_ranking
from tests.report_helpers import fake_run, legend_below_x_label

THRESHOLD = 0.3
KEY = "customer.trust.loss_creepy"
DECOY = "customer.churn.trust_mid"


def _worlds(k: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The design's values of the deciding parameter (uniform 0.05-0.5) and a decoy."""
    cfg = compose_config(
        [
            f"uncertainty.worlds={k}",
            f"uncertainty.seed={seed}",
            f"uncertainty.priors=[{{key:{KEY},dist:uniform,low:0.05,high:0.5}},{{key:{DECOY}}}]",
        ]
    )
    w = draw_worlds(cfg)
    return w.values[:, 0], w.values[:, 1]


def _outcomes(x: np.ndarray, decoy: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """By construction: "transparent" is worth 1000 + 1000 x, "popular" 1300 whatever x (so the
    first wins exactly when x > 0.3), "none" 900 + 10 decoy (never best). Trust: popular's falls
    with x, the others' stay near 0.5."""
    labels = ["none", "popular", "transparent"]
    value = np.vstack([900 + 10 * decoy, np.full_like(x, 1300.0), 1000 + 1000 * x])
    trust = np.vstack([np.full_like(x, 0.5), 0.7 - x, np.full_like(x, 0.5) + 0.01 * x])
    return labels, value, trust


def test_the_robust_ranking_agrees_with_brute_force():
    x, decoy = _worlds()
    labels, value, trust = _outcomes(x, decoy)
    rows = {r.setting: r for r in robust_ranking(labels, value, trust)}
    k = len(x)
    for i, label in enumerate(labels):
        r = rows[label]
        # Brute force, world by world.
        wins = sum(1 for j in range(k) if value[i, j] == max(value[:, j]))
        regrets = [max(value[:, j]) - value[i, j] for j in range(k)]
        assert r.worlds == k
        assert r.best_value_share == pytest.approx(wins / k)
        assert r.expected_regret == pytest.approx(sum(regrets) / k)
        assert r.max_regret == pytest.approx(max(regrets))
        assert r.value_worst == pytest.approx(min(value[i]))
        # The 10th percentile, interpolated between the worlds at rank 0.1 (k - 1).
        ordered, pos = sorted(value[i]), 0.1 * (k - 1)
        lo = int(pos)
        assert r.value_p10 == pytest.approx(ordered[lo] + (pos - lo) * (ordered[lo + 1] - ordered[lo]))
        assert r.value_mean == pytest.approx(sum(value[i]) / k)
    above = int((x > THRESHOLD).sum())
    assert rows["transparent"].best_value_share == pytest.approx(above / k)
    assert rows["popular"].best_value_share == pytest.approx(1 - above / k)
    assert rows["none"].best_value_share == 0
    # Best on trust, brute force: popular while 0.7 - x beats 0.5 + 0.01 x, transparent after.
    popular_trust = sum(1 for v in x if 0.7 - v > 0.5 + 0.01 * v) / k
    assert rows["popular"].best_trust_share == pytest.approx(popular_trust)
    assert rows["transparent"].best_trust_share == pytest.approx(1 - popular_trust)
    assert sorted(r.rank for r in rows.values()) == [1, 2, 3]
    best = min(rows.values(), key=lambda r: r.expected_regret)
    assert best.rank == 1


def test_ties_split_a_world():
    shares = best_shares(np.array([[1.0, 2.0], [1.0, 0.0], [0.0, 0.0]]))
    np.testing.assert_allclose(shares, [0.75, 0.25, 0.0])


def test_the_deciding_parameter_and_its_threshold_are_found():
    x, decoy = _worlds()
    labels, value, _ = _outcomes(x, decoy)
    d = value[2] - value[1]  # transparent's lead over popular
    drivers = rank_drivers([DECOY, KEY], np.column_stack([decoy, x]), d)
    top = drivers[0]
    assert top.key == KEY and top.rho == pytest.approx(1.0) and top.above and top.agree == len(x)
    # The threshold lies between the last world popular wins and the first transparent wins.
    assert x[x < THRESHOLD].max() < top.threshold < x[x > THRESHOLD].min()
    assert abs(top.threshold - THRESHOLD) < 0.45 / len(x) * 2
    assert abs(drivers[1].rho) < 0.5 and not drivers[1].agree == len(x)
    sentence = flip_sentence("transparent", "popular", drivers, fmt=lambda v: f"{v:.2f}")
    assert sentence == (
        f"The ranking of transparent and popular flips when {KEY} exceeds {top.threshold:.2f}: above it "
        f"transparent comes first, below it popular (in all {len(x)} worlds)."
    )


def test_a_lead_in_every_world_is_not_called_a_flip():
    x, decoy = _worlds(16)
    d = 50 + x  # always ahead
    sentence = flip_sentence("a", "b", rank_drivers([KEY], x[:, None], d))
    assert sentence.startswith("a comes before b in every one of the 16 worlds")
    # The clause on the strongest parameter says whose lead it moves, and which way.
    assert sentence.endswith(
        f"a's lead over b moves most with {KEY} (rank correlation +1.00: the higher it is, the larger the lead)."
    )
    shrinking = flip_sentence("a", "b", rank_drivers([KEY], x[:, None], 50 - x))
    assert shrinking.endswith("(rank correlation -1.00: the higher it is, the smaller the lead).")
    # A parameter that does not order the lead at all gets no clause.
    flat = flip_sentence("a", "b", rank_drivers([KEY], x[:, None], np.full_like(x, 50.0)))
    assert flat == "a comes before b in every one of the 16 worlds: no prior flips their ranking."


def test_best_cut_brute_force():
    rng = np.random.default_rng(5)
    for _ in range(50):
        x = rng.uniform(size=12)
        ahead = rng.uniform(size=12) < 0.5
        threshold, above, agree = best_cut(x, ahead)
        brute = max(
            max(int(((x > c) == ahead).sum()), int(((x < c) == ahead).sum())) for c in (np.sort(x)[:-1] + 1e-12)
        )
        assert agree == brute
        assert int(((x > threshold) == ahead).sum() if above else ((x < threshold) == ahead).sum()) == agree


def test_the_report_ranks_across_worlds(tmp_path):
    from sim.report import write_report

    x, decoy = _worlds(16)
    labels, value, trust = _outcomes(x, decoy)
    strategies = {"none": "none", "popular": "popular", "transparent": "transparent_consented"}
    for j in range(len(x)):
        for i, label in enumerate(labels):
            for seed in (0, 1):
                fake_run(
                    tmp_path,
                    f"{j}-{label}-{seed}",
                    [f"strategy={strategies[label]}", f"seed={seed}", f"uncertainty.world={j}"],
                    {
                        "value": float(value[i, j]) + seed,  # a seed moves every setting alike
                        "margin": float(value[i, j]),
                        "trust_mean_end": float(trust[i, j]),
                        "world": {"index": j, "values": {KEY: float(x[j]), DECOY: float(decoy[j])}},
                    },
                )
    html = write_report(tmp_path).read_text()
    with open(tmp_path / "robust.csv", newline="") as f:
        rows = {r["setting"]: r for r in csv.DictReader(f)}
    above = (x > THRESHOLD).mean()
    assert float(rows["transparent_consented"]["best_value_share"]) == pytest.approx(above)
    assert float(rows["popular"]["best_value_share"]) == pytest.approx(1 - above)
    regret = np.mean(value.max(axis=0) - value[2])
    assert float(rows["transparent_consented"]["expected_regret"]) == pytest.approx(regret)
    assert rows["none"]["worlds"] == "16" and rows["none"]["ranked_by"] == "value"
    with open(tmp_path / "worlds.csv", newline="") as f:
        worlds = list(csv.DictReader(f))
    assert [float(w[KEY]) for w in worlds] == pytest.approx(list(x))
    assert [w["best"] for w in worlds] == ["transparent_consented" if v > THRESHOLD else "popular" for v in x]
    assert "Across plausible worlds" in html and f"flips when {KEY} exceeds" in html
    assert "16 plausible worlds × 2 seeds" in html
    # The section's two charts, next to its tables.
    worlds_section = html[html.index('<section id="worlds">') : html.index('<section id="charts">')]
    assert 'id="chart-across_worlds"' in worlds_section and 'id="chart-decider"' in worlds_section
    assert (tmp_path / "report_charts" / "across_worlds.png").is_file()
    assert (tmp_path / "report_charts" / "decider.png").is_file()
    # Each row of the ranking (every setting) and of the planning table (every setting but the
    # baseline) says what it is over: worlds and seeds, not 32 "seeds".
    assert html.count("16 worlds × 2 seeds") == 2 * len(labels) - 1 and "32 seeds" not in html
    assert "run by run in the same plausible worlds on the same seeds" in html
    # The ranking above averages each setting over worlds and seeds, paired by (world, seed).
    with open(tmp_path / "strategies.csv", newline="") as f:
        means = {r["setting"]: float(r["value_mean"]) for r in csv.DictReader(f)}
    assert means["popular"] == pytest.approx(1300.5)
    assert not math.isnan(means["transparent_consented"])


def test_a_rule_that_holds_in_most_worlds_mostly_flips():
    # The lead changes sign at 0.3, except in two worlds where it is flipped (noise).
    x, _ = _worlds(16)
    d = x - THRESHOLD
    order = np.argsort(x)
    d[order[0]], d[order[-1]] = 1.0, -1.0  # the lowest and highest worlds go the other way
    drivers = rank_drivers([KEY], x[:, None], d)
    assert drivers[0].agree == 14 and drivers[0].decisive
    sentence = flip_sentence("a", "b", drivers, fmt=lambda v: f"{v:.2f}")
    assert sentence.startswith(f"The ranking of a and b mostly flips when {KEY} exceeds")
    assert sentence.endswith("(the rule holds in 14 of 16 worlds).")


def test_no_single_parameter_is_said_to_decide_what_none_does():
    # A lead that alternates with no order in x: no cut beats naming the usual winner.
    x = np.linspace(0.1, 0.5, 16)
    d = np.where(np.arange(16) % 2 == 0, 1.0, -1.0)
    drivers = rank_drivers([KEY], x[:, None], d)
    # The best cut only splits off the lowest world: 9 of 16 right, far below "mostly" (80%).
    assert drivers[0].agree == 9
    assert flip_sentence("a", "b", drivers).startswith("No single uncertain parameter decides between a and b")


def test_where_one_setting_wins_every_world_the_drivers_table_says_so(tmp_path):
    # "transparent" is worth 2000 + 1000 x: it wins in every world whatever x, so no cut of x
    # predicts the winner better than always naming it, and the table counts that rule.
    from sim.report import write_report

    x, decoy = _worlds(8)
    strategies = {"popular": "popular", "transparent": "transparent_consented"}
    value = {"popular": np.full_like(x, 1300.0), "transparent": 2000 + 1000 * x}
    for j in range(len(x)):
        for label, strategy in strategies.items():
            fake_run(
                tmp_path,
                f"{j}-{label}",
                [f"strategy={strategy}", "seed=0", f"uncertainty.world={j}"],
                {
                    "value": float(value[label][j]),
                    "margin": float(value[label][j]),
                    "trust_mean_end": 0.5,
                    "world": {"index": j, "values": {KEY: float(x[j]), DECOY: float(decoy[j])}},
                },
            )
    html = write_report(tmp_path).read_text()
    drivers = html[html.index('id="drivers"') :]
    drivers = drivers[: drivers.index("</table>")]
    assert drivers.count("none better than the usual winner") == 2  # both parameters
    assert drivers.count("8 of 8 worlds") == 2 and drivers.count("always transparent_consented") == 2
    assert "7 of 8" not in drivers


def _threshold_sweep(root, k: int = 16):
    """The sweep of test_the_report_ranks_across_worlds, one seed: (x, value by label)."""
    x, decoy = _worlds(k)
    labels, value, trust = _outcomes(x, decoy)
    strategies = {"none": "none", "popular": "popular", "transparent": "transparent_consented"}
    for j in range(len(x)):
        for i, label in enumerate(labels):
            fake_run(
                root,
                f"{j}-{label}",
                [f"strategy={strategies[label]}", "seed=0", f"uncertainty.world={j}"],
                {
                    "value": float(value[i, j]),
                    "margin": float(value[i, j]),
                    "trust_mean_end": float(trust[i, j]),
                    "world": {"index": j, "values": {KEY: float(x[j]), DECOY: float(decoy[j])}},
                },
            )
    return x, {strategies[label]: value[i] for i, label in enumerate(labels)}


def test_the_world_charts_draw_each_worlds_regret_and_the_deciding_threshold(tmp_path):
    from matplotlib.collections import PathCollection

    from sim.report.baseline import resolve_baseline
    from sim.report.collect import collect
    from sim.report.robust import robust_view
    from sim.report.robust_charts import _across_worlds, _decider
    from sim.report.tables import summarize

    x, value = _threshold_sweep(tmp_path)
    sweep = collect(tmp_path)
    view = robust_view(summarize(sweep, resolve_baseline(sweep, None)))
    colour = dict.fromkeys(view.labels, "#000000")
    best = np.max(list(value.values()), axis=0)

    fig, _, caption = _across_worlds(view, colour)
    ax = fig.axes[0]
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == [r.setting for r in reversed(view.rows)]  # the ranking from the top
    for dot in dots:  # one dot per world, at the setting's shortfall against that world's best
        offsets = np.asarray(dot.get_offsets())
        label = ticks[int(round(float(np.median(offsets[:, 1]))))]
        assert sorted(offsets[:, 0]) == pytest.approx(sorted(best - value[label]))
    assert len(dots) == 3 and f"{len(x)} plausible worlds" in caption
    # Three settings make a short chart: its legend must still clear the x label.
    assert legend_below_x_label(fig)

    fig, title, caption = _decider(view, colour)
    ax = fig.axes[0]
    # popular, best in the worlds below 0.3 (more than half of them), leads the ranking.
    assert (view.leader, view.rival) == ("popular", "transparent_consented")
    assert title == "What decides between popular and transparent_consented?"
    assert ax.get_xlabel() == KEY
    points = np.vstack([np.asarray(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)])
    lead = value["popular"] - value["transparent_consented"]
    points = points[np.argsort(points[:, 0])]
    assert points[:, 0] == pytest.approx(np.sort(x)) and points[:, 1] == pytest.approx(lead[np.argsort(x)])
    # The dashed line at the threshold, between the worlds on either side of 0.3.
    cut = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(cut) == 1
    c = cut[0].get_xdata()[0]
    assert x[x <= THRESHOLD].max() < c < x[x > THRESHOLD].min()
    assert "whose threshold best separates the worlds" in caption
    assert legend_below_x_label(fig)


def test_a_lead_in_every_world_draws_no_threshold_and_a_plain_sweep_no_world_chart(tmp_path):
    from sim.report import write_report
    from sim.report.baseline import resolve_baseline
    from sim.report.collect import collect
    from sim.report.ownership import record_report_files
    from sim.report.robust import robust_view
    from sim.report.robust_charts import _decider
    from sim.report.tables import summarize

    x, decoy = _worlds(8)
    for j in range(len(x)):
        for strategy, v in (("popular", 1300.0), ("transparent_consented", 2000 + 1000 * x[j])):
            fake_run(
                tmp_path / "worlds",
                f"{j}-{strategy}",
                [f"strategy={strategy}", "seed=0", f"uncertainty.world={j}"],
                {"value": v, "margin": v, "trust_mean_end": 0.5, "world": {"index": j, "values": {KEY: float(x[j])}}},
            )
    sweep = collect(tmp_path / "worlds")
    fig, _, caption = _decider(robust_view(summarize(sweep, resolve_baseline(sweep, None))), {})
    ax = fig.axes[0]
    assert not [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["transparent_consented ahead"]
    assert "threshold" not in caption
    # A plain sweep has no world charts; a stale slide of an earlier report there is removed.
    plain = tmp_path / "plain"
    for strategy in ("none", "popular"):
        for seed in (0, 1):
            fake_run(plain, f"{strategy}-{seed}", [f"strategy={strategy}", f"seed={seed}"], {"value": 1.0 + seed})
    (plain / "report_charts").mkdir()
    (plain / "report_charts" / "decider.png").write_bytes(b"stale")
    record_report_files(plain)  # as an earlier report wrote it
    html = write_report(plain).read_text()
    assert 'id="chart-across_worlds"' not in html and not (plain / "report_charts" / "decider.png").exists()
    assert "uncertain parameters</dt>" not in html and "a sweep over plausible worlds adds that" in html
    # Runs that do not record their priors: each parameter's span across the worlds instead.
    worlds_html = write_report(tmp_path / "worlds").read_text()
    uncertain = worlds_html[worlds_html.index("uncertain parameters</dt>") :].split("</dd>")[0]
    assert f"1, drawn from its prior by a design: {KEY} {x.min():.3g} to {x.max():.3g} across the worlds" in uncertain
    assert "spans the priors of the uncertain parameters" in worlds_html


def test_the_decider_chart_shows_the_parameter_the_sentence_states():
    # p1 orders the lead best (rank correlation 0.81) but its best cut gets 6 of 8 worlds right;
    # p2 separates the worlds each setting wins exactly (8 of 8) with a weaker correlation (0.52).
    # The sentence states p2's rule, so the chart must show p2 and its threshold.
    from sim.report.robust import RobustView
    from sim.report.robust_charts import _decider

    p1 = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    p2 = np.array([0.4, 0.3, 0.9, 0.8, 0.2, 0.1, 0.7, 0.6])
    lead = np.array([-0.7, -0.6, 0.1, 0.2, -0.2, -0.1, 0.6, 0.7])
    drivers = rank_drivers(["p1", "p2"], np.column_stack([p1, p2]), lead)
    assert [d.key for d in drivers] == ["p1", "p2"] and drivers[0].agree == 6 and drivers[1].agree == 8
    view = RobustView(
        labels=["A", "B"],
        worlds=list(range(8)),
        metric="value",
        value=np.vstack([100 + 100 * lead, np.full(8, 100.0)]),
        trust=np.full((2, 8), 0.5),
        keys=["p1", "p2"],
        params=np.column_stack([p1, p2]),
        rows=[],
        leader="A",
        rival="B",
        drivers=drivers,
        sentence=flip_sentence("A", "B", drivers),
        incomplete_worlds=0,
    )
    assert "flips when p2 exceeds 0.5" in view.sentence
    fig, _, caption = _decider(view, {})
    ax = fig.axes[0]
    assert ax.get_xlabel() == "p2"
    (cut,) = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert cut.get_xdata()[0] == pytest.approx(0.5)
    assert "8 of 8 worlds on its side" in caption


def test_one_setting_across_worlds_gets_no_regret_chart_and_one_prior_is_its_prior(tmp_path):
    # One setting is the best of every world: a chart of its regret would be a row of zeros.
    from sim.report import write_report

    x, _ = _worlds(4)
    for j in range(len(x)):
        fake_run(
            tmp_path,
            f"{j}",
            ["strategy=popular", "seed=0", f"uncertainty.world={j}"],
            {"value": 1000.0 + j, "margin": 1000.0 + j, "trust_mean_end": 0.5,
             "world": {"index": j, "values": {KEY: float(x[j])}}},
        )  # fmt: skip
    html = write_report(tmp_path).read_text()
    assert "Only one setting ran: popular." in html
    assert 'id="chart-across_worlds"' not in html and not (tmp_path / "report_charts" / "across_worlds.png").exists()
    assert "draws of 1 uncertain parameter from its prior," in html
    assert "1, drawn from its prior by" in html
