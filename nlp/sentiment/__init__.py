"""Sentiment per quote, and per section of the interview guide.

``score`` gives each text a float in [-1, 1] (> 0 positive) with the default scorer: a
logistic-regression head on MiniLM embeddings plus VADER cues (``head``, ``scorers``).
``aggregate_sections`` and ``aggregate_topic_sections`` summarise scores over distinct
responses (``sections``). ``training`` holds the development-time fitting and measurement code.
"""

from __future__ import annotations

from nlp.sentiment.head import NEUTRAL_BAND, SentimentHead, default_head
from nlp.sentiment.scorers import (
    HeadScorer,
    Polarity,
    SentimentScorer,
    VaderScorer,
    default_scorer,
    polarity,
    score,
)
from nlp.sentiment.sections import TopicSectionSentiment, aggregate_sections, aggregate_topic_sections

__all__ = [
    "NEUTRAL_BAND",
    "HeadScorer",
    "Polarity",
    "SentimentHead",
    "SentimentScorer",
    "TopicSectionSentiment",
    "VaderScorer",
    "aggregate_sections",
    "aggregate_topic_sections",
    "default_head",
    "default_scorer",
    "polarity",
    "score",
]
