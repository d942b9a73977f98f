"""Recommendation candidates: detected quotes, merged across responses and ranked."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nlp.schemas import Quote, Recommendation

__all__ = ["MERGE_THRESHOLD", "SCORE_WEIGHTS", "build_candidates", "recommendation_id", "score_candidate"]

MERGE_THRESHOLD = 0.85
"""Cosine similarity (all-MiniLM-L6-v2) at or above which two recommendations are the same one.

Paraphrases of one request ("OCP should engage more with politicians" / "OCP needs to engage
politicians more") score 0.9 and above; at 0.80, different requests in the same frame already
merge ("... engage more with politicians" / "... with civil society" is 0.82).
"""

SCORE_WEIGHTS = (0.5, 0.3, 0.2)
"""Weights of support, classifier confidence and topic prevalence in ``score``; they sum to 1."""


@dataclass(frozen=True)
class _Member:
    index: int
    quote: Quote
    confidence: float


def recommendation_id(quote_ids: Sequence[str]) -> str:
    """Stable id of a candidate: a hash of its member quote ids, in any order."""
    digest = hashlib.sha256("\n".join(sorted(quote_ids)).encode("utf-8")).hexdigest()
    return f"rec-{digest[:16]}"


def score_candidate(support: int, confidence: float, topic_share: float, n_responses: int) -> float:
    """Rank score in [0, 1] of one candidate.

    ``score = 0.5 * log(1 + support) / log(1 + n_responses) + 0.3 * confidence + 0.2 * topic_share``

    where ``support`` is the number of distinct responses behind the candidate, ``n_responses``
    the number of distinct responses in the run (so the first term is 1 when everyone says it),
    ``confidence`` the classifier's probability for the candidate's representative quote, and
    ``topic_share`` the share of the run's responses with at least one quote in the candidate's
    topic (0 for the outlier topic -1). The log makes the second and third supporter count more
    than the tenth. The score rises strictly with support when the other terms are fixed.
    """
    support_term = math.log1p(support) / math.log1p(max(n_responses, support, 1))
    w_support, w_confidence, w_topic = SCORE_WEIGHTS
    raw = w_support * support_term + w_confidence * confidence + w_topic * topic_share
    return round(min(1.0, max(0.0, raw)), 6)


def _check_lengths(quotes: Sequence[Quote], embeddings: np.ndarray, *others: Sequence) -> None:
    n = len(quotes)
    if embeddings.ndim != 2 or embeddings.shape[0] != n:
        raise ValueError(f"embeddings of shape {embeddings.shape} do not match {n} quotes")
    for other in others:
        if len(other) != n:
            raise ValueError(f"got {len(other)} values for {n} quotes; all inputs must align")


def _cluster(members: list[_Member], vectors: np.ndarray, threshold: float) -> list[list[_Member]]:
    """Greedy complete-linkage grouping, in input order, at most one member per response.

    Complete linkage (every pair above the threshold) keeps chains of loosely related requests
    from collapsing into one; one member per response keeps support equal to the group size and
    leaves an interviewee who repeats themselves as separate candidates.

    A group can take a member only if every one of its members is above the threshold with it,
    so only groups holding an above-threshold neighbour are examined, in creation order; the
    result is that of trying every group, without the quadratic loop (100k quotes: minutes).
    """
    groups: list[list[_Member]] = []
    group_of: list[int] = []
    for position, (member, neighbours) in enumerate(zip(members, _earlier_neighbours(members, vectors, threshold))):
        best, best_sim = None, threshold
        for g in sorted({group_of[j] for j in neighbours}):
            group = groups[g]
            if any(m.quote.response_id == member.quote.response_id for m in group):
                continue
            sim = min(float(vectors[member.index] @ vectors[m.index]) for m in group)
            if sim >= best_sim and (best is None or sim > best_sim):
                best, best_sim = g, sim
        if best is None:
            groups.append([member])
            group_of.append(len(groups) - 1)
        else:
            groups[best].append(member)
            group_of.append(best)
    return groups


def _earlier_neighbours(
    members: list[_Member], vectors: np.ndarray, threshold: float, block: int = 1024
) -> list[np.ndarray]:
    """For each member, the positions of earlier members at cosine >= ``threshold``."""
    if not members:
        return []
    rows = np.asarray(vectors[[m.index for m in members]], dtype=np.float32)
    out: list[np.ndarray] = []
    for start in range(0, len(rows), block):
        sims = rows[start : start + block] @ rows[: start + block].T
        for offset, row in enumerate(sims):
            position = start + offset
            # float32 products can land a hair below the float64 value the group test uses.
            out.append(np.flatnonzero(row[:position] >= threshold - 1e-5))
    return out


def topic_shares(
    quotes: Sequence[Quote], topic_ids: Sequence[int], who: Callable[[Quote], str] = lambda q: q.response_id
) -> tuple[dict[int, float], int]:
    """Share of people (``who``: responses by default) with a quote in each topic (0 for outliers), and their number."""
    by_topic: dict[int, set[str]] = {}
    everyone: set[str] = set()
    for quote, topic in zip(quotes, topic_ids):
        if quote.duplicate_of is not None:
            continue
        person = who(quote)
        everyone.add(person)
        by_topic.setdefault(int(topic), set()).add(person)
    n = len(everyone)
    return {t: (len(r) / n if n and t != -1 else 0.0) for t, r in by_topic.items()}, n


def build_candidates(
    quotes: Sequence[Quote],
    embeddings: np.ndarray,
    is_rec: Sequence[bool],
    confidence: Sequence[float],
    topic_ids: Sequence[int],
    merge_threshold: float = MERGE_THRESHOLD,
) -> list[Recommendation]:
    """Turn the quotes detected as recommendations into ranked, merged candidates.

    Each detected quote becomes a candidate carrying its ``section`` and ``topic_id``. Detected
    quotes from different responses whose embeddings all have cosine similarity of at least
    ``merge_threshold`` (default ``MERGE_THRESHOLD`` = 0.85) with one another merge into one
    candidate. Its text, quote, section and topic are those of its most confident member.
    Quotes with ``duplicate_of`` set are repeats of a quote already counted and are left out, so
    they add no support.

    ``support`` is the number of distinct responses behind a candidate. ``score`` is

    ``0.5 * log(1 + support) / log(1 + n_responses) + 0.3 * confidence + 0.2 * topic_share``

    (see ``score_candidate``). ``n_responses`` counts the distinct responses among the
    non-duplicate ``quotes``. ``confidence`` is the representative quote's classifier
    probability, and ``topic_share`` the share of those responses with a quote in the
    candidate's topic, or 0 for topic -1. Candidates come sorted by score, highest first, then
    by ``recommendation_id``.

    Args:
        quotes: all quotes of the run, aligned with the other arguments.
        embeddings: (n, d) unit-length vectors of the quotes.
        is_rec: classifier decision per quote.
        confidence: classifier probability per quote, in [0, 1].
        topic_ids: topic per quote; -1 for outliers.
        merge_threshold: cosine similarity at or above which two recommendations merge.

    Raises:
        ValueError: the inputs do not have one entry per quote.
    """
    embeddings = np.asarray(embeddings, dtype=np.float32)
    _check_lengths(quotes, embeddings, is_rec, confidence, topic_ids)
    members = [
        _Member(i, quote, float(confidence[i]))
        for i, quote in enumerate(quotes)
        if is_rec[i] and quote.duplicate_of is None
    ]
    topic_share, n_responses = topic_shares(quotes, topic_ids)
    candidates = []
    for group in _cluster(members, embeddings, merge_threshold):
        # Most confident first; input order breaks ties so the choice is reproducible.
        head = min(group, key=lambda m: (-m.confidence, m.index))
        topic = int(topic_ids[head.index])
        ordered = sorted(group, key=lambda m: m.index)
        quote_ids = tuple(m.quote.quote_id for m in ordered)
        support = len({m.quote.response_id for m in group})
        candidates.append(
            Recommendation(
                recommendation_id=recommendation_id(quote_ids),
                text=head.quote.text,
                quote_id=head.quote.quote_id,
                section=head.quote.section,
                topic_id=topic,
                support=support,
                score=score_candidate(support, head.confidence, topic_share.get(topic, 0.0), n_responses),
                quote_ids=quote_ids,
                response_ids=tuple(dict.fromkeys(m.quote.response_id for m in ordered)),
            )
        )
    return sorted(candidates, key=lambda c: (-c.score, c.recommendation_id))
