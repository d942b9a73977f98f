"""Reader for interview transcripts: lines that start with a speaker label.

Recognised labels (case and spacing are free; ``**Name:**``/``__Name__:`` markdown emphasis is
allowed around the label; a timestamp such as ``0:25``, ``00:01:23`` or ``00:01:23.5`` may come
before it in brackets or after it, bare or in brackets, or after its colon in brackets):

- roles: ``Interviewer:``, ``Q:``, ``Question:``, ``Moderator:``, ``Facilitator:``, ``Host:``,
  ``I:``, ``Int:`` (interviewer); ``Interviewee:``, ``Respondent:``, ``A:``, ``Answer:``,
  ``R:``, ``Participant:`` (respondent);
- participant codes: ``P2:``, ``R1:``, ``Participant 3:``, ``Speaker 1:``, ``Q1:``/``I1:``
  (interviewer), with or without a colon when a timestamp follows: ``P2 0:25``,
  ``P2 (00:01:23):``, ``[00:12] P3:``, ``Speaker 1  0:03`` (text on the next lines); the
  diarisation labels of WhisperX/pyannote, ``SPEAKER_00:`` or ``[SPEAKER_00]:`` (a code or
  role may stand in square brackets, a name may not);
- names: ``Maria:``, ``Dr. Jane Smith:``, up to four capitalised words. So that a line such as
  ``Note: …`` is not read as a speaker, a plain name counts only when it labels at least two
  lines, or carries a title (Dr., Mr., Ms., Mrs., Mx., Prof.) or a timestamp before its colon
  (``[00:12] Maria:``, ``Maria 0:25``). Rev's ``Maria: [00:00:05]`` must recur like a plain name:
  a one-off ``Reminder: [10:30] …`` is text of the turn it stands in.

A turn runs from its label to the next label or markdown heading. An automatic transcriber
sometimes runs one turn into the next on the same line ("… good enough. Interviewee: And plus
…"); such a label starts a turn when it is written exactly as one that opens lines of the file,
with its colon, right after a sentence's end. The interviewer is every
speaker with an interviewer role; if there is none, the one speaker whose turns most often hold
a ``?`` (a tie means no interviewer). Interviewer turns are never quotes. Every other turn is a
``Response``: ``question`` is the cleaned text of the latest interviewer turn before it (``""``
if none), ``speaker`` the label as written, units its paragraphs (blank-line separated; bullet
lines are units of their own). ``section`` is the latest markdown heading (``# …``) or
``"Transcript"``. Text before the first label (a title, a date) is not a quote. A file that
holds several interviews under headings that name them (``# Interview 3``, ``# Participant
12``; ``nlp.ingest.paragraphs.Headings``) gives each its own respondent for the generic roles
(``Interviewee:``, ``A:``, ``R:``), which would otherwise make every interviewee of the file one
person; such a heading names no section.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from nlp.ingest.errors import IngestError
from nlp.ingest.markup import bullet_units, clean_text, quoted_spans, strip_markup
from nlp.ingest.paragraphs import Headings
from nlp.ingest.speaker_labels import CODE_RE, Label, classify, inline_labels, label_at
from nlp.schemas import Document, Response, Unit

__all__ = [
    "DEFAULT_SECTION",
    "SpokenTurn",
    "count_speaker_turns",
    "looks_like_transcript",
    "read_transcript",
    "transcript_from_turns",
]

DEFAULT_SECTION = "Transcript"

_HEADING_RE = re.compile(r"^[ \t]{0,3}(?P<hashes>#{1,6})[ \t]+(?P<title>.*?)[ \t#]*$")


@dataclass(frozen=True)
class _Heading:
    line_start: int
    title: str
    level: int


@dataclass(frozen=True)
class _Turn:
    number: int
    label: Label
    start: int
    end: int
    section: str
    respondent: str = ""  # the heading above that names one interview or person, if any


def _scan(text: str) -> tuple[list[Label], list[_Heading]]:
    """Every accepted speaker label and markdown heading, in text order."""
    candidates: list[Label] = []
    headings: list[_Heading] = []
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if h := _HEADING_RE.match(line):
            headings.append(_Heading(start, clean_text(h.group("title")), len(h.group("hashes"))))
        elif (label := label_at(line, start)) is not None:
            candidates.append(label)
    uses = Counter(c.key for c in candidates)
    return [c for c in candidates if c.certain or uses[c.key] >= 2], headings


def _turns(text: str) -> list[_Turn]:
    labels, headings = _scan(text)
    # Each heading ends the turn before it and names the section of the turns after it; the
    # labels left inside lines take their place among the others by position.
    events: list[tuple[int, Label | _Heading]] = sorted(
        [(lb.line_start, lb) for lb in labels + inline_labels(text, labels)] + [(h.line_start, h) for h in headings],
        key=lambda e: e[0],
    )
    turns: list[_Turn] = []
    open_headings = Headings(DEFAULT_SECTION)
    for i, (_, event) in enumerate(events):
        if isinstance(event, _Heading):
            open_headings.enter(event.level, event.title)
            continue
        end = events[i + 1][0] if i + 1 < len(events) else len(text)
        turns.append(
            _Turn(len(turns) + 1, event, event.content_start, end, open_headings.section, open_headings.respondent)
        )
    return turns


def _interviewers(text: str, turns: list[_Turn]) -> frozenset[str]:
    """Keys of the speakers whose turns are questions, not answers."""
    by_role = frozenset(t.label.key for t in turns if t.label.role == "interviewer")
    if by_role:
        return by_role
    asks: Counter[str] = Counter()
    for t in turns:
        if t.label.role is None and "?" in text[t.start : t.end]:
            asks[t.label.key] += 1
    ranked = asks.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return frozenset()
    return frozenset({ranked[0][0]})


def _units(text: str, start: int, end: int) -> list[Unit]:
    """One unit per blank-line-separated paragraph, and per bullet inside one."""
    units: list[Unit] = []
    para_start: int | None = None
    pos = start
    for line in text[start:end].split("\n"):
        line_start, pos = pos, pos + len(line) + 1
        if strip_markup(line).strip():
            if para_start is None:
                para_start = line_start
        elif para_start is not None:
            units.extend(bullet_units(text, para_start, line_start))
            para_start = None
    if para_start is not None:
        units.extend(bullet_units(text, para_start, end))
    return units


def count_speaker_turns(text: str) -> int:
    """Number of lines that start with an accepted speaker label."""
    labels, _ = _scan(text)
    return len(labels)


def looks_like_transcript(text: str) -> bool:
    """True when at least two lines start with an accepted speaker label."""
    return count_speaker_turns(text) >= 2


def _identity(turn: _Turn) -> str:
    """Who a turn's label names: codes ignore spacing, and the generic respondent roles are one
    person, or under a heading that names an interview ("# Interview 3") that interview's."""
    label = turn.label
    if label.role == "respondent":
        return f"\x00respondent\x00{turn.respondent}"
    if m := CODE_RE.fullmatch(label.key):
        return f"{m.group('prefix').lower()} {int(m.group('n'))}"
    return label.key


