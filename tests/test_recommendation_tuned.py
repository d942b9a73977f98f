"""The fine-tuned detector behind the head: reproducible scores, a checked file, the cascade."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nlp.embeddings import ModelIntegrityError
from nlp.recommendations import RecommendationHead, default_head, predict_proba
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
