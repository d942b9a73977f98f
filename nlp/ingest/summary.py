"""Reader for interview summaries: sections, questions and one cell per interviewee.

The layout, as Word exports it to text::

    Introduction ...                       <- document metadata, never quotes
    Section 1: Context and content         <- section heading
    1.1 Interaction with open contracting  <- subsection heading: the unit we call a section
    \tWhat has been the most useful ...?   <- the question: first paragraph after a heading
                                           <- blank line(s) separate cells
    \t· “First bullet of one interviewee   <- a cell: one interviewee's answer, `·` bullets
    · second bullet.”

A ``Section N: Title`` heading with no ``N.N`` subsections below it (the seed's Section 4) is a
section in its own right.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from nlp.ingest.markup import bullet_units, quoted_spans, strip_markup
from nlp.schemas import Document, Response

__all__ = ["looks_like_summary", "read_summary"]

_SECTION_RE = re.compile(r"^\s*Section\s+(\d+)\s*[:.–-]\s*(\S.*?)\s*$", re.IGNORECASE)
_SUBSECTION_RE = re.compile(r"^\s*(\d+)\.(\d+)\.?\s+(\S.*?)\s*$")
_INTERVIEWS_RE = re.compile(r"(\d[\d,]*)\s+interviews?\b", re.IGNORECASE)
_RATE_RE = re.compile(r"response rate of\s+(\d+(?:\.\d+)?)\s*%", re.IGNORECASE)


def _heading(line: str) -> tuple[str, str] | None:
    """(kind, title) for a heading line, kind being "section" or "subsection"."""
    clean = strip_markup(line)
    if clean[:1] in "\t ":
        return None  # headings are flush left; indented lines are questions or cells
    if m := _SECTION_RE.match(clean):
        return "section", f"Section {m.group(1)}: {m.group(2)}"
    # A title starts with a capital, so "3.5 million people…" on a flush-left line is no heading.
    if (m := _SUBSECTION_RE.match(clean)) and m.group(3)[0].isupper() and len(m.group(3)) < 120:
        return "subsection", f"{m.group(1)}.{m.group(2)} {m.group(3)}"
    return None


def looks_like_summary(text: str) -> bool:
    """True when the text has at least one ``Section N:`` or ``N.N Title`` heading."""
    return any(_heading(line) for line in text.splitlines())


@dataclass
class _Block:
    """Lines between two headings, with their offsets in the document text."""

    title: str
    parent: str | None
    lines: list[tuple[int, str]] = field(default_factory=list)


def _blocks(text: str) -> tuple[str, list[_Block]]:
    intro_end = None
    blocks: list[_Block] = []
    parent: str | None = None
    pos = 0
    for line in text.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        heading = _heading(line.rstrip("\n"))
        if heading is None:
            if blocks:
                blocks[-1].lines.append((start, line))
            continue
        if intro_end is None:
            intro_end = start
        kind, title = heading
        if kind == "section":
            parent = title
            blocks.append(_Block(title, None))
        else:
            if blocks and blocks[-1].parent is None and not _has_content(blocks[-1]):
                blocks.pop()  # a section heading directly followed by its first subsection
            blocks.append(_Block(title, parent))
    intro = text[: intro_end if intro_end is not None else 0]
    return intro, blocks


def _has_content(block: _Block) -> bool:
    return any(strip_markup(line).strip() for _, line in block.lines)


def _paragraphs(block: _Block) -> list[tuple[int, int]]:
    """Spans of blank-line-separated paragraphs in a block."""
    paras: list[tuple[int, int]] = []
    current: list[int] | None = None
    for start, line in block.lines:
        if strip_markup(line).strip():
            if current is None:
                current = [start, start + len(line)]
            else:
                current[1] = start + len(line)
        elif current is not None:
            paras.append((current[0], current[1]))
            current = None
    if current is not None:
        paras.append((current[0], current[1]))
    return paras


def _intro_metadata(intro: str) -> dict[str, object]:
    meta: dict[str, object] = {"introduction": " ".join(strip_markup(intro).split())}
    if m := _INTERVIEWS_RE.search(intro):
        meta["n_interviews"] = int(m.group(1).replace(",", ""))
    if m := _RATE_RE.search(intro):
        meta["response_rate"] = float(m.group(1)) / 100
    return meta


def _is_question(text: str, start: int, end: int) -> bool:
    """The question paragraph holds no bullets; an answer cell starts with one."""
    first = strip_markup(text[start:end]).lstrip()
    return bool(first) and first[0] not in "·•▪◦‣●"


def read_summary(
    text: str, source_file: str, sha256: str, respondents: Mapping[int, str] | None = None
) -> Document:
    """Parse an interview summary into one Response per interviewee cell.

    Args:
        text: the decoded, newline-normalised file content.
        source_file: file name used in provenance and ids.
        sha256: hash of the file's bytes.
        respondents: who gave the cell that starts at each offset, where the source says (a
            .docx table headed ``Stakeholder | Response``); other cells' respondents are unknown.

    Returns:
        A Document whose metadata holds the introduction and the figures it states
        (``n_interviews``, ``response_rate``) when present.
    """
    intro, blocks = _blocks(text)
    responses: list[Response] = []
    for block in blocks:
        paras = _paragraphs(block)
        question = ""
        if paras and _is_question(text, *paras[0]):
            question = " ".join(strip_markup(text[slice(*paras[0])]).split())
            paras = paras[1:]
        section_key = block.title.split(" ", 1)[0].rstrip(":")
        if block.title.lower().startswith("section"):
            section_key = block.title.split(":", 1)[0].split()[-1]
        for n, (start, end) in enumerate(paras, 1):
            units = tuple(bullet_units(text, start, end))
            if not units:
                continue
            responses.append(
                Response(
                    response_id=f"{source_file}#{section_key}-r{n}",
                    section=block.title,
                    question=question,
                    units=units,
                    quoted_spans=tuple(quoted_spans(text, start, end)),
                    metadata={"parent_section": block.parent} if block.parent else {},
                    respondent_id=f"{source_file}#{who}" if (who := (respondents or {}).get(start)) else "",
                )
            )
    return Document(
        source_file=source_file,
        sha256=sha256,
        format="summary",
        text=text,
        responses=tuple(responses),
        metadata=_intro_metadata(intro),
    )
