"""Sentiment and recommendation quality on held-out data, in one run.

Sentiment: accuracy of the default scorer (MiniLM head + VADER cues) beside plain VADER on the
UCI Sentiment Labelled Sentences, cross-domain (train on two sources, test on the third) and on
a stratified split. Recommendations: precision, recall and F1 on the SemEval-2019 Task 9 trial
sets A (forum) and B (hotel reviews) beside a keyword baseline.

    python -m bench.analysis_quality [--embeddings-cache DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import recommendation_quality, sentiment_quality

TARGETS = {"sentiment accuracy": 0.85, "recommendation F1 trial_a": 0.75, "recommendation F1 trial_b": 0.80}


def run(embeddings_cache: Path | None = None) -> list[dict]:
    """Rows ``{"benchmark", "dataset", "metric", "method", "value"}`` from both benchmarks."""
    rows = [
        {"benchmark": "sentiment", **r} for r in sentiment_quality.run(embeddings_cache=embeddings_cache)
    ]
    rows += [{"benchmark": "recommendations", **r} for r in recommendation_quality.run()]
    return rows


def _by_dataset(rows: list[dict], benchmark: str, key: str) -> dict[str, dict[str, float]]:
    """``benchmark``'s values as {dataset: {row[key]: value}}, in row order."""
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        if r["benchmark"] == benchmark:
            out.setdefault(r["dataset"], {})[r[key]] = r["value"]
    return out


def print_table(rows: list[dict]) -> None:
    print("Sentiment accuracy (target >= 0.85 on short review sentences)")
    print(f"  {'held-out set':<30}{'default':>9}{'VADER':>9}")
    for dataset, v in _by_dataset(rows, "sentiment", "method").items():
        print(f"  {dataset:<30}{v['default']:>9.3f}{v['vader']:>9.3f}")
    print("Recommendations on SemEval-2019 Task 9 (targets: F1 >= 0.75 on A, >= 0.83 on B, >= 0.70 forum at 10 %)")
    print(f"  {'dataset':<32}{'P':>7}{'R':>7}{'F1':>7}   keyword{'P':>4}{'R':>7}{'F1':>7}")
    for dataset, v in _by_dataset(rows, "recommendations", "metric").items():
        if "f1" not in v:  # the ask-grouping rows (pairwise precision/recall) have no F1
            continue
        kw = [v.get(f"keyword_baseline_{m}") for m in ("precision", "recall", "f1")]
        kw_cells = "".join(f"{x:>7.3f}" if x is not None else f"{'':>7}" for x in kw)
        print(f"  {dataset:<32}{v.get('precision', 0):>7.3f}{v.get('recall', 0):>7.3f}{v.get('f1', 0):>7.3f}   {'':>4}{kw_cells}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embeddings-cache", type=Path, default=None, help="directory for cached vectors")
    args = parser.parse_args(argv)
    print_table(run(args.embeddings_cache))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
