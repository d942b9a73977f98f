"""Kept quotes that read like the run's rule-flagged filler are left out too; nothing else moves."""

from __future__ import annotations

import numpy as np

from nlp.filler_model import read_filler
from nlp.schemas import Quote

DIM = 16


def _quote(i: int, kind: str, substantive: bool, language: str = "en") -> Quote:
    return Quote(
        quote_id=f"q{i}", source_file=f"interview {i % 3}.txt", section="", question="", response_id=f"r{i}",
        speaker="Respondent", is_direct_quote=True, text=f"{kind} {i}", char_start=0, char_end=1,
        is_substantive=substantive, language=language,
    )


def _corpus(n_flagged: int = 60, n_kept: int = 120, n_hidden: int = 12):
    """Flagged filler around one direction, kept talk around another, and kept quotes among the filler."""
    rng = np.random.default_rng(0)
    kinds = ["filler"] * n_flagged + ["talk"] * n_kept + ["hidden"] * n_hidden
    quotes = [_quote(i, k, substantive=k != "filler") for i, k in enumerate(kinds)]
    centre = {"filler": np.eye(DIM)[0], "hidden": np.eye(DIM)[0], "talk": np.eye(DIM)[1]}
    vectors = np.stack([centre[k] + 0.15 * rng.standard_normal(DIM) for k in kinds]).astype(np.float32)
    return quotes, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_kept_quotes_among_the_flagged_filler_are_left_out_and_real_talk_stays():
    quotes, vectors = _corpus()
    out, turned = read_filler(quotes, vectors)
    now_filler = {q.text.split()[0] for q, before in zip(out, quotes) if before.is_substantive and not q.is_substantive}
    assert now_filler == {"hidden"} and turned == 12
    assert all(q.is_substantive for q in out if q.text.startswith("talk"))
    assert [q.quote_id for q in out] == [q.quote_id for q in quotes]  # nothing else about a quote changes


def test_too_few_flagged_quotes_to_learn_from_change_nothing():
    quotes, vectors = _corpus(n_flagged=20)
    out, turned = read_filler(quotes, vectors)
    assert turned == 0 and out == quotes
    assert read_filler(*_corpus(), min_examples=0) == (_corpus()[0], 0)  # 0 turns it off


def test_quotes_in_another_language_are_neither_read_nor_learnt_from():
    quotes, vectors = _corpus()
    quotes = [
        _quote(int(q.quote_id[1:]), "hidden", True, "fr") if q.text.startswith("hidden") else q for q in quotes
    ]
    out, turned = read_filler(quotes, vectors)
    assert turned == 0 and all(q.is_substantive for q in out if q.language == "fr")
