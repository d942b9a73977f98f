"""What an ask span says on its own: whether it names anything, and whether it asks for the opposite.

``names_something``: "Um", "Do it", "Let me know" name nothing a report writer could act on.

``content_words`` and ``contained_pairs``: "advanced planning" is all said again in "an advanced
agenda or planning sharing system", though the two read only 0.66 alike.

``negated``: "Marijuana should not be legalized" asks the opposite of "Marijuana should be
legalized and taxed", yet their ask spans are 0.8 apart and joined one ask. The span often
loses the negation with its frame ("We don't need more roads" asks for "roads", as "We need more
roads" does), so the words before the span in its clause are read too. Only a negated request
counts: "there is no engagement" states a lack, and "not enough parking" asks for more.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

__all__ = ["AGAINST", "contained_pairs", "content_words", "ends_mid_clause", "names_something", "negated", "says_no"]

# Words that say nothing about what is asked for: function words, light verbs and the fillers
# of spoken answers. A span made only of them ("Um", "Do it", "Let me know") would join
# every other such span across respondents, so its quote is compared on its whole text instead.
_EMPTY_WORDS = frozenset(
    """
    a an the and or but so of to in on at by for with from as it its this that these those there
    here i me my we us our you your he him his she her they them their one be is are was were been
    do does did done have has had get got go going make let know see say said think mean want well
    yeah yes no not ok okay um uh mm hmm oh like just really very also then now right sure thing
    things way lot bit kind sort more much some any all what which who how when where why if can
    could would should will shall may might must need needs
    """.split()
)

AGAINST = "<against>"
"""The content word ``content_words`` adds for a span that asks against its object."""
# Words of such a span: "Forget about a test drive", "avoid the highway", "fewer cars".
_AGAINST_WORDS = frozenset(
    "forget avoid skip stop stopped quit ban banned cut reduce reduced decrease lower limit less fewer "
    "remove removed eliminate drop abolish end".split()
)


@lru_cache(maxsize=1)
def _not_content() -> frozenset[str]:
    """Words that do not name what is asked for, for ``content_words``: ``_EMPTY_WORDS`` and
    spaCy's stop words."""
    from nlp.substantive import stop_words

    return _EMPTY_WORDS | stop_words()


_OBJECT_PRONOUNS = frozenset("it them this that these those him her one".split())

# A request turned against its object: a negated modal or need ("should not", "mustn't", "we
# don't need"), "never", "no more"/"no new", "not to", a negated order ("Don't raise taxes") and
# "nobody should". A negation that states a lack ("there is no engagement", "areas that have
# none") asks for the thing, and "not enough" asks for more: neither counts.
_NEGATION = re.compile(
    r"\b(?:should|must|shall|would|could|will|can|need|needs|ought)(?:\s+not|n['’]t)\b(?!\s+(?:enough|only)\b)"
    r"|\b(?:should|must|shall|will|there)\s+be\s+no\b"
    r"|\b(?:do|does|did)(?:\s+not|n['’]t)\s+(?:need|want|think|believe|support)\b"
    r"|^\s*(?:don['’]t|do\s+not|never|no\s+more)\b|\bnever\b|\bno\s+(?:more|new|further|longer)\b|\bnot\s+to\b"
    r"|\b(?:nobody|no\s+one)\s+(?:should|must|needs?)\b|\bcan['’]t\s+be\s+allowed\b",
    re.IGNORECASE,
)
# Any word of negation, a request's or not: what a span says "no" with ("Marijuana not legalized").
_NEGATION_WORD = re.compile(r"\b(?:not|no|never|none|nobody)\b|n['’]t\b", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?;]+[.!?;]*")
_CLAUSE_BREAK = re.compile(
    r"[,:–—]\s|\s-\s|\s(?:but|because|although|though|while|who|which|whereas)\s", re.IGNORECASE
)


def _span_words(span: str) -> list[str]:
    """The words of ``span`` as written, without the punctuation around them."""
    return [w.strip(".,;:!?\"'()[]") for w in span.split()]


def names_something(span: str) -> bool:
    """Whether ``span`` names something: a word of three letters or more beyond ``_EMPTY_WORDS``.

    "Um", "See", "Do to it" and "Let me know" name nothing a report writer could act on; nor
    does a short span whose object is a pronoun ("Remove them", "Fix it"): what is to be done
    is said before, in the conversation.
    """
    words = [w.lower() for w in _span_words(span)]
    if 0 < len(words) <= 3 and words[-1] in _OBJECT_PRONOUNS:
        return False
    return any(len(w) >= 3 and w.isalpha() and w not in _EMPTY_WORDS for w in words)


