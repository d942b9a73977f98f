"""A bullet that asks and then explains after a dash asks as much as its first half alone.

Written summaries join a statement and its explanation with a spaced dash: "They need more
advanced planning – Sometimes they move too fast, which can be great but in this case, we
sometimes suddenly hear about new things …". Scored whole, the explanation outweighs the ask
(the seed's quote reads 0.26 and is missed); scored alone, "They need more advanced planning"
reads 0.91. So a quote's confidence is the highest of the whole text and each dash-joined part
that still says something (three content words or more): a quote asks for something if any of
its parts does.

Measured on the seed (217 quotes, 28 with a spaced dash, read by hand): at the run's threshold
this finds two asks that were missed ("They need more advanced planning", "needs their support
and their voice represented") and one praise fragment ("couldn't do it without them …"). On the
8 mlsys transcripts only 5 substantive quotes hold a spaced dash and none changes: spoken text
rarely has them. Hyphens inside words ("follow-up") and unspaced dashes are not split.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from nlp.recommendations.turn_talk import score_without_turn_talk, without_turn_talk
from nlp.substantive import content_words

__all__ = ["dash_parts", "rescore_quotes"]

_SPACED_DASH = re.compile(r"\s[-–—]\s+")
# A part with fewer content words than this ("Advocacy", "help desk") cannot ask on its own.
_MIN_CONTENT = 3


def dash_parts(text: str) -> list[str]:
    """The parts of ``text`` joined by spaced dashes that say something; ``[]`` if fewer than two."""
    parts = [p.strip() for p in _SPACED_DASH.split(text)]
    parts = [p for p in parts if len(content_words(p)) >= _MIN_CONTENT]
    return parts if len(parts) >= 2 else []


def rescore_quotes(
    texts: Sequence[str], confidence: Sequence[float], score: Callable[[list[str]], Sequence[float]]
) -> list[float]:
    """Each quote's confidence once talk about the conversation is out and dashed parts are read alone.

    First ``turn_talk.score_without_turn_talk`` (removing talk can only lower a confidence), then
    the highest of that and the scores of the talk-free text's dash-joined parts.

    Args:
        texts: quote texts.
        confidence: the head's probability for each whole text.
        score: the head's probabilities for a list of texts (called at most twice).
    """
    out = score_without_turn_talk(texts, confidence, score)
    parts: list[tuple[int, str]] = [
        (i, part)
        for i, text in enumerate(texts)
        if out[i] > 0 and _SPACED_DASH.search(text)  # most quotes have no dash: skip re-reading them
        for part in dash_parts(without_turn_talk(text))
    ]
    if parts:
        for (i, _), p in zip(parts, score([part for _, part in parts])):
            out[i] = max(out[i], float(p))
    return out
