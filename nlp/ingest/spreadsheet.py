"""Reader for survey exports saved as Excel workbooks (``.xlsx``, ``.xlsm``).

The first sheet is read like a CSV export (``nlp.ingest.survey_csv``): the same header rule,
text and id column detection, ``--text-column``/``--id-column``, and a Qualtrics export's
question-text and ImportId rows are not answers. A workbook has no text of its own, so
``Document.text`` is the sheet rendered as tab-separated values (quoted where a cell holds a
tab, newline or quotation mark), as a .docx has its rendering; spans index it. Rows with no
value in any cell are left out. Each response's ``metadata`` has ``sheet`` and ``sheet_row``,
the row number Excel shows, in place of the rendering's ``csv_line``.

Cells are read as their values: ``3`` not ``3.0``, dates as ISO dates, a formula as the value
last saved with the file. A workbook written by a program (openpyxl, pandas) holds formulas whose
value was never computed: they read as empty, and the file is named with its sheet and first such
cell in a warning (once per file) and in ``metadata["uncomputed_formulas"]``.
Number formats are not applied: a cell Excel shows as ``50%`` reads ``0.5``. The workbook is a ZIP archive, checked against zip bombs before it is opened.
"""

from __future__ import annotations

import bisect
import csv
import io
import logging
import re
import zipfile
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from nlp.ingest.docx_reader import check_zip_sizes, refuse_ole2
from nlp.ingest.errors import IngestError
from nlp.ingest.survey_csv import XLSX_FORMAT, read_survey_csv
from nlp.schemas import Document

__all__ = ["SPREADSHEET_EXTENSIONS", "Sheet", "cell_text", "first_sheet", "read_xlsx", "table_rows"]

SPREADSHEET_EXTENSIONS = frozenset({".xlsx", ".xlsm"})

logger = logging.getLogger("nlp.ingest")

# A formula element of a worksheet's XML (<f>, <f t="shared" .../>, a prefixed <x:f>).
_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s>/]")


@dataclass(frozen=True)
class Sheet:
    """A workbook's first sheet as read.

    Attributes:
        title: the sheet's name.
        rows: (Excel row number, cell texts) of every row that holds a value.
        uncomputed: (first cell, count) of the formulas with no saved value, read as empty.
    """

    title: str
    rows: list[tuple[int, list[str]]]
    uncomputed: tuple[str, int] | None = None


