"""Reader for survey exports saved as Excel workbooks (``.xlsx``, ``.xlsm``).

The first sheet is read like a CSV export (``nlp.ingest.survey_csv``): the same header rule,
text and id column detection, ``--text-column``/``--id-column``, and a Qualtrics export's
question-text and ImportId rows are not answers. A workbook has no text of its own, so
``Document.text`` is the sheet rendered as tab-separated values (quoted where a cell holds a
tab, newline or quotation mark), as a .docx has its rendering; spans index it. Rows with no
value in any cell are left out. Each response's ``metadata`` has ``sheet`` and ``sheet_row``,
the row number Excel shows, in place of the rendering's ``csv_line``.

Cells are read as their values: ``3`` not ``3.0``, dates as ISO dates, a formula as the value
last saved with the file (none in a workbook written by a program that never computed it).
Number formats are not applied: a cell Excel shows as ``50%`` reads ``0.5``. The workbook is a ZIP archive, checked against zip bombs before it is opened.
"""

from __future__ import annotations

import bisect
import csv
import io
import zipfile
from dataclasses import replace
from datetime import date, datetime

from nlp.ingest.docx_reader import check_zip_sizes, refuse_ole2
from nlp.ingest.errors import IngestError
from nlp.ingest.survey_csv import XLSX_FORMAT, read_survey_csv
from nlp.schemas import Document

__all__ = ["SPREADSHEET_EXTENSIONS", "cell_text", "first_sheet", "read_xlsx"]

SPREADSHEET_EXTENSIONS = frozenset({".xlsx", ".xlsm"})


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


def first_sheet(data: bytes, source_file: str) -> tuple[str, list[tuple[int, list[str]]]]:
    """The first sheet's title and its (Excel row number, cells) rows that hold a value.

    Also the participants reader's (``nlp.participants.read``), so both refuse a broken workbook
    the same way.

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
        return sheet.title, rows
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
        ``metadata["sheet"]`` and, per response, ``sheet`` and ``sheet_row``.

    Raises:
        IngestError: If the bytes are no readable workbook (legacy .xls, truncated, corrupted, a
            zip bomb), the first sheet is empty, or as ``read_survey_csv`` does.
    """
    title, rows = first_sheet(data, source_file)
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
    return replace(
        doc,
        format=XLSX_FORMAT,
        responses=tuple(replace(r, metadata=placed(r.metadata)) for r in doc.responses),
        metadata={"sheet": title, **metadata},
    )
