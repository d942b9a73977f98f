"""Keywords and labels: lemma phrases, their written forms, and how specific they are."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

__all__ = ["MIN_LABEL_LIFT", "PhraseAnalyzer", "TermStats", "label_from", "remembered_terms", "vectorizer"]


# Quotes are short; BERTopic's per-topic concatenations run to thousands of characters.
_MEMO_MAX_CHARS = 2000

# spaCy's tokenizer splits a text at whitespace before anything else (``PhraseAnalyzer._analyse``).
_WHITESPACE = re.compile(r"(\s+)")
# Chunks read by one spaCy call: its texts may not exceed ``nlp.max_length`` (a million characters).
_LEARN_BATCH = 5000

# Terms of quotes analysed in earlier runs, lent to every analyser inside ``remembered_terms``.
_REMEMBERED: dict[str, tuple[tuple[str, str], ...]] = {}


@contextmanager
def remembered_terms(known: Mapping[str, tuple[tuple[str, str], ...]]) -> Iterator[dict]:
    """Let analysers reuse ``known`` terms (text -> terms) and collect the ones they compute.

    A rerun analyses the same quotes as the run before it: spaCy's tokenizer and lemmatizer
    on 2,300 quotes cost about 10 s. The terms of a text depend only on the text and this
    module's code, so the caller may keep them between runs (``nlp.incremental``). Yields the
    texts analysed anew with their terms.
    """
    fresh: dict[str, tuple[tuple[str, str], ...]] = {}
    _REMEMBERED.clear()
    _REMEMBERED.update(known)
    _REMEMBERED_FRESH.append(fresh)
    try:
        yield fresh
    finally:
        _REMEMBERED_FRESH.remove(fresh)
        _REMEMBERED.clear()


_REMEMBERED_FRESH: list[dict] = []


class PhraseAnalyzer:
    """Analyzer for the CountVectorizer: lemmas and two-word phrases of adjacent content words.

    sklearn drops stop words before it forms n-grams, which glues "importance of OC" into the
    bigram "importance oc". Here a stop word or punctuation breaks a phrase instead.
    """

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        from nlp.topics.lemmatizer import lookup_lemmatizer

        self._nlp = lookup_lemmatizer()
        self._stop = set(ENGLISH_STOP_WORDS) | self._nlp.Defaults.stop_words
        self._memo: dict[str, tuple[tuple[str, str], ...]] = {}
        # Each whitespace-free chunk's tokens: (lemma, lower form) of a content word, else None.
        self._chunks: dict[str, tuple[tuple[str, str] | None, ...]] = {}

    def __getstate__(self) -> dict:
        # The memos are a per-fit speed-up, not state worth pickling with a model.
        return {**self.__dict__, "_memo": {}, "_chunks": {}}

    def terms(self, text: str) -> list[tuple[str, str]]:
        """(term, surface form) pairs: each content lemma, then each adjacent pair.

        BERTopic analyses the same quotes several times per fit (representative-document
        samples in fit and in ``update_topics``), and ``TermStats`` once more, so a quote's
        terms are remembered. Long texts are not: they are BERTopic's per-topic concatenations,
        which are never analysed twice and would hold a copy of the corpus.
        """
        if len(text) > _MEMO_MAX_CHARS:
            return self._analyse(text)
        found = self._memo.get(text)
        if found is None:
            found = _REMEMBERED.get(text)
            if found is None:
                found = tuple(self._analyse(text))
                for fresh in _REMEMBERED_FRESH:
                    fresh[text] = found
            self._memo[text] = found
        return list(found)

    def forget(self) -> None:
        """Drop remembered terms, e.g. once a fit is described."""
        self._memo.clear()

    def _analyse(self, text: str) -> list[tuple[str, str]]:
        """The terms of ``text``, read from its chunks' tokens.

        spaCy's tokenizer cuts a text at whitespace first and tokenizes each run of non-space
        characters (a chunk) on its own; a whitespace run other than one space becomes a token
        of its own. So a text's tokens are its chunks' tokens in order, and each chunk is read
        by spaCy once per analyser: BERTopic's per-topic concatenations repeat every quote, and
        reading them whole was most of a rerun's keyword work. Same terms as reading the text.
        """
        parts = _WHITESPACE.split(text)  # chunk, whitespace, chunk, ...
        missing = list(dict.fromkeys(c for c in parts[0::2] if c and c not in self._chunks))
        for start in range(0, len(missing), _LEARN_BATCH):
            self._learn(missing[start : start + _LEARN_BATCH])
        out: list[tuple[str, str]] = []
        previous: tuple[str, str] | None = None
        for k, part in enumerate(parts):
            if k % 2:
                if part != " ":  # a whitespace token: not a word, so it breaks a phrase
                    previous = None
                continue
            for token in self._chunks.get(part, ()):
                if token is None:
                    previous = None
                    continue
                out.append(token)
                if previous is not None and previous[0] != token[0]:
                    out.append((f"{previous[0]} {token[0]}", f"{previous[1]} {token[1]}"))
                previous = token
        return out

    def _learn(self, chunks: Sequence[str]) -> None:
        """Tokenize ``chunks`` (no whitespace in any) in one spaCy call and remember each one's tokens."""
        ends = np.cumsum([len(c) + 1 for c in chunks])  # joined by one space
        found: list[list[tuple[str, str] | None]] = [[] for _ in chunks]
        k = 0
        for token in self._nlp(" ".join(chunks)):
            while token.idx >= ends[k]:
                k += 1
            # Lookup lemmas strip a plural "s" from acronyms ("OCDS" -> "ocd"); keep them whole.
            lemma = token.lower_ if token.is_upper else token.lemma_.lower()
            content = token.is_alpha and len(lemma) > 1
            if content and lemma not in self._stop and token.lower_ not in self._stop:
                found[k].append((lemma, token.lower_))
            else:
                found[k].append(None)
        self._chunks.update(zip(chunks, map(tuple, found)))

    def __call__(self, text: str) -> list[str]:
        return [term for term, _ in self.terms(text)]


