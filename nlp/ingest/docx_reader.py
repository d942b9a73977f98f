"""Reader for .docx interview summaries (and .docx transcripts).

A .docx has no "decoded text" of its own, so this module renders one and parses that:
``Document.text`` is the rendering and every span indexes it. For a summary the rendering is
the layout Word's "save as text" produces, which ``nlp.ingest.summary`` already reads:

- a heading paragraph (a ``Heading N`` style, or text such as ``Section 2: Strategy`` or
  ``2.1 Networking`` in any style) becomes a flush-left line. A Heading-styled title without
  such a number is numbered so the summary reader sees it: Heading 1 becomes
  ``Section N: <title>``, deeper levels ``N.M <title>``;
- a run of body paragraphs after a heading (the question) becomes tab-indented lines;
- a table becomes one cell after another (merged cells once), blank line between cells, each
  cell's paragraphs tab-indented ``· `` bullets, so every paragraph is one unit and a cell is
  never mistaken for the question. When no question paragraph precedes the table, a first row
  of a single, unbulleted cell ending in ``?`` is read as the question;
- paragraphs before the first heading stay flush left: the introduction.

A .docx with no tables whose paragraphs carry speaker labels (``Interviewer:``, ``P2 0:25``…)
is read as a transcript instead, its Heading paragraphs rendered as ``# `` headings.
``Document.format`` is ``"docx"`` either way; ``Document.metadata["layout"]`` says which.
"""

from __future__ import annotations

import io
import re
import zipfile

from docx import Document as open_docx
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from nlp.ingest.errors import IngestError
from nlp.ingest.markup import BULLET_CHARS
from nlp.ingest.summary import looks_like_summary, read_summary
from nlp.ingest.transcript import looks_like_transcript, read_transcript
from nlp.schemas import Document

__all__ = ["read_docx"]

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
_SECTION_NO_RE = re.compile(r"^\s*Section\s+(\d+)", re.IGNORECASE)
_SUBSECTION_NO_RE = re.compile(r"^\s*(\d+)\.(\d+)")
_HEADING_LEVEL_RE = re.compile(r"^Heading\s*(\d)$", re.IGNORECASE)


