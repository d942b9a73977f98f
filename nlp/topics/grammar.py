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
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from nlp.topics.phrases import Token

__all__ = [
    "CONNECTORS", "DISCOURSE", "GENERIC", "GRAMMAR_GENERIC", "MAX_WORDS", "META_NOUNS", "MIN_WORDS", "NOMINAL_CUES",
    "allowed", "edge_ok", "has_noun_head", "sentence_case", "spans", "takes", "written_forms",
]

MIN_WORDS, MAX_WORDS = 2, 6
# Token classes: C content word, G content word ending in -ing, P connector, D determiner,
# X anything else (it breaks a phrase). A name is a noun run ("private sector engagement"), two
# runs joined by a connector ("evidence of impact", "civil society and private sector"), or an
# -ing word with its object ("engaging the private sector", "bringing in civil society").
CONNECTORS = frozenset("of for with on to in between from about and by across among".split())
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
# With the grammar rules, a few more heads count as generic ("Main concern").
GRAMMAR_GENERIC = GENERIC | frozenset("concern thing things stuff situation".split())
# Nouns about the interview itself: a phrase holding one is talk about the talk.
META_NOUNS = frozenset("question questionnaire interview interviewer interviewee".split())
# What spaCy's tokenizer leaves of "gonna", "wanna", "gotta", "dunno": never part of a name.
_STUBS = frozenset("gon na wan ta dun got".split())


# The grammar rules (``spans(grammar=True)``). Without a tagger, a word that can be a verb is
# read as one when the words before it say so: a subject, a modal, "to" or an auxiliary, with
# adverbs between ("we love", "trying to create", "they just stop", "you're never protected").
_SUBJECTS = frozenset("i we you they he she who".split())
_MODALS = frozenset("can could should would will must may might shall 'll 'd ca wo".split())
_BEFORE_BASE = _SUBJECTS | _MODALS | {"to"}
_BEFORE_INFLECTED = _SUBJECTS | frozenset("have has had 've am is are was were be been 're 'm".split())
_WH = frozenset("why how what when where which who whose whom".split())
_ADVERBS = frozenset(
    "not n't never just also always often still even really actually usually sometimes already only then".split()
)
# Verbs of state: "love OCP" is a stance, not an activity, and "Loving OCP" names nothing.
_STATIVE = frozenset(
    """love like hate want need know think believe feel seem prefer understand mean remember forget wish hope
    appreciate enjoy doubt imagine suppose guess realise realize recognise recognize deserve own belong""".split()
)
# Prepositional verbs: an -ing word followed by a preposition is an activity ("working with
# governments", "focusing on impact") only when the verb takes that preposition; "putting for
# governments" and "adding with their technology" are clauses missing their object.
_TAKES = {
    prep: frozenset(verbs.split())
    for prep, verbs in {
        "with": """pay continue operate work deal engage partner collaborate cooperate interact cope comply connect align communicate
            consult experiment play struggle help start begin share meet talk speak agree disagree compete
            negotiate coordinate integrate link associate combine compare replace provide equip keep stay stick
            live fill come go""",
        "on": """deploy run deliver learn focus rely depend build work report comment agree concentrate insist capitalise capitalize draw
            spend act base plan train reflect follow decide elaborate expand improve collaborate touch vote count
            call keep move""",
        "in": """deploy run plug use expand operate invest participate engage specialise specialize result believe succeed involve work live share
            help assist take bring get put lead join""",
        "for": """work use assess shoot advocate account apply care prepare plan pay look search wait fight call push argue vote ask hope
            aim strive compensate provide allow budget fund lobby campaign stand train""",
        "to": """deploy extend add respond contribute adapt listen talk speak refer react relate belong move switch lead reach commit
            turn object adhere aspire attend consent cater point return scale migrate transition open reach""",
        "from": """learn benefit recover move switch suffer differ emerge result derive come graduate transition
            shift draw borrow escape""",
        "about": "think talk care worry know hear learn speak complain ask forget read write bring",
        "into": "expand translate turn look tap convert break move get go put integrate feed",
        "between": "shift choose distinguish differentiate switch alternate",
        "by": "abide stand",
        "across": "come cut scale",
    }.items()
}
# Words before an -ing word that make it a noun somewhere in the corpus ("the funding for").
NOMINAL_CUES = frozenset("the a an this that more less some any no much enough my your his her our their its".split())
_SHAPE_VERB = re.compile(r"V(?:D?C[CG]{0,3}|D?C[CG]?PD?[CG]{1,3}|PD?[CG]{1,4})")
_POSSESSIVE = frozenset(("'s", "’s"))
_PREPOSITIONS = frozenset("versus vs via per plus minus despite unlike".split())
# Discourse markers name nothing ("End of the day"): cut out of a quote, like meta-talk.
DISCOURSE = re.compile(
    r"\b(?:at the end of the day|on the other hand|at the same time|at the moment|in terms of|first of all"
    r"|for example|for instance|as well as|kind of|sort of)\b",
    re.IGNORECASE,
)


