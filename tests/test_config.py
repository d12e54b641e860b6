"""One config, validated in one place: mapping, JSON, URL and CLI text forms."""

import json

import pytest

from dropviz.config import (
    ConfigError,
    RunConfig,
    allowed,
    from_json,
    from_mapping,
    from_query_params,
    from_text_values,
    to_query_params,
)


def test_defaults_are_valid_and_keep_p_convention():
    config = RunConfig()
    assert 0 < config.keep_p <= 1
    assert config.changed(keep_p=0.8).torch_dropout_p == pytest.approx(0.2)


@pytest.mark.parametrize(
    "field,value,needle",
    [
        ("keep_p", 0.0, "keep_p"),
        ("keep_p", 1.2, "<= 1.0"),
        ("keep_p", float("nan"), "NaN"),
        ("keep_p_input", -1, ">= 0.001"),
        ("lr", 0, "lr"),
        ("batch_size", 0, ">= 1"),
        ("hidden", (0,), "1 to 8192"),
        ("hidden", (8,) * 7, "1 to 6"),
        ("method", "magic", "dropconnect"),
    ],
)
def test_bad_values_name_the_field_and_the_allowed_range(field, value, needle):
    with pytest.raises(ConfigError) as error:
        from_mapping({field: value})
    message = str(error.value)
    assert message.startswith(field)
    assert needle in message


def test_unknown_setting_is_rejected_with_the_known_list():
    with pytest.raises(ConfigError, match="unknown setting 'keep_prob'.*keep_p"):
        from_mapping({"keep_prob": 0.5})


def test_allowed_describes_ranges_and_choices():
    assert ">= 0.001" in allowed("keep_p") and "<= 1.0" in allowed("keep_p")
    assert allowed("activation") == "one of relu, logistic, tanh"


def test_json_round_trip_and_errors():
    config = RunConfig(hidden=(64, 32), keep_p=0.7, max_norm=3.0)
    assert from_json(config.to_json()) == config
    with pytest.raises(ConfigError, match="not valid JSON"):
        from_json("{keep_p: 0.5")
    with pytest.raises(ConfigError, match="must be an object"):
        from_json(json.dumps([1, 2]))


def test_query_params_round_trip():
    config = RunConfig(
        dataset="spiral",
        hidden=(32, 16, 8),
        method="dropconnect",
        keep_p=0.3,
        max_norm=None,
        twin=False,
        train_size=200,
    )
    params = to_query_params(config)
    assert params["hidden"] == "32,16,8" and params["twin"] == "false"
    parsed, notices = from_query_params(params)
    assert parsed == config and notices == []


def test_bad_url_values_fall_back_to_defaults_with_notices():
    parsed, notices = from_query_params(
        {"keep_p": "7", "hidden": "abc", "epochs": "ten", "method": "dropout", "lang": "zh"}
    )
    default = RunConfig()
    assert parsed.keep_p == default.keep_p and parsed.hidden == default.hidden and parsed.epochs == default.epochs
    assert parsed.method == "dropout"
    assert len(notices) == 3
    assert any("keep_p" in notice and "<= 1.0" in notice for notice in notices)
    assert any("epochs" in notice and "whole number" in notice for notice in notices)


def test_text_values_are_strict():
    assert from_text_values({"keep_p": "0.25", "hidden": "10,10", "max_norm": "none"}).keep_p == 0.25
    with pytest.raises(ConfigError, match="keep_p: expected a number"):
        from_text_values({"keep_p": "half"})


def test_baseline_twin_has_no_regularization_but_same_everything_else():
    config = RunConfig(method="gaussian", keep_p=0.4, keep_p_input=0.8, max_norm=3.0, seed=9, lr=0.3)
    twin = config.baseline()
    assert (twin.method, twin.keep_p, twin.keep_p_input, twin.max_norm) == ("none", 1.0, 1.0, None)
    assert (twin.seed, twin.lr, twin.hidden) == (config.seed, config.lr, config.hidden)
