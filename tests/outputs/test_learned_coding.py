"""Coding learned from a researcher's coding, on a fresh seed run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.mark.slow
def test_learned_codes_from_a_csv_on_the_seed(processed_copy, cache_dir, tmp_path):
    from nlp.codings import read_coding
    from nlp.config import PipelineConfig
    from nlp.backends import build_embedder

    quotes = pd.read_parquet(processed_copy / "quotes.parquet")
    half = quotes.iloc[: len(quotes) // 2]
    funding = half["text"].str.contains("fund|financ|money|budget|resource", case=False)
    coding = pd.DataFrame({"quote_id": half["quote_id"], "Code 1": np.where(funding, "Resources", "")})
    path = tmp_path / "coding.csv"
    coding.to_csv(path, index=False)
    embedder = build_embedder(PipelineConfig(cache_dir=cache_dir))
    from nlp.code_corpus import write_learned_codes

    codes_path, _, result = write_learned_codes(processed_copy, read_coding(path), embedder)
    codes = pd.read_parquet(codes_path)
    # One codes.parquet contract for both kinds of coding; a learned code has no codebook similarity.
    assert list(codes.columns) == ["quote_id", "code", "source", "probability", "similarity", "matched_by"]
    assert codes["similarity"].isna().all() and codes["matched_by"].isna().all()
    assert set(codes.loc[codes["source"] == "human", "quote_id"]) == set(half.loc[funding, "quote_id"])
    assert set(codes.loc[codes["source"] == "machine", "quote_id"]) <= set(quotes["quote_id"].iloc[len(half):])


def test_codes_learn_from_command_reports_kappa_and_rare_codes(processed_copy, cache_dir, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.setenv("COLUMNS", "200")
    quotes = pd.read_parquet(processed_copy / "quotes.parquet")
    half = quotes.iloc[: len(quotes) // 2]
    data = half["text"].str.contains("data|OCDS|publish", case=False)
    rare = ["Once" if i == 0 else "" for i in range(len(half))]
    path = tmp_path / "coding.csv"
    pd.DataFrame({"quote_id": half["quote_id"], "Code 1": np.where(data, "Data", ""), "Code 2": rare}).to_csv(path, index=False)
    result = CliRunner().invoke(
        app, ["codes", "-p", str(processed_copy), "--learn-from", str(path), "--cache-dir", str(cache_dir)]
    )
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "cross-validated kappa" in out and "too few examples to learn" in out and "Once" in out
    assert (processed_copy / "codes.parquet").is_file()
    bad = tmp_path / "bad.csv"
    bad.write_text("quote_id,theme\nx,y\n", encoding="utf-8")
    failed = CliRunner().invoke(app, ["codes", "-p", str(processed_copy), "--learn-from", str(bad)])
    assert failed.exit_code == 1 and "bad.csv: no codes" in " ".join(failed.output.split())
