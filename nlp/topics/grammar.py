"""The grammar of a theme name: which runs of a quote's tokens can name a theme.

A name is a noun run ("private sector engagement"), two runs joined by a connector ("evidence
of impact", "civil society and private sector"), or an -ing word with its object ("engaging the
private sector", "bringing in civil society"). Each token gets a class (``_kind``): C content
word, G content word ending in -ing, P connector, D determiner, X anything else (it breaks a
phrase); ``spans`` yields the runs of a text's tokens whose classes fit ``_SHAPE`` and whose
edges can start and end a noun phrase. ``nlp.topics.naming`` scores them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlp.topics.phrases import Token

__all__ = ["GENERIC", "MAX_WORDS", "META_NOUNS", "MIN_WORDS", "allowed", "edge_ok", "spans"]

MIN_WORDS, MAX_WORDS = 2, 6
# Token classes: C content word, G content word ending in -ing, P connector, D determiner,
# X anything else (it breaks a phrase). A name is a noun run ("private sector engagement"), two
# runs joined by a connector ("evidence of impact", "civil society and private sector"), or an
# -ing word with its object ("engaging the private sector", "bringing in civil society").
_CONNECTORS = frozenset("of for with on to in between from about and by across among".split())
_DETERMINERS = frozenset("the their our a an its".split())
_SHAPE = re.compile(r"[CG]{2,4}|[CG]{1,3}PD?[CG]{1,3}|GP?D?[CG]{1,4}")
# Words a name never holds: without a part-of-speech tagger (no trained pipeline can be
# installed), these are the common verbs, hedges and quantities that turn a phrase into a
# sentence fragment ("like the OCP need", "OCP needs to pay", "bit more contact").
_BAD_EDGE = frozenset(
    """like need needs want know think happen make get go say said feel see come take give seem
    lot lots bit kind sort way thing things really just also able try let yeah okay ok thank
    thanks please sure maybe actually basically etc use pay sit met wo ca""".split()
)
# Adjectives that end no noun phrase ("relevant and important"); words in -ed or -ly end none either.
_NOT_LAST = frozenset(
    """important relevant useful helpful good great clear different new strong difficult possible
    available necessary key main hard easy big small high low better best many much few various
    specific general several certain own same other whole real open""".split()
)
# Heads that say what kind of thing is meant but not which: alone they make no name.
GENERIC = frozenset(
    """issue issues factor change field area aspect point part level type question problem matter topic
    element side case example term way reason idea sense main key major general overall various extent
    degree""".split()
)
# Nouns about the interview itself: a phrase holding one is talk about the talk.
META_NOUNS = frozenset("question questionnaire interview interviewer interviewee".split())
# What spaCy's tokenizer leaves of "gonna", "wanna", "gotta", "dunno": never part of a name.
_STUBS = frozenset("gon na wan ta dun got".split())


def _kind(token: Token, filler: frozenset[str] = frozenset(), classes: bool = False) -> str:
    if token.lower in filler or (classes and (token.verb == "inflected" or token.lower in _STUBS)):
        return "X"  # an inflected verb makes a clause of the phrase: "OC helped in"
    if token.content:
        return "G" if token.lower.endswith("ing") and len(token.lower) > 5 else "C"
    if not token.word:
        return "X"
    return "P" if token.lower in _CONNECTORS else "D" if token.lower in _DETERMINERS else "X"


def allowed(token: Token) -> bool:
    return token.lemma not in _BAD_EDGE and token.lower not in _BAD_EDGE


def edge_ok(token: Token, last: bool = False, classes: bool = False) -> bool:
    lower = token.lower
    if lower.endswith("ly") or (last and (lower in _NOT_LAST or lower.endswith("ed"))):
        return False
    if last and classes and token.verb:
        return False  # a noun phrase does not end on a verb: "support to replicate"
    return allowed(token)


def _kinds(tokens: Sequence[Token], filler: frozenset[str], classes: bool) -> str:
    kinds = ""
    for t in tokens:
        kind = _kind(t, filler, classes)
        # After a content word, a word that can only be a verb, or an adverb, makes a clause:
        # "challenges rely on incentives", "countries formally sign".
        if classes and kind in "CG" and kinds[-1:] in ("C", "G") and (t.verb or t.lower.endswith("ly")):
            kind = "X"
        kinds += kind
    return kinds


def spans(tokens: Sequence[Token], filler: frozenset[str] = frozenset(), classes: bool = False):
    """Spans of MIN_WORDS..MAX_WORDS tokens shaped like a name and not cut out of a longer run."""
    kinds = _kinds(tokens, filler, classes)
    n = len(kinds)
    for i in range(n):
        if kinds[i] not in "CG" or (i > 0 and kinds[i - 1] in "CG") or not edge_ok(tokens[i]):
            continue
        for j in range(i + MIN_WORDS, min(n, i + MAX_WORDS) + 1):
            if not allowed(tokens[j - 1]):
                break
            if j < n and kinds[j] in "CG":
                continue
            if _SHAPE.fullmatch(kinds[i:j]) and edge_ok(tokens[j - 1], last=True, classes=classes):
                yield i, j
