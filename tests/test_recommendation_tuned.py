"""The fine-tuned detector behind the head: reproducible scores, a checked file, the cascade."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nlp.embeddings import ModelIntegrityError
from nlp.recommendations import RecommendationHead, default_head, document_confidence, predict_proba, run_confidence
from nlp.recommendations.classifier import MIN_TEXTS_FOR_RATE
from nlp.recommendations.rules import cue_matrix

TEXTS = [
    "They need more advanced planning",
    "Bring in the politicians.",
    "It would be great if the settings page let me pick a default font.",
    "The build failed twice last week, both times on the same test.",
    "Several countries have made commitments since then.",
    "Please add an option to export the report as CSV.",
]


def test_the_bundled_head_re_scores_its_candidates_with_the_tuned_model():
    head = default_head()
    assert head.tuned is not None
    assert RecommendationHead.from_dict(head.to_dict()).tuned == head.tuned


@pytest.mark.slow
def test_a_quotes_confidence_does_not_depend_on_the_quotes_scored_with_it(real_embedder):
    vectors = real_embedder.embed(TEXTS)
    together = predict_proba(TEXTS, embeddings=vectors)
    alone = [predict_proba([t], embeddings=vectors[i : i + 1])[0] for i, t in enumerate(TEXTS)]
    reversed_order = predict_proba(TEXTS[::-1], embeddings=vectors[::-1])[::-1]
    # Equal to the last bits of float64 (the head's matrix product may round differently by
    # batch); int8 activations scaled per batch would differ by about 1e-3.
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-9)
    np.testing.assert_allclose(together, reversed_order, rtol=0, atol=1e-9)


@pytest.mark.slow
def test_only_texts_the_head_lets_through_are_scored_again():
    tuned = default_head().tuned
    head_proba = np.array([tuned.bar / 2, max(tuned.bar, 0.5), 0.99])
    texts = TEXTS[:3]
    out = tuned.rescore(texts, head_proba, cue_matrix(texts))
    assert out[0] == head_proba[0]  # under the bar: the head's score stands
    assert out[1] != head_proba[1] and out[2] != head_proba[2]
    assert all(0.0 <= p <= 1.0 for p in out)


def test_a_model_file_that_is_not_the_one_the_head_names_is_refused():
    tuned = dataclasses.replace(default_head().tuned, sha256="0" * 64)
    with pytest.raises(ModelIntegrityError, match="recommendation_tuned.onnx"):
        tuned.rescore(["Bring in the politicians."], np.array([0.99]), cue_matrix(["Bring in the politicians."]))


def _with_tuned(**policy) -> RecommendationHead:
    tuned = dataclasses.replace(default_head().tuned, threshold=0.8)
    return dataclasses.replace(default_head(), threshold=0.7, rate_thresholds=((0.3, 0.5), (0.5, 0.3)),
                               rate_probe=(0.8, 0.05), adapt_above=0.25, tuned=tuned, **policy)


def _runs(n: int, share_high: float) -> dict:
    """Scores of one run: the head alone's (``None``) and the re-scored ones (the tuned scorer)."""
    n_high = round(n * share_high)
    alone = [0.95] * n_high + [0.1] * (n - n_high)
    return {None: alone, "tuned": [0.6] * n_high + [0.1] * (n - n_high)}


def test_a_run_where_requests_are_rare_is_decided_by_the_tuned_model_at_its_threshold():
    head = _with_tuned()
    scores = _runs(400, 0.12)  # estimated rate (0.12 - 0.05) / 0.75 = 0.09, under adapt_above
    confidence, threshold = run_confidence(head, lambda h: scores[h.tuned and "tuned"])
    assert head.uses_tuned(scores[None])
    assert (confidence, threshold) == (scores["tuned"], 0.8)
    assert not any(p >= threshold for p in confidence)  # the tuned model's 0.6 is under its 0.8


def test_a_run_made_mostly_of_requests_is_decided_by_the_head_alone_at_its_rate_threshold():
    head = _with_tuned()
    scores = _runs(200, 0.425)  # estimated rate 0.5: dense, so the head's 0.3 for 50 %
    confidence, threshold = run_confidence(head, lambda h: scores[h.tuned and "tuned"])
    assert not head.uses_tuned(scores[None])
    assert confidence == scores[None] and threshold == pytest.approx(0.3)
    assert sum(p >= threshold for p in confidence) == 85


