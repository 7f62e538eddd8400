"""Configs: every shipped option composes; bad input is one clear error before anything runs."""

from __future__ import annotations

from importlib import resources

import pytest

from sim.config.experiments import experiment_files
from sim.config.preflight import GROUPS, PreflightError, compose_config, preflight


def options(group: str) -> list[str]:
    if group == "experiment":  # experiments/, shipped as sim.experiments
        return sorted(experiment_files())
    return sorted(
        p.name[:-5] for p in resources.files("sim.configs").joinpath(group).iterdir() if p.name.endswith(".yaml")
    )


@pytest.mark.parametrize("group", GROUPS)
def test_every_option_of_every_group_composes(group):
    for option in options(group):
        cfg = compose_config([f"{group}={option}"])
        if group == "behavior":
            assert list(cfg.behaviors) == [option]
        else:
            assert getattr(cfg, group).name == option


def test_shipped_strategies():
    assert {
        "none",
        "popular",
        "segment_rules",
        "recommend",
        "recommend_purchase_aware",
        "retarget_naive",
        "inferred_sensitive",
        "transparent_consented",
        "aggressive",
    } <= set(options("strategy"))


def test_a_strategy_may_choose_its_campaign_plan_and_the_command_line_wins():
    assert compose_config(["strategy=aggressive"]).campaign.name == "frequent_email"
    assert compose_config(["strategy=aggressive", "campaign=weekly_email"]).campaign.name == "weekly_email"
    assert compose_config(["strategy=recommend"]).campaign.name == "weekly_email"


@pytest.mark.parametrize(
    "override, fragment",
    [
        (
            "strategy=bogus",
            "strategy=bogus is not allowed: no such option; available options: aggressive, inferred_sensitive, none",
        ),
        ("population.sise=5", "'sise' is not a key of population; allowed keys: name, size"),
        ("+population.foo=1", "'foo' is not a key of population"),
        ("seed=abc", "seed=abc is not allowed: Value 'abc' of type 'str' could not be converted to Integer"),
        ("threads=1.5", "could not be converted to Integer"),
        (
            "customer.email_exposure.base_rate=1.5",
            "customer.email_exposure.base_rate=1.5 is not allowed: >= 0 and <= 1",
        ),
        (
            "population.segments.0.email_optin=-0.1",
            "population.segments[0].email_optin=-0.1 is not allowed: >= 0 and <= 1",
        ),
        (
            "population.segments.1.visit_rate_mean=-0.01",
            "population.segments[1].visit_rate_mean=-0.01 is not allowed: >= 0",
        ),
        ("population.segments.0.share=0.5", "population.segments[].share=1.2 is not allowed: shares that sum to 1"),
        (
            "population.segments.0.nonsense=1",
            "'nonsense' is not a key of population.segments[0]; allowed keys: name, share",
        ),
        # A key inside a list or dict value: where it is and what is allowed, not Hydra's advice
        # to append with +.
        (
            "uncertainty.priors=[{kee:customer.trust.gain}]",
            "uncertainty.priors=[{kee:customer.trust.gain}] is not allowed: 'kee' is not a key of an entry of "
            "uncertainty.priors; allowed keys: key, dist, low, high",
        ),
        (
            "campaign.limits.email={cap_per_wek:5}",
            "'cap_per_wek' is not a key of campaign.limits.email; allowed keys: cap_per_week, cap_per_day",
        ),
        (
            "campaign.limits={email:{cap_per_wek:5}}",
            "'cap_per_wek' is not a key of ChannelLimitsConfig (inside campaign.limits); allowed keys: cap_per_week",
        ),
        ("customer.churn.hazard_max=-1", "customer.churn.hazard_max=-1.0 is not allowed: >= 0 and <= 1"),
        ("population.size=0", "population.size=0 is not allowed: >= 1"),
        ("horizon_days=0", "horizon_days=0 is not allowed: >= 1"),
        ("threads=0", "threads=0 is not allowed: >= 1"),
        (
            "strategy.slots=[behavioural,telepathy]",
            "strategy.slots[1]='telepathy' is not allowed: one of editorial, popular, stated, behavioural",
        ),
        ("strategy.slots=[]", "strategy.slots=[] is not allowed: between 1 and 32 slots"),
        ("strategy.suppress_window_days=-3", "strategy.suppress_window_days=-3.0 is not allowed: >= 0"),
        ("strategy.retarget_window_days=-1", "strategy.retarget_window_days=-1 is not allowed: >= 0"),
        (
            "campaign.scheduled.newsletter.send_hour=24",
            "campaign.scheduled.newsletter.send_hour=24 is not allowed: >= 0 and <= 23",
        ),
        (
            "campaign.scheduled.newsletter.cadence=7x",
            "campaign.scheduled.newsletter.cadence='7x' is not allowed: a number and a unit h, d or w",
        ),
        ("campaign.scheduled.newsletter.cadence=0.01d", "a whole number of hours"),
        ("campaign.scheduled.newsletter.cadence=0h", "a duration longer than 0"),
        ("campaign.limits.email.cap_per_week=-1", "campaign.limits.email.cap_per_week=-1 is not allowed: >= 0"),
        ("campaign.limits.push.quiet_hours=08:00-08:00", "quiet hours that leave some sending time"),
        ("campaign.limits.push.quiet_hours=late", "'HH:MM-HH:MM' on whole hours"),
        (
            "campaign=omnichannel campaign.triggers.post_purchase.event=birthday",
            "campaign.triggers.post_purchase.event='birthday' is not allowed: one of purchase, browse, cart, "
            "replenishment, inactivity",
        ),
        (
            "campaign.scheduled.newsletter.audience=segment campaign.scheduled.newsletter.segment=vip",
            "campaign.scheduled.newsletter.segment='vip' is not allowed: one of the population's segments",
        ),
        (
            "campaign.scheduled.newsletter.strategy=nosuch",
            "campaign.scheduled.newsletter.strategy='nosuch' is not allowed: '' (the run's strategy) or one of",
        ),
        (
            "+campaign.scheduled.promo={channel:push,cadence:3d}",
            "campaign.scheduled.promo={channel:push,cadence:3d} is not allowed: a new named entry cannot be added "
            "from the command line",
        ),
        ("campaign.retargeting.hours=[25]", "campaign.retargeting.hours[0]=25 is not allowed: >= 0 and <= 23"),
        ("customer.trust.gain=nan", "customer.trust.gain=nan is not allowed: a finite number"),
    ],
)
def test_bad_input_is_one_line_naming_key_value_and_what_is_allowed(override, fragment):
    with pytest.raises(PreflightError) as err:
        compose_config(override.split())
    msg = str(err.value)
    assert fragment in msg
    assert "\n" not in msg