def takes(verb: Token, preposition: Token) -> bool:
    """Whether ``verb`` (any form) takes ``preposition`` ("work" "with")."""
    return verb.lemma in _TAKES.get(preposition.lower, ())


def _verb_in_context(tokens: Sequence[Token], i: int) -> bool:
    """The words before ``tokens[i]`` make it a verb: "we love", "to create", "I stopped"."""
    k = i - 1
    while k >= 0 and i - k <= 3 and (tokens[k].lower in _ADVERBS or tokens[k].lower.endswith("ly")):
        k -= 1
    if k < 0:
        return False
    cue = tokens[k].lower
    if cue not in _SUBJECTS and cue != "to" and (k == 0 or not tokens[k - 1].word or tokens[k - 1].lower in _WH):
        return False  # a question: "Can card payments fail?", "Why are transfers pending?"
    return cue in (_BEFORE_BASE if tokens[i].lower == tokens[i].lemma else _BEFORE_INFLECTED)


def _noun(token: Token) -> bool:
    return "n" in token.classes or not token.classes or token.lower.endswith("ing")


def has_noun_head(span: Sequence[Token], verb_first: bool = False) -> bool:
    """A noun phrase's head can be a noun, and a generic head needs a noun beside it.

    The head is the last content word before the first connector other than "and" ("evidence"
    in "evidence of impact") that can be a noun: a noun in WordNet's lists, a word they do not
    know (acronyms, jargon) or an -ing form ("cards available in Europe" has "cards"); a phrase
    without one ("Protected from business changes") is out. A generic head ("topic", "concern",
    "case") needs another content word that can be a noun and is not generic: "Huge topic" and
    "Main concern" say nothing, "Data issues" does. A span that starts with an -ing word or a
    verb is an activity. Every name ends on a word that can be a noun.
    """
    if not _noun(span[-1]):
        return False  # a noun phrase ends on its head: "Predictions for multiple weeks ahead"
    if verb_first or span[0].lower.endswith("ing"):
        return True
    cut = next((k for k, t in enumerate(span) if t.lower in CONNECTORS and t.lower != "and"), len(span))
    head = next((t for t in reversed(span[:cut]) if t.content and _noun(t)), None)
    if head is None:
        return False
    if head.lemma not in GRAMMAR_GENERIC:
        return True
    return any(t is not head and t.content and t.lemma not in GRAMMAR_GENERIC and _noun(t) for t in span)


def _kind(token: Token, filler: frozenset[str] = frozenset(), classes: bool = False) -> str:
    if token.lower in filler or (classes and (token.verb == "inflected" or token.lower in _STUBS)):
        return "X"  # an inflected verb makes a clause of the phrase: "OC helped in"
    if token.content:
        return "G" if token.lower.endswith("ing") and len(token.lower) > 5 else "C"
    if not token.word:
        return "X"
    return "P" if token.lower in CONNECTORS else "D" if token.lower in _DETERMINERS else "X"


def allowed(token: Token) -> bool:
    return token.lemma not in _BAD_EDGE and token.lower not in _BAD_EDGE


def edge_ok(token: Token, last: bool = False, classes: bool = False) -> bool:
    lower = token.lower
    if lower.endswith("ly") or (last and (lower in _NOT_LAST or lower.endswith("ed"))):
        return False
    if last and classes and token.verb:
        return False  # a noun phrase does not end on a verb: "support to replicate"
    return allowed(token)


def _kinds(tokens: Sequence[Token], filler: frozenset[str], classes: bool, grammar: bool = False) -> str:
    kinds = ""
    for k, t in enumerate(tokens):
        kind = _kind(t, filler, classes)
        # After a content word, a word that can only be a verb, or an adverb, makes a clause:
        # "challenges rely on incentives", "countries formally sign".
        if classes and kind in "CG" and kinds[-1:] in ("C", "G") and (t.verb or t.lower.endswith("ly")):
            kind = "X"
        if grammar and t.lower in _PREPOSITIONS:
            kind = "X"  # prepositions the stop-word lists miss: "versus user ID"
        elif grammar and kind == "C" and "v" in t.classes:
            if t.lower == t.lemma and (t.verb == "base" or _verb_in_context(tokens, k)):
                kind = "V"  # a verb that may start an activity: "to create regional hubs"
            elif t.lower != t.lemma and _verb_in_context(tokens, k):
                kind = "X"  # a verb form in a clause: "I stopped participating", "you're protected"
            elif t.lemma in _STATIVE and t.lower.endswith("s") and kinds[-1:] in ("C", "G"):
                kind = "X"  # a verb of state after its subject: "EU institutions means"
        kinds += kind
    return kinds


