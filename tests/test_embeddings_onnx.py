from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import nlp.embeddings_onnx as eo
from nlp.embeddings import ModelIntegrityError, default_model_path

# Varied on purpose: a one-word answer, a question, a list, non-ASCII, a number-heavy line and
# one long enough (> 256 tokens) to be truncated as sentence-transformers truncates it.
SENTENCES = [
    "Yes.",
    "They need more advanced planning.",
    "Bring in the politicians and the local press earlier.",
    "Why was the consultation held during the school holidays?",
    "Parking, signage, and the opening hours were all mentioned.",
    "The café owner said the new rules were “a disaster” for trade.",
    "Roughly 40% of the 250 respondents wanted evening sessions after 6pm.",
    "I don't think anyone listened to us at all, honestly.",
    "More journalists should cover council meetings.",
    "A shared minibus for rural villages would help older residents attend.",
    "Overall the workshop was useful but far too short.",
    " ".join(["The facilitators kept changing the agenda without telling anyone."] * 30),
]


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory):
    """Cache root for this module's models: the fp32 trace and its int8 quantisation, built once."""
    return tmp_path_factory.mktemp("onnx-models")


@pytest.fixture(scope="module")
def int8_embedder(onnx_dir):
    return eo.onnx_embedder(onnx_dir, quantize=True)


def test_int8_vectors_are_unit_float32_rows(int8_embedder):
    v = int8_embedder.embed(SENTENCES)
    assert v.shape == (len(SENTENCES), 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert int8_embedder.embed([]).shape == (0, 384)


def test_int8_stays_close_to_torch_fp32(int8_embedder, torch_embedder):
    cos = np.sum(int8_embedder.embed(SENTENCES) * torch_embedder.embed(SENTENCES), axis=1)
    assert cos.mean() >= 0.98, cos
    assert cos.min() >= 0.9, cos


def test_fp32_export_matches_torch_and_keeps_input_order(onnx_dir, torch_embedder):
    fp32 = eo.onnx_embedder(onnx_dir, quantize=False)
    # Reversed input, so length-sorted batching has to put every row back in place.
    texts = SENTENCES[::-1]
    cos = np.sum(fp32.embed(texts) * torch_embedder.embed(texts), axis=1)
    assert cos.min() > 0.9999, cos


def test_fp32_vectors_do_not_depend_on_batch_size_or_threads(onnx_dir):
    # Batches run side by side on several threads: every row must still land in its place,
    # and a text's vector must not depend on how the texts were cut into batches.
    fp32 = eo.onnx_embedder(onnx_dir, quantize=False)
    texts = SENTENCES[::-1]
    one_by_one = np.stack([fp32.embed([t])[0] for t in texts])
    for batch_size, threads in ((3, 3), (5, 2), (32, 1)):
        other = eo.OnnxEmbedder(fp32.onnx_path, fp32.model_dir, fp32.source_sha256, "fp32", batch_size=batch_size, threads=threads)
        np.testing.assert_allclose(other.embed(texts), one_by_one, atol=1e-5)


def test_int8_gives_a_text_the_same_vector_alone_in_a_batch_and_in_any_order(int8_embedder):
    # Batched, int8's one activation scale per batch moved a text's vector with its batch-mates
    # and their padding, so reruns after a different cache history differed. Each text alone:
    # bit-identical vectors whatever the company, order, batch size or threads.
    assert int8_embedder.alone
    alone = np.stack([int8_embedder.embed([t])[0] for t in SENTENCES])
    np.testing.assert_array_equal(int8_embedder.embed(SENTENCES), alone)
    shuffled = np.random.default_rng(0).permutation(len(SENTENCES))
    np.testing.assert_array_equal(int8_embedder.embed([SENTENCES[i] for i in shuffled]), alone[shuffled])
    e = int8_embedder
    for batch_size, threads in ((3, 3), (32, 1)):
        other = eo.OnnxEmbedder(e.onnx_path, e.model_dir, e.source_sha256, e.variant, batch_size=batch_size, threads=threads)
        np.testing.assert_array_equal(other.embed(SENTENCES[::-1]), alone[::-1])
    # The old batched int8 does move with its batch-mates, which is why its cache key differs.
    batched = eo.OnnxEmbedder(e.onnx_path, e.model_dir, e.source_sha256, e.variant, alone=False)
    assert not np.array_equal(batched.embed(SENTENCES), alone)
    assert batched.model_sha256 != e.model_sha256


def test_int8_has_its_own_cache_key_but_names_its_source(int8_embedder, torch_embedder):
    assert int8_embedder.model_sha256 != torch_embedder.model_sha256
    assert int8_embedder.model_sha256.startswith(torch_embedder.model_sha256)
    assert int8_embedder.source_sha256 == torch_embedder.model_sha256


def test_exported_model_is_reused(onnx_dir, int8_embedder, monkeypatch):
    before = int8_embedder.onnx_path.stat()

    def no_export(*args, **kwargs):
        raise AssertionError("the cached ONNX model was exported again")

    monkeypatch.setattr(eo.export, "_export_fp32", no_export)
    monkeypatch.setattr(eo.export, "_quantize", no_export)
    again = eo.onnx_embedder(onnx_dir, quantize=True)
    after = again.onnx_path.stat()
    assert again.onnx_path == int8_embedder.onnx_path
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_tampered_source_weights_are_refused_before_export(tmp_path, monkeypatch):
    model_dir = tmp_path / "model"
    shutil.copytree(default_model_path(), model_dir, ignore=shutil.ignore_patterns("model.safetensors"))
    (model_dir / "model.safetensors").write_bytes(b"not the official weights")
    monkeypatch.setattr(eo.export, "_export_fp32", lambda *a, **k: pytest.fail("exported unverified weights"))
    with pytest.raises(ModelIntegrityError, match="does not match the pinned"):
        eo.onnx_embedder(tmp_path / "onnx", model_dir=model_dir)
    assert not (tmp_path / "onnx").exists()


def test_tampered_cached_export_is_refused(onnx_dir, int8_embedder, tmp_path):
    copy = tmp_path / "onnx"
    variant = Path(int8_embedder.source_sha256) / int8_embedder.variant
    shutil.copytree(onnx_dir / variant, copy / variant)
    victim = copy / variant / "model.onnx"
    victim.write_bytes(victim.read_bytes()[:-16] + b"\0" * 16)
    with pytest.raises(ModelIntegrityError, match="recorded when it was exported"):
        eo.onnx_embedder(copy, quantize=True, reduce_range=int8_embedder.variant.endswith("r7"))
