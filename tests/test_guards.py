"""An empty batch stops with every file named; a tiny one gets a note instead of topics."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.guards import MIN_TOPIC_QUOTES, NothingUsableError, check_usable, topics_note
from nlp.ingest import ingest_dir
from nlp.quotes import split_quotes


def test_nothing_usable_lists_every_file_and_why(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "empty.txt").write_bytes(b"")
    (raw / "scan.pdf").write_bytes(b"%PDF-1.7\n")
    (raw / "only_questions.txt").write_text("Interviewer: Hello?\nInterviewer: Anyone?\n")
    (raw / ".notes").write_text("x")
    result = ingest_dir(raw)
    quotes = split_quotes(result.documents)
    with pytest.raises(NothingUsableError) as info:
        check_usable(raw, result.inputs, result.documents, quotes)
    assert str(info.value).splitlines() == [
        f"no usable input in {raw}: no file gave a quote, so nothing was written and the "
        "previous outputs are left as they were.",
        "  - .notes: skipped (hidden file (name starts with '.'): skipped, not read)",
        "  - empty.txt: empty file (0 bytes)",
        "  - only_questions.txt: read as transcript, but no answer in it gave a quote",
        "  - scan.pdf: binary content, not text: looks like a PDF document",
    ]
    with pytest.raises(NothingUsableError, match="the folder holds no files"):
        check_usable(raw, (), (), ())


def test_topics_note_counts_distinct_quotes(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    turns = "".join(f"Interviewer: Q{i}?\nP1: Answer number {i} is about the portal.\n" for i in range(12))
    (raw / "t.txt").write_text(turns)
    quotes = split_quotes(ingest_dir(raw).documents)
    assert topics_note(quotes) is None
    note = topics_note(quotes[: MIN_TOPIC_QUOTES - 1] * 3)
    assert note is not None and note.startswith(f"topics need more text: {MIN_TOPIC_QUOTES - 1} distinct quotes")
