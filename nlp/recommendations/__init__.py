"""Recommendation candidates: which quotes recommend something, and which say the same thing.

``classify``/``predict_proba`` decide per sentence or bullet (``classifier``, ``rules``);
``build_asks`` groups detected quotes from any respondents that ask for the same thing into
ranked asks (``asks``, ``ask_core``), scored by ``candidates.score_candidate``.
"""

from __future__ import annotations

from nlp.recommendations.asks import ASK_THRESHOLD, build_asks
from nlp.recommendations.candidates import SCORE_WEIGHTS, recommendation_id, score_candidate
from nlp.recommendations.classifier import (
    RecommendationHead, classify, default_head, document_confidence, predict_proba, run_confidence,
)

__all__ = [
    "ASK_THRESHOLD",
    "SCORE_WEIGHTS",
    "RecommendationHead",
    "build_asks",
    "classify",
    "default_head",
    "document_confidence",
    "predict_proba",
    "recommendation_id",
    "run_confidence",
    "score_candidate",
]
