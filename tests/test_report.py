"""The workshop report on real sweeps: statistics, tables, the page, its command, and the page in a browser.

One real sweep (3 strategies × 3 seeds, 2 000 customers, 30 days) is simulated once for the
module; tests that change it work on a copy. Every shipped experiment is simulated small, in
this process. Formulas are checked on small hand-built inputs; the report's parts on hand-made
run directories are tested in ``test_report_parts.py``, its stories in ``test_report_stories.py``.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from html import escape
from pathlib import Path

import numpy as np
import pytest
import yaml
from report_helpers import fake_run, simulate_sweep

from sim.config.experiments import experiment_files
from sim.report import NoCompleteRuns, write_report
from sim.report.baseline import resolve_baseline
from sim.report.charts import PALETTE, pareto_front
from sim.report.collect import collect
from sim.report.html import render_report
from sim.report.intervals import mean_interval, paired_difference, t_cdf, t_quantile, welch_difference
from sim.report.tables import summarize

BIN = Path(sys.executable).parent
STRATEGIES = ["none", "retarget_naive", "recommend_purchase_aware"]
SWEEP = [
    "population.size=2000",
    "horizon_days=30",
    "output.journeys=20",
    "seed=0,1,2",
    f"strategy={','.join(STRATEGIES)}",
]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A completed real sweep: 9 run directories under one multirun directory (do not modify)."""
    root = tmp_path_factory.mktemp("sweep")
    # The jobs one after another in the command's own process (the basic launcher): the
    # report reads the same directories either way, without the worker processes' start-up.
    proc = subprocess.run(
        [str(BIN / "prepersona"), "-m", *SWEEP, "hydra.sweep.dir=multirun", "hydra/launcher=basic"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = root / "multirun"
    # Every sweep ends by writing its report; the tests here write and check it themselves.
    assert proc.stdout.strip().splitlines()[-1] == f"report: {out.resolve() / 'report.html'}"
    for name in ("report.html", "runs.csv", "runs.parquet", "strategies.csv", "strategies.parquet"):
        (out / name).unlink()
    for name in ("daily.parquet", "segments.parquet"):
        (out / name).unlink()
    shutil.rmtree(out / "report_charts")
    return out


@pytest.fixture
def sweep_copy(sweep, tmp_path) -> Path:
    """A private copy of the sweep that a test may change."""
    return Path(shutil.copytree(sweep, tmp_path / "copy"))


@pytest.fixture(scope="module")
def report(sweep, tmp_path_factory) -> Path:
    """``report.html`` of a copy of the sweep, written once for the read-only tests."""
    return write_report(shutil.copytree(sweep, tmp_path_factory.mktemp("reported") / "sweep"))


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def summary_of(root: Path, baseline: str | None = None):
    sweep = collect(root)
    return summarize(sweep, resolve_baseline(sweep, baseline))


CHARTS = ["causes", "differences", "optouts_and_churn", "segments", "trust_over_time", "value_vs_trust"]


# ---------------------------------------------------------------------------------- statistics
@pytest.mark.parametrize(
    "p, df, expected",
    [
        # Two-sided 95% critical values from any t table, and two one-sided ones.
        (0.975, 1, 12.7062),
        (0.975, 2, 4.3027),
        (0.975, 4, 2.7764),
        (0.975, 10, 2.2281),
        (0.975, 30, 2.0423),
        (0.975, math.inf, 1.9600),
        (0.95, 5, 2.0150),
        (0.995, 3, 5.8409),
    ],
)
def test_t_quantiles_match_the_table(p, df, expected):
    assert t_quantile(p, df) == pytest.approx(expected, abs=1e-4)
    assert t_quantile(1 - p, df) == pytest.approx(-expected, abs=1e-4)


def test_t_cdf_of_a_fractional_df_lies_between_its_integer_neighbours():
    # Welch's degrees of freedom are not integers; the CDF is monotone in df at a fixed t > 0.
    assert t_cdf(2.0, 2) < t_cdf(2.0, 2.5) < t_cdf(2.0, 3)
    assert t_cdf(0.0, 7.3) == pytest.approx(0.5)


def test_mean_interval_by_hand():
    # x = 1..5: mean 3, sd = sqrt(2.5) = 1.5811; half width = 2.7764 * 1.5811 / sqrt(5) = 1.9632.
    iv = mean_interval([1, 2, 3, 4, 5])
    assert (iv.n, iv.mean, iv.sd) == (5, 3.0, pytest.approx(math.sqrt(2.5)))
    assert (iv.low, iv.high) == (pytest.approx(3 - 1.96324, abs=1e-4), pytest.approx(3 + 1.96324, abs=1e-4))


def test_one_seed_gives_a_mean_but_no_interval():
    iv = mean_interval([7.0])
    assert iv.mean == 7.0 and math.isnan(iv.low) and math.isnan(iv.high) and not iv.excludes_zero


def test_paired_difference_by_hand():
    # d = a - b = [1, 1.5, 2.5]: mean 5/3, sd 0.7638; half width 4.3027 * 0.7638 / sqrt(3) = 1.8973,
    # so the interval [-0.231, 3.564] straddles zero.
    a, b = np.array([1.0, 2.0, 3.5]), np.array([0.0, 0.5, 1.0])
    d = paired_difference(a, b)
    assert d.mean == pytest.approx(5 / 3) and d.sd == pytest.approx(0.763763, abs=1e-6)
    assert d.low == pytest.approx(5 / 3 - 1.8973, abs=1e-4) and not d.excludes_zero


def test_welch_interval_by_hand():
    # a = [1, 2, 3] (var 1), b = [2, 4, 6, 8] (var 6.6667): se^2 = 1/3 + 6.6667/4 = 2.0;
    # df = 2^2 / ((1/3)^2/2 + (1.6667)^2/3) = 4 / 0.98148 = 4.0755; t(0.975, 4.0755) = 2.7563
    # (between t(0.975, 4) = 2.7764 and t(0.975, 5) = 2.5706, linear in 1/df: 2.7764 - 0.0926 * 0.2058).
    w = welch_difference([1, 2, 3], [2, 4, 6, 8])
    assert w.mean == pytest.approx(-3.0)
    assert w.high - w.mean == pytest.approx(t_quantile(0.975, 4 / (1 / 18 + 25 / 27)) * math.sqrt(2.0))
    assert t_quantile(0.975, 4 / (1 / 18 + 25 / 27)) == pytest.approx(2.7563, abs=1e-3)


def test_paired_interval_is_narrower_than_unpaired_on_a_real_sweep(sweep):
    # Strategies with the same seed share the population and customer-side noise, so the
    # per-seed difference varies far less than either strategy's revenue does.
    summary = summary_of(sweep)
    compared = [s for s in summary.settings if not s.is_baseline]
    assert [s.baseline for s in compared] == ["none"] * 2
    for s in compared:
        assert s.diff["revenue"].half_width < s.welch["revenue"].half_width, s.label


# ---------------------------------------------------------------------------------- tables
def test_tables_hold_every_run_and_every_setting(report):
    root = report.parent
    runs = read_csv(root / "runs.csv")
    assert len(runs) == 9
    assert sorted(r["strategy"] for r in runs) == sorted(STRATEGIES * 3)
    assert {"run_dir", "overrides", "override.strategy", "seed", "revenue", "creepy_touches_by_basis.inferred"} <= set(
        runs[0]
    )
    assert all("population.size=2000" in r["overrides"] for r in runs)
    strategies = read_csv(root / "strategies.csv")
    assert sorted(s["setting"] for s in strategies) == sorted(STRATEGIES)
    # The runs report value (margin plus customer equity): it ranks.
    assert {s["ranked_by"] for s in strategies} == {"value"}
    assert [float(s["value_mean"]) for s in strategies] == sorted(
        (float(s["value_mean"]) for s in strategies), reverse=True
    )

    import pandas as pd

    assert len(pd.read_parquet(root / "runs.parquet")) == 9
    assert pd.read_parquet(root / "strategies.parquet").setting.tolist() == [s["setting"] for s in strategies]
    daily = pd.read_parquet(root / "daily.parquet")
    assert len(daily) == 9 * 30 and set(daily.seed) == {0, 1, 2} and set(daily.setting) == set(STRATEGIES)
    assert daily.groupby("run_dir").day.max().eq(29).all()
    segments = pd.read_parquet(root / "segments.parquet")
    assert set(segments.setting) == set(STRATEGIES) and "override.strategy" in segments.columns


def test_strategies_table_agrees_with_the_metrics_files(report):
    # Recompute one paired difference straight from the run directories.
    root = report.parent
    revenue = {}
    for m in root.rglob("metrics.json"):
        data = json.loads(m.read_text())
        revenue[data["strategy"], data["seed"]] = data["revenue"]
    d = np.array([revenue["retarget_naive", s] - revenue["none", s] for s in range(3)])
    half = 4.302653 * d.std(ddof=1) / math.sqrt(3)
    row = next(r for r in read_csv(root / "strategies.csv") if r["setting"] == "retarget_naive")
    assert float(row["revenue_diff"]) == pytest.approx(d.mean())
    assert float(row["revenue_diff_low"]) == pytest.approx(d.mean() - half, rel=1e-6)
    assert row["n_seeds"] == "3" and row["baseline"] == "none"
    base = next(r for r in read_csv(root / "strategies.csv") if r["setting"] == "none")
    assert base["revenue_diff"] == ""  # the baseline has no difference to itself


def test_an_override_given_in_some_runs_only_names_those_settings(tmp_path):
    fake_run(tmp_path, "0", ["strategy=none", "seed=0"], {"revenue": 1.0})
    fake_run(tmp_path, "1", ["strategy=none", "campaign.email.cadence_days=3.5", "seed=0"], {"revenue": 2.0})
    fake_run(tmp_path, "2", ["strategy=none", "seed=0", "threads=2"], {"revenue": 1.0})  # a duplicate of 0
    sweep = collect(tmp_path)
    assert sorted(sweep.labels().values()) == ["email cadence days: 3.5", "none"]
    assert sweep.duplicates == 1 and len(sweep.runs) == 2


# ---------------------------------------------------------------------------------- incomplete runs
def test_an_incomplete_run_is_excluded_and_counted(sweep_copy):
    victim = next(
        p for p in sorted(sweep_copy.rglob("metrics.json")) if json.loads(p.read_text())["strategy"] == "retarget_naive"
    )
    victim.unlink()
    html = write_report(sweep_copy).read_text()
    assert len(read_csv(sweep_copy / "runs.csv")) == 8
    row = next(r for r in read_csv(sweep_copy / "strategies.csv") if r["setting"] == "retarget_naive")
    assert row["n_seeds"] == "2"
    assert "1 run incomplete (no metrics.json), not counted." in html
    assert not victim.exists()  # the report never writes into run directories


def test_no_complete_run_raises_a_one_line_error_naming_the_directory(sweep_copy, tmp_path):
    for m in sweep_copy.rglob("metrics.json"):
        m.unlink()
    before = tree_digest(sweep_copy)
    with pytest.raises(NoCompleteRuns, match=re.escape(str(sweep_copy)) + ".*9 run directories, none complete"):
        write_report(sweep_copy)
    with pytest.raises(NoCompleteRuns, match="no such directory"):
        write_report(tmp_path / "nowhere")
    assert tree_digest(sweep_copy) == before  # nothing written, nothing removed


# ---------------------------------------------------------------------------------- the command
def report_cli(*args: str, module: bool = False) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "sim.report"] if module else [str(BIN / "prepersona-report")]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=120)


