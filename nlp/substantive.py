"""Is a quote substantive? Rules that keep backchannel, greetings and meta-talk out of themes.

Transcripts, automatic ones above all, are full of talk that says nothing about the topic of
the study: "Mm hmm.", "Yeah, okay, cool.", "Can you hear me?", "Thanks, that's all.", "Good
luck, have a nice day." Fed to a topic model, such quotes form whole themes of their own, and
they inflate every count. A quote is *substantive* when, once that talk is taken out, enough
content words remain to say something. The rules, in order:

1. **Meta-talk** phrases are removed: talk about the call or the interview rather than the
   topic (``can you hear me``, ``you're on mute``, ``share my screen``), greetings and
   closings (``good morning``, ``nice to meet you``, ``thanks, that's all``, ``good luck``,
   ``have a nice day``), and stalling (``let me think``, ``that's a good question``, ``I don't
   remember``, ``can you repeat the question``), and talk about the interview's own questions
   (``your question``, ``the previous question``, ``introduce myself``), see ``META_PATTERNS``.
2. **Filler** words are not content: backchannel and hesitation (``yeah``, ``okay``,
   ``mm hmm``, ``uh``, ``cool``, ``right``, ``exactly``), politeness (``thanks``, ``sorry``),
   discourse markers (``you know``, ``I mean``, ``kind of``), see ``FILLER_WORDS``, and the
   stop words of spaCy's English stop-word list (``the``, ``it``, ``really``).
3. What remains is tokenised with ``spacy.blank("en")`` (no trained pipeline exists here);
   a content word is an alphabetic token of two or more letters that is neither a stop word
   nor filler.
4. A quote is substantive when enough content words remain: **2 for speech** (transcripts,
   where one-word turns are backchannel: "Definitely.", "Matching.") and **1 for written
   answers** (survey rows, summary cells, where a one-word answer such as "Price" was
   written on purpose); **one more** when the quote also holds meta-talk ("Let me think if
   for language models I have"). Speech of ``MAX_FRAGMENT_WORDS`` (2) words or fewer is a
   fragment whatever its words ("Data quality.", "Ouais ouais."). A bare "Yes." or "No."
   is never substantive: it answers its question but cannot stand for a theme on its own;
   it stays in ``quotes.parquet`` with its question, so a reader can still see it.

The reason a quote is not substantive is one of ``"empty"`` (no words), ``"meta"`` (a
meta-talk phrase and too little else), ``"backchannel"`` (only filler and stop words) and
``"fragment"`` (some content, too little to stand alone). The rules are English; text in
another language is handled by language detection (``nlp.language``), not here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

__all__ = [
    "BACKCHANNEL_WORDS",
    "FILLER_WORDS",
    "HESITATION_WORDS",
    "MAX_FRAGMENT_WORDS",
    "META_PATTERNS",
    "META_PHRASES",
    "content_words",
    "non_substantive_reason",
    "stop_words",
    "substantive_flags",
    "without_disfluencies",
]

# Sounds of hesitation in speech ("um", "uh"): part of no statement, kept out of ask spans and
# counted against a quote shown as evidence. Lower case.
HESITATION_WORDS: frozenset[str] = frozenset("mm mmm mhm mmhm hmm hm hmmm uh uhh uhm um umm erm er ah ahh".split())
# A word, or a run of up to three, said twice in a row in speech ("this, this idea", "the the
# problem", "you, you, you're"): a self-repair. Group 1 is the words said once.
_SAID_TWICE = re.compile(r"\b((?:[\w'’]+\s+){0,2}[\w'’]+)(?:,?\s+\1\b)+,?", re.IGNORECASE)
_HESITATION = re.compile(rf"(?:,\s*)?\b(?:{'|'.join(sorted(HESITATION_WORDS))})\b[,.]?", re.IGNORECASE)
# Backchannel of speech and its spoken contractions: never a topic's word in any kind of text
# (kept out of topic keywords too). Lower case.
BACKCHANNEL_WORDS: frozenset[str] = frozenset(
    "yeah yea yeh yep yup yah ya ok okay okey alright allright aha huh gonna wanna kinda sorta".split()
)
# Spoken contractions as spaCy's tokenizer splits them ("gonna" -> "gon" "na", "gotta" -> "got"
# "ta") or keeps them ("lemme", "dunno"): function words, not content.
_SPOKEN_CONTRACTIONS = frozenset("gon na ta gotta lemme dunno gimme cuz coz outta oughta hafta".split())
# Backchannel, hesitation, politeness and discourse markers: words that carry the talk, not
# its topic. Lower case; matched per token.
FILLER_WORDS: frozenset[str] = HESITATION_WORDS | BACKCHANNEL_WORDS | _SPOKEN_CONTRACTIONS | frozenset(
    """
    yes no nope nah k right sure
    oh ohh ooh eh wow whoa
    cool great perfect nice lovely awesome fine good excellent wonderful fantastic brilliant
    exactly absolutely definitely totally certainly indeed true correct agreed interesting
    thanks thank thx cheers sorry pardon please welcome bye goodbye hi hello hey
    like actually basically literally anyway anyways maybe
    guess suppose mean know see think okay got gotcha understood understand lot bit stuff
    thing things something whatever etc blah
    """.split()
)

_META = [
    # The call itself.
    r"(?:can|could|do) you (?:still )?(?:hear|see) (?:me|us|my screen|it)",
    r"(?:i|we) (?:can|can't|cannot) (?:hear|see) you",
    r"(?:you're|you are|i'm|i am) (?:on mute|muted|breaking up|frozen)",
    r"(?:let me |i'll |i will )?(?:share|stop sharing) (?:my|the) screen",
    r"(?:bad|poor|weak) (?:connection|internet|wifi|audio)",
    r"sorry (?:for|about) (?:all )?(?:the |that )?(?:noise|beeping|delay|interruption|background)",
    r"(?:i'm|i am) (?:just )?going to close (?:this|that)",
    # Greetings and closings.
    r"good (?:morning|afternoon|evening|night)",
    r"how are you(?: doing)?",
    r"(?:nice|good|great|pleasure) (?:to )?(?:meet|meeting|talk|talking|speak|speaking)"
    r"(?: to| with)? you",
    r"(?:it was|it's been|it has been|my) (?:a )?pleasure",
    r"(?:have a |enjoy your )(?:nice|good|great|lovely) (?:day|evening|weekend|one|rest of)",
    r"good luck(?: with [\w ]{0,30})?",
    r"(?:see you|talk to you|speak to you)(?: later| soon)?",
    r"take care",
    r"(?:you're|you are) welcome",
    r"no (?:problem|worries)",
    r"thank(?:s| you)(?: (?:so|very) much)?(?: for [\w ]{0,40})?",
    r"(?:that's|that is|this is|it's) (?:all|it)(?: for me| from me)?",
    r"(?:i )?(?:hope|think) (?:that|this) (?:helps|answers your question|answers it)",
    r"does (?:that|this) (?:make sense|answer your question|help)",
    r"(?:you )?know what i mean",
    r"(?:please )?let me know",
    r"(?:if|whether) i (?:understood|understand|got|answered) (?:your|the) question(?: (?:correctly|right))?",
    r"the answer is (?:yes|no)",
    # Stalling and asking about the question.
    r"let me (?:think|see|rephrase|check)(?: about (?:it|that|this))?",
    r"(?:i'm |i am )?(?:just )?trying to (?:think|remember)",
    r"(?:that's|that is|it's|it is) (?:not )?an? (?:really |very )?(?:good|great|interesting|"
    r"tough|hard|difficult|easy|simple|big) (?:question|one)(?: to answer)?",
    r"(?:i )?(?:don't|do not|can't|cannot|couldn't) (?:know|remember|recall|say|answer)",
    r"(?:i'm|i am) not (?:too |really |very )?(?:sure|aware)",
    r"(?:can|could) you (?:repeat|rephrase|clarify)(?: (?:the|your) question)?",
    r"what (?:do|did) you mean",
    r"(?:i )?(?:understand|get) (?:the|your) question",
    r"(?:the )?next question",
    # The interview's own questions and the interviewee's introduction.
    r"(?:the|this|that|your|\d+) (?:previous|last|first|other|main) questions?",
    r"your questions?",
    r"(?:the )?beginning of the question",
    r"(?:kind of )?questions? you (?:would|will|might|were going to|wanted to) ask",
    r"(?:i )?(?:answer|answered) (?:yes|no)(?: to)?",
    r"introduce (?:myself|ourselves)",
    r"(?:i'll |i will |let me )?stop talking(?: (?:that|so) much)?",
    r"go ahead|go for it",
    r"where was i",
    r"i (?:talked|talk|spoke) (?:a lot|too much)",
]
META_PHRASES: tuple[str, ...] = tuple(_META)
"""The meta-talk phrases as regular expressions without their word boundaries (for combining)."""
META_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(rf"(?<![\w'’]){p}(?![\w'’])", re.IGNORECASE) for p in _META
)
# All of them in one pass, which is what the rule runs (a quote is read once, not 35 times).
_META_RE = re.compile(
    rf"(?<![\w'’])(?:{'|'.join(f'(?:{p})' for p in _META)})(?![\w'’])", re.IGNORECASE
)
_WORD_RE = re.compile(r"\w+")
# Speech this short is a fragment whatever its words (rule 4).
MAX_FRAGMENT_WORDS = 2
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})
# Punctuation spaCy's English tokenizer always splits off the start or end of a word.
_SPLIT_OFF = ",;:!?\"()[]"


@lru_cache(maxsize=1)
def _tokenizer():
    """spaCy's rule-based English tokenizer (a blank pipeline: no trained model exists)."""
    from nlp.quotes import load_sentencizer  # the process's one blank English pipeline

    return load_sentencizer().tokenizer


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """spaCy's English stop words, spaCy imported the pipeline's way (without torch: ``nlp.startup``)."""
    from nlp.startup import import_spacy

    import_spacy()  # spaCy's package import first, without torch: see nlp.startup
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _strip_meta(text: str) -> tuple[str, bool]:
    """The text with meta-talk phrases blanked out, and whether any was found."""
    stripped, n = _META_RE.subn(" ", text)
    return stripped, n > 0