def _runs(turns: list[_Turn]) -> list[list[_Turn]]:
    """Consecutive turns of one speaker in one section: one answer split by the transcriber."""
    runs: list[list[_Turn]] = []
    for turn in turns:
        prev = runs[-1][-1] if runs else None
        if prev and _identity(prev) == _identity(turn) and prev.section == turn.section:
            runs[-1].append(turn)
        else:
            runs.append([turn])
    return runs


def read_transcript(text: str, source_file: str, sha256: str) -> Document:
    """Parse a speaker-labelled transcript into one Response per respondent answer.

    Consecutive turns of the same speaker (automatic transcribers split one answer into many
    labelled lines) form one Response whose units are the paragraphs of all of them, each with
    its exact span; the labels between them are in no unit. Consecutive interviewer turns
    likewise form one question.

    Args:
        text: The decoded, newline-normalised file content.
        source_file: File name used in provenance and ids.
        sha256: Hash of the file's bytes.

    Returns:
        A Document of format ``"transcript"``. ``response_id`` is ``f"{source_file}#t{n}"``
        with ``n`` the 1-based position of the answer's first turn among all turns,
        interviewer turns included. ``respondent_id`` is ``f"{source_file}#{speaker}"``: the
        speaker as first written, where ``Interviewee 2``/``P2`` are people of their own,
        ``P2``/``p 2`` the same one, and the generic roles (``Interviewee``, ``A``,
        ``Respondent``, …) of one file one person, or of one interview under a heading that
        names it (``# Interview 3``: then ``f"{source_file}#Interview 3"``). ``Response.metadata`` holds ``turn``
        (the first), ``turns`` (all merged turn numbers) and, when given, ``timestamp``;
        ``Document.metadata`` holds ``speakers``, ``interviewers`` and ``respondents``.

    Raises:
        IngestError: If no line starts with a speaker label.
    """
    turns = _turns(text)
    if not turns:
        raise IngestError(
            source_file,
            "no speaker turns found: expected lines starting with a label such as "
            "'Interviewer:', 'Q:', 'Maria:' or 'P2 0:25'",
        )
    return _document(text, turns, source_file, sha256)


