"""The pipeline's stages as plain functions over typed records.

``nlp.sequence`` calls them in order (the one place that does), with the stages that have modules of
their own (``nlp.attributes``, ``nlp.theme_stage``, ``nlp.sentiment_stage``); each stage takes the records of
the stages before it and the run's ``LoadedModels``, and returns a record. A stage whose result
adds columns to ``quotes.parquet`` gives them in its ``quote_columns()``; one that writes tables
of its own gives them in ``output_tables(run)`` (see ``nlp.outputs``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from nlp import tables
from nlp.analysable import analysable, respondents_per_topic
from nlp.config import PipelineConfig, fingerprint_settings
from nlp.embeddings import embed_with_cache
from nlp.guards import topics_note
from nlp.ingest import IngestResult, ingest_dir, is_hidden, walk_raw
from nlp.loaded import LoadedModels
from nlp.previous import Previous
from nlp.incremental import recommendation_confidence, split_and_annotate, with_remembered_terms
from nlp.schemas import Quote, Recommendation, Topic
from nlp.topics import TopicFit, fit_topics, reassign_topics
from nlp.topics.lineage import assign_stable_ids, statuses_from_quotes
from nlp.topics.stability import LayoutPlan, fit_order, keep_previous_topics, plan_layout

logger = logging.getLogger("nlp.pipeline")

__all__ = [
    "PIPELINE_VERSION",
    "EmbeddedBatch",
    "Embedding",
    "RecommendationResult",
    "TopicResult",
    "distinct_texts",
    "embed_batch",
    "fingerprint_inputs",
    "find_recommendations",
    "ingest",
    "join_batches",
    "make_quotes",
    "model_topics",
]

# Bump when a change to the code changes outputs, so unchanged inputs are re-analysed.
PIPELINE_VERSION = "23"


def fingerprint_inputs(raw_dir: Path, config: PipelineConfig, model_sha256: str) -> str:
    """Hash of everything that decides the outputs: input bytes, settings, model, code version.

    The settings are the whole config minus ``nlp.config.RESULT_NEUTRAL``. Reads every input
    file in binary; nothing is written.
    """
    digest = hashlib.sha256()
    root = Path(raw_dir).resolve()
    # The files ingest reads (nlp.ingest.walk_raw): never a link's target outside the folder,
    # a FIFO (which would block) or a hidden file.
    for path in sorted(walk_raw(Path(raw_dir))):
        rel = path.relative_to(raw_dir)
        if is_hidden(rel) or path.is_symlink():
            digest.update(f"{rel}->{path.resolve()}".encode() if path.is_symlink() else b"")
            continue
        if not path.is_file() or not path.resolve().is_relative_to(root):
            continue
        digest.update(str(rel).encode())
        with path.open("rb") as fh:
            digest.update(hashlib.file_digest(fh, "sha256").digest())
    if config.participants is not None and Path(config.participants).is_file():
        # Editing the participants file changes the outputs as much as editing an interview.
        digest.update(hashlib.sha256(Path(config.participants).read_bytes()).digest())
    digest.update(json.dumps(fingerprint_settings(config), sort_keys=True).encode())
    if config.curation is not None:
        # The decisions, not the file's name, decide the themes: an edited file re-analyses.
        from nlp.curated_topics import curation_sha256

        digest.update(curation_sha256(Path(config.curation)).encode())
    digest.update(model_sha256.encode())
    digest.update(PIPELINE_VERSION.encode())
    return digest.hexdigest()


def ingest(config: PipelineConfig) -> IngestResult:
    """Read every input file; bad files are recorded, never fatal."""
    return ingest_dir(
        Path(config.raw_dir),
        max_bytes=int(config.max_file_mb * 2**20),
        text_column=config.text_column,
        id_column=config.id_column,
        log_records=False,  # the stage sequence reports every input record (in the flow's log too)
    )


def make_quotes(result: IngestResult, config: PipelineConfig) -> tuple[IngestResult, list[Quote]]:
    """Split the documents' responses into quotes, one failing file at a time, each quote
    judged substantive or not and given its language (``nlp.analysable``).

    Returns:
        The ingest result with each file whose quotes could not be made turned into an
        ``error`` input (and its document dropped), and the quotes of the others.
    """
    # One file at a time through the stage cache: a rerun splits and judges only new files.
    split = split_and_annotate(result.documents, config)
    if split.errors:
        inputs = tuple(
            replace(r, status="error", error=split.errors[r.file]) if r.file in split.errors else r
            for r in result.inputs
        )
        documents = tuple(d for d in result.documents if d.source_file not in split.errors)
        result = IngestResult(documents, inputs)
    return result, list(split.quotes)


def distinct_texts(quotes: Sequence[Quote]) -> list[str]:
    """Each quote text once, in first-seen order: the unit of embedding work to spread."""
    return list(dict.fromkeys(q.text for q in quotes))


@dataclass(frozen=True)
class EmbeddedBatch:
    """Vectors of one batch of distinct texts.

    Attributes:
        vectors: from the run's model, one row per text.
        head_vectors: from the bundled model when the run's model differs (``LoadedModels``),
            else ``None``: the run's vectors feed the heads.
        new: texts that were not in the cache yet.
    """

    vectors: np.ndarray = field(repr=False)
    head_vectors: np.ndarray | None = field(repr=False)
    new: int


def embed_batch(texts: Sequence[str], models: LoadedModels) -> EmbeddedBatch:
    """Embed one batch of distinct texts through the on-disk cache; idempotent, so retryable."""
    texts = list(texts)
    embedder = models.embedder
    vectors, new = embed_with_cache(texts, embedder.embedder, embedder.cache)
    head = None if models.head_embedder is None else models.head_vectors(texts, vectors)
    return EmbeddedBatch(vectors, head, new)


@dataclass(frozen=True)
class Embedding:
    """Every quote's vectors, in quote order, and how many texts were newly embedded."""

    vectors: np.ndarray = field(repr=False)
    head_vectors: np.ndarray = field(repr=False)
    new: int


