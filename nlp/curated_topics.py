"""The curation step of a run: a researcher's decisions applied to the topic stage's result.

Runs right after the topic stage (``nlp.sequence``), so sentiment, recommendations and every
table see the curated themes. ``nlp.curation`` holds the decisions and their pure application;
this module fits them to the run: it refits splits on the quotes' vectors
(``nlp.theme_split``), keeps ids stable across reruns, and keeps what the next run's topic
lineage needs.

Ids across reruns. The next run's topic model knows nothing of the curation: it finds the
machine's topics again and the lineage matches them to the last run's topics by centroid. So a
curated topic keeps the centroid of the machine topic it continues (a merge keeps the first
id's own centroid), and a topic merged away is remembered in ``topic_lineage.parquet`` with
its centroid; the machine's topic that continues it then gets its old id again and the merge
applies again. Sub-themes of a split take the id of the last run's sub-theme they match by
centroid, so they keep their ids too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from nlp.curation import RESEARCHER, Curation, apply_curation, load_curation
from nlp.parent_curation import ParentDecisions, split_curation
from nlp.schemas import Quote

__all__ = ["CurationRecord", "RetiredTopic", "curate_topics", "curation_sha256"]


@dataclass(frozen=True)
class CurationRecord:
    """What the manifest says about the curation: the file, its hash, the decisions skipped."""

    file: str
    sha256: str
    problems: tuple[str, ...] = ()
    researcher_labels: int = 0
    # The decisions about top-level themes, applied by the themes stage (nlp.theme_stage).
    parents: ParentDecisions = field(default_factory=ParentDecisions)

    def manifest_entry(self) -> dict:
        return {"file": self.file, "sha256": self.sha256, "problems": list(self.problems),
                "researcher_labels": self.researcher_labels}


@dataclass(frozen=True)
class RetiredTopic:
    """A topic merged away or made noise, kept so the next run's lineage knows its id."""

    topic_id: int
    centroid: np.ndarray = field(repr=False)
    first_seen_run: str | None


def curation_sha256(path: Path | None) -> str:
    """The curation file's hash for the fingerprint; "" without one or for an unreadable one.

    An unreadable or malformed file is not refused here: the curation step refuses it with
    the reason, before anything is written.
    """
    import hashlib

    try:
        return "" if path is None else hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def curate_topics(topics, quotes: Sequence[Quote], vectors: np.ndarray, previous, run_id: str, curation_path: Path,
                  seed: int, match_threshold: float):
    """Apply the curation file to one run's ``TopicResult``.

    Args:
        topics: the topic stage's result (``nlp.pipeline.TopicResult``).
        quotes: the run's quotes, aligned with ``topics.topic_ids`` and ``vectors``.
        vectors: the quotes' embeddings.
        previous: the last run (``nlp.previous.Previous``), to keep sub-theme ids.
        run_id: this run's id.
        curation_path: the researcher's YAML file.
        seed: seeds the refit of a split.
        match_threshold: centroid similarity at which a sub-theme keeps a previous id.

    Returns:
        The curated ``TopicResult`` and the ``CurationRecord`` for the manifest.

    Raises:
        nlp.curation.CurationError: the file is missing or malformed (a stale id never raises).
    """
    from nlp.theme_split import KMeansSplitter
    from nlp.topics.lineage import assign_stable_ids

    curation: Curation = load_curation(curation_path)
    # Ids of the last run's top-level themes name decisions for the themes stage.
    curation, parent_decisions, mixed = split_curation(curation, previous.parent_quotes)
    ids = [q.quote_id for q in quotes]
    by_quote = dict(zip(ids, vectors))
    splitter = KMeansSplitter(by_quote, {q.quote_id: q.text for q in quotes}, seed=seed)
    distinct = [q for q in quotes if q.duplicate_of is None]
    responses = {q.quote_id: q.response_id for q in distinct}
    respondents = {q.quote_id: q.respondent_id for q in distinct if getattr(q, "is_substantive", True)}
    result = apply_curation(
        topics.topics, dict(zip(ids, topics.topic_ids)), curation, topics.next_topic_id, splitter, responses,
        respondents,
    )
    assignments = [int(result.assignments[q]) for q in ids]
    members: dict[int, list[int]] = {}
    for i, t in enumerate(assignments):
        members.setdefault(t, []).append(i)
    centroids = {t: c for t, c in topics.centroids.items() if t in {x.topic_id for x in result.topics}}
    new_ids = sorted(t.topic_id for t in result.topics if t.topic_id not in topics.centroids)
    remap: dict[int, int] = {}
    if new_ids:
        fresh = {t: _unit(vectors[members.get(t, [])].mean(0)) for t in new_ids if members.get(t)}
        lineage = assign_stable_ids(fresh, previous.topics, topics.next_topic_id, run_id, threshold=match_threshold)
        taken = set(centroids)
        for t, stable in lineage.ids.items():
            remap[t] = stable if stable not in taken else t
            taken.add(remap[t])
        centroids.update({remap[t]: c for t, c in fresh.items()})
    assignments = [remap.get(t, t) for t in assignments]
    first_seen = {t.topic_id: t.first_seen_run for t in topics.topics}
    curated = sorted(
        (
            replace(t, topic_id=remap.get(t.topic_id, t.topic_id), label_source=result.label_source[t.topic_id],
                    first_seen_run=first_seen.get(remap.get(t.topic_id, t.topic_id), t.first_seen_run or run_id))
            for t in result.topics
        ),
        key=lambda t: t.topic_id,
    )
    kept = {t.topic_id for t in curated}
    retired = tuple(
        RetiredTopic(t, c, first_seen.get(t)) for t, c in sorted(topics.centroids.items()) if t not in kept
    )
    # The saved BERTopic model still has the machine's topics: point merged and noise ones at
    # what they became, so its charts agree with topics.parquet.
    now = {q: t for q, t in zip(ids, assignments)}
    model_ids = {}
    for own, stable in topics.model_topic_ids.items():
        if stable in kept or stable == -1:
            model_ids[own] = stable
        else:
            targets = [now[q] for q, t in zip(ids, topics.topic_ids) if t == stable]
            model_ids[own] = max(set(targets), key=targets.count) if targets else -1
    next_id = max([topics.next_topic_id, *(t + 1 for t in kept)])
    curated_result = replace(
        topics, topics=curated, topic_ids=assignments, centroids=centroids, next_topic_id=next_id,
        model_topic_ids=model_ids, retired=retired,
    )
    record = CurationRecord(
        str(curation_path), curation.sha256, mixed + result.problems,
        sum(1 for s in result.label_source.values() if s == RESEARCHER), parent_decisions,
    )
    return curated_result, record
