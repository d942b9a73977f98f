"""Reruns as a scheduler makes them: nothing new, one new file, a removed file, a failing stage."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from nlp import pipeline
from nlp.config import PipelineConfig
from nlp.run import run_pipeline
from nlp.store import recover_interrupted_swap

NEW_INTERVIEW = """\
# Follow-up interview

Interviewer: How useful was the helpdesk for your team?

Respondent: The helpdesk answered our questions about the standard within a day. They were very responsive.

Interviewer: What should change next year?

Respondent: They should involve more journalists and investigative media in the network. Civil society groups need more training on using contracting data.

Interviewer: Anything else?

Respondent: Funding for local partners is the main gap. Without resources we cannot sustain the data portal.
"""


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def cold_base(tmp_path_factory, seed_path, shared_onnx):
    """One cold run on the seed, with its own embedding cache."""
    base = tmp_path_factory.mktemp("cold")
    (base / "raw").mkdir()
    shutil.copy(seed_path, base / "raw" / "interview_summary.txt")
    shared_onnx(base / "interim")
    config = PipelineConfig(raw_dir=base / "raw", out_dir=base / "processed", cache_dir=base / "interim")
    summary = run_pipeline(config)
    assert summary.status == "ok"
    return config, summary


@pytest.fixture
def cold(cold_base, tmp_path):
    """A private copy of the cold run: raw folder, outputs and cache, as a scheduler would find them."""
    base, summary = cold_base
    for name in ("raw", "processed", "interim"):
        shutil.copytree(base.raw_dir.parent / name, tmp_path / name, symlinks=True)
    config = PipelineConfig(raw_dir=tmp_path / "raw", out_dir=tmp_path / "processed", cache_dir=tmp_path / "interim")
    return config, summary


def _manifest(config: PipelineConfig) -> dict:
    return json.loads((config.out_dir / "run_manifest.json").read_text())


def test_cold_run_embeds_every_distinct_quote_once(cold):
    config, summary = cold
    quotes = pd.read_parquet(config.out_dir / "quotes.parquet")
    assert summary.counts["new_quotes_embedded"] == quotes.text.nunique()
    assert _manifest(config)["counts"]["new_quotes_embedded"] == quotes.text.nunique()


def test_rerun_without_changes_does_no_work(cold):
    config, _ = cold
    before = _tree_digest(config.out_dir)
    again = run_pipeline(config)
    assert again.status == "up-to-date"
    assert again.counts["new_quotes_embedded"] == 0
    assert set(again.timings) == {"check"}
    assert _tree_digest(config.out_dir) == before


def test_new_file_embeds_only_its_quotes_and_keeps_topic_ids(cold):
    config, _ = cold
    old = pd.read_parquet(config.out_dir / "quotes.parquet")
    (config.raw_dir / "followup.md").write_text(NEW_INTERVIEW, encoding="utf-8")
    raw_before = _tree_digest(config.raw_dir)
    summary = run_pipeline(config)
    assert _tree_digest(config.raw_dir) == raw_before
    new = pd.read_parquet(config.out_dir / "quotes.parquet")
    added = new[new.source_file == "followup.md"]
    assert len(added) >= 3
    assert summary.counts["new_quotes_embedded"] == added.text.nunique()
    kept = old.merge(new, on="quote_id", suffixes=("_old", "_new"))
    assert len(kept) == len(old)
    assert (kept.topic_id_old == kept.topic_id_new).mean() >= 0.8
    manifest = _manifest(config)
    assert manifest["run_number"] == 2
    assert {i["file"] for i in manifest["inputs"]} == {"interview_summary.txt", "followup.md"}
    topics = pd.read_parquet(config.out_dir / "topics.parquet")
    assert set(topics.status) <= {"new", "kept", "merged", "split"}
    assert (topics.status == "kept").sum() >= len(topics) // 2


def test_removed_file_drops_out_of_outputs(cold):
    config, _ = cold
    (config.raw_dir / "followup.md").write_text(NEW_INTERVIEW, encoding="utf-8")
    run_pipeline(config)
    (config.raw_dir / "followup.md").unlink()
    summary = run_pipeline(config)
    quotes = pd.read_parquet(config.out_dir / "quotes.parquet")
    assert set(quotes.source_file) == {"interview_summary.txt"}
    assert summary.counts["new_quotes_embedded"] == 0
    assert [i["file"] for i in _manifest(config)["inputs"]] == ["interview_summary.txt"]


def test_failing_stage_leaves_previous_outputs_whole(cold, monkeypatch):
    config, _ = cold
    before = _tree_digest(config.out_dir)
    (config.raw_dir / "followup.md").write_text(NEW_INTERVIEW, encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("recommendation stage crashed")

    monkeypatch.setattr(pipeline, "find_recommendations", broken)  # the sequence looks it up per run
    with pytest.raises(RuntimeError, match="crashed"):
        run_pipeline(config)
    assert _tree_digest(config.out_dir) == before
    assert pd.read_parquet(config.out_dir / "quotes.parquet").source_file.nunique() == 1
    assert not list(config.out_dir.parent.glob(".processed.*"))


def test_failure_while_writing_leaves_previous_outputs_whole(cold, monkeypatch):
    config, _ = cold
    before = _tree_digest(config.out_dir)
    from nlp import outputs

    def broken(*args, **kwargs):
        raise OSError("disk full")

    # Fails after the tables are staged, before the manifest: the staging folder is half full.
    monkeypatch.setattr(outputs, "build_manifest", broken)
    raw_before = _tree_digest(config.raw_dir)
    with pytest.raises(OSError, match="disk full"):
        run_pipeline(config, force=True)
    assert _tree_digest(config.out_dir) == before
    assert _tree_digest(config.raw_dir) == raw_before


def test_swap_killed_between_renames_is_undone(tmp_path):
    out = tmp_path / "processed"
    aside = tmp_path / ".processed.previous-1234"
    aside.mkdir()
    (aside / "quotes.parquet").write_bytes(b"last good")
    (tmp_path / ".processed.staging-run-0002").mkdir()
    recover_interrupted_swap(out)
    assert (out / "quotes.parquet").read_bytes() == b"last good"
    assert not aside.exists() and not (tmp_path / ".processed.staging-run-0002").exists()


def test_two_cold_runs_give_identical_tables(cold, tmp_path):
    config, _ = cold
    other = PipelineConfig(raw_dir=config.raw_dir, out_dir=tmp_path / "again", cache_dir=config.cache_dir)
    run_pipeline(other)
    for name in ("quotes", "topics", "section_sentiment", "topic_section_sentiment", "recommendations"):
        a = pd.read_parquet(config.out_dir / f"{name}.parquet")
        b = pd.read_parquet(other.out_dir / f"{name}.parquet")
        pd.testing.assert_frame_equal(a, b, obj=name)


def test_a_layout_is_reused_only_for_a_fit_that_reads_exactly_what_it_read():
    import numpy as np

    from nlp.schemas import Quote
    from nlp.topics.config import TopicConfig
    from nlp.topics.stability import TopicMemory, fit_key, reused_layout

    def quote(i: int, text: str) -> Quote:
        return Quote(f"q{i}", "a.txt", "", "", f"r{i}", None, False, text, i, i + 1)

    quotes = [quote(i, f"text {i}") for i in range(3)]
    vectors = np.eye(3, dtype=np.float32)
    key = fit_key(quotes, vectors, TopicConfig())
    memory = TopicMemory({q.quote_id: np.full(2, i, dtype=np.float64) for i, q in enumerate(quotes)}, fit_key=key)
    ids = [q.quote_id for q in quotes]

    assert reused_layout(ids, memory, key).tolist() == [[0, 0], [1, 1], [2, 2]]
    # Another text, vector, setting or quote set is another fit: the layout is fitted again.
    edited = [quotes[0], quote(1, "edited"), quotes[2]]
    for other in (fit_key(edited, vectors, TopicConfig()), fit_key(quotes, vectors * 0.5, TopicConfig()),
                  fit_key(quotes, vectors, TopicConfig(seed=7))):
        assert other != key and reused_layout(ids, memory, other) is None
    assert reused_layout([*ids, "q9"], memory, key) is None
    assert reused_layout(ids, TopicMemory(memory.layout), key) is None  # a layout saved without its key


def test_a_small_new_file_is_placed_in_the_saved_layout_and_a_larger_share_refits(cold):
    config, _ = cold
    old = pd.read_parquet(config.out_dir / "quotes.parquet")
    old_layout = pd.read_parquet(config.out_dir / "topic_model" / "layout.parquet")
    assert not old_layout.placed.any()  # a cold run fits every quote
    (config.raw_dir / "followup.md").write_text(NEW_INTERVIEW, encoding="utf-8")
    summary = run_pipeline(config)
    layout = pd.read_parquet(config.out_dir / "topic_model" / "layout.parquet")
    new_ids = set(pd.read_parquet(config.out_dir / "quotes.parquet").query("source_file == 'followup.md'").quote_id)
    assert set(layout.quote_id[layout.placed]) == new_ids & set(layout.quote_id) != set()
    # The user is told: a count in the summary and the manifest, and a note saying how to refit.
    manifest = json.loads((config.out_dir / "run_manifest.json").read_text(encoding="utf-8"))
    assert summary.counts["placed_quotes"] == manifest["counts"]["placed_quotes"] == int(layout.placed.sum())
    assert any("--topics-max-placed-share 0" in note for note in manifest["notes"])
    # No UMAP fit: the old quotes keep their coordinates, row for row, and every one its topic.
    again = layout.iloc[: len(old_layout)]
    assert again.quote_id.tolist() == old_layout.quote_id.tolist()
    assert again.layout.map(list).tolist() == old_layout.layout.map(list).tolist()
    kept = old.merge(pd.read_parquet(config.out_dir / "quotes.parquet"), on="quote_id", suffixes=("_old", "_new"))
    assert (kept.topic_id_old == kept.topic_id_new).all()
    # Forced again (as a pinned label or a participants file would): the saved layout is reused
    # with its placed quotes, and no quote changes topic.
    placed_run = pd.read_parquet(config.out_dir / "quotes.parquet")
    run_pipeline(config, force=True)
    forced = placed_run.merge(pd.read_parquet(config.out_dir / "quotes.parquet"), on="quote_id", suffixes=("_placed", "_forced"))
    assert len(forced) == len(placed_run) and (forced.topic_id_placed == forced.topic_id_forced).all()

    # The same quotes with a bound they exceed (3 of 220 placed > 1%): UMAP is fitted on all.
    from dataclasses import replace

    strict = replace(config, topics=replace(config.topics, max_placed_share=0.01))
    run_pipeline(strict)
    refit = pd.read_parquet(config.out_dir / "topic_model" / "layout.parquet")
    assert not refit.placed.any()
    assert not json.loads((config.out_dir / "run_manifest.json").read_text(encoding="utf-8"))["notes"]
    assert refit.layout.map(list).tolist() != layout.layout.map(list).tolist()


def test_new_quotes_are_placed_only_when_nothing_else_changed_and_within_the_bound():
    import numpy as np

    from nlp.schemas import Quote
    from nlp.topics.config import TopicConfig
    from nlp.topics.stability import TopicMemory, fit_key, plan_layout

    def quote(i: int, text: str) -> Quote:
        return Quote(f"q{i}", "a.txt", "", "", f"r{i}", None, False, text, i, i + 1)

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(12, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    quotes = [quote(i, f"text {i}") for i in range(12)]
    config = TopicConfig(max_placed_share=0.2)
    old_layout = {q.quote_id: np.full(5, i, dtype=np.float64) for i, q in enumerate(quotes[:10])}
    topics = {q.quote_id: i % 3 for i, q in enumerate(quotes[:11])}
    memory = TopicMemory(old_layout, fit_key=fit_key(quotes[:10], vectors[:10], config), machine_topic=topics)

    plan = plan_layout(quotes[:11], vectors[:11], memory, config)  # one added: 1 of 11 placed
    assert plan.layout is not None and plan.init is None
    assert plan.placed.tolist() == [False] * 10 + [True]
    assert plan.layout[:10].tolist() == [[i] * 5 for i in range(10)]
    # Old quotes keep their topics; the new one joins the topic whose old quotes it is most like.
    centroids = [vectors[[i for i in range(10) if i % 3 == t]].mean(axis=0) for t in range(3)]
    nearest = int(np.argmax([vectors[10] @ c / np.linalg.norm(c) for c in centroids]))
    assert plan.kept_topics.tolist() == [i % 3 for i in range(10)] + [nearest]
    assert 0 <= plan.layout[10, 0] <= 9  # a weighted mean of old coordinates
    # Placed quotes count towards the bound until the next full fit: 1 + 2 of 13 > 20%.
    after = TopicMemory(
        {**old_layout, "q10": plan.layout[10]}, fit_key=plan.key, placed=frozenset({"q10"}), machine_topic=topics
    )
    more = [*quotes[:11], quote(12, "text 12"), quote(13, "text 13")]
    more_vectors = np.vstack([vectors[:11], vectors[10:12]])
    assert plan_layout(more, more_vectors, after, config).layout is None
    assert plan_layout(more[:12], more_vectors[:12], after, config).layout is not None  # 2 of 12 placed
    # An edited old quote, another setting, or a bound of 0: UMAP is fitted on every quote.
    edited = [quote(0, "edited"), *quotes[1:11]]
    assert plan_layout(edited, vectors[:11], memory, config).layout is None
    assert plan_layout(quotes[:11], vectors[:11], memory, TopicConfig(max_placed_share=0.2, n_components=4)).layout is None
    refit = plan_layout(quotes[:11], vectors[:11], memory, TopicConfig(max_placed_share=0))
    assert refit.layout is None and not refit.placed.any()
