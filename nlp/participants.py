"""Participant attributes: who said it (group, role, region, date, ...), joined to respondents.

A participants file is a CSV/TSV or an ``.xlsx`` sheet (the first one) with a header row. One
column is the key that names a respondent, the others are attributes:

- ``respondent_id``: a respondent as ``quotes.parquet`` names it;
- ``file`` and ``speaker``: one speaker of one raw file (speaker labels such as
  ``Interviewee`` repeat across transcripts, so they need the file);
- ``speaker`` alone: a speaker label that appears in only one file;
- ``file`` alone: every respondent of a raw file (the whole interview);
- a column named like a column of a survey CSV in the run (its id column, say ``ResponseId``).

Survey CSV columns other than the text column, the row's id and speaker columns are attributes
too, without any participants file. Where a participants file and a survey name the same
attribute, the participants file wins. Respondents the file does not list are logged and get
the value ``"unknown"`` for each of its attributes, so they form a group of their own.

Bad files are refused with a ``ParticipantsError`` that names the file, the row (as the
spreadsheet numbers it: the header is row 1) and the column: a missing key column or key value,
a key naming an unknown file or respondent, the same key twice, an empty attribute value.
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from nlp.schemas import Document

__all__ = [
    "ATTRIBUTE_PREFIX",
    "UNKNOWN",
    "ParticipantRow",
    "ParticipantTable",
    "ParticipantsError",
    "RespondentAttributes",
    "attribute_column_names",
    "join_attributes",
    "read_participants",
    "respondent_key",
    "survey_attribute_names",
]

logger = logging.getLogger("nlp.participants")

UNKNOWN = "unknown"
# Added to an attribute's name only when it would collide with a column quotes already have.
ATTRIBUTE_PREFIX = "attr_"
_ID_NAMES = frozenset(
    {"id", "responseid", "response id", "respondentid", "respondent id", "respondent",
     "participant", "participant id", "participantid", "speaker", "author", "author id", "csv line"}
)


class ParticipantsError(ValueError):
    """A participants file that cannot be used, with the row and column at fault.

    Attributes:
        path: the participants file.
        row: 1-based row as a spreadsheet shows it (the header is row 1), or ``None``.
        column: the column at fault, or ``None``.
        reason: what is wrong, without the location.
    """

    def __init__(self, path: str | Path, reason: str, row: int | None = None, column: str | None = None) -> None:
        super().__init__(str(path), reason, row, column)
        self.path, self.reason, self.row, self.column = str(path), reason, row, column

    def __str__(self) -> str:
        where = "".join(
            [f", row {self.row}" if self.row is not None else "",
             f", column {self.column!r}" if self.column is not None else ""]
        )
        return f"{self.path}{where}: {self.reason}"


@dataclass(frozen=True)
class ParticipantRow:
    """One participant: the key that names them and their attribute values."""

    row: int
    key: tuple[str, ...]
    values: tuple[str, ...]


@dataclass(frozen=True)
class ParticipantTable:
    """A parsed participants file.

    Attributes:
        path: where it was read from (for messages).
        key: the key columns, as named in the file: ``("respondent_id",)``,
            ``("file", "speaker")``, ``("speaker",)``, ``("file",)`` or a survey column.
        attributes: the other columns, in file order.
        rows: one per participant, in file order.
    """

    path: str
    key: tuple[str, ...]
    attributes: tuple[str, ...]
    rows: tuple[ParticipantRow, ...]


@dataclass(frozen=True)
class RespondentAttributes:
    """Attribute values of every response, ready to become ``quotes.parquet`` columns.

    Attributes:
        names: attribute names, participants-file attributes first, then survey columns.
        by_response: response_id -> one value per name (``"unknown"`` where none is known).
        missing: respondents the participants file does not list, in input order.
        sources: attribute name -> ``"participants"`` or ``"survey"``.
    """

    names: tuple[str, ...] = ()
    by_response: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)

    def column(self, response_ids: Sequence[str], name: str) -> list[str]:
        """The values of one attribute for ``response_ids``, ``"unknown"`` for unlisted ones."""
        k = self.names.index(name)
        return [self.by_response[r][k] if r in self.by_response else UNKNOWN for r in response_ids]


def respondent_key(source_file: str, speaker: str | None, response_id: str) -> str:
    """The respondent a response belongs to, where no ``respondent_id`` is recorded.

    A transcript's speaker (or a survey's author) is one person across turns, so
    ``file#speaker``; a summary cell has no known identity, so it is its own respondent.
    """
    return f"{source_file}#{speaker}" if speaker else response_id


def _norm(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").replace("_", " ").split())


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees: ``3`` not ``3.0``, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) for every non-blank row, header first."""
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        import zipfile

        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            raise ParticipantsError(path, f"not a readable .xlsx workbook ({exc})") from None
        try:
            sheet = workbook.worksheets[0]
            rows = [(n, [_cell_text(v) for v in values])
                    for n, values in enumerate(sheet.iter_rows(values_only=True), 1)]
        finally:
            workbook.close()
    else:
        from nlp.ingest.decode import decode_text
        from nlp.ingest.errors import IngestError

        try:
            text = decode_text(path.read_bytes(), str(path))
        except IngestError as exc:
            raise ParticipantsError(path, exc.reason) from None
        header = text.split("\n", 1)[0]
        delimiter = "\t" if path.suffix.lower() == ".tsv" else max(",;\t|", key=header.count)
        reader = csv.reader(text.split("\n"), delimiter=delimiter)
        rows, line = [], 1
        try:
            for cells in reader:
                rows.append((line, [c.strip() for c in cells]))
                line = reader.line_num + 1
        except csv.Error as exc:
            raise ParticipantsError(path, f"not a readable CSV ({exc})", row=line) from None
    return [(n, cells) for n, cells in rows if any(cells)]


