"""Typed records passed between pipeline stages.

DataFrames appear only at the parquet boundary (``nlp.store``); stages hand each other these
frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Unit",
    "Response",
    "Document",
    "InputRecord",
    "Quote",
    "Topic",
    "SectionSentiment",
    "Recommendation",
]


@dataclass(frozen=True)
class Unit:
    """One bullet, paragraph or speaker turn inside a response.

    ``char_start``/``char_end`` index the owning ``Document.text``. The span may still hold
    markup (bullets, ``[bookmark: …]``); cleaning happens when quotes are made.
    """

    char_start: int
    char_end: int


@dataclass(frozen=True)
class Response:
    """One interviewee's answer: a table cell, a respondent turn or a survey row."""

    response_id: str
    section: str
    question: str
    units: tuple[Unit, ...]
    speaker: str | None = None
    # Spans of Document.text that sit inside quotation marks (direct quotes).
    quoted_spans: tuple[tuple[int, int], ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)
    # The person or case who gave the response (see Quote.respondent_id); "" means unknown,
    # and then the response itself is the respondent.
    respondent_id: str = ""

    def __post_init__(self) -> None:
        if not self.respondent_id:
            object.__setattr__(self, "respondent_id", self.response_id)


@dataclass(frozen=True)
class Document:
    """A decoded input file and the responses found in it."""

    source_file: str
    sha256: str
    format: str
    text: str
    responses: tuple[Response, ...]
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class InputRecord:
    """What happened to one input file; becomes an entry of ``run_manifest.json['inputs']``."""

    file: str
    sha256: str | None
    status: str  # "ok" | "error" | "duplicate" | "skipped"
    error: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class Quote:
    """A meaningful unit of interview text (a bullet or a sentence) with exact provenance."""

    quote_id: str
    source_file: str
    section: str
    question: str
    response_id: str
    speaker: str | None
    is_direct_quote: bool
    text: str
    char_start: int
    char_end: int
    duplicate_of: str | None = None
    # Who said it, so that themes count people rather than turns: a transcript's
    # ``file#speaker``, a survey's ``file#<id column>=<value>`` (or its row), a summary's cell.
    # "" means unknown, and then the response is the respondent.
    respondent_id: str = ""
    # False for backchannel, greetings, filler and meta-talk (nlp.substantive); such quotes
    # keep their provenance but enter no topic, aggregate or count.
    is_substantive: bool = True
    # Language code of the quote (nlp.language); "" until detected.
    language: str = ""

    def __post_init__(self) -> None:
        if not self.respondent_id:
            object.__setattr__(self, "respondent_id", self.response_id)


@dataclass(frozen=True)
class Topic:
    """A theme found by topic modelling."""

    topic_id: int
    label: str
    keywords: tuple[str, ...]
    size: int
    n_responses: int
    representative_quote_ids: tuple[str, ...]
    first_seen_run: str | None = None
    status: str = "new"  # new | kept | merged | split
    # Distinct respondents (people, not turns) with an analysable quote in the topic.
    n_respondents: int = 0
    # "researcher" when the label was pinned in the curation file (nlp.curation), else "machine".
    label_source: str = "machine"
    # Set by the themes stage (nlp.theme_stage): the top-level theme holding this sub-theme,
    # and the card's quotes by id (nlp.topics.cards); the report reads them back.
    parent_id: int | None = None
    description: str = ""
    description_quote_id: str | None = None
    evidence_quote_ids: tuple[str, ...] = ()
    boundary_quote_id: str | None = None


@dataclass(frozen=True)
class SectionSentiment:
    """Sentiment of one section of the interview guide, over distinct responses."""

    section: str
    question: str
    n_quotes: int
    mean_sentiment: float
    ci_low: float
    ci_high: float
    share_positive: float
    share_neutral: float
    share_negative: float


@dataclass(frozen=True)
class Recommendation:
    """A recommendation candidate, possibly merged from several responses."""

    recommendation_id: str
    text: str
    quote_id: str
    section: str
    topic_id: int
    support: int
    score: float
    quote_ids: tuple[str, ...] = ()
    response_ids: tuple[str, ...] = ()
    # An ask (nlp.recommendations.asks): a short extractive name, who asked (distinct
    # respondents; support counts them) and the sections the members come from.
    name: str = ""
    respondent_ids: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
