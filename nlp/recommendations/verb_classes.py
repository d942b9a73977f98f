"""Verb classes: verbs that ask for the same action, compared as one.

Ask spans (``nlp.recommendations.ask_core``) keep the asker's own verb; before two spans are
embedded and compared (``nlp.recommendations.asks``), each verb of a class is replaced by the
class's name, so "bring in the politicians" and "involve politicians" read alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["VERB_CLASSES", "comparable_spans"]

VERB_CLASSES: dict[str, str] = {
    "engage": r"bring in|bring on board|involve|include|including|incorporate|get involved with|engage with|"
              r"work with|reach out to|partner with|collaborate with",
    "overturn": r"overturn(?:ed)?|over turn(?:ed)?|undo|undone|reverse(?:d)?|strike down|struck down",
    "abolish": r"abolish(?:ed)?|eliminate(?:d)?|dissolve(?:d)?|scrap(?:ped)?|get rid of|do away with|put an end to|"
               r"terminate(?:d)?|repeal(?:ed)?",
    "stop": r"stop(?:ped)?|ban(?:ned)?|prohibit(?:ed)?|prevent(?:ed)?|outlaw(?:ed)?|forbid|forbidden|made illegal|"
            r"criminali[sz]e(?:d)?",
    "expand": r"increase(?:d)?|expand(?:ed)?|extend(?:ed)?|grow|boost(?:ed)?|scale up",
    "improve": r"improve(?:d)?|better|enhance(?:d)?|upgrade(?:d)?|strengthen(?:ed)?|moderni[sz]e(?:d)?",
    "fund": r"fund(?:ed)?|invest in|subsidi[sz]e(?:d)?",
    "educate": r"educate(?:d)?|teach|inform|raise awareness of",
    "build": r"build|built|construct(?:ed)?|install(?:ed)?|create(?:d)?|develop(?:ed)?|establish(?:ed)?|set up",
}
"""Verbs that ask for the same action, each class named by one of them.

"Bring in the politicians", "get involved with politicians" and "engage the legislature" ask
for one action in three verbs; the embedding of a short span weighs the verb as much as the
object, so the spans are compared with each verb replaced by its class (``comparable_spans``).
Words that are also common nouns ("train", "finance", "more") are left out. Pairwise recall of
"same ask" on the development half of ``bench/data/ask_groups.tsv`` rises from 0.43 to 0.46 at
precision 0.86 -> 0.87 (0.73).
"""
_VERB_CLASS_PATTERNS = [(re.compile(rf"\b(?:{p})\b", re.IGNORECASE), name) for name, p in VERB_CLASSES.items()]


def comparable_spans(spans: Sequence[str]) -> list[str]:
    """Ask spans with each verb of ``VERB_CLASSES`` replaced by its class name, for comparing asks."""
    out = []
    for span in spans:
        for pattern, name in _VERB_CLASS_PATTERNS:
            span = pattern.sub(name, span)
        out.append(span)
    return out
