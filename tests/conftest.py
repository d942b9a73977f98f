from __future__ import annotations

from pathlib import Path

import pytest

import flows  # noqa: F401 - switches Prefect's telemetry off (flows.offline) before any test imports Prefect

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED = REPO / "data" / "raw" / "interview_summary.txt"


@pytest.fixture(scope="session")
def real_embedder():
    """The real bundled all-MiniLM-L6-v2 on the default backend, loaded once per test session.

    Only for tests whose point is the model; everything else takes ``fake_embedder``.
    """
    from nlp.embeddings import default_embedder

    return default_embedder()


@pytest.fixture(scope="session")
def torch_embedder():
    """The bundled model on plain sentence-transformers (torch), for tests that compare backends."""
    from nlp.embeddings import SentenceTransformerEmbedder, default_model_path

    return SentenceTransformerEmbedder(default_model_path())


@pytest.fixture(scope="session")
def shared_onnx(real_embedder):
    """Point a run's cache folder at the session's ONNX export: ``shared_onnx(cache_dir)``.

    Each run with a fresh ``cache_dir`` would otherwise export the model again (torch load,
    export, check); the vector cache beside it stays the run's own.
    """
    root = Path(real_embedder.onnx_path).resolve().parents[2]

    def link(cache_dir: Path) -> Path:
        cache_dir.mkdir(parents=True, exist_ok=True)
        (cache_dir / "onnx").symlink_to(root, target_is_directory=True)
        return cache_dir

    return link


@pytest.fixture
def fake_embedder():
    """Text hash -> fixed random unit vector (``tests.fakes.FakeEmbedder``); no model loads."""
    from tests.fakes import FakeEmbedder

    return FakeEmbedder()


@pytest.fixture
def fake_models(fake_embedder):
    """Build a ``LoadedModels`` around ``fake_embedder`` for a config: ``fake_models(config)``.

    Pass it to ``run_pipeline(config, models=...)`` or to a stage.
    """
    from tests.fakes import fake_models as build

    return lambda config: build(config, fake_embedder)


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED


@pytest.fixture(scope="session")
def seed_quotes(seed_path):
    from nlp.ingest import ingest_paths
    from nlp.quotes import split_quotes

    return split_quotes(ingest_paths([seed_path]).documents)


@pytest.fixture(scope="session")
def seed_vectors(seed_quotes, real_embedder):
    return real_embedder.embed([q.text for q in seed_quotes])


@pytest.fixture(scope="session")
def cached_embedder(real_embedder, tmp_path_factory):
    """The real model behind a session-wide disk cache, as the pipeline uses it."""
    from nlp.embeddings import CachedEmbedder, EmbeddingCache

    cache = EmbeddingCache(tmp_path_factory.mktemp("embeddings"), real_embedder.model_sha256)
    return CachedEmbedder(real_embedder, cache)


@pytest.fixture(scope="session")
def seed_topics(seed_quotes, seed_vectors, cached_embedder):
    """The topic stage fitted once on the seed with the real model."""
    from nlp.topics import fit_topics

    return fit_topics(seed_quotes, seed_vectors, cached_embedder)


@pytest.fixture(scope="session")
def prefect_harness():
    """A throwaway Prefect API for the whole session: one server start, not one per flow run."""
    from prefect.settings import PREFECT_SERVER_ANALYTICS_ENABLED, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # Tests stay offline: the server's telemetry heartbeat would try to reach the internet.
    # A loaded machine starts the server slowly, hence the generous timeout.
    with (
        temporary_settings(updates={PREFECT_SERVER_ANALYTICS_ENABLED: False}),
        prefect_test_harness(server_startup_timeout=120),
    ):
        yield
