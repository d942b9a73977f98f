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

from nlp.recommendations.lexicon import (
    ADVICE_NOUNS,
    GOOD,
    CLAUSE_OBJECT_VERBS,
    FINITE_AFTER_SUBJECT,
    IMPERATIVE_VERBS,
    LEADING_FILLERS,
    LEADING_PHRASES,
    NOT_AFTER_IMPERATIVE,
    NOT_IN_SUBJECT,
    SUGGEST,
)

__all__ = ["CUES", "STRONG_CUES", "IMPERATIVE_VERBS", "cue_matrix", "find_cues"]

_SUBJECTS = frozenset("i we you they he she it this that there".split())
_POLITE = frozenset({"could", "would", "can", "will"})
_AUXILIARIES = frozenset({"do", "have", "be"})
_PERCEPTION_VERBS = frozenset({"see", "feel", "tell", "find", "get", "hear", "be", "do", "have", "look"})
_CLAUSE_BREAKS = frozenset({",", ";", ":", "–", "—"})
_CLAUSE_CONNECTIVES = frozenset({"so", "otherwise", "instead"})
_ADDRESSEES = ["you", "one", "visitors", "travellers", "travelers", "guests", "people", "users"]
_MODALS = ["should", "must", "could", "would", "might", "need", "needs", "can", "ought"]
# Degree and stance adverbs that sit inside a frame ("would really be great", "'d also love").
_ADVERBS = [
    "really", "very", "so", "much", "more", "also", "even", "quite", "definitely", "certainly",
    "extremely", "truly", "rather", "pretty", "super", "incredibly", "most", "especially",
    "absolutely", "actually", "still", "just", "probably", "surely", "highly", "strongly",
]

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
        [{"LOWER": {"IN": ["would", "'d", "could", "might", "will"]}}, {"LOWER": {"IN": _ADVERBS}, "OP": "*"},
         {"LOWER": "be", "OP": "?"}, {"LOWER": {"IN": [*_ADVERBS, "a"]}, "OP": "*"},
         {"LOWER": {"IN": GOOD}}],
        [{"LOWER": {"IN": ["would", "could", "might"]}}, {"LOWER": {"IN": _ADVERBS}, "OP": "*"},
         {"LOWER": {"IN": ["help", "benefit", "improve", "make"]}}],
        [{"LOWER": {"IN": ["it", "that", "this"]}}, {"LOWER": {"IN": ["'s", "is"]}},
         {"LOWER": {"IN": ["worth", "time", "advisable", "essential", "crucial", "vital", "key"]}}],
        [{"LOWER": "worth"}, {"LOWER": {"IN": ["it", "a", "the", "every"]}}],
        [{"LOWER": "worth"}, {"LOWER": {"REGEX": "^[a-z]{3,}ing$"}}],
    ],
    "want_wish": [
        [{"LOWER": {"IN": ["would", "'d"]}}, {"LOWER": {"IN": _ADVERBS}, "OP": "*"},
         {"LOWER": {"IN": ["like", "love", "prefer", "appreciate", "welcome"]}}],
        [{"LOWER": {"IN": ["i", "we"]}}, {"LOWER": {"IN": ["really", "just", "also", "do", "would", "'d"]}, "OP": "*"},
         {"LOWER": {"IN": ["wish", "hope", "want", "expect", "ask"]}}],
        [{"LOWER": {"IN": ["if", "when"]}}, {"LOWER": "only"}],
    ],
    "suggest": [
        # A verb of advising counts when someone advises ("I suggest", "highly recommended"),
        # not when software does ("Visual Studio suggests ...").
        # Not "to recommend": "a system to recommend products" describes what software does.
        [{"LOWER": {"IN": ["i", "we", "would", "'d", "can", "will", "'ll", "is", "are", "strongly", "highly", "definitely", "really", "certainly", "heartily", "thoroughly", "wholeheartedly", "absolutely", "also", "therefore"]}},
         {"LOWER": {"IN": SUGGEST}}],
        # "My recommendation is to ...", "A suggestion would be that ...": the noun frames advice
        # only when what follows says what it is; "the recommendations are shown to users" or
        # "a recommendation engine" only name recommendations.
        [{"LOWER": {"IN": ["my", "our", "a", "one", "another", "main", "key", "the", "some"]}},
         {"LOWER": {"IN": ["suggestion", "suggestions", "recommendation", "recommendations", "proposal", "advice", "tip", "tips"]}},
         {"LOWER": {"IN": ["is", "are", "would", "will", "'s", "'d"]}}, {"LOWER": {"IN": _ADVERBS}, "OP": "*"},
         {"LOWER": "be", "OP": "?"},
         {"LOWER": {"IN": _ADVERBS}, "OP": "*"}, {"LOWER": {"IN": ["to", "that", ":", "for", "simple", "simply"]}}],
        [{"LOWER": {"IN": ["recommended", "recommend", "suggested", "advised", "advisable"]}}, {"IS_PUNCT": True}],
        [{"LOWER": {"IN": ["recommend", "suggest", "propose", "advise"]}}, {"LOWER": {"IN": ["it", "this", "that", "the", "them", "you", "to", "a", "an", "staying", "booking", "using", "getting", "visiting", "trying", "going", "taking", "having", "making", "adding"]}}],
    ],
    "please": [[{"LOWER": {"IN": ["please", "pls", "plz", "kindly"]}}]],
    # Fixed phrases of advice that name no verb to follow: "it is best to", "you're better off",
    # "Tip: ...", "feel free to", "if I were you".
    "advice_frame": [
        [{"LOWER": {"IN": ["it", "it's", "its"]}}, {"LOWER": {"IN": ["is", "'s", "would", "might", "may", "will", "be"]}, "OP": "*"},
         {"LOWER": {"IN": _ADVERBS}, "OP": "*"},
         {"LOWER": {"IN": ["best", "better", "advisable", "wise", "wiser", "important", "essential", "crucial",
                           "vital", "necessary", "imperative", "key", "worth", "recommended", "sensible", "smart"]}},
         {"LOWER": {"IN": ["to", "that", "if", "not"]}}],
        [{"LOWER": {"IN": ["a", "good", "better", "best"]}}, {"LOWER": {"IN": ["good", "better", "great", "smart", "wise"]}, "OP": "?"},
         {"LOWER": "idea"}, {"LOWER": "to"}],
        [{"LOWER": {"IN": ["better", "best"]}}, {"LOWER": "off"}],
        [{"LOWER": {"IN": ["best", "safest", "better"]}}, {"LOWER": "bet"}],
        [{"LOWER": "feel"}, {"LOWER": "free"}, {"LOWER": "to"}],
        [{"LOWER": "if"}, {"LOWER": "i"}, {"LOWER": {"IN": ["were", "was"]}}, {"LOWER": "you"}],
        [{"LOWER": {"IN": ADVICE_NOUNS}}, {"TEXT": {"IN": [":", "-", "–", "—"]}}],
    ],
    "you_advice": [
        [{"LOWER": {"IN": _ADDRESSEES}}, {"LOWER": {"IN": ["should", "must", "ought", "shall"]}}],
        [{"LOWER": {"IN": _ADDRESSEES}}, {"LOWER": {"IN": ["'d", "had"]}}, {"LOWER": "better"}],
        [{"LOWER": {"IN": _ADDRESSEES}}, {"LOWER": {"IN": ["might", "may", "will", "'ll", "would"]}},
         {"LOWER": {"IN": ["want", "wish", "need"]}}],
        [{"LOWER": {"IN": ["make", "be"]}}, {"LOWER": {"IN": ["sure", "certain", "careful", "aware", "prepared", "warned"]}}],
        # "you could" offers an option; verbs of perception are left out ("you could see the sea").
        [{"LOWER": {"IN": _ADDRESSEES}}, {"LOWER": "could"}, {"LOWER": {"IN": _ADVERBS}, "OP": "*"},
         {"LOWER": {"IN": sorted(IMPERATIVE_VERBS - _PERCEPTION_VERBS)}}],
        [{"LOWER": {"IN": ["do", "did"]}}, {"LOWER": {"IN": ["n't", "not"]}}, {"LOWER": {"IN": ["forget", "miss", "bother", "expect", "waste", "hesitate", "book", "go", "stay", "eat", "use"]}}],
        [{"LOWER": "beware"}],
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

CUES: tuple[str, ...] = (
    *(n for n in _PATTERNS if not n.startswith("_")),
    "imperative", "bare_modal", "conditional_advice", "clause_imperative",
)
"""Feature names, in the column order of ``cue_matrix``."""

STRONG_CUES: frozenset[str] = frozenset(
    {"should", "would_be_good", "want_wish", "suggest", "please", "you_advice", "imperative",
     "bare_modal", "need", "conditional_advice", "advice_frame"}
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
            from spacy.matcher import Matcher

            from nlp.quotes import load_sentencizer

            nlp = load_sentencizer()  # the process's one blank English pipeline
            # Checked as written, as the Matcher would: its schema does not know flags (``_flagged``).
            for patterns in _PATTERNS.values():
                _validate(patterns)
            matcher = Matcher(nlp.vocab, validate=False)
            for name, patterns in _flagged(_PATTERNS, nlp.vocab).items():
                matcher.add(name, patterns)
            _NLP = (nlp, matcher)
        return _NLP


def _validate(patterns: list[list[dict]]) -> None:
    """Raise ``ValueError`` if spaCy's Matcher schema rejects one of ``patterns``."""
    from spacy.schemas import validate_token_pattern

    for pattern in patterns:
        if errors := validate_token_pattern(pattern):
            raise ValueError(f"invalid Matcher pattern {pattern}: {errors}")


# spaCy's FLAG19 to FLAG63: the bits of a lexeme's flags left to users.
_FREE_FLAGS = range(19, 64)


def _flagged(patterns: dict[str, list[list[dict]]], vocab) -> dict[str, list[list[dict]]]:
    """``patterns`` with each word list of a pattern's first token turned into a lexeme flag.

    The Matcher tries every pattern's first token at every token of a text; a ``{"LOWER":
    {"IN": [...]}}`` test there is a Python call per token and word list (about 30 per token),
    while a lexeme flag is one bit read in C, set once per word of the vocabulary
    (``Vocab.add_flag``). The matches are the same, and the Matcher three times faster (2.5 to
    0.8 s on 10,000 quotes). Later tokens keep their word lists: they are tried only after a
    first token matched, and there are more lists than free flag bits.
    """
    flags: dict[frozenset[str], int] = {}

    def flag(words: frozenset[str]) -> int | None:
        if words not in flags and len(flags) < len(_FREE_FLAGS):
            flags[words] = vocab.add_flag(lambda text: text.lower() in words, _FREE_FLAGS[len(flags)])
        return flags.get(words)

    def first(token: dict) -> dict:
        out = {}
        for key, value in token.items():
            (op, words), = value.items() if isinstance(value, dict) and len(value) == 1 else ((None, ()),)
            bit = flag(frozenset(words)) if key == "LOWER" and op in ("IN", "NOT_IN") else None
            if bit is None:
                out[key] = value
            else:
                out[bit] = op == "IN"
        return out

    return {name: [[first(p[0]), *p[1:]] for p in pats] for name, pats in patterns.items()}


# LEADING_PHRASES by first word, in their order: a word that starts none (most) is passed at once.
_PHRASES_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in LEADING_PHRASES:
    _PHRASES_BY_FIRST.setdefault(_phrase[0], []).append(_phrase)


def _skip_phrase(doc: Doc, i: int) -> int:
    """Index after a leading phrase such as "at least" that starts at ``i``, or ``i`` itself."""
    for phrase in _PHRASES_BY_FIRST.get(doc[i].lower_, ()):
        if tuple(t.lower_ for t in doc[i : i + len(phrase)]) == phrase:
            return i + len(phrase)
    return i


def _first_word(doc: Doc, begin: int, end: int) -> int | None:
    """Index of the first word in ``doc[begin:end]`` that is not a bullet, quote, comma or filler."""
    i = begin
    while i < end:
        after = _skip_phrase(doc, i)
        if after != i:
            i = after
            continue
        token = doc[i]
        if token.is_alpha and token.lower_ not in LEADING_FILLERS:
            return i
        i += 1
    return None


def _is_imperative(doc: Doc, i: int) -> bool:
    """Whether ``doc[i]`` reads as a base-form verb giving an order, not a noun or a question."""
    word = doc[i].lower_
    nxt = doc[i + 1].lower_ if i + 1 < len(doc) else ""
    if word == "do" and nxt in {"n't", "not"}:
        return True
    if word in {"never", "beware", "dont"}:
        return True
    if word not in IMPERATIVE_VERBS or nxt in NOT_AFTER_IMPERATIVE or _opens_subject(doc, i):
        return False
    # "Do you ...?", "Have you tried ...?" are questions; "Give it a try" keeps its object.
    return not (word in _AUXILIARIES and nxt in _SUBJECTS)


def _opens_subject(doc: Doc, i: int) -> bool:
    """Whether ``doc[i]`` opens a noun phrase of two or three words that a finite verb follows.

    "Open contracting helps governments", "Change management is key", "Use cases are rare": the
    first word is a noun modifier, not an order. Verbs that take a clause as their object ("Make
    sure everything is ready") are never read so.
    """
    if doc[i].lower_ in CLAUSE_OBJECT_VERBS:
        return False
    for j in (i + 1, i + 2):
        if j + 1 >= len(doc) or not doc[j].is_alpha or doc[j].lower_ in NOT_IN_SUBJECT:
            return False
        if doc[j + 1].lower_ in FINITE_AFTER_SUBJECT:
            return True
    return False


def _start_cues(doc: Doc, start: int) -> set[str]:
    """Cues that depend on how a sentence starts: an imperative or a subject-less modal."""
    nxt = doc[start + 1].lower_ if start + 1 < len(doc) else ""
    word = doc[start].lower_
    if _is_imperative(doc, start):
        return {"imperative"}
    if word in _MODALS and (nxt not in _SUBJECTS or (word in _POLITE and nxt == "you")):
        # "Could be more systematic ..." / "Need more journalists"; a modal followed by a
        # subject is a question ("Can I ...?"), except a polite request ("Could you add ...?").
        return {"bare_modal"}
    return set()


def _has_clause_imperative(doc: Doc, sent: Span) -> bool:
    """Whether a clause inside ``sent`` starts with an imperative: "..., so book early".

    A clause starts after a comma, semicolon, colon or dash, or after a connective that can
    introduce a command ("so", "otherwise", "instead"). Plain "and"/"or"/"but"/"then" are left
    out: "I open the app and (then) get an error" drops its subject, and without a parser that
    looks the same as "Open the app and get a coffee". Hyphens, brackets and slashes are left out
    too: in technical text they join words ("hover/touch", "(send to ...)") more than clauses.
    """
    for token in sent[:-1]:
        if token.text in _CLAUSE_BREAKS or token.lower_ in _CLAUSE_CONNECTIVES:
            first = _first_word(doc, token.i + 1, sent.end)
            if first is not None and first > sent.start + 1 and _is_imperative(doc, first):
                return True
    return False


def find_cues(text: str) -> set[str]:
    """Names of the cues found in ``text`` (one sentence, a bullet or a short passage)."""
    nlp, matcher = _pipeline()
    return _doc_cues(nlp(text), nlp, matcher)


def _doc_cues(doc: Doc, nlp: Language, matcher: Matcher) -> set[str]:
    found: set[str] = set()
    starts = set()
    for sent in doc.sents:
        start = _first_word(doc, sent.start, sent.end)
        if start is not None:
            starts.add(start)
            found |= _start_cues(doc, start)
        if _has_clause_imperative(doc, sent):
            found.add("clause_imperative")
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


# Each text's cue columns, as ``cue_matrix`` last found them. A run reads most quotes more than
# once (the head alone, then the tuned model's first stage on the files where requests are
# rare), and tokenising and matching are most of the stage's time on a large corpus. Cues depend
# on the text alone; emptied when it holds ``_MEMO_SIZE`` texts, so its memory stays bounded.
_MEMO: dict[str, tuple[int, ...]] = {}
_MEMO_SIZE = 1 << 18


def cue_matrix(texts: Sequence[str]) -> np.ndarray:
    """An (n, len(CUES)) float32 matrix of 0/1 cue indicators, columns in ``CUES`` order."""
    out = np.zeros((len(texts), len(CUES)), dtype=np.float32)
    column = {name: j for j, name in enumerate(CUES)}
    nlp, matcher = _pipeline()
    found = {text: _MEMO.get(text) for text in texts}
    new = [text for text, row in found.items() if row is None]
    if len(_MEMO) + len(new) > _MEMO_SIZE:
        _MEMO.clear()
    for text, doc in zip(new, nlp.pipe(new, batch_size=256)):
        found[text] = _MEMO[text] = tuple(sorted(column[name] for name in _doc_cues(doc, nlp, matcher)))
    for i, text in enumerate(texts):
        out[i, list(found[text])] = 1.0
    return out
