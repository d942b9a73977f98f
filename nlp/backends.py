"""Which embedder a run uses: the backend, the model, the cache key, and the manifest's record of it."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.config import PipelineConfig
from nlp.embeddings import (
    DEFAULT_MODEL_SHA256,
    CachedEmbedder,
    EmbeddingCache,
    SentenceTransformerEmbedder,
    default_embedder,
    embed_with_cache,
)
from nlp.schemas import Quote

__all__ = ["BACKENDS", "build_embedder", "head_vectors", "is_default_model", "model_record"]


# The first is the default: see PipelineConfig.backend and the README's "Embedding backends".
BACKENDS = ("onnx-fp32", "torch", "onnx-int8")


@functools.lru_cache(maxsize=4)
def _base_embedder(model_path: str | None, backend: str, cache_dir: str):
    # One loaded model per process, path and backend: tasks ask for the embedder again and again.
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "onnx-int8" or (backend == "onnx-fp32" and model_path is None):
        from nlp.embeddings_onnx import onnx_embedder

        quantize = backend == "onnx-int8"
        if model_path is not None:
            return onnx_embedder(
                Path(cache_dir) / "onnx", quantize, model_dir=Path(model_path), expected_sha256=None
            )
        return onnx_embedder(Path(cache_dir) / "onnx", quantize)
    # The default backend exports only the bundled model: the export reproduces its mean pooling
    # and normalisation, which another model's own sentence-transformers config may not use.
    if model_path is None:
        return default_embedder()
    return SentenceTransformerEmbedder(Path(model_path), expected_sha256=None)


def build_embedder(config: PipelineConfig) -> CachedEmbedder:
    """The run's embedder: bundled or configured model and backend, behind the on-disk cache."""
    base = _base_embedder(
        str(config.model_path) if config.model_path else None, config.backend, str(config.cache_dir)
    )
    base.progress = config.progress
    return CachedEmbedder(base, EmbeddingCache(config.embedding_cache_dir, base.model_sha256))


def head_vectors(quotes: Sequence[Quote], vectors: np.ndarray, embedder: CachedEmbedder) -> np.ndarray:
    """Vectors the sentiment and recommendation heads can read.

    Both heads were trained on the bundled all-MiniLM-L6-v2; when the run uses another model
    for topics, the bundled one embeds the quotes for the heads (through the same cache). An
    ONNX export of the bundled weights (fp32 within 2e-7; int8 at mean cosine 0.99) feeds the
    heads directly.
    """
    if is_default_model(getattr(embedder.embedder, "source_sha256", embedder.model_sha256)):
        return vectors
    bundled = default_embedder()
    cache = EmbeddingCache(embedder.cache.root, bundled.model_sha256)
    return embed_with_cache([q.text for q in quotes], bundled, cache)[0]


def model_record(embedder: CachedEmbedder) -> dict[str, str]:
    """Name, weights hash and local directory of the run's embedding model, for the manifest."""
    base = embedder.embedder
    return {
        "name": embedder.name,
        # The weights' hash; an ONNX export's vectors are keyed apart from torch's (embedding_key).
        "sha256": getattr(base, "source_sha256", embedder.model_sha256),
        "embedding_key": embedder.model_sha256,
        "path": str(getattr(base, "model_dir", "")),
    }


def is_default_model(sha256: str) -> bool:
    return sha256 == DEFAULT_MODEL_SHA256
