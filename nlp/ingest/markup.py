"""Text-level helpers shared by the readers: Word markup, bullets and quotation marks."""

from __future__ import annotations

import re

from nlp.schemas import Unit

__all__ = [
    "BULLET_CHARS",
    "blank_markup",
    "bullet_units",
    "clean_text",
    "quoted_spans",
    "strip_markup",
    "trim_span",
]

# Word's "save as text" leaves bookmark anchors such as "[bookmark: _Toc489949780]" inline, and
# transcription software (f4transkript, MAXQDA, easytranscript) time marks such as "#00:01:23-4#".
_MARKUP_RE = re.compile(r"\[bookmark:[^\]\n]*\]|#\d{1,2}:\d{2}:\d{2}(?:[-.,]\d{1,3})?#")
BULLET_CHARS = "·•▪◦‣●○■□–-*"
_BULLET_RE = re.compile(rf"^[ \t]*[{re.escape(BULLET_CHARS)}](?=\s)[ \t]*")
_OPENERS = "“„«"
_CLOSERS = "”»"
_WS_RE = re.compile(r"\s+")


def strip_markup(text: str) -> str:
    """Remove Word bookmark anchors and transcription time marks, keeping everything else byte for byte."""
    return _MARKUP_RE.sub("", text)


def blank_markup(text: str) -> str:
    """Replace Word bookmark anchors and time marks with spaces of equal length, so offsets stay valid."""
    return _MARKUP_RE.sub(lambda m: " " * len(m.group()), text)


def clean_text(raw: str) -> str:
    """Turn a raw span of the source into quote text.

    Removes markup and bullets, collapses whitespace, and drops a quotation mark that only opens
    or closes a direct quote spanning several units (the flag ``is_direct_quote`` keeps that
    information). Balanced inner quotation marks stay.
    """
    # A quoted CSV cell doubles its inner quotation marks; a reader's span points at the cell
    # as written.
    text = strip_markup(raw).replace('""', '"')
    text = "\n".join(_BULLET_RE.sub("", line) for line in text.splitlines())
    text = _WS_RE.sub(" ", text).strip()
    n_open = sum(text.count(c) for c in _OPENERS)
    n_close = sum(text.count(c) for c in _CLOSERS)
    if n_open > n_close and text[:1] in _OPENERS:
        text = text[1:].lstrip()
        n_open -= 1
    if n_close > n_open and text[-1:] in _CLOSERS:
        text = text[:-1].rstrip()
    if (
        n_open == 1
        and n_close == 1
        and text[:1] in _OPENERS
        and text[-1:] in _CLOSERS
    ):
        text = text[1:-1].strip()  # the whole quote is one direct quote
    if text.count('"') % 2 == 1 and text[:1] == '"':
        text = text[1:].lstrip()
    elif text.count('"') % 2 == 1 and text[-1:] == '"':
        text = text[:-1].rstrip()
    return text


def quoted_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of ``text[start:end]`` that sit inside curly quotation marks.

    Interview summaries are imperfect: a quote may open in one bullet and close three bullets
    later, nest a second opening mark, or lose its opening mark. A closing mark with no opener
    is read as closing a quote that began at ``start`` (or after the previous quote); an opener
    never closed runs to ``end``.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    depth = 0
    open_at = start
    last_close = start
    for i in range(start, end):
        ch = text[i]
        if ch in _OPENERS:
            if depth == 0:
                open_at = i
            depth += 1
        elif ch in _CLOSERS:
            if depth == 0:
                spans.append((last_close, i + 1))
            else:
                depth -= 1
                if depth == 0:
                    spans.append((open_at, i + 1))
            last_close = i + 1
    if depth > 0:
        spans.append((open_at, end))
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def bullet_units(text: str, start: int, end: int) -> list[Unit]:
    """Split ``text[start:end]`` into one unit per bullet.

    A line that starts with a bullet character starts a unit; other lines continue the unit
    before them. Spans exclude the bullet, surrounding whitespace and markup-only lines.
    """
    units: list[list[int]] = []
    pos = start
    for line in text[start:end].splitlines(keepends=True):
        line_start, line_end = pos, pos + len(line)
        pos = line_end
        if not strip_markup(line).strip():
            continue
        bullet = _BULLET_RE.match(line)
        content_start = line_start + (bullet.end() if bullet else 0)
        if bullet or not units:
            units.append([content_start, line_end])
        else:
            units[-1][1] = line_end
    return [Unit(*trim_span(text, s, e)) for s, e in units if text[s:e].strip()]


def trim_span(text: str, s: int, e: int) -> tuple[int, int]:
    """``(s, e)`` narrowed to leave out the whitespace at either end of ``text[s:e]``."""
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e
