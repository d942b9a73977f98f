"""Reader for survey exports and comment dumps: one CSV/TSV row per response.

``Document.text`` is the decoded file itself, so every span points into the CSV as the user
sees it. The stdlib ``csv`` module gives values but no offsets, so this module tokenises the
text with the same rules as ``csv.reader``'s default (excel) dialect and keeps each field's
span: a quoted field's unit spans the characters between its quotation marks. A quotation
mark escaped by doubling (``""``) therefore appears doubled inside the span; the exact value is
kept in ``Response.metadata[text_column]``. An opening quotation mark that is never closed
(a truncated file) is an error rather than one giant cell holding the rest of the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from nlp.ingest.csv_header import first_row_is_header, norm_column
from nlp.ingest.errors import IngestError
from nlp.ingest.markup import quoted_spans, trim_span
from nlp.ingest.speaker_labels import classify
from nlp.ingest.survey_columns import KNOWN_TEXT_COLUMNS, other_answer_columns, pick_text_columns, requested_column
from nlp.schemas import Document, Response, Unit

__all__ = [
    "KNOWN_ID_COLUMNS", "KNOWN_TEXT_COLUMNS", "SURVEY_FORMATS", "XLSX_FORMAT", "read_survey_csv", "sniff_delimiter",
]

# Document.format of a survey read from a CSV/TSV and from a workbook (nlp.ingest.spreadsheet):
# the columns other than text and id describe the respondent (nlp.participants).
CSV_FORMAT = "survey_csv"
XLSX_FORMAT = "survey_xlsx"
SURVEY_FORMATS = frozenset({CSV_FORMAT, XLSX_FORMAT})
# Normalised names of columns that identify the respondent, in order of preference. A bare
# "id" comes last because it is as often a row number as a person; "comment id" and the like
# name the text, not who wrote it, and are never taken.
KNOWN_ID_COLUMNS: tuple[str, ...] = (
    "respondent id",
    "respondentid",
    "responseid",
    "response id",
    "participant id",
    "participantid",
    "respondent",
    "participant",
    "author id",
    "author",
    "user id",
    "userid",
    "speaker",
    "case id",
    "record id",
    "submission id",
    "uuid",
    "id",
)
_SPEAKER_COLUMNS = frozenset(
    {"speaker", "respondent", "respondent id", "participant", "participant id", "author",
     "author id"}
)
# Normalised names of a column that holds the question each row answers: a long export, one
# row per answer ("participant, question, response"), whose rows are then in their question's
# section, as the columns of a wide export are.
_QUESTION_COLUMNS = ("question", "question text", "questiontext", "question title", "interview question",
                     "survey question", "prompt")
_DELIMITERS = (",", "\t", ";", "|")


@dataclass(frozen=True)
class _Field:
    value: str
    start: int  # span of the value's characters, quotation marks excluded
    end: int


@dataclass(frozen=True)
class _Record:
    line: int  # 1-based line of the record's first character
    fields: tuple[_Field, ...]


def _records(text: str, delimiter: str, source_file: str) -> Iterator[_Record]:
    """Tokenise ``text`` like ``csv.reader`` (excel dialect), keeping each field's span."""
    n = len(text)
    i = 0
    line = 1
    while i < n:
        if text[i] == "\n":  # a blank line is no record
            i += 1
            line += 1
            continue
        record_line = line
        fields: list[_Field] = []
        while True:
            if i < n and text[i] == '"':
                open_line = line
                i += 1
                start = i
                chars: list[str] = []
                while True:
                    if i >= n:
                        raise IngestError(
                            source_file,
                            f"unterminated quoted field starting on line {open_line} "
                            "(is the file truncated?)",
                        )
                    ch = text[i]
                    if ch == '"':
                        if i + 1 < n and text[i + 1] == '"':
                            chars.append('"')
                            i += 2
                            continue
                        end = i
                        i += 1
                        break
                    if ch == "\n":
                        line += 1
                    chars.append(ch)
                    i += 1
                # As csv.reader does, text after the closing mark joins the value ('"b"c' -> 'bc').
                while i < n and text[i] not in (delimiter, "\n"):
                    chars.append(text[i])
                    i += 1
                    end = i
                fields.append(_Field("".join(chars), start, end))
            else:
                start = i
                while i < n and text[i] not in (delimiter, "\n"):
                    i += 1
                fields.append(_Field(text[start:i], start, i))
            if i < n and text[i] == delimiter:
                i += 1
                continue
            break
        if i < n:  # at a newline
            i += 1
            line += 1
        yield _Record(record_line, tuple(fields))