def content_words(text: str) -> list[str]:
    """Content words of ``text`` once meta-talk, filler and stop words are taken out."""
    return _content(_strip_meta(text.translate(_APOSTROPHES))[0])


def _content(stripped: str) -> list[str]:
    stop = stop_words()
    return [low for tok in _tokenizer()(stripped) if tok.is_alpha and _is_content(low := tok.lower_, stop)]


def _is_content(low: str, stop: frozenset[str]) -> bool:
    """Whether an alphabetic word, in lower case, is a content word: two letters or more, neither
    a stop word nor filler."""
    return len(low) > 1 and low not in stop and low not in FILLER_WORDS


def _plain_content_words(stripped: str) -> int:
    """Content words among ``stripped``'s plain words, without the tokenizer: at most what
    ``_content`` finds.

    A plain word is a run of two or more ASCII letters between spaces, with only punctuation
    spaCy always splits off around it ("data", "(quality),"; not a full stop: "Mr." and "SysV."
    stay whole), that is none of the tokenizer's special cases ("cannot" -> "can" "not", "gonna"
    -> "gon" "na"): the tokenizer reads it as one alphabetic token of the same letters, so each
    one counted here is a content word there too (checked on 102,791 texts: README, "Scale").
    """
    stop, special = stop_words(), _special_words()
    count = 0
    for chunk in stripped.split():
        word = chunk.strip(_SPLIT_OFF)
        low = word.lower()
        if word.isascii() and word.isalpha() and low not in special and _is_content(low, stop):
            count += 1
    return count


