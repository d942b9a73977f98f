"""The stage sequence with a fake embedder: what it runs, in which order, and what it writes."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from nlp import tables
from nlp.config import PipelineConfig
from nlp.run import run_pipeline
from nlp.sequence import InProcess, run_stages


class RecordingRunner(InProcess):
    """Plain calls, remembering each stage and the batches each mapped call got."""

    def __init__(self) -> None:
        super().__init__()
        self.stages: list[str] = []
        self.mapped: dict[str, int] = {}

    def run(self, name, fn, /, *args, **kwargs):
        self.stages.append(name)
        return super().run(name, fn, *args, **kwargs)

    def map(self, name, fn, /, *iterables, **kwargs):
        self.stages.append(name)
        self.mapped[name] = len(iterables[0])
        return super().map(name, fn, *iterables, **kwargs)


@pytest.fixture
def seed_config(tmp_path, seed_path) -> PipelineConfig:
    (tmp_path / "raw").mkdir()
    shutil.copy(seed_path, tmp_path / "raw")
    return PipelineConfig(
        raw_dir=tmp_path / "raw", out_dir=tmp_path / "out", cache_dir=tmp_path / "cache", batch_size=64
    )


def test_stages_run_in_the_documented_order_with_batches(seed_config, fake_models):
    runner = RecordingRunner()
    summary = run_stages(seed_config, runner, models=fake_models(seed_config))
    assert summary.status == "ok"
    assert runner.stages == [
        "check_inputs", "ingest", "split_into_quotes", "embed_batch", "model_topics",
        "score_batch", "summarise_sentiment", "find_recommendations", "write_outputs",
    ]
    quotes = tables.QUOTES.read(seed_config.out_dir)
    assert runner.mapped["embed_batch"] == -(-quotes.text.nunique() // 64)
    assert runner.mapped["score_batch"] == -(-len(quotes) // 64)
    assert list(summary.timings) == ["check", "ingest", "quotes", "embed", "topics", "sentiment", "recommendations", "write"]


def test_a_run_writes_every_declared_table_and_a_typed_manifest(seed_config, fake_models, fake_embedder):
    summary = run_pipeline(seed_config, models=fake_models(seed_config))
    out = seed_config.out_dir
    for table in tables.RUN_TABLES:
        frame = table.read(out)
        assert list(frame.columns) == table.names
    quotes = tables.QUOTES.read(out)
    assert summary.counts["quotes"] == len(quotes)
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["model"]["embedding_key"] == fake_embedder.model_sha256
    assert manifest["config"]["batch_size"] == 64 and manifest["config"]["raw_dir"] == str(seed_config.raw_dir)
    assert manifest["counts"]["new_quotes_embedded"] == quotes.text.nunique()

    again = run_pipeline(seed_config, models=fake_models(seed_config))
    assert again.status == "up-to-date" and set(again.timings) == {"check"}


def test_batch_size_does_not_change_the_tables(seed_config, fake_models, tmp_path):
    run_pipeline(seed_config, models=fake_models(seed_config))
    other = PipelineConfig(raw_dir=seed_config.raw_dir, out_dir=tmp_path / "other", cache_dir=tmp_path / "c2",
                           batch_size=1000)
    run_pipeline(other, models=fake_models(other))
    for table in tables.RUN_TABLES:
        a, b = table.read(seed_config.out_dir), table.read(other.out_dir)
        if "first_seen_run" in a:  # the run id carries the fingerprint, which covers batch_size
            a, b = a.drop(columns="first_seen_run"), b.drop(columns="first_seen_run")
        pd.testing.assert_frame_equal(a, b, obj=table.name)
