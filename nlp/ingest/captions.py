"""Reader for caption transcripts: WebVTT (``.vtt``: Zoom, Teams) and SubRip (``.srt``).

The cues are parsed by ``webvtt-py`` (its SRT reader too). A cue's speaker is its voice tag
(``<v Maria Garcia>``, Teams) or a leading label as in a .txt transcript (``Maria Garcia:``,
Zoom; a plain name must label at least two lines, as in a .txt, unless most cues open with a
label); a cue without one goes on with the speaker before it. A later line of a cue that names
a speaker the same way starts that speaker's words (a question and its answer in one cue).
Cues before any speaker (a whole file without names) belong to ``UNNAMED_SPEAKER``, a
respondent: their words become quotes, the interviewer's too when nothing names them. Cue
tags (``<i>``, ``<c.loud>``) are removed and character references (``&amp;``) decoded.

Consecutive cues of one speaker are one turn: a caption cuts sentences anywhere, so the turn
is rendered as one paragraph, one line per cue line, after ``[start] Speaker:`` (the first
cue's start time as written). ``Document.text`` is that rendering, as a .docx's is; every span
indexes it, and the turns go through ``nlp.ingest.transcript`` like those of a .txt
transcript (interviewer, question, respondent ids, ``timestamp``). Each response's
``metadata["lines"]`` gives the 1-based lines of the file its cue text spans, first and last:
neither parser reports positions, so each cue is found again in the file, in order.
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from dataclasses import dataclass, replace

from nlp.ingest.errors import IngestError
from nlp.ingest.speaker_labels import leading_speaker
from nlp.ingest.transcript import SpokenTurn, transcript_from_turns
from nlp.schemas import Document

__all__ = ["CAPTION_FORMATS", "UNNAMED_SPEAKER", "read_captions"]

# File extension -> Document.format.
CAPTION_FORMATS = {".vtt": "webvtt", ".srt": "srt"}
UNNAMED_SPEAKER = "Unnamed Speaker"
# A voice tag opening a cue line, as webvtt-py reads it (Caption.VOICE_SPAN_PATTERN).
_VOICE_RE = re.compile(r"<v(?:\.\w+)*\s+([^>\s][^>]*)>")


@dataclass(frozen=True)
class _Cue:
    """A cue, or the part of one that a speaker label on one of its lines opens."""

    timestamp: str  # start time of the cue as written in the file
    first_line: int  # 1-based lines of the file holding this text
    last_line: int
    speaker: str | None
    lines: tuple[str, ...]  # text without tags and speaker label
    opens_cue: bool = True  # the cue's first part (False: a later line of it named a speaker)


def _parse(text: str, source_file: str, kind: str) -> list:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    name = "WebVTT" if kind == ".vtt" else "SubRip (.srt)"
    try:
        if kind == ".vtt":
            return list(webvtt.WebVTT.from_string(text).captions)
        return list(webvtt.WebVTT.from_buffer(io.StringIO(text), format="srt").captions)
    except (MalformedFileError, MalformedCaptionError) as exc:
        expected = "a 'WEBVTT' first line" if kind == ".vtt" else "a cue number, then 'start --> end'"
        raise IngestError(
            source_file, f"not a valid {name} file ({exc}): expected {expected}, then cues"
        ) from None


def _timing_pattern(suffix: str):
    """The parser's own pattern of a cue timing line ("00:00:01.000 --> 00:00:04.000")."""
    from webvtt.srt import SRTCueBlock
    from webvtt.vtt import WebVTTCueBlock

    return (WebVTTCueBlock if suffix == ".vtt" else SRTCueBlock).CUE_TIMINGS_PATTERN


def _located(captions: list, text: str, source_file: str, suffix: str) -> list[tuple[str, list[int]]]:
    """(start time as written, 1-based file line of each of its text lines) of each caption, in order.

    A timing line is one the parser reads as such, so a NOTE or caption line holding "-->" is not taken
    for one.
    """
    lines = [line.strip() for line in text.split("\n")]
    timing_line = _timing_pattern(suffix)
    found: list[tuple[str, list[int]]] = []
    cursor = 0
    for n, caption in enumerate(captions, 1):
        try:
            timing = next(i for i in range(cursor, len(lines)) if timing_line.match(lines[i]))
            at = [timing]
            for line in caption.lines:
                at.append(next(i for i in range(at[-1] + 1, len(lines)) if lines[i] == line.strip()))
        except StopIteration:
            raise IngestError(source_file, f"cue {n} could not be found again in the file") from None
        cursor = at[-1] + 1
        written = lines[timing].split("-->")[0].strip()
        found.append((written, [i + 1 for i in at[1:]] or [timing + 1]))
    return found


