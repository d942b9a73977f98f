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


def time_stage(folder: Path, out: Path, profile: Path | None = None, parts: bool = False) -> float:
    """Seconds ``find_recommendations`` takes on the saved inputs; its output goes to ``out``."""
    from nlp.loaded import load_models
    from nlp.pipeline import find_recommendations

    totals = time_parts(PARTS) if parts else {}

    with (folder / "inputs.pkl").open("rb") as fh:
        saved = pickle.load(fh)
    work = Path(tempfile.mkdtemp(prefix="rec-stage-"))
    try:
        shutil.copytree(folder / "cache", work / "cache")
        config = dataclasses.replace(saved["config"], cache_dir=work / "cache", out_dir=work / "out")
        models = load_models(config)
        models.embedder.embedder.embed(["start the session"])  # the pipeline's embed stage has
        args = (saved["quotes"], saved["head_vectors"], saved["topic_ids"], models, config)
        result, seconds, cpu = timed(lambda: find_recommendations(*args), profile)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with out.open("wb") as fh:
        pickle.dump({"seconds": seconds, "cpu_s": cpu, "is_recommendation": result.is_recommendation,
                     "confidence": result.confidence, "asks": [dataclasses.asdict(a) for a in result.candidates]}, fh)
    print_parts(totals)
    print(f"{folder}: find_recommendations {seconds:.1f} s ({cpu:.1f} CPU s), {sum(result.is_recommendation)} flagged, "
          f"{len(result.candidates)} asks")
    return seconds


def compare(a: Path, b: Path) -> bool:
    """Whether two saved outputs hold the same flags, confidences and asks; prints the first difference."""
    left, right = (pickle.loads(p.read_bytes()) for p in (a, b))
    if not first_difference(left, right, ("is_recommendation", "confidence", "asks")):
        return False
    print(f"identical: {len(left['asks'])} asks; {left['seconds']:.1f} s / {right['seconds']:.1f} s")
    return True


def main(argv: list[str] | None = None) -> None:
    stage_main(__doc__.splitlines()[0], prepare, time_stage, compare, argv)


if __name__ == "__main__":
    main()