def join_batches(quotes: Sequence[Quote], texts: Sequence[str], batches: Sequence[EmbeddedBatch]) -> Embedding:
    """Vectors of the distinct ``texts`` (embedded in ``batches``) laid out in the order of ``quotes``."""
    row = {t: i for i, t in enumerate(texts)}
    order = [row[q.text] for q in quotes]
    vectors = np.concatenate([b.vectors for b in batches])[order]
    head = vectors
    if any(b.head_vectors is not None for b in batches):
        head = np.concatenate([b.head_vectors for b in batches])[order]
    return Embedding(vectors, head, sum(b.new for b in batches))


@dataclass
class TopicResult:
    """Topics with stable ids, and each quote's stable topic id (in the run's quote order).

    Attributes:
        layout: UMAP coordinates of the fitted quotes, in fit order (``fitted_quote_ids``), for the next run.
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
    # The quotes the topic model saw (the analysable ones), in the order of ``layout``'s rows.
    fitted_quote_ids: list[str] = field(default_factory=list)
    plan: LayoutPlan | None = field(default=None, repr=False)  # what the fit read and which rows it placed
    # Topics a curation merged away or made noise (nlp.curated_topics), for the next run's lineage.
    retired: tuple = field(default=(), repr=False)
    # Why there are no topics, when the corpus was too small for them (nlp.guards).
    note: str | None = None

    def quote_columns(self) -> Mapping[str, Sequence]:
        return {"topic_id": self.topic_ids}

    def output_tables(self, run) -> Mapping[tables.Table, pd.DataFrame]:
        """``topics.parquet``, with mean sentiment over each topic's distinct quotes, and the layout."""
        frame = tables.records_frame(
            self.topics, tables.TOPICS,
            mean_sentiment=[None] * len(self.topics),
            centroid=[self.centroids[t.topic_id].astype(np.float32).tolist() for t in self.topics],
        )
        per_quote = pd.DataFrame({"topic_id": list(self.topic_ids), "sentiment": list(run.sentiment.scores)})
        distinct = [q.duplicate_of is None for q in run.quotes]
        means = per_quote[distinct].groupby("topic_id")["sentiment"].mean()
        frame["mean_sentiment"] = frame["topic_id"].map(means).astype("float64")
        out = {tables.TOPICS: frame}
        if self.retired:
            out[tables.TOPIC_LINEAGE] = tables.records_frame(
                self.retired, tables.TOPIC_LINEAGE, centroid=[r.centroid.astype(np.float32).tolist() for r in self.retired]
            )
        if self.fit is not None and self.layout is not None and self.plan is not None:
            layout = {"quote_id": self.fitted_quote_ids, "layout": self.layout.tolist(), "fit_key": self.plan.key}
            layout.update(placed=self.plan.placed, topic_id=self.plan.topics)
            out[tables.LAYOUT] = pd.DataFrame(layout)
        return out