def cell_text(value: object) -> str:
    """A spreadsheet cell's value as text: ``3`` not ``3.0``, dates as ISO dates (no number formats)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet of the (size-checked) workbook holds a formula."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(_FORMULA_RE.search(archive.read(name)) for name in archive.namelist()
                   if name.startswith("xl/worksheets/") and name.endswith(".xml"))


def _uncomputed(data: bytes, saved) -> tuple[str, int] | None:
    """(first cell, count) of the first sheet's formulas that hold no saved value.

    ``saved`` is the first sheet as read for values; the same sheet read for formulas is walked
    beside it, cell by cell.
    """
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        first, count = None, 0
        rows = zip(saved.iter_rows(values_only=True), workbook.worksheets[0].iter_rows(values_only=True))
        for n, (values, formulas) in enumerate(rows, 1):
            for k, (value, formula) in enumerate(zip(values, formulas), 1):
                written = isinstance(formula, (ArrayFormula, DataTableFormula)) or (
                    isinstance(formula, str) and formula.startswith("="))
                if value is None and written:
                    first, count = first or f"{get_column_letter(k)}{n}", count + 1
        return (first, count) if count else None
    finally:
        workbook.close()


def first_sheet(data: bytes, source_file: str) -> Sheet:
    """The first sheet: its title and the rows that hold a value.

    Also the participants reader's (``nlp.participants.read``), so both refuse a broken workbook
    the same way, and both warn of formulas that were never computed (naming file, sheet and
    first cell, on the ``nlp.ingest`` logger), which read as empty.

    Raises:
        IngestError: legacy .xls, not a ZIP, a zip bomb, a workbook that cannot be opened or read,
            or one without a worksheet.
    """
    from openpyxl import load_workbook

    refuse_ole2(data, source_file, ".xlsx", "Excel .xls")
    if not data.startswith(b"PK"):
        raise IngestError(source_file, "not a valid .xlsx: not a ZIP archive (is it truncated or renamed?)")
    check_zip_sizes(data, source_file, kind=".xlsx")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # openpyxl reports a broken workbook through many types (missing parts, bad XML, …).
    except Exception as exc:  # noqa: BLE001
        raise IngestError(
            source_file, f"corrupted .xlsx: cannot be opened ({type(exc).__name__}: {exc})"
        ) from None
    try:
        if not workbook.worksheets:
            raise IngestError(source_file, "no sheets: the workbook holds no worksheet")
        sheet = workbook.worksheets[0]
        rows = [
            (n, cells)
            for n, values in enumerate(sheet.iter_rows(values_only=True), 1)
            if any(cells := [cell_text(v) for v in values])
        ]
        uncomputed = _uncomputed(data, sheet) if _has_formulas(data) else None
        if uncomputed:
            cell, count = uncomputed
            more = f" (and {count - 1} more)" if count > 1 else ""
            logger.warning(
                "%s: sheet %r, cell %s%s holds a formula with no saved value (written by a program, never "
                "computed), read as empty; open and save the file in Excel or LibreOffice to compute it",
                source_file, sheet.title, cell, more,
            )
        return Sheet(sheet.title, rows, uncomputed)
    # The sheet's XML is parsed only here (read-only mode): a damaged one raises a ParseError,
    # a SyntaxError of ElementTree or lxml.
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError) as exc:
        raise IngestError(
            source_file, f"corrupted .xlsx: cannot be read ({type(exc).__name__}: {exc})"
        ) from None
    finally:
        workbook.close()


def read_xlsx(
    data: bytes,
    source_file: str,
    sha256: str,
    text_column: str | None = None,
    id_column: str | None = None,
) -> Document:
    """Parse an Excel survey export's first sheet into one Response per answered row.

    Args:
        data: The workbook's bytes.
        source_file: File name used in provenance and ids.
        sha256: Hash of ``data``.
        text_column: Name of the column holding the answers, to skip detection.
        id_column: Name of the column identifying the respondent, to skip detection.

    Returns:
        A Document of format ``"survey_xlsx"``, otherwise as ``read_survey_csv`` makes it, with
        ``metadata["sheet"]`` (and ``uncomputed_formulas``, ``{"first_cell", "cells"}``, where
        formulas were never computed) and, per response, ``sheet`` and ``sheet_row``.

    Raises:
        IngestError: If the bytes are no readable workbook (legacy .xls, truncated, corrupted, a
            zip bomb), the first sheet is empty, or as ``read_survey_csv`` does.
    """
    sheet = first_sheet(data, source_file)
    title, rows = sheet.title, sheet.rows
    if not rows:
        raise IngestError(source_file, f"no data: the first sheet ({title!r}) is empty")
    pieces: list[str] = []
    starts: list[int] = []  # first line of each row in the rendering
    line = 1
    for _, cells in rows:
        out = io.StringIO()
        csv.writer(out, delimiter="\t", lineterminator="\n").writerow(cells)
        starts.append(line)
        pieces.append(out.getvalue())
        line += pieces[-1].count("\n")
    doc = read_survey_csv(
        "".join(pieces), source_file, sha256, text_column=text_column, id_column=id_column,
        delimiter="\t",
    )

    def sheet_row(line: int) -> int:
        """The Excel row number of a line of the rendering."""
        return rows[bisect.bisect_right(starts, line) - 1][0]

    def placed(metadata: dict) -> dict:
        rest = {k: v for k, v in metadata.items() if k != "csv_line"}
        return {"sheet": title, "sheet_row": sheet_row(metadata["csv_line"]), **rest}

    # The rendering's tab is no delimiter of the user's file.
    metadata = {k: v for k, v in doc.metadata.items() if k != "delimiter"}
    if "export_rows" in metadata:
        metadata["export_rows"] = [sheet_row(n) for n in metadata["export_rows"]]
    if sheet.uncomputed:
        metadata["uncomputed_formulas"] = {"first_cell": sheet.uncomputed[0], "cells": sheet.uncomputed[1]}
    return replace(
        doc,
        format=XLSX_FORMAT,
        responses=tuple(replace(r, metadata=placed(r.metadata)) for r in doc.responses),
        metadata={"sheet": title, **metadata},
    )


def table_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(row number, cells) for every non-blank row of a side table, header first: a workbook's
    first sheet (the row Excel shows; cells as ``first_sheet`` reads them) or a CSV/TSV (the
    line; delimiter as a survey export's, ``survey_csv.sniff_delimiter``; cells stripped).

    The one reader of the tables a researcher keeps beside the interviews: participants
    (``nlp.participants``) and codings (``nlp.codings``).

    Raises:
        IngestError: a workbook or text that cannot be read, or a CSV record that cannot be
            parsed (its ``line`` set).
        OSError: the file cannot be opened.
    """
    from nlp.ingest.decode import decode_text
    from nlp.ingest.survey_csv import sniff_delimiter

    path = Path(path)
    if path.suffix.lower() in SPREADSHEET_EXTENSIONS:
        rows = first_sheet(path.read_bytes(), str(path)).rows
    else:
        text = decode_text(path.read_bytes(), str(path))
        reader = csv.reader(text.split("\n"), delimiter=sniff_delimiter(text, path.name))
        rows, line = [], 1
        try:
            for cells in reader:
                rows.append((line, [c.strip() for c in cells]))
                line = reader.line_num + 1
        except csv.Error as exc:
            raise IngestError(str(path), f"not a readable CSV ({exc})", line=line) from None
    return [(n, cells) for n, cells in rows if any(cells)]

