"""The models a run uses, loaded once and passed to the stages that need them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlp.backends import base_embedder, build_embedder, is_default_model
from nlp.config import PipelineConfig
from nlp.embeddings import CachedEmbedder, EmbeddingCache, embed_with_cache
from nlp.manifest import ModelRecord
from nlp.recommendations import RecommendationHead
from nlp.recommendations import default_head as default_recommendation_head
from nlp.sentiment import HeadScorer, default_scorer

__all__ = ["LoadedModels", "load_models"]


@dataclass(frozen=True)
class LoadedModels:
    """The run's embedder, sentiment scorer and recommendation head.

    Built once per run by ``load_models`` (tests build it with a fake embedder) and handed to
    every stage. Sent to another process (a Dask worker), it travels as its config and is
    loaded there again, once per process: models do not pickle, and need not.

    Attributes:
        config: the settings the models were loaded for.
        embedder: the run's model and backend, behind the on-disk vector cache.
        sentiment: scores quotes from the head vectors.
        recommendation_head: flags recommending quotes from the head vectors.
        head_embedder: the bundled model for the heads when the run embeds with another
            model (the heads were trained on the bundled one); ``None`` when the run's own
            vectors feed the heads.
    """

    config: PipelineConfig
    embedder: CachedEmbedder
    sentiment: HeadScorer
    recommendation_head: RecommendationHead
    head_embedder: CachedEmbedder | None = None

    def __reduce__(self):
        return (load_models, (self.config,))

    @property
    def record(self) -> ModelRecord:
        """Name, weights hash, cache key and local directory of the embedding model, for the manifest."""
        return ModelRecord(
            name=self.embedder.name,
            sha256=self.embedder.source_sha256,
            embedding_key=self.embedder.model_sha256,
            path=str(self.embedder.model_dir or ""),
        )

    def head_vectors(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Vectors the sentiment and recommendation heads can read, for ``texts``.

        Both heads were trained on the bundled all-MiniLM-L6-v2; an export of those weights
        (fp32 within 2e-7; int8 at mean cosine 0.99) feeds them directly. When the run uses
        another model, the bundled one embeds the texts for the heads, through the same cache.
        """
        if self.head_embedder is None:
            return vectors
        return embed_with_cache(list(texts), self.head_embedder.embedder, self.head_embedder.cache)[0]


def load_models(config: PipelineConfig) -> LoadedModels:
    """Load (or reuse, within this process) the models ``config`` asks for."""
    embedder = build_embedder(config)
    head_embedder = None
    if not is_default_model(embedder.source_sha256):
        bundled = base_embedder(None, PipelineConfig().backend, str(config.cache_dir), config.progress)
        head_embedder = CachedEmbedder(bundled, EmbeddingCache(config.embedding_cache_dir, bundled.model_sha256))
    return LoadedModels(
        config=config,
        embedder=embedder,
        sentiment=default_scorer(),
        recommendation_head=default_recommendation_head(),
        head_embedder=head_embedder,
    )
