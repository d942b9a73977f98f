"""The one stage sequence: ingest → quotes → embed → filler → topics → themes → sentiment → recommendations
→ write.

``run_stages`` is the only place that orders the stages. How each stage is executed is the
``Runner``'s business: ``InProcess`` calls them (``run_pipeline``, ``interviews run
--no-prefect``); the Prefect flow's runner wraps them in tasks and maps batches over its task
runner (threads, or Dask workers). Both run this same code, so they write the same tables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, TypeVar

from nlp import pipeline
from nlp.analysable import language_note
from nlp.attributes import attach_attributes
from nlp.config import PipelineConfig
from nlp.curated_topics import curate_topics
from nlp.filler_model import read_filler
from nlp.guards import check_usable
from nlp.incremental import remembered_sentiment
from nlp.ingest.paragraphs import paragraphs_note
from nlp.ingest.survey_columns import columns_note
from nlp.loaded import LoadedModels, load_models
from nlp.outputs import RunResults, write_run
from nlp.previous import Previous, load_previous
from nlp.runlock import output_lock
from nlp.theme_stage import theme_levels, with_parent_outcome
from nlp.run_summary import RunSummary, finished, run_identity, unchanged_since_last_run
from nlp.sentiment_stage import score_batch, summarise_sentiment
from nlp.stagecache import file_clock, prune

__all__ = ["InProcess", "Runner", "Timer", "batches", "run_stages", "utc_now"]

T = TypeVar("T")


class Runner(Protocol):
    """How the sequence executes a stage and maps a batch function.

    ``name`` is the stage's name (a Prefect task name); ``run`` calls ``fn(*args, **kwargs)``
    once; ``map`` calls ``fn(*items, **kwargs)`` for each tuple of ``zip(*iterables)`` and
    returns the results in order. Keyword arguments are the same for every batch.
    """

    logger: logging.Logger | logging.LoggerAdapter

    def run(self, name: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...

    def map(self, name: str, fn: Callable[..., T], /, *iterables: Sequence, **kwargs: Any) -> list[T]: ...


class InProcess:
    """Plain calls in this process, one after the other."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("nlp.sequence")

    def run(self, name: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        return fn(*args, **kwargs)

    def map(self, name: str, fn: Callable[..., T], /, *iterables: Sequence, **kwargs: Any) -> list[T]:
        return [fn(*items, **kwargs) for items in zip(*iterables)]


class Timer:
    """Seconds spent per stage, for the manifest."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.timings[stage] = round(self.timings.get(stage, 0.0) + time.perf_counter() - started, 3)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def batches(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """``items`` in consecutive batches of ``size``; one empty batch for no items."""
    return [items[i : i + size] for i in range(0, len(items), size)] or [items[:0]]


def _check(config: PipelineConfig, models: LoadedModels) -> tuple[Previous, str]:
    previous = load_previous(Path(config.out_dir))
    return previous, pipeline.fingerprint_inputs(Path(config.raw_dir), config, models.embedder.model_sha256)


def _log_inputs(logger, ingested) -> None:
    for record in ingested.inputs:
        if record.status == "error":
            logger.error("%s", record.error)
        elif record.status == "duplicate":
            logger.warning("%s: %s", record.file, record.error)


def _log_quote_errors(logger, ingested) -> None:
    for record in ingested.inputs:
        if record.status == "error" and record.error and "quotes could not be made" in record.error:
            logger.error("%s", record.error)


def run_stages(
    config: PipelineConfig, runner: Runner, *, force: bool = False, models: LoadedModels | None = None
) -> RunSummary:
    """Run every stage in order and write the outputs atomically.

    Args:
        config: the run's settings.
        runner: executes the stages (``InProcess``, or the Prefect flow's runner).
        force: re-analyse even if inputs and settings are unchanged since the last run.
        models: the loaded models; by default loaded from ``config`` (tests pass fakes).

    Raises:
        nlp.guards.NothingUsableError: no input file gave a quote; nothing was written.
        nlp.runlock.RunInProgressError: another run held the output folder past
            ``config.lock_timeout_s``; nothing was read or written.
    """
    log, timer, started_at = runner.logger, Timer(), utc_now()
    with timer("check"):
        models = models or load_models(config)
    # One run at a time per output folder, from reading the previous run to the swap: a second
    # run waits (then usually finds the outputs up to date) or refuses (nlp.runlock).
    with output_lock(Path(config.out_dir), config.lock_timeout_s):
        return _run_locked(config, runner, force, models, log, timer, started_at)


def _run_locked(
    config: PipelineConfig, runner: Runner, force: bool, models: LoadedModels, log, timer: Timer, started_at: str
) -> RunSummary:
    with timer("check"):
        previous, fingerprint = runner.run("check_inputs", _check, config, models)
        run_number, run_id = run_identity(previous, fingerprint)
    if not force and (skipped := unchanged_since_last_run(previous, fingerprint, config, timer.timings)):
        log.info("Inputs unchanged since %s: outputs are up to date.", skipped.run_id)
        return skipped
    # Stage cache entries touched from here on are this run's (nlp.stagecache.prune).
    since = file_clock(Path(config.cache_dir) / "stages")

    with timer("ingest"):
        ingested = runner.run("ingest", pipeline.ingest, config)
        _log_inputs(log, ingested)
        if note := columns_note(ingested.documents):  # a survey's second open question
            log.warning("%s", note)
        if note := paragraphs_note(ingested.documents):  # notes with no speaker labels
            log.warning("%s", note)
    with timer("quotes"):
        ingested, quotes = runner.run("split_into_quotes", pipeline.make_quotes, ingested, config)
        _log_quote_errors(log, ingested)
        if note := language_note(quotes):  # a whole interview may be in another language
            log.warning("%s", note)
        # Nothing to analyse: stop before anything is written, naming every file and why.
        check_usable(Path(config.raw_dir), ingested.inputs, ingested.documents, quotes)
    with timer("attributes"):
        attributes = runner.run("attach_attributes", attach_attributes, ingested, quotes, config)
    with timer("embed"):
        texts = pipeline.distinct_texts(quotes)
        embedded = runner.map("embed_batch", pipeline.embed_batch, batches(texts, config.batch_size), models=models)
        embedding = pipeline.join_batches(quotes, texts, embedded)
        del embedded  # the batches' vectors, a second copy of every vector, held to the end of the run
    log.info("%d quotes, %d newly embedded", len(quotes), embedding.new)
    with timer("filler"):
        # Talk like the filler the rules found leaves the analysis too (nlp.filler_model).
        quotes, turned = runner.run(
            "read_filler", read_filler, quotes, embedding.vectors, config.filler_examples,
            previous.substance_kept(config.filler_examples),
        )
        if turned:
            log.info("%d more quotes read like the filler the rules found; left out like it", turned)
    with timer("topics"):
        topics = runner.run(
            "model_topics", pipeline.model_topics, quotes, embedding.vectors, models, previous, run_id, config
        )
    curation = None
    if config.curation is not None and topics.note is None:
        with timer("curation"):
            topics, curation = runner.run(
                "apply_curation", curate_topics, topics, quotes, embedding.vectors, previous, run_id,
                Path(config.curation), config.seed, config.topic_match_threshold,
            )
            for problem in curation.problems:
                log.warning("curation %s: %s", config.curation, problem)
    with timer("themes"):
        # After the curation, so its merges and pinned labels shape both levels.
        topics, themes = runner.run(
            "build_themes", theme_levels, quotes, embedding.vectors, topics, previous, run_id, config,
            curation.parents if curation is not None else None,
        )
        if curation is not None:
            curation = with_parent_outcome(curation, themes)
            for problem in themes.problems:
                log.warning("curation %s: %s", config.curation, problem)
    with timer("sentiment"):
        def score_rows(rows: list[int]) -> list[float]:  # the quotes no earlier run scored
            todo, vectors = [quotes[i] for i in rows], embedding.head_vectors[rows]
            scored = runner.map(
                "score_batch", score_batch, batches(todo, config.batch_size), batches(vectors, config.batch_size),
                models=models,
            )
            return [s for batch in scored for s in batch]

        scores = remembered_sentiment(config, quotes, embedding.head_vectors, models.sentiment, score_rows)
        sentiment = runner.run("summarise_sentiment", summarise_sentiment, quotes, scores, topics.topic_ids, config)
    with timer("recommendations"):
        recommendations = runner.run(
            "find_recommendations", pipeline.find_recommendations,
            quotes, embedding.head_vectors, topics.topic_ids, models, config,
        )
    run = RunResults(
        config=config, run_id=run_id, run_number=run_number, started_at=started_at, fingerprint=fingerprint,
        model=models.record, ingested=ingested, quotes=quotes, new_quotes_embedded=embedding.new,
        topics=topics, sentiment=sentiment, recommendations=recommendations, timings=dict(timer.timings),
        filler_model_quotes=turned,
        curation=curation,
        attributes=attributes,
        themes=themes,
    )
    with timer("write"):
        runner.run("write_outputs", write_run, run)
    # Stage caches keep what this run used and a bounded number of other entries (nlp.stagecache).
    removed = prune(Path(config.cache_dir) / "stages", since, config.cache_keep)
    if removed:
        log.info("Stage caches: %d entries this run did not use removed (cache_keep=%d).", removed, config.cache_keep)
    log.info("Wrote %s: %d quotes, %d topics, %d recommendation candidates",
             config.out_dir, len(quotes), len(topics.topics), len(recommendations.candidates))
    return finished(run, timer.timings)
