"""Faster sentence embeddings: an ONNX export of the bundled all-MiniLM-L6-v2, optionally int8.

The export is built locally from the hash-verified bundled weights, once, and cached under
``<cache_dir>/<source-weights-sha256>/<variant>/``; nothing is downloaded. Tokenisation, mean
pooling and L2 normalisation reproduce sentence-transformers exactly, so the fp32 variant gives
the torch vectors to float rounding and the int8 variant stays close to them.

Cache keys: an ``OnnxEmbedder``'s ``model_sha256`` is ``<source-sha256>-onnx-<variant>``, not
the source hash. Its vectors are not bit-identical to the torch ones (int8 ones have a mean
cosine of about 0.99 to them, about 0.96 at worst), and mixing backends under one
``EmbeddingCache`` key would make a run's output depend on which backend filled the cache first.
``source_sha256`` names the weights the export came from, for the heads trained on the torch
vectors, should the lead decide int8 vectors are close enough for them.
"""

from nlp.embeddings_onnx.embedder import MAX_SEQ_LENGTH, OnnxEmbedder, onnx_embedder
from nlp.embeddings_onnx.export import DEFAULT_ONNX_DIR, build_onnx_model, cpu_int8_flags

__all__ = [
    "DEFAULT_ONNX_DIR",
    "MAX_SEQ_LENGTH",
    "OnnxEmbedder",
    "build_onnx_model",
    "cpu_int8_flags",
    "onnx_embedder",
]
