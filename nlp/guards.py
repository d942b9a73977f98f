"""What a run does when its batch is empty or too small: a clear stop, or a clear note.

- No input file gave a quote (every file refused, skipped, a duplicate, or read but empty):
  ``NothingUsableError``, whose message lists every file and why. The run stops before it
  writes anything, so the previous outputs stay as they were, and the entry points exit
  non-zero with that message instead of a traceback.
- Fewer than ``MIN_TOPIC_QUOTES`` distinct quotes: too little text for topics (the clustering
  needs several quotes per topic and several topics to compare). Quotes, sentiment and
  recommendations are still written; every quote's ``topic_id`` is -1, ``topics.parquet`` is
  empty, and ``topics_note`` gives the sentence the manifest and the log carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nlp.schemas import Document, InputRecord, Quote

__all__ = ["MIN_TOPIC_QUOTES", "NothingUsableError", "check_usable", "topics_note"]

# Ward clustering asks for about 1.2·√n topics and dissolves clusters under 3 quotes: below
# ten quotes that leaves at most two or three thin topics, which say nothing a reader of the
# quotes would not see at once.
MIN_TOPIC_QUOTES = 10


class NothingUsableError(RuntimeError):
    """No input file of the batch gave a quote; the message lists every file and why."""


def _why(record: InputRecord, documents: dict[str, Document]) -> str:
    if record.status == "error":
        return record.error or f"{record.file}: error"
    if record.status in ("duplicate", "skipped"):
        return f"{record.file}: {record.status} ({record.error})"
    doc = documents.get(record.file)
    kind = doc.format if doc is not None else record.format or "a known format"
    return f"{record.file}: read as {kind}, but no answer in it gave a quote"


def check_usable(
    raw_dir: Path,
    inputs: Sequence[InputRecord],
    documents: Sequence[Document],
    quotes: Sequence[Quote],
) -> None:
    """Stop the run when no file of the batch gave a quote.

    Args:
        raw_dir: The input folder, named in the message.
        inputs: What happened to every input file.
        documents: The parsed documents.
        quotes: The quotes made from them.

    Raises:
        NothingUsableError: If ``quotes`` is empty; the message names every input and why.
    """
    if quotes:
        return
    by_name = {d.source_file: d for d in documents}
    lines = [f"  - {_why(r, by_name)}" for r in inputs]
    if not lines:
        lines = ["  - the folder holds no files"]
    raise NothingUsableError(
        f"no usable input in {raw_dir}: no file gave a quote, so nothing was written and the "
        "previous outputs are left as they were.\n" + "\n".join(lines)
    )


def topics_note(quotes: Sequence[Quote]) -> str | None:
    """The note for a corpus too small for topics, or None when topics can be fitted.

    Args:
        quotes: The run's quotes; copies (``duplicate_of``) and repeated texts count once.

    Returns:
        A sentence for the manifest and the log, or None.
    """
    distinct = len({q.text for q in quotes if q.duplicate_of is None})
    if distinct >= MIN_TOPIC_QUOTES:
        return None
    return (
        f"topics need more text: {distinct} distinct quotes, at least {MIN_TOPIC_QUOTES} are "
        "needed to fit topics; quotes, sentiment and recommendations are written and every "
        "quote has topic_id -1"
    )
