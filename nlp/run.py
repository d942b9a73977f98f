"""One whole run without an orchestrator: the stages of ``nlp.pipeline`` in order.

``flows/interview_pipeline.py`` runs the same stages as Prefect tasks. This module serves
notebooks, benchmarks and tests that want no Prefect server, and holds the write stage both
share.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from nlp import outputs, pipeline
from nlp.config import PipelineConfig
from nlp.ingest import IngestResult
from nlp.schemas import Quote
from nlp.store import MANIFEST, OUTPUT_TABLES, staged_output

__all__ = [
    "RunSummary",
    "finished",
    "outputs_whole",
    "run_identity",
    "run_pipeline",
    "unchanged_since_last_run",
    "write_run",
]

logger = logging.getLogger("nlp.run")


@dataclass
class RunSummary:
    """What a run did, as the flow and ``run_pipeline`` return it."""

    run_id: str
    status: str  # "ok" or "up-to-date"
    out_dir: str
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)


def outputs_whole(out_dir: Path) -> bool:
    """True when every output of a finished run is present."""
    out_dir = Path(out_dir)
    return (out_dir / MANIFEST).is_file() and all(
        (out_dir / f"{name}.parquet").is_file() for name in OUTPUT_TABLES
    )


def unchanged_since_last_run(
    previous: pipeline.Previous, fingerprint: str, config: PipelineConfig, timings: dict[str, float]
) -> RunSummary | None:
    """The up-to-date summary when inputs and settings match the last run's and its outputs are whole."""
    if fingerprint != previous.fingerprint or not outputs_whole(Path(config.out_dir)):
        return None
    logger.info("inputs unchanged since %s; outputs are up to date", previous.manifest["run_id"])
    return RunSummary(
        previous.manifest["run_id"], "up-to-date", str(config.out_dir), {"new_quotes_embedded": 0}, timings
    )


def finished(
    run_id: str,
    config: PipelineConfig,
    ingested: IngestResult,
    quotes: list[Quote],
    new_quotes_embedded: int,
    topics: pipeline.TopicResult,
    recommendations: pipeline.RecommendationResult,
    timings: dict[str, float],
) -> RunSummary:
    """The summary of a run that wrote its outputs."""
    return RunSummary(
        run_id,
        "ok",
        str(config.out_dir),
        {
            "quotes": len(quotes),
            "new_quotes_embedded": new_quotes_embedded,
            "topics": len(topics.topics),
            "recommendations": len(recommendations.candidates),
        },
        timings,
        [{"file": r.file, "error": r.error} for r in ingested.inputs if r.status == "error"],
    )


def run_identity(previous: pipeline.Previous, fingerprint: str) -> tuple[int, str]:
    """Run number and run id; the id is deterministic, so identical histories give identical outputs."""
    number = previous.run_number + 1
    return number, f"run-{number:04d}-{fingerprint[:10]}"


