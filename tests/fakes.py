"""Fakes for unit tests: an embedder without a model, and a loaded-models record around it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.embeddings import DEFAULT_MODEL_SHA256, EMBEDDING_DIM

__all__ = ["ANSWERS", "FakeEmbedder", "fake_models"]


class FakeEmbedder:
    """Maps each text's hash to a fixed random unit vector: deterministic, instant, meaningless.

    Identical texts get identical vectors and different texts nearly orthogonal ones, which is
    all the plumbing needs. It claims the bundled model's weights as ``source_sha256`` so the
    trained heads accept its vectors (and score them as noise); its cache key is its own, so
    fake vectors never mix with real ones in a cache.
    """

    name = "fake-embedder"
    dim = EMBEDDING_DIM
    model_dir = None
    progress = False

    def __init__(self, source_sha256: str = DEFAULT_MODEL_SHA256) -> None:
        self.source_sha256 = source_sha256
        self.model_sha256 = "fake-" + source_sha256[:16]
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim)
            out[i] = v / np.linalg.norm(v)
        return out


def fake_models(config, embedder: FakeEmbedder | None = None):
    """A ``LoadedModels`` for ``config`` with ``embedder`` (a new ``FakeEmbedder``) and the real heads.

    The heads are small JSON files, so they stay real; no sentence-transformers model loads.
    """
    from nlp.embeddings import CachedEmbedder, EmbeddingCache
    from nlp.loaded import LoadedModels
    from nlp.recommendations import default_head
    from nlp.sentiment import default_scorer

    embedder = embedder or FakeEmbedder()
    cache = EmbeddingCache(Path(config.embedding_cache_dir), embedder.model_sha256)
    return LoadedModels(
        config=config,
        embedder=CachedEmbedder(embedder, cache),
        sentiment=default_scorer(),
        recommendation_head=default_head(),
    )


# Twelve short, distinct interview answers on one programme, for runs that need real-looking text.
ANSWERS = [
    "The weekly check-ins with the city team helped us plan the rollout.",
    "We needed faster replies from the helpdesk when the portal was down.",
    "Training on the data standard was the most useful part for our staff.",
    "Peer exchanges with other cities gave us ideas for procurement reform.",
    "More guidance on publishing contract amendments would help us a lot.",
    "The dashboard made it easy to show results to the mayor's office.",
    "Funding for a data officer should continue after the programme ends.",
    "Civil society groups used the open data to monitor road contracts.",
    "Translating the guides into Spanish would reach many more officials.",
    "Our legal team still doubts that publishing contracts is allowed.",
    "The helpdesk should answer within two days, not two weeks.",
    "We would like a shared template for tender notices across agencies.",
]
