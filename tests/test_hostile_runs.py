"""Whole runs on hostile batches: one bad file never costs the others, an empty batch stops
clearly with the previous outputs intact, a tiny one still writes everything but topics."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nlp.config import PipelineConfig
from nlp.guards import NothingUsableError
from nlp.run import run_pipeline
from tests.fakes import ANSWERS

GOOD = "".join(f"Interviewer: Question {i}?\nP{i % 4}: {text}\n" for i, text in enumerate(ANSWERS))


def _config(root: Path, **kw) -> PipelineConfig:
    return PipelineConfig(raw_dir=root / "raw", out_dir=root / "processed", cache_dir=root / "interim", **kw)


def _raw(root: Path, files: dict[str, bytes]) -> Path:
    raw = root / "raw"
    raw.mkdir(exist_ok=True)
    for name, data in files.items():
        (raw / name).write_bytes(data)
    return raw


def _manifest(root: Path) -> dict:
    return json.loads((root / "processed" / "run_manifest.json").read_text(encoding="utf-8"))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_long_answer_and_a_failing_file_do_not_stop_the_run(
    tmp_path: Path, fake_models, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nlp.quotes

    # 1.2 million characters on one line, a sentence every 60,000: past spaCy's max_length.
    sentence = "word " * 12_000 + "end. "
    long_answer = sentence * 20
    _raw(tmp_path, {
        "good.txt": GOOD.encode(),
        "long.txt": f"Interviewer: Tell me everything?\nP9: {long_answer}\n".encode(),
        "broken.txt": b"Interviewer: Why?\nP1: This file trips a bug in quote splitting.\n",
    })
    real = nlp.quotes._response_quotes

    def trips_on_broken(doc, response, nlp_, cfg):
        if doc.source_file == "broken.txt":
            raise RuntimeError("simulated bug on one odd file")
        return real(doc, response, nlp_, cfg)

    monkeypatch.setattr(nlp.quotes, "_response_quotes", trips_on_broken)
    config = _config(tmp_path)
    summary = run_pipeline(config, models=fake_models(config))

    assert summary.status == "ok"
    inputs = {i["file"]: i for i in _manifest(tmp_path)["inputs"]}
    assert inputs["broken.txt"]["status"] == "error"
    assert inputs["broken.txt"]["error"] == (
        "broken.txt: quotes could not be made (RuntimeError: simulated bug on one odd file)"
    )
    assert {inputs["good.txt"]["status"], inputs["long.txt"]["status"]} == {"ok"}
    quotes = pd.read_parquet(tmp_path / "processed" / "quotes.parquet")
    assert set(quotes["source_file"]) == {"good.txt", "long.txt"}
    assert (quotes["source_file"] == "long.txt").sum() == 20
    assert {"file": "broken.txt", "error": inputs["broken.txt"]["error"]} in summary.errors


def test_nothing_usable_stops_clearly_and_keeps_the_previous_outputs(tmp_path: Path, fake_models) -> None:
    raw = _raw(tmp_path, {"good.txt": GOOD.encode()})
    config = _config(tmp_path)
    assert run_pipeline(config, models=fake_models(config)).status == "ok"
    before = _snapshot(tmp_path / "processed")

    (raw / "good.txt").unlink()
    _raw(tmp_path, {"empty.txt": b"", "scan.pdf": b"%PDF-1.7\n", "prose.log": b"Some notes.\nNo speakers.\n"})
    with pytest.raises(NothingUsableError) as info:
        run_pipeline(config, models=fake_models(config))
    lines = str(info.value).splitlines()
    assert lines[0].startswith(f"no usable input in {raw}: no file gave a quote")
    assert [line.split(":")[0] for line in lines[1:]] == ["  - empty.txt", "  - prose.log", "  - scan.pdf"]
    assert "not a recognised interview format" in lines[2]
    assert _snapshot(tmp_path / "processed") == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".processed.")) == []


def test_a_tiny_corpus_writes_quotes_sentiment_and_recommendations_with_a_note(
    tmp_path: Path, fake_models
) -> None:
    _raw(tmp_path, {"tiny.txt": b"Interviewer: Any advice?\nP1: The helpdesk should answer faster.\n"
                                b"Interviewer: Anything else?\nP2: Training helped our staff a lot.\n"})
    config = _config(tmp_path)
    summary = run_pipeline(config, models=fake_models(config))
    assert summary.status == "ok"
    out = tmp_path / "processed"
    quotes = pd.read_parquet(out / "quotes.parquet")
    assert len(quotes) == 2 and set(quotes["topic_id"]) == {-1}
    assert quotes["sentiment"].notna().all()
    assert len(pd.read_parquet(out / "topics.parquet")) == 0
    assert len(pd.read_parquet(out / "section_sentiment.parquet")) == 1
    assert (out / "recommendations.parquet").is_file()
    notes = _manifest(tmp_path)["notes"]
    assert any(n.startswith("topics need more text: 2 distinct quotes, at least 10") for n in notes)


@pytest.mark.slow
def test_the_flow_and_the_cli_exit_non_zero_with_the_message(
    tmp_path: Path, fake_models, monkeypatch: pytest.MonkeyPatch, prefect_harness
) -> None:
    import nlp.sequence
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.interview_pipeline import interview_pipeline, main

    monkeypatch.setattr(nlp.sequence, "load_models", fake_models)
    raw = _raw(tmp_path, {"empty.txt": b"", "scan.pdf": b"%PDF-1.7\n"})
    config = _config(tmp_path)

    state = interview_pipeline(config, return_state=True)
    assert state.is_failed()
    assert state.message.startswith(f"no usable input in {raw}: no file gave a quote")
    assert "  - empty.txt: empty file (0 bytes)" in state.message
    assert "  - scan.pdf: binary content" in state.message
    args = ["--raw-dir", str(raw), "--out-dir", str(tmp_path / "processed"), "--cache-dir", str(tmp_path / "interim")]
    assert main(args) == 1  # prints "error: " and the same message to stderr
    assert not (tmp_path / "processed").exists()

    result = CliRunner().invoke(app, ["run", "--no-prefect", *args])
    assert result.exit_code == 1
    assert "no usable input in" in result.output and "scan.pdf: binary content" in result.output
    assert "Traceback" not in result.output


def test_a_refused_file_is_reported_once_in_the_run_log(
    tmp_path: Path, fake_models, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    _raw(tmp_path, {"good.txt": GOOD.encode(), "bad.txt": b"\x00\x01 not text", "copy.txt": GOOD.encode()})
    config = _config(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert run_pipeline(config, models=fake_models(config)).status == "ok"
    said = [r.getMessage() for r in caplog.records]
    assert sum("bad.txt: binary content, not text" in m for m in said) == 1, said
    assert sum("same content as" in m for m in said) == 1, said


def _damaged_tuned_model(fake_models, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs load the real heads, but the tuned model's recorded hash is not its file's."""
    import dataclasses

    import nlp.sequence

    def damaged(config):
        models = fake_models(config)
        head = models.recommendation_head
        wrong = dataclasses.replace(head, tuned=dataclasses.replace(head.tuned, sha256="0" * 64))
        return dataclasses.replace(models, recommendation_head=wrong)

    monkeypatch.setattr(nlp.sequence, "load_models", damaged)


