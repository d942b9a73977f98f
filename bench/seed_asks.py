"""Seed asks: does each request that several of the seed's responses make end up as one ask?

Scores a run's ``recommendations.parquet`` against ``bench/data/seed_asks.tsv``, every request
two or more of the seed's answer cells make, labelled by hand before any grouping was tuned on
it (``bench/data/README.md``). Per request: the asks its quotes are in, and whether its ``clear``
quotes from two or more cells share one ask with support >= 2 (issue 14's seed target). Wrong
merges: an ask holding quotes of two different requests; and, listed for reading, asks of
support >= 2 with no labelled quote (every shared request is labelled, so each is either a
request the labels missed or a wrong merge).

    .venv/bin/python -m bench.seed_asks [--processed DIR]

Without ``--processed`` it runs the pipeline on a copy of the seed in a temporary folder
(about a minute, embedding cache under ``data/interim``).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["FIXTURE", "SeedAsks", "score_seed_asks"]

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "bench" / "data" / "seed_asks.tsv"
SEED = REPO / "data" / "raw" / "interview_summary.txt"


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("“", '"').replace("”", '"').split())


@dataclass
class SeedAsks:
    """How a run's asks cover the labelled seed requests.

    Attributes:
        consolidated: requests whose clear quotes from two or more cells share an ask of
            support >= 2.
        missed: the other requests with clear quotes from two or more cells.
        wrong_merges: asks holding quotes of two or more requests, as (ask name, requests).
        unlabelled_shared: names of asks of support >= 2 without a labelled quote.
        where: per request, the asks (name, support) its quotes are in, and its quotes in none.
    """

    consolidated: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    wrong_merges: list[tuple[str, list[str]]] = field(default_factory=list)
    unlabelled_shared: list[str] = field(default_factory=list)
    where: dict[str, list[str]] = field(default_factory=dict)


def score_seed_asks(processed: Path, fixture: Path = FIXTURE) -> SeedAsks:
    """Score the run in ``processed`` (its quotes and recommendations parquet) against ``fixture``."""
    quotes = pd.read_parquet(Path(processed) / "quotes.parquet")
    recs = pd.read_parquet(Path(processed) / "recommendations.parquet")
    with Path(fixture).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    texts = quotes["text"].map(_norm)
    ask_of = {qid: k for k, ids in enumerate(recs["quote_ids"]) for qid in ids}
    label_of: dict[str, str] = {}
    clear: dict[str, dict[str, set[int]]] = defaultdict(dict)  # request -> cell -> asks
    out = SeedAsks()
    for row in rows:
        hits = quotes.loc[texts.str.contains(_norm(row["text"]), regex=False), "quote_id"].tolist()
        if not hits:
            raise ValueError(f"no quote holds the fixture text {row['text']!r} (line {row['line']})")
        for qid in hits:
            label_of[qid] = row["request"]
            k = ask_of.get(qid)
            out.where.setdefault(row["request"], []).append(
                f"l.{row['line']}: " + ("none" if k is None else f"{recs['name'].iat[k]!r} ({recs['support'].iat[k]})")
            )
            if row["grade"] == "clear":
                clear[row["request"]].setdefault(row["cell"], set()).add(-1 if k is None else k)
    for request, cells in clear.items():
        if len(cells) < 2:
            continue
        # One ask holding a clear quote from at least two cells, with support >= 2.
        counts: dict[int, int] = defaultdict(int)
        for asks in cells.values():
            for k in asks - {-1}:
                counts[k] += 1
        ok = any(n >= 2 and recs["support"].iat[k] >= 2 for k, n in counts.items())
        (out.consolidated if ok else out.missed).append(request)
    for k, ids in enumerate(recs["quote_ids"]):
        requests = sorted({label_of[q] for q in ids if q in label_of})
        if len(requests) > 1:
            out.wrong_merges.append((recs["name"].iat[k], requests))
        elif not requests and recs["support"].iat[k] >= 2:
            out.unlabelled_shared.append(recs["name"].iat[k])
    return out


def _run_seed(root: Path) -> Path:
    import shutil

    from nlp.config import PipelineConfig
    from nlp.run import run_pipeline

    raw = root / "raw"
    raw.mkdir()
    shutil.copy(SEED, raw / SEED.name)
    run_pipeline(PipelineConfig(raw_dir=raw, out_dir=root / "processed", cache_dir=REPO / "data" / "interim"))
    return root / "processed"


if __name__ == "__main__":
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processed", type=Path, help="score this run's outputs instead of running the seed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = score_seed_asks(args.processed or _run_seed(Path(tmp)))
    n = len(result.consolidated) + len(result.missed)
    print(f"requests of >= 2 cells consolidated: {len(result.consolidated)}/{n} {result.consolidated}")
    print(f"missed: {result.missed}")
    print(f"asks joining two requests: {len(result.wrong_merges)} {result.wrong_merges}")
    print(f"asks of support >= 2 with no labelled quote: {len(result.unlabelled_shared)} {result.unlabelled_shared}")
    for request, where in result.where.items():
        print(f"  {request}: " + "; ".join(where))
