"""A theme keeps its label across reruns while it holds the same quotes.

Names are chosen against the whole corpus (``nlp.topics.naming`` weighs a phrase by how
distinctive its words are), so one new interview shifts every weight a little and used to
rename themes it never touched: adding an 8th transcript to the seed and seven others renamed
19 of 71 sub-themes, among them a seed theme whose 14 quotes had not changed ("OCP phases" ->
"Technical support and OCDS"). A report writer who cited a theme by name then could not find it.

So a machine-named theme of the last run keeps its label when it is still the same theme: at
least ``KEEP_SHARE`` of its quotes now were in it then, and at least ``KEEP_SHARE`` of its
quotes then are in it now. Otherwise (it grew, shrank or moved by more than that) it is named
afresh. A researcher's pinned label always wins (``nlp.curation``), and a kept label is dropped
where a pinned one now uses it, so labels stay unique.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["KEEP_SHARE", "PreviousLabel", "kept_labels"]

# The share of a theme's quotes, in both directions, that makes it the same theme as before:
# the share of old quotes that must keep their topic id on a rerun (issue 17) is the same 0.8.
KEEP_SHARE = 0.8

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class PreviousLabel:
    """A machine-made label of the last run and the quotes its theme held."""

    label: str
    quote_ids: frozenset[str]


def kept_labels(
    previous: Mapping[K, PreviousLabel],
    current: Mapping[K, Collection[str]],
    taken: Collection[str] = (),
    share: float = KEEP_SHARE,
) -> dict[K, str]:
    """The themes of ``current`` (key -> quote ids now) that keep their ``previous`` label.

    Args:
        previous: the last run's machine labels, by the same keys (stable ids).
        current: this run's themes and the quote ids each holds now.
        taken: labels already in use (a researcher's pinned labels); a previous label equal to
            one of them, ignoring case, is not kept.
        share: the overlap, as a share of both the old and the new quote set, to keep a label.
    """
    used = {t.lower() for t in taken}
    out: dict[K, str] = {}
    for key, members in current.items():
        before = previous.get(key)
        members = frozenset(members)
        if before is None or not members or not before.quote_ids or before.label.lower() in used:
            continue
        common = len(members & before.quote_ids)
        if common >= share * len(members) and common >= share * len(before.quote_ids):
            out[key] = before.label
            used.add(before.label.lower())
    return out
