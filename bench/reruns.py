"""Incremental reruns, measured side by side in one process (no Prefect start-up).

Corpus: the seed interview summary plus whole Polis consultation exports (survey CSVs). Then:
a cold run (empty cache, no previous outputs), a rerun with nothing new, and a rerun after one
new file arrives. Prints times, quotes embedded, and how many old quotes kept their topic id.

    python -m bench.reruns
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from nlp.config import PipelineConfig
from nlp.run import run_pipeline

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = Path(__file__).resolve().parents[1] / "data" / "raw" / "interview_summary.txt"
CORPUS = [
    "scoop-hivemind.freshwater.comments.csv",
    "scoop-hivemind.ubi.comments.csv",
    "15-per-hour-seattle.comments.csv",
    "brexit-consensus.comments.csv",
]
NEW_FILE = "london.youth.policing.comments.csv"


def _warm_up_jit() -> None:
    """Compile UMAP's numba kernels once, so the cold run measures pipeline work, not JIT."""
    import warnings

    from nlp.topics import import_bertopic

    import_bertopic()
    from umap import UMAP

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        UMAP(n_neighbors=5, n_components=2, random_state=0).fit_transform(
            np.random.default_rng(0).normal(size=(60, 8))
        )


def _timed(config: PipelineConfig) -> tuple[float, dict]:
    t = time.perf_counter()
    summary = run_pipeline(config)
    return time.perf_counter() - t, summary.counts


def run() -> list[dict]:
    """Rows of {step, seconds, quotes_embedded, ratio_to_cold, kept_topic_id}."""
    _warm_up_jit()
    work = Path(tempfile.mkdtemp(prefix="bench-reruns-"))
    try:
        raw = work / "raw"
        raw.mkdir()
        shutil.copy(SEED, raw / SEED.name)
        for name in CORPUS:
            shutil.copy(SHARED / "data" / "polis" / name, raw / name)
        config = PipelineConfig(raw_dir=raw, out_dir=work / "processed", cache_dir=work / "interim")

        rows = []
        cold_s, counts = _timed(config)
        rows.append({"step": "cold run", "seconds": cold_s, "quotes_embedded": counts["new_quotes_embedded"],
                     "quotes": counts.get("quotes")})
        before = pd.read_parquet(config.out_dir / "quotes.parquet")[["quote_id", "topic_id"]]

        same_s, counts = _timed(config)
        rows.append({"step": "rerun, no change", "seconds": same_s, "quotes_embedded": counts["new_quotes_embedded"]})

        shutil.copy(SHARED / "data" / "polis" / NEW_FILE, raw / NEW_FILE)
        add_s, counts = _timed(config)
        after = pd.read_parquet(config.out_dir / "quotes.parquet")[["quote_id", "topic_id", "source_file"]]
        kept = before.merge(after, on="quote_id", suffixes=("_before", "_after"))
        rows.append({
            "step": "rerun, one new file", "seconds": add_s, "quotes_embedded": counts["new_quotes_embedded"],
            "quotes": counts.get("quotes"), "new_file_quotes": int((after.source_file == NEW_FILE).sum()),
            "kept_topic_id": float((kept.topic_id_before == kept.topic_id_after).mean()),
        })
        for r in rows:
            r["ratio_to_cold"] = r["seconds"] / cold_s
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_table(rows: list[dict]) -> None:
    print(f"{'step':<22} {'seconds':>8} {'x cold':>7} {'embedded':>9} {'kept id':>8}")
    for r in rows:
        kept = f"{r['kept_topic_id']:.1%}" if "kept_topic_id" in r else ""
        print(f"{r['step']:<22} {r['seconds']:>8.2f} {r['ratio_to_cold']:>7.3f} {r['quotes_embedded']:>9d} {kept:>8}")
    add = rows[-1]
    print(f"corpus: {rows[0]['quotes']} quotes in {1 + len(CORPUS)} files; new file: {add['new_file_quotes']} quotes")


if __name__ == "__main__":
    print_table(run())
