"""Two-level themes from fitted topics: top-level themes, names and card quotes for both levels.

``build_themes`` runs after the topic stage has given every quote its stable topic id. It
groups the topics (the sub-themes) into top-level themes (``nlp.topics.hierarchy``), names every
theme of both levels with a unique phrase from its own quotes (``nlp.topics.naming``), and picks
each theme's card quotes (``nlp.topics.cards``). Nothing here refits or moves a quote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from nlp.parent_curation import ParentDecisions, curate_parents
from nlp.schemas import Quote, Topic
from nlp.topics.cards import CardPicks, pick_card_quotes, respondent_of
from nlp.topics.hierarchy import Hierarchy, build_hierarchy
from nlp.topics.label_memory import PreviousLabel, kept_labels
from nlp.topics.lineage import PreviousTopic
from nlp.topics.naming import PhraseTokenizer, name_themes, ranked_keywords

__all__ = ["ParentTheme", "Themes", "build_themes"]


@dataclass(frozen=True)
class ParentTheme:
    """A top-level theme: a group of sub-themes (topics)."""

    parent_id: int
    label: str
    keywords: tuple[str, ...]
    topic_ids: tuple[int, ...]
    size: int
    n_responses: int
    n_respondents: int
    first_seen_run: str
    status: str
    picks: CardPicks
    label_source: str = "machine"


@dataclass(frozen=True)
class Themes:
    """Both levels of one run.

    Attributes:
        parents: top-level themes, largest (by respondents, then quotes) first.
        topics: the sub-themes with their new labels, in the order given.
        parent_of: topic id -> parent id.
        picks: topic id -> its card quotes.
        hierarchy: the machine's top level before any curation: centroids and lineage (to
            persist for the next run).
        next_id: the id counter after topics and parents took theirs.
        noise_topics: sub-themes of a top-level theme the curation made noise: unnamed, and
            their quotes are to leave the themes.
        problems: top-level curation decisions that could not be applied.
    """

    parents: tuple[ParentTheme, ...]
    topics: tuple[Topic, ...]
    parent_of: dict[int, int]
    picks: dict[int, CardPicks]
    hierarchy: Hierarchy
    next_id: int
    noise_topics: frozenset[int] = frozenset()
    problems: tuple[str, ...] = ()


def _merged_keywords(children: Sequence[Topic]) -> tuple[str, ...]:
    """All the children's keywords, the larger child's first, each once.

    Naming ranks them by their distinctiveness for the parent's own quotes
    (``naming.rank_keywords``); the parent keeps its first ten in that order.
    """
    out: list[str] = []
    for child in sorted(children, key=lambda t: (-t.size, t.topic_id)):
        for kw in child.keywords:
            if kw not in out:
                out.append(kw)
    return tuple(out)


def build_themes(
    quotes: Sequence[Quote],
    embeddings: np.ndarray,
    topic_of: Sequence[int],
    topics: Sequence[Topic],
    previous_parents: Sequence[PreviousTopic] = (),
    next_id: int | None = None,
    run_id: str = "",
    n_parents: int | None = None,
    match_threshold: float = 0.7,
    previous_quotes: Mapping[int, frozenset[str]] | None = None,
    pinned: Mapping[int, str] | None = None,
    decisions: ParentDecisions | None = None,
    tokenizer: PhraseTokenizer | None = None,
    previous_labels: Mapping[tuple[str, int], PreviousLabel] | None = None,
) -> Themes:
    """Top level, names and card quotes for a run's topics.

    Args:
        quotes: the quotes the topic stage saw, aligned with ``embeddings`` and ``topic_of``.
        embeddings: unit vectors.
        topic_of: each quote's stable topic id (``-1`` for outliers).
        topics: the topic records (their ``label`` is replaced by a name).
        previous_parents: the previous run's top-level themes; empty on a first run.
        next_id: the id counter after this run's topics took theirs; by default one past the
            largest topic id.
        run_id: this run's id.
        n_parents: number of top-level themes; ``None`` scales with the number of topics.
        match_threshold: centroid similarity for a parent to keep its previous id.
        previous_quotes: previous parent id -> the quote ids it held; a parent holding most of
            one keeps its id (``nlp.topics.hierarchy``).
        pinned: theme id (topic or parent) -> a researcher's label, which is kept as it is
            and which no machine name repeats.
        decisions: a researcher's decisions about top-level themes (``nlp.parent_curation``).
        tokenizer: the ``PhraseTokenizer`` to read quotes with (one is built when omitted).
        previous_labels: the last run's machine labels, keyed ``("t", topic id)`` and
            ``("p", parent id)``; a theme that still holds the same quotes keeps its label
            (``nlp.topics.label_memory``).
    """
    assigned = np.asarray(topic_of, dtype=int)
    pinned = dict(pinned or {})
    if next_id is None:
        next_id = max([t.topic_id for t in topics] + [-1]) + 1
    hierarchy = build_hierarchy(
        assigned, embeddings, previous_parents, next_id, run_id, n_parents, match_threshold,
        quote_ids=[q.quote_id for q in quotes], previous_quotes=previous_quotes,
    )
    curated = curate_parents(hierarchy.parent_of, decisions or ParentDecisions())
    pinned |= curated.pinned
    parent_of = curated.parent_of

    def children(p: int) -> list[int]:
        return sorted(t for t, q in parent_of.items() if q == p)

    by_id = {t.topic_id: t for t in topics}
    members = {t: np.flatnonzero(assigned == t) for t in by_id if t not in curated.noise_topics}
    topic_centroids = {t: _unit(embeddings[m]) for t, m in members.items() if len(m)}

    parent_members = {p: np.flatnonzero(np.isin(assigned, children(p))) for p in sorted(set(parent_of.values()))}
    parent_centroids = {
        p: _unit(embeddings[m]) if p in curated.merged else hierarchy.centroids[p] for p, m in parent_members.items()
    }

    def reach(idx: np.ndarray) -> tuple[int, int]:
        usable = [quotes[i] for i in idx if quotes[i].duplicate_of is None]
        return len({q.response_id for q in usable}), len({respondent_of(q) for q in usable})

    parent_order = sorted(parent_members, key=lambda p: (-reach(parent_members[p])[1], -len(parent_members[p]), p))
    topic_order = sorted(topic_centroids, key=lambda t: (-by_id[t].size, t))
    # Parents are named first: they lead the report and get the most general phrases.
    groups = {("p", p): parent_members[p] for p in parent_order} | {("t", t): members[t] for t in topic_order}
    centres = {("p", p): parent_centroids[p] for p in parent_order} | {("t", t): topic_centroids[t] for t in topic_order}
    keywords = {("t", t): by_id[t].keywords for t in topic_order} | {
        ("p", p): _merged_keywords([by_id[t] for t in children(p)]) for p in parent_order
    }
    keyed = [key for key in groups if key[1] not in pinned]
    ids = [q.quote_id for q in quotes]
    kept = kept_labels(previous_labels or {}, {key: [ids[i] for i in groups[key]] for key in keyed}, pinned.values())
    tok = tokenizer or PhraseTokenizer()
    stored = ranked_keywords(parent_members, {p: keywords[("p", p)] for p in parent_order}, [q.text for q in quotes], tok)
    names = name_themes(
        {k: groups[key] for k, key in enumerate(keyed)},
        [q.text for q in quotes],
        embeddings,
        {k: centres[key] for k, key in enumerate(keyed)},
        {k: keywords[key] for k, key in enumerate(keyed)},
        tok,
        reserved=list(pinned.values()),
        pooled={k for k, key in enumerate(keyed) if key[0] == "p"},
        children={
            k: [c for c, child in enumerate(keyed) if child[0] == "t" and parent_of.get(child[1]) == key[1]]
            for k, key in enumerate(keyed) if key[0] == "p"
        },
        kept={k: kept[key] for k, key in enumerate(keyed) if key in kept},
    )
    name_of = {key: names[k] for k, key in enumerate(keyed)} | {key: pinned[key[1]] for key in groups if key[1] in pinned}
    # A card's description speaks of its name where one of its central statements does.
    picks = {
        t: pick_card_quotes(members[t], quotes, embeddings, topic_centroids[t], keywords=by_id[t].keywords,
                            name_words=tok.lemmas(name_of[("t", t)]), words_of=tok.lemmas)
        for t in topic_order
    }
    parents = []
    for p in parent_order:
        n_responses, n_respondents = reach(parent_members[p])
        parents.append(
            ParentTheme(
                parent_id=p,
                label=name_of[("p", p)],
                keywords=stored[p],
                topic_ids=tuple(children(p)),
                size=int(len(parent_members[p])),
                n_responses=n_responses,
                n_respondents=n_respondents,
                first_seen_run=hierarchy.lineage.first_seen_run[p],
                status="merged" if p in curated.merged else hierarchy.lineage.status[p],
                picks=pick_card_quotes(
                    parent_members[p], quotes, embeddings, parent_centroids[p], keywords=stored[p],
                    taken={picks[t].description_quote_id for t in children(p) if t in picks},
                    name_words=tok.lemmas(name_of[("p", p)]), words_of=tok.lemmas,
                ),
                label_source="researcher" if p in pinned else "machine",
            )
        )
    renamed = tuple(
        _with_card(t, name_of.get(("t", t.topic_id), t.label), parent_of.get(t.topic_id), picks.get(t.topic_id))
        for t in topics
    )
    return Themes(
        tuple(parents), renamed, parent_of, picks, hierarchy, hierarchy.lineage.next_id,
        curated.noise_topics, curated.problems,
    )


def _with_card(topic: Topic, label: str, parent_id: int | None, picks: CardPicks | None) -> Topic:
    """The topic renamed, under its parent, with its card quotes."""
    if picks is None:
        return replace(topic, label=label, parent_id=parent_id)
    return replace(
        topic, label=label, parent_id=parent_id, description=picks.description,
        description_quote_id=picks.description_quote_id, evidence_quote_ids=picks.evidence_quote_ids,
        boundary_quote_id=picks.boundary_quote_id,
    )


def _unit(vectors: np.ndarray) -> np.ndarray:
    c = vectors.mean(axis=0)
    return (c / (np.linalg.norm(c) or 1.0)).astype(np.float32)
