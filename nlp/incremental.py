"""The per-file and per-quote parts of the stages, remembered between runs.

A rerun after one new interview used to split, judge and score every file again: about 20 s
of spaCy and language identification for nine transcripts, and as much again for the
recommendation cues. Each function here does that work one file at a time, through a
``nlp.stagecache.StageCache``, so only new or changed files cost anything. A file's result
is exactly what the all-files call computes for it:

- quotes are split per document; only ``duplicate_of``, which compares responses across
  files, is worked out afterwards over all of them (``nlp.quotes.mark_duplicates``);
- a quote's substance is judged on its own text, and its language from its own text with its
  file as the fallback context (``nlp.language.detect_languages`` groups by file);
- a quote's recommendation confidence and its sentiment come from its own text and head vector;
- a quote's keyword terms (``nlp.topics.labels.PhraseAnalyzer``) and the tokens theme naming
  reads (``nlp.topics.phrases.PhraseTokenizer``) come from its own text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import TypeVar

import numpy as np

from nlp.analysable import annotate_quotes
from nlp.config import PipelineConfig
from nlp.quotes import QuoteSplit, mark_duplicates, split_quotes_by_file
from nlp.schemas import Document, Quote
from nlp.stagecache import StageCache, content_key

__all__ = [
    "recommendation_confidence", "remembered_sentiment", "split_and_annotate", "with_remembered_terms",
    "with_remembered_tokens",
]

T = TypeVar("T")

# The modules whose code decides each stage's per-file result.
_QUOTE_MODULES = (
    "nlp.quotes", "nlp.analysable", "nlp.substantive", "nlp.language", "nlp.schemas", "nlp.ingest.markup",
)
_RECOMMENDATION_MODULES = (
    "nlp.recommendations.classifier", "nlp.recommendations.rules", "nlp.recommendations.lexicon",
    "nlp.recommendations.tuned",
)
_RESCORE_MODULES = ("nlp.recommendations.clauses", "nlp.recommendations.turn_talk")


def _stage_root(config: PipelineConfig) -> Path:
    return Path(config.cache_dir) / "stages"


def split_and_annotate(documents: Sequence[Document], config: PipelineConfig) -> QuoteSplit:
    """Every document's quotes, annotated (``nlp.analysable.annotate_quotes``), duplicates marked.

    Returns what ``split_quotes_by_file`` then ``annotate_quotes`` return for all documents,
    computing only the documents not already in the cache.
    """
    cache = StageCache(_stage_root(config), "quotes", dataclasses.asdict(config.quotes), _QUOTE_MODULES)
    nlp = None
    quotes: list[Quote] = []
    errors: dict[str, str] = {}
    for doc in documents:
        key = content_key(doc)
        mine = cache.get(key)
        if mine is None:
            if nlp is None:  # loading spaCy costs seconds: only when a file needs it
                from nlp.quotes import load_sentencizer

                nlp = load_sentencizer()
            split = split_quotes_by_file([doc], nlp, config.quotes)
            if split.errors:  # not cached: a failing file is tried again, and named again
                errors.update(split.errors)
                continue
            # Duplicates are a property of the whole corpus, so they are marked below.
            mine = [replace(q, duplicate_of=None) for q in annotate_quotes(list(split.quotes), [doc])]
            cache.put(key, mine)
        quotes.extend(mine)
    return QuoteSplit(tuple(mark_duplicates(quotes, config.quotes.min_duplicate_words)), errors)


def recommendation_confidence(
    quotes: Sequence[Quote],
    head_vectors: np.ndarray,
    head,
    config: PipelineConfig,
    rescore: Callable[[list[str], list[float]], list[float]] | None = None,
) -> list[float]:
    """``nlp.recommendations.predict_proba`` of every quote, computed one source file at a time.

    A file's entry is keyed by its quotes' texts and head vectors, and the head's weights are
    part of the fingerprint, so a new head, model or backend scores everything again.
    ``rescore(texts, confidences)``, when given, is applied to each file's scores before they
    are kept (``nlp.recommendations.clauses.rescore_quotes``: per quote, so per file gives the
    all-files result), and its modules join the fingerprint.
    """
    from nlp.recommendations import predict_proba

    settings = {"head": _weights_key(head)}
    modules = _RECOMMENDATION_MODULES + (_RESCORE_MODULES if rescore is not None else ())
    settings["rescored"] = rescore is not None
    # The re-scored confidences are a stage of their own, so each stage keeps one entry per file.
    stage = "recommendation_confidence" if getattr(head, "tuned", None) is None else "recommendation_tuned"
    cache = StageCache(_stage_root(config), stage, settings, modules)
    vectors = np.asarray(head_vectors)
    by_file: dict[str, list[int]] = {}
    for i, q in enumerate(quotes):
        by_file.setdefault(q.source_file, []).append(i)
    confidence = [0.0] * len(quotes)
    for rows in by_file.values():
        texts = [quotes[i].text for i in rows]
        key = content_key(texts, vectors.dtype.str, np.ascontiguousarray(vectors[rows]).tobytes())
        scores = cache.get(key)
        if scores is None:
            scores = [float(p) for p in predict_proba(texts, embeddings=vectors[rows], head=head)]
            if rescore is not None:
                scores = [float(p) for p in rescore(texts, scores)]
            cache.put(key, scores)
        for i, p in zip(rows, scores):
            confidence[i] = p
    return confidence


def _weights_key(head) -> str:
    """Every field of a head's dataclass but its free-form training record (``metadata``), hashed.

    Arrays count by their bytes, since numpy's repr abbreviates long ones.
    """
    fields = [getattr(head, f.name) for f in dataclasses.fields(head) if f.name != "metadata"]
    return content_key(*(v.tobytes() if isinstance(v, np.ndarray) else v for v in fields))


def remembered_sentiment(
    config: PipelineConfig,
    quotes: Sequence[Quote],
    head_vectors: np.ndarray,
    scorer,
    score: Callable[[list[int]], list[float]],
) -> list[float]:
    """Every quote's sentiment, scoring only the quotes no earlier run scored.

    A quote's score is a function of its text and head vector (``nlp.sentiment.HeadScorer``:
    VADER's lexicon scores, about 0.15 ms a quote, then the head's weights), so a rerun after one
    new interview scores that interview's quotes only. Entries are keyed by text and vector; the
    head's weights and VADER's version are the fingerprint. ``score(rows)`` returns the scores of
    the quotes at ``rows`` (the stage maps it over batches). Only the current quotes' scores are kept.
    """
    vectors = np.asarray(head_vectors)
    keys = [content_key(q.text, vectors.dtype.str, vectors[i].tobytes())[:32] for i, q in enumerate(quotes)]
    settings = {"head": _weights_key(scorer.head), "vader": _version("vaderSentiment")}
    cache = StageCache(_stage_root(config), "sentiment", settings, ("nlp.sentiment.head", "nlp.sentiment.scorers"))
    known = cache.get("scores") or {}
    missing = [i for i, key in enumerate(keys) if key not in known]
    fresh = dict(zip((keys[i] for i in missing), score(missing))) if missing else {}
    scores = {**known, **fresh}
    if fresh or len(known) != len(set(keys)):
        cache.put("scores", {key: scores[key] for key in keys})
    return [scores[key] for key in keys]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


def with_remembered_terms(config: PipelineConfig, quotes: Sequence[Quote], fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(*args, **kwargs)``, a topic fit of ``quotes``, with their keyword terms kept between runs.

    The topic stage analyses every quote with spaCy for its keywords and lexical layout
    (``nlp.topics.labels.remembered_terms``). Terms depend on the text, the analyser's code and
    spaCy's lemma tables, which make the fingerprint; only the current quotes' terms are kept.
    """
    from nlp.topics.labels import remembered_terms

    settings = {"spacy": _version("spacy"), "lookups": _version("spacy-lookups-data")}
    cache = StageCache(_stage_root(config), "phrase_terms", settings, ("nlp.topics.labels", "nlp.topics.lemmatizer"))
    known = cache.get("terms") or {}
    with remembered_terms(known) as fresh:
        result = fn(*args, **kwargs)
    if fresh:
        texts = {q.text for q in quotes}
        cache.put("terms", {t: v for t, v in {**known, **fresh}.items() if t in texts})
    return result