def model_topics(
    quotes: Sequence[Quote],
    vectors: np.ndarray,
    models: LoadedModels,
    previous: Previous,
    run_id: str,
    config: PipelineConfig,
) -> TopicResult:
    """Fit topics on the analysable quotes, then carry ids over from the previous run.

    Only substantive quotes in a language the model can place are fitted (``nlp.analysable``);
    the others keep topic -1. On a rerun the fit sees old quotes first, its layout starts from
    the previous one, and old quotes keep their topic unless another is clearly closer
    (``nlp.topics.stability``). Each topic counts its distinct respondents.
    """
    everyone = quotes
    kept = [i for i, ok in enumerate(analysable(quotes)) if ok]
    quotes = [quotes[i] for i in kept]
    if note := topics_note(quotes):
        # Too little text to cluster: every quote is an outlier, and the run says why.
        logger.warning("%s", note)
        return TopicResult([], [-1] * len(everyone), {}, {}, previous.next_topic_id, note=note)
    topic_config = replace(config.topics, seed=config.seed)
    memory = previous.memory
    order = fit_order([q.quote_id for q in quotes], memory)
    quotes_fit, vectors_fit = [quotes[i] for i in order], vectors[np.asarray(kept, dtype=np.intp)[order]]
    ids_fit = [q.quote_id for q in quotes_fit]
    plan = plan_layout(quotes_fit, vectors_fit, memory, topic_config)  # reuse, place new quotes, or fit UMAP
    fit = with_remembered_terms(  # a rerun always reassigns below, which computes the keywords
        config, quotes_fit, fit_topics, quotes_fit, vectors_fit, models.embedder, topic_config,
        init_layout=plan.init, fine_tune=not memory.topic_of, layout=plan.layout, kept_topics=plan.kept_topics,
    )
    lineage = assign_stable_ids(
        fit.centroids, previous.topics, previous.next_topic_id, run_id, threshold=config.topic_match_threshold
    )
    stable = lambda t: lineage.ids.get(t, -1)  # noqa: E731 - -1 stays -1
    if memory.topic_of:
        current = [stable(t) for t in fit.assignments]
        centroids = {stable(t): c for t, c in fit.centroids.items()}
        sticky = keep_previous_topics(current, ids_fit, vectors_fit, centroids, memory, plan.sticky_margin)
        local = {s: t for t, s in lineage.ids.items()}
        fit = with_remembered_terms(
            config, quotes_fit, reassign_topics,
            fit, quotes_fit, vectors_fit, [local.get(s, -1) for s in sticky], topic_config,
        )
    status = lineage.status
    if memory.topic_of:
        continued = {s for s, first in lineage.first_seen_run.items() if first != run_id}
        now = {q: stable(t) for q, t in zip(ids_fit, fit.assignments)}
        status = statuses_from_quotes(memory.topic_of, now, continued)
    back = np.argsort(order)
    topic_ids = [-1] * len(everyone)
    for i, j in zip(kept, back):
        topic_ids[i] = stable(fit.assignments[j])
    people = respondents_per_topic(everyone, topic_ids)
    topics = sorted(
        (
            replace(
                t,
                topic_id=stable(t.topic_id),
                first_seen_run=lineage.first_seen_run[stable(t.topic_id)],
                status=status[stable(t.topic_id)],
                n_respondents=people.get(stable(t.topic_id), 0),
            )
            for t in fit.topics
        ),
        key=lambda t: t.topic_id,
    )
    return TopicResult(
        topics=topics,
        topic_ids=topic_ids,
        centroids={stable(t): c for t, c in fit.centroids.items()},
        quality=fit.quality,
        next_topic_id=lineage.next_id,
        layout=fit.layout,  # in fit order: the next run fits old quotes in this order
        model_topic_ids={int(t): stable(t) for t in set(fit.assignments)}, fit=fit,
        fitted_quote_ids=ids_fit, plan=replace(plan, topics=tuple(stable(t) for t in fit.assignments)),
    )


