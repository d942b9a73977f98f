"""Talk about the conversation itself is not a recommendation.

Speakers manage a conversation with imperatives and requests: "Yeah, go for it.", "Let me know
if anything is unclear.", "Oh, hold on.", "Continue on the scaling.", "Tell me if you want
something else." The recommendation cues (an imperative at the start of a sentence, "let",
"if you want") and the embedding read them as asks, and in a transcript they are frequent, so
they crowd the asks a report writer reads. Such a phrase asks the other speaker to do something
in the conversation, not the organisation to do something about the topic.

The rule: remove the talk-about-the-talk phrases (``nlp.substantive.META_PATTERNS``, which
already keeps them out of themes, plus the turn-taking requests in ``TURN_TALK``) and drop each
sentence that is left with fewer than two content words; score what remains with the same
head. The confidence of a quote is the lower of the two scores: removing talk can take evidence
of an ask away, never add it (removing "I don't know," in front of "move away from a model"
would otherwise make an imperative out of a description). A quote that was only such talk gets
confidence 0. The phrases are general English conversation, not the words of one corpus.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from nlp.substantive import META_PHRASES, content_words

__all__ = ["TURN_TALK", "score_without_turn_talk", "without_turn_talk"]

TURN_TALK: tuple[str, ...] = (
    # Asking the other speaker to go on, wait or stop.
    r"(?:please )?(?:continue|go on|carry on|keep going|move on)(?: (?:with|on|to))?",
    r"(?:hold|hang) on(?: a (?:sec|second|minute|moment))?",
    r"(?:wait|just) a (?:sec|second|minute|moment)",
    r"(?:you can|feel free to) (?:ask|interrupt|stop) me",
    # Offers of more help or answers ("tell me if you need anything else").
    r"(?:tell|ask) me(?: back)?(?: guys)?,? if you (?:want|need) (?:anything|something)(?: else| more)?",
    r"if you (?:want|need|have) (?:anything|something|any (?:more |other )?(?:details|questions))(?: else| more)?",
    r"let (?:me|you|us) know",
    # About the recording and its write-up.
    r"anonymi[sz]e (?:that|this|it)(?: part)?",
    r"off the record",
    # Apologies and goodbyes.
    r"(?:i'm |i am )?(?:really |so )?sorry (?:to be late|for being late|to interrupt|for interrupting)",
    r"(?:bye|goodbye)(?: bye)*",
)
"""Turn-taking phrases, as regular expressions (case-insensitive, whole words)."""

# The meta-talk phrases and the turn-taking phrases, each between word boundaries. The
# boundaries stand once around the alternation, as in ``nlp.substantive``: the match is the same
# as with boundaries around each phrase (the phrases are tried in the same order at each
# position), but a position inside a word fails once instead of once per phrase, which makes
# the search about three times faster (it reads every quote of a run). Each phrase is grouped,
# so "go ahead|go for it" needs a boundary on both sides of either phrase (joined from
# ``META_PATTERNS`` it did not: only before "go ahead" and after "go for it").
_BOUNDARY_BEFORE, _BOUNDARY_AFTER = r"(?<![\w'’])", r"(?![\w'’])"
_TALK = re.compile(
    _BOUNDARY_BEFORE + "(?:" + "|".join(f"(?:{p})" for p in [*META_PHRASES, *TURN_TALK]) + ")" + _BOUNDARY_AFTER,
    re.IGNORECASE,
)
_STRAY_COMMAS = re.compile(r"\s*([,;])(?:\s*[,;])+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Fewer content words than this left in a sentence, once its talk is removed: nothing is asked.
_MIN_CONTENT = 2


def without_turn_talk(text: str) -> str:
    """``text`` without its talk about the conversation; ``""`` if nothing else was said.

    A sentence without such talk is kept as written; one with it loses the phrases, and is
    dropped when fewer than two content words remain ("Oh, hold on." goes whole).
    """
    text = text.replace("’", "'")
    kept = []
    for sentence in _SENTENCE_END.split(text):
        rest = _TALK.sub(" ", sentence)
        if rest == sentence:
            kept.append(sentence)
        elif len(content_words(rest)) >= _MIN_CONTENT:
            # The commas that stood around a removed phrase go with it.
            kept.append(_STRAY_COMMAS.sub(r"\1", " ".join(rest.split())).strip(" ,;"))
    return " ".join(kept).strip()


def score_without_turn_talk(
    texts: Sequence[str], confidence: Sequence[float], score: Callable[[list[str]], Sequence[float]]
) -> list[float]:
    """Each text's confidence once talk about the conversation is taken out of it.

    Args:
        texts: quote texts.
        confidence: the head's probability for each whole text.
        score: the head's probabilities for a list of texts (called once, on the texts that
            held such talk and still say something, so most runs embed a few extra texts).

    Returns:
        ``min(confidence, score(text without the talk))`` for texts with such talk, 0 for texts
        that were only talk, the confidence unchanged for the others.
    """
    out = [float(c) for c in confidence]
    rescore: dict[int, str] = {}
    for i, text in enumerate(texts):
        if not _TALK.search(text.replace("’", "'")):
            continue
        rest = without_turn_talk(text)
        if not rest:
            out[i] = 0.0
        elif rest != text.replace("’", "'"):
            rescore[i] = rest
    if rescore:
        for i, p in zip(rescore, score(list(rescore.values()))):
            out[i] = min(out[i], float(p))
    return out
