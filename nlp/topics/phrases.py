"""Tokens as theme naming reads them: lemma, content word, and whether a word can only be a verb.

No trained pipeline can be installed, so there is no part-of-speech tagger. What naming needs
from one is narrow: a name is a noun phrase, so a word that can only be a verb must not end it
and an inflected verb must not sit in it. The word lists that ``spacy-lookups-data`` ships for
its rule lemmatizer (WordNet's nouns, verbs and adjectives) answer that much: "achieve" is only a
verb, "support" is a noun too, "advanced" is an adjective.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

__all__ = ["PhraseTokenizer", "Token"]

_ONE_SYLLABLE_CVC = re.compile(r"[^aeiou]*[aeiou][^aeiouwxy]")


class Token(NamedTuple):
    """One token as naming sees it.

    Attributes:
        lower: lowercase form.
        lemma: lookup lemma of the lowercase form (acronyms kept whole).
        content: a word that is no stop word.
        written: the form as written.
        word: alphabetic.
        verb: "" for a word that can be something else; "base" for a word that can only be a
            verb, as written ("achieve"); "inflected" for a verb form that is no adjective
            ("helped", "provides"). From WordNet's word lists, not from a tagger.
        classes: the WordNet word classes of the word or its lemma, "n" noun, "v" verb, "a"
            adjective ("nv" for "change"); "" for a word the lists do not know (acronyms, jargon).
        hyphen_before: the word is the second part of a hyphenated word ("putting" in "off-putting").
        hyphen_after: the word is the first part of one ("cross" in "cross-border").
    """

    lower: str
    lemma: str
    content: bool
    written: str
    word: bool
    verb: str = ""
    classes: str = ""
    hyphen_before: bool = False
    hyphen_after: bool = False


class PhraseTokenizer:
    """Tokens of a text (``Token``), memoised per text.

    Args:
        known: tokens of texts read before (text -> tokens), e.g. by the previous run
            (``nlp.incremental.remembered_tokenizer``); taken as they are.
    """

    def __init__(self, known: Mapping[str, list[Token]] | None = None) -> None:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
        from spacy.lookups import load_lookups

        from nlp.topics.lemmatizer import lookup_lemmatizer

        self._nlp = lookup_lemmatizer()
        self._lookup = self._nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        # WordNet's word lists as spacy-lookups-data ships them (installed with the package).
        index = load_lookups("en", ["lemma_index"]).get_table("lemma_index")
        nouns, adjectives = set(index.get("noun", ())), set(index.get("adj", ()))
        self._verbs = set(index.get("verb", ()))
        self._only_verbs = self._verbs - nouns - adjectives
        self._adjectives = adjectives
        self._nouns = nouns
        self._stop = set(ENGLISH_STOP_WORDS) | self._nlp.Defaults.stop_words
        self._memo: dict[str, list[Token]] = dict(known or {})
        # What each word form says (``_form``), keyed by its lower case, all-caps and alphabetic.
        self._forms: dict[tuple[str, bool, bool], tuple[str, bool, str, str]] = {}

    def _verb(self, lower: str, lemma: str) -> str:
        if lower.endswith("ing") or lower in self._adjectives:
            return ""  # "open contracting", "advanced planning"
        if lower == lemma:
            return "base" if lemma in self._only_verbs else ""
        if lemma in self._only_verbs or (lower.endswith("ed") and lemma in self._verbs):
            return "inflected"
        return ""

    def tokens(self, text: str) -> list[Token]:
        """The tokens of ``text``; memoised per text."""
        found = self._memo.get(text)
        if found is None:
            # The tokenizer alone: lemmas come from the lookup table, per word form (``_form``).
            doc = self._nlp.make_doc(text)
            written = [t.text for t in doc]
            spaced = [bool(t.whitespace_) for t in doc]
            found = []
            for k, t in enumerate(doc):
                # A hyphen written without spaces between two words glues them.
                before = 1 < k and written[k - 1] == "-" and not spaced[k - 2] and not spaced[k - 1]
                after = k < len(doc) - 2 and written[k + 1] == "-" and not spaced[k] and not spaced[k + 1]
                lemma, content, verb, classes = self._form(t.lower_, t.is_upper, t.is_alpha)
                found.append(Token(t.lower_, lemma, content, written[k], t.is_alpha, verb, classes, before, after))
            self._memo[text] = found
        return found

    def _form(self, lower: str, upper: bool, alpha: bool) -> tuple[str, bool, str, str]:
        """What a word form says, read once per form: its ``Token`` lemma, content, verb and classes."""
        key = (lower, upper, alpha)
        known = self._forms.get(key)
        if known is None:
            # Lookup lemmas strip a plural "s" from acronyms ("OCDS" -> "ocd"); keep them whole.
            # The lookup is case-sensitive, so a capitalised word is looked up in lower case.
            lemma = lower if upper else self._lookup.get(lower, lower).lower()
            content = alpha and len(lemma) > 1 and lemma not in self._stop and lower not in self._stop
            verb = self._verb(lower, lemma) if alpha and not upper else ""
            known = self._forms[key] = (lemma, content, verb, self._classes(lower, lemma) if alpha else "")
        return known

    def _classes(self, lower: str, lemma: str) -> str:
        words = (lower, lemma)
        lists = (("n", self._nouns), ("v", self._verbs), ("a", self._adjectives))
        return "".join(c for c, s in lists if any(w in s for w in words))

    def gerund(self, lemma: str) -> str:
        """The -ing form of a verb ("create" -> "creating", "map" -> "mapping"): the spelling
        whose lookup lemma is ``lemma``, else ``lemma`` + "ing"."""
        stem = lemma[:-1] if lemma.endswith("e") and not lemma.endswith(("ee", "ye", "oe")) else lemma
        stem = lemma[:-2] + "y" if lemma.endswith("ie") else stem
        forms = [stem + "ing", lemma + "ing", lemma + lemma[-1:] + "ing"]
        if _ONE_SYLLABLE_CVC.fullmatch(lemma):  # "put" -> "putting", "map" -> "mapping"
            forms.insert(0, forms.pop())
        return next((f for f in forms if self._lookup.get(f) == lemma), forms[0])

    def memo(self) -> dict[str, list[Token]]:
        """Every text read so far with its tokens (a copy)."""
        return dict(self._memo)

    def lemmas(self, text: str) -> set[str]:
        return {t.lemma for t in self.tokens(text) if t.content}
