"""Does a CSV start with a header row? A score over the first row's cells, column by column.

Exports of answers sometimes come without a header, and reading the first answer as column
names loses it. Each non-empty cell of the first row is compared with the rest of its column
(up to ``SAMPLE_ROWS`` rows) and adds evidence:

header evidence
- +3 the cell is a known column name (``response``, ``comment-body``, ``respondent``, … or
  the requested ``--text-column``);
- +2 the column's other values mostly have no letters (numbers, ids, dates) and the cell is
  not of their shape (letters as ``a``, digits as ``9``, runs collapsed: ``2024-03-01`` is
  ``9-9-9``), as a title ``score`` or ``q12`` above ``4``, ``5``, ``3``;
- +1 the cell ends with ``?`` or ``:``, as a question used as a column title does;
- +1 the cell is a short label (at most 3 words) above answers whose median is 6 words or more.

data evidence
- -2 the cell is a long sentence: 8 words or more, not ending with ``?`` or ``:``;
- -1 the column's other values mostly have no letters and the cell has their most common
  shape (an id, score or date in the first row).

The first row is the header when the total is 0 or more: with no evidence either way the
convention (a header) holds. So a one-column file of long answers, or an ``id, answer`` file
whose first row is ``1, The training helped…``, has no header; a file of one-word answers with
no header cannot be told from one with a header, and loses its first answer to the names.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Collection, Sequence

__all__ = ["SAMPLE_ROWS", "first_row_is_header", "norm_column"]

SAMPLE_ROWS = 200
_LETTER_RE = re.compile(r"[^\W\d_]")
_WORD_RE = re.compile(r"\w+")
_LETTERS_RE = re.compile(r"[^\W\d_]+")
_DIGIT_RE = re.compile(r"\d+")
_RUN_RE = re.compile(r"(.)\1+")


def _mostly_letterless(value: str) -> bool:
    """True for numbers, ids and dates: under half of the visible characters are letters."""
    visible = [ch for ch in value if not ch.isspace()]
    return sum(bool(_LETTER_RE.match(ch)) for ch in visible) * 2 < len(visible)


def _shape(value: str) -> str:
    """``2024-03-01 10:00`` -> ``9-9-9 9:9``: letters as ``a``, digits as ``9``, runs collapsed."""
    return _RUN_RE.sub(r"\1", _DIGIT_RE.sub("9", _LETTERS_RE.sub("a", value)))


def norm_column(name: str) -> str:
    """A column name compared loosely: lower case, ``-``/``_`` as spaces."""
    return " ".join(name.lower().replace("-", " ").replace("_", " ").split())


def _cell_score(cell: str, others: list[str], known: set[str]) -> int:
    value = cell.strip()
    if not value:
        return 0
    if norm_column(value) in known:
        return 3
    n_words = len(_WORD_RE.findall(value))
    question = value.endswith(("?", ":"))
    others = [v.strip() for v in others if v.strip()]
    numeric_column = bool(others) and sum(map(_mostly_letterless, others)) * 2 > len(others)
    if numeric_column:
        usual = Counter(map(_shape, others)).most_common(1)[0][0]
        return -1 if _shape(value) == usual else 2
    if question:
        return 1
    if n_words >= 8:
        return -2
    if others and n_words <= 3:
        if statistics.median(len(_WORD_RE.findall(v)) for v in others) >= 6:
            return 1
    return 0


def first_row_is_header(
    rows: Sequence[Sequence[str]],
    known_names: Collection[str],
    text_column: str | None = None,
) -> bool:
    """True when the first of ``rows`` reads as column names rather than as data.

    Args:
        rows: The CSV's records as values, first row first.
        known_names: Column names that only a header holds (compared lower case, with ``-``
            and ``_`` as spaces).
        text_column: The column(s) the user named (commas between several), which the header must then hold.

    Returns:
        Whether the first row is the header, by the rule in the module docstring.
    """
    if not rows:
        return True
    known = {norm_column(n) for n in known_names}
    if text_column is not None:
        known.update(norm_column(c) for c in (text_column, *text_column.split(",")))
    first, rest = rows[0], rows[1 : SAMPLE_ROWS + 1]
    score = 0
    for k, cell in enumerate(first):
        others = [row[k] for row in rest if k < len(row)]
        score += _cell_score(cell, others, known)
    return score >= 0