def _pick_key(path: Path, names: list[str], survey_columns: Collection[str]) -> tuple[int, ...]:
    normed = [_norm(n) for n in names]
    for wanted in (("respondent id",), ("file", "speaker"), ("speaker",), ("file",)):
        if all(w in normed for w in wanted):
            return tuple(normed.index(w) for w in wanted)
    for k, name in enumerate(names):
        if name in survey_columns:
            return (k,)
    survey = f", or a column of the survey ({', '.join(sorted(survey_columns))})" if survey_columns else ""
    raise ParticipantsError(
        path,
        f"no key column: name one column 'respondent_id', 'file' or 'speaker'{survey}; "
        f"columns are: {', '.join(names)}",
        row=1,
    )


def read_participants(path: str | Path, survey_columns: Collection[str] = ()) -> ParticipantTable:
    """Read and check a participants file.

    Args:
        path: a ``.csv``/``.tsv`` (any encoding ``nlp.ingest`` reads) or ``.xlsx`` file.
        survey_columns: column names of the run's survey CSVs; one of them may be the key.

    Returns:
        The participants, keyed and checked for missing keys, duplicate keys and empty values.

    Raises:
        ParticipantsError: naming the row and column at fault.
    """
    path = Path(path)
    if not path.is_file():
        raise ParticipantsError(path, "no such participants file")
    rows = _read_rows(path)
    if not rows:
        raise ParticipantsError(path, "empty: expected a header row and one row per participant")
    (_, names), data = rows[0], rows[1:]
    for k, name in enumerate(names):
        if not name:
            raise ParticipantsError(path, f"column {k + 1} has no name in the header", row=1)
        if name in names[:k]:
            raise ParticipantsError(path, "two columns have this name", row=1, column=name)
    key_cols = _pick_key(path, names, survey_columns)
    attr_cols = [k for k in range(len(names)) if k not in key_cols]
    if not attr_cols:
        raise ParticipantsError(path, "no attribute columns besides the key", row=1)
    if not data:
        raise ParticipantsError(path, "no participant rows below the header")
    seen: dict[tuple[str, ...], int] = {}
    out: list[ParticipantRow] = []
    for row, cells in data:
        if len(cells) > len(names) and any(cells[len(names):]):
            raise ParticipantsError(path, f"{len(cells)} cells, but the header names {len(names)} columns", row=row)
        cells = cells + [""] * (len(names) - len(cells))
        for k in key_cols:
            if not cells[k]:
                raise ParticipantsError(path, "missing key: every participant needs one", row=row, column=names[k])
        key = tuple(cells[k] for k in key_cols)
        if key in seen:
            raise ParticipantsError(
                path, f"duplicate key {' / '.join(key)!r}, already on row {seen[key]}", row=row,
                column=" + ".join(names[k] for k in key_cols),
            )
        seen[key] = row
        for k in attr_cols:
            if not cells[k]:
                raise ParticipantsError(
                    path, f"empty attribute value; write one (e.g. {UNKNOWN!r}) or drop the participant",
                    row=row, column=names[k],
                )
        out.append(ParticipantRow(row, key, tuple(cells[k] for k in attr_cols)))
    return ParticipantTable(str(path), tuple(names[k] for k in key_cols), tuple(names[k] for k in attr_cols), tuple(out))


def survey_attribute_names(doc: Document) -> list[str]:
    """A survey CSV's columns that describe the respondent: all but text, id and speaker."""
    if doc.format != "survey_csv":
        return []
    text_column = doc.metadata.get("text_column")
    return [c for c in doc.metadata.get("columns", []) if c != text_column and _norm(c) not in _ID_NAMES]


def _match_file(table: ParticipantTable, row: ParticipantRow, value: str, files: Collection[str]) -> str:
    """The raw file a ``file`` key names: exactly, or by its name without extension."""
    if value in files:
        return value
    by_stem = [f for f in files if Path(f).stem == value or Path(f).name == value]
    if len(by_stem) == 1:
        return by_stem[0]
    listed = ", ".join(sorted(files)[:12]) + (", ..." if len(files) > 12 else "")
    raise ParticipantsError(table.path, f"unknown file {value!r}; the run's files are: {listed}", row=row.row, column="file")


