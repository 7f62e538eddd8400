"""The fast preflight decides every job exactly as composing it through Hydra would.

A sweep's jobs are checked by composing each combination of group choices once and assigning
the remaining values directly (sim.config.job_check.JobChecker); these tests hold it to the
verdicts, messages and config hashes of composing every job.
"""

from __future__ import annotations

import pytest

from sim.config.compose import compose_one, hydra_context
from sim.config.job_check import JobChecker
from sim.config.preflight import PreflightError, _plan, check_command, compose_config
from sim.sweep.resume import config_hash

SWEEPS = [
    ["strategy=none,recommend", "seed=0,7", "campaign.scheduled.newsletter.cadence=1d,2d"],
    ["experiment=retarget_caps", "seed=0", "population.size=700"],
    ["behavior=word_of_mouth", "behaviors.word_of_mouth.contacts=1,4", "customer.trust.gain=0.01,0.5"],
    ["population.segments.0.email_optin=0.1,0.9", "output.progress=off", "threads=2", "memory_check=true,false"],
    ["campaign=omnichannel,retargeting", "campaign.limits.ads.cap_per_day=1,5", "strategy.covert=true"],
    ["seed=3", "horizon_days=10,20", "++output.journeys=5"],  # a forced key: composed job by job
    # A literal list as a value, the same in every job: composed once with the group choices.
    [
        "strategy=none,recommend",
        "uncertainty.priors=[{key:customer.trust.gain},{key:customer.trust.loss_creepy,dist:uniform,low:0.1,high:0.3}]",
        "uncertainty.worlds=4",
        "seed=0,1",
    ],
    # A value inside a dict the job also sets: Hydra applies them in order (here the dict wins),
    # so composed job by job.
    ["campaign=omnichannel", "campaign.limits.email.cap_per_week=1,2", "campaign.limits.email={cap_per_week:5}"],
]
COMPOSED_JOB_BY_JOB = ("++output.journeys=5", "campaign.limits.email.cap_per_week=1,2")
"""Lines of SWEEPS with which every job of the sweep is composed through Hydra."""


@pytest.mark.parametrize("sweep", SWEEPS, ids=lambda s: " ".join(s)[:40])
def test_every_job_gets_the_config_hash_composing_it_gives(sweep):
    with hydra_context():
        jobs, _, _ = _plan(sweep, True, "config")
        checker = JobChecker("config")
        for job in jobs:
            assert checker.check(job).config_hash == config_hash(compose_one("config", job)[0]), job
    # Each group of choices is composed once; then every job is decided without Hydra, except
    # those that add a key or set a value inside a list the job also sets (composed one by one).
    if any(o in COMPOSED_JOB_BY_JOB for o in sweep):
        assert checker.slow == len(jobs)
    else:
        assert checker.fast == len(jobs) and len(checker.bases) <= 2


@pytest.mark.parametrize(
    "sweep, bad_job",
    [
        (["seed=0,abc"], ["seed=abc"]),
        (["customer.trust.gain=0.1,2"], ["customer.trust.gain=2"]),
        (["campaign.scheduled.newsletter.cadence=1d,7x"], ["campaign.scheduled.newsletter.cadence=7x"]),
        (["population.segments.0.share=0.2,0.5"], ["population.segments.0.share=0.2"]),
        (["strategy=none,popular", "strategy.popular_pool=5,5000"], ["strategy=none", "strategy.popular_pool=5000"]),
        (["threads=1,0"], ["threads=0"]),
        (["output.parquet=true,maybe"], ["output.parquet=maybe"]),
        (["strategy.replenish_lo=0.5,2"], ["strategy.replenish_lo=2"]),
    ],
)
def test_a_bad_job_of_a_sweep_gets_the_message_composing_it_gives(sweep, bad_job):
    with pytest.raises(PreflightError) as alone:
        compose_config(bad_job)
    with pytest.raises(PreflightError) as in_sweep:
        check_command(sweep, multirun=True)
    assert str(in_sweep.value) == str(alone.value)


def test_the_first_bad_job_in_hydra_order_is_the_one_named():
    with pytest.raises(PreflightError, match=r"^customer.trust.gain=3.0 is not allowed"):
        check_command(["seed=0,1", "customer.trust.gain=0.1,3,4"], multirun=True)


@pytest.mark.slow
def test_a_ten_thousand_job_preflight_checks_every_job(tmp_path, monkeypatch):
    # Its time is measured by `python -m benchmarks.safety`, not here.
    monkeypatch.chdir(tmp_path)
    plan = check_command(["strategy=glob(*)", "seed=range(1000)"], multirun=True)
    assert len(plan.jobs) == 10_000 and len({j.config_hash for j in plan.jobs}) == 10_000