def tree_digest(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_command_writes_the_report_and_prints_its_path(sweep_copy):
    runs_before = tree_digest(sweep_copy)
    proc = report_cli(str(sweep_copy), "--baseline", "retarget_naive")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(sweep_copy / "report.html")
    after = tree_digest(sweep_copy)
    assert {k: after[k] for k in runs_before} == runs_before  # every run file as it was
    assert set(after) - set(runs_before) == {
        "report.html",
        "runs.csv",
        "runs.parquet",
        "strategies.csv",
        "strategies.parquet",
        "daily.parquet",
        "segments.parquet",
    } | {f"report_charts/{n}.png" for n in CHARTS}
    rows = read_csv(sweep_copy / "strategies.csv")
    assert {r["baseline"] for r in rows} == {"retarget_naive"}


@pytest.mark.parametrize("module", [False, True])
def test_the_command_refuses_a_directory_without_complete_runs(tmp_path, module):
    missing = tmp_path / "missing"
    proc = report_cli(str(missing), module=module)
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("prepersona-report: error: ") and str(missing) in line and "metrics.json" in line

    empty = tmp_path / "empty"
    (empty / "0" / ".hydra").mkdir(parents=True)
    (empty / "0" / "daily.csv").write_text("day\n0\n")
    before = sorted(p.relative_to(empty) for p in empty.rglob("*"))
    proc = report_cli(str(empty), module=module)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and str(empty) in proc.stderr
    assert sorted(p.relative_to(empty) for p in empty.rglob("*")) == before


# ---------------------------------------------------------------------------------- charts and page
def test_pareto_front_keeps_the_undominated_points():
    x = np.array([0.5, 0.6, 0.55, 0.4, np.nan])
    y = np.array([10.0, 8.0, 10.0, 12.0, 20.0])
    # (0.5, 10) is beaten by (0.55, 10); the NaN point never counts.
    assert pareto_front(x, y).tolist() == [3, 2, 1]


def test_the_report_is_self_contained_and_shows_everything(report):
    html = report.read_text()
    for forbidden in ("<script", "<link", "<img", "<iframe", "@import", "src=", "http://", "https://"):
        assert forbidden not in html, forbidden
    assert re.findall(r"url\((?!#)", html) == []  # only references to elements of the page itself
    assert re.findall(r'href="([^"]*)"', html) and all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', html))
    charts = sorted(p.stem for p in (report.parent / "report_charts").glob("*.png"))
    assert charts == CHARTS
    assert html.count("<svg") == len(charts)
    assert "<h3>none (the baseline)</h3>" in html
    for strategy in STRATEGIES[1:]:
        assert f"<h3>{strategy}</h3>" in html
    assert "Customer #" in html and "seeds needed" in html and "95%" in html and "80% power" in html
    assert "One customer, every setting: #" in html and "from the runs with seed 0" in html
    assert "retail, 2,000 customers" in html and "30 days" in html and "3: 0, 1, 2" in html
    assert f"<code>prepersona -m {' '.join(SWEEP)}</code>" in html  # as Hydra recorded the sweep


# ---------------------------------------------------------------------------------- the answer
def answer_section(html: str) -> str:
    """The page's first section: the question and its answer."""
    first = html.split("<section", 1)[1]
    assert first.startswith(' id="answer">')
    return first.split("</section>", 1)[0]


def test_the_report_opens_with_the_question_and_an_answer_with_numbers(report):
    section = answer_section(report.read_text())
    # A sweep outside an experiment has no question of its own: the report asks one and says so.
    assert "<h1>Which setting wins on value against trust?</h1>" in section and "experiment.question" in section
    assert "Against <b>none</b>, the baseline, run by run on the same seeds:" in section
    assert re.search(r"<b>(retarget_naive|recommend_purchase_aware)</b>", section)
    assert re.search(r"95% interval \[[+−]?[\d,.]+ to [+−]?[\d,.]+\]", section)
    assert "With 3 seeds" in section


def _enumerated_experiments() -> list[str]:
    """The experiments that enumerate their settings (a search samples them and has no baseline:
    tests/test_search_command.py covers its report)."""
    return sorted(n for n, p in experiment_files().items() if "hydra/sweeper: search" not in p.read_text())


@pytest.mark.parametrize("name", _enumerated_experiments())
def test_every_shipped_experiment_gets_its_question_answered_with_a_number_and_an_interval(name, tmp_path):
    # Each experiment as shipped (its settings, its baseline), run small: 200 customers, 5 days (and
    # a customer-equity tail of 30), 2 seeds, and at most 4 plausible worlds (the robust ranking
    # itself is tested in tests/test_worlds.py; 16 worlds here cost two minutes of job overhead).
    small = ["population.size=200", "catalog.items=200", "horizon_days=5", "value.tail_days=30", "seed=0,1"]
    shipped = yaml.safe_load(experiment_files()[name].read_text())
    if (shipped.get("uncertainty") or {}).get("worlds", 0) > 4:
        small.append("uncertainty.worlds=4")
    root = simulate_sweep(tmp_path, [f"experiment={name}", *small])
    summary = summary_of(root)
    assert summary.baseline.source == "experiment.baseline"
    compared = [s for s in summary.settings if not s.is_baseline]
    assert compared and all(s.diff for s in compared)  # every setting is paired with the baseline
    html = render_report(summary, [], {}, [])  # the first section needs no chart and no story
    section = answer_section(html)
    question = shipped["experiment"]["question"]
    assert f"<h1>{escape(question)}</h1>" in section
    named = re.findall(r"<b>([^<]+)</b>", section.split('<p class="answer">', 1)[1])
    labels = {escape(s.label) for s in summary.settings}
    assert named and set(named) <= labels, named
    assert re.search(r"\d[^<]*, 95% interval \[[^\]]+ to [^\]]+\]", section)


# ---------------------------------------------------------------------------------- in a browser
@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a Chromium from Debian's packages, installed here when missing (we run as root)."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if os.path.exists(path):
        return path
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip("chromium is missing and cannot be installed: no apt-get, or not root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)
        assert proc.returncode == 0, f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}"
    return path


class DevTools:
    """A minimal client of Chrome's DevTools protocol over one page's websocket."""

    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                assert "error" not in msg, msg
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            assert time.monotonic() < deadline, f"no {method} within {timeout} s"
            self.events.append(json.loads(self.ws.recv()))


LAYOUT = """(() => {
  const page = document.documentElement;
  const table = document.getElementById('ranking-table');
  const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect(); return [r.left, r.right]; };
  const heads = table ? Array.from(table.querySelectorAll('th')) : [];
  const named = Object.fromEntries(heads.map(th => [th.textContent.trim(), box(th)]));
  return {pageWidth: page.scrollWidth, viewWidth: page.clientWidth, table: box(table),
          frame: box(table && table.parentElement), columns: named};
})()"""
"""What the page's layout is at the window's width: the page's scroll width against the window's,
and the ranking table's box, its scroll frame's, and each column header's (left, right)."""


def open_in_chromium(
    chromium: str, page_path: Path, profile: Path, width: int = 1024
) -> tuple[list[str], list[str], list, bytes, dict]:
    """Load a file in headless Chromium over the DevTools protocol, in a window ``width`` px wide.

    Returns the console errors and uncaught exceptions, the URLs the page requested, the boxes
    (left, top, width, height) of its chart ``<svg>`` elements, a PNG of the first chart, and
    the layout facts of :data:`LAYOUT`.
    """
    browser = subprocess.Popen(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert time.monotonic() < deadline and browser.poll() is None, "chromium did not start"
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        local = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
        with local.open(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        dt = DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log", "Network"):
            dt.call(f"{domain}.enable")
        dt.call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False)
        dt.call("Page.navigate", url=page_path.resolve().as_uri())
        dt.wait_for("Page.loadEventFired")
        boxes = dt.call(
            "Runtime.evaluate",
            returnByValue=True,
            expression=(
                "Array.from(document.querySelectorAll('figure svg')).map(s => {const r = s.getBoundingClientRect();"
                " return [r.left, r.top + window.scrollY, r.width, r.height];})"
            ),
        )["result"]["value"]
        layout = dt.call("Runtime.evaluate", returnByValue=True, expression=LAYOUT)["result"]["value"]
        shot = b""
        if boxes:
            x, y, w, h = boxes[0]
            shot = base64.b64decode(
                dt.call(
                    "Page.captureScreenshot",
                    format="png",
                    captureBeyondViewport=True,
                    clip={"x": x, "y": y, "width": w, "height": h, "scale": 1},
                )["data"]
            )
        dt.ws.close()
    finally:
        browser.terminate()
        browser.wait(timeout=30)
    errors = [
        json.dumps(e["params"])[:300]
        for e in dt.events
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    requested = [e["params"]["request"]["url"] for e in dt.events if e.get("method") == "Network.requestWillBeSent"]
    return errors, requested, boxes, shot, layout


def test_the_browser_check_sees_errors_and_requests(chromium, tmp_path):
    # The check itself can fail: a page with a console error and an image from elsewhere
    # (port 9 of this machine: the request is made and refused at once).
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><body><script>console.error("broken")</script>'
        '<img src="http://127.0.0.1:9/x.png"></body></html>'
    )
    page.write_text(page.read_text().replace("<body>", '<body><div style="width: 1500px">wide</div>'))
    errors, requested, boxes, _, layout = open_in_chromium(chromium, page, tmp_path / "profile")
    assert any("broken" in e for e in errors)
    assert layout["pageWidth"] > layout["viewWidth"] and layout["table"] is None  # overflow is seen
    assert "http://127.0.0.1:9/x.png" in requested and boxes == []


def test_the_report_opens_in_chromium_without_errors_or_requests_and_shows_its_charts(report, chromium, tmp_path):
    errors, requested, boxes, shot, layout = open_in_chromium(chromium, report, tmp_path / "profile", width=1024)
    assert errors == []
    assert requested == [report.resolve().as_uri()]  # the page itself, and nothing else
    assert len(boxes) == len(CHARTS) and all(w > 300 and h > 200 for _, _, w, h in boxes)

    # At 1024 px the page does not scroll sideways, and the whole ranking is in view: its own
    # frame does not clip it, and the experiment's subject (persofails, creepy touches) is there.
    assert layout["pageWidth"] <= layout["viewWidth"] and 1000 < layout["viewWidth"] <= 1024  # less a scrollbar
    frame_left, frame_right = layout["frame"]
    assert layout["table"][1] <= frame_right <= 1024
    for column in ("persofails", "creepy touches"):
        left, right = layout["columns"][column]
        assert frame_left <= left < right <= frame_right, column

    from matplotlib.image import imread

    pixels = imread(io.BytesIO(shot), format="png")[..., :3]  # (h, w, 3) in [0, 1]
    assert pixels.shape[0] > 200 and pixels.std() > 0.05  # not a blank area
    # The first chart (the differences against the baseline) shows each compared setting in its colour.
    summary = summary_of(report.parent)
    colours = [PALETTE[i] for i, s in enumerate(summary.settings) if not s.is_baseline]
    assert len(colours) == len(STRATEGIES) - 1
    for hex_colour in colours:
        rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
        assert np.count_nonzero(np.abs(pixels - rgb).max(axis=2) < 0.04) > 20, hex_colour


def test_a_ten_setting_ranking_with_large_numbers_fits_1024_px(chromium, tmp_path):
    # The default sweep's size: ten strategies (long names), three seeds, money in the hundred
    # thousands and differences in the tens of thousands; every column of the ranking stays in view.
    names = [
        "none", "popular", "segment_rules", "recommend", "recommend_explained", "recommend_purchase_aware",
        "retarget_naive", "inferred_sensitive", "transparent_consented", "aggressive",
    ]  # fmt: skip
    for k, name in enumerate(names):
        for seed in range(3):
            metrics = {
                "revenue": 250_000.0 + 4_321.7 * k * (1 + 0.13 * seed) + 1_111 * seed,
                "margin": 90_000.0 + 1_234.5 * k * (1 + 0.21 * seed),
                "value": 1_290_000.0 + 12_345.6 * k * (1 + 0.17 * seed),
                "trust_mean_end": 0.57 + 0.0071 * k - 0.001 * seed,
                "optout_share_email": 0.12 + 0.031 * k * (1 + 0.1 * seed),
                "churned_share": 0.087 - 0.0031 * k * (1 + 0.2 * seed),
                "persofails": 5_283.0 + 977 * k * (1 + 0.05 * seed),
                "creepy_touches": 16_375.0 * (k % 3) * (1 + 0.07 * seed),
            }
            fake_run(tmp_path, f"{k}/{seed}", [f"strategy={name}", f"seed={seed}"], metrics)
    page = write_report(tmp_path)
    *_, layout = open_in_chromium(chromium, page, tmp_path / "profile", width=1024)
    assert layout["pageWidth"] <= layout["viewWidth"]
    frame_left, frame_right = layout["frame"]
    assert layout["table"][1] <= frame_right <= 1024
    assert {"value", "revenue", "margin", "trust at the end"} <= set(layout["columns"])  # ranked by value
    for column in ("persofails", "creepy touches", "churned", "email opt-outs"):
        left, right = layout["columns"][column]
        assert frame_left <= left < right <= frame_right, column
