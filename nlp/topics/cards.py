"""Theme cards: what a report says about one theme, drawn from its quotes.

A card holds a one-sentence description (a central quote's first full sentence, trimmed,
written without its hesitations and self-repairs), three verbatim evidence quotes from three
different respondents (most central first), one boundary quote
(the member least like the centre, to show how far the theme reaches) and the theme's
prevalence in each section. ``pick_card_quotes`` chooses the quotes when the vectors are at hand
(the pipeline stores the ids); ``ThemeCard`` is what readers (report, notebook, xlsx) build from
the stored tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np

from nlp.schemas import Quote
from nlp.substantive import HESITATION_WORDS, without_disfluencies

__all__ = [
    "CardPicks",
    "EvidenceQuote",
    "SectionPrevalence",
    "ThemeCard",
    "clean_start",
    "describe",
    "is_hesitant",
    "keywords_held",
    "pick_card_quotes",
    "respondent_of",
]

MIN_WORDS = 6  # a shorter quote rarely stands on its own in a report
DESCRIPTION_CANDIDATES = 5  # central statements a description is chosen from
DESCRIPTION_KEYWORDS = 8  # the theme's first keywords that choose it
EVIDENCE_POOL = 3  # times the evidence wanted: the first candidates, reordered by keywords held
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
MAX_DESCRIPTION_WORDS = 30
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“‘(]*[A-Z0-9])")
_WRAPPERS = "\"“”‘’'·-–—• \t"
# What a clean verbatim transcript leaves out at the start of a sentence: discourse markers
# ("So", "And", "But", "Well,", "You know,"; "Like" where it is no preposition, "So" where it
# is no degree, "So far"), and a restart, two words broken off on a comma and begun again
# with the same first word ("I don't, I would say", "that's where, that's why").
_PRONOUN = r"(?:i|you|we|they|it|it['’]s|there|there['’]s|that['’]s|if|when)\b"
_NOT_SO = r"(?!\s+(?:(?:far|much|many|long)\b|that\b(?!['’])))"  # "So far", "so that" stay
_OPENER = re.compile(
    rf"^(?:(?:so{_NOT_SO}|and|but|yeah|okay|ok|basically|actually|anyway)\b,?"
    rf"|(?:right|you know|i mean),|(?:well|like)(?:,|(?=\s+{_PRONOUN})))\s+",
    re.IGNORECASE,
)
_RESTART = re.compile(
    r"^([\w'’]+)\s+(?:don['’]t|didn['’]t|can['’]t|won['’]t|was|were|is|am|are|have|had|would|will|can|could"
    r"|think|mean|where|what|how|why|when|the|a|an|just),\s+(?=\1\b)",
    re.IGNORECASE,
)
# Words no finished sentence ends on: articles, possessives, conjunctions (a preposition may:
# "who they are speaking to").
_DANGLING = frozenset("the a an my our your their its and or but because if than".split())
# A determiner before a pronoun is a false start ("So the it's like a byproduct").
_FALSE_START = re.compile(
    r"\b(?i:the|a|an)\s+(?=(?:it|it['’]s|I|I['’]m|I['’]ve|we|we['’]re|they|they['’]re)[\s,.])"
)
_PUNCT = ",.;:!?…\"“”‘’'()-–—"


@dataclass(frozen=True)
class CardPicks:
    """The quotes a card shows, by id, chosen with the theme's vectors."""

    description: str
    description_quote_id: str
    evidence_quote_ids: tuple[str, ...]
    boundary_quote_id: str | None


@dataclass(frozen=True)
class EvidenceQuote:
    """A verbatim quote with its provenance."""

    quote_id: str
    text: str
    source_file: str
    section: str
    response_id: str
    respondent_id: str
    char_start: int
    char_end: int


@dataclass(frozen=True)
class SectionPrevalence:
    """How many of a section's respondents raise the theme there."""

    section: str
    n_respondents: int
    share: float  # n_respondents / n_section
    n_section: int  # the respondents with a counted quote in the section


