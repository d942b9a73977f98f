"""One fresh pipeline run on the seed, shared by the tests of the researcher-facing outputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory, seed_path, real_embedder, shared_onnx) -> Path:
    """A finished run on the seed alone, with its own embedding cache; treat it as read-only.

    ``real_embedder`` is requested so the model loads once for the whole session: the run
    reuses the same process-wide instance.
    """
    from nlp.config import PipelineConfig
    from nlp.run import run_pipeline

    root = tmp_path_factory.mktemp("seed-run")
    raw = root / "raw"
    raw.mkdir()
    shutil.copy(seed_path, raw / seed_path.name)
    shared_onnx(root / "interim")
    summary = run_pipeline(PipelineConfig(raw_dir=raw, out_dir=root / "processed", cache_dir=root / "interim"))
    assert summary.status == "ok"
    return root


@pytest.fixture(scope="session")
def processed_dir(seed_run) -> Path:
    """The processed folder of the shared seed run. Do not write into it; use ``processed_copy``."""
    return seed_run / "processed"


@pytest.fixture(scope="session")
def raw_dir(seed_run) -> Path:
    return seed_run / "raw"


@pytest.fixture(scope="session")
def cache_dir(seed_run) -> Path:
    return seed_run / "interim"


@pytest.fixture
def processed_copy(processed_dir, tmp_path) -> Path:
    """A private copy of the seed run's outputs, for tests that add files to them."""
    return Path(shutil.copytree(processed_dir, tmp_path / "processed"))
