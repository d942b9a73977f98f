"""Quote splitting: from readers' units (bullets, turns, cells) to Quote records.

A quote is a bullet, or a sentence of a long bullet. Fragments ("Timely", "Open") are not
quotes on their own: they join their neighbour. An item number of a list written inside a line
("… steps: 1. Replace …; 2. index …") belongs to its item, not to the sentence before it. Every
quote keeps the exact span of the decoded source text it came from.

Long text never reaches spaCy whole: a unit is cut into pieces of at most
``SENTENCIZER_CHUNK_CHARS`` characters at a line break, else a sentence end, else a space,
before the sentencizer runs, so a 2 MB answer on one line still yields its sentences instead
of spaCy's ``[E088] Text of length … exceeds maximum``. A file whose quotes still cannot be
made (a bug on one odd input) costs only that file: ``split_quotes_by_file`` names it with
the reason and goes on with the rest.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from nlp.ingest.markup import blank_markup, clean_text
from nlp.schemas import Document, Quote, Response

__all__ = [
    "SENTENCIZER_CHUNK_CHARS",
    "QuoteConfig",
    "QuoteSplit",
    "load_sentencizer",
    "mark_duplicates",
    "quote_id",
    "split_quotes",
    "split_quotes_by_file",
]

logger = logging.getLogger("nlp.quotes")

_WORD_RE = re.compile(r"\w+")
# Far below spaCy's default nlp.max_length (1,000,000), and small enough that the sentencizer's
# memory stays modest (spaCy needs about 1 kB per character of a Doc).
SENTENCIZER_CHUNK_CHARS = 100_000
_CUT_RE = (re.compile(r"\n"), re.compile(r"[.!?…][\"'”’)\]]*\s"), re.compile(r"\s"))
# A list numbered inside a line ("… to progress a UBI: 1. Replace …; 2. index …"): the
# sentencizer ends a sentence on each item's number, which belongs to the next item.
_TRAILING_NUMBER_RE = re.compile(r"(?<=[:;.])\s+(\d{1,2}[.)])\s*$")
_ITEM_NUMBER_RE = re.compile(r"\s*\d{1,2}[.)]\s*")


@dataclass(frozen=True)
class QuoteConfig:
    """How units become quotes.

    Attributes:
        max_words: a unit longer than this is split into sentences.
        min_words: a piece shorter than this joins its neighbour instead of standing alone.
        min_duplicate_words: identical responses shorter than this are not duplicates, since
            two people can both answer "Yes, very useful".
    """

    max_words: int = 30
    min_words: int = 4
    min_duplicate_words: int = 5


@functools.cache
def load_sentencizer():
    """A blank English spaCy pipeline with the rule-based sentencizer (no trained model exists).

    One per process: quote splitting, the recommendation rules and the substantive rule's
    tokenizer share it (each ``spacy.blank("en")`` builds the tokenizer's exceptions again,
    about 0.1 CPU s). Callers only read text with it.
    """
    from nlp.startup import import_spacy

    spacy = import_spacy()

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def quote_id(source_file: str, start: int, end: int) -> str:
    """Stable id of a quote: a hash of its file name and span."""
    return hashlib.sha256(f"{source_file}\x00{start}\x00{end}".encode()).hexdigest()[:16]


def _n_words(text: str) -> int:
    return len(_WORD_RE.findall(text))


def _chunks(text: str, limit: int) -> list[tuple[int, int]]:
    """``[0, len(text))`` cut into spans of at most ``limit`` characters at natural breaks.

    The cut goes after the last line break in the window, else after the last sentence end,
    else at the last space; a window with none of them (a run of 100,000 letters) is cut hard.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = 0
        for pattern in _CUT_RE:
            ends = [m.end() for m in pattern.finditer(window, limit // 2)]
            if ends:
                cut = ends[-1]
                break
        cut = cut or limit
        spans.append((start, start + cut))
        start += cut
    spans.append((start, len(text)))
    return spans


def _sentence_spans(nlp, text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of ``text[start:end]``, in document offsets.

    Markup is blanked out with spaces of equal length first, so that offsets survive. Text
    longer than ``SENTENCIZER_CHUNK_CHARS`` is split first (see the module docstring).
    """
    raw = blank_markup(text[start:end])
    spans = []
    for c_start, c_end in _chunks(raw, SENTENCIZER_CHUNK_CHARS):
        for sent in nlp(raw[c_start:c_end]).sents:
            s = start + c_start + sent.start_char
            e = start + c_start + sent.end_char
            if text[s:e].strip():
                spans.append((s, e))
    return _numbers_to_their_items(text, spans)


def _numbers_to_their_items(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Give an item number the sentencizer cut off to the item after it: "… a UBI: 1." +
    "Replace the benefit; 2." become "… a UBI:" + "1. Replace the benefit;", and a "2." that
    stands alone opens the next sentence."""
    out: list[tuple[int, int]] = []
    carried: int | None = None  # where a number carried over to the next sentence starts
    for k, (s, e) in enumerate(spans):
        s = s if carried is None else carried
        carried = None
        if k + 1 < len(spans):
            number = _TRAILING_NUMBER_RE.search(text, s, e)
            if _ITEM_NUMBER_RE.fullmatch(text, s, e) and text[max(0, s - 8):s].rstrip()[-1:] in (":", ";", "."):
                carried = s
                continue
            if number and text[s:number.start()].strip():
                carried, e = number.start(1), number.start()
        out.append((s, e))
    return out


def _merge_fragments(
    pieces: list[tuple[int, int, str]], min_words: int, joiner: str
) -> list[tuple[int, int, str]]:
    """Join pieces shorter than ``min_words`` to the piece before them (or after, if first)."""
    merged: list[tuple[int, int, str]] = []
    pending: tuple[int, int, str] | None = None  # leading fragments waiting for a partner
    for s, e, t in pieces:
        if pending is not None:
            s, t = pending[0], f"{pending[2]}{joiner}{t}"
            pending = None
        if _n_words(t) >= min_words:
            merged.append((s, e, t))
        elif merged:
            ps, _, pt = merged[-1]
            merged[-1] = (ps, e, f"{pt}{joiner}{t}")
        else:
            pending = (s, e, t)
    if pending is not None:
        merged.append(pending)
    return merged


def _is_direct(response: Response, start: int, end: int) -> bool:
    """True when most of the quote's characters sit inside quotation marks."""
    inside = sum(max(0, min(end, qe) - max(start, qs)) for qs, qe in response.quoted_spans)
    return inside * 2 > (end - start)


def _response_quotes(doc: Document, response: Response, nlp, cfg: QuoteConfig) -> list[Quote]:
    units: list[tuple[int, int, str]] = []
    for unit in response.units:
        pieces = [(unit.char_start, unit.char_end, clean_text(doc.text[unit.char_start : unit.char_end]))]
        if _n_words(pieces[0][2]) > cfg.max_words:
            pieces = [
                (s, e, clean_text(doc.text[s:e]))
                for s, e in _sentence_spans(nlp, doc.text, unit.char_start, unit.char_end)
            ]
            pieces = _merge_fragments([p for p in pieces if p[2]], cfg.min_words, " ")
        units.extend(p for p in pieces if p[2])
    # Fragments across bullets ("Timely", "Open") read as a list, hence "; ". A speaker's
    # consecutive turns are one stream of speech that transcription cut ("I would" + "say, um,
    # ..."), so a fragment joins the next turn with a space, not a semicolon.
    units = _merge_fragments(units, cfg.min_words, " " if response.speaker else "; ")
    return [
        Quote(
            quote_id=quote_id(doc.source_file, s, e),
            source_file=doc.source_file,
            section=response.section,
            question=response.question,
            response_id=response.response_id,
            speaker=response.speaker,
            is_direct_quote=_is_direct(response, s, e),
            text=t,
            char_start=s,
            char_end=e,
            respondent_id=response.respondent_id,
        )
        for s, e, t in units
    ]


def mark_duplicates(quotes: Sequence[Quote], min_words: int = 5) -> list[Quote]:
    """Point each quote of a repeated response at the matching quote of its first copy.

    A response is repeated when its quotes' texts, in order, equal an earlier response's.
    Both copies stay, so provenance is complete, but ``duplicate_of`` lets counts and
    support skip the second.
    """
    by_response: dict[str, list[int]] = {}
    for i, q in enumerate(quotes):
        by_response.setdefault(q.response_id, []).append(i)
    first_seen: dict[tuple[str, ...], list[int]] = {}
    out = list(quotes)
    for indices in by_response.values():
        key = tuple(" ".join(quotes[i].text.lower().split()) for i in indices)
        if sum(_n_words(t) for t in key) < min_words:
            continue
        if key in first_seen:
            for i, j in zip(indices, first_seen[key]):
                out[i] = replace(quotes[i], duplicate_of=quotes[j].quote_id)
        else:
            first_seen[key] = indices
    return out


@dataclass(frozen=True)
class QuoteSplit:
    """Quotes of every document that could be split, and why the others could not.

    Attributes:
        quotes: in document order, duplicates marked across all documents.
        errors: source file -> message naming the file and the reason, for each document
            whose quotes could not be made; none of its quotes are in ``quotes``.
    """

    quotes: tuple[Quote, ...]
    errors: dict[str, str]


def split_quotes_by_file(
    documents: Iterable[Document], nlp=None, config: QuoteConfig | None = None
) -> QuoteSplit:
    """Split every response of every document into quotes, one failing file at a time.

    Args:
        documents: parsed inputs.
        nlp: a spaCy pipeline with sentence boundaries; defaults to ``load_sentencizer()``.
        config: splitting thresholds.

    Returns:
        The quotes and, for a document that raised, its error (also logged with the
        traceback on the ``nlp.quotes`` logger).
    """
    cfg = config or QuoteConfig()
    nlp = nlp or load_sentencizer()
    quotes: list[Quote] = []
    errors: dict[str, str] = {}
    for doc in documents:
        try:
            mine = [q for r in doc.responses for q in _response_quotes(doc, r, nlp, cfg)]
        # One odd file must not cost the batch; the traceback goes to the log so the cause
        # can still be fixed, and the file is named in the manifest.
        except Exception as exc:  # noqa: BLE001
            logger.exception("%s: quotes could not be made", doc.source_file)
            errors[doc.source_file] = (
                f"{doc.source_file}: quotes could not be made ({type(exc).__name__}: {exc})"
            )
            continue
        quotes.extend(mine)
    return QuoteSplit(tuple(mark_duplicates(quotes, cfg.min_duplicate_words)), errors)


def split_quotes(
    documents: Iterable[Document], nlp=None, config: QuoteConfig | None = None
) -> list[Quote]:
    """Split every response of every document into quotes, in document order.

    A document that cannot be split is left out and logged; ``split_quotes_by_file`` also
    says which and why.

    Args:
        documents: parsed inputs.
        nlp: a spaCy pipeline with sentence boundaries; defaults to ``load_sentencizer()``.
        config: splitting thresholds.
    """
    return list(split_quotes_by_file(documents, nlp, config).quotes)
