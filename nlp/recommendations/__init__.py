"""Recommendation candidates: which quotes recommend something, and which say the same thing.

``classify``/``predict_proba`` decide per sentence or bullet (``classifier``, ``rules``);
``build_candidates`` merges detected quotes across responses and ranks them (``candidates``).
"""

from __future__ import annotations

from nlp.recommendations.candidates import (
    MERGE_THRESHOLD,
    SCORE_WEIGHTS,
    build_candidates,
    recommendation_id,
    score_candidate,
)
from nlp.recommendations.classifier import RecommendationHead, classify, default_head, predict_proba

__all__ = [
    "MERGE_THRESHOLD",
    "SCORE_WEIGHTS",
    "RecommendationHead",
    "build_candidates",
    "classify",
    "default_head",
    "predict_proba",
    "recommendation_id",
    "score_candidate",
]
