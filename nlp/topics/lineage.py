"""Stable topic ids across reruns: BERTopic numbers topics afresh on every fit.

Each run's topics are matched to the previous run's by centroid cosine similarity (a one-to-one
assignment that maximises total similarity, over pairs above a threshold). A matched topic keeps
its id; any other gets a fresh id from a counter that only ever grows, so a retired id is never
reused. ``assign_stable_ids`` gives a first status from centroids alone; when the previous
run's quotes are known, ``statuses_from_quotes`` replaces it with one read from where those
quotes went (see there), because neighbouring topics' centroids are often similar enough to
make every continued topic look split. The centroid-only statuses:

* ``new``: no previous topic is similar enough;
* ``kept``: one previous topic matches, and only this one;
* ``merged``: it matches its previous topic and absorbed at least one other previous topic
  that found no partner of its own;
* ``split``: its previous topic is similar to several of this run's topics; the closest keeps
  the id, the others get fresh ids, and all are marked ``split``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["PreviousTopic", "TopicLineage", "assign_stable_ids", "statuses_from_quotes"]


@dataclass(frozen=True)
class PreviousTopic:
    """A topic as the previous run left it."""

    topic_id: int
    centroid: np.ndarray
    first_seen_run: str


@dataclass(frozen=True)
class TopicLineage:
    """Where each topic of this run came from.

    Attributes:
        ids: this fit's topic number -> stable topic id.
        status: stable id -> new | kept | merged | split.
        first_seen_run: stable id -> run that first produced it.
        next_id: the counter to persist for the next run.
    """

    ids: dict[int, int]
    status: dict[int, str]
    first_seen_run: dict[int, str]
    next_id: int


def assign_stable_ids(
    centroids: Mapping[int, np.ndarray],
    previous: Sequence[PreviousTopic],
    next_id: int,
    run_id: str,
    threshold: float = 0.7,
) -> TopicLineage:
    """Give this run's topics the ids of the previous run's topics they continue.

    Args:
        centroids: this fit's topic number -> unit-length centroid.
        previous: the previous run's topics; empty on a first run.
        next_id: smallest id never used before.
        run_id: id of this run, recorded as ``first_seen_run`` of new topics.
        threshold: cosine similarity needed for two topics to be the same.
    """
    from scipy.optimize import linear_sum_assignment

    local = sorted(centroids)
    next_id = max([next_id, *(p.topic_id + 1 for p in previous)])
    if not previous or not local:
        ids = {t: next_id + i for i, t in enumerate(local)}
        return TopicLineage(
            ids=ids,
            status={s: "new" for s in ids.values()},
            first_seen_run={s: run_id for s in ids.values()},
            next_id=next_id + len(local),
        )
    new_c = np.stack([centroids[t] for t in local])
    old_c = np.stack([p.centroid for p in previous])
    sim = new_c @ old_c.T
    above = sim >= threshold
    rows, cols = linear_sum_assignment(np.where(above, -sim, 1.0))
    match = {int(r): int(c) for r, c in zip(rows, cols) if above[r, c]}
    matched_old = set(match.values())

    ids: dict[int, int] = {}
    status: dict[int, str] = {}
    first_seen: dict[int, str] = {}
    for i, t in enumerate(local):
        if i in match:
            j = match[i]
            stable = previous[j].topic_id
            absorbed = [k for k in np.flatnonzero(above[i]) if k != j and k not in matched_old]
            siblings = [r for r in np.flatnonzero(above[:, j]) if r != i]
            status[stable] = "merged" if absorbed else "split" if siblings else "kept"
            first_seen[stable] = previous[j].first_seen_run
        else:
            stable = next_id
            next_id += 1
            status[stable] = "split" if above[i].any() else "new"
            first_seen[stable] = run_id
        ids[t] = stable
    return TopicLineage(ids=ids, status=status, first_seen_run=first_seen, next_id=next_id)


def statuses_from_quotes(
    old_topic_of: Mapping[str, int],
    new_topic_of: Mapping[str, int],
    continued: set[int],
    min_share: float = 0.2,
    min_quotes: int = 3,
) -> dict[int, str]:
    """Status of each topic from where the previous run's quotes went.

    Centroids decide which topic continues which; whether it also split or merged shows in its
    quotes. For a continued topic: ``split`` when at least ``min_share`` of its old quotes (and
    ``min_quotes``) now sit in a topic with a fresh id, ``merged`` when as many of its old quotes
    came from a previous topic whose id is gone, else ``kept``. A fresh topic is ``split`` when
    most of its quotes came from one continued topic, else ``new``.

    Args:
        old_topic_of: quote id -> the previous run's topic id.
        new_topic_of: quote id -> this run's topic id (new quotes included).
        continued: this run's topic ids that carried over from the previous run.
    """
    flows: dict[tuple[int, int], int] = {}
    for qid, before in old_topic_of.items():
        after = new_topic_of.get(qid)
        if after is not None and before != -1 and after != -1:
            flows[(before, after)] = flows.get((before, after), 0) + 1
    sizes_before: dict[int, int] = {}
    sizes_after: dict[int, int] = {}
    for (before, after), n in flows.items():
        sizes_before[before] = sizes_before.get(before, 0) + n
        sizes_after[after] = sizes_after.get(after, 0) + n
    gone = set(sizes_before) - continued

    def big(n: int, total: int) -> bool:
        return n >= min_quotes and total > 0 and n / total >= min_share

    status: dict[int, str] = {}
    for topic in set(new_topic_of.values()) - {-1}:
        if topic in continued:
            left = sum(n for (b, a), n in flows.items() if b == topic and a not in continued)
            absorbed = sum(n for (b, a), n in flows.items() if a == topic and b in gone)
            status[topic] = (
                "split" if big(left, sizes_before.get(topic, 0))
                else "merged" if big(absorbed, sizes_after.get(topic, 0))
                else "kept"
            )
        else:
            sources = [n for (b, a), n in flows.items() if a == topic and b in continued]
            members = sum(1 for t in new_topic_of.values() if t == topic)
            status[topic] = "split" if sources and max(sources) * 2 > members else "new"
    return status
