"""Deductive coding with a YAML codebook: loading, matching, coverage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nlp.codebook import (
    DEFAULT_THRESHOLD,
    Code,
    Codebook,
    assign_codes,
    code_coverage,
    load_codebook,
    write_codes,
)

OCP_CODEBOOK = Path(__file__).resolve().parents[2] / "codebooks" / "ocp_engagement_criteria.yaml"


class FakeEmbedder:
    """Unit vectors from a fixed vocabulary: a text points at the concepts it names."""

    name = "fake"
    model_sha256 = "0" * 64
    concepts = ("money", "training", "data")
    dim = len(concepts)

    def embed(self, texts):
        rows = []
        for text in texts:
            v = np.array([text.lower().count(c) for c in self.concepts], dtype=np.float32) + 1e-3
            rows.append(v / np.linalg.norm(v))
        return np.stack(rows)


BOOK = Codebook(
    "test",
    (
        Code("Resources", "money", ("more money",), ("budget",)),
        Code("Skills", "training", ("training of staff",)),
    ),
)


def test_embedding_keyword_and_both():
    matches = assign_codes(
        ["a", "b", "c", "d"],
        ["We need money.", "The budget for training.", "Open data portal.", "Budgetary data rules"],
        BOOK,
        FakeEmbedder(),
    )
    got = {(m.quote_id, m.code): m.matched_by for m in matches}
    assert got[("a", "Resources")] == "embedding"
    assert got[("b", "Resources")] == "keyword"  # the keyword, though the text is about training
    assert got[("b", "Skills")] == "embedding"
    assert not [k for k in got if k[0] == "c"]
    assert ("d", "Resources") not in got  # "budget" must not match inside "Budgetary"


def test_keyword_match_ignores_case_and_sees_both():
    (match,) = [m for m in assign_codes(["x"], ["MONEY: a BUDGET line"], BOOK, FakeEmbedder()) if m.code == "Resources"]
    assert match.matched_by == "both" and match.similarity > DEFAULT_THRESHOLD


def test_coverage_counts_responses_per_section_without_duplicates():
    quotes = pd.DataFrame(
        {"quote_id": ["a", "b", "c", "d"], "section": ["S1", "S1", "S2", "S2"],
         "response_id": ["r1", "r2", "r3", "r3"], "duplicate_of": [None, None, None, "a"]}
    )
    matches = pd.DataFrame({"quote_id": ["a", "c", "d"], "code": ["Resources"] * 3,
                            "similarity": [0.9] * 3, "matched_by": ["embedding"] * 3})
    coverage = code_coverage(quotes, matches, BOOK).set_index(["code", "section"])
    assert coverage.loc[("Resources", "S1"), "share_of_section_responses"] == 0.5
    assert coverage.loc[("Resources", "S2"), "n_quotes"] == 1  # d duplicates a
    assert coverage.loc[("Skills", "S1"), "n_responses"] == 0


def test_codebook_validation(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("codes:\n  - name: X\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.yaml"):
        load_codebook(bad)


def test_ocp_codebook_has_the_eleven_criteria():
    book = load_codebook(OCP_CODEBOOK)
    assert len(book.codes) == 11
    assert [c.name.split()[0] for c in book.codes] == [str(i) for i in range(1, 12)]
    assert all(c.examples for c in book.codes)


@pytest.mark.slow
def test_financial_support_quote_gets_the_resources_code(real_embedder):
    book = load_codebook(OCP_CODEBOOK)
    text = "Financial support: Help us with the training costs of OCDS"
    codes = {m.code: m for m in assign_codes(["q"], [text], book, real_embedder)}
    assert "4 Resources" in codes
    # Criteria about something else entirely stay off.
    assert "8 Opposition" not in codes and "9 Physical security" not in codes


@pytest.mark.slow
def test_write_codes_on_the_seed(processed_copy, cache_dir):
    from nlp.config import PipelineConfig
    from nlp.backends import build_embedder

    # The run's embedding cache already holds every quote, as it does after `interviews run`.
    embedder = build_embedder(PipelineConfig(cache_dir=cache_dir))
    codes_path, coverage_path = write_codes(processed_copy, load_codebook(OCP_CODEBOOK), embedder)
    codes = pd.read_parquet(codes_path)
    coverage = pd.read_parquet(coverage_path)
    quotes = pd.read_parquet(processed_copy / "quotes.parquet")
    assert set(codes["quote_id"]) <= set(quotes["quote_id"])
    assert set(codes["matched_by"]) <= {"embedding", "keyword", "both"}
    assert not codes.duplicated(["quote_id", "code"]).any()
    assert len(coverage) == 11 * quotes["section"].nunique()
    assert coverage["share_of_section_responses"].between(0, 1).all()
    # A usable codebook codes some quotes, and leaves others uncoded.
    assert 0.2 < codes["quote_id"].nunique() / len(quotes) < 0.9
    financial = quotes.loc[quotes["text"].str.startswith("Financial support"), "quote_id"].iloc[0]
    assert "4 Resources" in set(codes.loc[codes["quote_id"] == financial, "code"])
