"""Recommendation-detection quality on the SemEval-2019 Task 9 trial sets.

Trial A is a developer forum (the training domain), trial B hotel reviews (another domain).
Neither is used in training or threshold selection, so these are test scores. The pipeline
classifier is measured beside a keyword baseline in the same run:

    .venv/bin/python -m bench.recommendation_quality

``run()`` returns rows ``{"metric", "dataset", "value", "method"}``; ``bench/analysis_quality.py``
imports it. ``(metric, dataset)`` is unique on its own: baseline metrics carry the prefix
``keyword_baseline_``. The held-out training-split scores recorded when the head was trained are added as
datasets ``semeval_train_heldout`` (the forum, 25 % positive, as drawn), ``uci_reviews_heldout``
(reviews, 8 % positive) and their ``_balanced`` versions (classes reweighted 50/50).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

__all__ = ["KEYWORD_PATTERN", "keyword_baseline", "run"]

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO.parent / "shared" / "data" / "semeval2019-task9"
TRIAL_SETS = {
    "semeval_trial_a_forum": "SubtaskA_Trial_Test_Labeled.csv",
    "semeval_trial_b_hotels": "SubtaskB_Trial_Test_Labeled.csv",
}

KEYWORD_PATTERN = re.compile(
    r"\b(suggest\w*|recommend\w*|should|ought to|must|need(s)? to|would like|would love|"
    r"would be (nice|good|great|better|helpful|useful)|it'd be nice|please|advise|make sure)\b",
    re.IGNORECASE,
)
"""The baseline: a sentence is a recommendation if it contains one of these words."""


def keyword_baseline(texts: Sequence[str]) -> list[bool]:
    """True for each text containing a recommendation keyword (``KEYWORD_PATTERN``)."""
    return [KEYWORD_PATTERN.search(text) is not None for text in texts]


def _prf(gold: Sequence[bool], predicted: Sequence[bool]) -> dict[str, float]:
    tp = sum(g and p for g, p in zip(gold, predicted))
    fp = sum(p and not g for g, p in zip(gold, predicted))
    fn = sum(g and not p for g, p in zip(gold, predicted))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def run(data_dir: Path = DATA_DIR) -> list[dict]:
    """Precision, recall and F1 of the pipeline classifier and the keyword baseline.

    Returns:
        Rows ``{"metric", "dataset", "value", "method"}`` with method ``pipeline`` or ``keyword``
        (whose metric names start with ``keyword_baseline_``); values rounded to 4 decimals.
    """
    from nlp.recommendations import classify, default_head
    from nlp.recommendations.datasets import read_semeval

    rows: list[dict] = []
    for dataset, file_name in TRIAL_SETS.items():
        corpus = read_semeval(Path(data_dir) / file_name)
        for method, predicted in (
            ("pipeline", classify(corpus.texts)),
            ("keyword", keyword_baseline(corpus.texts)),
        ):
            prefix = "" if method == "pipeline" else "keyword_baseline_"
            for metric, value in _prf(corpus.labels, predicted).items():
                rows.append({"metric": prefix + metric, "dataset": dataset, "value": round(value, 4), "method": method})
    # Recorded at training time, so the run does not re-embed 1,700 sentences. "balanced" is the
    # same split with both classes weighted 50/50, the footing on which the threshold was chosen.
    heldout = default_head().metadata.get("heldout", {})
    for domain, prefix in (("forum", "semeval_train_heldout"), ("reviews", "uci_reviews_heldout")):
        for dataset, key in ((prefix, "as_is"), (f"{prefix}_balanced", "balanced")):
            for metric, value in heldout.get(domain, {}).get(key, {}).items():
                rows.append({"metric": metric, "dataset": dataset, "value": value, "method": "pipeline"})
    return rows


def _table(rows: list[dict]) -> str:
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    value = {(r["dataset"], r["method"], r["metric"].removeprefix("keyword_baseline_")): r["value"] for r in rows}
    header = f"{'dataset':<32}" + "".join(f"{m + ' ' + k:>14}" for m in methods for k in ("P", "R", "F1"))
    lines = [header, "-" * len(header)]
    for dataset in datasets:
        cells = []
        for method in methods:
            for metric in ("precision", "recall", "f1"):
                v = value.get((dataset, method, metric))
                cells.append(f"{'' if v is None else f'{v:.3f}':>14}")
        lines.append(f"{dataset:<32}" + "".join(cells))
    return "\n".join(lines)


if __name__ == "__main__":
    print(_table(run()))
