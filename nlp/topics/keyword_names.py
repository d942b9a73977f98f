"""The last resort of theme naming: a name from a theme's keywords when no phrase of its quotes qualifies."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from nlp.topics.grammar import GENERIC, MAX_WORDS, MIN_WORDS, allowed, edge_ok, sentence_case
from nlp.topics.phrases import PhraseTokenizer, Token

__all__ = ["fallback_name"]


def _noun_like(token: Token) -> bool:
    # An -ing form whose lemma differs ("providing" -> provide) reads as a verb on its own.
    verbal = token.lower.endswith("ing") and token.lemma != token.lower
    return token.content and not token.verb and not verbal and token.lemma not in GENERIC and allowed(token)


def _keyword_phrase(keyword: str, tok: PhraseTokenizer, texts: Sequence[str] = ()) -> str | None:
    """A keyword of 2-6 words that reads as a name, as a quote writes it ("OCP support"), else None."""
    def as_written(word: str) -> str:  # keywords are lower case: take a quote's "OCP"
        pattern = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
        return next((m.group(0) for m in map(pattern.search, texts) if m), word)

    written = " ".join(as_written(w) for w in keyword.split())
    tokens = tok.tokens(written)
    if not MIN_WORDS <= len(tokens) <= MAX_WORDS or not all(t.word for t in tokens):
        return None
    if not (_noun_like(tokens[0]) or tokens[0].lower.endswith("ing")) or not _noun_like(tokens[-1]):
        return None
    return sentence_case(tokens, first=True) if edge_ok(tokens[-1], last=True, classes=True) else None


def fallback_name(
    theme: int, keywords: Sequence[str], weight: Mapping[str, float], taken: set[str],
    tok: PhraseTokenizer, word_classes: bool = True, texts: Sequence[str] = (),
) -> str:
    """A name from the theme's keywords (or its most distinctive lemmas), made unique.

    With the word-class rule, a keyword phrase that reads as a name comes first, then "A and B"
    of two keywords that can be nouns and are not generic ("Support and providing" is out);
    otherwise "A and B" of the first two keywords.
    """
    words = list(keywords) or [w for w, _ in sorted(weight.items(), key=lambda x: (-x[1], x[0]))]
    words = [w for w in words if w] or [f"theme {theme}"]
    if word_classes:
        phrases = [p for p in (_keyword_phrase(w, tok, texts) for w in words) if p and p.lower() not in taken]
        if phrases:
            return phrases[0]
        nouns = [w for w in words if len(tok.tokens(w)) == 1 and _noun_like(tok.tokens(w)[0])]
        words = nouns + [w for w in words if w not in nouns]
    for a in range(len(words)):
        for b in range(a + 1, len(words)):
            text = f"{words[a]} and {words[b]}"
            text = text[:1].upper() + text[1:]
            if text.lower() not in taken and len(text.split()) <= MAX_WORDS:
                return text
    text = f"{words[0]} (theme {theme})"
    return text[:1].upper() + text[1:]