def test_a_damaged_tuned_model_stops_the_cli_with_the_file_and_no_traceback(
    tmp_path: Path, fake_models, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    _damaged_tuned_model(fake_models, monkeypatch)
    raw = _raw(tmp_path, {"good.txt": GOOD.encode()})
    args = ["--raw-dir", str(raw), "--out-dir", str(tmp_path / "processed"), "--cache-dir", str(tmp_path / "interim")]
    result = CliRunner().invoke(app, ["run", "--no-prefect", *args])
    assert result.exit_code == 1
    assert "recommendation_tuned.onnx" in result.output and "reinstall the package" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "processed").exists()


@pytest.mark.slow
def test_a_damaged_tuned_model_fails_the_flow_run_with_its_message(
    tmp_path: Path, fake_models, monkeypatch: pytest.MonkeyPatch, prefect_harness
) -> None:
    from flows.interview_pipeline import interview_pipeline

    _damaged_tuned_model(fake_models, monkeypatch)
    _raw(tmp_path, {"good.txt": GOOD.encode()})
    state = interview_pipeline(_config(tmp_path), return_state=True)
    assert state.is_failed()
    # An expected stop, as "no usable input" is: the message itself, not "Flow run encountered an exception: …".
    named = Path(state.message.split(": sha256 ")[0])
    assert named.name == "recommendation_tuned.onnx" and named.is_file(), state.message
    assert state.message.endswith("reinstall the package")
    assert not (tmp_path / "processed").exists()


def test_notes_without_speakers_are_read_and_the_run_says_so(tmp_path: Path, fake_models) -> None:
    notes = "# Funding\n\n- Core grants are too short to cover a reform cycle.\n- Several asked for multi-year grants.\n"
    _raw(tmp_path, {"good.txt": GOOD.encode(), "notes.md": notes.encode()})
    config = _config(tmp_path)
    assert run_pipeline(config, models=fake_models(config)).status == "ok"

    quotes = pd.read_parquet(tmp_path / "processed" / "quotes.parquet")
    assert quotes.loc[quotes["source_file"] == "notes.md", ["section", "text"]].values.tolist() == [
        ["Funding", "Core grants are too short to cover a reform cycle."],
        ["Funding", "Several asked for multi-year grants."],
    ]
    manifest = _manifest(tmp_path)
    assert {d["file"]: d["format"] for d in manifest["documents"]}["notes.md"] == "text_paragraphs"
    # A transcript whose labels were not recognised would be read so too: the run names the file.
    assert any(n.startswith("read as plain paragraphs") and "notes.md" in n for n in manifest["notes"])
