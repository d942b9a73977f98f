"""The write stage: typed records to the parquet tables and manifest of ``data/processed/``.

Every column is documented in the README's output section; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nlp.schemas import Quote, Recommendation, SectionSentiment, Topic
from nlp.store import OutputStaging

__all__ = [
    "QUOTE_COLUMNS",
    "TOPIC_COLUMNS",
    "quotes_frame",
    "recommendations_frame",
    "records_frame",
    "topics_frame",
    "write_model",
]

QUOTE_COLUMNS = [
    "quote_id", "source_file", "section", "question", "response_id", "speaker",
    "is_direct_quote", "text", "char_start", "char_end", "duplicate_of",
    "topic_id", "sentiment", "is_recommendation", "recommendation_confidence",
]
TOPIC_COLUMNS = [
    "topic_id", "label", "keywords", "size", "n_responses", "representative_quote_ids",
    "first_seen_run", "status", "mean_sentiment", "centroid",
]
RECOMMENDATION_COLUMNS = [
    "recommendation_id", "text", "quote_id", "section", "topic_id", "support", "score",
    "quote_ids", "response_ids",
]


def records_frame(records: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    """DataFrame of dataclass records in ``columns`` order; tuples become lists for parquet."""
    rows = [
        {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(r).items()} for r in records
    ]
    return pd.DataFrame(rows, columns=list(columns))


def quotes_frame(
    quotes: Sequence[Quote],
    topic_ids: Sequence[int],
    sentiment: Sequence[float],
    is_recommendation: Sequence[bool],
    confidence: Sequence[float],
) -> pd.DataFrame:
    frame = records_frame(quotes, QUOTE_COLUMNS[:11])
    frame["topic_id"] = pd.Series(list(topic_ids), dtype="int64")
    frame["sentiment"] = pd.Series(list(sentiment), dtype="float64")
    frame["is_recommendation"] = pd.Series(list(is_recommendation), dtype="bool")
    frame["recommendation_confidence"] = pd.Series(list(confidence), dtype="float64")
    frame["char_start"] = frame["char_start"].astype("int64")
    frame["char_end"] = frame["char_end"].astype("int64")
    frame["is_direct_quote"] = frame["is_direct_quote"].astype("bool")
    return frame[QUOTE_COLUMNS]


def topics_frame(
    topics: Sequence[Topic],
    centroids: dict[int, np.ndarray],
    topic_ids: Sequence[int],
    sentiment: Sequence[float],
    quotes: Sequence[Quote],
) -> pd.DataFrame:
    """One row per topic, with mean sentiment over its distinct (non-duplicate) quotes."""
    frame = records_frame(topics, TOPIC_COLUMNS[:8])
    per_quote = pd.DataFrame({"topic_id": list(topic_ids), "sentiment": list(sentiment)})
    distinct = [q.duplicate_of is None for q in quotes]
    means = per_quote[distinct].groupby("topic_id")["sentiment"].mean()
    frame["mean_sentiment"] = frame["topic_id"].map(means).astype("float64")
    frame["centroid"] = [centroids[t.topic_id].astype(np.float32).tolist() for t in topics]
    frame["topic_id"] = frame["topic_id"].astype("int64")
    return frame[TOPIC_COLUMNS]


def recommendations_frame(candidates: Sequence[Recommendation]) -> pd.DataFrame:
    frame = records_frame(candidates, RECOMMENDATION_COLUMNS)
    frame["topic_id"] = frame["topic_id"].astype("int64")
    frame["support"] = frame["support"].astype("int64")
    frame["score"] = frame["score"].astype("float64")
    return frame


def sections_frame(sections: Sequence[SectionSentiment]) -> pd.DataFrame:
    columns = [
        "section", "question", "n_quotes", "mean_sentiment", "ci_low", "ci_high",
        "share_positive", "share_neutral", "share_negative",
    ]
    return records_frame(sections, columns)


def write_model(staging: OutputStaging, fit, embedding_model_dir: Path | None) -> Path:
    """Save the fitted BERTopic model (safetensors, with a pointer to the local embedder)."""
    from nlp.topics import save_topic_model

    path = staging.path / "topic_model"
    save_topic_model(fit, path, embedding_model_dir)
    return path
