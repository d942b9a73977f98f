"""Recommendation quality: detection at balanced and realistic suggestion rates, and asks.

One run measures, side by side:

- Detection on the held-out 20 % of the training data (SemEval-2019 Task 9 forum sentences and
  the labelled UCI review sentences; the split of ``datasets.heldout_split``, never used to fit
  or to choose anything), per domain: with the classes reweighted 50/50 (``_balanced``), as
  drawn, and at suggestion rates of 5, 10, 15 and 50 % (``_rate05`` ...): each rate is reached
  by subsampling one class, 20 seeded draws, mean P/R/F1; each draw is a run, so a head that
  adapts its threshold to a run's estimated rate (``threshold_for``) does so per draw. 10 % is
  the headline: it is the rate of suggestions in forum threads and long transcripts.
- Detection on the labelled SemEval trial sets A (forum) and B (hotel reviews), as drawn (half
  suggestions), balanced and at the same rates: a second forum and a hotel domain at realistic
  rates, measured only (the trial sets choose nothing).
- Grouping of recommendations into asks, and joining undetected requests to them
  (``bench.ask_grouping``): pairwise precision and recall of "same ask" on the hand-labelled
  items of ``bench/data/ask_groups.tsv``.

Methods: ``pipeline`` (the shipped detector: the head, its candidates re-scored by the
fine-tuned model in a run the head estimates rare, the head alone otherwise), ``head`` (the
logistic head alone, as shipped on 2026-12-02: ``bench/data/recommendation_head_2026-12-02.json``),
``tuned`` (the re-scoring in every run, no rate rule), ``previous`` (the first head,
``bench/data/recommendation_head_2026-11-24.json``, at its own threshold) and ``keyword`` (a
keyword list); the grouping's methods are ``bench.ask_grouping``'s. The SemEval test sets are not read.

    .venv/bin/python -m bench.recommendation_quality [--backend onnx-fp32] [--asks-only]

The head is trained on fp32 vectors, which runs also embed with by default; ``--backend onnx-int8`` measures it on int8 vectors.

``run()`` returns rows ``{"metric", "dataset", "value", "method"}``; ``(metric, dataset)`` is
unique: ``previous`` metrics carry the prefix ``previous_``, keyword ones ``keyword_baseline_``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bench.ask_grouping import ASK_PREFIX, ask_rows, ask_table

__all__ = ["KEYWORD_PATTERN", "RATES", "keyword_baseline", "rate_draws", "run"]

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO.parent / "shared" / "data" / "semeval2019-task9"
TRAINING_FILE = "V1.4_Training.csv"
REVIEWS = REPO / "training" / "data" / "suggestions" / "uci_reviews_suggestions.tsv"
PREVIOUS_HEAD = REPO / "bench" / "data" / "recommendation_head_2026-11-24.json"
# The logistic head alone, as shipped before the fine-tuned model re-scored its candidates.
HEAD_ALONE = REPO / "bench" / "data" / "recommendation_head_2026-12-02.json"
CACHE = REPO / "data" / "interim" / "embeddings"
TRIAL_SETS = {
    "semeval_trial_a_forum": "SubtaskA_Trial_Test_Labeled.csv",
    "semeval_trial_b_hotels": "SubtaskB_Trial_Test_Labeled.csv",
}
RATES = (0.05, 0.10, 0.15)
BACKENDS = ("onnx-fp32", "onnx-int8")
N_DRAWS = 20
DRAW_SEED = 14
PREFIX = {**ASK_PREFIX, "head": "head_", "tuned": "tuned_", "keyword": "keyword_baseline_"}

KEYWORD_PATTERN = re.compile(
    r"\b(suggest\w*|recommend\w*|should|ought to|must|need(s)? to|would like|would love|"
    r"would be (nice|good|great|better|helpful|useful)|it'd be nice|please|advise|make sure)\b",
    re.IGNORECASE,
)
"""The baseline: a sentence is a recommendation if it contains one of these words."""


def keyword_baseline(texts: Sequence[str]) -> list[bool]:
    """True for each text containing a recommendation keyword (``KEYWORD_PATTERN``)."""
    return [KEYWORD_PATTERN.search(text) is not None for text in texts]


def _prf(gold: np.ndarray, predicted: np.ndarray, weights: np.ndarray | None = None) -> dict[str, float]:
    w = np.ones(len(gold)) if weights is None else weights
    tp = float(w[gold & predicted].sum())
    fp = float(w[~gold & predicted].sum())
    fn = float(w[gold & ~predicted].sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def rate_draws(gold: np.ndarray, rate: float, n_draws: int = N_DRAWS, seed: int = DRAW_SEED) -> list[np.ndarray]:
    """Index sets in which ``rate`` of the items are positive, each a seeded subsample.

    The class in excess is subsampled and the other kept whole, so each draw is as large as
    the rate allows.
    """
    pos, neg = np.flatnonzero(gold), np.flatnonzero(~gold)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_draws):
        if len(pos) / (len(pos) + len(neg)) > rate:
            keep = rng.choice(pos, size=round(rate / (1 - rate) * len(neg)), replace=False)
            draws.append(np.sort(np.concatenate([keep, neg])))
        else:
            keep = rng.choice(neg, size=round((1 - rate) / rate * len(pos)), replace=False)
            draws.append(np.sort(np.concatenate([pos, keep])))
    return draws


def _detection_rows(dataset: str, gold: np.ndarray, predictions: dict[str, Callable], rates: bool) -> list[dict]:
    rows = []

    def add(name: str, method: str, scores: dict[str, float]) -> None:
        for metric, value in scores.items():
            rows.append({"metric": PREFIX[method] + metric, "dataset": name, "value": round(value, 4), "method": method})

    for method, decide in predictions.items():
        predicted = decide(np.arange(len(gold)))
        add(dataset, method, _prf(gold, predicted))
        if not rates:
            continue
        balanced = np.where(gold, 0.5 / gold.sum(), 0.5 / (~gold).sum())
        add(f"{dataset}_balanced", method, _prf(gold, predicted, balanced))
        for rate in (*RATES, 0.5):
            # Each draw is one run: the head picks its threshold from that run's scores alone.
            draws = [_prf(gold[d], decide(d)) for d in rate_draws(gold, rate)]
            add(f"{dataset}_rate{round(rate * 100):02d}", method, {k: float(np.mean([s[k] for s in draws])) for k in draws[0]})
    return rows


def _embedder(backend: str = "onnx-fp32"):
    """The bundled model on ``backend`` (``onnx-fp32``: what runs use by default and the vectors
    the head was trained on; ``onnx-int8``: the faster variant), cached on disk so reruns skip the work."""
    from nlp.embeddings import CachedEmbedder, EmbeddingCache
    from nlp.embeddings_onnx import onnx_embedder

    if backend not in BACKENDS:
        raise ValueError(f"backend {backend!r} is not one of {BACKENDS}")
    embedder = onnx_embedder(quantize=backend == "onnx-int8")
    return CachedEmbedder(embedder, EmbeddingCache(CACHE, embedder.model_sha256))


def _detect(texts: Sequence[str], vectors: np.ndarray, heads: dict) -> dict[str, Callable]:
    """Per method, a function from the indices of one sample (a run) to its decisions.

    A head decides on the sample's own scores as the pipeline does per run (``run_confidence``:
    the head alone at ``threshold_for``, or the tuned model if the head estimates the run rare).
    """
    from nlp.recommendations import predict_proba, run_confidence

    out: dict[str, Callable] = {}
    for method, head in heads.items():
        alone = np.asarray(predict_proba(texts, embeddings=vectors, head=head.alone()))
        both = {None: alone}
        if head.tuned is not None:
            both[head.tuned] = np.asarray(predict_proba(texts, embeddings=vectors, head=head))

        def decide(idx, h=head, p=both):
            proba, threshold = run_confidence(h, lambda g: p[g.tuned][idx])
            return np.asarray(proba) >= threshold

        out[method] = decide
    keyword = np.asarray(keyword_baseline(texts))
    out["keyword"] = lambda idx: keyword[idx]
    return out


def _cost_rows(texts: Sequence[str], vectors: np.ndarray, heads: dict) -> list[dict]:
    """CPU seconds per 1,000 texts of scoring them as a run where suggestions are rare (the head
    alone, then the tuned model's re-scoring when there is one: ``run_confidence``; vectors given,
    as in a run) per head, and the share of texts the fine-tuned model re-scores. The first call
    of each head loads its files and is not counted."""
    import time

    from nlp.recommendations import predict_proba

    rows = []
    for method, head in heads.items():
        predict_proba(texts[:2], embeddings=vectors[:2], head=head)  # load, untimed
        started = time.process_time()
        for h in [head.alone()] + ([head] if head.tuned is not None else []):  # a rare run scores both
            predict_proba(texts, embeddings=vectors, head=h)
        cpu = time.process_time() - started
        rescored = 0.0
        if head.tuned is not None:
            from nlp.recommendations.classifier import word_counts
            from nlp.recommendations.rules import cue_matrix

            base = head.proba(vectors, cue_matrix(texts), word_counts(texts))
            rescored = float(np.mean(base >= head.tuned.bar))
        for metric, value in (("cpu_s_per_1k", cpu / len(texts) * 1000), ("share_rescored", rescored)):
            rows.append({"metric": PREFIX[method] + metric, "dataset": "forum_heldout_cost",
                         "value": round(value, 4), "method": method})
    return rows


def _f1_at_rate(gold: np.ndarray, predicted: np.ndarray, rate: float) -> float:
    """F1 if ``rate`` of the items were positive, from the TPR and FPR of ``predicted``."""
    tpr, fpr = float(predicted[gold].mean()), float(predicted[~gold].mean())
    precision = rate * tpr / (rate * tpr + (1 - rate) * fpr) if tpr + fpr else 0.0
    return 2 * precision * tpr / (precision + tpr) if precision + tpr else 0.0


def _gain_rows(dataset: str, texts: Sequence[str], vectors: np.ndarray, gold: np.ndarray, heads: dict) -> list[dict]:
    """Paired bootstrap of the ``pipeline`` head's F1 gain over the ``head`` at a 10 % suggestion rate.

    Each text is decided as in a run where suggestions are rare (``rare_threshold``, which both
    heads use at 10 %; the bench's draws show the rule never switched there), F1 at 10 % comes
    from the TPR and FPR, and the texts are resampled with both decisions kept together
    (``scipy.stats.bootstrap``, percentile interval, 2,000 resamples, seed 0).
    """
    from scipy.stats import bootstrap

    from nlp.recommendations import predict_proba

    new, old = (np.asarray(predict_proba(texts, embeddings=vectors, head=heads[m])) >= heads[m].rare_threshold
                for m in ("pipeline", "head"))

    def gain(g, a, b):
        g = g.astype(bool)
        return _f1_at_rate(g, a.astype(bool), 0.10) - _f1_at_rate(g, b.astype(bool), 0.10)

    res = bootstrap((gold, new, old), gain, paired=True, vectorized=False, n_resamples=2000,
                    method="percentile", random_state=0)
    values = {"f1_gain": gain(gold, new, old), "f1_gain_low": res.confidence_interval.low,
              "f1_gain_high": res.confidence_interval.high}
    return [{"metric": k, "dataset": f"{dataset}_rate10_gain", "value": round(float(v), 4), "method": "pipeline"}
            for k, v in values.items()]


def run(data_dir: Path = DATA_DIR, backend: str = "onnx-fp32") -> list[dict]:
    """Detection P/R/F1 (held-out split at several rates, trial sets) and ask grouping scores.

    Returns:
        Rows ``{"metric", "dataset", "value", "method"}``, values rounded to 4 decimals.
    """
    from nlp.recommendations import RecommendationHead, default_head
    from nlp.recommendations.datasets import heldout_split, read_labelled_tsv, read_semeval

    heads = {"pipeline": default_head(), "head": RecommendationHead.from_json(HEAD_ALONE),
             # The tuned model in every run, however dense its suggestions (no rate rule).
             "tuned": dataclasses.replace(default_head(), adapt_above=float("inf")),
             "previous": RecommendationHead.from_json(PREVIOUS_HEAD)}
    embedder = _embedder(backend)
    forum, reviews = read_semeval(Path(data_dir) / TRAINING_FILE), read_labelled_tsv(REVIEWS)
    texts = list(forum.texts) + list(reviews.texts)
    gold = np.asarray(forum.labels + reviews.labels, dtype=bool)
    domains = np.asarray(["forum"] * len(forum) + ["reviews"] * len(reviews))
    _, held = heldout_split(gold, domains)
    rows: list[dict] = []
    for domain, dataset in (("forum", "forum_heldout"), ("reviews", "reviews_heldout")):
        idx = held[domains[held] == domain]
        subset = [texts[i] for i in idx]
        rows += _detection_rows(dataset, gold[idx], _detect(subset, embedder.embed(subset), heads), rates=True)
        if domain == "forum":
            rows += _cost_rows(subset, embedder.embed(subset), {m: heads[m] for m in ("pipeline", "head")})
            rows += _gain_rows(dataset, subset, embedder.embed(subset), gold[idx], heads)
    for dataset, file_name in TRIAL_SETS.items():
        corpus = read_semeval(Path(data_dir) / file_name)
        predictions = _detect(corpus.texts, embedder.embed(list(corpus.texts)), heads)
        rows += _detection_rows(dataset, np.asarray(corpus.labels, dtype=bool), predictions, rates=True)
    return rows + ask_rows(embedder)


def _table(rows: list[dict]) -> str:
    detection = [r for r in rows
                 if not r["dataset"].startswith("ask_groups") and not r["dataset"].endswith(("_cost", "_gain"))]
    datasets = list(dict.fromkeys(r["dataset"] for r in detection))
    methods = ["pipeline", "head", "tuned", "previous", "keyword"]
    value = {(r["dataset"], r["method"], r["metric"].removeprefix(PREFIX[r["method"]])): r["value"] for r in rows}
    header = f"{'dataset':<30}" + "".join(f"{m[:8] + ' ' + k:>12}" for m in methods for k in ("P", "R", "F1"))
    lines = [header, "-" * len(header)]
    for dataset in datasets:
        cells = []
        for method in methods:
            for metric in ("precision", "recall", "f1"):
                v = value.get((dataset, method, metric))
                cells.append(f"{'' if v is None else f'{v:.3f}':>12}")
        lines.append(f"{dataset:<30}" + "".join(cells))
    for method in ("pipeline", "head"):
        cost = value.get(("forum_heldout_cost", method, "cpu_s_per_1k"))
        if cost is not None:
            share = value[("forum_heldout_cost", method, "share_rescored")]
            lines.append(f"cost {method:<25} {cost:.3f} CPU s per 1k texts (vectors given), {share:.1%} re-scored")
    gain = value.get(("forum_heldout_rate10_gain", "pipeline", "f1_gain"))
    if gain is not None:
        low, high = (value[("forum_heldout_rate10_gain", "pipeline", k)] for k in ("f1_gain_low", "f1_gain_high"))
        lines.append(f"forum_heldout @10 % F1 gain, pipeline over head: {gain:+.3f} "
                     f"(paired bootstrap 95 % interval {low:+.3f} to {high:+.3f})")
    return "\n".join([*lines, "", ask_table(rows)])


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=BACKENDS, default="onnx-fp32",
                        help="vectors to measure on: the runs' default and the head's training vectors (fp32), or int8")
    parser.add_argument("--asks-only", action="store_true", help="only the grouping rows (seconds, not minutes)")
    args = parser.parse_args()
    if args.asks_only:
        print(_table(ask_rows(_embedder(args.backend))))
    else:
        print(_table(run(backend=args.backend)))
