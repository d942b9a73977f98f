"""Sentiment accuracy of the default scorer beside plain VADER, on held-out review sentences.

Data: UCI Sentiment Labelled Sentences (``training/data/sentiment/``), 1000 sentences each from
Amazon, IMDb and Yelp. Held-out sets: ``cross_domain_<d>`` trains on the other two sources and
tests on all of ``<d>``; ``stratified_heldout`` tests on a seeded, stratified 20 %.

The shipped head was fitted on all 3000 sentences, so scoring these sets with it would measure
training accuracy. Instead the default scorer's recipe (MiniLM embedding + VADER features,
logistic regression, C by cross-validation inside the training part, decision at score 0) is
refitted without each test part, exactly as ``training/train_sentiment.py`` does. VADER has no
training; it is right when the sign of its compound score matches the label. Run:

    .venv/bin/python -m bench.sentiment_quality [--embeddings-cache DIR]

``run()`` returns rows ``{"metric", "dataset", "value", "method", "n"}`` with metric
``accuracy_default`` (method ``default``) or ``accuracy_vader`` (method ``vader``);
``bench/analysis_quality.py`` imports it. Embedding the 3000 sentences takes about a minute on
two cores.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["DATA_DIR", "run"]

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "training" / "data" / "sentiment"


def run(data_dir: Path = DATA_DIR, embeddings_cache: Path | None = None) -> list[dict]:
    """Accuracy of the default scorer's recipe and of VADER on each held-out set.

    Args:
        data_dir: folder with the three UCI files.
        embeddings_cache: optional directory for cached sentence vectors (an ``EmbeddingCache``).

    Returns:
        Two rows per held-out set (default, vader); values rounded to 4 decimals.
    """
    from nlp.embeddings import EmbeddingCache, default_embedder, embed_with_cache
    from nlp.sentiment.head import lexicon_features
    from nlp.sentiment.training import evaluate_splits, read_uci_sentences

    data = read_uci_sentences(data_dir)
    embedder = default_embedder()
    cache = EmbeddingCache(embeddings_cache, embedder.model_sha256) if embeddings_cache else None
    embeddings, _ = embed_with_cache(data.texts, embedder, cache)
    rows = []
    for result in evaluate_splits(data, embeddings, lexicon_features(data.texts)):
        dataset = f"uci_{result['split']}"
        for method in ("default", "vader"):
            rows.append(
                {
                    "metric": f"accuracy_{method}",
                    "dataset": dataset,
                    "value": result[f"accuracy_{method}"],
                    "method": method,
                    "n": result["n_test"],
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embeddings-cache", type=Path, default=None, help="directory for cached vectors")
    args = parser.parse_args(argv)
    rows = run(embeddings_cache=args.embeddings_cache)
    table: dict[str, dict] = {}
    for row in rows:
        table.setdefault(row["dataset"], {"n": row["n"]})[row["method"]] = row["value"]
    print(f"{'held-out set':<34}{'n':>6}{'default':>10}{'vader':>10}")
    for dataset, cells in table.items():
        print(f"{dataset:<34}{cells['n']:>6}{cells['default']:>10.4f}{cells['vader']:>10.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
