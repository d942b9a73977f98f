"""Theme cards from a run's tables: top-level themes first, each followed by its sub-themes.

The pipeline stores each theme's card quotes by id (``description``, ``evidence_quote_ids``,
``boundary_quote_id`` in ``topics.parquet`` and ``parents.parquet``); this module turns them
back into ``nlp.topics.cards.ThemeCard`` records with the quotes' text and provenance, and
counts each theme's prevalence per section from ``quotes.parquet``. A run made before the
themes stage has no card columns and gives no cards.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from nlp.compare import countable_quotes
from nlp.topics.cards import EvidenceQuote, SectionPrevalence, ThemeCard

__all__ = ["gather_cards"]


def _usable(quotes: pd.DataFrame) -> pd.DataFrame:
    """The quotes that count (``nlp.compare.countable_quotes``: analysable first copies, so a
    section's respondents are those whose talk could raise a theme), each with a respondent; an
    empty ``respondent_id`` counts its response as one."""
    out = countable_quotes(quotes)
    who = out["respondent_id"].astype(str)
    return out.assign(respondent_id=who.where(who != "", out["response_id"].astype(str)))


def _evidence(by_id: pd.DataFrame, quote_id) -> EvidenceQuote | None:
    if quote_id is None or (isinstance(quote_id, float) and pd.isna(quote_id)) or quote_id not in by_id.index:
        return None
    r = by_id.loc[quote_id]
    return EvidenceQuote(
        str(quote_id), str(r["text"]), str(r["source_file"]), str(r["section"]), str(r["response_id"]),
        str(r["respondent_id"]), int(r["char_start"]), int(r["char_end"]),
    )


def _prevalence(usable: pd.DataFrame, topic_ids: Iterable[int]) -> tuple[SectionPrevalence, ...]:
    per_section = usable.groupby("section", sort=False)["respondent_id"].nunique()
    mine = usable[usable["topic_id"].isin(list(topic_ids))]
    raising = mine.groupby("section", sort=False)["respondent_id"].nunique().sort_values(ascending=False, kind="stable")
    return tuple(
        SectionPrevalence(str(s), int(n), float(n) / float(per_section[s]), int(per_section[s]))
        for s, n in raising.items() if n > 0
    )


def _ids(value) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    return [str(v) for v in list(value)]


def _card(row, level: str, parent_id, topic_ids: list[int], usable: pd.DataFrame, by_id: pd.DataFrame, children=()) -> ThemeCard:
    mine = usable[usable["topic_id"].isin(topic_ids)]
    evidence = tuple(e for e in (_evidence(by_id, q) for q in _ids(getattr(row, "evidence_quote_ids", None))) if e)
    return ThemeCard(
        theme_id=int(row.parent_id if level == "theme" else row.topic_id),
        level=level,
        parent_id=None if parent_id is None or pd.isna(parent_id) else int(parent_id),
        label=str(row.label),
        keywords=tuple(str(k) for k in row.keywords),
        description=str(getattr(row, "description", "") or ""),
        n_quotes=len(mine),
        n_respondents=int(mine["respondent_id"].nunique()),
        evidence=evidence,
        boundary=_evidence(by_id, getattr(row, "boundary_quote_id", None)),
        prevalence=_prevalence(usable, topic_ids),
        children=tuple(int(c) for c in children),
    )


def gather_cards(quotes: pd.DataFrame, topics: pd.DataFrame, parents: pd.DataFrame | None = None) -> tuple[ThemeCard, ...]:
    """Cards of every theme, ranked by respondents: each top-level theme, then its sub-themes.

    Args:
        quotes: ``quotes.parquet``.
        topics: ``topics.parquet`` (the sub-themes); without a ``description`` column, no cards.
        parents: ``parents.parquet`` (the top-level themes), if the run has one; without it the
            sub-themes stand alone.
    """
    if "description" not in topics:
        return ()
    usable = _usable(quotes)
    by_id = usable.set_index("quote_id", drop=False)
    topics = topics[topics["topic_id"] != -1]

    def ranked(frame: pd.DataFrame, key: str, members) -> list:
        reach = {getattr(r, key): usable[usable["topic_id"].isin(members(r))]["respondent_id"].nunique()
                 for r in frame.itertuples()}
        return sorted(frame.itertuples(), key=lambda r: (-reach[getattr(r, key)], -int(r.size), getattr(r, key)))

    subs = ranked(topics, "topic_id", lambda r: [int(r.topic_id)])
    if parents is None or not len(parents):
        return tuple(_card(r, "sub-theme", None, [int(r.topic_id)], usable, by_id) for r in subs)
    cards: list[ThemeCard] = []
    for p in ranked(parents, "parent_id", lambda r: [int(t) for t in r.topic_ids]):
        held = {int(t) for t in p.topic_ids}
        children = [int(r.topic_id) for r in subs if int(r.topic_id) in held]  # ranked like every theme
        cards.append(_card(p, "theme", None, sorted(held), usable, by_id, children))
        cards += [_card(r, "sub-theme", p.parent_id, [int(r.topic_id)], usable, by_id)
                  for r in subs if int(r.topic_id) in held]
    return tuple(cards)
