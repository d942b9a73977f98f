"""`interviews run --curation FILE`: decisions applied in the run, kept across reruns, recorded."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from nlp import tables
from nlp.config import PipelineConfig
from nlp.manifest import read_manifest
from nlp.run import run_pipeline
from nlp.schemas import Quote, Topic


@pytest.fixture
def config(tmp_path, seed_path) -> PipelineConfig:
    (tmp_path / "raw").mkdir()
    shutil.copy(seed_path, tmp_path / "raw")
    return PipelineConfig(raw_dir=tmp_path / "raw", out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")


def _quote(i: int, text: str) -> Quote:
    return Quote(f"q{i}", "s.txt", "S", "Q?", f"r{i}", None, False, text, 10 * i, 10 * i + 9)


def test_curate_topics_keeps_what_the_next_run_needs(tmp_path):
    from nlp.curated_topics import curate_topics
    from nlp.pipeline import TopicResult
    from nlp.previous import load_previous

    quotes = [_quote(i, t) for i, t in enumerate(["money a", "money b", "grants c", "data d", "data e", "hello f"])]
    axes = {0: [1.0, 0, 0], 1: [0.8, 0.6, 0], 2: [0, 0, 1.0], 3: [0, 1.0, 0]}
    topic_ids = [0, 0, 1, 2, 2, 3]
    vectors = np.array([axes[t] for t in topic_ids])
    machine = [Topic(t, f"t{t}", (f"k{t}",), topic_ids.count(t), topic_ids.count(t), (f"q{topic_ids.index(t)}",), "run-1", "kept")
               for t in range(4)]
    result = TopicResult(machine, topic_ids, {t: np.array(v) for t, v in axes.items()}, {}, 4,
                         model_topic_ids={10: 0, 11: 1, 12: 2, 13: 3})
    curation = tmp_path / "c.yaml"
    curation.write_text("themes:\n  - merge: [0, 1]\n    label: Funding\n  - id: 3\n    noise: true\n"
                        "moves:\n  - quote: q3\n    to: 0\n", encoding="utf-8")
    curated, record = curate_topics(result, quotes, vectors, load_previous(tmp_path / "none"), "run-2", curation, 0, 0.7)
    assert [(t.topic_id, t.label, t.label_source, t.size) for t in curated.topics] == [
        (0, "Funding", "researcher", 4), (2, "t2", "machine", 1)]
    assert curated.topic_ids == [0, 0, 0, 0, 2, -1]
    # The kept topic keeps its machine centroid; the retired ones are remembered for the lineage.
    assert np.allclose(curated.centroids[0], axes[0]) and set(curated.centroids) == {0, 2}
    assert [r.topic_id for r in curated.retired] == [1, 3]
    assert curated.model_topic_ids == {10: 0, 11: 0, 12: 2, 13: -1}
    assert record.problems == () and record.researcher_labels == 1 and len(record.sha256) == 64


def test_run_with_curation_records_it_and_reports_stale_ids(config, fake_models, tmp_path):
    curation = tmp_path / "curation.yaml"
    curation.write_text("themes:\n  - id: 999\n    label: Gone\n", encoding="utf-8")
    curated = dataclasses.replace(config, curation=curation)
    assert run_pipeline(curated, models=fake_models(curated)).status == "ok"
    manifest = read_manifest(config.out_dir)
    assert manifest.curation["problems"] == ["label 999 'Gone': theme 999 no longer exists"]
    assert manifest.config["curation"] == str(curation)
    assert set(tables.TOPICS.read(config.out_dir)["label_source"]) == {"machine"}
    # Editing the decisions changes the fingerprint: the next run is not skipped as unchanged.
    curation.write_text("themes:\n  - id: 998\n    noise: true\n", encoding="utf-8")
    assert run_pipeline(curated, models=fake_models(curated)).status == "ok"
    again = read_manifest(config.out_dir)
    assert again.fingerprint != manifest.fingerprint and again.curation["sha256"] != manifest.curation["sha256"]


def test_a_malformed_curation_file_stops_the_run_naming_it(config, fake_models, tmp_path):
    from nlp.curation import CurationError

    bad = tmp_path / "bad.yaml"
    bad.write_text("themes:\n  - merge: [1]\n", encoding="utf-8")
    curated = dataclasses.replace(config, curation=bad)
    with pytest.raises(CurationError, match=r"bad\.yaml: themes entry 1"):
        run_pipeline(curated, models=fake_models(curated))
    assert not (config.out_dir / "topics.parquet").exists()  # nothing half-written


NEW_INTERVIEW = """Interview with a procurement officer

Interviewer: What helped your team most?

Respondent: Training on the data standard helped our analysts. Funding for the portal came from a donor grant.

Interviewer: What should change?

Respondent: More journalists should use the contracting data. The helpdesk should answer faster.
"""


@pytest.mark.slow
def test_decisions_survive_a_rerun_with_new_interviews(config, shared_onnx, tmp_path):
    shared_onnx(config.cache_dir)
    assert run_pipeline(config).status == "ok"
    machine = tables.TOPICS.read(config.out_dir).sort_values(["size", "topic_id"], ascending=[False, True])
    first, second, third = (int(t) for t in machine["topic_id"].head(3))
    quotes = tables.QUOTES.read(config.out_dir)
    moved = str(quotes.loc[quotes["topic_id"] == third, "quote_id"].iloc[0])
    curation = tmp_path / "curation.yaml"
    curation.write_text(
        f"themes:\n  - id: {first}\n    label: Engaging the private sector\n"
        f"  - merge: [{second}, {third}]\n    label: Evidence of impact\n"
        f"moves:\n  - quote: {moved}\n    to: {first}\n",
        encoding="utf-8",
    )
    curated = dataclasses.replace(config, curation=curation)
    for step in ("curated", "new interview"):
        if step == "new interview":
            (config.raw_dir / "followup.md").write_text(NEW_INTERVIEW, encoding="utf-8")
        assert run_pipeline(curated).status == "ok"
        topics = tables.TOPICS.read(config.out_dir).set_index("topic_id")
        quotes = tables.QUOTES.read(config.out_dir).set_index("quote_id")
        assert read_manifest(config.out_dir).curation["problems"] == [], step
        assert topics.loc[first, "label"] == "Engaging the private sector", step
        assert topics.loc[first, "label_source"] == "researcher", step
        assert topics.loc[second, "label"] == "Evidence of impact", step
        assert third not in set(quotes["topic_id"]), step
        assert quotes.loc[moved, "topic_id"] == first, step


def test_run_command_refuses_a_malformed_curation_file(config, tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    bad = tmp_path / "bad.yaml"
    bad.write_text("moves:\n  - quote: abc\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "--raw-dir", str(config.raw_dir), "--out-dir", str(config.out_dir),
                                      "--no-prefect", "--curation", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml: moves entry 1" in " ".join(result.output.split())
