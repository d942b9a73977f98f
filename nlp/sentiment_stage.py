"""The sentiment stage: each quote's score, per-section summaries and topic x section means.

``score_batch`` runs over batches of quotes (mapped by ``nlp.sequence``); ``summarise_sentiment``
then aggregates the scores of the analysable quotes (``nlp.analysable``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nlp import tables
from nlp.analysable import analysable
from nlp.config import PipelineConfig
from nlp.loaded import LoadedModels
from nlp.schemas import Quote, SectionSentiment

__all__ = ["SentimentResult", "score_batch", "summarise_sentiment"]


def score_batch(quotes: Sequence[Quote], head_vectors: np.ndarray, models: LoadedModels) -> list[float]:
    """Sentiment in [-1, 1] of one batch of quotes, from their head vectors."""
    return models.sentiment.score([q.text for q in quotes], embeddings=head_vectors)


@dataclass
class SentimentResult:
    """Each quote's sentiment, per-section summaries, and per topic x section means."""

    scores: list[float]
    sections: list[SectionSentiment]
    topic_sections: list

    def quote_columns(self) -> Mapping[str, Sequence]:
        return {"sentiment": self.scores}

    def output_tables(self, run) -> Mapping[tables.Table, pd.DataFrame]:
        return {
            tables.SECTION_SENTIMENT: tables.records_frame(self.sections, tables.SECTION_SENTIMENT),
            tables.TOPIC_SECTION_SENTIMENT: tables.records_frame(self.topic_sections, tables.TOPIC_SECTION_SENTIMENT),
        }


def summarise_sentiment(
    quotes: Sequence[Quote], scores: Sequence[float], topic_ids: Sequence[int], config: PipelineConfig
) -> SentimentResult:
    """Per-section sentiment with seeded bootstrap intervals, and per topic x section means.

    Every quote keeps its score; only analysable quotes (``nlp.analysable``) enter the means,
    so "Thanks, great, cool" does not make a section look happy.
    """
    from nlp.sentiment import aggregate_sections, aggregate_topic_sections

    kept = [i for i, ok in enumerate(analysable(quotes)) if ok]
    q, s, t = [quotes[i] for i in kept], [scores[i] for i in kept], [topic_ids[i] for i in kept]
    return SentimentResult(
        scores=list(scores),
        sections=aggregate_sections(q, s, seed=config.seed),
        topic_sections=aggregate_topic_sections(q, s, t),
    )
