"""The pipeline's stages as plain functions, and ``run_pipeline`` to call them in order.

``flows/interview_pipeline.py`` wraps each stage in a Prefect task; this module has no
orchestrator, so notebooks, benchmarks and tests can run the same stages directly.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nlp.backends import (  # noqa: F401 - re-exported: the flow and the tests reach them here
    BACKENDS,
    _base_embedder,
    build_embedder,
    head_vectors,
    is_default_model,
    model_record,
)
from nlp.config import PipelineConfig
from nlp.embeddings import CachedEmbedder, embed_with_cache
from nlp.ingest import IngestResult, ingest_dir
from nlp.quotes import split_quotes
from nlp.schemas import Quote, Recommendation, Topic
from nlp.store import read_manifest, read_table
from nlp.topics import TopicFit, fit_topics, reassign_topics
from nlp.topics.lineage import PreviousTopic, assign_stable_ids, statuses_from_quotes
from nlp.topics.stability import TopicMemory, fit_order, keep_previous_topics, warm_layout

__all__ = [
    "PIPELINE_VERSION",
    "Previous",
    "RecommendationResult",
    "SentimentResult",
    "TopicResult",
    "build_embedder",
    "distinct_texts",
    "embed_quotes",
    "embed_texts",
    "fingerprint_inputs",
    "find_recommendations",
    "head_vectors",
    "ingest",
    "load_previous",
    "make_quotes",
    "model_topics",
    "score_sentiment",
    "summarise_sentiment",
    "vectors_for",
]

logger = logging.getLogger("nlp.pipeline")

# Bump when a change to the code changes outputs, so unchanged inputs are re-analysed.
PIPELINE_VERSION = "1"
# Per-quote UMAP coordinates of the last run, read back to warm-start the next one.
LAYOUT_FILE = "topic_model/layout.parquet"


def fingerprint_inputs(raw_dir: Path, config: PipelineConfig, model_sha256: str) -> str:
    """Hash of everything that decides the outputs: input bytes, settings, model, code version.

    Reads every input file in binary; nothing is written.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(raw_dir).rglob("*") if p.is_file()):
        rel = path.relative_to(raw_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        digest.update(str(rel).encode())
        with path.open("rb") as fh:
            digest.update(hashlib.file_digest(fh, "sha256").digest())
    settings = {
        "backend": config.backend,
        "seed": config.seed,
        "text_column": config.text_column,
        "max_file_mb": config.max_file_mb,
        "merge_threshold": config.merge_threshold,
        "topic_match_threshold": config.topic_match_threshold,
        "quotes": repr(config.quotes),
        "topics": repr(config.topics),
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    digest.update(model_sha256.encode())
    digest.update(PIPELINE_VERSION.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Previous:
    """What the last successful run left: its manifest and its topics."""

    manifest: dict[str, Any] | None
    topics: tuple[PreviousTopic, ...] = ()
    memory: TopicMemory = field(default_factory=TopicMemory)

    @property
    def run_number(self) -> int:
        return int((self.manifest or {}).get("run_number", 0))

    @property
    def next_topic_id(self) -> int:
        return int((self.manifest or {}).get("next_topic_id", 0))

    @property
    def fingerprint(self) -> str | None:
        return (self.manifest or {}).get("fingerprint")


def load_previous(out_dir: Path) -> Previous:
    """Read the last run's manifest, topics and per-quote layout; a first run gets an empty record."""
    manifest = read_manifest(out_dir)
    if manifest is None:
        return Previous(None)
    try:
        frame = read_table(out_dir, "topics")
        quotes = read_table(out_dir, "quotes")[["quote_id", "topic_id"]]
    except FileNotFoundError:
        return Previous(manifest)
    topics = tuple(
        PreviousTopic(int(r.topic_id), np.asarray(r.centroid, dtype=np.float32), str(r.first_seen_run))
        for r in frame.itertuples()
        if r.centroid is not None and len(r.centroid)
    )
    layout_path = Path(out_dir) / LAYOUT_FILE
    layout = {}
    if layout_path.is_file():
        table = pd.read_parquet(layout_path)
        layout = {q: np.asarray(v, dtype=np.float64) for q, v in zip(table.quote_id, table.layout)}
    memory = TopicMemory(
        layout,
        dict(zip(quotes.quote_id, quotes.topic_id.astype(int))),
        {q: i for i, q in enumerate(quotes.quote_id)},
    )
    return Previous(manifest, topics, memory)


def ingest(config: PipelineConfig) -> IngestResult:
    """Read every input file; bad files are recorded, never fatal."""
    return ingest_dir(
        Path(config.raw_dir),
        max_bytes=int(config.max_file_mb * 2**20),
        text_column=config.text_column,
    )


def make_quotes(result: IngestResult, config: PipelineConfig) -> list[Quote]:
    """Split the documents' responses into quotes."""
    return split_quotes(result.documents, config=config.quotes)


def embed_quotes(quotes: Sequence[Quote], embedder: CachedEmbedder) -> tuple[np.ndarray, int]:
    """Vectors for the quotes; only texts missing from the cache are computed."""
    return embed_texts([q.text for q in quotes], embedder)


def embed_texts(texts: Sequence[str], embedder: CachedEmbedder) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` through the cache, and how many were newly computed."""
    return embed_with_cache(texts, embedder.embedder, embedder.cache)


def distinct_texts(quotes: Sequence[Quote]) -> list[str]:
    """Each quote text once, in first-seen order: the unit of embedding work to spread."""
    return list(dict.fromkeys(q.text for q in quotes))


def vectors_for(quotes: Sequence[Quote], texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    """Rows of ``vectors`` (aligned with distinct ``texts``) in the order of ``quotes``."""
    row = {t: i for i, t in enumerate(texts)}
    return vectors[[row[q.text] for q in quotes]] if quotes else vectors[:0]


@dataclass
class TopicResult:
    """Topics with stable ids, and each quote's stable topic id (in the run's quote order).

    Attributes:
        layout: each quote's UMAP coordinates, to warm-start the next run.
        model_topic_ids: the saved BERTopic model's own topic number -> stable id.
    """

    topics: list[Topic]
    topic_ids: list[int]
    centroids: dict[int, np.ndarray]
    quality: dict[str, float]
    next_topic_id: int
    layout: np.ndarray | None = field(default=None, repr=False)
    model_topic_ids: dict[int, int] = field(default_factory=dict)
    fit: TopicFit | None = field(default=None, repr=False)


def model_topics(
    quotes: Sequence[Quote],
    vectors: np.ndarray,
    embedder: CachedEmbedder,
    previous: Previous,
    run_id: str,
    config: PipelineConfig,
) -> TopicResult:
    """Fit topics on the whole corpus, then carry ids over from the previous run.

    On a rerun the fit sees old quotes first, its layout starts from the previous one, and
    old quotes keep their topic unless another is clearly closer (``nlp.topics.stability``).
    """
    topic_config = replace(config.topics, seed=config.seed)
    memory = previous.memory
    order = fit_order([q.quote_id for q in quotes], memory)
    quotes_fit = [quotes[i] for i in order]
    vectors_fit = vectors[order]
    ids_fit = [q.quote_id for q in quotes_fit]
    init = warm_layout(ids_fit, vectors_fit, memory, topic_config.n_components, config.seed)
    fit = fit_topics(quotes_fit, vectors_fit, embedder, topic_config, init_layout=init)
    lineage = assign_stable_ids(
        fit.centroids, previous.topics, previous.next_topic_id, run_id, threshold=config.topic_match_threshold
    )
    stable = lambda t: lineage.ids.get(t, -1)  # noqa: E731 - -1 stays -1
    if memory.topic_of:
        current = [stable(t) for t in fit.assignments]
        centroids = {stable(t): c for t, c in fit.centroids.items()}
        sticky = keep_previous_topics(current, ids_fit, vectors_fit, centroids, memory)
        if sticky != current:
            local = {s: t for t, s in lineage.ids.items()}
            fit = reassign_topics(fit, quotes_fit, vectors_fit, [local.get(s, -1) for s in sticky], topic_config)
    status = lineage.status
    if memory.topic_of:
        continued = {s for s, first in lineage.first_seen_run.items() if first != run_id}
        now = {q: stable(t) for q, t in zip(ids_fit, fit.assignments)}
        status = statuses_from_quotes(memory.topic_of, now, continued)
    topics = sorted(
        (
            replace(
                t,
                topic_id=stable(t.topic_id),
                first_seen_run=lineage.first_seen_run[stable(t.topic_id)],
                status=status[stable(t.topic_id)],
            )
            for t in fit.topics
        ),
        key=lambda t: t.topic_id,
    )
    back = np.argsort(order)
    return TopicResult(
        topics=topics,
        topic_ids=[stable(fit.assignments[i]) for i in back],
        centroids={stable(t): c for t, c in fit.centroids.items()},
        quality=fit.quality,
        next_topic_id=lineage.next_id,
        layout=None if fit.layout is None else fit.layout[back],
        model_topic_ids={int(t): stable(t) for t in set(fit.assignments)},
        fit=fit,
    )


@dataclass
class SentimentResult:
    scores: list[float]
    sections: list
    topic_sections: list


TOPIC_SECTION_COLUMNS = ["topic_id", "section", "n_quotes", "mean_sentiment"]


def score_sentiment(quotes: Sequence[Quote], vectors: np.ndarray) -> list[float]:
    """Sentiment in [-1, 1] per quote, from the default scorer on the bundled-model vectors."""
    from nlp.sentiment import default_scorer

    return default_scorer().score([q.text for q in quotes], embeddings=vectors)


def summarise_sentiment(
    quotes: Sequence[Quote], scores: Sequence[float], topic_ids: Sequence[int], config: PipelineConfig
) -> SentimentResult:
    """Per-section sentiment with seeded bootstrap intervals, and per topic x section means."""
    from nlp.sentiment import aggregate_sections, aggregate_topic_sections

    return SentimentResult(
        scores=list(scores),
        sections=aggregate_sections(quotes, scores, seed=config.seed),
        topic_sections=aggregate_topic_sections(quotes, scores, topic_ids),
    )


@dataclass
class RecommendationResult:
    is_recommendation: list[bool]
    confidence: list[float]
    candidates: list[Recommendation]


def find_recommendations(
    quotes: Sequence[Quote], vectors: np.ndarray, topic_ids: Sequence[int], config: PipelineConfig
) -> RecommendationResult:
    """Flag recommending quotes and merge them into ranked candidates."""
    from nlp.recommendations import build_candidates, default_head, predict_proba

    texts = [q.text for q in quotes]
    head = default_head()
    confidence = predict_proba(texts, embeddings=vectors) if texts else []
    flags = [p >= head.threshold for p in confidence]
    candidates = build_candidates(
        quotes, vectors, flags, confidence, topic_ids, merge_threshold=config.merge_threshold
    )
    return RecommendationResult(flags, confidence, candidates)


def versions() -> dict[str, str]:
    """Versions of the packages that shape the outputs."""
    out = {"python": platform.python_version(), "pipeline": PIPELINE_VERSION}
    for pkg in ("bertopic", "sentence-transformers", "torch", "umap-learn", "scikit-learn", "spacy", "prefect"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Timer:
    """Seconds spent per stage, for the manifest."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def record(self, stage: str, started: float) -> None:
        self.timings[stage] = round(self.timings.get(stage, 0.0) + time.perf_counter() - started, 3)
