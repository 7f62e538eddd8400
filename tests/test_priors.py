"""Every default has a source of one of five kinds, and every uncertain one a range to consider."""

from __future__ import annotations

import pytest

from sim.config.params import leaf_parameters
from sim.config.preflight import compose_config
from sim.config.priors import PRIORS, Prior
from sim.config.schema import Config
from sim.config.sources import KINDS, MODEL_LEVERS_AND_SETTINGS, is_model_parameter, source_kind
from tests.test_config import options

PARAMETERS = leaf_parameters(Config)  # key -> (field, default)


def source(key: str) -> str:
    return PARAMETERS[key][0].metadata.get("source", "")


def is_numeric(key: str) -> bool:
    field, default = PARAMETERS[key]
    rng = field.metadata.get("range")
    return isinstance(default, (int, float)) and not isinstance(default, bool) and (rng is None or rng.choices is None)


# --------------------------------------------------------------------------- sources


def test_source_kinds():
    assert source_kind("email open rate 21-23% (Mailchimp benchmarks)") == "published"
    assert source_kind("calibrated: 0.25% unsubscribes per send") == "calibrated"
    assert source_kind("assumption: no published figure") == "assumption"
    assert source_kind("lever: the campaign plan") == "lever"
    assert source_kind("setting: a name") == "setting"
    assert source_kind("leverage of a brand (Smith 2020)") == "published"  # a word, not the tag
    assert source_kind("  ") == ""


@pytest.mark.parametrize("key", sorted(k for k in PARAMETERS if is_model_parameter(k)))
def test_every_model_parameter_has_a_source(key):
    assert source_kind(source(key)) in KINDS, f"{key} has no source"


@pytest.mark.parametrize("key", sorted(PARAMETERS))
def test_a_tagged_source_gives_its_reason(key):
    # "assumption" alone says nothing: every tag is followed by a colon and the reason.
    kind = source_kind(source(key))
    if kind and kind != "published":
        assert source(key).startswith(f"{kind}: ") and len(source(key)) > len(kind) + 4, source(key)


def test_levers_and_settings_in_the_model_groups_are_the_documented_exceptions():
    found = {k for k in PARAMETERS if is_model_parameter(k) and source_kind(source(k)) in ("lever", "setting")}
    assert found == MODEL_LEVERS_AND_SETTINGS


def test_the_exceptions_name_model_parameters():
    for key in MODEL_LEVERS_AND_SETTINGS:
        assert key in PARAMETERS and is_model_parameter(key), key


def test_strategy_and_campaign_are_levers_or_settings():
    for key in PARAMETERS:
        if key.split(".")[0] in ("strategy", "campaign") and key != "campaign.retargeting.cost_per_mille":
            assert source_kind(source(key)) in ("lever", "setting"), key


# --------------------------------------------------------------------------- priors


def test_prior_rejects_an_empty_or_unloggable_range():
    with pytest.raises(ValueError, match="low < high"):
        Prior(1.0, 1.0)
    with pytest.raises(ValueError, match="low > 0"):
        Prior(0.0, 1.0, "log")
    with pytest.raises(ValueError, match="scale"):
        Prior(0.0, 1.0, "logit")


def test_prior_as_the_reference_shows_it():
    assert Prior(0.15, 0.23).describe() == "0.15-0.23"
    assert Prior(2, 32, "log").describe() == "2-32 (log)"
    assert Prior(-5.5, -3.5).describe() == "-5.5 to -3.5"


@pytest.mark.parametrize("key", sorted(k for k in PARAMETERS if source_kind(source(k)) in ("assumption", "calibrated")))
def test_every_assumption_and_calibration_has_a_prior(key):
    assert key in PRIORS


@pytest.mark.parametrize("key", sorted(PRIORS))
def test_each_prior_names_a_numeric_parameter(key):
    assert key in PARAMETERS and is_numeric(key)


@pytest.mark.parametrize("key", sorted(PRIORS))
def test_each_prior_lies_in_the_allowed_range_and_contains_the_default(key):
    prior = PRIORS[key]
    field, default = PARAMETERS[key]
    allowed = field.metadata["range"]
    assert allowed.allows(prior.low) and allowed.allows(prior.high), f"{key}: {prior} outside {allowed.describe()}"
    assert prior.low <= default <= prior.high, f"{key}: default {default} outside {prior.describe()}"
    assert prior.low < prior.high
    assert prior.scale in ("linear", "log")
    if prior.scale == "log":
        assert prior.low > 0


def values_at(node, key: str) -> list:
    """The values of a dotted key in a composed config (one per entry for a list's key)."""
    head, _, rest = key.partition(".")
    if head.endswith("[]"):
        return [v for entry in getattr(node, head[:-2]) for v in values_at(entry, rest)]
    if not rest:
        return [getattr(node, head)]
    return values_at(getattr(node, head), rest)


@pytest.mark.parametrize("group", ["population", "catalog", "customer", "campaign"])
def test_every_shipped_option_lies_within_the_priors(group):
    for option in options(group):
        cfg = compose_config([f"{group}={option}"])
        for key, prior in PRIORS.items():
            if key.split(".")[0] == group:
                for value in values_at(cfg, key):
                    assert prior.contains(value), f"{group}={option}: {key}={value} outside {prior.describe()}"


def test_the_reference_shows_the_kind_and_the_range_to_consider():
    from sim.config.parameter_table import parameter_rows

    rows = {r["key"]: r for r in parameter_rows()}
    assert rows["customer.trust.gain"]["consider"] == "0.005-0.04 (log)"
    assert rows["customer.trust.gain"]["kind"] == "assumption"
    assert rows["customer.optout.email_base_hazard"]["kind"] == "calibrated"
    assert rows["strategy.exploration"]["kind"] == "lever"
    assert rows["strategy.exploration"]["consider"] == ""
    assert rows["seed"]["kind"] == "setting"
