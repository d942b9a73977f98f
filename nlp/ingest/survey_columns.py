"""Which columns of a survey export hold the answers a run analyses.

``--text-column`` names them: one column, or several separated by commas
(``experience,why_art``: each column is a question, its answers a section of their own; a name
that itself holds a comma is taken whole when the export has such a column). Without it, one
column is detected: the first of ``KNOWN_TEXT_COLUMNS`` present (``comment-body``,
``response``, ...), else the column with the longest mean value among those whose values mostly
hold letters.

A survey often asks several open questions. When the column was detected, any other column
that reads like answers too is named in the document's metadata (``other_text_columns``) and
in a run note, so a second question is never left out unsaid. A column reads like answers when
nearly every value differs (not a category, nor an instruction repeated on every row), it is
filled in at least half of the rows the analysed column is, and its values run to a sentence
(median ``MIN_MEDIAN_WORDS`` words): coders' code labels ("richness of visuals; own
involvement") and dates stay out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from nlp.ingest.csv_header import norm_column
from nlp.ingest.errors import IngestError
from nlp.schemas import Document

__all__ = [
    "KNOWN_TEXT_COLUMNS",
    "MIN_MEDIAN_WORDS",
    "columns_note",
    "other_answer_columns",
    "pick_text_columns",
    "requested_column",
]

# Normalised (lower case, "-"/"_" as spaces) names of free-text columns, in order of preference.
KNOWN_TEXT_COLUMNS: tuple[str, ...] = (
    "comment body",
    "response",
    "answer",
    "text",
    "comment",
    "comments",
    "feedback",
    "body",
    "message",
)
MIN_MEDIAN_WORDS = 10
_MIN_DISTINCT = 0.9
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
_LETTERS_RE = re.compile(r"[^\W\d_]")


def requested_column(names: Sequence[str], requested: str, role: str, source_file: str) -> int:
    """Index of the column a user named: exact name first, then ignoring case and punctuation."""
    for same in (lambda name: name == requested, lambda name: norm_column(name) == norm_column(requested)):
        for k, name in enumerate(names):
            if same(name):
                return k
    raise IngestError(source_file, f"{role} column {requested!r} not found; columns are: {', '.join(names)}")


def _is_numeric(value: str) -> bool:
    """True for values without letters: numbers, ids, ISO dates."""
    return _LETTERS_RE.search(value) is None


def pick_text_columns(
    names: Sequence[str], rows: Sequence[Sequence[str]], requested: str | None, source_file: str
) -> tuple[list[int], str]:
    """Indices of the answer columns and how they were chosen ("requested", "name", "longest")."""
    if requested is not None:
        whole = any(norm_column(name) == norm_column(requested) for name in names)
        asked = [requested] if whole or "," not in requested else [p.strip() for p in requested.split(",") if p.strip()]
        return list(dict.fromkeys(requested_column(names, a, "text", source_file) for a in asked)), "requested"
    normed = [norm_column(name) for name in names]
    for known in KNOWN_TEXT_COLUMNS:
        if known in normed:
            return [normed.index(known)], "name"
    best: tuple[float, int] | None = None
    for k in range(len(names)):
        values = [row[k].strip() for row in rows if row[k].strip()]
        if not values or sum(map(_is_numeric, values)) * 2 >= len(values):
            continue
        mean_len = sum(map(len, values)) / len(values)
        if best is None or mean_len > best[0]:
            best = (mean_len, k)
    if best is None:
        raise IngestError(
            source_file,
            "no free-text column found (every column is empty or mostly numeric); "
            f"columns are: {', '.join(names)}",
        )
    return [best[1]], "longest"


def _median_words(values: Sequence[str]) -> int:
    return sorted(len(_WORD_RE.findall(v)) for v in values)[len(values) // 2]


def other_answer_columns(
    names: Sequence[str], rows: Sequence[Sequence[str]], chosen: int, skip: Iterable[int | None] = ()
) -> list[str]:
    """Names of the columns other than ``chosen`` (and ``skip``) that read like answers."""
    filled = sum(bool(row[chosen].strip()) for row in rows)
    skipped = set(skip)
    out = []
    for k, name in enumerate(names):
        if k == chosen or k in skipped:
            continue
        values = [row[k].strip() for row in rows if row[k].strip()]
        if (values and len(values) * 2 >= filled and len(set(values)) >= _MIN_DISTINCT * len(values)
                and _median_words(values) >= MIN_MEDIAN_WORDS):
            out.append(name)
    return out


def columns_note(documents: Iterable[Document]) -> str | None:
    """What a reader must know when a survey holds answers in columns the run left out."""
    parts = [
        f"{doc.source_file} ({', '.join(doc.metadata['other_text_columns'])} beside {doc.metadata['text_column']})"
        for doc in documents
        if doc.metadata.get("other_text_columns")
    ]
    if not parts:
        return None
    return (
        "only one text column of a survey is analysed, and these hold answers too: " + "; ".join(parts)
        + "; name every column to analyse with --text-column, separated by commas"
    )
