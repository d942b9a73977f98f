from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nlp.embeddings import (
    EmbeddingCache,
    ModelIntegrityError,
    SentenceTransformerEmbedder,
    embed_with_cache,
)


class CountingEmbedder:
    """Fake embedder: deterministic unit vectors, counting every text it is asked for."""

    name = "fake"
    model_sha256 = "f" * 64
    dim = 8

    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed(self, texts):
        self.calls.extend(texts)
        rng = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=self.dim) for t in texts]
        v = np.array(rng, dtype=np.float32).reshape(len(texts), self.dim)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_real_model_gives_unit_float32_vectors(real_embedder):
    v = real_embedder.embed(["They need more advanced planning", "Bring in the politicians."])
    assert v.shape == (2, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    similar = real_embedder.embed(["Need more journalists", "They should involve more journalists"])
    assert float(similar[0] @ similar[1]) > float(v[0] @ v[1])


def test_empty_input_gives_empty_matrix(real_embedder):
    assert real_embedder.embed([]).shape == (0, 384)


def test_tampered_weights_are_refused(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not the official weights")
    with pytest.raises(ModelIntegrityError, match="does not match the pinned"):
        SentenceTransformerEmbedder(tmp_path)


def test_missing_weights_are_refused(tmp_path):
    with pytest.raises(ModelIntegrityError, match="no model.safetensors"):
        SentenceTransformerEmbedder(tmp_path)


def test_cache_embeds_each_text_once_ever(tmp_path):
    fake = CountingEmbedder()
    cache = EmbeddingCache(tmp_path, fake.model_sha256)
    first, new = embed_with_cache(["a b", "c d", "a b"], fake, cache)
    assert new == 2 and fake.calls == ["a b", "c d"]
    again, new = embed_with_cache(["c d", "a b", "e f"], fake, EmbeddingCache(tmp_path, fake.model_sha256))
    assert new == 1 and fake.calls[-1] == "e f"
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[0])


def test_cache_is_keyed_by_model(tmp_path):
    fake = CountingEmbedder()
    embed_with_cache(["x"], fake, EmbeddingCache(tmp_path, "a" * 64))
    _, new = embed_with_cache(["x"], fake, EmbeddingCache(tmp_path, "b" * 64))
    assert new == 1


def test_loading_and_embedding_open_no_socket():
    """A fresh process loads the bundled model and embeds with every socket connect refused."""
    script = textwrap.dedent(
        """
        import socket
        def refuse(*args, **kwargs):
            raise AssertionError(f"network access attempted: {args}")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        import nlp.embeddings as e
        v = e.default_embedder().embed(["offline"])  # exports the ONNX model if it is missing
        assert v.shape == (1, 384)
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")


def test_unknown_backend_is_refused_with_the_choices(tmp_path):
    from nlp.config import PipelineConfig
    from nlp.backends import build_embedder

    with pytest.raises(ValueError, match="onnx-fp32, onnx-int8, torch"):
        build_embedder(PipelineConfig(backend="tensorflow", cache_dir=tmp_path))


def test_default_backend_exports_only_the_bundled_model_once_per_machine(tmp_path):
    # Another model's pooling may differ from the export's mean pooling, so a configured model
    # runs on sentence-transformers; the bundled one on its fp32 ONNX export, which lives in the
    # machine cache rather than in each project's cache folder.
    from nlp.config import PipelineConfig
    from nlp.embeddings import SentenceTransformerEmbedder, default_model_path
    from nlp.embeddings_onnx import OnnxEmbedder, default_onnx_dir
    from nlp.backends import build_embedder

    bundled = build_embedder(PipelineConfig(cache_dir=tmp_path))
    configured = build_embedder(PipelineConfig(cache_dir=tmp_path, model_path=default_model_path()))
    int8 = build_embedder(PipelineConfig(cache_dir=tmp_path, backend="onnx-int8"))

    assert isinstance(bundled.embedder, OnnxEmbedder) and bundled.embedder.variant == "fp32"
    assert Path(bundled.embedder.onnx_path).resolve().is_relative_to(default_onnx_dir().resolve())
    assert not (tmp_path / "onnx").exists()
    assert isinstance(configured.embedder, SentenceTransformerEmbedder)
    # Each backend's vectors keep their own cache key, so a cache never mixes them.
    assert int8.embedder.variant.startswith("int8") and int8.cache.model_sha256 != bundled.cache.model_sha256


def test_default_backend_gives_a_text_the_same_vector_whatever_it_is_batched_with():
    # int8's activations are quantised per batch, so its vector of a text moves with the
    # batch-mates (cosine about 0.99): keywords and names then depend on what the cache saw
    # first. The default must not.
    from nlp.embeddings import default_embedder

    embedder = default_embedder()
    alone = embedder.embed(["private sector engagement"])[0]
    batched = embedder.embed([
        "private sector engagement",
        "A much longer sentence about the helpdesk answering questions from governments in many countries.",
    ])[0]
    np.testing.assert_allclose(alone, batched, atol=1e-5)
