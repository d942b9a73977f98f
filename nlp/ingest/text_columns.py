"""Survey columns that hold answers besides the one a run analyses.

A survey export often asks several open questions, one column each. The reader analyses one
text column (named with ``--text-column``, else detected); when it was detected, any other
column that reads like answers too is named in the document's metadata
(``other_text_columns``) and in a run note, so a second question is never left out unsaid.
A column reads like answers when nearly every value differs (not a category, nor an
instruction repeated on every row), it is filled in at least half of the rows the analysed
column is, and its values run to a sentence (median ``MIN_MEDIAN_WORDS`` words): coders' code
labels ("richness of visuals; own involvement") and dates stay out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from nlp.schemas import Document

__all__ = ["MIN_MEDIAN_WORDS", "columns_note", "other_answer_columns"]

MIN_MEDIAN_WORDS = 10
_MIN_DISTINCT = 0.9
_WORD_RE = re.compile(r"[^\W\d_]{2,}")


def _median_words(values: Sequence[str]) -> int:
    return sorted(len(_WORD_RE.findall(v)) for v in values)[len(values) // 2]


def other_answer_columns(names: Sequence[str], rows: Sequence[Sequence[str]], chosen: int, skip: Iterable[int | None] = ()) -> list[str]:
    """Names of the columns other than ``chosen`` (and ``skip``) that read like answers."""
    filled = sum(bool(row[chosen].strip()) for row in rows)
    out = []
    for k, name in enumerate(names):
        if k == chosen or k in set(skip):
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
        + "; name the one to analyse with --text-column"
    )
