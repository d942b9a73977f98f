"""Bytes to text: encoding detection, newline normalisation and refusal of binary content.

Every character offset in the pipeline (``Unit`` spans, ``Quote.char_start``/``char_end``)
indexes the string this module returns, not the raw bytes. The rules are deterministic, so a
file always decodes to the same text:

1. A byte-order mark decides: UTF-8 (BOM stripped), UTF-16 LE/BE or UTF-32 LE/BE.
2. Known binary formats are refused by their magic number (PDF, ZIP/docx/xlsx, PNG, JPEG,
   GIF, gzip, legacy Word/Excel OLE2, ELF).
3. UTF-16 without a byte-order mark (what some Windows tools export) is recognised by its NUL
   bytes: at least 40% of the odd-position bytes NUL and under 5% of the even ones means
   UTF-16 LE, and the mirror image UTF-16 BE. It must then decode strictly. Any other NUL
   byte refuses the file as binary.
4. Otherwise UTF-8, where a byte that is not part of valid UTF-8 is read on its own as cp1252
   (Windows "ANSI", what Word and Excel write on most Western machines; latin-1 for the five
   bytes cp1252 leaves undefined). So a cp1252 file reads as cp1252, and a file whose lines
   mix UTF-8 and cp1252 (pasted together from two sources) keeps both right. No statistical
   guessing: charset-normalizer can change its answer on short texts between versions.
5. Text whose control characters (other than tab and line breaks) exceed 5% is refused as
   binary.
6. Line breaks are normalised: CRLF and CR become LF, and so do the other characters
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
# How much of a file is looked at to recognise UTF-16 without a byte-order mark.
_UTF16_SNIFF_BYTES = 65_536
_FALLBACK_ERRORS = "interviews-cp1252-fallback"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read the one offending byte as cp1252 (latin-1 if undefined there)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    byte = exc.object[exc.start : exc.start + 1]
    try:
        return byte.decode("cp1252"), exc.start + 1
    except UnicodeDecodeError:
        return byte.decode("latin-1"), exc.start + 1


codecs.register_error(_FALLBACK_ERRORS, _cp1252_fallback)


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
        codec = _utf16_without_bom(data)
        if codec is None:
            raise IngestError(
                source_file,
                "binary content, not text: contains NUL bytes (and is not UTF-16 text)",
            )
        try:
            return data.decode(codec)
        except UnicodeDecodeError as exc:
            raise IngestError(
                source_file,
                f"binary content, not text: looks like {codec.upper()} without a byte-order "
                f"mark but is not valid {codec.upper()} ({exc.reason} at byte {exc.start})",
            ) from None
    return data.decode("utf-8", errors=_FALLBACK_ERRORS)


def _utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when the NUL bytes sit where UTF-16 puts them, else None.

    Text in a Latin script is mostly code points under 256, whose high byte is NUL: in UTF-16
    LE every odd byte, in BE every even one. Binary data has NULs on both sides.
    """
    head = data[:_UTF16_SNIFF_BYTES]
    if len(data) % 2 or len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul >= 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul >= 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None
