"""The "ask core" of a recommendation: what is asked for, without the frame that asks.

"They need more advanced planning", "It would be good to have a planning sharing system" and
"Would be nice to have an advanced agenda" frame their asks differently; what they ask for is
"advanced planning", "planning sharing system" and "advanced agenda". Two people rarely phrase
the same request alike, but the action and its object survive. Without a parser (only
``spacy.blank("en")`` is available) the core is found by rules: take the clause that carries the
request, drop the opener, the addressee and the modal or evaluative frame ("they should", "it
would be good to", "need more", "I'd like to see"), drop light verbs and quantifiers, and stop at
the first clause break. What is left is short enough for the embedding to be about the ask.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlp.recommendations.lexicon import IMPERATIVE_VERBS
from nlp.substantive import without_disfluencies

__all__ = ["ask_cores", "ask_phrases", "ask_spans", "framed", "normalise"]

# Clause breaks: the request is nearly always in the first clause that carries a frame;
# explanations and examples follow a dash, colon, semicolon or "because".
_CLAUSE_SPLIT = re.compile(r"\s+[–—-]\s+|[;:!?]\s+|\.\s+|\(|\)|\s*\.\.\.\s*|\s*[\u2022·]\s+")
# Where the explanation or example after an ask begins (``_strip_tail``).
_TAIL = re.compile(
    r"(?<=\w)\s*(?:,|\b(?:because|since|so that|so|in order to|rather than|instead of|which|who|where|when|while|"
    r"but|as|if|otherwise|unless|e\.g\.|i\.e\.|for example|for instance|such as|like|although|though|"
    r"even if|especially|particularly|and there)\b|\bin place$)",
    re.IGNORECASE,
)
# Openers spoken before the request ("I think", "At the country level").
_OPENER = re.compile(
    r"^(?:(?:i|we) (?:think|believe|feel|guess|suggest|recommend|propose|would say|'d say)(?: that)?|"
    r"in my (?:opinion|view)|personally|honestly|maybe|perhaps|probably|ideally|also|and|but|so|then|"
    r"however|overall|additionally|finally|lastly|first(?:ly)?|second(?:ly)?|third(?:ly)?|still|"
    r"definitely|really|obviously|of course|at (?:the )?[a-z]+ level|in (?:the )?future|in general|"
    r"generally|basically|again|yes|no|ok|okay|please|kindly|or|like(?! to\b)|for (?:example|instance)|e\.g\.|"
    r"anyway|anyhow|though)\b[ ,]*",
    re.IGNORECASE,
)
_ADV = (r"(?:really|also|definitely|just|even|still|certainly|probably|perhaps|maybe|absolutely|"
        r"strongly|more|much|very|highly|simply|urgently|seriously|actually|first|always|ideally)")
_ADVS = rf"(?:{_ADV} )*"
_GOOD = (r"(?:good|great|nice|helpful|useful|better|ideal|important|essential|crucial|vital|key|"
         r"necessary|beneficial|valuable|worthwhile|wise|smart|best|welcome|appreciated|desirable|"
         r"interesting|advisable|cool|awesome|fantastic|wonderful|excellent|preferable)")
_GOOD_NOUN = r"(?: idea| thing| step| addition| improvement| move| start| answer| solution)"
# Nouns that praise what would be, on their own: "It would be an improvement if ...", "... would
# be a godsend", "a big help".
_GOOD_THING = (rf"(?:{_GOOD}{_GOOD_NOUN}?|(?:(?:big|great|huge|real|welcome) )?"
               r"(?:improvement|plus|bonus|godsend|help|boon|must|asset|blessing))")
_GOOD_THEN = r"(?: is| if| to| that| for [a-z]+ to(?: be)?)"
# Frames that introduce the ask; the first one found at the start of the clause is removed, and
# the search is repeated so that stacked frames ("I think they should also") all go.
_FRAME_PATTERNS = [
    # "It would be good to ...", "What also would be good is ...", "Would be nice to ..."
    re.compile(rf"^(?:(?:it|this|that|what|there) )?{_ADVS}(?:would|'d|could|will|might|(?:is|'s|are) going to) ?"
               rf"{_ADVS}(?:be )?{_ADVS}(?:a |an )?{_ADVS}{_GOOD_THING}{_GOOD_THEN}?\b"),
    # Stated, not hypothetical, it asks only with what follows: "It is important to ...", "Good
    # to have ...", "Better if ..."; "Great example of ..." and "It is a great tool" praise.
    re.compile(rf"^(?:(?:it|this|that|what|there) )?{_ADVS}(?:is|'s|are)? ?{_ADVS}(?:a |an )?{_ADVS}{_GOOD}{_GOOD_NOUN}?{_GOOD_THEN}\b"),
    # The same frame later in a clause: "Although we have calls, would be nice to have ..."
    re.compile(rf"\b(?:would|'d|could|will|might) {_ADVS}be {_ADVS}(?:a |an )?{_ADVS}{_GOOD_THING}"
               rf"(?: if| to| that| for [a-z]+ to)?\b"),
    # "I would like (to see)", "We'd love", "I wish", "I hope", "we want"; a clause that opens
    # on "like" is an example ("(like Google)") or filler ("Like there needs to be ..."), not liking.
    re.compile(rf"^(?!like\b(?! to\b))(?:(?:i|we|people|everyone|they) )?{_ADVS}(?:would|'d|do|really)? ?{_ADVS}"
               r"(?:like|love|prefer|want|wish|hope|appreciate|welcome)(?: for [a-z]+)?(?: to)?(?: see| have| get)?\b(?: that)?"),
    # "There should be", "there needs to be", "there is a need for/to"; a bare "there is/are"
    # describes ("there are only a few NGOs observing activity").
    re.compile(rf"^there {_ADVS}(?:should|must|could|would|needs to|need to|has to|ought to|will) ?"
               rf"{_ADVS}(?:be|have been)? ?{_ADVS}(?:a )?(?:need|room|place|call)? ?(?:for|to)?\b"),
    re.compile(rf"^there {_ADVS}(?:(?:is|are) )?{_ADVS}(?:a )?(?:need|room|place|call)\b ?(?:for|to)?\b"),
    # "Still lacks X", "There is a lack of X", "Not enough on X": what is missing is what is asked for.
    re.compile(r"^(?:there (?:is|are|'s) )?(?:still )?(?:(?:a|an) )?(?:lacks?|lacking|(?:lack|shortage|absence) of|"
               r"not enough(?: of| on)?|too (?:little|few)(?: of)?)\b|^there (?:is|are|'s) (?:still )?no\b"),
    # "My suggestion is to", "the key is to", "one thing would be"
    re.compile(rf"^(?:my|our|the|one|another|a) (?:(?:{_GOOD}|main|big|first|second|third|other|last|final|only|real|"
               r"obvious|simplest|easiest) (?:and )?){0,2}(?:suggestion|recommendation|"
               r"advice|proposal|idea|thing|priority|key|request|wish|point|option|solution)s? "
               r"(?:would be|is|are|will be)(?: to| that)?\b"),
    # "Make sure (that)", "Ensure that", "Feel free to", "Please"
    re.compile(r"^(?:make sure|ensure|be sure|remember) (?:that |to )?(?:you |we )?"),
    # "More should be done to ...", "Work needs to be done on ...": the ask is what follows.
    re.compile(r"^(?:much |a lot |a bit |)(?:more|something|work|action|better job) (?:should|must|needs? to|has to|could) "
               r"be (?:done|taken|made)(?: to| on| about| for| with| in)?\b"),
    # "The curtains are in need of replacement": the subject is what the need is for.
    re.compile(rf"\b(?:(?:is|are|was|were) {_ADVS})?in (?:dire |urgent |desperate |real )?need of\b"),
    # Subject + modal: "they should", "the OCP needs to" (searched, not anchored). Modals that
    # ask come before those that may only describe: in "They can bring in the technology but
    # they need to make sure ...", the ask follows "need to".
    re.compile(rf"\b{_ADVS}(?:should|must|shall|ought to|need to|needs to|have to|has to|"
               rf"(?<!\bin )need|needs|'d better|had better)(?P<neg> not| n't)? {_ADVS}"),
    re.compile(rf"\b{_ADVS}(?:could|can|would|will|might|may)(?P<neg> not| n't)? {_ADVS}"),
    # Bare modal or need at the start: "Need more journalists", "Could be more systematic"
    re.compile(rf"^(?:need|needs|needed|should|must|could|would|can|ought to|let'?s|let us|why not|how about|"
               rf"what about|required|requires|require) {_ADVS}"),
]
_FRAMES = [re.compile(pattern.pattern, re.IGNORECASE) for pattern in _FRAME_PATTERNS]
# Frames that may describe rather than ask (``framed``): a bare modal other than "could", and
# liking without "would" ("We love OCP's approach", against "We'd love").
_DESCRIBING = re.compile(
    rf"{_ADVS}(?:can|would|'d|will|might|may)(?: not| n't)?(?: {_ADV})*|"
    rf"(?:(?:i|we|people|everyone|they) )?{_ADVS}(?:do )?{_ADVS}(?:like|love|prefer|appreciate|welcome)\b.*",
    re.IGNORECASE,
)
# Words that, left at the start of a core, carry no ask: light verbs, copulas, quantifiers.
_LEADING_NOISE = re.compile(
    rf"^(?:(?:(?:it|that|there|this|here)'s|be|being|been|is|are|have|has|having|get|getting|"
    rf"(?:see|seeing)(?! (?:if|whether)\b)|do|doing|make|there|to|that|"  # "see if ..." is an action
    rf"the|a|an|some|any|more|less|much|many|lot|lots|of|a lot of|bit|little|further|additional|"
    rf"(?:type|kind|sort)s? of|"
    rf"extra|also|even|really|just|still|very|either|its|their|our|your|my|his|her|them|us|it|this|these|"
    rf"those|{_ADV})\b[ ,]*)+",
    re.IGNORECASE,
)
# A purpose clause after the object ("create region-specific teams to focus on local issues",
# "a five year rent freeze to let wages catch up") says why, not what: the ask ends before it.
# Not after words that take "to" as their complement ("how to", "has got to", "easy to", "needed to").
_PURPOSE = re.compile(
    rf"(?<=\w)\s+to\s+(?:{'|'.join(sorted(IMPERATIVE_VERBS - {'be'}))})\b.*$", re.IGNORECASE
)
_TAKES_TO = frozenset(
    """how what where when whether which who got get gets easy easier hard harder difficult able likely going
    used have has had ought want wants need needs try trying way ways time chance effort order enough sure free
    ready capacity ability power means right freedom opportunity""".split()
)
_PRONOUNS = frozenset("i we you they he she it this that there one people everyone".split())
_PERSONAL = frozenset("i we you they he she".split())
_NOT_RELATIVE = _PRONOUNS | frozenset(
    """and but or so then think agree guess believe feel mean say know hope maybe perhaps also really just
    probably definitely still even actually certainly absolutely for in at on with by from to of about during
    after before if when as""".split()
)
# A past participle, regular or common irregular: "installed", "built", "made".
_PARTICIPLE = r"(?:[a-z]+(?:ed|en|wn|t)|made|done|paid|held|sold|found|led|heard)\b"
# The verbs among the leading light words that say what to do: "be" before a quality ("be more
# critical", "be prepared", not "be a base of" nor "be looking at"), "do", "make".
_ACTION_VERB = re.compile(
    rf"\b(?:(?:be|being)\s+(?!{_ADVS}(?:a|an|the|some|any|its|their|our|your|my|this|that|these|those|there)\b)"
    r"(?![a-z]+ing\b)|(?:do|doing|make|making)\b)",
    re.IGNORECASE,
)
# A condition before the advice it leads to, up to its comma or "then" ("If you have a car, ...").
_CONDITION = re.compile(r"^(?:if|when|whenever|unless|once|as long as)\b[^,]*?(?:,\s*(?:then\s+)?|\s+then\s+)",
                        re.IGNORECASE)
# A label before the advice itself ("Here's a tip: take the Metro ...", "Suggestion - ...").
_ADVICE_LABEL = re.compile(
    r"(?:(?:here'?s|here is|my|our|a|one|another|just|quick|small|little|final) ){0,3}"
    r"(?:tip|suggestion|advice|hint|recommendation|word to the wise|note)s?",
    re.IGNORECASE,
)
_COMMA_PART = re.compile(r",\s*(?:(?:so|then|and|but)\s+)?", re.IGNORECASE)
_SUBJECT_START = _PRONOUNS | frozenset("the a an our their its my his her".split())
_PASSIVE = re.compile(rf"^(?:be|been|being|get|got|is|are)\s+(?={_PARTICIPLE})", re.IGNORECASE)
_COPULA = re.compile(rf"^(?:be|been|being)\s+{_ADVS}", re.IGNORECASE)
# A frame after one of these is in a subordinate clause ("... tiny homes so they can live"):
# it states a reason or consequence, not the request.
_SUBORDINATORS = frozenset("so because since which unless although though whereas".split())
_SUBORDINATE_START = frozenset("that which who whom whose where when while if as than to".split())
# "Seaweed aquaculture will improve biodiversity", "X would help drive investment out of housing":
# after would/will/could/might, these verbs describe what the subject would bring about, so
# the subject is what is proposed.
_CONSEQUENCE = re.compile(
    r"^(?:help|helps|allow|allows|enable|enables|improve|improves|increase|reduce|encourage|give|lead|"
    r"solve|save|benefit|boost|ensure|mean|provide|result|prevent|drive|make|create|bring|go a long way|"
    r"attract|raise|lower|cut|support|protect|strengthen)\b",
    re.IGNORECASE,
)
_HYPOTHETICAL = re.compile(r"\b(?:would|'d|will|could|might|can)\b", re.IGNORECASE)
_DROP = frozenset("the a an their its our your his her my this that these those".split())
_MAX_TOKENS = 12


def normalise(text: str) -> str:
    """``text`` as ask spans read it: plain quote marks, no hesitations ("um"), no word said twice
    in a row ("this, this idea"), no leading bullet or number, single spaces."""
    text = text.replace("’", "'").replace("“", " ").replace("”", " ").replace('"', " ")
    # Speech: hesitations and a word said twice ("Um, that issue", "this, this idea") are no part
    # of what is asked for.
    text = without_disfluencies(text)
    text = re.sub(r"^[\s\-–—·•*>\d.)]+", "", text)
    return " ".join(text.split())


def _strip_frames(clause: str) -> tuple[str, str]:
    """Remove openers and frames from the start of ``clause``; the first frame found, or "".

    A frame found inside the clause ("Quality bike lanes should be installed") leaves the words
    before it, the subject, which is the object of the ask when the verb is passive or when
    nothing is left after the frame ("More bike trails would be a great addition").
    """
    found = ""
    for _ in range(6):
        before = clause
        clause = _OPENER.sub("", clause).strip(" ,")
        for frame in _FRAMES:
            match = frame.match(clause) if frame.pattern.startswith("^") else frame.search(clause)
            # Only the first frame may sit inside the clause; stacked frames ("I think they
            # should also") follow one another at its start. A later modal inside the ask
            # ("a house so they can live", "... and this needs to be enforced") is not a frame.
            if not match or match.end() == 0 or (found and match.start() > 0):
                continue
            # The subject is the words before the frame in its own clause ("As X grows, Y should").
            # "OCP is creating a field but needs more strengthening": after "but" a new clause begins.
            # "Citizens United, the Supreme Court ruling ..., MUST be overturned": after an
            # apposition the subject is its head, before the first comma.
            before_frame = clause[: match.start()].strip()
            apposition = before_frame.endswith(",") and before_frame.count(",") >= 2
            head = before_frame.split(",", 1)[0] if apposition else before_frame.rsplit(",", 1)[-1]
            subject = re.split(r"\b(?:but|yet)\b", head)[-1].strip(" ,")
            words = subject.lower().split()
            if set(words[1:]) & _SUBORDINATORS or (words and words[0] in _SUBORDINATE_START):
                continue
            # "More stories they could tell": a modal after a short noun phrase and a pronoun is in
            # a relative clause, and the whole clause is the ask ("I agree we need" is no such, nor
            # is "Android we need", after a name).
            if (1 < len(words) <= 4 and words[-1] in _PERSONAL and not {words[0], words[-2]} & _NOT_RELATIVE
                    and subject.split()[-2][:1].islower()):
                continue
            # An opener after the frame goes first: "It would be helpful if, for example, ...".
            rest = _strip_tail(_OPENER.sub("", clause[match.end():].strip(" ,")).strip(" ,"))
            # "should not be allowed" asks the opposite of "should be allowed": keep the "not".
            negated = "neg" in frame.groupindex and match.group("neg")
            passive = _PASSIVE.match(rest)
            copula = _COPULA.match(rest)
            n_words = len(_LEADING_NOISE.sub("", rest).split())
            named = len(subject.split()) > 1 and subject.split()[0].lower() not in _PRONOUNS
            if subject and passive:
                rest = f"{subject}{' not' if negated else ''} {rest[passive.end():]}"
            elif subject and n_words == 0:
                rest = subject
            elif named and copula and not _is_name(subject) and words[-1] != "there":
                rest = f"{subject}{' not' if negated else ''} {rest[copula.end():]}"  # "the city more walkable"
            elif named and _HYPOTHETICAL.fullmatch(match.group().strip()) and _CONSEQUENCE.match(rest):
                rest = subject  # "Seaweed aquaculture will improve biodiversity"
            elif subject and n_words == 1 and named:
                rest = f"{subject} {rest}"  # "Holly Drive needs sidewalks"
            elif negated:
                rest = f"not {rest}"
            clause, found = rest, found or match.group()
            break
        if clause == before:
            break
    return clause, found


def _is_name(subject: str) -> bool:
    """Whether ``subject`` is a name ("The OCP", "Bowling Green"): every word but a determiner capitalised.

    A named organisation or place before "should be more critical" is who is asked, not what
    is asked for; "the city" before "needs to be more walkable" is the thing to change.
    """
    words = [w for w in subject.split() if w.lower() not in _DROP]
    return bool(words) and all(w[:1].isupper() for w in words)


def _strip_tail(text: str) -> str:
    """``text`` without the explanation or example that follows the ask.

    The ask ends at the first comma, or at the first tail word that leaves two words or more
    before it: spoken "use like pandas profiling, for example" asks to "use like pandas
    profiling", not to "use"; "Forceful, because ..." still asks for "Forceful".
    """
    for match in _TAIL.finditer(text):
        # "a base of how to improve and who is involved" ends before its "and".
        head = re.sub(r"\s+(?:and|or)$", "", text[: match.start()].strip(" ,."), flags=re.IGNORECASE)
        if "," in match.group() or len(head.split()) >= 2:
            return head or text
    return text.strip(" ,.") or text


def _clauses(text: str) -> list[str]:
    return [c.strip(" ,") for c in _CLAUSE_SPLIT.split(normalise(text)) if c and c.strip(" ,")]


def _core_text(text: str, keep_verb: bool = False) -> str:
    """The ask core of ``text``; with ``keep_verb`` from its action verb on ("be very focused",
    "make the data public"), which the core for comparing drops with the light verbs."""
    clauses = _clauses(text)
    if not clauses:
        return ""
    stripped = [_strip_frames(c) for c in clauses]
    # The request is in the first clause with a frame; a bullet without one is itself the ask
    # ("Bring in the politicians", "More free meeting space"), unless it states something of a
    # subject and a later part gives an order ("They already have a good mix - include civil
    # society", "So this idea, so keep track of their data").
    core = next((c for c, found in stripped if found and c), None)
    if core is None:
        first = _after_condition(stripped[0][0] or clauses[0])
        if first.split(maxsplit=1)[0].lower() in _SUBJECT_START or _ADVICE_LABEL.fullmatch(first):
            later = _COMMA_PART.split(first)[1:] + [_after_condition(c) for c, _ in stripped[1:]]
            core = next((part for part in later if _imperative(part)), first)
        else:
            core = first
    core = _strip_tail(core)
    noise = _LEADING_NOISE.match(core)
    start = noise.end() if noise else 0
    if keep_verb and start:
        verb = next((m for m in _ACTION_VERB.finditer(core) if m.start() < start), None)
        start = verb.start() if verb else start
    core = core[start:].strip(" ,.") or core
    return _without_purpose(core)


def _after_condition(clause: str) -> str:
    """Advice on a condition asks for what follows it: "If you arrive by car, be prepared to pay
    for parking" asks to "be prepared to pay for parking" (when that part opens on an order)."""
    condition = _CONDITION.match(clause)
    return clause[condition.end():] if condition and _opens_on_order(clause[condition.end():]) else clause