@dataclass(frozen=True)
class SpokenTurn:
    """A turn whose speaker a reader already knows (a caption file's cues, say).

    ``text[start:end]`` is what was said, without the label; ``timestamp`` as written;
    ``role`` ``"interviewer"``/``"respondent"``, or None to read it from the speaker's name.
    """

    speaker: str
    start: int
    end: int
    timestamp: str | None = None
    role: str | None = None


def transcript_from_turns(
    text: str, turns: list[SpokenTurn], source_file: str, sha256: str
) -> Document:
    """The Document ``read_transcript`` makes, from turns a reader found in its own way.

    Speakers, interviewers, questions, merged turns and ids follow ``read_transcript``; a
    speaker named like a role (``Interviewer``, ``Q``) has that role. ``turns`` in text order.
    """
    made: list[_Turn] = []
    for k, t in enumerate(turns, 1):
        kind = classify(t.speaker) if t.speaker.split() else None
        role = t.role or (kind[0] if kind else None)
        label = Label(t.start, t.start, t.speaker, t.speaker.casefold(), role, True, t.timestamp)
        made.append(_Turn(k, label, t.start, t.end, DEFAULT_SECTION))
    return _document(text, made, source_file, sha256)


def _document(text: str, turns: list[_Turn], source_file: str, sha256: str) -> Document:
    interviewers = _interviewers(text, turns)
    display: dict[str, str] = {}
    for turn in turns:
        generic = turn.label.role == "respondent" and turn.respondent
        display.setdefault(_identity(turn), turn.respondent if generic else turn.label.speaker)
    responses: list[Response] = []
    question = ""
    for run in _runs(turns):
        first = run[0]
        if first.label.key in interviewers:
            question = " ".join(clean_text(text[t.start : t.end]) for t in run).strip()
            continue
        per_turn = [_units(text, t.start, t.end) for t in run]
        units = [u for own in per_turn for u in own]
        if not units:
            continue
        metadata: dict[str, object] = {"turn": first.number, "turns": [t.number for t in run]}
        if first.label.timestamp:
            metadata["timestamp"] = first.label.timestamp
        # Per turn, so that a quotation mark never pairs across another turn's label.
        spans = [
            span
            for own in per_turn
            if own
            for span in quoted_spans(text, own[0].char_start, own[-1].char_end)
        ]
        responses.append(
            Response(
                response_id=f"{source_file}#t{first.number}",
                section=first.section,
                question=question,
                units=tuple(units),
                speaker=first.label.speaker,
                quoted_spans=tuple(spans),
                metadata=metadata,
                respondent_id=f"{source_file}#{display[_identity(first)]}",
            )
        )
    speakers = list(dict.fromkeys(t.label.speaker for t in turns))
    return Document(
        source_file=source_file,
        sha256=sha256,
        format="transcript",
        text=text,
        responses=tuple(responses),
        metadata={
            "speakers": speakers,
            "interviewers": [s for s in speakers if s.casefold() in interviewers],
            "respondents": list(dict.fromkeys(r.respondent_id for r in responses)),
        },
    )
