"""Recommendation grouping: do the asks the pipeline builds put together what belongs together?

Part of ``bench.recommendation_quality`` (its ``--asks-only`` rows), measured on
``bench/data/ask_groups.tsv`` (hand-labelled Polis proposals and seed recommendations, see
``bench/data/README.md``):

- Grouping of recommendations into asks: pairwise precision and recall of "same ask" on its
  development and test halves.
- Joining undetected requests to asks (``asks.JOIN_FLOOR``) on the same items: each item scored
  by the head and detected at its default threshold, as in a transcript where requests are
  rare; ``detected`` groups the detected items only (the rest stay alone), ``joining`` also lets
  the others join (``build_asks`` as the pipeline runs it).

Methods: ``pipeline`` (``group_asks`` as shipped), ``spans`` (the same without joining spans of
which one says all the other's words, ``asks.CONTAINED_FLOOR``), ``before`` (asks as grouped on 2026-12-02,
from the ask spans frozen in ``bench/data/ask_spans_2026-12-02.tsv``), ``previous`` (the previous
whole-sentence merge at cosine 0.85), ``detected`` and ``joining``.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

__all__ = ["ASK_METHODS", "ASK_PREFIX", "ask_rows", "ask_table", "pairwise_scores"]

REPO = Path(__file__).resolve().parents[1]
ASK_GROUPS = REPO / "bench" / "data" / "ask_groups.tsv"
# The ask spans of the labelled items as ``ask_core`` cut them on 2026-12-02, before its second
# round of rules (the code of commit 06db1d3 run over every labelled item): the "before" of the
# grouping rows, beside what the pipeline does now.
BEFORE_SPANS = REPO / "bench" / "data" / "ask_spans_2026-12-02.tsv"
BEFORE_THRESHOLD = 0.73
ASK_METHODS = ("pipeline", "spans", "before", "previous", "detected", "joining")
# Each method's metric prefix, so that ``(metric, dataset)`` is unique across methods.
ASK_PREFIX = {"pipeline": "", "spans": "spans_", "previous": "previous_", "before": "before_",
              "detected": "detected_", "joining": "joining_"}
PREVIOUS_MERGE = 0.85
"""Cosine of whole sentences at which the retired ``build_candidates`` merged two recommendations."""


def pairwise_scores(groups: Sequence[str], predicted: Sequence[int]) -> dict[str, float]:
    """Pairwise precision and recall of "same ask": pairs put together that belong together."""
    tp = fp = fn = 0
    for (g1, p1), (g2, p2) in itertools.combinations(zip(groups, predicted), 2):
        tp += g1 == g2 and p1 == p2
        fp += g1 != g2 and p1 == p2
        fn += g1 == g2 and p1 != p2
    return {"pairs_true": tp, "pairs_false": fp, "pairs_missed": fn}


def _joined_labels(items: list[dict], idx: list[int], full: np.ndarray, proba: np.ndarray, threshold: float,
                   embed: Callable, join: bool) -> list[int]:
    """Ask labels of ``items[idx]`` from ``build_asks``: items at ``proba >= threshold`` detected,
    the others alone unless ``join`` lets them join an ask; every item outside an ask alone."""
    from nlp.recommendations.asks import JOIN_FLOOR, build_asks
    from nlp.schemas import Quote

    quotes = [Quote(str(k), "ask_groups.tsv", items[i]["set"], "", items[i]["respondent"], None, True,
                    items[i]["text"], 0, len(items[i]["text"])) for k, i in enumerate(idx)]
    asks = build_asks(quotes, full[idx], list(proba[idx] >= threshold), proba[idx].tolist(), [0] * len(idx), embed,
                      join_floor=JOIN_FLOOR if join else None)
    labels = list(range(len(idx), 2 * len(idx)))  # each item alone ...
    for label, ask in enumerate(asks):
        for q in ask.quote_ids:
            labels[int(q)] = label  # ... unless it is in an ask
    return labels


def ask_rows(embedder) -> list[dict]:
    """Pairwise same-ask precision, recall and pairs joined per method on the dev and test halves."""
    from nlp.recommendations import default_head, predict_proba
    from nlp.recommendations.ask_core import ask_spans
    from nlp.recommendations.asks import group_asks
    from nlp.recommendations.span_words import content_words, negated
    from nlp.recommendations.verb_classes import comparable_spans

    with ASK_GROUPS.open(encoding="utf-8", newline="") as fh:
        items = list(csv.DictReader(fh, delimiter="\t"))
    with BEFORE_SPANS.open(encoding="utf-8", newline="") as fh:
        before_spans = {(r["set"], r["item"]): r["span"] for r in csv.DictReader(fh, delimiter="\t")}
    texts = [r["text"] for r in items]
    full = embedder.embed(texts)
    spans = ask_spans(texts)
    comparable = comparable_spans(spans)
    span = embedder.embed(comparable)
    words = [content_words(s) for s in comparable]
    neg = np.asarray([negated(s, t) for s, t in zip(spans, texts)], dtype=bool)
    before = embedder.embed([before_spans.get((r["set"], r["item"]), s) for r, s in zip(items, ask_spans(texts))])
    head = default_head()
    proba = np.asarray(predict_proba(texts, embeddings=full, head=head))
    rows = []
    for split in ("dev", "test"):
        totals = {m: {"pairs_true": 0, "pairs_false": 0, "pairs_missed": 0} for m in ASK_METHODS}
        for name in sorted({r["set"] for r in items if r["split"] == split}):
            idx = [i for i, r in enumerate(items) if r["set"] == name]
            labels = {
                "pipeline": _labels(group_asks(full[idx], span[idx], negative=neg[idx], words=[words[i] for i in idx]),
                                    len(idx)),
                "spans": _labels(group_asks(full[idx], span[idx], negative=neg[idx]), len(idx)),
                "before": _labels(group_asks(full[idx], before[idx], BEFORE_THRESHOLD), len(idx)),
                # The previous merge: whole sentences, complete linkage at cosine 0.85.
                "previous": _labels(_complete_linkage(full[idx], PREVIOUS_MERGE), len(idx)),
                "detected": _joined_labels(items, idx, full, proba, head.rare_threshold, embedder.embed, join=False),
                "joining": _joined_labels(items, idx, full, proba, head.rare_threshold, embedder.embed, join=True),
            }
            for method, predicted in labels.items():
                for k, v in pairwise_scores([items[i]["ask"] for i in idx], predicted).items():
                    totals[method][k] += v
        for method, t in totals.items():
            put = t["pairs_true"] + t["pairs_false"]
            scores = {
                "pairwise_precision": t["pairs_true"] / put if put else 1.0,
                "pairwise_recall": t["pairs_true"] / (t["pairs_true"] + t["pairs_missed"]),
                "pairs_joined": float(put),
            }
            for metric, value in scores.items():
                rows.append({"metric": ASK_PREFIX[method] + metric, "dataset": f"ask_groups_{split}",
                             "value": round(value, 4), "method": method})
    return rows


def _labels(groups: list[list[int]], n: int) -> list[int]:
    out = [0] * n
    for label, group in enumerate(groups):
        for i in group:
            out[i] = label
    return out


def _complete_linkage(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(vectors) < 2:
        return [[i] for i in range(len(vectors))]
    sims = vectors @ vectors.T
    distance = np.clip(1.0 - sims[np.triu_indices(len(vectors), k=1)], 0.0, 2.0)
    labels = fcluster(linkage(distance, "complete"), t=1.0 - threshold + 1e-9, criterion="distance")
    return [np.flatnonzero(labels == label).tolist() for label in np.unique(labels)]


def ask_table(rows: list[dict]) -> str:
    """The same-ask rows of ``rows`` as a table: precision, recall and pairs joined per method."""
    value = {(r["dataset"], r["method"], r["metric"].removeprefix(ASK_PREFIX[r["method"]])): r["value"]
             for r in rows if r["dataset"].startswith("ask_groups")}
    lines = [f"{'asks: same-ask pairs':<30}{'method':>10}{'precision':>11}{'recall':>9}{'joined':>8}"]
    for split in ("dev", "test"):
        for method in ASK_METHODS:
            get = lambda k: value.get((f"ask_groups_{split}", method, k))  # noqa: E731
            lines.append(f"{'ask_groups_' + split:<30}{method:>10}{get('pairwise_precision'):>11.3f}"
                         f"{get('pairwise_recall'):>9.3f}{get('pairs_joined'):>8.0f}")
    return "\n".join(lines)