def test_a_sweep_with_one_bad_value_fails_before_any_job():
    assert preflight(["strategy=none,recommend", "seed=range(3)"], multirun=True) == 6
    with pytest.raises(PreflightError, match="strategy=bogus is not allowed"):
        preflight(["strategy=none,bogus"], multirun=True)
    with pytest.raises(PreflightError, match="population.size=0 is not allowed"):
        preflight(["population.size=100,0"], multirun=True)


def test_glob_sweeps_every_strategy_and_nothing_else():
    assert preflight(["strategy=glob(*)"], multirun=True) == len(options("strategy"))


def test_parameter_reference_is_up_to_date():
    # docs/parameters.md is generated from the schema; regenerate it with
    # `python -m sim.config.parameter_table > docs/parameters.md` after changing a parameter.
    from pathlib import Path

    from sim.config.parameter_table import render_markdown

    committed = Path(__file__).parents[1] / "docs" / "parameters.md"
    assert committed.read_text() == render_markdown()


def test_every_parameter_is_documented():
    from sim.config.parameter_table import parameter_rows

    undocumented = [r["key"] for r in parameter_rows() if not r["meaning"] and "[]" not in r["key"]]
    assert undocumented == []


def test_a_slate_larger_than_the_catalog_is_refused():
    with pytest.raises(
        PreflightError, match=r"firm.editorial_picks=50 is not allowed: at most the number of catalog items \(20\)"
    ):
        compose_config(["catalog.items=20"])
    with pytest.raises(PreflightError, match=r"strategy.slots=.* is not allowed: at most the number of catalog items"):
        compose_config(
            [
                "catalog.items=17",
                "strategy.popular_pool=5",
                "firm.editorial_picks=5",
                "strategy.slots=[" + ",".join(["popular"] * 18) + "]",
            ]
        )