# Words a clause cannot stop on: a conjunction waits for its clause, a hesitation for the
# speaker, and a subject pronoun, alone or with its modal, for a verb.
_OPEN_WORDS = frozenset("and or but because if oh um uh er ah".split())
_SUBJECTS = frozenset("i we they he she".split())
_MODALS = frozenset("can could would should will shall may might must".split())


def ends_mid_clause(name: str) -> bool:
    """Whether an ask's name stops inside its clause, as a transcript's ask span cut short does:
    "Way for letter I could", "See if there was any change that oh". A name shortened to its
    length with "…" was cut there on purpose, and "if you could" or "as they are" end a clause,
    as does a numeral after a name inside it ("Fund Phase I"; a name's first word is capitalised
    anyway, so "Earlier I" is cut)."""
    if name.rstrip().endswith("…"):
        return False
    written = _span_words(name)
    words = [w.lower() for w in written]
    if not words or (len(written) > 2 and written[-1] == "I" and written[-2][:1].isupper()):
        return False
    last, before = words[-1], words[-2] if len(words) > 1 else ""
    return last in _OPEN_WORDS or last in _SUBJECTS or (last in _MODALS and before in _SUBJECTS)


def content_words(span: str) -> frozenset[str]:
    """The words of ``span`` that name what is asked for, a plural "-s" taken off: "more advanced
    planning" -> {"advanced", "planning"}. Function words (spaCy's stop words and
    ``_EMPTY_WORDS``) are left out; verbs are kept, since "Recycling services improved" asks
    for another thing than "Businesses required to offer recycling services". A span whose
    words are all capitalised names a place or a body, the subject of many asks ("Bowling Green
    become more walk-able"), not one: it gets no words. A word that asks against its object
    ("forget about", "avoid", "fewer") adds ``AGAINST``, which ``contained_pairs`` needs on both
    sides or neither."""
    words = _span_words(span)
    against = any(w.lower() in _AGAINST_WORDS for w in words)
    stop = _not_content()
    words = [w for w in words if len(w) >= 3 and w.isalpha() and w.lower() not in stop]
    if all(w[:1].isupper() for w in words):
        return frozenset()
    return frozenset(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in map(str.lower, words)
    ) | ({AGAINST} if against else set())


def contained_pairs(
    words: Sequence[frozenset[str]], min_words: int = 2, max_ratio: float = 3.0
) -> list[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, where every word of one set is in the other, the smaller set
    holding at least ``min_words`` and the larger at most ``max_ratio`` times as many: the two
    words of "public library" are also in a nine-word span about a branch in the south of the
    county, which asks for more. Found through an index of which sets hold each word, so a run of
    many spans never compares every pair. One set holding ``AGAINST`` and the other not is no
    pair: "go for a test drive" is all said in "Forget about a test drive or even kicking the
    tires", which asks the opposite."""
    holders: dict[str, set[int]] = {}
    for i, ws in enumerate(words):
        for w in ws:
            holders.setdefault(w, set()).add(i)
    pairs = set()
    for i, ws in enumerate(words):
        if len(ws) >= min_words:
            for j in set.intersection(*(holders[w] for w in ws)) - {i}:
                if len(words[j]) <= max_ratio * len(ws) and (AGAINST in ws) == (AGAINST in words[j]):
                    pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)


def says_no(span: str) -> bool:
    """Whether ``span`` holds a word of negation ("Marijuana not legalized"), so that a name
    made from it needs no "No" put back."""
    return bool(_NEGATION_WORD.search(span))


def negated(span: str, text: str = "") -> bool:
    """Whether the ask ``span`` of ``text`` asks for something not to be, or to be no more.

    True when the span holds a negated request ("never sell the park", "Don't raise taxes"), or
    the clause of ``text`` it comes from does ("We don't need more roads", "There should be no
    tax increase"): the clause that holds the span's words (else its first two, else its first
    of three letters or more), from one comma, colon, dash or "but"/"because"/"who"/... to the
    next. A span not found is read alone.
    """
    if _NEGATION.search(span):
        return True
    words = re.findall(r"[^\W\d_][\w'’-]*", span)
    keys = [r"\W+".join(map(re.escape, words)), r"\s+".join(map(re.escape, words[:2]))] if len(words) >= 2 else []
    keys += [re.escape(w) for w in words if len(w) >= 3][:1]
    for key in keys:
        find = re.compile(rf"\b{key}\b", re.IGNORECASE)
        for sentence in _SENTENCE.findall(text):
            if m := find.search(sentence):
                start = max((b.end() for b in _CLAUSE_BREAK.finditer(sentence, 0, m.start())), default=0)
                end = next((b.start() for b in _CLAUSE_BREAK.finditer(sentence, m.end())), len(sentence))
                return bool(_NEGATION.search(sentence[start:end]))
    return False
