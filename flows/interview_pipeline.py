"""The interview pipeline as a Prefect flow.

It ingests the interview text, splits it into quotes, embeds and topic-models them, scores
sentiment per section, and writes recommendation candidates, with everything else it found,
to parquet. Each task wraps one stage of ``nlp.pipeline``; no NLP logic lives here.

    python -m flows.interview_pipeline --raw-dir data/raw --out-dir data/processed
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from nlp import pipeline
from nlp.config import PipelineConfig
from nlp.ingest import IngestResult
from nlp.run import RunSummary, finished, run_identity, unchanged_since_last_run, write_run
from nlp.schemas import Quote

# Stage outputs are large in-memory records that the next task uses at once: hashing them for
# a cache key or persisting them would cost more than the stage. The run's own outputs are the
# parquet files, and the embedding cache makes re-running a stage cheap.
STAGE = dict(cache_policy=NO_CACHE, persist_result=False)


@task(**STAGE)
def check_inputs(config: PipelineConfig) -> tuple[pipeline.Previous, str]:
    """Load the last run's state and fingerprint the inputs."""
    embedder = pipeline.build_embedder(config)
    previous = pipeline.load_previous(Path(config.out_dir))
    return previous, pipeline.fingerprint_inputs(Path(config.raw_dir), config, embedder.model_sha256)


@task(**STAGE)
def ingest(config: PipelineConfig) -> IngestResult:
    """Read every input file; bad files are recorded, not fatal."""
    result = pipeline.ingest(config)
    logger = get_run_logger()
    for record in result.inputs:
        if record.status == "error":
            logger.error("%s", record.error)
        elif record.status == "duplicate":
            logger.warning("%s: %s", record.file, record.error)
    return result


@task(**STAGE)
def split_into_quotes(result: IngestResult, config: PipelineConfig) -> list[Quote]:
    """Split responses into quotes."""
    return pipeline.make_quotes(result, config)


# Embedding runs wherever the task runner puts it (a Dask worker may be lost mid-batch), so a
# batch is retried; it is idempotent because finished batches are already in the cache.
@task(retries=2, retry_delay_seconds=2, **STAGE)
def embed_batch(texts: Sequence[str], config: PipelineConfig) -> tuple[np.ndarray, int]:
    """Embed one batch of distinct quote texts through the on-disk cache."""
    return pipeline.embed_texts(texts, pipeline.build_embedder(config))


@task(**STAGE)
def model_topics(
    quotes: list[Quote], vectors: np.ndarray, previous: pipeline.Previous, run_id: str, config: PipelineConfig
) -> pipeline.TopicResult:
    """Fit topics on the whole corpus and keep ids stable across runs."""
    return pipeline.model_topics(quotes, vectors, pipeline.build_embedder(config), previous, run_id, config)


@task(retries=2, retry_delay_seconds=2, **STAGE)
def score_batch(quotes: Sequence[Quote], vectors: np.ndarray, config: PipelineConfig) -> list[float]:
    """Score sentiment of one batch of quotes."""
    return pipeline.score_sentiment(quotes, pipeline.head_vectors(quotes, vectors, pipeline.build_embedder(config)))


@task(**STAGE)
def summarise_sentiment(
    quotes: list[Quote], scores: list[float], topic_ids: list[int], config: PipelineConfig
) -> pipeline.SentimentResult:
    """Aggregate sentiment per section and per topic x section."""
    return pipeline.summarise_sentiment(quotes, scores, topic_ids, config)


@task(**STAGE)
def find_recommendations(
    quotes: list[Quote], vectors: np.ndarray, topic_ids: list[int], config: PipelineConfig
) -> pipeline.RecommendationResult:
    """Detect recommendation candidates and merge them across responses."""
    heads_in = pipeline.head_vectors(quotes, vectors, pipeline.build_embedder(config))
    return pipeline.find_recommendations(quotes, heads_in, topic_ids, config)


@task(retries=1, retry_delay_seconds=2, **STAGE)
def write_outputs(config: PipelineConfig, **results) -> Path:
    """Write all outputs into a staging folder and swap it in for the previous ones."""
    return write_run(config, **results)