def spans(
    tokens: Sequence[Token], filler: frozenset[str] = frozenset(), classes: bool = False, grammar: bool = False,
    nominal: frozenset[str] = frozenset(),
):
    """Spans (i, j, verb first) of MIN_WORDS..MAX_WORDS tokens shaped like a name and not cut out of a longer run.

    With ``grammar``, a verb read as one (see ``_kinds``) starts a span only as an activity, a
    verb of action with its object ("create regional hubs", to be named "Creating regional
    hubs"), and an -ing word followed by a preposition starts one only when its verb takes the
    preposition (``takes``) or the corpus uses the -ing word as a noun (``nominal``: "the
    funding for"); a span neither starts nor ends inside a hyphenated word ("off-putting") and
    does not end on a possessor ("OCP" of "OCP's approach").
    """
    kinds = _kinds(tokens, filler, classes, grammar)
    n = len(kinds)
    starts = "CGV" if grammar else "CG"
    for i in range(n):
        if kinds[i] not in starts or (i > 0 and kinds[i - 1] in "CG") or not edge_ok(tokens[i]):
            continue
        if grammar and (tokens[i].hyphen_before or not _starts_activity(tokens, kinds, i, nominal)):
            continue
        shape = _SHAPE_VERB if kinds[i] == "V" else _SHAPE
        for j in range(i + MIN_WORDS, min(n, i + MAX_WORDS) + 1):
            if not allowed(tokens[j - 1]):
                break
            if j < n and kinds[j] in "CG":
                continue
            if grammar and (tokens[j - 1].hyphen_after or (j < n and tokens[j].lower in _POSSESSIVE)):
                continue
            if shape.fullmatch(kinds[i:j]) and edge_ok(tokens[j - 1], last=True, classes=classes):
                yield i, j, kinds[i] == "V"


def _starts_activity(tokens: Sequence[Token], kinds: str, i: int, nominal: frozenset[str]) -> bool:
    """A span starting at ``i`` reads as a noun phrase or an activity (see ``spans``)."""
    if kinds[i] == "V" and tokens[i].lemma in _STATIVE:
        return False
    if kinds[i] == "G" and kinds[i + 1 : i + 2] == "P" and tokens[i + 1].lower == "and":
        return True  # coordinated activities: "Planning and budgeting"
    if kinds[i] in "GV" and kinds[i + 1 : i + 2] == "P":
        return takes(tokens[i], tokens[i + 1]) or (kinds[i] == "G" and tokens[i].lower in nominal)
    return True


_SENTENCE_END = frozenset({".", "!", "?", ":", ";", "•", "·", "-", "–"})
PROPER_SHARE, PROPER_MIN = 0.75, 3


def written_forms(token_lists: Iterable[Sequence[Token]]) -> dict[str, str]:
    """The capitalised form of each word the corpus nearly always capitalises inside a sentence
    (``PROPER_SHARE`` of ``PROPER_MIN`` or more such uses): a name ("Bowling Green",
    "Scottsville") that one writer left in lower case. A word capitalised less often ("Company 1"
    beside "a software company") is not in it."""
    seen: dict[str, Counter] = {}
    for tokens in token_lists:
        for before, t in zip(tokens, tokens[1:]):
            if t.word and before.written not in _SENTENCE_END and not (t.written.isupper() and len(t.written) > 1):
                seen.setdefault(t.lower, Counter())[t.written] += 1
    out = {}
    for word, forms in seen.items():
        capital = Counter({w: n for w, n in forms.items() if w[:1].isupper()})
        if forms.total() >= PROPER_MIN and capital.total() >= PROPER_SHARE * forms.total():
            out[word] = capital.most_common(1)[0][0]
    return out


def sentence_case(
    tokens: Sequence[Token], first: bool, forms: Mapping[str, str] | None = None, capitalise: bool = True
) -> str:
    """Sentence case, keeping acronyms and mid-sentence capitals as written, and capitalising the
    words the corpus capitalises (``forms``, from ``written_forms``). With ``capitalise`` false,
    as written inside a sentence: the first word has no capital of its own ("the private sector")."""
    words = []
    for t in tokens:
        if t.written.isupper() and len(t.written) > 1:
            words.append(t.written)
        elif forms and t.lower in forms:
            words.append(forms[t.lower])
        else:
            words.append(t.written if t.written[:1].isupper() and not first else t.lower)
    text = " ".join(words)
    return text[:1].upper() + text[1:] if capitalise else text
