"""The themes stage in a run (fake embedder): parents.parquet, named topics, ids across reruns."""

from __future__ import annotations

import dataclasses
import re
import shutil

import numpy as np
import pytest

from nlp import tables
from nlp.config import PipelineConfig
from nlp.manifest import read_manifest
from nlp.run import run_pipeline
from nlp.topics.hierarchy import MIN_OVERLAP, build_hierarchy
from nlp.topics.lineage import PreviousTopic
from tests.fakes import FakeEmbedder
from tests.fakes import fake_models as models_with


@pytest.fixture
def config(tmp_path, seed_path) -> PipelineConfig:
    (tmp_path / "raw").mkdir()
    shutil.copy(seed_path, tmp_path / "raw")
    return PipelineConfig(raw_dir=tmp_path / "raw", out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")


def _held(quotes, parents) -> dict[int, set[str]]:
    return {int(p): set(quotes.quote_id[quotes.topic_id.isin(list(ids))]) for p, ids in zip(parents.parent_id, parents.topic_ids)}


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / max(len(a | b), 1)


def test_a_run_writes_named_parents_over_its_topics(config, fake_models):
    run_pipeline(config, models=fake_models(config))
    out = config.out_dir
    parents, topics, quotes = tables.PARENTS.read(out), tables.TOPICS.read(out), tables.QUOTES.read(out)
    assert 2 <= len(parents) <= 12 and len(parents) < len(topics)
    # Every sub-theme sits under exactly one parent, and the parent ids are no topic's id.
    assert sorted(t for ids in parents.topic_ids for t in ids) == sorted(topics.topic_id)
    assert set(topics.parent_id) == set(parents.parent_id)
    assert not set(parents.parent_id) & set(topics.topic_id)
    assert read_manifest(out).next_topic_id > max([*parents.parent_id, *topics.topic_id])
    # Labels are short unique phrases; the keyword lists stay in `keywords`.
    labels = [*topics.label, *parents.label]
    assert len({label.lower() for label in labels}) == len(labels)
    assert all(2 <= len(label.split()) <= 6 for label in labels)
    assert all(len(k) >= 1 for k in topics.keywords) and all(len(k) >= 1 for k in parents.keywords)
    # Card quotes are real quotes of the theme, evidence from distinct respondents.
    by_id = quotes.set_index("quote_id")
    for t in topics.itertuples():
        assert t.description and t.description_quote_id in by_id.index
        assert set(by_id.loc[list(t.evidence_quote_ids), "topic_id"]) == {t.topic_id}
        assert by_id.loc[list(t.evidence_quote_ids), "respondent_id"].is_unique
    for p in parents.itertuples():
        counted = quotes[quotes.topic_id.isin(list(p.topic_ids)) & quotes.duplicate_of.isna()]
        assert p.size == quotes.topic_id.isin(list(p.topic_ids)).sum()
        assert p.n_respondents == counted.respondent_id.nunique()
        assert by_id.loc[p.description_quote_id, "topic_id"] in set(p.topic_ids)
    assert set(parents.label_source) == {"machine"}


class WordsEmbedder(FakeEmbedder):
    """Each text is the mean of its words' fixed random vectors: texts that share words are
    near, so themes have a shape that a rerun can find again (plain hash vectors have none)."""

    def embed(self, texts):
        self.calls.append(len(texts))
        words = [[w for w in re.findall(r"[a-z]{4,}", t.lower())] or [t] for t in texts]
        out = np.stack([np.sum([super(WordsEmbedder, self).embed([w])[0] for w in ws], axis=0) for ws in words])
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def test_a_rerun_with_a_new_interview_keeps_the_parents_that_hold_the_same_quotes(config, seed_path):
    embedder = WordsEmbedder()
    run_pipeline(config, models=models_with(config, embedder))
    before = tables.PARENTS.read(config.out_dir)
    topics_before = set(tables.TOPICS.read(config.out_dir).topic_id)
    held = _held(tables.QUOTES.read(config.out_dir), before)
    # A second interview arrives: the seed's first sections again under another name.
    text = seed_path.read_text(encoding="utf-8")
    (config.raw_dir / "second.md").write_text(text[: len(text) // 3], encoding="utf-8")
    run_pipeline(config, models=models_with(config, embedder))
    after = tables.PARENTS.read(config.out_dir)
    topics_after = set(tables.TOPICS.read(config.out_dir).topic_id)
    placed = set().union(*held.values())
    now = {p: quotes & placed for p, quotes in _held(tables.QUOTES.read(config.out_dir), after).items()}
    kept = 0
    for parent, quotes in now.items():
        best = max(held, key=lambda old: _jaccard(quotes, held[old]))
        shared = len(quotes & held[best])
        if shared >= MIN_OVERLAP * len(held[best]) and shared > MIN_OVERLAP * len(quotes):
            assert parent == best, "a parent holding most of an old parent's quotes keeps its id"
            kept += 1
        if parent in held:
            assert _jaccard(quotes, held[parent]) >= 1 / 3, "an id never moves to unrelated quotes"
    assert kept >= 2
    # A parent id is never a topic id, of this run or the last.
    assert not set(after.parent_id) & (topics_before | topics_after)
    kept_rows = after[after.parent_id.isin(before.parent_id)]
    assert set(kept_rows.status) <= {"kept"}
    assert set(kept_rows.first_seen_run) == set(before.first_seen_run[before.parent_id.isin(kept_rows.parent_id)])


def _themes(out_dir) -> tuple[dict[tuple[str, int], set[str]], dict[tuple[str, int], str]]:
    """Both levels of a run's themes, keyed ("t", topic id) / ("p", parent id): quotes and labels."""
    quotes, topics, parents = (table.read(out_dir) for table in (tables.QUOTES, tables.TOPICS, tables.PARENTS))
    held = {("t", int(t)): set(quotes.quote_id[quotes.topic_id == t]) for t in topics.topic_id}
    held |= {("p", p): ids for p, ids in _held(quotes, parents).items()}
    labels = {("t", int(t)): label for t, label in zip(topics.topic_id, topics.label)}
    return held, labels | {("p", int(p)): label for p, label in zip(parents.parent_id, parents.label)}


def test_a_rerun_keeps_the_labels_of_themes_that_hold_the_same_quotes(config, seed_path):
    embedder = WordsEmbedder()
    run_pipeline(config, models=models_with(config, embedder))
    held, labels = _themes(config.out_dir)
    # A second interview on the seed's first sections: every weight a name is chosen by moves.
    text = seed_path.read_text(encoding="utf-8")
    (config.raw_dir / "second.md").write_text(text[: len(text) // 3], encoding="utf-8")
    run_pipeline(config, models=models_with(config, embedder))
    now, names = _themes(config.out_dir)
    same = [k for k in now if k in held and len(now[k] & held[k]) >= 0.8 * max(len(now[k]), len(held[k])) > 0]
    assert same, "the new interview left some themes as they were"
    assert {k: names[k] for k in same} == {k: labels[k] for k in same}
    assert len({name.lower() for name in names.values()}) == len(names)


def test_a_label_pinned_by_a_researcher_wins_over_machine_names(config, fake_models, tmp_path):
    run_pipeline(config, models=fake_models(config))
    topics = tables.TOPICS.read(config.out_dir)
    before = tables.QUOTES.read(config.out_dir).set_index("quote_id").topic_id
    first = int(topics.topic_id.iloc[0])
    machine_name = str(topics.label.iloc[1])
    curation = tmp_path / "curation.yaml"
    # Another topic's machine name pinned onto the first: no machine name may repeat it.
    curation.write_text(f"themes:\n  - id: {first}\n    label: \"{machine_name}\"\n", encoding="utf-8")
    curated = dataclasses.replace(config, curation=curation)
    run_pipeline(curated, models=fake_models(curated))
    topics = tables.TOPICS.read(config.out_dir).set_index("topic_id")
    parents = tables.PARENTS.read(config.out_dir)
    assert topics.loc[first, "label"] == machine_name and topics.loc[first, "label_source"] == "researcher"
    # Pinning a label changes nothing the fit reads: every quote keeps its theme.
    after = tables.QUOTES.read(config.out_dir).set_index("quote_id").topic_id
    assert after.equals(before) and set(topics.status) == {"kept"}
    others = [*topics.drop(index=first).label, *parents.label]
    assert machine_name.lower() not in {label.lower() for label in others}


def test_a_parent_holding_most_of_an_old_parents_quotes_keeps_its_id():
    rng = np.random.default_rng(0)
    axes = np.eye(4, dtype=np.float32)
    topic_of = np.repeat([0, 1, 2, 3], 6)
    vectors = np.stack([axes[t // 2 * 2] + axes[t % 2 + 1] * 0.3 + rng.normal(0, 0.02, 4) for t in topic_of])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"q{i}" for i in range(len(topic_of))]
    first = build_hierarchy(topic_of, vectors, [], next_id=5, run_id="r1", n_parents=2, quote_ids=ids)
    held = {p: frozenset(q for q, t in zip(ids, topic_of) if first.parent_of[t] == p) for p in first.centroids}
    previous = [PreviousTopic(p, c, "r1") for p, c in first.centroids.items()]
    # Far-off vectors: the centroids alone would match nothing, the shared quotes still do.
    shifted = np.roll(vectors, 1, axis=1)
    again = build_hierarchy(topic_of, shifted, previous, next_id=first.lineage.next_id, run_id="r2", n_parents=2,
                            quote_ids=ids, previous_quotes=held)
    assert again.parent_of == first.parent_of
    assert set(again.lineage.status.values()) == {"kept"} and set(again.lineage.first_seen_run.values()) == {"r1"}
    # Without the quotes, the same vectors give new ids: the quotes are what kept them.
    alone = build_hierarchy(topic_of, shifted, previous, next_id=first.lineage.next_id, run_id="r2", n_parents=2)
    assert not set(alone.centroids) & set(first.centroids)
