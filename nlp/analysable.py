"""What counts: which quotes enter topics and aggregates, and counting people, not turns.

Every quote stays in ``quotes.parquet`` with its provenance. A quote is *analysable* when it
is substantive (``nlp.substantive``) and in a language the embedding model can place
(``nlp.language``; the bundled all-MiniLM-L6-v2 is English). Only analysable quotes are fitted
into topics, averaged into sentiment, proposed as recommendations or counted; the others keep
``topic_id`` -1.

Themes count *respondents*: distinct ``respondent_id`` among a theme's analysable,
non-duplicate quotes. A respondent who raises a theme in ten turns counts once, so a theme's
``n_respondents`` can never exceed the number of people interviewed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from nlp.language import LanguageConfig, detect_languages
from nlp.schemas import Document, Quote
from nlp.substantive import substantive_flags

__all__ = [
    "MODEL_LANGUAGES",
    "analysable",
    "annotate_quotes",
    "exclusion_summary",
    "is_spoken",
    "language_note",
    "respondents_per_topic",
]

# Languages the bundled embedding model was trained on.
MODEL_LANGUAGES: tuple[str, ...] = ("en",)
_LANGUAGE_NAMES = {"en": "English"}
_FILES_NAMED = 3  # files a note names before "and N more"


def is_spoken(document: Document) -> bool:
    """True for a transcript (speech, with backchannel), False for written answers."""
    return document.format == "transcript" or document.metadata.get("layout") == "transcript"


def annotate_quotes(
    quotes: Sequence[Quote],
    documents: Iterable[Document],
    *,
    identifier=None,
    language_config: LanguageConfig | None = None,
) -> list[Quote]:
    """The quotes with ``is_substantive`` and ``language`` filled in.

    Args:
        quotes: Quotes as split from the documents.
        documents: The documents they come from; a transcript's quotes are judged as speech.
        identifier: Language identifier for ``nlp.language.detect_languages`` (tests pass a
            fake); defaults to the bundled py3langid model.
        language_config: Thresholds of language detection.

    Returns:
        New Quote records in the same order.
    """
    spoken_files = {d.source_file for d in documents if is_spoken(d)}
    texts = [q.text for q in quotes]
    flags = substantive_flags(texts, [q.source_file in spoken_files for q in quotes])
    languages = detect_languages(
        texts, [q.source_file for q in quotes], identifier=identifier, config=language_config
    )
    return [
        replace(q, is_substantive=flag, language=language)
        for q, flag, language in zip(quotes, flags, languages)
    ]


def analysable(
    quotes: Sequence[Quote], model_languages: Sequence[str] = MODEL_LANGUAGES
) -> list[bool]:
    """Per quote, whether it enters topics, aggregates, recommendations and counts.

    A quote whose language is not yet known (``""``) is not excluded for it.
    """
    allowed = set(model_languages)
    return [q.is_substantive and (not q.language or q.language in allowed) for q in quotes]


def respondents_per_topic(
    quotes: Sequence[Quote],
    topic_ids: Sequence[int],
    model_languages: Sequence[str] = MODEL_LANGUAGES,
) -> dict[int, int]:
    """Distinct respondents per topic, over analysable quotes that are not duplicates.

    Args:
        quotes: All quotes.
        topic_ids: Topic of each quote (-1: none).
        model_languages: As for ``analysable``.

    Returns:
        ``{topic_id: n_respondents}`` for every topic id that has an analysable quote.
    """
    if len(quotes) != len(topic_ids):
        raise ValueError(f"{len(quotes)} quotes but {len(topic_ids)} topic ids")
    people: dict[int, set[str]] = {}
    for q, topic, ok in zip(quotes, topic_ids, analysable(quotes, model_languages)):
        if ok and q.duplicate_of is None:
            people.setdefault(int(topic), set()).add(q.respondent_id)
    return {topic: len(ids) for topic, ids in people.items()}


def exclusion_summary(
    quotes: Sequence[Quote], model_languages: Sequence[str] = MODEL_LANGUAGES
) -> dict[str, object]:
    """What was kept out of the analysis and why, for the run manifest.

    Returns:
        ``analysable``, ``non_substantive`` and ``other_language`` quote counts (a quote
        both non-substantive and in another language counts as non-substantive),
        ``languages`` (quotes per language code) and ``respondents`` (distinct respondents
        with an analysable quote).
    """
    allowed = set(model_languages)
    ok = analysable(quotes, model_languages)
    non_substantive = sum(not q.is_substantive for q in quotes)
    other = sum(q.is_substantive and q.language and q.language not in allowed for q in quotes)
    return {
        "analysable": sum(ok),
        "non_substantive": non_substantive,
        "other_language": other,
        "languages": dict(sorted(Counter(q.language or "unknown" for q in quotes).items())),
        "respondents": len({q.respondent_id for q, keep in zip(quotes, ok) if keep}),
    }


def language_note(quotes: Sequence[Quote], model_languages: Sequence[str] = MODEL_LANGUAGES) -> str | None:
    """What a reader must know when substantive quotes are in a language the model cannot place:
    how many, in which languages, and the files none of whose substantive quotes is analysed
    (a French interview is otherwise missing from the report without a word). ``None`` when all
    substantive quotes can be analysed.
    """
    allowed = set(model_languages)
    other = [q for q in quotes if q.is_substantive and q.language and q.language not in allowed]
    if not other:
        return None
    said = Counter(q.source_file for q in quotes if q.is_substantive)
    left_out = Counter(q.source_file for q in other)
    whole = sorted(f for f, n in left_out.items() if n == said[f])
    languages = ", ".join(f"{lang} {n}" for lang, n in Counter(q.language for q in other).most_common())
    model = " or ".join(_LANGUAGE_NAMES.get(lang, lang) for lang in model_languages)
    many = len(other) > 1
    note = (
        f"{len(other)} quote{'s' if many else ''} not in {model} ({languages}), which the embedding model cannot "
        f"place, {'are' if many else 'is'} kept in quotes.parquet but left out of themes, sentiment and recommendations"
    )
    if whole:
        more = len(whole) - _FILES_NAMED
        note += f"; none of {', '.join(whole[:_FILES_NAMED])}{f' and {more} more' if more > 0 else ''} is analysed"
    return note
