"""The default sentiment model: a logistic-regression head on MiniLM embeddings plus VADER cues.

The head is trained at development time by ``training/train_sentiment.py`` and shipped as
``nlp/models/sentiment_head.json`` (plain numbers, no pickle). It is read on first use, never at
import time.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nlp.heads import JsonFile, bundled_head

__all__ = [
    "HEAD_FORMAT",
    "LEXICON_FEATURES",
    "NEUTRAL_BAND",
    "SentimentHead",
    "default_head",
    "lexicon_features",
    "vader_analyzer",
]

HEAD_FORMAT = "sentiment-head/1"

LEXICON_FEATURES = ("vader_pos", "vader_neg", "vader_neu", "vader_compound")
"""VADER's scores, in the order they follow the embedding dimensions in the feature vector."""

NEUTRAL_BAND = 0.2
"""A score with ``abs(score) < NEUTRAL_BAND`` counts as neutral.

The model is trained on positive/negative sentences only, so a score near 0 means "the model
cannot tell", which is what neutral should mean here. 0.2 is where the sign stops being a guess:
in 5-fold out-of-fold scores on the training part (never a test part) the sign was right for
60 % of the sentences with ``abs(score) < 0.2`` (52 % below 0.1), for 75-77 % between 0.2 and
0.4 and for 87 % or more above; about 9 % of review sentences fall inside the band. Plain
factual statements ("The report is due in March.") often still land between 0.2 and 0.5, so
``share_neutral`` undercounts them. The per-band accuracies are recorded in the head's metadata
by ``training/train_sentiment.py``.
"""

_VADER = None
_VADER_LOCK = threading.Lock()


def vader_analyzer():
    """The process-wide VADER analyzer, built on first use (it reads its lexicon file)."""
    global _VADER
    with _VADER_LOCK:
        if _VADER is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            _VADER = SentimentIntensityAnalyzer()
        return _VADER


def lexicon_features(texts: Sequence[str]) -> np.ndarray:
    """VADER's pos, neg, neu and compound scores of each text, as an (n, 4) float64 array."""
    analyzer = vader_analyzer()
    rows = [analyzer.polarity_scores(text) for text in texts]
    return np.asarray(
        [[row["pos"], row["neg"], row["neu"], row["compound"]] for row in rows], dtype=np.float64
    ).reshape(len(rows), len(LEXICON_FEATURES))


@dataclass(frozen=True)
class SentimentHead(JsonFile):
    """Weights of the sentiment head and the scaling of its inputs.

    Attributes:
        coef: one weight per standardised feature: the embedding dimensions, then the
            ``lexicon`` features.
        intercept: bias of the logistic regression.
        mean: per-feature mean subtracted before weighting (from the training data).
        scale: per-feature standard deviation divided by before weighting.
        lexicon: names of the lexicon features, in order; must equal ``LEXICON_FEATURES``.
        neutral_band: the neutral threshold the head was shipped with; must equal
            ``NEUTRAL_BAND``.
        embedding_sha256: hash of the embedding model the head was trained on.
        metadata: data sources, sizes, held-out accuracy and date, kept for the record.
    """

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    lexicon: tuple[str, ...]
    neutral_band: float
    embedding_sha256: str
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def embedding_dim(self) -> int:
        return int(self.coef.shape[0]) - len(self.lexicon)

    def score(self, embeddings: np.ndarray, lexicon: np.ndarray) -> np.ndarray:
        """Sentiment in [-1, 1] of each row: ``2 * P(positive) - 1``."""
        features = np.hstack([np.asarray(embeddings, dtype=np.float64), lexicon])
        logits = ((features - self.mean) / self.scale) @ self.coef + self.intercept
        # tanh(z / 2) == 2 * sigmoid(z) - 1, without overflow for large |z|.
        return np.tanh(logits / 2.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": HEAD_FORMAT,
            "embedding_sha256": self.embedding_sha256,
            "embedding_dim": self.embedding_dim,
            "lexicon": list(self.lexicon),
            "neutral_band": float(self.neutral_band),
            "coef": [round(float(c), 8) for c in self.coef],
            "intercept": round(float(self.intercept), 8),
            "mean": [round(float(m), 8) for m in self.mean],
            "scale": [round(float(s), 8) for s in self.scale],
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> SentimentHead:
        """Build a head from its JSON form, refusing one that does not fit this code.

        Raises:
            ValueError: wrong format tag, lexicon features, neutral band or number of weights;
                the message names ``source``.
        """
        if data.get("format") != HEAD_FORMAT:
            raise ValueError(f"{source}: not a {HEAD_FORMAT} file (format={data.get('format')!r})")
        lexicon = tuple(data["lexicon"])
        if lexicon != LEXICON_FEATURES:
            raise ValueError(
                f"{source}: trained with lexicon features {lexicon}, but this code computes "
                f"{LEXICON_FEATURES}; retrain with training/train_sentiment.py"
            )
        if float(data["neutral_band"]) != NEUTRAL_BAND:
            raise ValueError(
                f"{source}: shipped with neutral band {data['neutral_band']}, but this code uses "
                f"{NEUTRAL_BAND}; retrain with training/train_sentiment.py"
            )
        n_features = int(data["embedding_dim"]) + len(lexicon)
        arrays = {key: np.asarray(data[key], dtype=np.float64) for key in ("coef", "mean", "scale")}
        for key, array in arrays.items():
            if array.shape != (n_features,):
                raise ValueError(f"{source}: {key} has {array.shape[0]} values for {n_features} features")
        if not np.all(arrays["scale"] > 0):
            raise ValueError(f"{source}: feature scales must be positive")
        return cls(
            coef=arrays["coef"],
            intercept=float(data["intercept"]),
            mean=arrays["mean"],
            scale=arrays["scale"],
            lexicon=lexicon,
            neutral_band=float(data["neutral_band"]),
            embedding_sha256=str(data["embedding_sha256"]),
            metadata=dict(data.get("metadata", {})),
        )


def default_head() -> SentimentHead:
    """The head bundled as ``nlp/models/sentiment_head.json``, read once on first use."""
    return bundled_head("sentiment_head.json", SentimentHead)