def test_a_run_too_small_to_estimate_and_a_head_without_tuned_model_keep_their_usual_decision():
    head = _with_tuned()
    small = _runs(MIN_TEXTS_FOR_RATE - 1, 0.5)
    assert run_confidence(head, lambda h: small[h.tuned and "tuned"]) == (small["tuned"], 0.8)
    alone = head.alone()
    assert alone.tuned is None and alone.rare_threshold == 0.7 and not alone.uses_tuned(small[None])
    dense = _runs(200, 0.425)
    assert run_confidence(alone, lambda h: dense[None])[1] == pytest.approx(0.3)


def test_the_tuned_threshold_survives_the_json_round_trip():
    head = _with_tuned()
    assert RecommendationHead.from_dict(head.to_dict()).tuned.threshold == 0.8
    assert default_head().rare_threshold == default_head().tuned.threshold != default_head().threshold


def _files(**shares: tuple[int, float]) -> tuple[list[str], dict]:
    """Texts of several files (name -> (texts, share scored high)): each text's file and both scorings."""
    names, scores = [], {None: [], "tuned": []}
    for name, (n, share) in shares.items():
        run = _runs(n, share)
        names += [name] * n
        for key in scores:
            scores[key] += run[key]
    return names, scores


def _flags_by_file(head, names, scores) -> dict[str, list[bool]]:
    confidence, bars = document_confidence(head, lambda h, rows: [scores[h.tuned and "tuned"][i] for i in rows], names)
    out: dict[str, list[bool]] = {}
    for name, p, bar in zip(names, confidence, bars):
        out.setdefault(name, []).append(p >= bar)
    return out


def test_a_dense_summary_and_a_sparse_transcript_in_one_run_get_their_own_decisions():
    head = _with_tuned()
    names, scores = _files(summary=(100, 0.425), transcript=(400, 0.06))
    flags = _flags_by_file(head, names, scores)
    assert sum(flags["summary"]) == 42  # dense (estimate 0.49): the head's 0.95 at its 0.3
    assert sum(flags["transcript"]) == 0  # rare (estimate 0.01): the tuned model's 0.6 under 0.8
    # Decided as one run, the transcript's weight makes the summary rare too: none of it flagged.
    confidence, threshold = run_confidence(head, lambda h: scores[h.tuned and "tuned"])
    assert not any(p >= threshold for p in confidence)


def test_adding_a_file_does_not_change_another_files_flags():
    head = _with_tuned()
    names, scores = _files(a=(100, 0.2), b=(100, 0.1))  # a: estimate 0.2, rare, next to the bar
    before = _flags_by_file(head, names, scores)
    names, scores = _files(a=(100, 0.2), b=(100, 0.1), summary=(60, 0.9))
    after = _flags_by_file(head, names, scores)
    assert after["a"] == before["a"] and after["b"] == before["b"]
    assert sum(after["summary"]) == 54
    # As one run, the new file lifts the estimate over adapt_above and flips every flag of a.
    confidence, threshold = run_confidence(head, lambda h: scores[h.tuned and "tuned"])
    assert sum(p >= threshold for p in confidence[:100]) == 20 != sum(before["a"])


def test_files_too_small_for_an_estimate_are_decided_together():
    head = _with_tuned()
    few = MIN_TEXTS_FOR_RATE // 2
    names, scores = _files(note1=(few, 0.5), note2=(few, 0.5), transcript=(400, 0.06))
    flags = _flags_by_file(head, names, scores)
    # The two notes pool to MIN_TEXTS_FOR_RATE texts, estimated dense: the head decides them.
    assert sum(flags["note1"]) + sum(flags["note2"]) == 2 * round(few * 0.5)
    assert sum(flags["transcript"]) == 0
    names, scores = _files(note1=(few, 0.5), transcript=(400, 0.06))
    assert sum(_flags_by_file(head, names, scores)["note1"]) == 0  # alone too small: rare
