"""Coding learned from a human coding, against the same human on answers it never saw.

The setting: half of the answers are coded by a person, the other half are to be coded; the
score is the mean per-code Cohen's kappa against that person on the second half. The coded half
is all any method sees (its thresholds, its cross-validation); the held-out half is only scored.
Three methods side by side, on the same codes (those with at least ``MIN_EXAMPLES`` examples in
the coded half):

- ``names-only``: a codebook that holds only the code names; a text gets a code when its
  cosine to the name reaches the cut that maximises kappa on the coded half;
- ``plain LR``: a logistic regression per code on the sentence embeddings, scikit-learn's
  defaults (threshold 0.5);
- ``learned``: ``nlp.learn_codes`` (embeddings, examples and name as a prior, per-code
  thresholds by cross-validation).

Two data sets, so the result is not tuned to one: the why-art answers coded with free-form
codes (``../shared/data/why-art-coded``, 174 answers) and Banking77's test split (3,080 customer
messages, 77 intents, one per message; intents as codes, underscores read as spaces). Each
is split at random into halves, several times, and the kappas averaged over the splits.

    nice -n 10 .venv/bin/python -m bench.learned_coding [--splits 5] [--embeddings-cache DIR]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

# Two cores are shared by many processes: one BLAS thread each keeps the closed-form solves
# from fighting over them. Set before numpy loads.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["load_banking77", "load_why_art", "run"]

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
METHODS = ("names-only", "plain LR", "learned")


def load_why_art(path: Path = DATA / "why-art-coded" / "coded_answers.csv") -> tuple[list[str], list[set[str]]]:
    """Answers (``why_art``) and their human codes (``human_codes``, ``;``-separated), cp1252."""
    frame = pd.read_csv(path, encoding="cp1252")
    texts = frame["why_art"].fillna("").astype(str).tolist()
    codes = [{c.strip() for c in str(v).split(";") if c.strip()} if isinstance(v, str) else set() for v in frame["human_codes"]]
    return texts, codes


def load_banking77(path: Path = DATA / "banking77" / "test.csv") -> tuple[list[str], list[set[str]]]:
    """Messages (``text``) with their intent (``category``) as their one code."""
    frame = pd.read_csv(path)
    return frame["text"].astype(str).tolist(), [{c} for c in frame["category"]]


def _kappa(y: np.ndarray, predicted: np.ndarray) -> float:
    from sklearn.metrics import cohen_kappa_score

    if len(set(y.tolist()) | set(predicted.tolist())) < 2:
        return 0.0  # a held-out half without the code, predicted without it: no evidence either way
    return float(cohen_kappa_score(y, predicted))


def _one_split(texts, codes, vectors, name_vectors, all_codes, seed: int, min_examples: int) -> dict[str, list[float]]:
    from sklearn.linear_model import LogisticRegression

    from nlp.learn_codes import CodePrior, _best_threshold, learn_codes

    order = np.random.default_rng(seed).permutation(len(texts))
    coded, held = order[: len(texts) // 2], order[len(texts) // 2 :]
    labels = np.array([[c in cs for c in all_codes] for cs in codes], dtype=bool)
    counts = labels[coded].sum(0)
    chosen = [j for j in range(len(all_codes)) if counts[j] >= min_examples]
    priors = [CodePrior.from_name(all_codes[j]) for j in chosen]
    learned = learn_codes(
        vectors[coded], [texts[i] for i in coded], labels[np.ix_(coded, chosen)], priors,
        [name_vectors[j : j + 1] for j in chosen], vectors[held], [texts[i] for i in held],
        min_examples=min_examples, seed=seed,
    )
    by_name = {c.code: k for k, c in enumerate(learned.codes)}
    scores: dict[str, list[float]] = {m: [] for m in METHODS}
    for j in chosen:
        y_coded, y_held = labels[coded, j], labels[held, j]
        cosine = vectors @ name_vectors[j]
        cut = _best_threshold(y_coded, cosine[coded])
        scores["names-only"].append(_kappa(y_held, cosine[held] >= cut))
        plain = LogisticRegression(max_iter=1000).fit(vectors[coded], y_coded)
        scores["plain LR"].append(_kappa(y_held, plain.predict(vectors[held]).astype(bool)))
        k = by_name.get(all_codes[j])
        scores["learned"].append(_kappa(y_held, learned.assigned[:, k]) if k is not None else 0.0)
    return scores


def run(splits: int = 5, embeddings_cache: Path | None = None, min_examples: int | None = None) -> list[dict]:
    """Mean per-code kappa on the held-out half for each method and data set.

    Returns:
        Rows ``{"dataset", "method", "mean_kappa", "n_codes", "splits"}``; ``n_codes`` is the
        mean number of codes scored per split.
    """
    from nlp.embeddings import EmbeddingCache, default_embedder, embed_with_cache
    from nlp.learn_codes import MIN_EXAMPLES

    min_examples = MIN_EXAMPLES if min_examples is None else min_examples
    embedder = default_embedder()
    cache = EmbeddingCache(embeddings_cache, embedder.model_sha256) if embeddings_cache else None
    rows = []
    for dataset, loader in (("why-art (human_codes)", load_why_art), ("banking77 test", load_banking77)):
        texts, codes = loader()
        all_codes = sorted(set().union(*codes))
        names = [c.replace("_", " ") for c in all_codes]
        vectors, _ = embed_with_cache(texts, embedder, cache)
        name_vectors, _ = embed_with_cache(names, embedder, cache)
        pooled: dict[str, list[float]] = {m: [] for m in METHODS}
        n_codes = []
        for seed in range(splits):
            scores = _one_split(texts, codes, vectors, name_vectors, all_codes, seed, min_examples)
            n_codes.append(len(scores["learned"]))
            for method in METHODS:
                pooled[method].append(float(np.mean(scores[method])) if scores[method] else float("nan"))
        for method in METHODS:
            rows.append({"dataset": dataset, "method": method, "mean_kappa": round(float(np.nanmean(pooled[method])), 4),
                         "n_codes": round(float(np.mean(n_codes)), 1), "splits": splits})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=5, help="random halvings per data set")
    parser.add_argument("--embeddings-cache", type=Path, default=None, help="directory for cached vectors")
    args = parser.parse_args(argv)
    rows = run(args.splits, args.embeddings_cache)
    print(f"{'data set':<24}{'codes':>7}" + "".join(f"{m:>13}" for m in METHODS))
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        mine = {r["method"]: r for r in rows if r["dataset"] == dataset}
        print(f"{dataset:<24}{mine['learned']['n_codes']:>7}" + "".join(f"{mine[m]['mean_kappa']:>13.3f}" for m in METHODS))
    print("mean per-code Cohen's kappa on the held-out half; target for 'learned': >= 0.70")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