def _opens_on_order(clause: str) -> bool:
    """Whether ``clause`` opens on an order ("be prepared", "don't", "skip"), as the rule cues read one."""
    from nlp.recommendations.rules import find_cues  # the cues' spaCy pipeline, built on first use

    return "imperative" in find_cues(clause.split(",", 1)[0])


def _imperative(clause: str) -> bool:
    """Whether ``clause`` opens on a verb that gives an order ("include", "focus"), not "be"."""
    first = clause.split(maxsplit=1)[0].lower() if clause.strip() else ""
    return first in IMPERATIVE_VERBS and first != "be"


def _without_purpose(core: str) -> str:
    """``core`` without a purpose clause after at least three words of ask (``_PURPOSE``)."""
    match = _PURPOSE.search(core)
    if not match:
        return core
    before = core[: match.start()].split()
    last = before[-1].lower() if before else ""
    if len(before) < 3 or last in _TAKES_TO or re.search(r"(?:ed|ing|ble)$", last):
        return core
    return core[: match.start()]


def framed(text: str) -> bool:
    """Whether a clause of ``text`` asks in form: "should", "need", "could", "it would be good to", ….

    A clause whose only frame is a modal that may as well describe ("it can make it", "it will
    be a big miss", "they may wish to") does not count, nor does liking ("We love OCP's
    approach"); "could" does ("OCP could get involved with politicians"). A text without a
    frame ("The events were very relevant") is either a bare request or no request at all, and
    does not count either.
    """
    stripped = map(_strip_frames, _clauses(text))
    return any(core and found and not _DESCRIBING.fullmatch(found.strip()) for core, found in stripped)


