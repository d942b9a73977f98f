"""Ingestion: raw interview files to ``Document`` records, one reader per format.

Entry points: ``ingest_dir(raw_dir)`` and ``ingest_paths(paths)``. Each file is read once, in
binary and read-only (nothing in the raw directory is ever written, renamed or touched), and
gets one ``InputRecord`` in sorted path order: ``ok``, ``error`` (with a reason that names the
file, also logged on the ``nlp.ingest`` logger), ``duplicate`` or ``skipped``. One bad file
never stops the batch.

What ``ingest_dir`` reads (``walk_raw``): every file under the raw folder, recursively.
Hidden files and folders (name starting with ``.``) are not read: each is recorded as
``skipped`` with the reason (a hidden folder once, not file by file). A symbolic link whose
target lies outside the raw folder is refused with an error and never opened, so a link
cannot bring another file of the machine into the outputs; a link to a file or folder inside
is skipped, since its target is read at its own path. FIFOs, sockets and devices are refused
unread.

Formats, chosen by extension, then by content:

- ``.docx``: an interview summary (headings, a question, a table with one cell per
  interviewee) or a transcript in Word; see ``nlp.ingest.docx_reader``.
- ``.csv`` / ``.tsv``: survey or comment export, one response per row; the text column is
  ``text_column`` if given, else a known name (``comment-body``, ``response``, ``answer``,
  ``text``, ``comment``, …), else the longest mostly-non-numeric column. See
  ``nlp.ingest.survey_csv``. The respondent is ``id_column`` if given, else a known id
  column (``ResponseId``, ``respondent``, ``author-id``, …, ``id``), else the row.
- ``.vtt`` / ``.srt``: caption transcripts (Zoom, Teams), turns of cue speakers; see
  ``nlp.ingest.captions``.
- ``.xlsx`` / ``.xlsm``: a survey export's first sheet, read as a CSV; ``nlp.ingest.spreadsheet``.
- ``.txt`` / ``.md`` (and any other extension, after a check for a .docx inside): a summary if
  it has ``Section N: Title`` or ``N.N Title`` headings, else a transcript if at least two lines
  start with a speaker label (when both match, the transcript wins if it has more speaker turns
  than the summary has headings: a turn may start "2.5 Million people…"), else, for
  ``.txt``/``.md``/``.markdown``/``.text``, a survey table if nine lines in ten hold the same
  number of tabs (Excel's "Text (Tab delimited)" export) or plain paragraphs (notes, a markdown
  write-up); any other extension is an error. See ``nlp.ingest.plain_text``.

Transcript speaker labels (case and spacing free, optional ``**bold**`` in markdown):

- ``Interviewer:``, ``Q:``, ``Question:``, ``Moderator:``, ``Facilitator:``, ``Host:``, ``I:``
  are the interviewer; their turns are the questions, never quotes;
- ``Interviewee:``, ``Respondent:``, ``A:``, ``Answer:``, ``R:``, ``Participant:``;
- participant codes, optionally with a timestamp: ``P2:``, ``Speaker 1:``, ``P2 0:25``,
  ``P2 (00:01:23):``, ``[00:12] P3:``;
- names: ``Maria:``, ``Dr. Jane Smith:`` (a plain name must label at least two lines).

Without an interviewer label, the speaker whose turns most often contain a ``?`` is the
interviewer. Markdown headings (``# …``) name sections, else the section is ``Transcript``.

Decoding (``nlp.ingest.decode``), deterministic: a byte-order mark decides (UTF-8, UTF-16,
UTF-32); known binary formats (PDF, ZIP, images, legacy .doc, …) are refused; NUL bytes in
the pattern of UTF-16 mean UTF-16 without a BOM, elsewhere they refuse the file; otherwise
UTF-8, any byte that is not valid UTF-8 read as cp1252 (latin-1 for its five undefined
bytes); text with over 5% control characters is refused as binary. CRLF, CR and the other line separators become ``\\n``. All character
offsets (unit spans, ``char_start``/``char_end``) index this decoded, newline-normalised text;
for a .docx they index the text rendered from it (``Document.text``).

Refused with a clear reason: empty or whitespace-only files, binary files, files over
``max_bytes`` (checked with ``stat`` before reading), corrupted or truncated .docx, a .docx
that would inflate like a zip bomb, a .docx with no text, legacy .doc, CSVs with an unterminated quote or no text column, text in no recognised format. A file
whose bytes equal an earlier file's is not parsed again: it is recorded as ``duplicate`` with
the earlier file's name.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nlp.ingest.captions import CAPTION_FORMATS, read_captions
from nlp.ingest.decode import decode_text
from nlp.ingest.docx_reader import read_docx
from nlp.ingest.errors import IngestError
from nlp.ingest.plain_text import read_plain_text
from nlp.ingest.spreadsheet import SPREADSHEET_EXTENSIONS, read_xlsx
from nlp.ingest.summary import looks_like_summary, read_summary
from nlp.ingest.survey_csv import read_survey_csv
from nlp.ingest.transcript import looks_like_transcript, read_transcript
from nlp.schemas import Document, InputRecord

__all__ = [
    "DEFAULT_MAX_BYTES",
    "IngestError",
    "IngestResult",
    "decode_text",
    "ingest_dir",
    "ingest_file",
    "ingest_paths",
    "is_hidden",
    "looks_like_summary",
    "looks_like_transcript",
    "read_docx",
    "read_summary",
    "read_survey_csv",
    "read_transcript",
    "walk_raw",
]

logger = logging.getLogger("nlp.ingest")

DEFAULT_MAX_BYTES = 20 * 2**20
_TABLE_EXTENSIONS = frozenset({".csv", ".tsv"})
_TEXT_EXTENSIONS = frozenset({".txt", ".md", ".markdown", ".text", *CAPTION_FORMATS})


@dataclass(frozen=True)
class IngestResult:
    """Parsed documents and what happened to every input file.

    Attributes:
        documents: One Document per file with status ``ok``, in input order.
        inputs: One InputRecord per file considered, in sorted path order.
    """

    documents: tuple[Document, ...]
    inputs: tuple[InputRecord, ...]


def ingest_file(
    data: bytes,
    source_file: str,
    sha256: str,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
) -> Document:
    """Parse one file's bytes with the reader its extension and content call for.

    Args:
        data: The file's bytes.
        source_file: The name recorded for the file; its extension picks the reader.
        sha256: Hash of ``data``.
        text_column: Text column of a CSV/TSV, to skip detection.
        id_column: Respondent id column of a CSV/TSV, to skip detection.

    Returns:
        The parsed Document.

    Raises:
        IngestError: If the file is empty, binary, corrupted or in no recognised format.
    """
    if not data:
        raise IngestError(source_file, "empty file (0 bytes)")
    suffix = Path(source_file).suffix.lower()
    if suffix == ".docx":
        return read_docx(data, source_file, sha256)
    if suffix in SPREADSHEET_EXTENSIONS:
        return read_xlsx(data, source_file, sha256, text_column=text_column, id_column=id_column)
    if suffix not in _TEXT_EXTENSIONS | _TABLE_EXTENSIONS and _is_docx_package(data):
        return read_docx(data, source_file, sha256)
    text = decode_text(data, source_file)
    if not text.strip():
        raise IngestError(source_file, "no text: the file holds only whitespace")
    if suffix in CAPTION_FORMATS:
        return read_captions(text, source_file, sha256, suffix)
    if suffix in _TABLE_EXTENSIONS:
        return read_survey_csv(
            text, source_file, sha256, text_column=text_column, id_column=id_column
        )
    return read_plain_text(
        text, source_file, sha256, notes=suffix in _TEXT_EXTENSIONS, text_column=text_column, id_column=id_column
    )


def _is_docx_package(data: bytes) -> bool:
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "word/document.xml" in z.namelist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def is_hidden(relative: Path) -> bool:
    """A path (relative to the raw folder) that is no one's input: a hidden file or folder
    (``.name``: an editor's swap file, a copy tool's temporary file) or the owner file Office
    writes beside a document it has open (``~$survey.xlsx``), which holds only who opened it."""
    return any(part.startswith((".", "~$")) for part in relative.parts)


def ingest_paths(
    paths: Iterable[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    text_column: str | None = None,
    id_column: str | None = None,
    root: Path | None = None,
    log_records: bool = True,
) -> IngestResult:
    """Ingest the given files, recording a clear reason for each one that cannot be used.

    Args:
        paths: Files to read. They are processed in sorted order of their recorded names.
        max_bytes: Files larger than this are refused without being read.
        text_column: Text column of CSV/TSV inputs, to skip detection.
        id_column: Respondent id column of CSV/TSV inputs, to skip detection.
        root: If given, files are recorded by their path relative to it (POSIX style);
            otherwise by their file name.
        log_records: log each refused or duplicate file as it is met. False when the caller
            reports the returned ``inputs`` itself, as the stage sequence does, so each reason
            is printed once. A reader's unexpected error is logged with its traceback either way.

    Returns:
        The documents parsed and one InputRecord per path (hidden files: ``skipped``).
    """
    named = sorted(
        ((_record_name(Path(p), root), Path(p)) for p in paths),
        key=lambda name_path: (name_path[0], str(name_path[1])),
    )
    documents: list[Document] = []
    inputs: list[InputRecord] = []
    first_by_sha: dict[str, str] = {}
    names_seen: set[str] = set()
    for name, path in named:
        if is_hidden(Path(name)):
            kind = "folder" if path.is_dir() and not path.is_symlink() else "file"
            reason = (f"hidden {kind} (name starts with '.'): skipped, not read"
                      if any(part.startswith(".") for part in Path(name).parts)
                      else "Office owner file of an open document (name starts with '~$'): skipped, not read")
            inputs.append(InputRecord(name, None, "skipped", reason))
            continue
        if root is not None and (outside := _outside(path, root)) is not None:
            inputs.append(_error(name, None, outside, log=log_records))
            continue
        if root is not None and path.is_symlink():
            target = _record_name(path.resolve(), Path(root).resolve())
            # Read once, at its own path: the link would only repeat it under another name.
            reason = f"symbolic link to {target}, inside the raw folder: skipped, read at its own path"
            inputs.append(InputRecord(name, None, "skipped", reason))
            continue
        if name in names_seen:
            inputs.append(
                _error(name, None, f"another input is also named {name!r}; quote ids would clash", log=log_records)
            )
            continue
        names_seen.add(name)
        try:
            data = _read(path, name, max_bytes)
        except IngestError as exc:
            inputs.append(_error(name, None, exc.reason, log=log_records))
            continue
        sha = hashlib.sha256(data).hexdigest()
        if sha in first_by_sha:
            first = first_by_sha[sha]
            if log_records:
                logger.warning("%s: same content as %s; not processed again", name, first)
            inputs.append(InputRecord(name, sha, "duplicate", f"same content as {first}"))
            continue
        first_by_sha[sha] = name
        try:
            doc = ingest_file(data, name, sha, text_column=text_column, id_column=id_column)
        except IngestError as exc:
            inputs.append(_error(name, sha, exc.reason, log=log_records))
            continue
        # A reader bug on one odd file must not cost the user the rest of the batch; the
        # traceback goes to the log so the bug can still be fixed.
        except Exception as exc:  # noqa: BLE001
            logger.exception("%s: unexpected error while reading", name)
            inputs.append(
                _error(name, sha, f"unexpected error ({type(exc).__name__}: {exc})", log=False)
            )
            continue
        if not doc.responses:
            logger.warning("%s: read as %s but no responses were found", name, doc.format)
        documents.append(doc)
        inputs.append(InputRecord(name, sha, "ok", format=doc.format))
    return IngestResult(tuple(documents), tuple(inputs))


def walk_raw(raw_dir: Path) -> list[Path]:
    """Every entry of ``raw_dir`` that gets a record: files, links, hidden files and folders.

    Symbolic links to folders are listed but not followed, and a hidden folder is listed
    without its contents. Nothing is opened.

    Args:
        raw_dir: The input folder.

    Returns:
        The paths, in no particular order (``ingest_paths`` sorts them).
    """
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(raw_dir, followlinks=False):
        here = Path(dirpath)
        for d in list(dirnames):
            if d.startswith(".") or (here / d).is_symlink():
                found.append(here / d)
                dirnames.remove(d)
        found.extend(here / f for f in filenames)
    return found


def ingest_dir(raw_dir: Path, **kw) -> IngestResult:
    """Ingest every file under ``raw_dir`` (recursively), recorded by relative path.

    Args:
        raw_dir: The input folder; it is only read.
        **kw: ``max_bytes``, ``text_column``, ``id_column`` and ``log_records``, as for
            ``ingest_paths``.

    Returns:
        The documents parsed and one InputRecord per entry of ``walk_raw``: hidden files and
        folders ``skipped``, links that lead outside ``raw_dir`` ``error``.

    Raises:
        NotADirectoryError: If ``raw_dir`` is not an existing directory.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise NotADirectoryError(f"{raw_dir}: not an existing directory of raw inputs")
    return ingest_paths(walk_raw(raw_dir), root=raw_dir, **kw)