def vectorizer(n_docs: int):
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        analyzer=PhraseAnalyzer(),
        # On small corpora every word is rare; on large ones, words seen once are noise.
        min_df=1 if n_docs < 1000 else 2,
    )


@dataclass(frozen=True)
class TermStats:
    """Which quotes contain each term, and the most common way each term is written."""

    doc_terms: list[set[str]]
    surface: dict[str, str]
    doc_freq: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, texts: Sequence[str], analyzer: PhraseAnalyzer) -> TermStats:
        doc_terms: list[set[str]] = []
        forms: dict[str, Counter] = {}
        doc_freq: Counter = Counter()
        for text in texts:
            pairs = analyzer.terms(text)
            terms = {t for t, _ in pairs}
            doc_terms.append(terms)
            doc_freq.update(terms)
            for term, form in pairs:
                forms.setdefault(term, Counter())[form] += 1
        surface = {t: c.most_common(1)[0][0] for t, c in forms.items()}
        return cls(doc_terms, surface, dict(doc_freq))

    def lift(self, term: str, members: np.ndarray) -> float:
        """How much more often ``term`` occurs in the topic's quotes than in the corpus."""
        in_topic = sum(term in self.doc_terms[i] for i in members) / max(len(members), 1)
        # Counted once in ``build``: scanning the corpus per topic and term is quadratic.
        overall = self.doc_freq.get(term, 0) / max(len(self.doc_terms), 1)
        return in_topic / overall if overall else 0.0

    def distinctive(self, members: np.ndarray, n: int) -> list[str]:
        """The topic's ``n`` terms held by the most of its quotes, the more specific first on ties.

        A fallback for a topic whose representation model found no keyword (a tiny topic whose
        candidate words all fell below KeyBERT's cut): every theme keeps a keyword list.
        """
        held = Counter(t for i in members for t in self.doc_terms[i])
        return sorted(held, key=lambda t: (-held[t], -self.lift(t, members), t))[:n]


# A label word must be at least this many times more frequent in its topic than in the corpus:
# words every topic shares (the organisation's own name, "need", "good") then never label one.
MIN_LABEL_LIFT = 2.0


def label_from(keywords: Sequence[str], lifts: Sequence[float], n: int = 3) -> str:
    """Readable label: up to ``n`` specific keywords that don't repeat a word already used."""
    specific = [kw for kw, lift in zip(keywords, lifts) if lift >= MIN_LABEL_LIFT]
    chosen: list[str] = []
    used: set[str] = set()
    for kw in specific or list(keywords):
        words = set(kw.split())
        if words & used:
            continue
        chosen.append(kw)
        used |= words
        if len(chosen) == n:
            break
    return ", ".join(chosen)