@dataclass(frozen=True)
class ThemeCard:
    """One theme (top level or sub-theme) as a report shows it.

    Attributes:
        theme_id: the topic id of a sub-theme, or the parent id of a top-level theme.
        level: ``"theme"`` (top level) or ``"sub-theme"``.
        parent_id: a sub-theme's top-level theme; ``None`` for a top-level theme.
        children: a top-level theme's sub-theme ids.
    """

    theme_id: int
    level: str
    parent_id: int | None
    label: str
    keywords: tuple[str, ...]
    description: str
    n_quotes: int
    n_respondents: int
    evidence: tuple[EvidenceQuote, ...]
    boundary: EvidenceQuote | None
    prevalence: tuple[SectionPrevalence, ...]
    children: tuple[int, ...] = ()


def respondent_of(quote) -> str:
    """The person or case behind a quote: ``respondent_id`` when the run has it, else the response."""
    return str(getattr(quote, "respondent_id", None) or quote.response_id)


def _usable(quote) -> bool:
    return quote.duplicate_of is None and bool(getattr(quote, "is_substantive", True))


def _n_words(text: str) -> int:
    return len(text.split())


def is_hesitant(text: str) -> bool:
    """Whether ``text`` holds a hesitation ("um", "uh": ``nlp.substantive.HESITATION_WORDS``)."""
    return any(word.strip(_PUNCT).lower() in HESITATION_WORDS for word in text.split())


def describe(text: str, max_words: int = MAX_DESCRIPTION_WORDS) -> str:
    """One sentence from a quote: its first sentence of ``MIN_WORDS`` words or more, trimmed.

    Written as a clean verbatim transcript would be: hesitations and self-repairs go ("So it's
    like, it's like, uh, complex" reads "So it's like complex"), and so do discourse markers that
    open the sentence ("So", "And then", "Well,"), restarts ("I don't, I would say") and false
    starts ("the it's"): "So the it's like a byproduct" reads "It's like a byproduct". Quotation
    marks and bullets around it go too. A sentence cut here, or left unfinished by its speaker
    (ending on a comma, or on an article or a conjunction: ``_left_off``), ends in an ellipsis, a
    whole one in its own full stop.
    """
    return _written(_sentence(text), max_words)


def _written(sentence: str, max_words: int = MAX_DESCRIPTION_WORDS) -> str:
    """``describe``'s trimming of the cleaned ``sentence``."""
    words = sentence.split()
    if len(words) > max_words or _left_off(sentence):  # cut, by us or by the speaker
        sentence = " ".join(words[:max_words]).rstrip(".,;:–- ") + "…"
    elif sentence[-1:] not in ".!?…":
        sentence += "."
    return sentence[:1].upper() + sentence[1:]


def _sentence(text: str) -> str:
    """The sentence ``describe`` writes, cleaned but not trimmed."""
    sentences = [s.strip(_WRAPPERS) for s in _SENTENCE_END.split(without_disfluencies(text))]
    sentences = [s for s in sentences if s] or [text.strip(_WRAPPERS)]
    return clean_start(next((s for s in sentences if _n_words(s) >= MIN_WORDS), max(sentences, key=_n_words)))


def _left_off(sentence: str) -> bool:
    """Whether the speaker left ``sentence`` unfinished: it ends on a comma or a dash, or on a
    word no sentence ends on ("... the success of your model in the.")."""
    last = sentence.split()[-1].rstrip(".!?…").lower() if sentence.split() else ""
    return sentence.endswith((",", ";", ":", "–", "-")) or last in _DANGLING


def clean_start(sentence: str) -> str:
    """``sentence`` without the speech a clean verbatim transcript leaves out at its start:
    discourse markers ("So", "And then", "Well,"), restarts ("I don't, I would say") and false
    starts ("the it's")."""
    sentence = _FALSE_START.sub("", sentence)
    while True:
        shorter = _RESTART.sub("", _OPENER.sub("", sentence, count=1), count=1)
        if shorter == sentence or not shorter.strip(_PUNCT):
            return sentence
        sentence = shorter


