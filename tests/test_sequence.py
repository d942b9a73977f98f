"""The stage sequence with a fake embedder: what it runs, in which order, and what it writes."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
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


def test_one_run_orders_the_stages_batches_them_and_writes_every_declared_table(seed_config, fake_models, fake_embedder):
    runner = RecordingRunner()
    summary = run_stages(seed_config, runner, models=fake_models(seed_config))
    assert summary.status == "ok"
    assert runner.stages == [
        "check_inputs", "ingest", "split_into_quotes", "attach_attributes", "embed_batch", "read_filler",
        "model_topics", "build_themes", "score_batch", "summarise_sentiment", "find_recommendations", "write_outputs",
    ]
    assert list(summary.timings) == [
        "check", "ingest", "quotes", "attributes", "embed", "filler", "topics", "themes", "sentiment",
        "recommendations", "write",
    ]
    out = seed_config.out_dir
    for table in tables.RUN_TABLES:
        assert list(table.read(out).columns) == table.names
    quotes = tables.QUOTES.read(out)
    assert runner.mapped["embed_batch"] == -(-quotes.text.nunique() // 64)
    assert runner.mapped["score_batch"] == -(-len(quotes) // 64)
    assert summary.counts["quotes"] == len(quotes)
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["model"]["embedding_key"] == fake_embedder.model_sha256
    assert manifest["config"]["batch_size"] == 64 and manifest["config"]["raw_dir"] == str(seed_config.raw_dir)
    assert manifest["counts"]["new_quotes_embedded"] == quotes.text.nunique()

    again = run_pipeline(seed_config, models=fake_models(seed_config))
    assert again.status == "up-to-date" and set(again.timings) == {"check"}


@pytest.mark.parametrize("size", [1, 3, 1000])
def test_batches_join_into_every_quotes_vector_in_quote_order(size, seed_quotes, fake_models, tmp_path):
    from nlp.pipeline import distinct_texts, embed_batch, join_batches
    from nlp.sequence import batches

    quotes = seed_quotes[:40] + seed_quotes[:5]  # repeated texts, as duplicates make them
    models = fake_models(PipelineConfig(cache_dir=tmp_path))
    texts = distinct_texts(quotes)
    joined = join_batches(quotes, texts, InProcess().map("embed_batch", embed_batch, batches(texts, size), models=models))
    expected = models.embedder.embedder.embed([q.text for q in quotes])
    np.testing.assert_array_equal(joined.vectors, expected)
    assert joined.head_vectors is joined.vectors and joined.new == len(texts)


def test_quotes_the_filler_model_turns_leave_the_analysis_and_are_counted(seed_config, fake_models, monkeypatch):
    import nlp.sequence as sequence
    from nlp.filler_model import read_filler

    turned_ids: list[str] = []

    def turning_the_longest(quotes, vectors, min_examples, kept):
        out, _ = read_filler(quotes, vectors, min_examples, kept)  # the seed has no filler: nothing moves
        longest = max(range(len(out)), key=lambda i: len(out[i].text))
        turned_ids.append(out[longest].quote_id)
        out[longest] = dataclasses.replace(out[longest], is_substantive=False)
        return out, 1

    monkeypatch.setattr(sequence, "read_filler", turning_the_longest)
    run_stages(seed_config, InProcess(), models=fake_models(seed_config))
    quotes = tables.QUOTES.read(seed_config.out_dir).set_index("quote_id")
    turned = quotes.loc[turned_ids[0]]
    assert not turned.is_substantive and turned.topic_id == -1 and not turned.is_recommendation
    manifest = json.loads((seed_config.out_dir / "run_manifest.json").read_text())
    assert manifest["counts"]["filler_model_quotes"] == 1
    assert manifest["counts"]["non_substantive_quotes"] == (~quotes.is_substantive).sum() >= 1
