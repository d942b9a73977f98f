"""Swappable sentiment scorers and the default ``score`` entry point.

Every scorer maps texts to floats in [-1, 1], with > 0 meaning positive. ``HeadScorer`` (the
default) reads MiniLM embeddings and VADER cues; ``VaderScorer`` is plain VADER, kept as the
baseline and as a model-free fallback.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from nlp.embeddings import Embedder, default_embedder
from nlp.sentiment.head import NEUTRAL_BAND, SentimentHead, default_head, lexicon_features, vader_analyzer

__all__ = [
    "HeadScorer",
    "Polarity",
    "SentimentScorer",
    "VaderScorer",
    "default_scorer",
    "polarity",
    "score",
]

Polarity = Literal["positive", "neutral", "negative"]


@runtime_checkable
class SentimentScorer(Protocol):
    """Anything that scores texts in [-1, 1], > 0 meaning positive."""

    def score(self, texts: Sequence[str]) -> list[float]: ...


class VaderScorer:
    """VADER's compound score (Hutto & Gilbert 2014): a lexicon with rules for negation and "but"."""

    name = "vader"

    def score(self, texts: Sequence[str]) -> list[float]:
        analyzer = vader_analyzer()
        return [float(analyzer.polarity_scores(text)["compound"]) for text in texts]


class HeadScorer:
    """The default scorer: the bundled logistic-regression head on MiniLM embeddings + VADER cues.

    Args:
        embedder: defaults to the bundled all-MiniLM-L6-v2; must be the model the head was
            trained on.
        head: defaults to ``nlp/models/sentiment_head.json``.

    Both are resolved on first use, so building a scorer loads nothing.
    """

    name = "minilm_vader_head"

    def __init__(self, embedder: Embedder | None = None, head: SentimentHead | None = None) -> None:
        self._embedder = embedder
        self._head = head

    @property
    def head(self) -> SentimentHead:
        if self._head is None:
            self._head = default_head()
        return self._head

    def score(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> list[float]:
        """Score ``texts``; pass ``embeddings`` when the pipeline has them cached.

        Raises:
            ValueError: the embedder is not the model the head was trained on, or the
                embeddings do not match the texts.
        """
        texts = list(texts)
        if not texts:
            return []
        head = self.head
        if embeddings is None:
            embedder = self._embedder or default_embedder()
            if embedder.source_sha256 != head.embedding_sha256:
                raise ValueError(
                    f"the sentiment head was trained on embeddings of model sha256 "
                    f"{head.embedding_sha256}, not {embedder.source_sha256} ({embedder.name})"
                )
            embeddings = embedder.embed(texts)
        embeddings = np.asarray(embeddings)
        if embeddings.shape != (len(texts), head.embedding_dim):
            raise ValueError(
                f"embeddings of shape {embeddings.shape} do not fit {len(texts)} texts and a head "
                f"trained on {head.embedding_dim}-d vectors"
            )
        scores = head.score(embeddings, lexicon_features(texts))
        return [float(s) for s in np.clip(scores, -1.0, 1.0)]


_DEFAULT: HeadScorer | None = None
_DEFAULT_LOCK = threading.Lock()


def default_scorer() -> HeadScorer:
    """The process-wide default scorer (weights and model load on its first ``score`` call)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = HeadScorer()
        return _DEFAULT


def score(texts: Sequence[str], scorer: SentimentScorer | None = None) -> list[float]:
    """Sentiment of each text, in [-1, 1]; > 0 means positive.

    Args:
        texts: sentences or bullets; an empty sequence gives an empty list.
        scorer: defaults to ``default_scorer()``.
    """
    texts = list(texts)
    if not texts:
        return []
    return (scorer or default_scorer()).score(texts)


def polarity(value: float, neutral_band: float = NEUTRAL_BAND) -> Polarity:
    """Label a score: neutral when ``abs(value) < neutral_band``, else by its sign."""
    if value >= neutral_band:
        return "positive"
    if value <= -neutral_band:
        return "negative"
    return "neutral"
