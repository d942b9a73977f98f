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
  of a single, unbulleted cell ending in ``?`` is read as the question. A two-column table
  headed ``Stakeholder | Response`` (``nlp.ingest.docx_tables.labelled_answers``) gives only its
  answers, each with the respondent its row names;
- paragraphs before the first heading stay flush left: the introduction.

A .docx with no tables whose paragraphs carry speaker labels (``Interviewer:``, ``P2 0:25``…)
is read as a transcript instead, its Heading paragraphs rendered as ``# `` headings. So is one
whose tables hold a conversation, a turn per row (``Speaker | Text``, ``Time | Speaker | Text``,
``Question | Answer``): each row is rendered as a transcript line (``nlp.ingest.docx_tables``).
``Document.format`` is ``"docx"`` either way; ``Document.metadata["layout"]`` says which.

Any other .docx with text (a common export of open-ended answers: one paragraph per answer)
is read as plain paragraphs: ``Document.format`` is ``"docx_paragraphs"``, the rendering is one
line per paragraph, and each paragraph that is not a Heading is one response, its section the
latest Heading (else ``"Document"``) and its respondent unknown, unless a Heading names one
interview or person ("Interview 3 – Maria"); a numbered question ("Q1. What …?") is the
question of the paragraphs after it, as in a text file's notes (``nlp.ingest.paragraphs``). A
.docx with no text at all is an error.

A .docx is a ZIP archive, and a small one can inflate to gigabytes (a "zip bomb"). Before
python-docx opens it, the sizes the archive declares are checked: over
``MAX_UNCOMPRESSED_BYTES`` in total, or one member both over ``BOMB_MEMBER_BYTES`` and
compressed more than ``MAX_COMPRESSION_RATIO`` to 1, is refused. The declared sizes can be
trusted as a bound because Python's zipfile stops at a member's declared size (and a member
that claims less than it holds then fails its CRC check).
"""

from __future__ import annotations

import io
import re
import zipfile

from docx import Document as open_docx
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from nlp.ingest.docx_tables import cell_rows, labelled_answers, turn_lines
from nlp.ingest.errors import IngestError
from nlp.ingest.markup import BULLET_CHARS
from nlp.ingest.paragraphs import Headings, numbered_question, paragraph_response, paragraphs_document
from nlp.ingest.summary import looks_like_summary, read_summary
from nlp.ingest.transcript import looks_like_transcript, read_transcript
from nlp.schemas import Document, Response

__all__ = [
    "BOMB_MEMBER_BYTES",
    "MAX_COMPRESSION_RATIO",
    "MAX_UNCOMPRESSED_BYTES",
    "PARAGRAPHS_FORMAT",
    "check_zip_sizes",
    "read_docx",
    "refuse_ole2",
]

PARAGRAPHS_FORMAT = "docx_paragraphs"
# The largest real interview .docx files seen are a few MB unpacked; 200 MB leaves room for
# embedded images while refusing an archive that would fill memory.
MAX_UNCOMPRESSED_BYTES = 200 * 2**20
# Word's XML compresses about 5-20 to 1; only padding compresses past 100 to 1.
MAX_COMPRESSION_RATIO = 100
BOMB_MEMBER_BYTES = 10 * 2**20

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
# Word or Excel saved with a password is an OLE2 container whose stream "EncryptedPackage"
# holds the encrypted ZIP (MS-OFFCRYPTO); OLE2 directory entry names are UTF-16LE.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_SECTION_NO_RE = re.compile(r"^\s*Section\s+(\d+)", re.IGNORECASE)
_SUBSECTION_NO_RE = re.compile(r"^\s*(\d+)\.(\d+)")
_HEADING_LEVEL_RE = re.compile(r"^Heading\s*(\d)$", re.IGNORECASE)
_MD_HEADING_RE = re.compile(r"^(#{1,6}) (.*)$")


def refuse_ole2(data: bytes, source_file: str, kind: str, legacy: str) -> None:
    """Refuse an OLE2 file where ``kind`` (``.docx``, ``.xlsx``) was expected, saying which it is.

    Raises:
        IngestError: a password-protected (encrypted) Office file, or a legacy ``legacy`` file.
    """
    if not data.startswith(_OLE2_MAGIC):
        return
    if _ENCRYPTED_STREAM in data:
        raise IngestError(
            source_file, f"password-protected {kind}: it is encrypted; save a copy without the password first"
        )
    raise IngestError(source_file, f"legacy {legacy} (OLE2) format, not {kind}: save it as {kind} first")


def _open(data: bytes, source_file: str):
    """The python-docx document, or an IngestError saying why the bytes are not one."""
    refuse_ole2(data, source_file, ".docx", "Word .doc")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise IngestError(
            source_file, "not a valid .docx: not a ZIP archive (truncated or corrupted file?)"
        )
    check_zip_sizes(data, source_file)
    try:
        return open_docx(io.BytesIO(data))
    # python-docx surfaces a damaged package as whatever its zip/XML layer raises
    # (BadZipFile, KeyError, zlib.error, lxml's XMLSyntaxError, PackageNotFoundError, ...);
    # for any of them the user needs the same answer, so they are caught together here.
    except Exception as exc:  # noqa: BLE001
        raise IngestError(
            source_file, f"corrupted .docx: cannot be opened ({type(exc).__name__}: {exc})"
        ) from None


def check_zip_sizes(data: bytes, source_file: str, kind: str = ".docx") -> None:
    """Refuse a ZIP archive that would inflate far beyond its size, before anything unpacks it.

    Args:
        data: The archive's bytes.
        source_file: The file's name, for the error.
        kind: What the archive should be (``.docx``, ``.xlsx``), for the error.

    Raises:
        IngestError: If the declared uncompressed size is over ``MAX_UNCOMPRESSED_BYTES``, or
            one member is over ``BOMB_MEMBER_BYTES`` at a compression ratio over
            ``MAX_COMPRESSION_RATIO``; or the archive's directory cannot be read.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise IngestError(
            source_file, f"corrupted {kind}: cannot be opened ({type(exc).__name__}: {exc})"
        ) from None
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise IngestError(
            source_file,
            f"refused as a possible zip bomb: {len(data)} bytes inflate to {total} bytes, over "
            f"the limit of {MAX_UNCOMPRESSED_BYTES} bytes; not unpacked",
        )
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > BOMB_MEMBER_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise IngestError(
                source_file,
                f"refused as a possible zip bomb: {m.filename} inflates {m.compress_size} bytes "
                f"to {m.file_size} bytes ({ratio:.0f} to 1, over {MAX_COMPRESSION_RATIO} to 1); "
                "not unpacked",
            )


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
        self.respondents: dict[int, str] = {}  # line of an answer cell -> who gave it

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
        rows = cell_rows(table)
        if turn_lines(rows) is not None:
            return  # a conversation, one turn per row: read as a transcript (nlp.ingest.docx_tables)
        self.n_tables += 1
        if (labelled := labelled_answers(rows)) is not None:  # "Stakeholder | Response": who said each
            for who, answer in labelled:
                self._blank()
                self.respondents[len(self.out)] = who
                self.out.append(f"\t· {answer}")
            self.last_kind = "table"
            return
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

    def respondent_offsets(self) -> dict[int, str]:
        """Where each labelled answer cell starts in ``text()``, and who gave it."""
        starts = [0]
        for line in self.out:
            starts.append(starts[-1] + len(line) + 1)
        return {starts[k]: who for k, who in self.respondents.items()}


