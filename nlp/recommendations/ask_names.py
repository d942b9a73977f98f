"""Names of asks: short extractive phrases a report writer can put in a table.

An ask (``nlp.recommendations.asks``) is named after what its most central member asks for: its
ask span (``ask_core``), with the quantity or the "no" its frame said put back.
"""

from __future__ import annotations

import re

from nlp.recommendations.ask_core import ask_phrases, normalise
from nlp.recommendations.lexicon import IMPERATIVE_VERBS
from nlp.recommendations.span_words import names_something, negated, says_no

__all__ = ["ask_name", "name_ask"]

_NAME_WORDS = 10
# Where a name's first sentence ends: "Go fix it. And then it helps ..." is named "Go fix it."
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
# Words a name does not end on: a preposition or article left hanging by the speaker ("Think
# about these things within"), and intensifiers of speech ("Fallback plan whatsoever").
_DANGLING_END = frozenset(
    "a an the and or but of in on at for from with within about into whatsoever anyway".split()
)
# The quantity a frame asks for, right before the ask span; not after a negation ("no more").
_QUANTITY = re.compile(r"(?<!\bno )(?<!\bnot )(?<!\bany )\b(more|less|fewer)\s*$", re.IGNORECASE)
_MORE = re.compile(r"\bmore\s*$", re.IGNORECASE)


def ask_name(span: str, text: str = "") -> str:
    """A short extractive name for an ask: its span's first sentence, first letter capitalised, at
    most 10 words, not ending on a hanging preposition or article ("Think about these things
    within" is named "Think about these things").

    The span drops the frame that asks, and with it the quantity asked for; when ``text``, the
    quote, says "more", "less" or "fewer" just before the span, the name keeps it: "Need more
    journalists" is named "More journalists", not "Journalists". When the frame said no and the
    span lost it (``span_words.negated``), the name says it: "There should be no tax increase" is
    named "No tax increase", "We don't need more roads" "No more roads", "Nobody should pay for
    parking" "Don’t pay for parking".
    """
    text = " ".join(text.split())
    at = text.lower().find(span.lower()) if span else -1
    quantity = _QUANTITY.search(text[:at]) if at > 0 else None
    if span and not says_no(span) and negated(span, text):  # the frame said no: "We don't need more roads"
        verb = span.split()[0].lower() in IMPERATIVE_VERBS
        lead = "don’t" if verb else "no more" if at > 0 and _MORE.search(text[:at]) else "no"
        span = f"{lead} {span if span[:2].isupper() else span[:1].lower() + span[1:]}"
    elif quantity and not span.lower().startswith(quantity.group(1).lower()):
        span = f"{quantity.group(1).lower()} {span}"
    first = _SENTENCE_END.split(span, maxsplit=1)[0]
    # One sentence is a name; what the speaker said next ("Okay. Cool.") is not.
    words = (first if len(first.split()) >= 2 else span).split()
    if len(words) <= _NAME_WORDS:  # a whole span: it ends where its last word of substance does
        while len(words) > 2 and words[-1].strip(".,;:!?").lower() in _DANGLING_END:
            words = words[:-1]
    name = " ".join(words[:_NAME_WORDS]) + (" …" if len(words) > _NAME_WORDS else "")
    return name[:1].upper() + name[1:]


def name_ask(span: str, text: str) -> str:
    """An ask's name: its span from the action verb on (``ask_phrases``), or, where the span
    names nothing ("I", "What you", "Well": speech the span rules misread), the start of its
    quote as spans read it."""
    return ask_name(ask_phrases([text])[0] if names_something(span) else normalise(text), text)