def with_remembered_tokens(config: PipelineConfig, texts: Sequence[str], fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(*args, tokenizer=..., **kwargs)``, a theme naming, with a tokenizer that knows earlier runs' texts.

    Naming reads every quote with spaCy's lemmatizer and WordNet's word lists
    (``nlp.topics.phrases``), about half a CPU second for 2,800 quotes, each run. A text's
    tokens depend only on the text, that module's code and spaCy's tables (the fingerprint).
    What is kept: the tokens of ``texts`` (this run's quotes) and of whatever else this run read.
    """
    from nlp.topics.phrases import PhraseTokenizer, Token

    # Stored as plain tuples, rebuilt into ``Token``s here: pickle writes a named tuple as a call
    # of its class per token, about 0.7 CPU s to read and write the 60,000 tokens of 2,900
    # transcript quotes, against 0.15 s as plain tuples.
    settings = {"spacy": _version("spacy"), "lookups": _version("spacy-lookups-data"), "stored": "tuples"}
    cache = StageCache(_stage_root(config), "phrase_tokens", settings, ("nlp.topics.phrases", "nlp.topics.lemmatizer"))
    known = {text: list(map(Token._make, tokens)) for text, tokens in (cache.get("tokens") or {}).items()}
    tokenizer = PhraseTokenizer(known)
    result = fn(*args, tokenizer=tokenizer, **kwargs)
    read = tokenizer.memo()
    if read.keys() != known.keys():
        current = set(texts)
        kept = {t: v for t, v in read.items() if t in current or t not in known}
        cache.put("tokens", {text: [tuple(token) for token in tokens] for text, tokens in kept.items()})
    return result
