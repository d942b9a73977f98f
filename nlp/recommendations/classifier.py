"""The recommendation classifier: a logistic-regression head on MiniLM embeddings plus rule cues.

The head is trained at development time by ``training/train_recommendations.py`` and shipped as
``nlp/models/recommendation_head.json`` (plain numbers, no pickle). It is read on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from nlp.embeddings import Embedder, default_embedder
from nlp.heads import JsonFile, bundled_head
from nlp.recommendations.rules import CUES, STRONG_CUES, cue_matrix
from nlp.recommendations.tuned import TunedScorer

__all__ = [
    "HEAD_FORMAT",
    "MIN_TEXTS_FOR_RATE",
    "RecommendationHead",
    "classify",
    "default_head",
    "document_confidence",
    "predict_proba",
    "run_confidence",
    "word_counts",
]

HEAD_FORMAT = "recommendation-head/1"

MIN_TEXTS_FOR_RATE = 50
"""Fewer texts than this say too little about their suggestion rate: ``threshold`` is used."""


# eq=False: field-wise equality is ambiguous for an ndarray field.
@dataclass(frozen=True, eq=False)
class RecommendationHead(JsonFile):
    """Weights of the classifier head and how to read its output.

    Attributes:
        coef: one weight per feature: the embedding dimensions, then one per cue in ``cues``.
        intercept: bias of the logistic regression.
        threshold: probability at or above which a sentence counts as a recommendation; chosen on
            a held-out part of the training data, never on a test set.
        cues: names of the rule cues, in feature order; must equal ``rules.CUES``.
        strong_floor: probability given at least to a sentence with a strong cue (see
            ``rules.STRONG_CUES``); the forum-trained head under-weights cues that are rare on a
            developer forum but common in advice ("recommend", "make sure", imperatives).
        embedding_sha256: hash of the embedding model the head was trained on.
        metadata: training data, parameters and held-out scores, kept for the record.
        floor_max_words: the floor applies only to texts of at most this many words (a bullet
            or a short sentence: "Bring in the politicians."), or to every text when None. In
            a long sentence a cue such as "should" often describes rather than asks ("it
            should open, but it crashes"), and at a realistic suggestion rate the floor on long
            sentences costs more precision than it wins recall.
        rate_thresholds: ``(suggestion rate, threshold)`` pairs, rates ascending, chosen out of
            fold like ``threshold``: the threshold for texts where suggestions are that common.
            Empty: ``threshold`` everywhere.
        rate_probe: ``(tpr, fpr)`` of ``threshold`` out of fold (mean over the training
            domains): how a run's suggestion rate is estimated from the share it flags.
        adapt_above: ``threshold_for`` leaves ``threshold`` in place unless a run's estimated
            rate reaches this; set above every estimate seen at realistic rates (5-15 %).
        tuned: the fine-tuned model that re-scores the texts this head scores at or above its
            bar, read at its own threshold (``tuned.TunedScorer``), in runs where suggestions are
            rare (``uses_tuned``). The fields above stay the head's own: they read the head's
            probabilities and estimate a run's rate from them. None: the head alone.
    """

    coef: np.ndarray
    intercept: float
    threshold: float
    cues: tuple[str, ...]
    strong_floor: float
    embedding_sha256: str
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)
    floor_max_words: int | None = None
    rate_thresholds: tuple[tuple[float, float], ...] = ()
    rate_probe: tuple[float, float] | None = None
    adapt_above: float = 1.0
    tuned: TunedScorer | None = None

    @property
    def embedding_dim(self) -> int:
        return int(self.coef.shape[0]) - len(self.cues)

    def proba(self, embeddings: np.ndarray, cues: np.ndarray, n_words: np.ndarray | None = None) -> np.ndarray:
        """Recommendation probability of each row, given its embedding, cue indicators and length.

        ``n_words`` (words per text) is needed when ``floor_max_words`` is set.
        """
        features = np.hstack([np.asarray(embeddings, dtype=np.float64), cues.astype(np.float64)])
        logits = features @ self.coef + self.intercept
        return self.floored(1.0 / (1.0 + np.exp(-logits)), cues, n_words)

    def floored(self, proba: np.ndarray, cues: np.ndarray, n_words: np.ndarray | None = None) -> np.ndarray:
        """``proba`` raised to ``strong_floor`` where a text has a strong cue (and is short enough)."""
        strong = cues[:, [j for j, name in enumerate(self.cues) if name in STRONG_CUES]].any(axis=1)
        if self.floor_max_words is not None:
            if n_words is None:
                raise ValueError("this head's strong-cue floor depends on text length: pass n_words")
            strong = strong & (np.asarray(n_words) <= self.floor_max_words)
        return np.where(strong, np.maximum(proba, self.strong_floor), proba)

    def estimate_rate(self, proba: Sequence[float]) -> float | None:
        """Share of suggestions among the texts scored ``proba`` (adjusted classify and count).

        The share flagged at ``threshold`` mixes true and false positives; with the head's
        out-of-fold ``(tpr, fpr)`` the rate is ``(flagged - fpr) / (tpr - fpr)``, clipped to
        [0, 1] (Forman 2008). None without a probe or with fewer than ``MIN_TEXTS_FOR_RATE`` texts.
        """
        if self.rate_probe is None or len(proba) < MIN_TEXTS_FOR_RATE:
            return None
        tpr, fpr = self.rate_probe
        flagged = float(np.mean(np.asarray(proba, dtype=np.float64) >= self.threshold))
        return float(np.clip((flagged - fpr) / (tpr - fpr), 0.0, 1.0))

    def threshold_for(self, proba: Sequence[float]) -> float:
        """Decision threshold for one run (or corpus) whose texts the head scored ``proba``.

        ``threshold`` (chosen for suggestion rates of 5-15 %), unless the run's estimated rate
        (``estimate_rate``) reaches ``adapt_above``: a text made mostly of requests, such as a
        summary of recommendations, then gets the lower threshold chosen for its rate
        (``rate_thresholds``, interpolated in log rate). A threshold chosen for rare suggestions
        misses a third of them where they are common.
        """
        rate = self.estimate_rate(proba)
        if rate is None or rate < self.adapt_above or not self.rate_thresholds:
            return self.threshold
        rates, thresholds = zip(*self.rate_thresholds)
        return float(np.interp(np.log(max(rate, 1e-6)), np.log(rates), thresholds))

    def alone(self) -> RecommendationHead:
        """This head without the tuned model: its own probabilities, threshold and rate policy."""
        return replace(self, tuned=None)

    @property
    def rare_threshold(self) -> float:
        """Threshold of ``predict_proba``'s confidences in a run where suggestions are rare."""
        return self.threshold if self.tuned is None else self.tuned.threshold

    def uses_tuned(self, alone_proba: Sequence[float]) -> bool:
        """Whether a run whose texts the head alone scores ``alone_proba`` is decided by the tuned model.

        The tuned model was chosen for suggestion rates of 5-15 % and loses recall where
        suggestions are dense, so it decides unless the head's estimate of the run's rate
        (``estimate_rate``) reaches ``adapt_above``, the same bar at which the head itself
        changes its threshold: such a run is decided by the head at ``threshold_for``. A run too
        small to estimate counts as rare, as it does for the head's threshold.
        """
        if self.tuned is None:
            return False
        rate = self.estimate_rate(alone_proba)
        return rate is None or rate < self.adapt_above

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": HEAD_FORMAT,
            "embedding_sha256": self.embedding_sha256,
            "embedding_dim": self.embedding_dim,
            "cues": list(self.cues),
            "coef": [round(float(c), 8) for c in self.coef],
            "intercept": round(float(self.intercept), 8),
            "threshold": float(self.threshold),
            "strong_floor": float(self.strong_floor),
            "floor_max_words": self.floor_max_words,
            "rate_thresholds": [list(pair) for pair in self.rate_thresholds],
            "rate_probe": None if self.rate_probe is None else list(self.rate_probe),
            "adapt_above": self.adapt_above,
            "tuned": None if self.tuned is None else self.tuned.to_dict(),
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> RecommendationHead:
        """Build a head from its JSON form, refusing one that does not fit this code's cues.

        Raises:
            ValueError: wrong format tag, cue list or number of weights; the message names ``source``.
        """
        if data.get("format") != HEAD_FORMAT:
            raise ValueError(f"{source}: not a {HEAD_FORMAT} file (format={data.get('format')!r})")
        cues = tuple(data["cues"])
        if cues != CUES:
            raise ValueError(
                f"{source}: trained with cues {cues}, but this code computes {CUES}; retrain with "
                "training/train_recommendations.py"
            )
        coef = np.asarray(data["coef"], dtype=np.float64)
        if coef.shape != (int(data["embedding_dim"]) + len(cues),):
            raise ValueError(f"{source}: {coef.shape[0]} weights for {data['embedding_dim']} + {len(cues)} features")
        return cls(
            coef=coef,
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            cues=cues,
            strong_floor=float(data["strong_floor"]),
            embedding_sha256=str(data["embedding_sha256"]),
            metadata=dict(data.get("metadata", {})),
            floor_max_words=None if data.get("floor_max_words") is None else int(data["floor_max_words"]),
            rate_thresholds=tuple((float(r), float(t)) for r, t in data.get("rate_thresholds", ())),
            rate_probe=None if data.get("rate_probe") is None else (float(data["rate_probe"][0]), float(data["rate_probe"][1])),
            adapt_above=float(data.get("adapt_above", 1.0)),
            tuned=None if data.get("tuned") is None else TunedScorer.from_dict(data["tuned"]),
        )


def default_head() -> RecommendationHead:
    """The head bundled as ``nlp/models/recommendation_head.json``, read once on first use."""
    return bundled_head("recommendation_head.json", RecommendationHead)


def word_counts(texts: Sequence[str]) -> np.ndarray:
    """Whitespace-separated words per text: the length the strong-cue floor is limited by."""
    return np.asarray([len(text.split()) for text in texts], dtype=np.int64)


def _features(texts: Sequence[str], embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check ``embeddings`` against ``texts`` and compute the cue matrix that goes beside them."""
    embeddings = np.asarray(embeddings)
    if embeddings.ndim != 2 or embeddings.shape[0] != len(texts):
        raise ValueError(f"embeddings of shape {embeddings.shape} do not match {len(texts)} texts")
    return embeddings, cue_matrix(texts)


def predict_proba(
    texts: Sequence[str],
    embeddings: np.ndarray | None = None,
    embedder: Embedder | None = None,
    head: RecommendationHead | None = None,
) -> list[float]:
    """Confidence, in [0, 1], that each text recommends, suggests or asks for something.

    Args:
        texts: sentences or bullets.
        embeddings: their vectors if already computed (the pipeline caches them); must come from
            the model the head was trained on.
        embedder: used when ``embeddings`` is None; defaults to the bundled all-MiniLM-L6-v2.
        head: defaults to the bundled head.

    Raises:
        ValueError: the embedder is not the model the head was trained on, or shapes disagree.
    """
    texts = list(texts)
    if not texts:
        return []
    head = head or default_head()
    if embeddings is None:
        embedder = embedder or default_embedder()
        if embedder.source_sha256 != head.embedding_sha256:
            raise ValueError(
                f"the recommendation head was trained on embeddings of model sha256 "
                f"{head.embedding_sha256}, not {embedder.source_sha256} ({embedder.name})"
            )
        embeddings = embedder.embed(texts)
    embeddings, cues = _features(texts, embeddings)
    if embeddings.shape[1] != head.embedding_dim:
        raise ValueError(f"{embeddings.shape[1]}-d embeddings for a head trained on {head.embedding_dim}-d")
    n_words = word_counts(texts)
    proba = head.proba(embeddings, cues, n_words)
    if head.tuned is not None:
        # The tuned model re-scores what the head lets through (the floor only if chosen so).
        proba = head.tuned.rescore(texts, proba, cues)
        if head.tuned.floor:
            proba = head.floored(proba, cues, n_words)
    return [float(p) for p in proba]


def classify(
    texts: Sequence[str],
    embeddings: np.ndarray | None = None,
    embedder: Embedder | None = None,
    head: RecommendationHead | None = None,
) -> list[bool]:
    """True for each text that recommends, suggests, requests or says something should be done.

    Arguments are those of ``predict_proba``; the texts are one run: a text is True when its
    confidence reaches the threshold for these texts (``run_confidence``).
    """
    head = head or default_head()
    texts = list(texts)
    if embeddings is None and head.tuned is not None and texts:  # embedded once for both scorings
        embedder = embedder or default_embedder()
        if embedder.source_sha256 == head.embedding_sha256:
            embeddings = embedder.embed(texts)
    proba, threshold = run_confidence(head, lambda h: predict_proba(texts, embeddings, embedder, h))
    return [p >= threshold for p in proba]


def run_confidence(
    head: RecommendationHead,
    score: Callable[[RecommendationHead], Sequence[float]],
    counted: Sequence[bool] | None = None,
) -> tuple[list[float], float]:
    """The confidences and the threshold one run (or corpus), taken as one document, is decided with.

    ``score(h)`` gives every text's confidence under head ``h``; see ``document_confidence``.
    """
    scores = {True: [float(p) for p in score(head.alone())]}  # keyed by "the head alone"

    def rows_score(h: RecommendationHead, rows: list[int]) -> list[float]:
        if (h.tuned is None) not in scores:
            scores[h.tuned is None] = [float(p) for p in score(h)]
        return [scores[h.tuned is None][i] for i in rows]

    proba, thresholds = document_confidence(head, rows_score, [""] * len(scores[True]), counted)
    return proba, thresholds[0] if thresholds else head.rare_threshold


def document_confidence(
    head: RecommendationHead,
    score: Callable[[RecommendationHead, list[int]], Sequence[float]],
    documents: Sequence[str],
    counted: Sequence[bool] | None = None,
) -> tuple[list[float], list[float]]:
    """Every text's confidence and the threshold it is decided at, each document a run of its own.

    ``score(h, rows)`` gives the confidences of the texts at ``rows`` under head ``h``;
    ``documents`` names each text's document (its source file). The head alone scores every
    text; then a document where suggestions are rare (``RecommendationHead.uses_tuned`` on its
    counted texts) has its texts re-scored, ``score(head, rows)``, and read at the tuned
    threshold, and a dense one keeps the head's scores, read at ``threshold_for``. Only the
    texts where ``counted`` is True (default: all) enter an estimate. A document with fewer
    than ``MIN_TEXTS_FOR_RATE`` counted texts says too little about its own rate: all such
    documents are decided together, on their pooled texts (fewer than that in all: rare). So
    a document with its own estimate is decided the same whatever else is in the run, and a
    dense summary beside sparse transcripts is read as dense while they are read as rare.
    """
    alone = head.alone()
    proba = [float(p) for p in score(alone, list(range(len(documents))))]
    keep = [True] * len(proba) if counted is None else list(counted)
    rows: dict[str, list[int]] = {}
    for i, doc in enumerate(documents):
        rows.setdefault(doc, []).append(i)
    own = {doc: [proba[i] for i in mine if keep[i]] for doc, mine in rows.items()}
    pooled = [p for ps in own.values() if len(ps) < MIN_TEXTS_FOR_RATE for p in ps]
    thresholds = [0.0] * len(proba)
    rare: list[int] = []
    for doc, mine in rows.items():
        basis = own[doc] if len(own[doc]) >= MIN_TEXTS_FOR_RATE else pooled
        tuned = head.uses_tuned(basis)
        rare.extend(mine if tuned else [])
        for i in mine:
            thresholds[i] = head.rare_threshold if tuned else alone.threshold_for(basis)
    rare.sort()
    for i, p in zip(rare, score(head, rare) if rare else []):
        proba[i] = float(p)
    return proba, thresholds
