"""Train the sentiment head and write ``nlp/models/sentiment_head.json``.

Development-time only; the pipeline never trains. Run from the project root:

    .venv/bin/python -m training.train_sentiment [--embeddings-cache DIR]

Steps, all with fixed seeds:

1. Read the UCI Sentiment Labelled Sentences (``training/data/sentiment/``, see its README).
2. Embed every sentence with the bundled all-MiniLM-L6-v2 and compute VADER's pos/neg/neu/
   compound scores.
3. Measure the recipe on held-out data (``nlp.sentiment.training.evaluate_splits``): train on two
   of amazon/imdb/yelp and test on the third, for each of the three, and once on a stratified
   80/20 split. C is chosen by 5-fold cross-validation inside each training part; the decision
   threshold is fixed at score 0 (probability 0.5) and never tuned.
4. Check the neutral band with 5-fold out-of-fold scores on the stratified training part (the
   test part is not read): sign accuracy per band of ``abs(score)``.
5. Choose C by cross-validation on all 3000 sentences, fit the shipped head on all of them and
   write it with the measurements in its metadata.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from pathlib import Path

import numpy as np

from nlp.embeddings import EmbeddingCache, default_embedder, embed_with_cache
from nlp.sentiment.head import LEXICON_FEATURES, NEUTRAL_BAND, SentimentHead, lexicon_features
from nlp.sentiment.training import (
    DOMAINS,
    UCI_FILES,
    LabelledSentences,
    accuracy,
    choose_c,
    evaluate_splits,
    fit_head,
    heldout_splits,
    read_uci_sentences,
)

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "training" / "data" / "sentiment"
DEFAULT_OUT = REPO / "nlp" / "models" / "sentiment_head.json"
SEED = 0
BAND_EDGES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 1.0)


def embed_sentences(data: LabelledSentences, cache_dir: Path | None) -> tuple[np.ndarray, str]:
    """MiniLM embeddings of every sentence (optionally cached on disk) and the model's hash."""
    embedder = default_embedder()
    cache = EmbeddingCache(cache_dir, embedder.model_sha256) if cache_dir is not None else None
    embeddings, _ = embed_with_cache(data.texts, embedder, cache)
    return embeddings, embedder.source_sha256  # the weights; the cache key may name the backend


def band_report(data: LabelledSentences, embeddings: np.ndarray, lexicon: np.ndarray) -> list[dict]:
    """Sign accuracy per ``abs(score)`` band, from 5-fold out-of-fold scores on the stratified
    training part (2400 sentences; the test part is not read)."""
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(data.labels, dtype=bool)
    train = next(s for s in heldout_splits(data, SEED) if s.name == "stratified_heldout").train
    strata = [f"{data.domains[i]}:{int(data.labels[i])}" for i in train]
    c, _ = choose_c(embeddings[train], lexicon[train], labels[train], strata, SEED)
    scores = np.empty(train.size)
    for fit, valid in StratifiedKFold(5, shuffle=True, random_state=SEED + 1).split(train, strata):
        head = fit_head(embeddings[train[fit]], lexicon[train[fit]], labels[train[fit]], c, "")
        scores[valid] = head.score(embeddings[train[valid]], lexicon[train[valid]])
    truth = labels[train]
    rows = []
    for low, high in zip(BAND_EDGES, BAND_EDGES[1:]):
        inside = (np.abs(scores) >= low) & ((np.abs(scores) < high) | (high == BAND_EDGES[-1]))
        rows.append(
            {
                "abs_score_from": low,
                "abs_score_to": high,
                "n": int(inside.sum()),
                "sign_accuracy": round(accuracy(scores[inside], truth[inside]), 4) if inside.any() else None,
            }
        )
    return rows


def _sources() -> list[dict]:
    sources = []
    for domain in DOMAINS:
        path = DATA_DIR / UCI_FILES[domain]
        sources.append(
            {
                "domain": domain,
                "file": str(path.relative_to(REPO)),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            }
        )
    return sources


def train(cache_dir: Path | None = None) -> SentimentHead:
    """Measure the recipe on held-out data, then fit the head on all the data."""
    data = read_uci_sentences(DATA_DIR)
    embeddings, model_sha256 = embed_sentences(data, cache_dir)
    lexicon = lexicon_features(data.texts)
    heldout = evaluate_splits(data, embeddings, lexicon, SEED)
    bands = band_report(data, embeddings, lexicon)
    strata = [f"{d}:{int(y)}" for d, y in zip(data.domains, data.labels)]
    c, cv_scores = choose_c(embeddings, lexicon, np.asarray(data.labels), strata, SEED)
    metadata = {
        "trained_on": dt.date.today().isoformat(),
        "data": {
            "name": "UCI Sentiment Labelled Sentences (Kotzias et al., KDD 2015), CC BY 4.0",
            "sources": _sources(),
            "n_sentences": len(data),
            "n_positive": int(sum(data.labels)),
        },
        "features": {"embedding": "sentence-transformers/all-MiniLM-L6-v2", "lexicon": list(LEXICON_FEATURES)},
        "model": "logistic regression on standardised features, L2, C chosen by stratified 5-fold CV",
        "c": c,
        "cv_accuracy_by_c": {str(k): v for k, v in cv_scores.items()},
        "decision": "score = 2 * P(positive) - 1; positive when score > 0 (threshold not tuned)",
        "heldout": heldout,
        "neutral_band": NEUTRAL_BAND,
        "neutral_band_validation": bands,
        "seed": SEED,
    }
    return fit_head(embeddings, lexicon, np.asarray(data.labels), c, model_sha256, metadata)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the head JSON")
    parser.add_argument(
        "--embeddings-cache", type=Path, default=None, help="directory for cached sentence vectors"
    )
    args = parser.parse_args(argv)
    head = train(args.embeddings_cache)
    head.to_json(args.out)
    print(f"wrote {args.out} (C={head.metadata['c']})")
    print(f"{'held-out set':<22}{'n_test':>8}{'default':>10}{'vader':>10}")
    for row in head.metadata["heldout"]:
        print(f"{row['split']:<22}{row['n_test']:>8}{row['accuracy_default']:>10.4f}{row['accuracy_vader']:>10.4f}")
    for row in head.metadata["neutral_band_validation"]:
        print(f"|score| in [{row['abs_score_from']}, {row['abs_score_to']}): n={row['n']}, sign accuracy {row['sign_accuracy']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