@pytest.mark.parametrize(
    "group, text, message",
    [
        (
            "experiment",
            "# @package _global_\nuncertainty:\n  worlds: 4\n  priors:\n    - {kee: customer.trust.gain}\n",
            "experiment/mine.yaml: kee is not allowed: 'kee' is not a key of an entry of uncertainty.priors; "
            "allowed keys: key, dist, low, high, a, b, mean, sd",
        ),
        (
            "experiment",
            "# @package _global_\npopulation:\n  sise: 5\n",
            "experiment/mine.yaml: population.sise is not allowed: 'sise' is not a key of population; allowed keys: "
            "name, size, segments",
        ),
        (
            "customer",
            "defaults:\n  - default\ntrust:\n  gainn: 0.1\n",
            "customer/mine.yaml: customer.trust.gainn is not allowed: 'gainn' is not a key of customer.trust; "
            "allowed keys: gain, loss_irrelevant",
        ),
        (
            "customer",
            "defaults:\n  - default\ntrust:\n  gain: lots\n",
            "customer/mine.yaml: customer.trust.gain='lots' is not allowed: Value 'lots' of type 'str' could not be "
            "converted to Float",
        ),
        (
            "customer",
            "defaults:\n  - default\ntrust:\n  gain: 0.1\n  gain: 0.2\n",
            "customer/mine.yaml, line 5: gain is not allowed a second time in the same mapping; give each key once",
        ),
        (
            "customer",
            "defaults:\n  - defaultt\n",
            # The options of the search path's directory are listed with the package's.
            "customer/mine.yaml: defaults entry customer/defaultt is not allowed: no such option; available "
            "options: default, mine",
        ),
    ],
)
def test_a_bad_entry_in_a_config_file_names_the_file_the_key_and_what_is_allowed(tmp_path, group, text, message):
    (tmp_path / group).mkdir()
    (tmp_path / group / "mine.yaml").write_text(text)
    with pytest.raises(PreflightError) as err:
        compose_config([f"hydra.searchpath=[file://{tmp_path}]", f"{group}=mine"])
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_missing_defaults_entry_lists_no_options_where_a_search_path_s_cannot_be_listed(tmp_path):
    # A pkg:// entry's options are not read here: a list without them would mislead.
    (tmp_path / "customer").mkdir()
    (tmp_path / "customer" / "mine.yaml").write_text("defaults:\n  - defaultt\n")
    with pytest.raises(PreflightError) as err:
        compose_config([f"hydra.searchpath=[pkg://sim.configs,file://{tmp_path}]", "customer=mine"])
    assert str(err.value) == "customer/mine.yaml: defaults entry customer/defaultt is not allowed: no such option"


def test_a_sweep_declared_in_an_experiment_without_a_sweep_mode_is_refused_not_dropped(tmp_path, monkeypatch):
    # Hydra runs such a config once and drops its sweep, typos in the swept keys included.
    from sim.config.preflight import check_command

    (tmp_path / "experiment").mkdir()
    (tmp_path / "experiment" / "mine.yaml").write_text(
        "# @package _global_\nhydra:\n  sweeper:\n    params:\n"
        "      seed: range(2)\n      customer.trust.gainn: 0.1,0.2\n"
    )
    monkeypatch.chdir(tmp_path)
    command = [f"hydra.searchpath=[file://{tmp_path}]", "experiment=mine", "population.size=100", "horizon_days=2"]
    with pytest.raises(
        PreflightError, match=r"^hydra.sweeper.params \(seed, customer.trust.gainn\) is not allowed in a single run"
    ):
        check_command(command)
    # As a sweep, the typo is named; run once on purpose, it is not a sweep.
    with pytest.raises(PreflightError, match="'gainn' is not a key of customer.trust"):
        check_command(command, multirun=True)
    assert len(check_command([*command, "hydra.mode=RUN", "hydra.run.dir=r"]).jobs) == 1


