"""Top-level themes: sub-themes grouped by their centroids, with ids that survive reruns.

A report writer presents a handful of themes, each with sub-themes. The sub-themes are the
topic stage's topics (they keep their stable ``topic_id`` and lineage); the top level groups
them by size-weighted Ward agglomeration on their centroids. That is Ward's criterion applied
to whole sub-themes: merging two groups costs ``n_a * n_b / (n_a + n_b) * |c_a - c_b|^2``, so a
big group pays more to grow and the top level stays balanced. It is deterministic (no seed, ties
go to the lower index), and it works on the raw embedding space rather than UMAP's layout, so a
reseed of UMAP cannot move it.

Ids. A top-level theme's ``parent_id`` is drawn from the same ever-growing counter as topic ids
(``next_topic_id`` in the manifest), after this run's topics took theirs. A parent id can
therefore never equal any topic id, past or present, and a retired id is never reused. A parent
continues the previous run's parent when it holds at least half of that parent's quotes and more
than half of its own quotes (among those the last run placed) come from it; pairs are matched
one-to-one. A top-level theme is the set of its sub-themes' quotes, and broad groups' centroids
are too alike to tell them apart, so the centroid match of ``nlp.topics.lineage`` decides only
when the previous run's quotes are unknown. A parent with no partner gets a new id.

Reruns. The grouping starts from the previous top level: sub-themes whose (already placed)
quotes mostly sat in one previous parent begin as one group, and Ward places the rest. Without
that, a refit that moves a fifth of the quotes between sub-themes regroups the top level, and a
researcher's decisions about it (``nlp.parent_curation``) would find nothing to apply to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nlp.topics.lineage import PreviousTopic, TopicLineage, assign_stable_ids

__all__ = ["MAX_GROUP_SHARE", "MIN_OVERLAP", "Hierarchy", "build_hierarchy", "group_subthemes", "n_parents_for"]


def n_parents_for(n_subthemes: int) -> int:
    """How many top-level themes: about one per three sub-themes, within [4, 12].

    Human analysts of an interview study report 5 to 10 themes, each with a few sub-themes.
    With fewer than 8 sub-themes, a top level of 4 would hold one or two each and say nothing
    new, so the top level never has more than half as many themes as there are sub-themes.
    """
    if n_subthemes <= 1:
        return n_subthemes
    return int(min(max(4, round(n_subthemes / 3)), 12, max(1, n_subthemes // 2)))


# A top-level theme holding more than this share of the quotes is a catch-all that tells a
# reader nothing; merges past it are taken only when no other merge is left.
MAX_GROUP_SHARE = 0.3


def group_subthemes(
    centroids: Mapping[int, np.ndarray],
    sizes: Mapping[int, int],
    n_groups: int,
    max_share: float = MAX_GROUP_SHARE,
    start: Sequence[Sequence[int]] = (),
) -> dict[int, int]:
    """Size-weighted Ward grouping of sub-themes.

    Args:
        centroids: sub-theme id -> unit centroid.
        sizes: sub-theme id -> number of quotes.
        n_groups: number of groups wanted (at most the number of sub-themes).
        max_share: a merge that would give one group more than this share of all quotes is
            taken only when every possible merge would.
        start: groups of sub-themes that begin as one (the previous run's top level), so a
            rerun re-forms the same top-level themes and only places what changed.

    Returns:
        Sub-theme id -> group number; groups are numbered 0.. in order of their smallest
        sub-theme id, so the result does not depend on the order of the mapping.
    """
    ids = sorted(centroids)
    if not ids:
        return {}
    means = [np.asarray(centroids[i], dtype=np.float64) for i in ids]
    weights = [float(max(sizes.get(i, 1), 1)) for i in ids]
    members: list[list[int]] = [[i] for i in ids]
    alive = list(range(len(ids)))
    cap = max_share * sum(weights)
    index = {sub: i for i, sub in enumerate(ids)}
    for group in start:
        here = sorted(index[t] for t in group if t in index)
        for b in here[1:]:
            a = here[0]
            means[a] = (weights[a] * means[a] + weights[b] * means[b]) / (weights[a] + weights[b])
            weights[a] += weights[b]
            members[a] += members[b]
            alive.remove(b)
    while len(alive) > max(1, n_groups):
        best, pair = (True, np.inf), (0, 0)
        for x, a in enumerate(alive):
            for b in alive[x + 1:]:
                cost = weights[a] * weights[b] / (weights[a] + weights[b]) * float(np.sum((means[a] - means[b]) ** 2))
                key = (weights[a] + weights[b] > cap, cost)
                if key[0] < best[0] or (key[0] == best[0] and cost < best[1] - 1e-12):
                    best, pair = key, (a, b)
        a, b = pair
        means[a] = (weights[a] * means[a] + weights[b] * means[b]) / (weights[a] + weights[b])
        weights[a] += weights[b]
        members[a] += members[b]
        alive.remove(b)
    groups = sorted((sorted(members[a]) for a in alive), key=lambda m: m[0])
    return {sub: g for g, subs in enumerate(groups) for sub in subs}


@dataclass(frozen=True)
class Hierarchy:
    """The top level of one run.

    Attributes:
        parent_of: sub-theme (topic) id -> its parent id.
        centroids: parent id -> unit centroid of its quotes.
        lineage: how the parents continue the previous run's (ids, status, first run, counter).
    """

    parent_of: dict[int, int]
    centroids: dict[int, np.ndarray]
    lineage: TopicLineage

    def children(self, parent_id: int) -> list[int]:
        """Sub-theme ids of a parent, ascending."""
        return sorted(t for t, p in self.parent_of.items() if p == parent_id)


# A parent continues a previous one when it holds at least this share of the previous one's
# quotes and takes more than this share of its own (already placed) quotes from it.
MIN_OVERLAP = 0.5


def _by_membership(
    members: Mapping[int, frozenset[str]],
    previous_quotes: Mapping[int, frozenset[str]],
    previous: Sequence[PreviousTopic],
    next_id: int,
    run_id: str,
) -> TopicLineage:
    """Lineage of parents from shared quotes, one-to-one; a group with no partner is new."""
    from scipy.optimize import linear_sum_assignment

    new, old = sorted(members), sorted(previous_quotes)
    # Only quotes the last run placed are compared: new interviews must not dilute the overlap.
    placed = frozenset().union(*previous_quotes.values())
    members = {g: m & placed for g, m in members.items()}

    def score(g: int, p: int) -> float:
        shared = len(members[g] & previous_quotes[p])
        holds = shared >= MIN_OVERLAP * len(previous_quotes[p]) and shared > MIN_OVERLAP * len(members[g])
        return shared / max(len(members[g] | previous_quotes[p]), 1) if holds and shared else 0.0

    overlap = np.array([[score(g, p) for p in old] for g in new]).reshape(len(new), len(old))
    rows, cols = linear_sum_assignment(-overlap) if overlap.size else ([], [])
    ids = {new[r]: old[c] for r, c in zip(rows, cols) if overlap[r, c] > 0}
    first_seen = {p.topic_id: p.first_seen_run for p in previous}
    next_id = max([next_id, *(p + 1 for p in old)])
    for g in new:
        if g not in ids:
            ids[g], next_id = next_id, next_id + 1
    status = {ids[g]: "kept" if ids[g] in first_seen else "new" for g in new}
    first = {ids[g]: first_seen.get(ids[g], run_id) for g in new}
    return TopicLineage(ids=ids, status=status, first_seen_run=first, next_id=next_id)


def _previous_groups(
    assigned: np.ndarray, quote_ids: Sequence[str], subs: Sequence[int], previous_quotes: Mapping[int, frozenset[str]]
) -> list[list[int]]:
    """Sub-themes grouped by the previous parent holding most of their (already placed) quotes."""
    by_parent: dict[int, list[int]] = {}
    placed = frozenset().union(*previous_quotes.values())
    for t in subs:
        mine = {quote_ids[i] for i in np.flatnonzero(assigned == t)} & placed
        shares = {p: len(mine & held) / len(mine) for p, held in previous_quotes.items() if mine & held}
        if shares and max(shares.values()) > 0.5:
            by_parent.setdefault(max(shares, key=lambda p: (shares[p], -p)), []).append(t)
    return list(by_parent.values())


def _unit_mean(vectors: np.ndarray) -> np.ndarray:
    c = vectors.mean(axis=0)
    return (c / (np.linalg.norm(c) or 1.0)).astype(np.float32)


def build_hierarchy(
    topic_of: Sequence[int],
    embeddings: np.ndarray,
    previous: Sequence[PreviousTopic],
    next_id: int,
    run_id: str,
    n_parents: int | None = None,
    threshold: float = 0.7,
    quote_ids: Sequence[str] = (),
    previous_quotes: Mapping[int, frozenset[str]] | None = None,
) -> Hierarchy:
    """Group this run's sub-themes into top-level themes with stable ids.

    Args:
        topic_of: stable topic id of each quote that takes part (``-1`` for outliers).
        embeddings: unit vectors aligned with ``topic_of``.
        previous: the previous run's parents (id, centroid, first run); empty on a first run.
        next_id: the id counter after this run's topics took theirs.
        run_id: this run's id, the ``first_seen_run`` of new parents.
        n_parents: number of top-level themes; ``None`` picks ``n_parents_for``.
        threshold: cosine similarity for a parent to continue a previous one by centroid.
        quote_ids: ids of the quotes, aligned with ``topic_of``.
        previous_quotes: previous parent id -> the ids of the quotes it held.
    """
    assigned = np.asarray(topic_of, dtype=int)
    subs = sorted(set(assigned.tolist()) - {-1})
    centroids = {t: _unit_mean(embeddings[assigned == t]) for t in subs}
    sizes = {t: int((assigned == t).sum()) for t in subs}
    k = n_parents_for(len(subs)) if n_parents is None else min(n_parents, len(subs))
    known = bool(previous_quotes) and len(quote_ids) == len(assigned)
    ids = list(quote_ids)
    start = _previous_groups(assigned, ids, subs, previous_quotes) if known else ()
    group_of = group_subthemes(centroids, sizes, k, start=start)
    local = {g: _unit_mean(embeddings[np.isin(assigned, [t for t in subs if group_of[t] == g])]) for g in set(group_of.values())}
    if known:
        members = {
            g: frozenset(ids[i] for i in np.flatnonzero(np.isin(assigned, [t for t in subs if group_of[t] == g])))
            for g in local
        }
        lineage = _by_membership(members, previous_quotes, previous, next_id, run_id)
    else:
        lineage = assign_stable_ids(local, previous, next_id, run_id, threshold=threshold)
    return Hierarchy(
        parent_of={t: lineage.ids[group_of[t]] for t in subs},
        centroids={lineage.ids[g]: c for g, c in local.items()},
        lineage=lineage,
    )