def pick_card_quotes(
    members: Sequence[int],
    quotes: Sequence[Quote],
    embeddings: np.ndarray,
    centroid: np.ndarray,
    n_evidence: int = 3,
    keywords: Sequence[str] = (),
    taken: Collection[str] = (),
    name_words: Collection[str] = (),
    words_of: Callable[[str], Collection[str]] | None = None,
) -> CardPicks:
    """Choose a theme's description, evidence and boundary quotes.

    Copies (``duplicate_of``) and non-substantive quotes are never shown. Evidence comes from
    distinct respondents, most central first, quotes of ``MIN_WORDS`` words or more before
    shorter ones, and among the more central half, quotes without a hesitation ("um", "uh")
    before the rest. The description is the sentence, of the ``DESCRIPTION_CANDIDATES`` first
    quotes in that order whose sentence is not a question (any sentence when all are), that
    holds a word of the theme's name (``name_words``) where any does, then the most of
    ``keywords``, each whole (``_most_telling``); its quote is left out of the evidence when
    other quotes can fill it. Of the ``EVIDENCE_POOL`` x ``n_evidence`` first
    quotes in that order, those holding more of ``keywords`` are evidence first (the order
    otherwise kept). The boundary quote is, of the outer half of the usable members not shown
    already, the least central that holds a keyword, has ``MIN_WORDS`` words or more and no
    hesitation; without one, the least central of four words or more.

    Args:
        members: indices of the theme's quotes in ``quotes``.
        quotes: the corpus.
        embeddings: unit vectors aligned with ``quotes``.
        centroid: the theme's unit centroid.
        n_evidence: evidence quotes wanted.
        keywords: the theme's keywords, most distinctive first (``DESCRIPTION_KEYWORDS`` of
            them are read); without them the description is the most central statement.
        taken: ids of quotes that describe other cards shown beside this one (a top-level
            theme's sub-themes): never this card's description while another candidate is left,
            nor its evidence while other respondents can fill it, so a report does not say the
            same sentence twice.
        name_words: the content words (lemmas) of the theme's name, so the description a card
            prints under its name speaks of it where a central statement does.
        words_of: a text's content words, as ``name_words`` are read (``PhraseTokenizer.lemmas``);
            needed with ``name_words``.
    """
    members = np.asarray([i for i in members if _usable(quotes[i])] or list(members), dtype=int)
    order = members[np.argsort(-(embeddings[members] @ centroid), kind="stable")]
    # Quotes that read well come first: long enough to stand alone and, among the more central
    # half, said without hesitation ("Um, so most of the time it was, um, ..."). The sort is
    # stable, so each tier keeps the centrality order.
    central = set(order[: max(n_evidence + 1, (len(order) + 1) // 2)].tolist())

    def tier(i: int) -> int:
        if _n_words(quotes[i].text) < MIN_WORDS:
            return 2
        return 0 if i in central and not is_hesitant(quotes[i].text) else 1

    long_first = sorted(order, key=tier)
    # A theme is described by a statement, not a question (an interviewer's prompt, or "Is OCP
    # working with other initiatives?"), if it has one; of its most central statements, the one
    # that names most of what the theme is about.
    # Only as many quotes are described as candidates are wanted: a large theme holds thousands.
    # A sentence another card beside this one says already is passed over while others are left.
    sentences: dict[int, str] = {}  # each candidate's sentence, cleaned once

    def description(i: int) -> str:
        if i not in sentences:
            sentences[i] = _sentence(quotes[i].text)
        return _written(sentences[i])

    statements = []
    for pool in ([i for i in long_first if quotes[i].quote_id not in taken], long_first):
        said = (i for i in pool if not description(i).endswith("?"))
        statements = statements or list(islice(said, DESCRIPTION_CANDIDATES))
    named = frozenset(name_words)
    names = (lambda text: len(named.intersection(words_of(text)))) if named and words_of else None
    top = _most_telling(statements, sentences, keywords, names) if statements else long_first[0]
    evidence = _evidence(long_first, quotes, top, n_evidence, keywords, taken)
    boundary = _boundary(order, {top, *evidence}, quotes, keywords)
    return CardPicks(
        description=description(top),
        description_quote_id=quotes[top].quote_id,
        evidence_quote_ids=tuple(quotes[i].quote_id for i in evidence),
        boundary_quote_id=None if boundary is None else quotes[boundary].quote_id,
    )


def _evidence(
    long_first: Sequence[int],
    quotes: Sequence[Quote],
    top: int,
    n: int,
    keywords: Sequence[str],
    taken: Collection[str],
) -> list[int]:
    """Up to ``n`` quotes of distinct respondents, in ``long_first``'s order but for its first
    ``EVIDENCE_POOL`` x ``n``: there quotes of ``MIN_WORDS`` words or more without a hesitation
    come first, and among them those holding more of ``keywords``.

    What is shown already, the description's quote ``top`` and the sentences of the cards beside
    this one (``taken``), is left out while other quotes can fill the places; a theme of fewer
    respondents than places keeps what the fullest pass found, so one person's theme is not
    evidenced by its own description.
    """
    pool = EVIDENCE_POOL * n
    by_keywords = sorted(long_first[:pool], key=lambda i: (
        _n_words(quotes[i].text) < MIN_WORDS, is_hesitant(quotes[i].text), -keywords_held(quotes[i].text, keywords)
    ))
    telling_first = [*by_keywords, *long_first[pool:]]
    said_beside = {i for i in long_first if quotes[i].quote_id in taken}
    evidence: list[int] = []
    for avoid in ({top} | said_beside, {top}, set()):
        found, seen = [], set()
        for i in telling_first:
            who = respondent_of(quotes[i])
            if len(found) < n and who not in seen and i not in avoid:
                found.append(i)
                seen.add(who)
        evidence = found if len(found) > len(evidence) else evidence
        if len(evidence) == n:
            break
    return evidence


def _boundary(
    order: Sequence[int], shown: Collection[int], quotes: Sequence[Quote], keywords: Sequence[str]
) -> int | None:
    """How far the theme reaches, not where stray talk was put: of the outer half of the members
    not ``shown`` (``order`` is most central first), the least central that says something of the
    theme (a keyword, ``MIN_WORDS`` words or more, no hesitation, not left off on a comma), else
    the least central of four words or more."""
    rest = [i for i in order[::-1] if i not in shown]
    outer = rest[: (len(rest) + 1) // 2]
    def says_something(i: int) -> bool:
        text = quotes[i].text.strip()
        return (_n_words(text) >= MIN_WORDS and not is_hesitant(text) and not _left_off(text)
                and keywords_held(text, keywords) > 0)

    fallback = next((i for i in rest if _n_words(quotes[i].text) >= 4), rest[0] if rest else None)
    return next((i for i in outer if says_something(i)), fallback)


def _most_telling(
    candidates: Sequence[int], sentences: Mapping[int, str], keywords: Sequence[str],
    names: Callable[[str], int] | None = None,
) -> int:
    """Of the most central statements (``candidates``, most central first, with their cleaned
    ``sentences``), one whose description holds a word of the theme's name (``names`` counts
    them) where any does; of those, the one holding the most of its first keywords, a keyword
    counting when all its words are there (a plural "s" aside), then the most words of the name;
    on a tie, one its speaker finished (``_left_off``) before one left off, then the most central."""
    def key(rank: int, i: int) -> tuple:
        text = _written(sentences[i])
        named = names(text) if names else 0
        return (named > 0, keywords_held(text, keywords), named, not _left_off(sentences[i]), -rank)

    return max(enumerate(candidates), key=lambda pair: key(*pair))[1]


def keywords_held(text: str, keywords: Sequence[str]) -> int:
    """How many of the first ``DESCRIPTION_KEYWORDS`` ``keywords`` ``text`` holds whole (every
    word of the keyword, a plural "s" aside)."""
    said = set(_WORD.findall(text.lower()))
    said |= {w.removesuffix("s") for w in said}
    wanted = (set(_WORD.findall(kw.lower())) for kw in keywords[:DESCRIPTION_KEYWORDS])
    return sum(bool(kw) and kw <= said for kw in wanted)
