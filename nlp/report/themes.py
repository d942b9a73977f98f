"""What the top-themes report says, as records: gathered once, rendered three ways."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from nlp.compare import countable_quotes
from nlp.explore import Outputs
from nlp.report.cards import gather_cards
from nlp.topics.cards import SectionPrevalence, ThemeCard

__all__ = [
    "QuoteRef",
    "RecommendationRef",
    "ReportData",
    "SectionRow",
    "Theme",
    "counted",
    "gather_report",
    "plural",
    "prevalence_phrase",
    "recommendations_page",
]


def plural(n: int, noun: str) -> str:
    """``noun`` as a count of ``n`` needs it: "respondent" for 1, "respondents" otherwise."""
    return noun if n == 1 else f"{noun}s"


def counted(n: int, noun: str) -> str:
    """"1 respondent", "3 respondents"."""
    return f"{n} {plural(n, noun)}"


def prevalence_phrase(p: SectionPrevalence) -> str:
    """"Transcript: 7 of 8 respondents (88%)": a theme's reach in one section."""
    return f"{p.section}: {p.n_respondents} of {counted(p.n_section, 'respondent')} ({p.share:.0%})"


@dataclass(frozen=True)
class QuoteRef:
    """A verbatim quote with where it came from."""

    quote_id: str
    text: str
    source_file: str
    section: str
    response_id: str


@dataclass(frozen=True)
class RecommendationRef:
    """An ask (a consolidated recommendation) and how many distinct respondents make it.

    ``name`` is the ask's short extractive name (its text when the table has none) and
    ``quotes`` up to three verbatim member quotes, one per respondent first.
    """

    recommendation_id: str
    text: str
    section: str
    topic_id: int
    topic_label: str
    support: int
    score: float
    name: str = ""
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Theme:
    """One theme of the report, ranked by the respondents (people) who raise it."""

    rank: int
    topic_id: int
    label: str
    keywords: tuple[str, ...]
    n_respondents: int
    n_responses: int
    n_quotes: int
    sections: tuple[tuple[str, int], ...]  # (section, responses raising the theme there)
    mean_sentiment: float | None
    quotes: tuple[QuoteRef, ...]
    recommendations: tuple[RecommendationRef, ...]


