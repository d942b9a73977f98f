"""The quotes stage alone (split, judge, detect language, mark duplicates), timed and profiled.

``prepare`` writes ``bench.scale``'s corpus of ``n`` quotes (or takes an input folder such as
``data/raw``), ingests it and saves the documents. ``time`` runs
``nlp.incremental.split_and_annotate`` on them with an empty stage cache, as in a cold
``bench.scale`` run (the sentencizer's and language model's loading included), optionally under
cProfile, and saves every quote's fields so that two code trees can be compared:

    python -m bench.quote_stage prepare --size 10000 --dir /tmp/q-10k   # or --raw data/raw
    python bench/quote_stage.py time --dir /tmp/q-10k --out after.pkl [--profile after.prof] [--parts]
    PYTHONPATH=/path/to/other/tree python /this/tree/bench/quote_stage.py time --dir ... --out before.pkl
    python -m bench.quote_stage compare before.pkl after.pkl

Run as a script, the ``nlp`` package comes from ``PYTHONPATH``: the tree under test.
"""

from __future__ import annotations

import dataclasses
import pickle
import shutil
import tempfile
from pathlib import Path

if __package__:
    from bench.stage_timing import first_difference, print_parts, time_parts, timed
    from bench.stage_timing import main as stage_main
else:  # run as a script from another tree's PYTHONPATH: this file's sibling, not that tree's
    from stage_timing import first_difference, print_parts, time_parts, timed  # type: ignore[no-redef]
    from stage_timing import main as stage_main  # type: ignore[no-redef]

__all__ = ["compare", "prepare", "time_stage"]

# (module, function) timed inside the stage for ``--parts``; times include what they call.
PARTS = (
    ("nlp.incremental", "split_quotes_by_file"),
    ("nlp.incremental", "annotate_quotes"),
    ("nlp.analysable", "substantive_flags"),
    ("nlp.analysable", "detect_languages"),
    ("nlp.incremental", "mark_duplicates"),
)


def prepare(size: int | None, folder: Path, seed: int = 0, raw: Path | None = None) -> None:
    """Write the corpus (or take ``raw``), ingest it, save the documents and the config."""
    from nlp.config import PipelineConfig
    from nlp.pipeline import ingest

    folder.mkdir(parents=True, exist_ok=True)
    if raw is None:
        from bench.scale import write_corpus

        raw = folder / "raw"
        write_corpus(raw, size, seed)
    config = PipelineConfig(raw_dir=raw, out_dir=folder / "out", cache_dir=folder / "cache")
    result = ingest(config)
    with (folder / "inputs.pkl").open("wb") as fh:
        pickle.dump({"documents": result.documents, "config": config}, fh)
    print(f"{folder}: {len(result.documents)} documents")


def time_stage(folder: Path, out: Path, profile: Path | None = None, parts: bool = False) -> float:
    """CPU seconds ``split_and_annotate`` takes on the saved documents, cold; its quotes go to ``out``."""
    from nlp.incremental import split_and_annotate

    totals = time_parts(PARTS) if parts else {}
    with (folder / "inputs.pkl").open("rb") as fh:
        saved = pickle.load(fh)
    work = Path(tempfile.mkdtemp(prefix="quote-stage-"))
    try:
        config = dataclasses.replace(saved["config"], cache_dir=work / "cache", out_dir=work / "out")
        split, seconds, cpu = timed(lambda: split_and_annotate(saved["documents"], config), profile)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    quotes = [dataclasses.asdict(q) for q in split.quotes]
    with out.open("wb") as fh:
        pickle.dump({"seconds": seconds, "cpu_s": cpu, "quotes": quotes, "errors": split.errors}, fh)
    print_parts(totals)
    print(f"{folder}: split_and_annotate {seconds:.1f} s ({cpu:.2f} CPU s), {len(quotes)} quotes, "
          f"{sum(q['duplicate_of'] is not None for q in quotes)} duplicates, "
          f"{sum(not q['is_substantive'] for q in quotes)} not substantive")
    return cpu


def compare(a: Path, b: Path) -> bool:
    """Whether two saved outputs hold the same quotes, every field; prints the first difference."""
    left, right = (pickle.loads(p.read_bytes()) for p in (a, b))
    if not first_difference(left, right, ("errors", "quotes")):
        return False
    print(f"identical: {len(left['quotes'])} quotes; {left['cpu_s']:.2f} / {right['cpu_s']:.2f} CPU s")
    return True


def main(argv: list[str] | None = None) -> None:
    stage_main(__doc__.splitlines()[0], prepare, time_stage, compare, argv)


if __name__ == "__main__":
    main()
