"""Speaker labels of a transcript line: ``Interviewer:``, ``P2 0:25``, ``[00:12] Maria:``, ``00:12 Maria:``,
``SPEAKER_00:``.

What each label style means is told in ``nlp.ingest.transcript``, which reads whole transcripts;
this module finds one label (``label_at``), says what kind of speaker it names (``classify``),
and finds the labels an automatic transcriber left inside a line (``inline_labels``). Caption
readers use ``leading_speaker`` for a cue's first line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CODE_RE", "Label", "classify", "inline_labels", "label_at", "leading_speaker"]

_INTERVIEWER_ROLES = frozenset(
    {"interviewer", "q", "question", "moderator", "facilitator", "host", "i", "int"}
)
_RESPONDENT_ROLES = frozenset(
    {"interviewee", "respondent", "a", "answer", "r", "participant", "resp"}
)
_TITLES = frozenset({"dr", "mr", "mrs", "ms", "mx", "prof", "sir", "dame"})
# Lower-case particles inside names ("Ana de la Cruz").
_PARTICLES = frozenset({"de", "da", "del", "della", "la", "le", "van", "von", "der", "bin", "al"})
CODE_RE = re.compile(
    r"(?P<prefix>p|r|i|q|a|s|b|participant|respondent|interviewee|interviewer|speaker|person"
    r"|subject|informant|stakeholder|user|customer|moderator)[ _]?(?P<n>\d{1,3})",
    re.IGNORECASE,
)
_CODE_INTERVIEWER_PREFIXES = frozenset({"i", "q", "interviewer", "moderator"})

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_WORD = r"[^\W\d_][\w'’.\-]*"
# A trailing number ("Speaker 1") must not be the hour of a timestamp ("P2 0:25").
_LABEL = rf"{_WORD}(?:[ \t]+(?:{_WORD}|\d{{1,3}}(?!\d|:\d))){{0,3}}"
_LABEL_RE = re.compile(
    rf"""
    ^[ \t]*
    (?P<md>\*\*|__|\*|_)?
    (?:[\[(](?P<ts1>{_TS})[\])][ \t]*(?:(?P=md)[ \t]*)?|(?P<ts0>{_TS})[ \t]+)?
    (?P<bracket>\[)?(?P<label>{_LABEL})(?(bracket)\])
    (?:[ \t]*[\[(]?(?P<ts2>{_TS})[\])]?)?
    [ \t]*(?:(?P=md)[ \t]*)?
    (?P<colon>:)?
    [ \t]*(?:(?P=md)[ \t]*)?
    """,
    re.VERBOSE,
)
# Rev's "Name: [00:00:01]": a timestamp in brackets right after the colon is the label's.
_AFTER_COLON_TS_RE = re.compile(rf"[\[(](?P<ts>{_TS})[\])][ \t]*")


@dataclass(frozen=True)
class Label:
    """A speaker label found in the text: where its line and its words start, who it names."""

    line_start: int
    content_start: int
    speaker: str
    key: str
    role: str | None  # "interviewer" | "respondent" | None (decided later)
    certain: bool  # False for a plain name, which must recur to count
    timestamp: str | None


def classify(label: str) -> tuple[str | None, bool] | None:
    """(role, certain) for a label, or None when it cannot be a speaker."""
    words = label.split()
    low = " ".join(words).lower()
    if low in _INTERVIEWER_ROLES:
        return "interviewer", True
    if low in _RESPONDENT_ROLES:
        return "respondent", True
    if m := CODE_RE.fullmatch(low):
        prefix = m.group("prefix").lower()
        return ("interviewer" if prefix in _CODE_INTERVIEWER_PREFIXES else None), True
    first = words[0].rstrip(".").lower()
    has_title = first in _TITLES and len(words) > 1
    names = words[1:] if has_title else words
    if not names or any(any(ch.isdigit() for ch in w) for w in names):
        return None
    if not names[0][0].isupper() or not all(
        w[0].isupper() or w in _PARTICLES for w in names
    ):
        return None
    return None, has_title


def label_at(line: str, start: int) -> Label | None:
    """The speaker label that opens ``line`` (which starts at ``start`` in the text), if any."""
    m = _LABEL_RE.match(line)
    # Without a colon, only a following timestamp ("P2 0:25") marks a label.
    if m is None or not (m.group("colon") or m.group("ts2")):
        return None
    # A bare time first ("00:01:23 Maria: …") needs the colon: "10:30 Coffee break" is no label.
    if m.group("ts0") and not m.group("colon"):
        return None
    timestamp, end = m.group("ts1") or m.group("ts0") or m.group("ts2"), m.end()
    # Inside the label ("[00:12] Maria:", "Maria 0:25") a timestamp marks a speaker; after the
    # colon ("Reminder: [10:30] send the slides") it may be a note's own text, so it does not.
    timed_label = timestamp is not None
    if m.group("colon") and not timestamp and (t := _AFTER_COLON_TS_RE.match(line, end)):
        timestamp, end = t.group("ts"), t.end()
    speaker = " ".join(m.group("label").split())
    kind = classify(speaker)
    if kind is None:
        return None
    role, certain = kind
    if m.group("bracket") and not certain:  # "[SPEAKER_00]:" yes, "[Laughs]:" no
        return None
    return Label(
        line_start=start,
        content_start=start + end,
        speaker=speaker,
        key=speaker.casefold(),
        role=role,
        certain=certain or timed_label,
        timestamp=timestamp,
    )


def leading_speaker(line: str) -> tuple[str, int, bool] | None:
    """The speaker label a line starts with, as a .txt transcript's is read.

    Returns:
        ``(speaker, offset of the text after the label, certain)``, or None. A plain name
        (``Maria:``) is not certain: it counts only when it labels at least two lines.
    """
    label = label_at(line, 0)
    return None if label is None else (label.speaker, label.content_start, label.certain)


# Where a label may stand inside a line: after a sentence's end and a space.
_SENTENCE_END_RE = re.compile(r"[.?!…][\"'”’)\]]*[ \t]+")


def inline_labels(text: str, labels: list[Label]) -> list[Label]:
    """Labels an automatic transcriber left inside a line, where one turn ran into the next
    ("… good enough. Interviewee: And plus process …"): a label written exactly as one that
    opens lines of this file, with its colon, right after a sentence's end."""
    written = {lb.speaker for lb in labels}
    found: list[Label] = []
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        for end in _SENTENCE_END_RE.finditer(line):
            label = label_at(line[end.end():], start + end.end())
            if label and label.speaker in written and ":" in text[label.line_start:label.content_start]:
                found.append(label)
    return found
