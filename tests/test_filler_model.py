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


def test_quotes_the_last_run_saw_keep_its_verdict_and_only_new_ones_are_read():
    quotes, vectors = _corpus()
    first, _ = read_filler(quotes, vectors)
    verdict = {(q.quote_id, q.text): q.is_substantive for q in first}
    hidden = [q for q in quotes if q.text.startswith("hidden")]
    # The last run kept two hidden quotes and turned a real one; a rerun keeps those verdicts.
    verdict[(hidden[0].quote_id, hidden[0].text)] = verdict[(hidden[1].quote_id, hidden[1].text)] = True
    talk = next(q for q in quotes if q.text.startswith("talk"))
    verdict[(talk.quote_id, talk.text)] = False
    new = _quote(999, "hidden", True)
    again, turned = read_filler([*quotes, new], np.vstack([vectors, vectors[-1:]]), kept=verdict)
    by_id = {q.quote_id: q.is_substantive for q in again}
    assert by_id[hidden[0].quote_id] and by_id[hidden[1].quote_id] and not by_id[talk.quote_id]
    assert not by_id["q999"]  # the new quote is read by the model
    assert turned == 12 - 2 + 1 + 1
    # The rules still decide: a flagged quote stays flagged whatever the last run said.
    flagged = quotes[0]
    assert not read_filler(quotes, vectors, kept={(flagged.quote_id, flagged.text): True})[0][0].is_substantive
