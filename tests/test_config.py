"""PipelineConfig is the one source of settings: command lines, fingerprint and manifest follow it."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from nlp.config import (
    RESULT_NEUTRAL,
    PipelineConfig,
    add_config_arguments,
    config_from_args,
    config_from_options,
    config_options,
    fingerprint_settings,
)
from nlp.pipeline import fingerprint_inputs

# A value different from the default, per option type, to change one setting at a time.
OTHER = {int: 7, float: 0.123, str: "torch", bool: None, Path: Path("elsewhere")}


def _changed(option):
    if option.type is bool:
        return not option.default
    if option.choices:
        return next(c for c in option.choices if c != option.default)
    return OTHER[option.type]


def test_every_setting_is_an_option_and_round_trips():
    options = config_options()
    top = {f.name for f in dataclasses.fields(PipelineConfig)}
    names = {o.name for o in options}
    assert top - {"quotes", "topics"} <= names
    assert {"quotes_max_words", "topics_min_topic_size"} <= names
    assert config_from_options() == PipelineConfig()
    for option in options:
        config = config_from_options(**{option.name: _changed(option)})
        assert config != PipelineConfig(), option.name


def test_unknown_option_is_refused():
    with pytest.raises(TypeError, match="not PipelineConfig options: colour"):
        config_from_options(colour="red")


def test_argparse_options_come_from_the_config():
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    args = parser.parse_args(["--raw-dir", "in", "--backend", "onnx-int8", "--seed", "3",
                              "--quotes-max-words", "12", "--no-topics-keybert"])
    config = config_from_args(args)
    assert config.raw_dir == Path("in") and config.backend == "onnx-int8" and config.seed == 3
    assert config.quotes.max_words == 12 and config.topics.keybert is False
    assert config_from_args(parser.parse_args([])) == PipelineConfig()
    with pytest.raises(SystemExit):
        parser.parse_args(["--backend", "tensorflow"])


def test_fingerprint_covers_every_setting_but_the_result_neutral_ones(tmp_path):
    (tmp_path / "a.txt").write_text("hello", encoding="utf-8")
    base = fingerprint_inputs(tmp_path, PipelineConfig(), "sha")
    assert RESULT_NEUTRAL <= {f.name for f in dataclasses.fields(PipelineConfig)}
    for option in config_options():
        changed = config_from_options(**{option.name: _changed(option)})
        neutral = option.name in RESULT_NEUTRAL
        assert (fingerprint_inputs(tmp_path, changed, "sha") == base) is neutral, option.name
    assert set(fingerprint_settings(PipelineConfig())) == {f.name for f in dataclasses.fields(PipelineConfig)} - RESULT_NEUTRAL
