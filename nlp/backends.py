"""Which embedder a run uses: the backend and the model, loaded once per process."""

from __future__ import annotations

import functools
from pathlib import Path

from nlp.config import BACKENDS, PipelineConfig
from nlp.embeddings import (
    DEFAULT_MODEL_SHA256,
    CachedEmbedder,
    Embedder,
    EmbeddingCache,
    SentenceTransformerEmbedder,
    default_model_path,
)

__all__ = ["BACKENDS", "base_embedder", "build_embedder", "is_default_model", "prepare_default_backend"]


@functools.lru_cache(maxsize=8)
def base_embedder(model_path: str | None, backend: str, cache_dir: str, progress: bool = False) -> Embedder:
    """The embedder for a model and backend, without the vector cache; one per process and key.

    Loading a model costs seconds, and every run, batch task and Dask worker asks for it again,
    so it is built once per process. ``progress`` is part of the key, so no caller ever changes
    an instance another one shares.

    Raises:
        ValueError: an unknown backend.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    # The ONNX backends export only the bundled model: the export reproduces its mean pooling and
    # normalisation, which another model's own sentence-transformers config may not use. The
    # export is cached once per machine (default_onnx_dir), not in the run's cache_dir.
    if backend.startswith("onnx") and model_path is None:
        from nlp.embeddings_onnx import onnx_embedder

        embedder = onnx_embedder(quantize=backend == "onnx-int8")
    elif model_path is None:
        embedder = SentenceTransformerEmbedder(default_model_path())
    else:
        embedder = SentenceTransformerEmbedder(Path(model_path), expected_sha256=None)
    embedder.progress = progress
    return embedder


def build_embedder(config: PipelineConfig) -> CachedEmbedder:
    """The run's embedder: bundled or configured model and backend, behind the on-disk cache."""
    base = base_embedder(
        str(config.model_path) if config.model_path else None, config.backend, str(config.cache_dir), config.progress
    )
    return CachedEmbedder(base, EmbeddingCache(config.embedding_cache_dir, base.model_sha256))


def is_default_model(sha256: str) -> bool:
    """True for the bundled all-MiniLM-L6-v2's weights, the ones the heads were trained on."""
    return sha256 == DEFAULT_MODEL_SHA256


def prepare_default_backend() -> None:
    """Build the default backend's once-per-machine parts now: its ONNX export, and the weights' hash.

    ``make setup`` calls this (``python -m nlp.backends``), so a new machine's first run does not
    export the model (about half of that run's CPU time, ``bench.startup``'s "fresh" row).
    """
    base_embedder(None, PipelineConfig().backend, "").embed(["The ONNX export is built once per machine."])


if __name__ == "__main__":
    prepare_default_backend()