@pytest.mark.parametrize(
    "command, message",
    [
        (["seed=0,1"], "seed=0,1 is not allowed in a single run: a sweep over these values needs -m"),
        (["seed=range(2)"], "seed=range(2) is not allowed in a single run: a sweep needs -m"),
        (
            ["experiment=tune_recommend", "hydra.sweeper.params.strategy.exploration=interval(0.05,0.3)"],
            "hydra.sweeper.params.strategy.exploration=interval(0.05,0.3) is not allowed: a sweep's dimension goes on "
            "the command line as strategy.exploration=interval(0.05,0.3)",
        ),
        (
            ["experiment=tune_recommend", "hydra.sweeper.n_trialz=3"],
            "'n_trialz' is not a key of hydra.sweeper; allowed keys: _target_, objectives, constraints",
        ),
        (
            ["experiment=tune_recommend", "hydra.sweeper.objectives=[value]"],
            "hydra.sweeper.objectives=[value] is not allowed: a mapping {key: value, ...}, not a list",
        ),
        (["strategy.slots={a:1}"], "strategy.slots={a:1} is not allowed: a list [a, b, ...], not a mapping"),
        # Lines the override grammar cannot read: which one, and how to quote it.
        (
            ["seed=0", "hydra.run.dir=out/a=b"],
            "hydra.run.dir=out/a=b is not allowed: not an override the command line can read (key=value); a value "
            "with spaces, '=', brackets or other symbols goes in quotes: hydra.run.dir='...'",
        ),
        (["strategy.name=é✓"], "strategy.name=é✓ is not allowed: not an override the command line can read"),
        # The grammar keeps the last of two equal keys in a mapping, without a word.
        (
            ["uncertainty.worlds=4", "uncertainty.priors=[{key:customer.trust.gain,low:0.1,high:0.3,low:0.2}]"],
            "uncertainty.priors=[{key:customer.trust.gain,low:0.1,high:0.3,low:0.2}] is not allowed: low is given "
            "twice in one mapping; give each key once",
        ),
    ],
)
def test_hydra_s_own_refusals_are_one_line_naming_the_override_and_what_is_allowed(
    tmp_path, monkeypatch, command, message
):
    from sim.config.preflight import check_command

    monkeypatch.chdir(tmp_path)
    with pytest.raises(PreflightError) as err:
        check_command([*command, "hydra.sweep.dir=s", "hydra.run.dir=r"])
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_key_given_twice_in_one_mapping_of_a_sweep_is_refused(tmp_path, monkeypatch):
    from sim.config.preflight import check_command

    monkeypatch.chdir(tmp_path)
    with pytest.raises(PreflightError) as err:
        check_command(["campaign.limits.email={cap_per_week:5},{cap_per_week:2,cap_per_week:3}"], multirun=True)
    assert "cap_per_week is given twice in one mapping" in str(err.value)


@pytest.mark.parametrize(
    "entries, message",
    [
        ("[file://no_such_dir]", "no_such_dir is not a directory (a relative path is taken from "),
        ("[no_such_dir]", "no_such_dir is not a directory"),  # Hydra reads a plain path as file://
        ("[pkg://no_such_package]", "no_such_package is not an importable package"),
        ("[http://example.org/configs]", "entries of file://DIR or pkg://PACKAGE, not 'http://example.org/configs'"),
        ("file://.", "a list of file://DIR or pkg://PACKAGE entries"),
    ],
)
def test_a_search_path_entry_that_is_not_there_is_refused_not_skipped(tmp_path, monkeypatch, entries, message):
    # Hydra skips a missing entry with a warning; its options then went missing without a word.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PreflightError) as err:
        compose_config([f"hydra.searchpath={entries}", "strategy=popular"])
    assert str(err.value).startswith(f"hydra.searchpath='{entries}' is not allowed: ") and message in str(err.value)


def test_a_search_path_as_a_plain_directory_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine" / "customer").mkdir(parents=True)
    (tmp_path / "mine" / "customer" / "mine.yaml").write_text("defaults:\n  - default\ntrust:\n  gain: 0.03\n")
    assert compose_config(["hydra.searchpath=[mine]", "customer=mine"]).customer.trust.gain == 0.03
