"""Faster sentence embeddings: an ONNX export of the bundled all-MiniLM-L6-v2, optionally int8.

The export is built locally from the hash-verified bundled weights, once per machine, and cached
under ``<cache_dir>/<source-weights-sha256>/<variant>/`` (by default ``default_onnx_dir()``, in
the per-user machine cache); nothing is downloaded. Tokenisation, mean
pooling and L2 normalisation reproduce sentence-transformers exactly, so the fp32 variant gives
the torch vectors to float rounding and the int8 variant stays close to them.

Cache keys: an ``OnnxEmbedder``'s ``model_sha256`` is ``<source-sha256>-onnx-<variant>``, not
the source hash, with ``-alone`` after int8 variants run a text at a time (the default), whose
vectors differ from batched int8's. Its vectors are not bit-identical to the torch ones (int8 ones have a mean
cosine of about 0.99 to them, about 0.96 at worst), and mixing backends under one
``EmbeddingCache`` key would make a run's output depend on which backend filled the cache first.
``source_sha256`` names the weights the export came from: the sentiment and recommendation
heads, trained on the torch vectors of those weights, read the int8 vectors directly (their
figures with int8 vectors are within the noise of fp32's: ``bench.embedder_quality``).
"""

from nlp.embeddings_onnx.embedder import MAX_SEQ_LENGTH, OnnxEmbedder, onnx_embedder
from nlp.embeddings_onnx.export import build_onnx_model, cpu_int8_flags, default_onnx_dir

__all__ = [
    "MAX_SEQ_LENGTH",
    "OnnxEmbedder",
    "build_onnx_model",
    "cpu_int8_flags",
    "default_onnx_dir",
    "onnx_embedder",
]