@dataclass
class RecommendationResult:
    """Which quotes recommend something, how confidently, and the asks they group into."""

    is_recommendation: list[bool]
    confidence: list[float]
    candidates: list[Recommendation]

    def quote_columns(self) -> Mapping[str, Sequence]:
        return {"is_recommendation": self.is_recommendation, "recommendation_confidence": self.confidence}

    def output_tables(self, run) -> Mapping[tables.Table, pd.DataFrame]:
        return {tables.RECOMMENDATIONS: tables.records_frame(self.candidates, tables.RECOMMENDATIONS)}


def find_recommendations(
    quotes: Sequence[Quote],
    head_vectors: np.ndarray,
    topic_ids: Sequence[int],
    models: LoadedModels,
    config: PipelineConfig,
) -> RecommendationResult:
    """Flag recommending quotes and group them into asks, ranked by support.

    A quote that is not analysable (``nlp.analysable``) keeps its confidence but is never
    flagged, and asks are built from analysable quotes only, so such a quote makes no ask and
    adds no support. Talk about the conversation itself ("go for it", "let me know") is scored
    out of each quote, and dash-joined parts are scored alone (``recommendations.clauses``).
    """
    from nlp.recommendations import build_asks, document_confidence, predict_proba
    from nlp.recommendations.clauses import rescore_quotes

    # Ask spans and talk-free texts are embedded in the heads' vector space (the thresholds' model).
    embedder = models.head_embedder or models.embedder
    embed = lambda xs: embed_with_cache(list(xs), embedder.embedder, embedder.cache)[0]  # noqa: E731
    score = lambda head: lambda xs: predict_proba(xs, embeddings=embed(xs), head=head)  # noqa: E731
    scored = lambda head, rows: recommendation_confidence(  # noqa: E731 - per file, cached; talk out, dash parts alone
        [quotes[i] for i in rows], np.asarray(head_vectors)[rows], head, config,
        lambda t, p: rescore_quotes(t, p, score(head)))
    ok = analysable(quotes)  # per file: the head alone decides, or the tuned model where requests are rare
    confidence, bars = document_confidence(models.recommendation_head, scored, [q.source_file for q in quotes], ok)
    flags = [p >= bar and keep for p, bar, keep in zip(confidence, bars, ok)]
    kept = [i for i, keep in enumerate(ok) if keep]
    asks = build_asks(
        [quotes[i] for i in kept],
        np.asarray(head_vectors)[kept],
        [flags[i] for i in kept],
        [confidence[i] for i in kept],
        [topic_ids[i] for i in kept],
        embed=embed,
        threshold=config.ask_threshold,
    )
    return RecommendationResult(flags, confidence, asks)