def _render_summary(doc) -> tuple[str, int, int, dict[int, str]]:
    """Summary-layout text, number of headings and of tables, and who gave each labelled cell."""
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
    return r.text(), r.n_headings, r.n_tables, r.respondent_offsets()


def _render_plain(doc) -> str:
    """One line per paragraph (table cells included), Heading paragraphs as ``# `` lines."""
    lines: list[str] = []
    for block in doc.iter_inner_content():
        if isinstance(block, Table) and (turns := turn_lines(cell_rows(block))) is not None:
            lines.extend(turns)
            continue
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


def _read_paragraphs(plain: str, source_file: str, sha256: str) -> Document:
    """One response per non-heading line of the plain rendering (one line per paragraph)."""
    responses: list[Response] = []
    headings = Headings()
    question = ""
    pos = 0
    for line in plain.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        if m := _MD_HEADING_RE.match(line):
            headings.enter(len(m.group(1)), m.group(2))
            question = ""
            continue
        if asked := numbered_question(line):  # "Q1. What …?": the question of what follows
            question = asked
            continue
        span = (start, start + len(line))
        responses.append(paragraph_response(plain, source_file, len(responses) + 1, span, headings.section,
                                            headings.respondent, question))
    return paragraphs_document(plain, source_file, sha256, PARAGRAPHS_FORMAT, responses,
                               "the document has no paragraph with text")


def read_docx(data: bytes, source_file: str, sha256: str) -> Document:
    """Parse a .docx interview summary (or transcript) into a Document.

    Args:
        data: The file's bytes.
        source_file: File name used in provenance and ids.
        sha256: Hash of ``data``.

    Returns:
        A Document of format ``"docx"`` whose ``text`` is the rendering described in the module
        docstring, ``metadata["layout"]`` ``"summary"`` or ``"transcript"``; or, for any other
        document with text, of format ``"docx_paragraphs"``, one response per paragraph.

    Raises:
        IngestError: If the bytes are not a readable .docx, would inflate like a zip bomb, or
            hold no text.
    """
    doc = _open(data, source_file)
    summary_text, n_headings, n_tables, who = _render_summary(doc)
    if n_headings and n_tables:
        parsed, layout = read_summary(summary_text, source_file, sha256, who), "summary"
    else:
        plain = _render_plain(doc)
        if looks_like_transcript(plain):
            parsed, layout = read_transcript(plain, source_file, sha256), "transcript"
        elif n_headings:
            parsed, layout = read_summary(summary_text, source_file, sha256, who), "summary"
            # Headings with plain paragraphs under them hold no summary cells: the
            # paragraphs are the answers.
            if not parsed.responses:
                return _read_paragraphs(plain, source_file, sha256)
        else:
            return _read_paragraphs(plain, source_file, sha256)
    return Document(
        source_file=parsed.source_file,
        sha256=parsed.sha256,
        format="docx",
        text=parsed.text,
        responses=parsed.responses,
        metadata={**parsed.metadata, "layout": layout},
    )