def _rows_by_respondent(
    table: ParticipantTable, documents: Sequence[Document], respondent_of: Mapping[str, str]
) -> dict[str, ParticipantRow]:
    """respondent -> the participant row that describes them; unknown keys are errors."""
    files = {d.source_file for d in documents}
    kind = tuple(_norm(k) for k in table.key)
    index: defaultdict[tuple[str, ...], list[str]] = defaultdict(list)  # key -> respondents
    speaker_files: defaultdict[str, set[str]] = defaultdict(set)
    for doc in documents:
        for r in doc.responses:
            if kind == ("file",):
                key = (doc.source_file,)
            elif kind == ("file", "speaker"):
                key = (doc.source_file, r.speaker or "")
            elif kind == ("speaker",):
                key = (r.speaker or "",)
                speaker_files[r.speaker or ""].add(doc.source_file)
            elif kind == ("respondent id",):
                key = (respondent_of[r.response_id],)
            else:
                key = (str(r.metadata.get(table.key[0], "")).strip(),)
            index[key].append(respondent_of[r.response_id])
    out: dict[str, ParticipantRow] = {}
    for row in table.rows:
        key = row.key
        if "file" in kind:
            key = (_match_file(table, row, row.key[0], files), *row.key[1:])
        matched = index.get(key)
        if kind == ("speaker",) and len(speaker_files.get(key[0], ())) > 1:
            raise ParticipantsError(
                table.path, f"speaker {key[0]!r} speaks in {len(speaker_files[key[0]])} files "
                f"({', '.join(sorted(speaker_files[key[0]]))}); add a 'file' column to say which one",
                row=row.row, column=table.key[0],
            )
        if not matched:
            what = {("file", "speaker"): f"no speaker {key[-1]!r} in {key[0]}", ("speaker",): "unknown speaker",
                    ("respondent id",): "unknown respondent",
                    ("file",): f"no respondent in {key[0]}"}.get(kind, f"no survey row has this {table.key[0]}")
            known = sorted({k[-1] for k in index if k[:-1] == key[:-1]})
            listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            raise ParticipantsError(
                table.path, f"{what} ({row.key[-1]!r}); known values: {listed or 'none'}", row=row.row, column=table.key[-1]
            )
        for rid in dict.fromkeys(matched):
            out[rid] = row
    return out


def join_attributes(
    documents: Sequence[Document],
    participants: ParticipantTable | None = None,
    respondent_of: Mapping[str, str] | None = None,
) -> RespondentAttributes:
    """Attribute values for every response of ``documents``.

    Args:
        documents: the run's ingested documents.
        participants: a checked participants file, or ``None`` for survey columns alone.
        respondent_of: response_id -> respondent id; default ``respondent_key`` of each response.

    Returns:
        The attributes, with respondents the participants file does not list as ``missing``.

    Raises:
        ParticipantsError: a key names a file, speaker, respondent or survey row the run lacks.
    """
    if respondent_of is None:
        respondent_of = {
            r.response_id: respondent_key(d.source_file, r.speaker, r.response_id)
            for d in documents for r in d.responses
        }
    file_names = list(participants.attributes) if participants else []
    survey_names = list(dict.fromkeys(n for d in documents for n in survey_attribute_names(d) if n not in file_names))
    names = file_names + survey_names
    listed = _rows_by_respondent(participants, documents, respondent_of) if participants else {}
    missing: list[str] = []
    by_response: dict[str, tuple[str, ...]] = {}
    for doc in documents:
        for r in doc.responses:
            rid = respondent_of[r.response_id]
            row = listed.get(rid)
            if participants and row is None and rid not in missing:
                missing.append(rid)
            from_file = list(row.values) if row else [UNKNOWN] * len(file_names)
            from_survey = [str(r.metadata.get(n, "")).strip() or UNKNOWN for n in survey_names]
            by_response[r.response_id] = tuple(from_file + from_survey)
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        logger.warning("%s does not list %d respondent(s), grouped as %r: %s",
                       participants.path, len(missing), UNKNOWN, shown)
    sources = {n: "participants" for n in file_names} | {n: "survey" for n in survey_names}
    return RespondentAttributes(tuple(names), by_response, tuple(missing), sources)


def attribute_column_names(names: Sequence[str], taken: Collection[str]) -> dict[str, str]:
    """attribute -> its column in ``quotes.parquet``: its own name unless that is ``taken``."""
    out: dict[str, str] = {}
    used = set(taken)
    for name in names:
        column = name
        while column in used:
            column = ATTRIBUTE_PREFIX + column
        used.add(column)
        out[name] = column
    return out

