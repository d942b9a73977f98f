"""Rule cues for recommendation language, on a blank spaCy pipeline.

No trained spaCy pipeline (and so no POS tagger) is available, so every cue is lexical: token
patterns for spaCy's ``Matcher`` plus a curated lexicon of verbs that start an imperative
("Bring in the politicians."). Each cue becomes one 0/1 feature of the classifier head, and the
strongest cues also count on their own when the head is unsure (see ``classifier``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, Span

__all__ = ["CUES", "STRONG_CUES", "IMPERATIVE_VERBS", "cue_matrix", "find_cues"]

# Verbs that, in base form at the start of a sentence or bullet, almost always give an order or
# advice. Ambiguous noun/verb words ("support", "work", "plan") are left out or guarded by
# _NOT_AFTER_IMPERATIVE, because without a tagger "Support was great" would look like an order.
IMPERATIVE_VERBS = frozenset(
    """
    add allow ask avoid be book bring build change check choose clarify collaborate come
    communicate consider contact continue create define deliver develop document do eat enable
    encourage engage ensure establish expand explain expect extend find fix focus follow get give go
    have help hire implement improve include increase introduce invest invite involve keep let
    look make move offer open pay pick prioritise prioritize promote provide publish push put
    reach reconsider reduce remember remove request reserve rethink see select send set share
    simplify skip spend start stay stick stop strengthen support take talk tell think train try
    update use visit wait walk watch
    """.split()
)

# A following word that shows the first word was a noun or a finite verb, not an imperative.
_NOT_AFTER_IMPERATIVE = frozenset(
    "is was are were 's has had have of 'd will would could can did does".split()
)

# Leading words skipped before looking for an imperative or a bare modal: fillers and
# connectives that interviewees and reviewers put in front of advice.
_LEADING_FILLERS = frozenset(
    """
    also and but so then maybe perhaps just really definitely simply otherwise overall however
    still therefore thus hence finally first second third lastly ideally personally honestly
    please oh well ok okay yes yeah now again too
    """.split()
)

_GOOD = [
    "nice", "good", "great", "helpful", "useful", "better", "ideal", "awesome", "cool",
    "beneficial", "wonderful", "preferable", "best", "fantastic", "excellent", "important",
    "interesting", "valuable", "worthwhile", "welcome", "handy", "smart", "wise", "sensible",
]
_SUGGEST = [
    "suggest", "suggests", "suggested", "suggesting", "suggestion", "suggestions",
    "recommend", "recommends", "recommended", "recommending", "recommendation",
    "recommendations", "propose", "proposes", "proposed", "proposal", "advise", "advice",
    "urge", "encourage", "request", "requesting",
]
_SUBJECTS = frozenset("i we you they he she it this that there".split())
_POLITE = frozenset({"could", "would", "can", "will"})
_ADDRESSEES = ["you", "one", "visitors", "travellers", "travelers", "guests", "people", "users"]
_MODALS = ["should", "must", "could", "would", "might", "need", "needs", "can", "ought"]

# name -> list of Matcher patterns; the tuple CUES fixes the feature order of the model.
_PATTERNS: dict[str, list[list[dict]]] = {
    "should": [
        [{"LOWER": {"IN": ["should", "ought", "shall"]}}],
        [{"LOWER": "must"}, {"LOWER": {"NOT_IN": ["have", "'ve", "of"]}}],
    ],
    "need": [
        # "I need to ..." mostly reports the writer's own situation, so the first person is left out.
        [{"LOWER": {"NOT_IN": ["i", "i'm", "really", "just", "only", "also", "not", "n't", "don't", "you"]}},
         {"LOWER": {"IN": ["need", "needs"]}},
         {"LOWER": {"IN": ["to", "more", "a", "an", "better", "some", "less", "fewer", "stronger", "clearer"]}}],
        [{"LOWER": {"IN": ["is", "are", "be", "'s", "'re"]}}, {"LOWER": {"IN": ["needed", "necessary", "essential", "missing", "lacking"]}}],
        [{"LOWER": {"IN": ["requires", "require"]}}, {"LOWER": "more"}],
    ],
    "would_be_good": [
        [{"LOWER": {"IN": ["would", "'d", "could", "might", "will"]}}, {"LOWER": "be", "OP": "?"},
         {"LOWER": {"IN": ["really", "very", "so", "much", "more", "also", "even", "a", "quite"]}, "OP": "*"},
         {"LOWER": {"IN": _GOOD}}],
        [{"LOWER": {"IN": ["would", "could", "might"]}}, {"LOWER": {"IN": ["help", "benefit", "improve", "make"]}}],
        [{"LOWER": {"IN": ["it", "that", "this"]}}, {"LOWER": {"IN": ["'s", "is"]}},
         {"LOWER": {"IN": ["worth", "time", "advisable", "essential", "crucial", "vital", "key"]}}],
        [{"LOWER": "worth"}, {"LOWER": {"IN": ["it", "a", "the", "every", "checking", "visiting", "trying", "considering", "paying", "asking"]}}],
    ],
    "want_wish": [
        [{"LOWER": {"IN": ["would", "'d"]}}, {"LOWER": {"IN": ["like", "love", "prefer", "appreciate", "welcome"]}}],
        [{"LOWER": {"IN": ["i", "we"]}}, {"LOWER": {"IN": ["wish", "hope", "want", "expect", "ask"]}}],
        [{"LOWER": {"IN": ["if", "when"]}}, {"LOWER": "only"}],
    ],
    "suggest": [
        # A verb of advising counts when someone advises ("I suggest", "highly recommended"),
        # not when software does ("Visual Studio suggests ...").
        [{"LOWER": {"IN": ["i", "we", "would", "'d", "strongly", "highly", "definitely", "really", "certainly", "heartily", "thoroughly", "to", "also", "therefore"]}},
         {"LOWER": {"IN": _SUGGEST}}],
        [{"LOWER": {"IN": ["my", "our", "a", "one", "another", "main", "key", "the", "some"]}}, {"LOWER": {"IN": ["suggestion", "suggestions", "recommendation", "recommendations", "proposal", "advice", "tip", "tips"]}}],
        [{"LOWER": {"IN": ["recommended", "recommend", "suggested", "advised", "advisable"]}}, {"IS_PUNCT": True}],
        [{"LOWER": {"IN": ["recommend", "suggest", "propose", "advise"]}}, {"LOWER": {"IN": ["it", "this", "that", "the", "them", "you", "to", "a", "an", "staying", "booking", "using", "getting", "visiting", "trying", "going", "taking", "having", "making", "adding"]}}],
    ],
    "please": [[{"LOWER": {"IN": ["please", "pls", "plz", "kindly"]}}]],
    "you_advice": [
        [{"LOWER": {"IN": _ADDRESSEES}}, {"LOWER": {"IN": ["should", "must", "ought", "shall"]}}],
        [{"LOWER": {"IN": _ADDRESSEES}}, {"LOWER": {"IN": ["'d", "had"]}}, {"LOWER": "better"}],
        [{"LOWER": {"IN": _ADDRESSEES}}, {"LOWER": {"IN": ["might", "may", "will", "'ll", "would"]}},
         {"LOWER": {"IN": ["want", "wish", "need"]}}],
        [{"LOWER": {"IN": ["make", "be"]}}, {"LOWER": {"IN": ["sure", "certain", "careful", "aware", "prepared", "warned"]}}],
        [{"LOWER": {"IN": ["do", "did"]}}, {"LOWER": {"IN": ["n't", "not"]}}, {"LOWER": {"IN": ["forget", "miss", "bother", "expect", "waste", "hesitate", "book", "go", "stay", "eat", "use"]}}],
        [{"LOWER": "beware"}],
    ],
    "clause_imperative": [
        [{"TEXT": {"IN": [",", ";", ":", "-", "–", "—", "so", "then"]}},
         {"LOWER": {"IN": ["try", "ask", "avoid", "book", "go", "consider", "check", "use", "bring",
                           "skip", "request", "visit", "take", "choose", "remember", "expect"]}},
         {"LOWER": {"NOT_IN": ["is", "was", "of", "'s", "has", "and", "or"]}}],
    ],
    "if_you": [[{"LOWER": {"IN": ["if", "unless", "when"]}}, {"LOWER": {"IN": ["you", "you're", "your"]}}]],
    # Not a cue of its own: the main clause that turns "if you ..." into advice.
    "_advice_clause": [
        [{"LOWER": {"IN": ["you", "one"]}}, {"LOWER": {"IN": ["can", "could", "might", "may", "'d", "would", "'ll", "will"]}},
         {"LOWER": {"IN": ["want", "wish", "like", "love", "enjoy", "find", "get", "try", "consider", "walk", "take", "ask", "book", "go", "stay", "eat", "request", "also", "easily", "always", "even", "not", "n't", "be"]}}],
        [{"LOWER": {"IN": ["is", "are", "'s", "be"]}}, {"LOWER": {"IN": ["the", "a", "your"]}, "OP": "?"},
         {"LOWER": {"IN": ["perfect", "ideal", "great", "good", "fine", "best", "worth", "recommended", "place", "hotel", "choice", "option", "way", "spot", "bet", "must"]}}],
        [{"LOWER": {"IN": ["go", "try", "ask", "avoid", "book", "choose", "pick", "look", "stay", "look", "opt", "head"]}}, {"LOWER": {"IN": ["for", "to", "elsewhere", "somewhere", "the", "a", "at", "in", "out", "here", "there"]}}],
    ],
    "why_not": [
        [{"LOWER": {"IN": ["why", "how", "what"]}}, {"LOWER": {"IN": ["not", "about"]}}],
        [{"LOWER": {"IN": ["can", "could", "would", "will"]}}, {"LOWER": {"IN": ["you", "they", "microsoft", "we"]}}, {"LOWER": {"IN": ["please", "add", "make", "provide", "consider", "allow", "create", "give", "fix", "enable", "support", "include"]}}],
        [{"LOWER": {"IN": ["let", "lets"]}}, {"LOWER": {"IN": ["'s", "us", "me"]}}],
    ],
    "more_of": [
        [{"LOWER": {"IN": ["more", "less", "fewer", "better", "stronger", "greater", "clearer"]}},
         {"IS_ALPHA": True, "LOWER": {"NOT_IN": ["than", "and", "or"]}}],
    ],
}

CUES: tuple[str, ...] = (*(n for n in _PATTERNS if not n.startswith("_")), "imperative", "bare_modal", "conditional_advice")
"""Feature names, in the column order of ``cue_matrix``."""

STRONG_CUES: frozenset[str] = frozenset(
    {"should", "would_be_good", "want_wish", "suggest", "please", "you_advice", "imperative",
     "bare_modal", "need", "conditional_advice"}
)
"""Cues that by themselves mark a sentence as recommending something."""

_ADVICE_AFTER_CONDITION = frozenset(
    {"_advice_clause", "clause_imperative", "you_advice", "suggest", "would_be_good", "should"}
)

# Cues counted only at the start of a sentence or bullet; other cues count anywhere.
_START_ONLY = frozenset({"more_of"})

_NLP: tuple[Language, Matcher] | None = None
_LOCK = threading.Lock()


def _pipeline() -> tuple[Language, Matcher]:
    """The blank English pipeline with sentencizer and matcher, built once on first use."""
    global _NLP
    with _LOCK:
        if _NLP is None:
            import spacy
            from spacy.matcher import Matcher

            nlp = spacy.blank("en")
            nlp.add_pipe("sentencizer")
            matcher = Matcher(nlp.vocab)
            for name, patterns in _PATTERNS.items():
                matcher.add(name, patterns)
            _NLP = (nlp, matcher)
        return _NLP


def _first_word(sent: Span) -> int | None:
    """Index (in the doc) of the first word of ``sent`` that is not a bullet, quote or filler."""
    for token in sent:
        if token.is_alpha and token.lower_ not in _LEADING_FILLERS:
            return token.i
    return None


def _start_cues(doc: Doc, start: int) -> set[str]:
    """Cues that depend on how a sentence starts: an imperative or a subject-less modal."""
    first = doc[start]
    nxt = doc[start + 1].lower_ if start + 1 < len(doc) else ""
    word = first.lower_
    if word == "do" and nxt in {"n't", "not"}:
        return {"imperative"}
    if word in {"never", "beware"}:
        return {"imperative"}
    if word in _MODALS and (nxt not in _SUBJECTS or (word in _POLITE and nxt == "you")):
        # "Could be more systematic ..." / "Need more journalists"; a modal followed by a
        # subject is a question ("Can I ...?"), except a polite request ("Could you add ...?").
        return {"bare_modal"}
    if word in IMPERATIVE_VERBS and nxt not in _NOT_AFTER_IMPERATIVE:
        return {"imperative"}
    return set()


def find_cues(text: str) -> set[str]:
    """Names of the cues found in ``text`` (one sentence, a bullet or a short passage)."""
    nlp, matcher = _pipeline()
    return _doc_cues(nlp(text), nlp, matcher)


def _doc_cues(doc: Doc, nlp: Language, matcher: Matcher) -> set[str]:
    found: set[str] = set()
    starts = set()
    for sent in doc.sents:
        start = _first_word(sent)
        if start is not None:
            starts.add(start)
            found |= _start_cues(doc, start)
    for match_id, begin, _end in matcher(doc):
        name = nlp.vocab.strings[match_id]
        if name not in _START_ONLY or begin in starts:
            found.add(name)
    # "If you want quiet, ask for a room at the back": a condition addressed to the reader plus
    # a main clause that advises. Either half alone is common in bug reports ("if you tap X, it
    # crashes"), so only the pair counts.
    if "if_you" in found and found & _ADVICE_AFTER_CONDITION:
        found.add("conditional_advice")
    return {name for name in found if not name.startswith("_")}


def cue_matrix(texts: Sequence[str]) -> np.ndarray:
    """An (n, len(CUES)) float32 matrix of 0/1 cue indicators, columns in ``CUES`` order."""
    out = np.zeros((len(texts), len(CUES)), dtype=np.float32)
    column = {name: j for j, name in enumerate(CUES)}
    nlp, matcher = _pipeline()
    for i, doc in enumerate(nlp.pipe(texts, batch_size=256)):
        for name in _doc_cues(doc, nlp, matcher):
            out[i, column[name]] = 1.0
    return out
