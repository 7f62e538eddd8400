"""The benchmark table's bookkeeping (``benchmarks/run.py``), on canned results: no child runs."""

from __future__ import annotations

import argparse

import pytest

from benchmarks.run import THOUSAND_LIMIT, Row, scenario_group, thousand_group


class CannedRunner:
    """Plays the Runner: every configuration once per repeat, in list order, with the seconds
    ``seconds(config, repeat)`` gives; records the order in which they ran."""

    def __init__(self, repeats: int, seconds):
        self.repeats, self.seconds, self.order = repeats, seconds, []

    def with_repeats(self, repeats: int) -> CannedRunner:
        self.repeats = repeats
        return self

    def run(self, configs):
        rows = [Row(c) for c in configs]
        for rep in range(self.repeats):
            for row in rows:
                c = row.config
                self.order.append((c.impl, c.n, c.threads, rep))
                row.runs.append(
                    {
                        "interactions": 1_000_000,
                        "seconds": self.seconds(c, rep),
                        "revenue": 1.0,
                        "trust_mean_end": 0.5,
                        "persofails": 3,
                        "state_bytes_per_customer": 119,
                    }
                )
        return rows


def test_default_scenario_runs_right_after_the_reference_of_its_size_and_threads():
    runner = CannedRunner(1, lambda c, rep: 1.0)
    scenario_group(argparse.Namespace(sizes=[1000, 5000], pairs=3), runner)
    for rep in range(3):
        in_rep = [o[:3] for o in runner.order if o[3] == rep]
        assert in_rep == [(impl, n, t) for n in (1000, 5000) for t in (1, 2) for impl in ("ref-v1", "default")]


def test_the_ratio_is_the_median_of_the_pairs_ratios():
    # The machine gets slower from repeat to repeat (eight times over three repeats), and the
    # default scenario takes twice as long as the reference run just before it, every time:
    # each pair sees one load, and every pair says 0.50.
    load = [1.0, 2.0, 8.0]

    def seconds(c, rep):
        return load[rep] * (2.0 if c.impl == "default" else 1.0) * (1.0 if c.threads == 1 else 0.5)

    report = scenario_group(argparse.Namespace(sizes=[1000], pairs=3), CannedRunner(1, seconds))
    ratio_notes = [n for n in report.notes if "reference workload =" in n]
    assert len(ratio_notes) == 2
    for note in ratio_notes:
        assert "= 0.50 (median of the 3 pairs: 0.50, 0.50, 0.50" in note
    assert report.ok


def test_a_pair_that_differs_from_the_others_moves_the_ratio_only_as_one_of_them():
    def seconds(c, rep):
        slow_default = c.impl == "default" and rep == 1
        return 4.0 if slow_default else (2.0 if c.impl == "default" else 1.0)

    report = scenario_group(argparse.Namespace(sizes=[1000], pairs=3), CannedRunner(1, seconds))
    note = next(n for n in report.notes if "1 thread(s)" in n)
    assert "= 0.50 (median of the 3 pairs: 0.50, 0.25, 0.50" in note


@pytest.mark.parametrize("revenue", [1.0, 2.0])
def test_outcomes_that_differ_between_runs_fail_the_group(revenue):
    runner = CannedRunner(1, lambda c, rep: 1.0)
    original = runner.run

    def run(configs):
        rows = original(configs)
        rows[-1].runs[-1]["revenue"] = revenue  # the last default-scenario run
        return rows

    runner.run = run
    report = scenario_group(argparse.Namespace(sizes=[1000], pairs=2), runner)
    assert report.ok == (revenue == 1.0)


class CannedSweepRunner(CannedRunner):
    """A CannedRunner whose sweep configuration returns a sweep's result of ``sweep_seconds``."""

    def __init__(self, sweep_seconds: float, order: list | None = None, repeats: int = 1):
        super().__init__(repeats, lambda c, rep: 0.25 if len(self.order) < 4 else 0.5)
        self.sweep_seconds = sweep_seconds
        if order is not None:
            self.order = order

    def with_repeats(self, repeats: int) -> CannedSweepRunner:
        # As Runner.with_repeats: a new runner (here logging into the same order).
        return CannedSweepRunner(self.sweep_seconds, self.order, repeats)

    def run(self, configs):
        rows = super().run(configs)
        for row in rows:
            if row.config.module == "benchmarks.sweep":
                row.runs[0].update(
                    seconds=self.sweep_seconds, runs=1000, start_seconds=6.0, runs_seconds=self.sweep_seconds - 40,
                    report_seconds=34.0, init_seconds=0.08, sim_seconds_per_run=1.9, equity_seconds_per_run=0.4,
                )  # fmt: skip
        return rows


@pytest.mark.parametrize("seconds, within", [(THOUSAND_LIMIT - 1, True), (THOUSAND_LIMIT + 1, False)])
def test_the_thousand_runs_are_timed_against_the_bar_with_the_machines_speed_around_them(seconds, within):
    runner = CannedSweepRunner(seconds)
    report = thousand_group(argparse.Namespace(quick=False), runner)
    # Three probes of the machine's speed, the sweep, three probes again.
    assert [o[0] for o in runner.order] == ["default"] * 3 + ["sweep of 1000"] + ["default"] * 3
    assert report.ok is within
    notes = " | ".join(report.notes)
    assert f"within 15 minutes: {'yes' if within else 'NO'}" in notes
    assert "4.00 M interactions/s right before the sweep and 2.00 right after" in notes


def test_the_raw_results_file_replaces_only_earlier_results(tmp_path):
    # Checked before the benchmarks run (they take an hour): a file of the user's is refused,
    # the raw results of an earlier run may be replaced.
    from benchmarks.run import parse_args

    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": 1}')
    with pytest.raises(SystemExit):
        parse_args(["--json", str(notes)])
    earlier = tmp_path / "bench.json"
    earlier.write_text('{"machine": {}, "seed": 0, "repeats": 3, "groups": {}}')
    assert parse_args(["--json", str(earlier)]).json == str(earlier)
    assert parse_args(["--json", str(tmp_path / "new.json")]).json


@pytest.mark.parametrize("where", ["no/such/dir/bench.json", "/proc/bench.json"])
def test_a_raw_results_file_that_cannot_be_written_is_refused_before_the_benchmarks(tmp_path, where, capsys):
    from benchmarks.run import parse_args

    path = where if where.startswith("/") else str(tmp_path / where)
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--json", path])
    assert exit_.value.code == 2
    assert f"--json={path} is not allowed: " in capsys.readouterr().err
