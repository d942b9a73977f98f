"""Word tables that hold a conversation, one turn per row, rendered as transcript lines.

Transcription services and researchers often deliver an interview as a table:

- a speaker table, ``Speaker | Text`` or ``Time | Speaker | Text``, one row per turn;
- a question-and-answer table, ``Question | Answer``, one row per question.

Read cell by cell (as a summary's table of interviewees is), every name, time and question
became an answer of its own. ``turn_lines`` renders such a table as the lines a text transcript
has, ``[00:00:05] Maria: …`` or ``Q: …`` and ``A: …``, so ``nlp.ingest.transcript`` reads who
said what; the rendering is the document's text, so offsets still index what a reader sees. Any
other table gives ``None`` and is read as before.

A speaker column: every value short (at most four words, no sentence punctuation), a speaker
label as a transcript's (``nlp.ingest.speaker_labels.classify``: a role, a code or a name), and
at least one value said twice. A question column: a header ``Question``/``Q`` beside
``Answer``/``Response``/``A``, or, without one, two columns whose first ends in ``?`` in two
rows of three. A first row of header words (``Speaker``, ``Time``, ``Text``, …) is no turn.

A summary's table may also say who gave each answer, one row per respondent under a header
such as ``Stakeholder | Response``: ``labelled_answers`` gives its (who, answer) pairs, which the
summary reader makes answers with their respondent, the names never quotes.
"""

from __future__ import annotations

import re
from collections import Counter

from docx.table import Table

from nlp.ingest.speaker_labels import classify

__all__ = ["cell_rows", "labelled_answers", "turn_lines"]

_HEADER_WORDS = frozenset(
    """speaker speakers name who person time timestamp start text transcript transcription utterance
    dialogue said content question questions q answer answers a response responses reply""".split()
)
_QUESTION_HEADERS = frozenset({"question", "questions", "q"})
# A summary's table of who answered what: "Stakeholder | Response", one row per respondent.
_WHO_HEADERS = frozenset(
    """stakeholder stakeholders respondent respondents interviewee interviewees participant participants
    organisation organisations organization organizations partner partners name who""".split()
)
_SAID_HEADERS = frozenset("response responses answer answers comment comments view views feedback input notes".split())
_ANSWER_HEADERS = frozenset({"answer", "answers", "a", "response", "responses", "reply"})
_TIME_RE = re.compile(r"^\[?\(?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\)?\]?$")
_SENTENCE_PUNCT = re.compile(r"[?!;]|\.$")  # "Dr. Jane Smith" is a name
_MAX_SPEAKER_WORDS = 4
_QUESTION_SHARE = 2 / 3


def turn_lines(rows: list[list[str]]) -> list[str] | None:
    """A table's rows (``cell_rows``) as transcript lines, or ``None`` when it holds no conversation."""
    if len(rows) < 2 or len({len(r) for r in rows}) != 1 or len(rows[0]) not in (2, 3):
        return None
    header = [c.lower().rstrip(":") for c in rows[0]]
    has_header = all(c in _HEADER_WORDS for c in header if c) and any(header)
    body = rows[1:] if has_header else rows
    if len(rows[0]) == 2 and (lines := _question_answer(header if has_header else None, body)) is not None:
        return lines
    return _speaker_turns(body)


def cell_rows(table: Table) -> list[list[str]]:
    """Each row's distinct cells (a merged cell once), their paragraphs joined by spaces; rows
    with no text are left out. ``turn_lines`` and ``labelled_answers`` read a table so."""
    out = []
    for row in table.rows:
        seen, cells = set(), []
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(" ".join(cell.text.split()))
        if any(cells):
            out.append(cells)
    return out


def _question_answer(header: list[str] | None, body: list[list[str]]) -> list[str] | None:
    if header is not None:
        if header[0] not in _QUESTION_HEADERS or header[1] not in _ANSWER_HEADERS:
            return None
    elif sum(q.endswith("?") for q, _ in body) < _QUESTION_SHARE * len(body):
        return None
    lines = []
    for question, answer in body:
        lines += [f"Q: {question}"] if question else []
        lines += [f"A: {answer}"] if answer else []
    return lines


def _speaker_turns(body: list[list[str]]) -> list[str] | None:
    columns = list(zip(*body))
    times = [k for k, col in enumerate(columns) if all(_TIME_RE.match(v) for v in col if v) and any(col)]
    speakers = [k for k, col in enumerate(columns) if k not in times and _speaker_column(col)]
    if len(speakers) != 1 or len(columns) - len(times) != 2:
        return None
    (who,) = speakers
    (said,) = [k for k in range(len(columns)) if k not in times and k != who]
    lines = []
    for row in body:
        if not row[said]:
            continue
        when = f"[{row[times[0]].strip('[]()')}] " if times and row[times[0]] else ""
        lines.append(f"{when}{row[who]}: {row[said]}")
    return lines


def _speaker_column(values: tuple[str, ...]) -> bool:
    named = [v for v in values if v]
    if not named or max(Counter(named).values()) < 2:
        return False
    return all(
        len(v.split()) <= _MAX_SPEAKER_WORDS and not _SENTENCE_PUNCT.search(v.rstrip(":")) and classify(v.rstrip(":"))
        for v in named
    )


def labelled_answers(rows: list[list[str]]) -> list[tuple[str, str]] | None:
    """(who, answer) per row (``cell_rows``) of a table headed like ``Stakeholder | Response``, else ``None``.

    The header must say so: without it a two-column table may as well pair a field with its
    value ("Role | Procurement officer"). Rows without an answer are left out.
    """
    if len(rows) < 2 or any(len(r) != 2 for r in rows):
        return None
    who, said = (c.lower().rstrip(":") for c in rows[0])
    if who not in _WHO_HEADERS or said not in _SAID_HEADERS:
        return None
    return [(label, answer) for label, answer in rows[1:] if answer]

