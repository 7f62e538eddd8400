"""Schema dataclasses built from plain YAML without OmegaConf (sim.config.plain), and the
strategies campaigns name (sim.strategies.named), as OmegaConf would build them."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from sim.config.params import MISSING
from sim.config.plain import from_mapping
from sim.config.schema import StrategyConfig
from sim.errors import ConfigError
from sim.strategies.named import _strategy_dir, available_strategies, load_strategy_config


def test_the_schemas_missing_marker_is_omegaconfs():
    import omegaconf

    assert MISSING == omegaconf.MISSING


@pytest.mark.parametrize("name", available_strategies())
def test_a_named_strategy_is_the_config_omegaconf_builds_from_its_file(name):
    node = OmegaConf.load(str(_strategy_dir() / f"{name}.yaml"))
    node.pop("defaults", None)
    if "strategy" in node:
        node = node.strategy
    expected = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(StrategyConfig), node))
    got = load_strategy_config(name)
    assert got == expected
    # Same types too (== would take 30 for 30.0).
    assert [type(v) for v in vars(got).values()] == [type(v) for v in vars(expected).values()]


def test_an_unknown_strategy_name_is_a_key_error():
    with pytest.raises(KeyError):
        load_strategy_config("no_such_strategy")


def test_values_are_converted_and_defaults_fill_the_rest():
    cfg = from_mapping(StrategyConfig, {"name": "s", "suppress_window_days": 30, "slots": ["popular"]})
    assert cfg.suppress_window_days == 30.0 and isinstance(cfg.suppress_window_days, float)
    assert cfg.slots == ["popular"] and cfg.candidates == StrategyConfig().candidates


@pytest.mark.parametrize(
    "data, key, allowed",
    [
        ({"name": "s", "exploratoin": 0.1}, "strategy.exploratoin", "'exploratoin' is not a key of StrategyConfig"),
        ({"name": "s", "candidates": "many"}, "strategy.candidates", "a value of type int"),
        ({"name": "s", "candidates": True}, "strategy.candidates", "a value of type int"),
        ({"name": "s", "explained": "yes"}, "strategy.explained", "a value of type bool"),
        ({"name": "s", "slots": "popular"}, "strategy.slots", "a list of str"),
        ({"name": "s", "slots": ["popular", 3]}, "strategy.slots[1]", "a value of type str"),
        ({"slots": ["popular"]}, "strategy.name", "a value is required"),
        (["popular"], "strategy", "a mapping of the keys of StrategyConfig"),
    ],
)
def test_a_bad_key_or_value_names_the_key(data, key, allowed):
    with pytest.raises(ConfigError) as err:
        from_mapping(StrategyConfig, data, "strategy")
    assert err.value.key == key and allowed in err.value.allowed
