"""Topic quality against gold labels: the pipeline's topic stage beside BERTopic's defaults.

Both fit the same cached embeddings of 20 Newsgroups samples (500, 2,000 and 10,000 posts,
nested, seeded). Outliers count as one more cluster, as a user would see them.

    python -m bench.topics_quality [--sizes 500 2000 10000]

The first run embeds the posts (about 15 minutes on 2 cores); later runs read the cache in
data/interim/embeddings.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

from bench.newsgroups import sample_posts
from nlp.embeddings import CachedEmbedder, EmbeddingCache, default_embedder, embed_with_cache
from nlp.schemas import Quote
from nlp.topics import TopicConfig, fit_topics

CACHE = Path("data/interim/embeddings")


def _quotes(posts) -> list[Quote]:
    return [
        Quote(f"p{i}", "20news", p.label, "", f"p{i}", None, False, p.text, 0, len(p.text))
        for i, p in enumerate(posts)
    ]


def _default_bertopic(texts: list[str], vectors: np.ndarray, seed: int) -> np.ndarray:
    from bertopic import BERTopic
    from umap import UMAP

    # BERTopic's default UMAP, seeded so the comparison is repeatable.
    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    model = BERTopic(umap_model=umap, embedding_model=None, verbose=False)
    topics, _ = model.fit_transform(texts, embeddings=vectors)
    return np.asarray(topics)


def _scores(labels: list[str], assigned: np.ndarray, seconds: float) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {
        "nmi": normalized_mutual_info_score(labels, assigned),
        "ari": adjusted_rand_score(labels, assigned),
        "outliers": float(np.mean(assigned == -1)),
        "topics": len(set(assigned.tolist()) - {-1}),
        "fit_s": seconds,
    }


def run(sizes: tuple[int, ...] = (500, 2000, 10000), seed: int = 42) -> list[dict]:
    """Rows of {size, config, nmi, ari, outliers, topics, fit_s}."""
    posts = sample_posts(max(sizes), seed=0)
    embedder = default_embedder()
    cache = EmbeddingCache(CACHE, embedder.model_sha256)
    vectors_all, _ = embed_with_cache([p.text for p in posts], embedder, cache)
    rows = []
    for n in sizes:
        texts = [p.text for p in posts[:n]]
        labels = [p.label for p in posts[:n]]
        vectors = vectors_all[:n]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # UMAP's n_jobs notice, sklearn deprecations
            t = time.perf_counter()
            assigned = _default_bertopic(texts, vectors, seed)
            rows.append({"size": n, "config": "bertopic-default", **_scores(labels, assigned, time.perf_counter() - t)})
            t = time.perf_counter()
            fit = fit_topics(_quotes(posts[:n]), vectors, CachedEmbedder(embedder, cache), TopicConfig(seed=seed))
            rows.append(
                {"size": n, "config": "pipeline", **_scores(labels, np.asarray(fit.assignments), time.perf_counter() - t)}
            )
    return rows


def print_table(rows: list[dict]) -> None:
    print(f"{'size':>6} {'config':<17} {'NMI':>6} {'ARI':>6} {'outl.':>6} {'topics':>6} {'fit s':>7}")
    for r in rows:
        print(
            f"{r['size']:>6} {r['config']:<17} {r['nmi']:>6.3f} {r['ari']:>6.3f} "
            f"{r['outliers']:>6.1%} {r['topics']:>6d} {r['fit_s']:>7.1f}"
        )
    by_size: dict[int, dict[str, float]] = {}
    for r in rows:
        by_size.setdefault(r["size"], {})[r["config"]] = r["nmi"]
    for size, nmi in by_size.items():
        print(f"NMI ratio pipeline/default at {size}: {nmi['pipeline'] / nmi['bertopic-default']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description="Topic quality on 20 Newsgroups vs BERTopic defaults")
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 10000])
    args = parser.parse_args()
    print_table(run(tuple(args.sizes)))


if __name__ == "__main__":
    main()
