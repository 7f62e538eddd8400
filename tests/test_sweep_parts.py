"""The parts of a sweep in isolation: config hash, progress display, end-of-sweep line, parallel jobs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from sim.sweep.callback import end_of_sweep
from sim.sweep.parallel import parallel_jobs, usable_cores
from sim.sweep.progress import SweepProgress, status_line
from sim.sweep.resume import CONFIG_HASH, complete_runs, completed, config_hash, discard_results


def test_the_config_hash_follows_what_changes_results(small_config):
    base = config_hash(small_config())
    assert config_hash(small_config()) == base
    for changed in ("seed=1", "strategy=none", "customer.trust.loss_creepy=0.3", "impl=numpy"):
        assert config_hash(small_config(changed)) != base, changed
    for same in ("threads=2", "output.progress=off", "experiment.question=why?"):
        assert config_hash(small_config(same)) == base, same


def _run(root, name, digest):
    d = root / name
    d.mkdir()
    (d / "metrics.json").write_text(json.dumps({CONFIG_HASH: digest, "revenue": 1.0}))
    return d


def test_a_run_is_complete_only_with_metrics_of_the_same_config(tmp_path):
    done = _run(tmp_path, "0", "abc")
    assert completed(done, "abc") == {CONFIG_HASH: "abc", "revenue": 1.0}
    assert completed(done, "xyz") is None
    crashed = tmp_path / "1"
    crashed.mkdir()
    (crashed / "daily.csv").write_text("day\n")
    assert completed(crashed, "abc") is None
    assert complete_runs(tmp_path) == 1
    assert discard_results(done) and not (done / "metrics.json").exists() and not discard_results(done)


def test_status_line():
    assert status_line(0, 10, 0, 5.0) == "sweep: 0/10 runs done, time left unknown until a run finishes"
    # 2 runs in 30 s since the start: 15 s a run, 8 left.
    assert status_line(2, 10, 0, 30.0) == "sweep: 2/10 runs done, 2m00s left"
    # Resumed with 4 done: only the 2 finished since count towards the pace.
    assert status_line(6, 10, 4, 30.0) == "sweep: 6/10 runs done, 1m00s left"
    assert status_line(10, 10, 4, 30.0) == "sweep: 10/10 runs done"
    assert status_line(3, None, 0, 1.0) == "sweep: 3 runs done"


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(
    "stream, mode, shown",
    [
        (io.StringIO(), "auto", False),  # a log or CI: quiet
        (io.StringIO(), "off", False),
        (io.StringIO(), "on", True),  # asked for: plain lines, no carriage returns
        (Terminal(), "off", False),
    ],
)
def test_progress_is_quiet_unless_on_a_terminal_or_asked_for(tmp_path, stream, mode, shown):
    p = SweepProgress(tmp_path, 2, mode=mode, stream=stream, interval=0.01).start()
    _run(tmp_path, "0", "abc")
    p.stop()
    text = stream.getvalue()
    assert bool(text) == shown and "\r" not in text
    if shown:
        assert text.splitlines()[-1].startswith("sweep: 1/2 runs done, ")


def test_progress_on_a_terminal_redraws_one_line(tmp_path):
    stream = Terminal()
    p = SweepProgress(tmp_path, 2, mode="auto", stream=stream, interval=0.01).start()
    _run(tmp_path, "0", "abc")
    _run(tmp_path, "1", "abc")
    p.stop()
    text = stream.getvalue()
    assert text.startswith("\r") and text.count("\n") == 1
    assert text.endswith("\rsweep: 2/2 runs done\x1b[K\n")


def test_the_end_of_a_sweep_counts_its_runs_and_says_why_there_is_no_report(tmp_path):
    (tmp_path / "0").mkdir()  # a run that never finished
    line = end_of_sweep(tmp_path, 2)
    assert line.startswith(f"sweep: 0 of 2 runs complete in {tmp_path}; no report (")
    assert str(tmp_path) in line.split("no report (")[1]
    assert not (tmp_path / "report.html").exists()


def test_a_sweep_of_one_run_says_run():
    from sim.words import counted

    assert end_of_sweep(Path("/nonexistent-sweep"), 1).startswith("sweep: 0 of 1 run complete in")
    assert [counted(n, "seed") for n in (0, 1, 2, 1500)] == ["0 seeds", "1 seed", "2 seeds", "1,500 seeds"]
    assert counted(1, "fresh seed") == "1 fresh seed" and counted(3, "criterion", "criteria") == "3 criteria"


def test_parallel_jobs_never_oversubscribe_the_cores():
    assert parallel_jobs(1) == usable_cores()
    assert parallel_jobs("1") == usable_cores()
    assert parallel_jobs(usable_cores()) == 1
    assert parallel_jobs(10 * usable_cores()) == 1


class _SeesTheConfig:
    """A user's callback listed after prepersona's: what it saw of the job's return."""

    seen: list = []

    def on_job_end(self, config, job_return, **kwargs):
        self.seen.append((job_return.cfg, job_return.hydra_cfg))


def test_a_jobs_return_travels_without_its_configs_after_every_callback_saw_them():
    from hydra._internal.callbacks import Callbacks
    from hydra.core.utils import JobReturn, JobStatus
    from omegaconf import OmegaConf

    config = OmegaConf.create(
        {
            "hydra": {
                "callbacks": {
                    "sweep": {"_target_": "sim.sweep.callback.SweepCallback"},
                    "mine": {"_target_": f"{__name__}._SeesTheConfig"},
                }
            }
        }
    )
    ret = JobReturn(cfg=OmegaConf.create({"seed": 3}), hydra_cfg=config, overrides=["seed=3"])
    ret.status, ret.return_value = JobStatus.COMPLETED, 12.5
    _SeesTheConfig.seen.clear()
    Callbacks(config).on_job_end(config=config, job_return=ret)
    assert _SeesTheConfig.seen == [(OmegaConf.create({"seed": 3}), config)]
    # What the parent reads of it is left: the value a sweeper optimizes and the overrides.
    assert ret.cfg is None and ret.hydra_cfg is None
    assert ret.return_value == 12.5 and ret.overrides == ["seed=3"]
