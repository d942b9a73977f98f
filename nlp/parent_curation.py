"""Curation decisions about top-level themes: pin a parent's label, make it noise, merge parents.

A curation file (``nlp.curation``) names themes by id. Parent ids come from the same counter as
topic ids (``nlp.topics.hierarchy``), so an id names one theme at one level. The decisions that
name a top-level theme of the last run are taken out before the topic-level curation
(``split_curation``) and applied by the themes stage once this run's top level exists
(``curate_parents``): a parent keeps its id across reruns by the quotes it holds, so the same
decision finds the same theme again.

* ``id: P, label: ...`` pins the parent's label;
* ``id: P, noise: true``: not a theme; every quote of its sub-themes leaves the themes;
* ``merge: [P1, P2]``: one top-level theme under ``P1`` holding both's sub-themes (a label
  may be given).

A split of a parent, a move of a quote into a parent, or a merge mixing a parent with sub-themes
is reported and skipped (split or move into one of its sub-themes instead). A decision whose
parent no longer exists is reported, never fatal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from nlp.curation import Curation, Merge, plan_merges

__all__ = ["CuratedParents", "ParentDecisions", "curate_parents", "split_curation"]


@dataclass(frozen=True)
class ParentDecisions:
    """The decisions of a curation file that name top-level themes."""

    labels: Mapping[int, str] = field(default_factory=dict)
    merges: tuple[Merge, ...] = ()
    noise: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.labels or self.merges or self.noise)


def split_curation(curation: Curation, parent_ids: Collection[int]) -> tuple[Curation, ParentDecisions, tuple[str, ...]]:
    """Separate the decisions about top-level themes from those about sub-themes.

    Args:
        curation: the whole file's decisions.
        parent_ids: the ids of the last run's top-level themes.

    Returns:
        The sub-theme decisions, the top-level decisions, and one sentence per decision that
        fits neither level (skipped).
    """
    parents = set(parent_ids)
    problems: list[str] = []
    merges, parent_merges = [], []
    for merge in curation.merges:
        top = [t for t in merge.topic_ids if t in parents]
        if not top:
            merges.append(merge)
        elif len(top) == len(merge.topic_ids):
            parent_merges.append(merge)
        else:
            problems.append(
                f"merge {list(merge.topic_ids)}: mixes top-level themes ({', '.join(map(str, top))}) with "
                "sub-themes; merge themes of one level"
            )
    splits = {}
    for topic_id, into in curation.splits.items():
        if topic_id in parents:
            problems.append(f"split {topic_id}: {topic_id} is a top-level theme; split one of its sub-themes")
        else:
            splits[topic_id] = into
    moves = []
    for move in curation.moves:
        if move.to in parents:
            problems.append(
                f"move {move.quote_id} -> {move.to}: {move.to} is a top-level theme; move the quote to one of its sub-themes"
            )
        else:
            moves.append(move)
    topic_level = dataclasses.replace(
        curation,
        labels={t: label for t, label in curation.labels.items() if t not in parents},
        merges=tuple(merges),
        noise=tuple(t for t in curation.noise if t not in parents),
        splits=splits,
        moves=tuple(moves),
    )
    parent_level = ParentDecisions(
        labels={t: label for t, label in curation.labels.items() if t in parents},
        merges=tuple(parent_merges),
        noise=tuple(t for t in curation.noise if t in parents),
    )
    return topic_level, parent_level, tuple(problems)


@dataclass(frozen=True)
class CuratedParents:
    """This run's top level after the decisions.

    Attributes:
        parent_of: sub-theme id -> parent id, without the sub-themes of noise parents.
        pinned: parent id -> the researcher's label.
        merged: the parent ids that absorbed another.
        noise_topics: sub-themes whose parent was made noise; their quotes leave the themes.
        problems: one sentence per decision that could not be applied.
    """

    parent_of: dict[int, int]
    pinned: dict[int, str]
    merged: frozenset[int]
    noise_topics: frozenset[int]
    problems: tuple[str, ...]


def curate_parents(parent_of: Mapping[int, int], decisions: ParentDecisions) -> CuratedParents:
    """Apply top-level decisions to one run's grouping of sub-themes; merges first, then noise,
    then labels (a label may name an id a merge removed: it lands on the kept one)."""
    plan = plan_merges(decisions.merges, set(parent_of.values()), kind="top-level theme")
    resolve = plan.resolve
    parent_of = {t: resolve(p) for t, p in parent_of.items()}
    present = set(parent_of.values())
    problems = list(plan.problems)
    pinned = dict(plan.pinned)

    noise: set[int] = set()
    for parent in decisions.noise:
        target = resolve(parent)
        if target not in present:
            problems.append(f"noise {parent}: top-level theme {parent} no longer exists")
            continue
        present.discard(target)
        noise |= {t for t, p in parent_of.items() if p == target}
        pinned.pop(target, None)
    for parent, label in decisions.labels.items():
        target = resolve(parent)
        if target in present:
            pinned[target] = label
        else:
            problems.append(f"label {parent} {label!r}: top-level theme {parent} no longer exists")
    return CuratedParents(
        parent_of={t: p for t, p in parent_of.items() if t not in noise},
        pinned=pinned,
        merged=frozenset(resolve(p) for p in plan.redirect if resolve(p) in present),
        noise_topics=frozenset(noise),
        problems=tuple(problems),
    )
