"""The themes stage: after the topics (and the curation), two levels, names and theme cards.

The topics stay the sub-themes, with their stable ids and lineage; this stage groups them into a
handful of top-level themes (``parents.parquet``), names both levels with phrases from their own
quotes (``nlp.topics.naming``) and stores each theme's card quotes by id (``nlp.topics.cards``).
A theme that holds the same quotes as in the last run keeps its label (``nlp.topics.label_memory``).
A label a researcher pinned in the curation file (``label_source == "researcher"``) is kept as
it is, and no machine name repeats it. Parent ids come from the topic id counter
(``nlp.topics.hierarchy``), so the manifest's ``next_topic_id`` moves past them too and a parent
id is never a topic id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from nlp import tables
from nlp.config import PipelineConfig
from nlp.curated_topics import CurationRecord, RetiredTopic
from nlp.curation import RESEARCHER
from nlp.incremental import with_remembered_tokens
from nlp.parent_curation import ParentDecisions
from nlp.pipeline import TopicResult
from nlp.previous import Previous
from nlp.schemas import Quote
from nlp.topics.themes import ParentTheme, build_themes

__all__ = ["PreviousParent", "ThemeResult", "theme_levels", "with_parent_outcome"]


@dataclass(frozen=True)
class PreviousParent:
    """A machine-made top-level theme, as the next run reads it back."""

    parent_id: int
    quote_ids: tuple[str, ...]
    centroid: np.ndarray = field(repr=False)
    first_seen_run: str


@dataclass(frozen=True)
class ThemeResult:
    """The top-level themes of one run, written as ``parents.parquet``.

    Attributes:
        parents: the top-level themes, largest (by respondents) first.
        centroids: parent id -> unit centroid of its quotes.
    """

    parents: tuple[ParentTheme, ...] = ()
    centroids: Mapping[int, np.ndarray] = field(default_factory=dict, repr=False)
    # The machine's top level before any curation, with the quotes each held: the next run's
    # themes continue these (topic_model/parent_lineage.parquet).
    lineage: tuple[PreviousParent, ...] = ()
    # Top-level curation decisions that could not be applied.
    problems: tuple[str, ...] = ()

    def output_tables(self, run) -> Mapping[tables.Table, pd.DataFrame]:
        picks = [p.picks for p in self.parents]
        frame = tables.records_frame(
            self.parents, tables.PARENTS,
            description=[c.description for c in picks],
            description_quote_id=[c.description_quote_id for c in picks],
            evidence_quote_ids=[list(c.evidence_quote_ids) for c in picks],
            boundary_quote_id=[c.boundary_quote_id for c in picks],
            centroid=[np.asarray(self.centroids[p.parent_id], dtype=np.float32).tolist() for p in self.parents],
        )
        lineage = tables.records_frame(
            self.lineage, tables.PARENT_LINEAGE,
            centroid=[np.asarray(p.centroid, dtype=np.float32).tolist() for p in self.lineage],
        )
        return {tables.PARENTS: frame, tables.PARENT_LINEAGE: lineage}


def theme_levels(
    quotes: Sequence[Quote],
    vectors: np.ndarray,
    topics: TopicResult,
    previous: Previous,
    run_id: str,
    config: PipelineConfig,
    decisions: ParentDecisions | None = None,
) -> tuple[TopicResult, ThemeResult]:
    """Group, name and card this run's topics; the topics come back named, with their parent.

    Args:
        quotes: the run's quotes, aligned with ``vectors`` and ``topics.topic_ids``.
        vectors: their unit embeddings.
        topics: the topic stage's result, curated if the run has a curation file.
        previous: the last run, whose top-level themes this run's continue.
        run_id: this run's id.
        config: the run's settings (``topic_match_threshold``).
        decisions: the curation file's decisions about top-level themes; the quotes of a
            top-level theme made noise leave the themes (topic -1), like a sub-theme's.
    """
    if not topics.topics:
        return topics, ThemeResult()
    pinned = {t.topic_id: t.label for t in topics.topics if t.label_source == RESEARCHER}
    themes = with_remembered_tokens(  # naming reads old quotes from the stage cache (nlp.incremental)
        config, [q.text for q in quotes], build_themes,
        quotes, vectors, topics.topic_ids, topics.topics,
        previous_parents=previous.parents, next_id=topics.next_topic_id, run_id=run_id,
        match_threshold=config.topic_match_threshold, previous_quotes=previous.parent_quotes, pinned=pinned, decisions=decisions,
        previous_labels=previous.labels,
    )
    named = _without(replace(topics, topics=list(themes.topics), next_topic_id=themes.next_id), themes.noise_topics)
    hierarchy = themes.hierarchy
    lineage = tuple(
        PreviousParent(
            p, tuple(q.quote_id for q, t in zip(quotes, topics.topic_ids) if hierarchy.parent_of.get(t) == p),
            hierarchy.centroids[p], hierarchy.lineage.first_seen_run[p],
        )
        for p in sorted(hierarchy.centroids)
    )
    centroids = {p.parent_id: _unit(vectors[np.isin(named.topic_ids, p.topic_ids)]) for p in themes.parents}
    return named, ThemeResult(themes.parents, centroids, lineage, themes.problems)


def with_parent_outcome(record: CurationRecord, themes: ThemeResult) -> CurationRecord:
    """The curation's manifest record with the top-level decisions' problems and pinned labels."""
    pinned = sum(p.label_source == RESEARCHER for p in themes.parents)
    return replace(record, problems=record.problems + themes.problems, researcher_labels=record.researcher_labels + pinned)


def _unit(vectors: np.ndarray) -> np.ndarray:
    c = vectors.mean(axis=0)
    return (c / (np.linalg.norm(c) or 1.0)).astype(np.float32)


def _without(topics: TopicResult, noise: frozenset[int]) -> TopicResult:
    """``topics`` with the sub-themes in ``noise`` made outliers, remembered for the next run's
    lineage as a curation's noise topics are (``nlp.curated_topics``)."""
    if not noise:
        return topics
    first_seen = {t.topic_id: t.first_seen_run for t in topics.topics}
    return replace(
        topics,
        topics=[t for t in topics.topics if t.topic_id not in noise],
        topic_ids=[-1 if t in noise else t for t in topics.topic_ids],
        centroids={t: c for t, c in topics.centroids.items() if t not in noise},
        model_topic_ids={k: -1 if t in noise else t for k, t in topics.model_topic_ids.items()},
        retired=(*topics.retired, *(RetiredTopic(t, topics.centroids[t], first_seen.get(t)) for t in sorted(noise))),
    )
