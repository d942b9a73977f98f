"""Helpers for tests that ingest one small file written in the test: the file as a user's folder holds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.ingest import ingest_paths
from nlp.quotes import load_sentencizer
from nlp.schemas import Document


@pytest.fixture(scope="module")
def nlp():
    """The sentencizer the quote stage splits with."""
    return load_sentencizer()


def ingest_one(tmp_path: Path, name: str, content: str | bytes) -> Document:
    """Write ``content`` as ``tmp_path/name``, ingest it, and return its document (it must read)."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = ingest_paths([path])
    assert [r.status for r in result.inputs] == ["ok"], result.inputs
    return result.documents[0]