def _batches(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


@flow(name="interview-pipeline", log_prints=True)
def interview_pipeline(
    raw_dir: Path = Path("data/raw"),
    out_dir: Path = Path("data/processed"),
    cache_dir: Path = Path("data/interim"),
    model_path: Path | None = None,
    backend: str = "onnx-fp32",
    seed: int = 42,
    text_column: str | None = None,
    max_file_mb: float = 20.0,
    merge_threshold: float = 0.85,
    topic_match_threshold: float = 0.7,
    batch_size: int = 512,
    force: bool = False,
) -> RunSummary:
    """Ingest → quotes → embed → topics → sentiment → recommendations → write.

    Args:
        raw_dir: interview files; read-only.
        out_dir: where the parquet files and manifest go, replaced whole on success.
        cache_dir: embedding cache that survives runs.
        model_path: local sentence-transformers model; default is the bundled MiniLM.
        backend: "onnx-fp32" (default), "torch" or "onnx-int8" (faster, less exact; see the README).
        seed: seeds every stochastic step.
        text_column: survey CSV answer column; detected when omitted.
        max_file_mb: larger inputs are refused.
        merge_threshold: cosine similarity at which recommendations merge.
        topic_match_threshold: centroid similarity at which a topic keeps its id.
        batch_size: quotes per embedding/scoring task (the unit spread over Dask workers).
        force: re-analyse even when nothing changed.
    """
    logger = get_run_logger()
    config = PipelineConfig(
        raw_dir=Path(raw_dir), out_dir=Path(out_dir), cache_dir=Path(cache_dir),
        model_path=Path(model_path) if model_path else None, backend=backend, seed=seed,
        text_column=text_column,
        max_file_mb=max_file_mb, merge_threshold=merge_threshold,
        topic_match_threshold=topic_match_threshold,
    )
    timer = pipeline.Timer()
    started_at = pipeline.utc_now()

    t = time.perf_counter()
    previous, fingerprint = check_inputs(config)
    run_number, run_id = run_identity(previous, fingerprint)
    timer.record("check", t)
    if not force and (skipped := unchanged_since_last_run(previous, fingerprint, config, timer.timings)):
        logger.info("Inputs unchanged since %s: outputs are up to date.", skipped.run_id)
        return skipped

    t = time.perf_counter()
    ingested = ingest(config)
    quotes = split_into_quotes(ingested, config)
    timer.record("ingest", t)

    t = time.perf_counter()
    texts = pipeline.distinct_texts(quotes)
    embedded = embed_batch.map(_batches(texts, batch_size), config=config).result()
    vectors = pipeline.vectors_for(quotes, texts, np.concatenate([v for v, _ in embedded]))
    new = sum(n for _, n in embedded)
    timer.record("embed", t)
    logger.info("%d quotes, %d newly embedded", len(quotes), new)

    t = time.perf_counter()
    topics = model_topics(quotes, vectors, previous, run_id, config)
    timer.record("topics", t)

    t = time.perf_counter()
    batches = _batches(quotes, batch_size)
    vector_batches = [vectors[i : i + batch_size] for i in range(0, max(len(quotes), 1), batch_size)]
    scores = [s for batch in score_batch.map(batches, vector_batches, config=config).result() for s in batch]
    sentiment = summarise_sentiment(quotes, scores, topics.topic_ids, config)
    timer.record("sentiment", t)

    t = time.perf_counter()
    recommendations = find_recommendations(quotes, vectors, topics.topic_ids, config)
    timer.record("recommendations", t)

    t = time.perf_counter()
    write_outputs(
        config, run_id=run_id, run_number=run_number, started_at=started_at, fingerprint=fingerprint,
        model=pipeline.model_record(pipeline.build_embedder(config)),
        ingested=ingested, quotes=quotes, new_quotes_embedded=new, topics=topics,
        sentiment=sentiment, recommendations=recommendations, timings=timer.timings,
    )
    timer.record("write", t)
    logger.info("Wrote %s: %d quotes, %d topics, %d recommendation candidates",
                config.out_dir, len(quotes), len(topics.topics), len(recommendations.candidates))
    return finished(run_id, config, ingested, quotes, new, topics, recommendations, timer.timings)


def _dask_task_runner(address: str | None, workers: int | None):
    """A Dask task runner for the mapped batches: an existing cluster, or a local one.

    Args:
        address: scheduler of a running cluster, e.g. ``tcp://10.0.0.5:8786``.
        workers: otherwise, a local cluster of this many single-threaded worker processes.

    Returns:
        A ``prefect_dask.DaskTaskRunner`` for ``interview_pipeline.with_options``.
    """
    # Imported here so runs without Dask never pay for importing distributed.
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    # One thread per worker: torch already uses every core of a process, and the embedder is a
    # per-process singleton, so a worker holds one model and runs one batch at a time.
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers, "threads_per_worker": 1, "processes": True,
            "host": "127.0.0.1", "dashboard_address": None,
        }
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-dir", type=Path, default=Path("data/raw"))
    parser.add_argument("--out-dir", type=Path, default=Path("data/processed"))
    parser.add_argument("--cache-dir", type=Path, default=Path("data/interim"))
    parser.add_argument("--model-path", type=Path, default=None, help="local sentence-transformers model dir")
    parser.add_argument("--backend", choices=pipeline.BACKENDS, default="onnx-fp32",
                        help="embedding backend: fp32 ONNX export (default), plain torch, or int8 ONNX")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--text-column", default=None, help="survey CSV column with the answers")
    parser.add_argument("--batch-size", type=int, default=512, help="quotes per embedding/scoring task")
    parser.add_argument("--force", action="store_true", help="re-analyse even if nothing changed")
    dask = parser.add_mutually_exclusive_group()
    dask.add_argument("--dask-address", default=None, help="run the batches on this Dask scheduler")
    dask.add_argument("--dask-workers", type=int, default=None, help="run the batches on a local Dask cluster")
    args = parser.parse_args(argv)
    pipeline_flow = interview_pipeline
    if args.dask_address or args.dask_workers:
        pipeline_flow = interview_pipeline.with_options(
            task_runner=_dask_task_runner(args.dask_address, args.dask_workers)
        )
    summary = pipeline_flow(
        raw_dir=args.raw_dir, out_dir=args.out_dir, cache_dir=args.cache_dir,
        model_path=args.model_path, backend=args.backend, seed=args.seed,
        text_column=args.text_column, batch_size=args.batch_size, force=args.force,
    )
    print(f"{summary.status}: {summary.run_id} -> {summary.out_dir} {summary.counts}")
    for err in summary.errors:
        print(f"input error: {err['error']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
