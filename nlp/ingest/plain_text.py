"""A decoded text file read by its content: a summary, a transcript, a table, or notes.

Called by ``nlp.ingest.ingest_file`` for any text that no extension claimed (captions, CSV):

- a summary if it has ``Section N: Title`` or ``N.N Title`` headings (``nlp.ingest.summary``),
  unless it has more speaker turns than headings (a turn may start "2.5 Million people…");
- else a transcript if at least two lines start with a speaker label (``nlp.ingest.transcript``);
- else, only for a notes extension (``.txt``, ``.md``, …), a survey table when nine lines in ten
  hold the same number of tabs (Excel's "Text (Tab delimited)" export, read as a ``.tsv``), or
  plain paragraphs (``nlp.ingest.paragraphs``);
- else an error that says what was expected.
"""

from __future__ import annotations

from collections import Counter

from nlp.ingest.errors import IngestError
from nlp.ingest.paragraphs import read_paragraphs
from nlp.ingest.summary import looks_like_summary, read_summary
from nlp.ingest.survey_csv import read_survey_csv
from nlp.ingest.transcript import count_speaker_turns, looks_like_transcript, read_transcript
from nlp.schemas import Document

__all__ = ["read_plain_text"]

_EXPECTED = (
    "expected an interview summary ('Section N: Title' / 'N.N Title' headings, a question, "
    "then one blank-line-separated cell per interviewee) or a transcript (lines starting "
    "with speaker labels such as 'Interviewer:', 'Q:', 'Maria:' or 'P2 0:25'); other text is read "
    "as plain paragraphs from a .txt or .md file only"
)


def read_plain_text(
    text: str,
    source_file: str,
    sha256: str,
    *,
    notes: bool,
    text_column: str | None = None,
    id_column: str | None = None,
) -> Document:
    """Parse decoded text with the reader its content calls for.

    Args:
        text: the decoded, newline-normalised file content, not blank.
        source_file: file name used in provenance and ids.
        sha256: hash of the file's bytes.
        notes: whether the extension is one of notes (``.txt``, ``.md``): only then are tables
            and plain paragraphs read.
        text_column: text column of a table, to skip detection.
        id_column: respondent id column of a table, to skip detection.

    Raises:
        IngestError: in no recognised format.
    """
    if looks_like_summary(text) and not _more_turns_than_headings(text):
        return read_summary(text, source_file, sha256)
    if looks_like_transcript(text):
        return read_transcript(text, source_file, sha256)
    if notes and _tab_separated(text):
        return read_survey_csv(
            text, source_file, sha256, text_column=text_column, id_column=id_column, delimiter="\t"
        )
    if notes:
        return read_paragraphs(text, source_file, sha256)
    raise IngestError(source_file, f"not a recognised interview format: {_EXPECTED}")


def _tab_separated(text: str) -> bool:
    """A table saved as text: nine lines in ten hold the same number of tabs, none first.

    Notes indented with tabs start their lines with one, so they are not read as a table.
    """
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < 2:
        return False
    count, n = Counter(line.count("\t") for line in lines).most_common(1)[0]
    in_rows = sum(not line.startswith("\t") for line in lines)
    return count >= 1 and n >= 0.9 * len(lines) and in_rows >= 0.9 * len(lines)


def _more_turns_than_headings(text: str) -> bool:
    """True for a transcript in which a line happens to read like a heading ("2.5 Million …")."""
    turns = count_speaker_turns(text)
    return turns >= 2 and turns > sum(looks_like_summary(line) for line in text.split("\n"))