def _open(data: bytes, source_file: str):
    """The python-docx document, or an IngestError saying why the bytes are not one."""
    if data.startswith(_OLE2_MAGIC):
        raise IngestError(
            source_file, "legacy Word .doc (OLE2) format, not .docx: save it as .docx first"
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise IngestError(
            source_file, "not a valid .docx: not a ZIP archive (truncated or corrupted file?)"
        )
    try:
        return open_docx(io.BytesIO(data))
    # python-docx surfaces a damaged package as whatever its zip/XML layer raises
    # (BadZipFile, KeyError, zlib.error, lxml's XMLSyntaxError, PackageNotFoundError, ...);
    # for any of them the user needs the same answer, so they are caught together here.
    except Exception as exc:  # noqa: BLE001
        raise IngestError(
            source_file, f"corrupted .docx: cannot be opened ({type(exc).__name__}: {exc})"
        ) from None


def _heading_level(par: Paragraph) -> int | None:
    """1, 2, … for a Heading-styled paragraph, None otherwise."""
    name = par.style.name if par.style is not None else ""
    if m := _HEADING_LEVEL_RE.match(name or ""):
        return max(1, int(m.group(1)))
    return None


def _is_list_item(par: Paragraph) -> bool:
    ppr = par._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return True
    name = (par.style.name if par.style is not None else "") or ""
    return name.lower().startswith("list")


def _one_line(text: str) -> str:
    # Line breaks and tabs inside a paragraph (<w:br/>, <w:tab/>) would otherwise split a
    # heading or a bullet into several lines of the rendering.
    return " ".join(text.split())


def _cells(table: Table) -> list[_Cell]:
    """Distinct cells in reading order; a merged cell is listed by python-docx once per row
    and column it spans."""
    seen: set[int] = set()
    cells: list[_Cell] = []
    for row in table.rows:
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(cell)
    return cells


def _cell_lines(cell: _Cell) -> list[str]:
    lines = []
    for par in cell.paragraphs:
        text = _one_line(par.text)
        if text:
            bulleted = text[0] in BULLET_CHARS and text[1:2] == " "
            lines.append(f"\t{text}" if bulleted else f"\t· {text}")
    return lines


class _SummaryRenderer:
    """Builds the summary-layout text, numbering headings the summary reader must see."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.section_no = 0
        self.sub_no = 0
        self.n_headings = 0
        self.n_tables = 0
        # A blank line (a new paragraph for the summary reader) goes wherever the kind of block
        # changes: heading, body text (the question), a body bullet list (one answer), a table.
        self.last_kind = ""
        self.has_question = False

    def heading(self, text: str, level: int | None) -> None:
        if m := _SECTION_NO_RE.match(text):
            self.section_no, self.sub_no = int(m.group(1)), 0
        elif m := _SUBSECTION_NO_RE.match(text):
            self.section_no, self.sub_no = int(m.group(1)), int(m.group(2))
        elif level == 1:
            self.section_no, self.sub_no = self.section_no + 1, 0
            text = f"Section {self.section_no}: {text}"
        else:
            self.sub_no += 1
            text = f"{self.section_no}.{self.sub_no} {text}"
        self._blank()
        self.out.append(text)
        self.n_headings += 1
        self.last_kind = "heading"
        self.has_question = False

    def paragraph(self, text: str, list_item: bool) -> None:
        if self.n_headings == 0:
            self.out.append(text)
            return
        kind = "list" if list_item else "body"
        if list_item and not (text[0] in BULLET_CHARS and text[1:2] == " "):
            text = f"· {text}"
        if kind != self.last_kind:
            self._blank()
        self.last_kind = kind
        self.out.append(f"\t{text}")
        self.has_question = self.has_question or not list_item

    def table(self, table: Table) -> None:
        self.n_tables += 1
        cells = _cells(table)
        if not self.has_question and cells and table.rows and len(
            {id(c._tc) for c in table.rows[0].cells}
        ) == 1:
            first = cells[0]
            text = _one_line(first.text)
            if text.endswith("?") and not any(_is_list_item(p) for p in first.paragraphs):
                self._blank()
                self.out.append(f"\t{text}")
                self.has_question = True
                cells = cells[1:]
        for cell in cells:
            lines = _cell_lines(cell)
            if lines:
                self._blank()
                self.out.extend(lines)
        self.last_kind = "table"

    def _blank(self) -> None:
        if self.out and self.out[-1] != "":
            self.out.append("")

    def text(self) -> str:
        return "\n".join(self.out) + "\n"


def _render_summary(doc) -> tuple[str, int, int]:
    """Summary-layout text, number of headings and number of tables."""
    r = _SummaryRenderer()
    for block in doc.iter_inner_content():
        if isinstance(block, Table):
            r.table(block)
            continue
        text = _one_line(block.text)
        if not text:
            continue
        level = _heading_level(block)
        if level is not None or looks_like_summary(text):
            r.heading(text, level)
        else:
            r.paragraph(text, _is_list_item(block))
    return r.text(), r.n_headings, r.n_tables


def _render_plain(doc) -> str:
    """One line per paragraph (table cells included), Heading paragraphs as ``# `` lines."""
    lines: list[str] = []
    for block in doc.iter_inner_content():
        pars = (
            [p for c in _cells(block) for p in c.paragraphs]
            if isinstance(block, Table)
            else [block]
        )
        for par in pars:
            text = _one_line(par.text)
            if text:
                level = _heading_level(par)
                lines.append(f"{'#' * min(level, 6)} {text}" if level else text)
    return "\n".join(lines) + "\n"


def read_docx(data: bytes, source_file: str, sha256: str) -> Document:
    """Parse a .docx interview summary (or transcript) into a Document.

    Args:
        data: The file's bytes.
        source_file: File name used in provenance and ids.
        sha256: Hash of ``data``.

    Returns:
        A Document of format ``"docx"`` whose ``text`` is the rendering described in the module
        docstring; ``metadata["layout"]`` is ``"summary"`` or ``"transcript"``.

    Raises:
        IngestError: If the bytes are not a readable .docx, or it holds neither summary
            headings nor speaker-labelled paragraphs.
    """
    doc = _open(data, source_file)
    summary_text, n_headings, n_tables = _render_summary(doc)
    if n_headings and n_tables:
        parsed, layout = read_summary(summary_text, source_file, sha256), "summary"
    else:
        plain = _render_plain(doc)
        if looks_like_transcript(plain):
            parsed, layout = read_transcript(plain, source_file, sha256), "transcript"
        elif n_headings:
            parsed, layout = read_summary(summary_text, source_file, sha256), "summary"
        else:
            raise IngestError(
                source_file,
                "not a recognised interview format: expected a summary (Heading-styled or "
                "'Section N: Title' / 'N.N Title' headings, a question, then a table with one "
                "cell per interviewee) or a transcript (paragraphs starting with speaker labels "
                "such as 'Interviewer:' or 'P2 0:25')",
            )
    return Document(
        source_file=parsed.source_file,
        sha256=parsed.sha256,
        format="docx",
        text=parsed.text,
        responses=parsed.responses,
        metadata={**parsed.metadata, "layout": layout},
    )