def sniff_delimiter(text: str, source_file: str) -> str:
    """Tab for .tsv; otherwise the candidate that occurs most often in the header line."""
    if source_file.lower().endswith(".tsv"):
        return "\t"
    header = text.split("\n", 1)[0]
    counts = [(header.count(d), -k) for k, d in enumerate(_DELIMITERS)]
    best_count, best_k = max(counts)
    return _DELIMITERS[-best_k] if best_count else ","


def _column_names(header: _Record) -> list[str]:
    names: list[str] = []
    for k, f in enumerate(header.fields):
        name = f.value.strip() or f"column_{k + 1}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def _pick_id_column(
    names: list[str], requested: str | None, text_cols: list[int], source_file: str
) -> tuple[int | None, str | None]:
    """Index of the respondent id column and how it was chosen, or (None, None): rows then."""
    if requested is not None:
        return requested_column(names, requested, "id", source_file), "requested"
    normed = [norm_column(name) for name in names]
    for known in KNOWN_ID_COLUMNS:
        if known in normed and normed.index(known) not in text_cols:
            return normed.index(known), "name"
    return None, None


def _is_import_id_row(record: _Record) -> bool:
    """A Qualtrics export's third row: every cell ``{"ImportId": ...}`` JSON, none an answer."""
    cells = [f.value.strip() for f in record.fields if f.value.strip()]
    for cell in cells:
        try:
            value = json.loads(cell)
        except ValueError:
            return False
        if not isinstance(value, dict) or "ImportId" not in value:
            return False
    return bool(cells)


def _is_subheader_row(header: _Record, record: _Record) -> bool:
    """A SurveyMonkey export's second row: what each column holds, no respondent in it."""
    names = [norm_column(f.value) for f in header.fields]
    cells = [norm_column(f.value) for f in record.fields]
    if "respondent id" not in names or not set(cells) & {"response", "open ended response"}:
        return False
    k = names.index("respondent id")
    return k >= len(cells) or not cells[k]


def _export_rows(header: _Record, data: list[_Record]) -> tuple[_Record | None, _Record | None]:
    """(question-text row, marker row) of a survey tool's export below the header, else Nones.

    Qualtrics writes column ids (``Q1``), then the question texts, then one ``{"ImportId":
    …}`` per column; the ImportId row, which no answer can look like, marks the layout.
    SurveyMonkey writes the questions, then a row naming each column's part (``Response``,
    ``Open-Ended Response``, a choice) with ``Respondent ID`` empty: that row marks it.
    """
    if data and _is_subheader_row(header, data[0]):
        return None, data[0]
    if data and _is_import_id_row(data[0]):
        return None, data[0]
    if len(data) > 1 and _is_import_id_row(data[1]):
        return data[0], data[1]
    return None, None