@lru_cache(maxsize=1)
def _special_words() -> frozenset[str]:
    """Letters-only special cases of the tokenizer, lower case: words it splits or rewrites."""
    return frozenset(key.lower() for key in _tokenizer().rules if key.isalpha())


def non_substantive_reason(text: str, *, spoken: bool = True) -> str | None:
    """Why ``text`` is not substantive (``"empty"``, ``"meta"``, ``"backchannel"``,
    ``"fragment"``), or None when it is.

    Args:
        text: The quote's text.
        spoken: True for speech (a transcript turn), which needs two content words; False for
            a written answer (survey row, summary cell), which needs one.
    """
    normalised = text.translate(_APOSTROPHES)
    if not any(ch.isalnum() for ch in normalised):
        return "empty"
    stripped, has_meta = _strip_meta(normalised)
    # Two words of speech are a fragment in any language ("Ouais ouais", "Data quality."),
    # and the word lists are English only.
    if spoken and len(_WORD_RE.findall(normalised)) <= MAX_FRAGMENT_WORDS:
        n_content = len(_content(stripped))
        return "meta" if has_meta else ("backchannel" if n_content == 0 else "fragment")
    # Meta-talk around a few words ("let me think if for language models I have") is still
    # talk about the interview: such a quote needs one content word more.
    needed = (2 if spoken else 1) + has_meta
    if _plain_content_words(stripped) >= needed:  # most quotes: settled without the tokenizer
        return None
    n_content = len(_content(stripped))
    if n_content >= needed:
        return None
    if has_meta:
        return "meta"
    return "backchannel" if n_content == 0 else "fragment"


def substantive_flags(texts: Sequence[str], spoken: Sequence[bool]) -> list[bool]:
    """``is_substantive`` for each text (see the module docstring for the rules).

    Args:
        texts: Quote texts.
        spoken: Per text, whether it is speech (transcript) rather than a written answer.

    Returns:
        One flag per text, True when the text is substantive.
    """
    if len(texts) != len(spoken):
        raise ValueError(f"{len(texts)} texts but {len(spoken)} spoken flags")
    return [non_substantive_reason(t, spoken=s) is None for t, s in zip(texts, spoken)]


def without_disfluencies(text: str) -> str:
    """``text`` without hesitations ("um", "uh") or self-repairs ("this, this idea"), single spaces.

    What ask spans read, and how a theme's description sentence is written (the evidence quotes
    stay verbatim). A repeat is collapsed until nothing repeats: "some type of some, some type of
    plan" loses one "some", then the phrase.
    """
    text = _HESITATION.sub(" ", text)
    for _ in range(3):
        text, n = _SAID_TWICE.subn(r"\1", text)
        if not n:
            break
    return " ".join(text.split())
