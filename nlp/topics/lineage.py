"""Stable topic ids across reruns: BERTopic numbers topics afresh on every fit.

Each run's topics are matched to the previous run's by centroid cosine similarity (a one-to-one
assignment that maximises total similarity, over pairs above a threshold). A matched topic keeps
its id; any other gets a fresh id from a counter that only ever grows, so a retired id is never
reused. Status tells a reader what happened:

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

__all__ = ["PreviousTopic", "TopicLineage", "assign_stable_ids"]


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
