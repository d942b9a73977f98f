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

import argparse
import cProfile
import dataclasses
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path

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


def _time_parts() -> dict[str, list[float]]:
    """Wrap each of ``PARTS`` where it is called so that its calls add up [CPU s, calls, items]."""
    import functools
    import importlib

    totals: dict[str, list[float]] = {}
    for module_name, name in PARTS:
        module = importlib.import_module(module_name)
        fn = getattr(module, name, None)
        if fn is None:  # another tree
            continue
        total = totals.setdefault(name, [0.0, 0, 0])

        @functools.wraps(fn)
        def timed(*args, _fn=fn, _total=total, **kwargs):
            cpu = time.process_time()
            try:
                return _fn(*args, **kwargs)
            finally:
                _total[0] += time.process_time() - cpu
                _total[1] += 1
                _total[2] += len(args[0]) if args and hasattr(args[0], "__len__") else 0

        setattr(module, name, timed)
    return totals


def time_stage(folder: Path, out: Path, profile: Path | None = None, parts: bool = False) -> float:
    """CPU seconds ``split_and_annotate`` takes on the saved documents, cold; its quotes go to ``out``."""
    from nlp.incremental import split_and_annotate

    totals = _time_parts() if parts else {}
    with (folder / "inputs.pkl").open("rb") as fh:
        saved = pickle.load(fh)
    work = Path(tempfile.mkdtemp(prefix="quote-stage-"))
    try:
        config = dataclasses.replace(saved["config"], cache_dir=work / "cache", out_dir=work / "out")
        profiler = cProfile.Profile() if profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        split = split_and_annotate(saved["documents"], config)
        if profiler:
            profiler.disable()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if profiler:
            profiler.dump_stats(profile)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    quotes = [dataclasses.asdict(q) for q in split.quotes]
    with out.open("wb") as fh:
        pickle.dump({"seconds": seconds, "cpu_s": cpu, "quotes": quotes, "errors": split.errors}, fh)
    for name, (part_cpu, calls, n) in totals.items():
        print(f"  {name:<22} {part_cpu:7.2f} CPU s  {calls:5d} calls  {n:7d} items")
    print(f"{folder}: split_and_annotate {seconds:.1f} s ({cpu:.2f} CPU s), {len(quotes)} quotes, "
          f"{sum(q['duplicate_of'] is not None for q in quotes)} duplicates, "
          f"{sum(not q['is_substantive'] for q in quotes)} not substantive")
    return cpu


def compare(a: Path, b: Path) -> bool:
    """Whether two saved outputs hold the same quotes, every field; prints the first difference."""
    left, right = (pickle.loads(p.read_bytes()) for p in (a, b))
    if left["errors"] != right["errors"]:
        print("errors differ")
        return False
    if left["quotes"] != right["quotes"]:
        n = next((i for i, (x, y) in enumerate(zip(left["quotes"], right["quotes"])) if x != y), None)
        print(f"quotes differ (lengths {len(left['quotes'])} / {len(right['quotes'])}; first at {n})")
        return False
    print(f"identical: {len(left['quotes'])} quotes; {left['cpu_s']:.2f} / {right['cpu_s']:.2f} CPU s")
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--size", type=int, help="quotes of bench.scale's corpus")
    source.add_argument("--raw", type=Path, help="an input folder instead (the seed: data/raw)")
    p.add_argument("--dir", type=Path, required=True)
    t = sub.add_parser("time")
    t.add_argument("--dir", type=Path, required=True)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--profile", type=Path, default=None)
    t.add_argument("--parts", action="store_true", help="also time the stage's main steps")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(args.size, args.dir, raw=args.raw)
    elif args.command == "time":
        time_stage(args.dir, args.out, args.profile, args.parts)
    elif not compare(args.a, args.b):
        sys.exit(1)


if __name__ == "__main__":
    main()
