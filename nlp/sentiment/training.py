"""Development-time helpers: read the training data, fit a head, measure it on held-out data.

Used by ``training/train_sentiment.py`` (which writes the shipped head) and by
``bench/sentiment_quality.py`` (which re-measures the same recipe against plain VADER). Nothing
in the scoring path imports this module; scikit-learn is imported only when a head is fitted.

The data are the UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015): 1000 review
sentences each from Amazon, IMDb and Yelp, labelled 1 (positive) or 0 (negative).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp.sentiment.head import LEXICON_FEATURES, NEUTRAL_BAND, SentimentHead

__all__ = [
    "C_GRID",
    "DOMAINS",
    "LabelledSentences",
    "Split",
    "UCI_FILES",
    "accuracy",
    "choose_c",
    "evaluate_splits",
    "fit_head",
    "heldout_splits",
    "read_uci_sentences",
]

DOMAINS = ("amazon", "imdb", "yelp")
UCI_FILES = {
    "amazon": "amazon_cells_labelled.txt",
    "imdb": "imdb_labelled.txt",
    "yelp": "yelp_labelled.txt",
}
MIN_SCALE = 1e-6
"""Features whose standard deviation is below this are not standardised."""
C_GRID = (0.0003, 0.001, 0.003, 0.01, 0.03)
"""Inverse regularisation strengths tried by cross-validation inside each training portion."""


@dataclass(frozen=True)
class LabelledSentences:
    """Parallel tuples of sentences, labels (True = positive) and source domain."""

    texts: tuple[str, ...]
    labels: tuple[bool, ...]
    domains: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class Split:
    """A named train/test partition, as index arrays into a ``LabelledSentences``."""

    name: str
    train: np.ndarray
    test: np.ndarray


def read_uci_sentences(data_dir: str | Path) -> LabelledSentences:
    """Read the three UCI files (``sentence<TAB>label`` per line) from ``data_dir``.

    The files are read line by line, not as CSV: quote characters in the UCI originals make a
    CSV reader merge lines (pandas finds 748 IMDb rows instead of 1000).

    Raises:
        ValueError: a line is not ``sentence<TAB>0|1``; the message names the file and line.
    """
    texts: list[str] = []
    labels: list[bool] = []
    domains: list[str] = []
    for domain in DOMAINS:
        path = Path(data_dir) / UCI_FILES[domain]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            sentence, sep, label = line.rpartition("\t")
            if not sep or label.strip() not in {"0", "1"} or not sentence.strip():
                raise ValueError(f"{path}: line {number} is not 'sentence<TAB>0|1'")
            texts.append(" ".join(sentence.split()))
            labels.append(label.strip() == "1")
            domains.append(domain)
    return LabelledSentences(tuple(texts), tuple(labels), tuple(domains))


def accuracy(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Share of texts whose score sign matches the label (score > 0 means positive)."""
    if len(scores) != len(labels) or not len(labels):
        raise ValueError(f"{len(scores)} scores for {len(labels)} labels")
    return float(np.mean((np.asarray(scores) > 0) == np.asarray(labels, dtype=bool)))


def fit_head(
    embeddings: np.ndarray,
    lexicon: np.ndarray,
    labels: Sequence[bool],
    c: float,
    embedding_sha256: str,
    metadata: dict | None = None,
) -> SentimentHead:
    """Fit the logistic-regression head on standardised [embedding | lexicon] features."""
    from sklearn.linear_model import LogisticRegression

    features = np.hstack([np.asarray(embeddings, dtype=np.float64), lexicon])
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    # MiniLM has dimensions that are constant up to float noise (std ~1e-9 or less).
    # Standardising them would blow that noise up into large logits, so they are left unscaled.
    scale[scale < MIN_SCALE] = 1.0
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit((features - mean) / scale, np.asarray(labels, dtype=bool))
    return SentimentHead(
        coef=model.coef_[0].astype(np.float64),
        intercept=float(model.intercept_[0]),
        mean=mean,
        scale=scale,
        lexicon=LEXICON_FEATURES,
        neutral_band=NEUTRAL_BAND,
        embedding_sha256=embedding_sha256,
        metadata=dict(metadata or {}),
    )


def choose_c(
    embeddings: np.ndarray,
    lexicon: np.ndarray,
    labels: Sequence[bool],
    strata: Sequence[str],
    seed: int = 0,
    folds: int = 5,
) -> tuple[float, dict[float, float]]:
    """Pick C from ``C_GRID`` by stratified k-fold accuracy on the given (training) data only.

    Returns:
        The best C (the smallest, on ties) and the mean fold accuracy of every C tried.
    """
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels, dtype=bool)
    folds_ = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(labels, strata))
    scores: dict[float, float] = {}
    for c in C_GRID:
        fold_acc = []
        for train, valid in folds_:
            head = fit_head(embeddings[train], lexicon[train], labels[train], c, "")
            fold_acc.append(accuracy(head.score(embeddings[valid], lexicon[valid]), labels[valid]))
        scores[c] = round(float(np.mean(fold_acc)), 4)
    best = max(C_GRID, key=lambda c: (scores[c], -c))
    return best, scores


def _strata(data: LabelledSentences, indices: np.ndarray) -> list[str]:
    return [f"{data.domains[i]}:{int(data.labels[i])}" for i in indices]


def heldout_splits(data: LabelledSentences, seed: int = 0, test_size: float = 0.2) -> list[Split]:
    """The measurement protocol: three cross-domain splits and one stratified split.

    ``cross_domain_<d>`` trains on the other two domains and tests on all of ``d``;
    ``stratified_heldout`` holds out ``test_size`` of every (domain, label) stratum.
    """
    from sklearn.model_selection import train_test_split

    domains = np.asarray(data.domains)
    everything = np.arange(len(data))
    splits = [
        Split(f"cross_domain_{d}", everything[domains != d], everything[domains == d]) for d in DOMAINS
    ]
    train, test = train_test_split(
        everything, test_size=test_size, random_state=seed, stratify=_strata(data, everything)
    )
    splits.append(Split("stratified_heldout", np.sort(train), np.sort(test)))
    return splits


def evaluate_splits(
    data: LabelledSentences,
    embeddings: np.ndarray,
    lexicon: np.ndarray,
    seed: int = 0,
) -> list[dict]:
    """Accuracy of the head recipe (C chosen on each training part) and of VADER on each test part.

    Returns:
        One dict per split: ``split``, ``n_train``, ``n_test``, ``c``, ``accuracy_default``,
        ``accuracy_vader``.
    """
    labels = np.asarray(data.labels, dtype=bool)
    compound = lexicon[:, LEXICON_FEATURES.index("vader_compound")]
    rows = []
    for split in heldout_splits(data, seed):
        train, test = split.train, split.test
        c, _ = choose_c(embeddings[train], lexicon[train], labels[train], _strata(data, train), seed)
        head = fit_head(embeddings[train], lexicon[train], labels[train], c, "")
        rows.append(
            {
                "split": split.name,
                "n_train": int(train.size),
                "n_test": int(test.size),
                "c": c,
                "accuracy_default": round(accuracy(head.score(embeddings[test], lexicon[test]), labels[test]), 4),
                "accuracy_vader": round(accuracy(compound[test], labels[test]), 4),
            }
        )
    return rows