def write_run(
    config: PipelineConfig,
    *,
    run_id: str,
    run_number: int,
    started_at: str,
    fingerprint: str,
    model: dict[str, str],
    ingested: IngestResult,
    quotes: list[Quote],
    new_quotes_embedded: int,
    topics: pipeline.TopicResult,
    sentiment: pipeline.SentimentResult,
    recommendations: pipeline.RecommendationResult,
    timings: dict[str, float],
) -> Path:
    """Write every table, the model and the manifest, then swap them in for ``out_dir``."""
    out_dir = Path(config.out_dir)
    with staged_output(out_dir, run_id) as staging:
        staging.write_table(
            "quotes",
            outputs.quotes_frame(
                quotes, topics.topic_ids, sentiment.scores,
                recommendations.is_recommendation, recommendations.confidence,
            ),
        )
        staging.write_table(
            "topics",
            outputs.topics_frame(topics.topics, topics.centroids, topics.topic_ids, sentiment.scores, quotes),
        )
        staging.write_table("section_sentiment", outputs.sections_frame(sentiment.sections))
        staging.write_table(
            "topic_section_sentiment",
            outputs.records_frame(sentiment.topic_sections, pipeline.TOPIC_SECTION_COLUMNS),
        )
        staging.write_table("recommendations", outputs.recommendations_frame(recommendations.candidates))
        if topics.fit is not None:
            outputs.write_model(staging, topics.fit, model.get("path"))
            (staging.path / "topic_model" / "stable_topic_ids.json").write_text(
                _stable_ids_json(topics), encoding="utf-8"
            )
            if topics.layout is not None:
                pd.DataFrame(
                    {"quote_id": [q.quote_id for q in quotes], "layout": topics.layout.tolist()}
                ).to_parquet(staging.path / pipeline.LAYOUT_FILE, index=False)
        staging.write_json(
            MANIFEST,
            {
                "run_id": run_id,
                "run_number": run_number,
                "started_at": started_at,
                "fingerprint": fingerprint,
                "inputs": [
                    {"file": r.file, "sha256": r.sha256, "status": r.status, "error": r.error, "format": r.format}
                    for r in ingested.inputs
                ],
                "documents": [
                    {"file": d.source_file, "format": d.format, "responses": len(d.responses), **d.metadata}
                    for d in ingested.documents
                ],
                "counts": {
                    "documents": len(ingested.documents),
                    "responses": len({q.response_id for q in quotes}),
                    "quotes": len(quotes),
                    "duplicate_quotes": sum(q.duplicate_of is not None for q in quotes),
                    "new_quotes_embedded": new_quotes_embedded,
                    "topics": len(topics.topics),
                    "recommendations": len(recommendations.candidates),
                    "input_errors": sum(r.status == "error" for r in ingested.inputs),
                },
                "model": {k: str(v) for k, v in model.items()},
                "versions": pipeline.versions(),
                "seed": config.seed,
                "next_topic_id": topics.next_topic_id,
                "quality": topics.quality,
                "timings": timings,
                "config": {
                    "raw_dir": str(config.raw_dir),
                    "out_dir": str(config.out_dir),
                    "merge_threshold": config.merge_threshold,
                    "topic_match_threshold": config.topic_match_threshold,
                    "quotes": asdict(config.quotes),
                    "topics": asdict(config.topics),
                },
            },
        )
    return out_dir


def _stable_ids_json(topics: pipeline.TopicResult) -> str:
    """Map from the saved BERTopic model's own topic numbers to the stable topic ids."""
    import json

    mapping = {str(k): v for k, v in sorted(topics.model_topic_ids.items())}
    return json.dumps({"bertopic_topic_to_topic_id": mapping}, indent=2)


def run_pipeline(config: PipelineConfig | None = None, force: bool = False) -> RunSummary:
    """Run every stage in order, in this process, and write the outputs atomically.

    Args:
        config: run settings; defaults to ``data/raw`` into ``data/processed``.
        force: re-analyse even if inputs and settings are unchanged since the last run.
    """
    config = config or PipelineConfig()
    timer = pipeline.Timer()
    started_at = pipeline.utc_now()

    t = time.perf_counter()
    embedder = pipeline.build_embedder(config)
    previous = pipeline.load_previous(Path(config.out_dir))
    fingerprint = pipeline.fingerprint_inputs(Path(config.raw_dir), config, embedder.model_sha256)
    run_number, run_id = run_identity(previous, fingerprint)
    timer.record("check", t)
    if not force and (skipped := unchanged_since_last_run(previous, fingerprint, config, timer.timings)):
        return skipped

    t = time.perf_counter()
    ingested = pipeline.ingest(config)
    timer.record("ingest", t)
    t = time.perf_counter()
    quotes = pipeline.make_quotes(ingested, config)
    timer.record("quotes", t)
    t = time.perf_counter()
    vectors, new = pipeline.embed_quotes(quotes, embedder)
    timer.record("embed", t)
    t = time.perf_counter()
    topics = pipeline.model_topics(quotes, vectors, embedder, previous, run_id, config)
    timer.record("topics", t)
    t = time.perf_counter()
    heads_in = pipeline.head_vectors(quotes, vectors, embedder)
    sentiment = pipeline.summarise_sentiment(
        quotes, pipeline.score_sentiment(quotes, heads_in), topics.topic_ids, config
    )
    timer.record("sentiment", t)
    t = time.perf_counter()
    recs = pipeline.find_recommendations(quotes, heads_in, topics.topic_ids, config)
    timer.record("recommendations", t)
    t = time.perf_counter()
    write_run(
        config, run_id=run_id, run_number=run_number, started_at=started_at, fingerprint=fingerprint,
        model=pipeline.model_record(embedder),
        ingested=ingested, quotes=quotes, new_quotes_embedded=new, topics=topics,
        sentiment=sentiment, recommendations=recs, timings=timer.timings,
    )
    timer.record("write", t)
    return finished(run_id, config, ingested, quotes, new, topics, recs, timer.timings)
