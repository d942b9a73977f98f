from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED = REPO / "data" / "raw" / "interview_summary.txt"


@pytest.fixture(scope="session")
def real_embedder():
    """The real bundled all-MiniLM-L6-v2, loaded once per test session."""
    from nlp.embeddings import default_embedder

    return default_embedder()


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED
