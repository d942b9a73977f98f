"""``OnnxEmbedder``: sentence embeddings from an exported model with onnxruntime."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from nlp.embeddings import (
    DEFAULT_MODEL_NAME,
    DEFAULT_MODEL_SHA256,
    EMBEDDING_DIM,
    default_model_path,
    verify_model_dir,
)
from nlp.embeddings_onnx.export import _has_vnni, _variant, build_onnx_model

__all__ = ["BATCH_SIZE", "MAX_SEQ_LENGTH", "OnnxEmbedder", "onnx_embedder", "usable_cores"]

# From the bundled model's sentence_bert_config.json; tokenizer.json itself says 128.
MAX_SEQ_LENGTH = 256
# Texts per forward pass. Small batches of length-sorted texts waste little on padding and
# keep a run's activations in cache: per CPU second, 4-8 texts were about 15% faster than 32.
BATCH_SIZE = 8


def usable_cores() -> int:
    """Physical cores this process may run on: hyperthread siblings add little to matrix products."""
    # Affinity, not cpu_count: a container or taskset may allow fewer cores than the host has.
    affinity = getattr(os, "sched_getaffinity", None)
    logical = len(affinity(0)) if affinity is not None else os.cpu_count() or 1
    try:
        import psutil

        physical = psutil.cpu_count(logical=False) or logical
    except ImportError:  # psutil comes with Prefect, but the embedder does not need it
        physical = logical
    host = os.cpu_count() or logical
    # The allowed share of the host's physical cores, at least one.
    return max(1, min(logical, round(logical * physical / host)))


class OnnxEmbedder:
    """An ``Embedder`` running an exported all-MiniLM-L6-v2 with onnxruntime on the CPU.

    Texts are tokenised once, sorted by length and cut into small batches, so each batch is
    padded only to its own longest text; vectors come back in input order. Each batch runs on
    one onnxruntime thread, and ``threads`` batches run side by side. Against one session
    spreading 32-text batches over both cores, that took 30-34% fewer CPU seconds for the same
    vectors (``bench.embed_speed``, 2-core AVX2 host under load: 2.99x and 2.88x plain torch per
    CPU second on the seed and Polis, against 2.09x and 1.91x): small products split across
    threads spend much of their time waiting for each other, and onnxruntime's waiting threads
    spin on cores other jobs need.

    int8 runs each text alone (``alone``): onnxruntime's dynamic quantisation takes one
    activation scale per input tensor, so in a batch a text's vector moved with its batch-mates
    and their padding (cosine 0.991 alone against beside a longer sentence), and the embedding
    cache then made a run's output depend on what it had seen before. Alone, a text's int8
    vector is the same in any batch and any order; on a VNNI CPU that costs about a third of
    batched int8's texts per CPU second (``bench.embed_speed``: 1.2-1.4x fp32 instead of 2.1x).
    Batches of ``batch_size`` texts are still handed to the worker threads, which run their
    texts one by one. fp32's vectors do not
    depend on the batch, so it keeps batching.

    Args:
        onnx_path: the exported model, from ``build_onnx_model``.
        model_dir: the source model directory, for its tokenizer.
        source_sha256: sha256 of the source weights the export was built from.
        variant: ``"fp32"``, ``"int8"`` or ``"int8-r7"``; part of ``model_sha256``.
        batch_size: texts per forward pass.
        threads: batches run at once, each on one thread; ``None`` uses every physical core
            this process may run on.
        progress: show a progress bar over the batches.
        alone: run each text as its own forward pass (no batch-mates, no padding); ``None``
            does so for the int8 variants. Alone int8 vectors get their own cache key
            (``-alone``), as they differ from batched ones.
    """

    dim = EMBEDDING_DIM

    def __init__(
        self,
        onnx_path: Path,
        model_dir: Path,
        source_sha256: str,
        variant: str,
        name: str | None = None,
        batch_size: int = BATCH_SIZE,
        threads: int | None = None,
        progress: bool = False,
        alone: bool | None = None,
    ) -> None:
        self.onnx_path = Path(onnx_path)
        self.model_dir = Path(model_dir)
        self.source_sha256 = source_sha256
        self.variant = variant
        self.alone = variant.startswith("int8") if alone is None else alone
        # fp32's vectors are the same alone or batched; int8's are not, so they get their own key.
        suffix = "-alone" if self.alone and variant.startswith("int8") else ""
        self.model_sha256 = f"{source_sha256}-onnx-{variant}{suffix}"
        base = DEFAULT_MODEL_NAME if source_sha256 == DEFAULT_MODEL_SHA256 else str(self.model_dir)
        self.name = name or f"{base} (onnx {variant})"
        self.batch_size = batch_size
        self.threads = threads or usable_cores()
        self.progress = progress
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    @property
    def batch_independent(self) -> bool:
        """A text's vector is the same whatever it is batched with: fp32 always, int8 run alone."""
        return self.alone or not self.variant.startswith("int8")

    def _load(self):
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
                tokenizer.no_padding()
                self._session = ort.InferenceSession(
                    str(self.onnx_path), self._session_options(ort), providers=["CPUExecutionProvider"]
                )
                self._tokenizer = tokenizer
        return self._session, self._tokenizer

    def _session_options(self, ort):
        """One thread per run; ``embed`` runs batches side by side instead. No spinning: a thread
        waiting for work would hold a core that other jobs (or the other batch) need."""
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return options

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` into an (n, 384) float32 array of unit-length rows."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        session, tokenizer = self._load()
        ids = [enc.ids for enc in tokenizer.encode_batch(texts)]
        order = np.argsort([len(x) for x in ids], kind="stable")
        batches = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]

        def run(rows: np.ndarray) -> None:
            if self.alone:
                for k in range(len(rows)):
                    forward(rows[k : k + 1])
            else:
                forward(rows)

        def forward(rows: np.ndarray) -> None:
            width = max(len(ids[i]) for i in rows)
            input_ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                input_ids[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            feed = {
                "input_ids": input_ids,
                "attention_mask": mask,
                "token_type_ids": np.zeros_like(input_ids),
            }
            hidden = session.run(None, feed)[0]
            out[rows] = _mean_pool_normalise(hidden, mask)  # rows of distinct batches never overlap

        progress = None
        if self.progress:
            from tqdm.auto import tqdm

            progress = tqdm(total=len(batches), desc="Batches", unit="batch")
        workers = min(self.threads, len(batches))
        try:
            if workers > 1:
                # onnxruntime releases the GIL during a run, so the batches really overlap.
                with ThreadPoolExecutor(workers, thread_name_prefix="onnx-embed") as pool:
                    for _ in pool.map(run, batches):
                        if progress is not None:
                            progress.update()
            else:
                for rows in batches:
                    run(rows)
                    if progress is not None:
                        progress.update()
        finally:
            if progress is not None:
                progress.close()
        return out


def _mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' Pooling (mean over the mask) followed by its Normalize."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    mean = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(mean, axis=1, keepdims=True)
    return (mean / np.maximum(norms, 1e-12)).astype(np.float32)


def onnx_embedder(
    cache_dir: Path | None = None,
    quantize: bool = True,
    *,
    model_dir: Path | None = None,
    expected_sha256: str | None = DEFAULT_MODEL_SHA256,
    reduce_range: bool | None = None,
    batch_size: int = BATCH_SIZE,
    threads: int | None = None,
) -> OnnxEmbedder:
    """An ``OnnxEmbedder`` for the bundled model, exporting it on first use.

    Args:
        cache_dir: root of the ONNX cache; defaults to ``default_onnx_dir()`` (once per machine).
        quantize: int8 dynamic quantisation (about 4x smaller; see the module docstring).
        model_dir: a sentence-transformers model directory; defaults to the bundled one.
        expected_sha256: pinned hash of its ``model.safetensors``, checked before any export.
        reduce_range: 7-bit weights; ``None`` picks them only on CPUs without VNNI.
        batch_size: texts per forward pass.
        threads: batches run at once, one thread each.

    Raises:
        ModelIntegrityError: the source weights or a cached export fail their hash check.
    """
    model_dir = Path(model_dir) if model_dir is not None else default_model_path()
    source = verify_model_dir(model_dir, expected_sha256)
    if reduce_range is None:
        reduce_range = quantize and not _has_vnni()
    path = build_onnx_model(model_dir, source, cache_dir, quantize, reduce_range)
    return OnnxEmbedder(
        path,
        model_dir,
        source,
        _variant(quantize, reduce_range),
        batch_size=batch_size,
        threads=threads,
    )