def _outside(path: Path, root: Path) -> str | None:
    """The refusal of a path that resolves (through links) outside ``root``, else None."""
    target = path.resolve()
    if target.is_relative_to(Path(root).resolve()):
        return None
    kind = "folder" if target.is_dir() else "file"
    return (
        f"symbolic link to a {kind} outside the raw folder ({target}): refused, not read; "
        "copy the file into the raw folder to analyse it"
    )


def _record_name(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name


def _read(path: Path, name: str, max_bytes: int) -> bytes:
    """The file's bytes, read once in binary; refuses oversize files before reading them."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise IngestError(name, "file not found") from None
    except OSError as exc:
        raise IngestError(name, f"cannot read file ({exc.strerror or exc})") from None
    if path.is_dir():
        raise IngestError(name, "is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise IngestError(name, "not a regular file (a FIFO, socket or device): not read")
    if st.st_size > max_bytes:
        raise IngestError(
            name,
            f"file too large: {st.st_size} bytes, over the limit of {max_bytes} bytes "
            "(max_bytes); not read",
        )
    try:
        with path.open("rb") as f:
            # One byte over the limit is enough to notice a file that grew since stat().
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise IngestError(name, f"cannot read file ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise IngestError(name, f"file too large: over the limit of {max_bytes} bytes; not read")
    return data


def _error(name: str, sha: str | None, reason: str, *, log: bool = True) -> InputRecord:
    error = str(IngestError(name, reason))
    if log:
        logger.error("%s", error)
    return InputRecord(name, sha, "error", error)
