"""Curation decisions that name top-level themes: pin a label, make one noise, merge them."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from nlp import tables
from nlp.curation import Merge, Move, parse_curation
from nlp.parent_curation import ParentDecisions, curate_parents, split_curation
from nlp.run import run_pipeline
from tests.fakes import fake_models
from tests.test_theme_stage import WordsEmbedder

# Sub-themes 1-6 under top-level themes 10, 11 and 12.
PARENT_OF = {1: 10, 2: 10, 3: 11, 4: 11, 5: 12, 6: 12}


def test_decisions_naming_a_top_level_theme_are_taken_apart_from_the_sub_theme_ones():
    curation = parse_curation({
        "themes": [
            {"id": 10, "label": "Funding"}, {"id": 3, "label": "Helpdesk"}, {"merge": [11, 12]},
            {"merge": [1, 2]}, {"merge": [10, 4]}, {"id": 12, "noise": True}, {"id": 5, "noise": True},
            {"split": 11}, {"split": 6},
        ],
        "moves": [{"quote": "qa", "to": 10}, {"quote": "qb", "to": 2}],
    })
    topic_level, parent_level, problems = split_curation(curation, {10, 11, 12})
    assert topic_level.labels == {3: "Helpdesk"} and topic_level.merges == (Merge((1, 2)),)
    assert topic_level.noise == (5,) and dict(topic_level.splits) == {6: None}
    assert topic_level.moves == (Move("qb", 2),)
    assert parent_level == ParentDecisions({10: "Funding"}, (Merge((11, 12)),), (12,))
    assert len(problems) == 3
    assert any("merge [10, 4]: mixes top-level themes (10)" in p for p in problems)
    assert any("split 11: 11 is a top-level theme" in p for p in problems)
    assert any("move qa -> 10: 10 is a top-level theme" in p for p in problems)


def test_merge_noise_and_labels_apply_to_the_grouping_and_unknown_ids_are_reported():
    decisions = ParentDecisions({11: "Money", 99: "Gone"}, (Merge((10, 11, 98), "Everything"),), (12, 97))
    curated = curate_parents(PARENT_OF, decisions)
    # 11 was merged into 10, so its label lands on 10 after the merge's own label.
    assert curated.parent_of == {1: 10, 2: 10, 3: 10, 4: 10}
    assert curated.pinned == {10: "Money"} and curated.merged == {10}
    assert curated.noise_topics == {5, 6}
    assert curated.problems == (
        "merge [10, 11, 98]: top-level theme(s) 98 no longer exist",
        "noise 97: top-level theme 97 no longer exists",
        "label 99 'Gone': top-level theme 99 no longer exists",
    )
    assert curate_parents(PARENT_OF, ParentDecisions()).parent_of == PARENT_OF


@pytest.fixture
def config(tmp_path, seed_path):
    from nlp.config import PipelineConfig

    (tmp_path / "raw").mkdir()
    shutil.copy(seed_path, tmp_path / "raw")
    return PipelineConfig(raw_dir=tmp_path / "raw", out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")


def _check_decisions_hold(out, pinned: int, kept: int, merged_away: int, noise: int) -> None:
    parents = tables.PARENTS.read(out).set_index("parent_id")
    topics, quotes = tables.TOPICS.read(out), tables.QUOTES.read(out)
    # The machine's own top level found them again: the decisions had something to apply to.
    machine = tables.PARENT_LINEAGE.read(out).set_index("parent_id")
    assert {pinned, kept, merged_away} <= set(machine.index)
    assert parents.loc[pinned, "label"] == "Engaging the private sector"
    assert parents.loc[pinned, "label_source"] == "researcher"
    assert parents.loc[kept, "label"] == "Evidence of impact" and parents.loc[kept, "status"] == "merged"
    assert merged_away not in parents.index and noise not in parents.index
    assert set(parents.loc[kept, "topic_ids"]) == set(topics.topic_id[topics.parent_id == kept])
    problems = json.loads((out / "run_manifest.json").read_text(encoding="utf-8"))["curation"]["problems"]
    if noise in machine.index:
        # Every quote of the theme made noise left the themes.
        assert set(quotes.topic_id[quotes.quote_id.isin(machine.loc[noise, "quote_ids"])]) == {-1}
    else:
        # Its quotes, outliers since, scattered on the refit: the decision says so, and nothing breaks.
        assert f"noise {noise}: top-level theme {noise} no longer exists" in problems
    labels = [*parents.label, *topics.label]
    assert len({label.lower() for label in labels}) == len(labels)


def test_a_run_applies_top_level_decisions_and_keeps_them_after_a_new_interview(config, seed_path, tmp_path):
    embedder = WordsEmbedder()
    run_pipeline(config, models=fake_models(config, embedder))
    parents = tables.PARENTS.read(config.out_dir).sort_values("parent_id")
    assert len(parents) >= 4
    pinned, kept, merged_away, noise = (int(p) for p in parents.parent_id.iloc[:4])
    curation = tmp_path / "curation.yaml"
    curation.write_text(
        f"themes:\n  - id: {pinned}\n    label: Engaging the private sector\n"
        f"  - merge: [{kept}, {merged_away}]\n    label: Evidence of impact\n"
        f"  - id: {noise}\n    noise: true\n  - id: 99999\n    label: Not a theme\n"
        f"moves:\n  - quote: nope\n    to: {kept}\n",
        encoding="utf-8",
    )
    curated = dataclasses.replace(config, curation=curation)
    assert run_pipeline(curated, models=fake_models(curated, embedder)).status == "ok"
    _check_decisions_hold(config.out_dir, pinned, kept, merged_away, noise)
    assert noise in set(tables.PARENT_LINEAGE.read(config.out_dir).parent_id)
    manifest = json.loads((config.out_dir / "run_manifest.json").read_text(encoding="utf-8"))
    problems = manifest["curation"]["problems"]
    assert any("99999" in p for p in problems) and any(f"{kept} is a top-level theme" in p for p in problems)
    assert manifest["curation"]["researcher_labels"] == 2

    # New interviews arrive: the same decisions find the same themes again.
    text = seed_path.read_text(encoding="utf-8")
    (config.raw_dir / "second.md").write_text(text[: len(text) // 3], encoding="utf-8")
    assert run_pipeline(curated, models=fake_models(curated, embedder)).status == "ok"
    _check_decisions_hold(config.out_dir, pinned, kept, merged_away, noise)
