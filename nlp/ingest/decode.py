"""Bytes to text: encoding detection, newline normalisation and refusal of binary content.

Every character offset in the pipeline (``Unit`` spans, ``Quote.char_start``/``char_end``)
indexes the string this module returns, not the raw bytes. The rules are deterministic, so a
file always decodes to the same text:

1. A byte-order mark decides: UTF-8 (BOM stripped), UTF-16 LE/BE or UTF-32 LE/BE.
2. Known binary formats are refused by their magic number (PDF, ZIP/docx/xlsx, PNG, JPEG,
   GIF, gzip, legacy Word/Excel OLE2, ELF), as is any NUL byte outside UTF-16/32.
3. Otherwise strict UTF-8; if that fails, strict cp1252 (Windows "ANSI", what Word and Excel
   write on most Western machines); if that fails too (five bytes cp1252 leaves undefined),
   latin-1, which accepts any byte. No statistical guessing: charset-normalizer can change
   its answer on short texts between versions.
4. Text whose control characters (other than tab and line breaks) exceed 5% is refused as
   binary.
5. Line breaks are normalised: CRLF and CR become LF, and so do the other characters
   ``str.splitlines`` treats as line boundaries (vertical tab, which Word writes for a manual
   line break, form feed, U+001C–U+001E, NEL, U+2028, U+2029). After this,
   ``text.split("\\n")`` and ``text.splitlines()`` agree, so every reader sees the same lines.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from nlp.ingest.errors import IngestError

__all__ = ["decode_text", "sniff_binary"]

# UTF-32 LE starts with the UTF-16 LE mark, so the longer marks are tried first.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (e.g. .docx/.xlsx)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office file (.doc/.xls)"),
    (b"\x7fELF", "an executable"),
    (b"{\\rtf", "an RTF document"),
)
_MAX_CONTROL_RATIO = 0.05
_ALLOWED_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x85")
_NEWLINES_RE = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def sniff_binary(data: bytes) -> str | None:
    """Name the binary format ``data`` starts with, or return None.

    Args:
        data: The file's bytes (only the first few are looked at).

    Returns:
        A phrase such as ``"a PDF document"`` for a known magic number, else None.
    """
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    return None


def decode_text(data: bytes, source_file: str) -> str:
    """Decode a text file's bytes into newline-normalised text.

    Args:
        data: The raw bytes of the file.
        source_file: The file's name, used in error messages.

    Returns:
        The decoded text with a leading BOM removed and every line break turned into ``"\\n"``.

    Raises:
        IngestError: If the bytes are a known binary format, hold NUL bytes outside UTF-16/32,
            are invalid UTF-16/32 after a BOM, or are mostly control characters.
    """
    text = _decode(data, source_file)
    n_control = sum(
        1 for ch in text if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc"
    )
    if text and n_control / len(text) > _MAX_CONTROL_RATIO:
        raise IngestError(
            source_file,
            f"binary content, not text ({n_control} of {len(text)} characters are control "
            "characters)",
        )
    return _NEWLINES_RE.sub("\n", text)


def _decode(data: bytes, source_file: str) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise IngestError(
                    source_file,
                    f"invalid {codec.upper()} text after its byte-order mark "
                    f"({exc.reason} at byte {exc.start})",
                ) from None
    kind = sniff_binary(data)
    if kind is not None:
        raise IngestError(source_file, f"binary content, not text: looks like {kind}")
    if b"\x00" in data:
        raise IngestError(
            source_file,
            "binary content, not text: contains NUL bytes (UTF-16 text needs a byte-order mark)",
        )
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")