@dataclass(frozen=True)
class SectionRow:
    """Sentiment of one section with its interval."""

    section: str
    n_quotes: int
    mean_sentiment: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows."""

    run_id: str
    n_quotes: int
    n_respondents: int
    n_responses: int
    n_topics: int
    themes: tuple[Theme, ...]
    sections: tuple[SectionRow, ...]
    top_recommendations: tuple[RecommendationRef, ...]
    # Theme cards, top-level themes first, each followed by its sub-themes (nlp.report.cards);
    # empty for a run made before the themes stage.
    cards: tuple[ThemeCard, ...] = ()
    # Asks in recommendations.parquet, and how many of them several respondents make.
    n_recommendations: int = 0
    n_shared_recommendations: int = 0
    # Every ask, ranked as the page ranks them (support, then score): the workbook lists them all.
    all_recommendations: tuple[RecommendationRef, ...] = ()
    # What a reader must know about the run (the manifest's ``notes``), e.g. quotes placed, not fitted.
    notes: tuple[str, ...] = ()

    @property
    def recommendations_note(self) -> str:
        """One line under the recommendations table: what it lists and where the rest are."""
        n, shared = self.n_recommendations, self.n_shared_recommendations
        if not n:
            return "No recommendations were found."
        shown = len(self.top_recommendations)
        shared_shown = sum(r.support >= 2 for r in self.top_recommendations)
        ones = shown - shared_shown
        if not shared:
            note = f"None of the {n} asks is made by more than one respondent"
            note += f": listed are the {ones} highest-scoring that say what they ask for." if ones else "."
        else:
            note = (f"{shared} of the {n} asks {'is' if shared == 1 else 'are'} made by several respondents"
                    + (", listed first" if shared_shown == shared else f"; the {shared_shown} with most support are listed"))
            if ones:
                note += f", then the {ones} highest-scoring single-respondent asks that say what they ask for"
            note += "."
        more = n - shown
        if more:
            note += (f" {more} more {'is' if more == 1 else 'are'} in recommendations.parquet"
                     " and on the workbook's recommendations sheet.")
        return note


def _quote_ref(row) -> QuoteRef:
    return QuoteRef(str(row.quote_id), str(row.text), str(row.source_file), str(row.section), str(row.response_id))


def _representatives(quotes: pd.DataFrame, topic_row, n: int) -> list[QuoteRef]:
    """Up to ``n`` quotes: the topic's card evidence (distinct respondents, said without
    hesitation, naming the theme: ``nlp.topics.cards``) first, or, in a table from before the
    cards, its representatives (closest to its centre).

    If the topic lists fewer, the longest remaining quotes from not-yet-quoted responses fill
    in: a short fragment rarely stands on its own in a report.
    """
    by_id = quotes.set_index("quote_id", drop=False)
    evidence = getattr(topic_row, "evidence_quote_ids", None)
    first = evidence if evidence is not None and len(evidence) else topic_row.representative_quote_ids
    chosen = [by_id.loc[q] for q in list(first)[:n] if q in by_id.index]
    responses = {r.response_id for r in chosen}
    rest = quotes[(quotes["topic_id"] == topic_row.topic_id) & ~quotes["quote_id"].isin([r.quote_id for r in chosen])]
    rest = rest.assign(_len=rest["text"].str.len()).sort_values("_len", ascending=False, kind="stable")
    for row in rest.itertuples():
        if len(chosen) >= n:
            break
        if row.response_id not in responses:
            chosen.append(row)
            responses.add(row.response_id)
    return [_quote_ref(r) for r in chosen]


def _recommendation_refs(
    recs: pd.DataFrame, labels: dict[int, str], quote_text: dict[str, tuple[str, str]] | None = None
) -> list[RecommendationRef]:
    quote_text = quote_text or {}
    refs = []
    for r in recs.itertuples():
        name = str(getattr(r, "name", "") or "") or str(r.text)
        refs.append(RecommendationRef(
            str(r.recommendation_id), str(r.text), str(r.section), int(r.topic_id),
            labels.get(int(r.topic_id), "(no topic)"), int(r.support), float(r.score),
            name=name, quotes=_member_quotes(getattr(r, "quote_ids", None), str(r.text), quote_text),
        ))
    return refs


def _member_quotes(quote_ids, fallback: str, quote_text: dict[str, tuple[str, str]], n: int = 3) -> tuple[str, ...]:
    """Up to ``n`` verbatim member quotes, one per response before any second one."""
    if quote_ids is None or not len(quote_ids):
        return (fallback,)
    members = [quote_text[q] for q in quote_ids if q in quote_text]
    firsts, seen = [], set()
    for response, text in members:
        if response not in seen:
            seen.add(response)
            firsts.append(text)
    rest = [text for _, text in members if text not in firsts]
    return tuple((firsts + rest)[:n]) or (fallback,)


def _ranked_recommendations(recs: pd.DataFrame) -> pd.DataFrame:
    return recs.sort_values(["support", "score"], ascending=False, kind="stable")


def recommendations_page(recs: pd.DataFrame, rows: int = 25, single: int = 10) -> pd.DataFrame:
    """The asks one page of the report lists, best first.

    Every ask that several respondents make comes first, by support then score (at most
    ``rows``); single-respondent asks follow by score, at most ``single`` of them and never
    beyond ``rows`` in all. On long transcripts most detected asks are one person's, so
    listing them all gives a report writer a hundred rows to wade through; they stay in
    ``recommendations.parquet``. Single asks whose name names nothing
    (``span_words.names_something``) or stops inside its clause (``span_words.ends_mid_clause``,
    a transcript's ask cut short) come after the others.

    Args:
        recs: the recommendations table, one row per ask.
        rows: most rows on the page.
        single: most single-respondent asks on the page.
    """
    from nlp.recommendations.span_words import ends_mid_clause, names_something

    ranked = _ranked_recommendations(recs)
    shared = ranked[ranked["support"] >= 2].head(rows)
    ones = ranked[ranked["support"] < 2]
    # A single ask whose name names nothing ("See", "Do to it": spoken turns) or stops mid-clause
    # ("Way for letter I could") is not worth one of the few places: the others come first, by score.
    readable = lambda name: names_something(name) and not ends_mid_clause(name)  # noqa: E731
    named = ones["name"].map(readable) if "name" in ones else pd.Series(True, index=ones.index)
    ones = pd.concat([ones[named], ones[~named]])
    return pd.concat([shared, ones.head(max(0, min(single, rows - len(shared))))])


def gather_report(
    outputs: Outputs,
    top: int = 10,
    quotes_per_theme: int = 3,
    recommendations_per_theme: int = 5,
    top_recommendations: int = 25,
    single_recommendations: int = 10,
) -> ReportData:
    """Select and summarise what the report shows.

    Themes are ranked by ``n_respondents`` (distinct people raising them), then by
    ``n_responses``, then by size. Quotes repeated verbatim in two sections (``duplicate_of``
    set) are counted once; quotes that are not analysable (not substantive, or in a language
    the model cannot place: ``nlp.analysable``) are not counted at all.

    Args:
        outputs: the run's tables.
        top: number of themes.
        quotes_per_theme: verbatim quotes per theme (2-3 reads well).
        recommendations_per_theme: asks listed under a theme, chosen as ``recommendations_page`` does.
        top_recommendations: most rows of the overall recommendations table (``recommendations_page``).
        single_recommendations: most single-respondent asks in that table.
    """
    quotes = countable_quotes(outputs.quotes)
    topics = outputs.topics[outputs.topics["topic_id"] != -1].sort_values(
        ["n_respondents", "n_responses", "size", "topic_id"], ascending=[False, False, False, True], kind="stable"
    )
    labels = {int(t): str(label) for t, label in zip(outputs.topics["topic_id"], outputs.topics["label"])}
    recs = _ranked_recommendations(outputs.recommendations)
    quote_text = {str(q): (str(r), str(t)) for q, r, t in zip(quotes["quote_id"], quotes["response_id"], quotes["text"])}
    themes = []
    for rank, topic in enumerate(topics.head(top).itertuples(), 1):
        mine = quotes[quotes["topic_id"] == topic.topic_id]
        per_section = mine.groupby("section", sort=False)["response_id"].nunique().sort_values(ascending=False, kind="stable")
        mean = topic.mean_sentiment
        if mean is None or pd.isna(mean):
            mean = float(mine["sentiment"].mean()) if len(mine) else None
        themes.append(
            Theme(
                rank=rank,
                topic_id=int(topic.topic_id),
                label=str(topic.label),
                keywords=tuple(str(k) for k in topic.keywords),
                n_respondents=int(topic.n_respondents),
                n_responses=int(topic.n_responses),
                n_quotes=len(mine),
                sections=tuple((str(s), int(n)) for s, n in per_section.items()),
                mean_sentiment=None if mean is None else float(mean),
                quotes=tuple(_representatives(quotes, topic, quotes_per_theme)),
                recommendations=tuple(
                    _recommendation_refs(
                        recommendations_page(recs[recs["topic_id"] == topic.topic_id], recommendations_per_theme,
                                             recommendations_per_theme),
                        labels, quote_text,
                    )
                ),
            )
        )
    sections = tuple(
        SectionRow(str(r.section), int(r.n_quotes), float(r.mean_sentiment), float(r.ci_low), float(r.ci_high))
        for r in outputs.section_sentiment.itertuples()
    )
    return ReportData(
        run_id=outputs.run_id,
        n_quotes=len(quotes),
        n_respondents=int(quotes["respondent_id"].nunique()),
        n_responses=int(quotes["response_id"].nunique()),
        n_topics=int((outputs.topics["topic_id"] != -1).sum()),
        themes=tuple(themes),
        sections=sections,
        top_recommendations=tuple(_recommendation_refs(
            recommendations_page(recs, top_recommendations, single_recommendations), labels, quote_text
        )),
        cards=gather_cards(outputs.quotes, outputs.topics, outputs.parents),
        n_recommendations=len(recs),
        n_shared_recommendations=int((recs["support"] >= 2).sum()),
        all_recommendations=tuple(_recommendation_refs(recs, labels, quote_text)),
        notes=tuple(outputs.manifest.notes) if outputs.manifest else (),
    )