def ask_spans(texts: Sequence[str]) -> list[str]:
    """The ask core of each text as it is written there (whitespace and quotes normalised).

    Falls back to the whole normalised text when nothing is left after removing the frame, so
    the span is never empty for a non-empty text.
    """
    return [_core_text(t) or normalise(t) for t in texts]


def ask_phrases(texts: Sequence[str]) -> list[str]:
    """What each text asks for as a name reads it: its ask span, but from the action verb that the
    span drops with the light verbs ("Be very focused", not "focused"; "Make the data public", not
    "data public")."""
    return [_core_text(t, keep_verb=True) or normalise(t) for t in texts]


def ask_cores(texts: Sequence[str], lemmatise: bool = True) -> list[str]:
    """The ask core of each text, lower-cased, without determiners, at most 12 words.

    With ``lemmatise`` words are reduced to their lookup lemma ("politicians" -> "politician"),
    so that number and tense do not separate two phrasings of one ask.
    """
    spans = ask_spans(texts)
    out = []
    from nlp.topics.lemmatizer import lookup_lemmatizer  # the process's one lookup lemmatizer

    for span, doc in zip(spans, lookup_lemmatizer().pipe(spans)):
        words = [(t.lemma_ if lemmatise else t.text).lower() for t in doc if not t.is_punct and t.lower_ not in _DROP]
        out.append(" ".join(words[:_MAX_TOKENS]) or span.lower())
    return out