def read_survey_csv(
    text: str,
    source_file: str,
    sha256: str,
    text_column: str | None = None,
    id_column: str | None = None,
    delimiter: str | None = None,
) -> Document:
    """Parse a CSV/TSV export into one Response per row with a non-empty text cell.

    The text column is ``text_column`` if given (exact name, else case/``-``/``_``-insensitive),
    else the first of ``KNOWN_TEXT_COLUMNS`` present (``comment-body``, ``response``, …), else
    the column with the longest mean value among columns whose values mostly contain letters.

    Args:
        text: The decoded, newline-normalised file content.
        source_file: File name used in provenance and ids; ``.tsv`` selects tab as delimiter,
            otherwise the most frequent of ``, \\t ; |`` in the header line is used.
        sha256: Hash of the file's bytes.
        text_column: Name of the column holding the answers, to skip detection; several
            names separated by commas read each column as a question of its own.
        id_column: Name of the column identifying the respondent, to skip detection
            (exact name, else case/``-``/``_``-insensitive); else the first of
            ``KNOWN_ID_COLUMNS`` present (``ResponseId``, ``respondent``, ``author-id``, …,
            ``id`` last); else each row is its own respondent.
        delimiter: The field delimiter, to skip detection (a rendered spreadsheet).

    Returns:
        A Document of format ``"survey_csv"``. Each Response has ``section`` and ``question``
        set to the column name, ``response_id`` ``f"{source_file}#row{n}"`` (``n`` counts data
        rows from 1), one unit spanning the cell, ``speaker`` from an author/respondent/
        participant column if present, ``respondent_id``
        ``f"{source_file}#{id column}={value}"`` (the ``response_id`` when there is no id
        column or the row's id is empty), and in ``metadata`` every column's value plus
        ``csv_line``, the 1-based line where the row starts.

    The first row is the header unless it reads as data (``nlp.ingest.csv_header``); without
    one the columns are named ``column_1``, ``column_2``, … and ``metadata["header_row"]`` is
    false. A Qualtrics export's two rows below the header, the question texts and the
    ``{"ImportId": …}`` row, are not answers: the question text of the text column becomes
    each Response's ``question``, and ``metadata["export_rows"]`` lists their lines; so is a
    SurveyMonkey export's second row (``Response``/``Open-Ended Response`` under the questions).
    A detected text column leaves other answer columns out: ``metadata["other_text_columns"]``
    names them (``nlp.ingest.survey_columns``). With several text columns, each non-empty
    cell is a Response ``f"{source_file}#row{n}:{column}"`` whose section and question are its
    column's, every cell of a row has the row's respondent, and ``metadata["text_columns"]``
    lists them (``text_column`` is the first).

    Raises:
        IngestError: If the file has no records, no data rows, no usable text column, the
            requested text or id column is missing, or a quoted field is never closed.
    """
    delimiter = delimiter or sniff_delimiter(text, source_file)
    records = list(_records(text, delimiter, source_file))
    if not records:
        raise IngestError(source_file, "no header row: the CSV holds no records")
    # A headerless export must not lose its first answer to the names (nlp.ingest.csv_header).
    has_header = first_row_is_header(
        [[f.value for f in r.fields] for r in records[: 1 + 200]],
        (*KNOWN_TEXT_COLUMNS, *_SPEAKER_COLUMNS), text_column,
    )
    header, data = (records[0], records[1:]) if has_header else (None, records)
    question_row, import_row = _export_rows(header, data) if header is not None else (None, None)
    skipped = [r for r in (question_row, import_row) if r is not None]
    data = data[len(skipped):]
    if not data:
        raise IngestError(source_file, "no data rows below the header")
    names = _column_names(header) if header is not None else []
    width = max(len(names), *(len(r.fields) for r in data))
    names += [f"column_{k + 1}" for k in range(len(names), width)]
    # Short rows are padded so every column index is valid; the pad has an empty span.
    padded = [list(r.fields) + [_Field("", 0, 0)] * (width - len(r.fields)) for r in data]
    values = [[f.value for f in row] for row in padded]
    cols, chosen_by = pick_text_columns(names, values, text_column, source_file)
    id_col, id_chosen_by = _pick_id_column(names, id_column, cols, source_file)
    speaker_col = next((k for k, name in enumerate(names) if norm_column(name) in _SPEAKER_COLUMNS), None)
    question_col = _question_column(names, cols, id_col)
    others = other_answer_columns(names, values, cols[0], (id_col,)) if chosen_by != "requested" else []

    responses: list[Response] = []
    n_empty = 0
    interviewers: list[str] = []
    turn_question = ""  # a transcript kept as a table: the interviewer's last turn
    asking = _interviewers([row[speaker_col].value.strip() for row in padded] if speaker_col is not None else [])
    for n, (record, row) in enumerate(zip(data, padded), 1):
        speaker = row[speaker_col].value.strip() if speaker_col is not None else ""
        ident = row[id_col].value.strip() if id_col is not None else ""
        # Several questions: each answer is a response, all of one row one respondent.
        row_id = f"{source_file}#row{n}"
        cells = [(k, trim_span(text, row[k].start, row[k].end)) for k in cols if row[k].value.strip()]
        cells = [(k, (start, end)) for k, (start, end) in cells if start < end]
        n_empty += not cells
        if speaker in asking:
            # "Interviewer", "Moderator", "Q": the row asks; the answers after it reply to it.
            interviewers += [speaker] if speaker not in interviewers else []
            turn_question = " ".join(" ".join(row[k].value.split()) for k, _ in cells) or turn_question
            continue
        for k, (start, end) in cells:
            asked = question_row.fields[k].value.strip() if question_row and k < len(question_row.fields) else ""
            in_row = " ".join(row[question_col].value.split()) if question_col is not None else ""
            responses.append(
                Response(
                    response_id=row_id if len(cols) == 1 else f"{row_id}:{names[k]}",
                    section=in_row or names[k],
                    question=in_row or asked or turn_question or names[k],
                    units=(Unit(start, end),),
                    speaker=speaker or None,
                    quoted_spans=tuple(quoted_spans(text, start, end)),
                    metadata={"csv_line": record.line} | {name: f.value for name, f in zip(names, row)},
                    respondent_id=f"{source_file}#{names[id_col]}={ident}" if ident else row_id,
                )
            )
    return Document(
        source_file=source_file,
        sha256=sha256,
        format=CSV_FORMAT,
        text=text,
        responses=tuple(responses),
        metadata={
            "text_column": names[cols[0]],
            "text_column_chosen_by": chosen_by,
            "id_column": names[id_col] if id_col is not None else None,
            "id_column_chosen_by": id_chosen_by,
            "columns": names,
            "delimiter": delimiter,
            "header_row": has_header,
            "n_rows": len(data),
            "n_empty_rows": n_empty,
        }
        # Only a Qualtrics or SurveyMonkey export has the key, so other files' manifests stay as they were.
        | ({"export_rows": [r.line for r in skipped]} if skipped else {})
        | ({"other_text_columns": others} if others else {})
        | ({"text_columns": [names[k] for k in cols]} if len(cols) > 1 else {})
        | ({"question_column": names[question_col]} if question_col is not None else {})
        | ({"interviewers": interviewers} if interviewers else {}),
    )


def _interviewers(speakers: list[str]) -> frozenset[str]:
    """Speakers named by an interviewer's role or code ("Interviewer", "Moderator", "Q", "I1"),
    when at most three of them ask and someone else answers: a study whose participants are
    coded I01, I02, … has no interviewer in its table."""
    named = set(filter(None, speakers))
    asking = frozenset(s for s in named if (kind := classify(s)) is not None and kind[0] == "interviewer")
    return asking if 0 < len(asking) <= 3 and len(asking) < len(named) else frozenset()


def _question_column(names: list[str], text_cols: list[int], id_col: int | None) -> int | None:
    """The column named as the question each row answers (``_QUESTION_COLUMNS``), with one text column."""
    if len(text_cols) != 1:
        return None  # each text column is its own question
    for known in _QUESTION_COLUMNS:
        for k, name in enumerate(names):
            if norm_column(name) == known and k not in (*text_cols, id_col):
                return k
    return None
