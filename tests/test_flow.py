"""The Prefect flow as ``make run`` runs it: real tasks, a bad input beside good ones, a rerun,
and the same tables as ``interviews run --no-prefect``."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from typer.testing import CliRunner

from flows.cli import app
from flows.interview_pipeline import interview_pipeline
from nlp import tables
from nlp.config import PipelineConfig
from nlp.embeddings import DEFAULT_MODEL_SHA256
from nlp.store import MANIFEST

pytestmark = pytest.mark.slow


def test_flow_writes_outputs_reports_bad_files_and_skips_unchanged_reruns(prefect_harness, seed_path, tmp_path, shared_onnx):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(seed_path, raw / "interview_summary.txt")
    (raw / "empty.txt").write_bytes(b"")
    (raw / "scan.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    out, cache = tmp_path / "processed", shared_onnx(tmp_path / "interim")

    summary = interview_pipeline(PipelineConfig(raw_dir=raw, out_dir=out, cache_dir=cache))

    assert summary.status == "ok"
    quotes = pd.read_parquet(out / "quotes.parquet")
    assert 120 <= len(quotes) <= 260
    assert set(quotes.source_file) == {"interview_summary.txt"}
    manifest = json.loads((out / MANIFEST).read_text())
    status = {i["file"]: i for i in manifest["inputs"]}
    assert status["interview_summary.txt"]["status"] == "ok"
    for bad in ("empty.txt", "scan.pdf"):
        assert status[bad]["status"] == "error"
        assert bad in status[bad]["error"]
    assert manifest["counts"]["quotes"] == len(quotes)
    assert manifest["counts"]["new_quotes_embedded"] == quotes.text.nunique()
    assert manifest["documents"][0]["n_interviews"] == 13
    # The default backend is the fp32 ONNX export: the manifest names the verified weights, and
    # the vectors' own cache key says they came from the export.
    assert manifest["model"]["sha256"] == DEFAULT_MODEL_SHA256
    assert manifest["model"]["embedding_key"] == f"{DEFAULT_MODEL_SHA256}-onnx-fp32"
    assert set(manifest["timings"]) >= {"ingest", "embed", "topics", "sentiment", "recommendations"}
    assert (out / "topic_model" / "topics.json").is_file()

    again = interview_pipeline(PipelineConfig(raw_dir=raw, out_dir=out, cache_dir=cache))
    assert again.status == "up-to-date"
    assert again.counts["new_quotes_embedded"] == 0

    # The same stage sequence without Prefect, on the same inputs and vector cache, writes the
    # same tables, to the last bit.
    in_process = tmp_path / "in-process"
    result = CliRunner().invoke(
        app, ["run", "--no-prefect", "--raw-dir", str(raw), "--out-dir", str(in_process), "--cache-dir", str(cache)]
    )
    assert result.exit_code == 0, result.output
    for table in tables.RUN_TABLES:
        pd.testing.assert_frame_equal(table.read(in_process), table.read(out), check_exact=True, obj=table.name)