def _parts(caption, numbers: list[int]) -> list[tuple[str | None, bool, list[int], list[str], list[str]]]:
    """A cue cut where a line names a speaker (its voice tag, else a leading label).

    Each part: (speaker, certain, file lines, text lines, text lines without the label). A cue
    may hold two speakers, one per line ("Interviewer: …" then "P1: …"), as a .txt turn would.
    """
    parts: list[tuple[str | None, bool, list[int], list[str], list[str]]] = []
    for number, tagged, clean in zip(numbers, caption.lines, caption.text.split("\n")):
        line = html.unescape(clean).strip()
        voice = _VOICE_RE.match(tagged)
        speaker, certain, rest = (" ".join(voice.group(1).split()) or None) if voice else None, True, line
        if speaker is None and line and (label := leading_speaker(line)) is not None:
            speaker, offset, certain = label
            rest = line[offset:].strip()
        if speaker is not None or not parts:
            parts.append((speaker, certain, [], [], []))
        parts[-1][2].append(number)
        if line:
            parts[-1][3].append(line)
        if rest:
            parts[-1][4].append(rest)
    return parts


def _cues(captions: list, text: str, source_file: str, suffix: str) -> list[_Cue]:
    """The cues, each cut where a line names a speaker, with their text cleaned and that speaker."""
    raw = [
        (written, k, part)
        for caption, (written, numbers) in zip(captions, _located(captions, text, source_file, suffix))
        for k, part in enumerate(_parts(caption, numbers))
    ]
    # A plain name ("So:", "Maria:") counts when it labels at least two lines, as in a .txt
    # transcript, or when labels are the file's habit: most cues with text open with one (Zoom).
    uses = Counter(s.casefold() for _, _, (s, certain, *_) in raw if s and not certain)
    opening = [part for _, k, part in raw if k == 0]
    habit = sum(s is not None for s, *_ in opening) * 2 > sum(bool(t) for *_, t, _ in opening)
    cues: list[_Cue] = []
    for written, k, (speaker, certain, numbers, lines, rest) in raw:
        named = speaker and (certain or (habit and k == 0) or uses[speaker.casefold()] >= 2)
        cues.append(_Cue(written, numbers[0], numbers[-1], speaker if named else None,
                         tuple(rest if named else lines), k == 0))
    return cues


def read_captions(text: str, source_file: str, sha256: str, suffix: str) -> Document:
    """Parse a .vtt or .srt file into the transcript Document of its speakers' turns.

    Args:
        text: The decoded, newline-normalised file content.
        source_file: File name used in provenance and ids.
        sha256: Hash of the file's bytes.
        suffix: ``".vtt"`` or ``".srt"``.

    Returns:
        A Document of format ``CAPTION_FORMATS[suffix]`` whose text is the rendering (module
        docstring); ``metadata`` as ``read_transcript``'s plus ``layout`` ``"transcript"``,
        ``cues`` and ``unnamed_cues`` (cues with text but no speaker of their own).

    Raises:
        IngestError: If the file is not valid WebVTT/SubRip, has no cues, or no cue has text.
    """
    captions = _parse(text, source_file, suffix)
    if not captions:
        # The parsers skip a cue whose timing they cannot read ("00:01,000" in an .srt,
        # "00:00:01 --> 00:00:02" without milliseconds): say so rather than "no cues".
        readable = _timing_pattern(suffix)
        timing = next((line.strip() for line in text.split("\n") if "-->" in line), None)
        if timing is not None and not readable.match(timing):
            sep = "." if suffix == ".vtt" else ","
            raise IngestError(
                source_file, f"no cue could be read: a timing line such as {timing!r} is not in the form "
                f"'00:00:01{sep}000 --> 00:00:04{sep}000'",
            )
        raise IngestError(source_file, "no captions: the file has no cues")
    cues = [c for c in _cues(captions, text, source_file, suffix) if c.lines]
    if not cues:
        raise IngestError(source_file, f"no text: none of its {len(captions)} cues has any text")
    runs: list[list[_Cue]] = []
    speakers: list[str] = []
    for cue in cues:
        speaker = cue.speaker or (speakers[-1] if speakers else UNNAMED_SPEAKER)
        if runs and speaker.casefold() == speakers[-1].casefold():
            runs[-1].append(cue)
        else:
            runs.append([cue])
            speakers.append(speaker)
    parts: list[str] = []
    turns: list[SpokenTurn] = []
    pos = 0
    for run, speaker in zip(runs, speakers):
        label = f"[{run[0].timestamp}] {speaker}: "
        body = "\n".join(line for cue in run for line in cue.lines)
        # Nothing tells whether the unnamed speaker asks or answers: their words are kept.
        role = "respondent" if speaker == UNNAMED_SPEAKER and run[0].speaker is None else None
        start = pos + len(label)
        turns.append(SpokenTurn(speaker, start, start + len(body), run[0].timestamp, role))
        parts.append(label + body)
        pos += len(label) + len(body) + 2
    rendered = "\n\n".join(parts) + "\n"
    doc = transcript_from_turns(rendered, turns, source_file, sha256)
    responses = tuple(
        replace(r, metadata={**r.metadata, "lines": [runs[r.metadata["turns"][0] - 1][0].first_line,
                                                     runs[r.metadata["turns"][-1] - 1][-1].last_line]})
        for r in doc.responses
    )
    return replace(
        doc,
        format=CAPTION_FORMATS[suffix],
        responses=responses,
        metadata={**doc.metadata, "layout": "transcript", "cues": len(captions),
                  "unnamed_cues": sum(c.speaker is None and c.opens_cue for c in cues)},
    )
