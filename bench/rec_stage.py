"""The recommendations stage alone, on the inputs ``bench.scale`` gives it, timed (and profiled).

``prepare`` runs the pipeline (no Prefect) on ``bench.scale``'s corpus of ``n`` quotes up to the
recommendations stage, then saves that stage's inputs and a copy of the cache folder as it stood
then: quote vectors cached, ask spans and rescored texts not, as in a cold ``bench.scale`` run.
``time`` restores that copy into a fresh folder, loads the models, starts the embedder (the
pipeline has by then), and times ``nlp.pipeline.find_recommendations`` alone, optionally under
cProfile; it saves the stage's output, so two code trees can be compared on the same inputs:

    python -m bench.rec_stage prepare --size 10000 --dir /tmp/rec-10k   # or --raw data/raw
    python bench/rec_stage.py time --dir /tmp/rec-10k --out after.pkl [--profile after.prof]
    PYTHONPATH=/path/to/other/tree python /this/tree/bench/rec_stage.py time --dir ... --out before.pkl
    python -m bench.rec_stage compare before.pkl after.pkl

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


class _Captured(Exception):
    """Raised by the capturing runner once the stage's inputs are saved: the rest is not needed."""


def prepare(size: int | None, folder: Path, seed: int = 0, raw: Path | None = None) -> None:
    """Write the corpus (or take ``raw``), run up to the recommendations stage, save its inputs and the cache."""
    from bench.scale import write_corpus
    from nlp.config import PipelineConfig
    from nlp.sequence import InProcess, run_stages

    folder.mkdir(parents=True, exist_ok=True)
    cache = folder / "cache-live"
    if raw is None:
        raw = folder / "raw"
        write_corpus(raw, size, seed)
    config = PipelineConfig(raw_dir=raw, out_dir=folder / "out", cache_dir=cache)

    class Capture(InProcess):
        def run(self, name, fn, /, *args, **kwargs):
            if name != "find_recommendations":
                return super().run(name, fn, *args, **kwargs)
            quotes, head_vectors, topic_ids, _models, stage_config = args
            with (folder / "inputs.pkl").open("wb") as fh:
                pickle.dump({"quotes": list(quotes), "head_vectors": head_vectors,
                             "topic_ids": list(topic_ids), "config": stage_config}, fh)
            shutil.copytree(cache, folder / "cache", dirs_exist_ok=False)
            raise _Captured

    try:
        run_stages(config, Capture(), force=True)
    except _Captured:
        pass
    shutil.rmtree(cache, ignore_errors=True)


# (module, function) timed inside the stage for ``--parts``; times include what they call.
PARTS = (
    ("nlp.pipeline", "recommendation_confidence"),
    ("nlp.recommendations.clauses", "score_without_turn_talk"),
    ("nlp.recommendations.clauses", "rescore_quotes"),
    ("nlp.recommendations", "build_asks"),
    ("nlp.recommendations.asks", "ask_spans"),
    ("nlp.recommendations.asks", "group_asks"),
    ("nlp.recommendations.asks", "join_asks"),
    ("nlp.pipeline", "embed_with_cache"),
)


def _time_parts() -> dict[str, list[float]]:
    """Wrap each of ``PARTS`` so that its calls add up [wall s, CPU s, calls, texts]."""
    import functools
    import importlib

    totals: dict[str, list[float]] = {}
    for module_name, name in PARTS:
        module = importlib.import_module(module_name)
        fn = getattr(module, name, None)
        if fn is None:  # an older tree
            continue
        total = totals.setdefault(name, [0.0, 0.0, 0, 0])

        @functools.wraps(fn)
        def timed(*args, _fn=fn, _total=total, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return _fn(*args, **kwargs)
            finally:
                _total[0] += time.perf_counter() - wall
                _total[1] += time.process_time() - cpu
                _total[2] += 1
                _total[3] += len(args[0]) if args and hasattr(args[0], "__len__") else 0

        setattr(module, name, timed)
    return totals


def time_stage(folder: Path, out: Path, profile: Path | None = None, parts: bool = False) -> float:
    """Seconds ``find_recommendations`` takes on the saved inputs; its output goes to ``out``."""
    from nlp.loaded import load_models
    from nlp.pipeline import find_recommendations

    totals = _time_parts() if parts else {}

    with (folder / "inputs.pkl").open("rb") as fh:
        saved = pickle.load(fh)
    work = Path(tempfile.mkdtemp(prefix="rec-stage-"))
    try:
        shutil.copytree(folder / "cache", work / "cache")
        config = dataclasses.replace(saved["config"], cache_dir=work / "cache", out_dir=work / "out")
        models = load_models(config)
        models.embedder.embedder.embed(["start the session"])  # the pipeline's embed stage has
        args = (saved["quotes"], saved["head_vectors"], saved["topic_ids"], models, config)
        profiler = cProfile.Profile() if profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        result = find_recommendations(*args)
        if profiler:
            profiler.disable()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if profiler:
            profiler.dump_stats(profile)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with out.open("wb") as fh:
        pickle.dump({"seconds": seconds, "cpu_s": cpu, "is_recommendation": result.is_recommendation,
                     "confidence": result.confidence, "asks": [dataclasses.asdict(a) for a in result.candidates]}, fh)
    for name, (part_s, part_cpu, calls, n) in totals.items():
        print(f"  {name:<28} {part_s:7.1f} s {part_cpu:7.1f} CPU s  {calls:3d} calls  {n:7d} items")
    print(f"{folder}: find_recommendations {seconds:.1f} s ({cpu:.1f} CPU s), {sum(result.is_recommendation)} flagged, "
          f"{len(result.candidates)} asks")
    return seconds


def compare(a: Path, b: Path) -> bool:
    """Whether two saved outputs hold the same flags, confidences and asks; prints the first difference."""
    left, right = (pickle.loads(p.read_bytes()) for p in (a, b))
    for key in ("is_recommendation", "confidence", "asks"):
        if left[key] != right[key]:
            n = next((i for i, (x, y) in enumerate(zip(left[key], right[key])) if x != y), None)
            print(f"{key} differ (lengths {len(left[key])} / {len(right[key])}; first at {n})")
            return False
    print(f"identical: {len(left['asks'])} asks; {left['seconds']:.1f} s / {right['seconds']:.1f} s")
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
