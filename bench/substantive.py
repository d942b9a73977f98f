"""Precision of ``is_substantive`` against hand labels, on real auto-transcripts.

Data: the eight interview transcripts in ``../shared/data/interviews-mlsys/`` (automatic
transcripts; ``Interview 2.txt`` is French). They are read at run time and never copied.

Labels: ``bench/data/substantive_labels.tsv`` holds one row per hand-labelled quote,
identified by ``source_file``, ``char_start`` and ``char_end`` only (no text of the
transcripts), with ``flag_when_labelled`` (the rule's verdict when the sample was drawn),
``stratum_size`` (English quotes with that verdict then) and ``label`` (1: says something about the subject of the study, 0: backchannel, greeting,
filler, meta-talk or a fragment that says nothing on its own). The sample was drawn with
``--sample`` (seed 12): 150 English quotes the rule flags non-substantive and 150 it keeps,
labelled by reading each quote alone, as a coder would see it in a theme. Run:

    .venv/bin/python -m bench.substantive            # the figures
    .venv/bin/python -m bench.substantive --sample   # print a fresh sample to label

Figures: precision of each flag and recall of the non-substantive flag, estimated from the
labels still matched by a current quote with each sampling stratum weighted by its size in
the corpus (so they stay unbiased when the rule changes after labelling), and the share of
quotes of five words or fewer among all quotes and among the analysable ones (substantive and
English). Printed twice: for the rules alone, and for the rules then the model of the run's own
filler (``nlp.filler_model``, on the bundled model's vectors, embedding cache ``data/interim``),
which is what a run writes. ``run()`` returns both as dicts.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from collections import Counter
from pathlib import Path

__all__ = ["DATA_DIR", "LABELS", "load_quotes", "run"]

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO.parent / "shared" / "data" / "interviews-mlsys"
LABELS = REPO / "bench" / "data" / "substantive_labels.tsv"
_WORD_RE = re.compile(r"\w+")


def load_quotes(data_dir: Path = DATA_DIR):
    """The transcripts' quotes, annotated with ``is_substantive`` and ``language`` by the rules."""
    from nlp.analysable import annotate_quotes
    from nlp.ingest import ingest_dir
    from nlp.quotes import split_quotes

    result = ingest_dir(data_dir)
    return annotate_quotes(split_quotes(result.documents), result.documents)


def with_filler_model(quotes, cache_dir: Path = REPO / "data" / "interim"):
    """``quotes`` after the pipeline's model of the rules' filler (``nlp.filler_model``) read them."""
    from nlp.config import PipelineConfig
    from nlp.filler_model import read_filler
    from nlp.loaded import load_models

    config = PipelineConfig(cache_dir=cache_dir)
    vectors = load_models(config).embedder.embed([q.text for q in quotes])  # through the run's cache
    return read_filler(quotes, vectors, config.filler_examples)[0]


def _short_share(quotes) -> float:
    return sum(len(_WORD_RE.findall(q.text)) <= 5 for q in quotes) / max(len(quotes), 1)


def run(data_dir: Path = DATA_DIR, labels_path: Path = LABELS) -> dict:
    """``figures`` of the rules alone (``rules``) and of the rules plus the filler model (``pipeline``).

    Raises:
        FileNotFoundError: If the transcripts or the labels are missing.
    """
    if not data_dir.is_dir():
        raise FileNotFoundError(f"{data_dir}: transcripts not found (../shared is needed)")
    rules = load_quotes(data_dir)
    return {"rules": figures(rules, labels_path), "pipeline": figures(with_filler_model(rules), labels_path)}


def figures(quotes, labels_path: Path = LABELS) -> dict:
    """Precision of both flags, estimated recall, and short-quote shares of annotated ``quotes``."""
    from nlp.analysable import analysable

    by_span = {(q.source_file, q.char_start, q.char_end): q for q in quotes}
    with labels_path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    sampled = Counter(r["flag_when_labelled"] for r in rows)
    # Each labelled quote stands for stratum_size / (labels in its stratum) quotes of the
    # corpus, so the figures stay unbiased estimates when the rule changes after labelling.
    weighted = [
        (by_span[key].is_substantive, int(r["label"]),
         int(r["stratum_size"]) / sampled[r["flag_when_labelled"]])
        for r in rows
        if (key := (r["source_file"], int(r["char_start"]), int(r["char_end"]))) in by_span
    ]
    cells: Counter[tuple[bool, int]] = Counter()
    for flag, label, weight in weighted:
        cells[(flag, label)] += weight
    kept_ok, kept_bad = cells[(True, 1)], cells[(True, 0)]
    dropped_ok, dropped_bad = cells[(False, 0)], cells[(False, 1)]
    english = [q for q in quotes if q.language == "en"]
    n_flagged = sum(not q.is_substantive for q in english)
    ok = analysable(quotes)
    return {
        "quotes": len(quotes),
        "english_quotes": len(english),
        "flagged_non_substantive": n_flagged,
        "share_flagged": n_flagged / max(len(english), 1),
        "labels": len(rows),
        "labels_matched": len(weighted),
        "n_non_substantive_labelled": sum(not f for f, _, _ in weighted),
        "n_substantive_labelled": sum(f for f, _, _ in weighted),
        "precision_non_substantive": _ratio(dropped_ok, dropped_ok + dropped_bad),
        "precision_substantive": _ratio(kept_ok, kept_ok + kept_bad),
        "recall_non_substantive": _ratio(dropped_ok, dropped_ok + kept_bad),
        "short_share_all": _short_share(quotes),
        "short_share_analysable": _short_share([q for q, keep in zip(quotes, ok) if keep]),
        "analysable": sum(ok),
    }


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def sample(data_dir: Path = DATA_DIR, n: int = 150, seed: int = 12) -> list:
    """A seeded sample of ``n`` English quotes per flag, for labelling."""
    quotes = [q for q in load_quotes(data_dir) if q.language == "en"]
    rng = random.Random(seed)
    out = []
    for flag in (False, True):
        pool = [q for q in quotes if q.is_substantive is flag]
        out.extend(rng.sample(pool, min(n, len(pool))))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--sample", action="store_true", help="print a sample to label")
    args = parser.parse_args(argv)
    if args.sample:
        for q in sample(args.data_dir):
            text = " ".join(q.text.split())
            print(f"{q.source_file}\t{q.char_start}\t{q.char_end}\t{int(q.is_substantive)}\t{text}")
        return 0
    if not args.data_dir.is_dir():
        print(f"skipped: {args.data_dir} not found (../shared is needed)", file=sys.stderr)
        return 0
    for name, r in run(args.data_dir, args.labels).items():
        print(f"== {name}" + (" (rules, then the model of their filler)" if name == "pipeline" else ""))
        print(f"quotes: {r['quotes']} ({r['english_quotes']} English, {r['analysable']} analysable)")
        print(f"flagged non-substantive: {r['flagged_non_substantive']} "
              f"({r['share_flagged']:.1%} of English quotes)")
        print(f"hand labels matched: {r['labels_matched']} of {r['labels']}")
        print(f"precision, non-substantive flag: {r['precision_non_substantive']:.3f} "
              f"(n={r['n_non_substantive_labelled']})")
        print(f"precision, substantive flag:     {r['precision_substantive']:.3f} "
              f"(n={r['n_substantive_labelled']})")
        print(f"recall, non-substantive flag:    {r['recall_non_substantive']:.3f}")
        print(f"quotes of <= 5 words: {r['short_share_all']:.1%} of all, "
              f"{r['short_share_analysable']:.1%} of analysable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
