"""The words quotes share, beside what the embedding says they mean.

Human coders name themes by the words respondents use ("the helpdesk", "evidence",
"immersion"); the small sentence model places quotes by their general drift and can put two
quotes about the helpdesk apart because one is about training and the other about independence.
The topic stage therefore lays quotes out (UMAP) on their embedding joined with a low-rank
summary of their lemma TF-IDF (the same phrase analyzer as the keywords), at a fixed weight.

Measured on the same vectors (README, "Themes"; UMAP seeds 42 and 43): at weight 0.3, code
recovery on the why-art answers rose from 0.26-0.27 to 0.29-0.30, 4 rather than 2-3 of the seed's
six reader themes landed in one theme, and Banking77 kept its F1 (0.642-0.646 against 0.644).
At 0.5 the seed gained no more for sure (4-5) and Banking77, one-line messages whose intents
share most words ("card", "transfer"), lost 0.03. ``TopicConfig.lexical_weight = 0`` turns it off.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["LexicalUMAP", "lexical_features"]

LEXICAL_DIMS = 100


def lexical_features(texts: Sequence[str], analyzer, seed: int, dims: int = LEXICAL_DIMS) -> np.ndarray:
    """Unit rows of a seeded truncated SVD of sublinear lemma TF-IDF (terms in 2+ quotes).

    A quote with no shared term gets a zero row: it is placed by its embedding alone.
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from threadpoolctl import threadpool_limits

    n = len(texts)
    try:
        tfidf = TfidfVectorizer(analyzer=analyzer, min_df=2, sublinear_tf=True).fit_transform(texts)
    except ValueError:  # no term occurs twice: nothing lexical to add
        return np.zeros((n, 1), dtype=np.float32)
    k = min(dims, tfidf.shape[1] - 1, n - 1)
    if k < 1:
        return np.zeros((n, 1), dtype=np.float32)
    # One BLAS thread: the SVD's products are small (quotes x 110), and OpenBLAS's threads spent
    # 1-4 CPU s waiting on each other for 0.2 s of work on a busy 2-core machine; same result.
    with threadpool_limits(1):
        z = TruncatedSVD(k, random_state=seed).fit_transform(tfidf)
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    return (z / np.where(norms > 0, norms, 1.0)).astype(np.float32)


class LexicalUMAP:
    """A UMAP whose ``fit_transform`` sees each embedding joined with its lexical features.

    BERTopic hands its ``umap_model`` only the embeddings; the lexical rows are aligned with the
    documents of that one fit. Later ``transform`` calls (new documents) have no lexical rows
    and are placed by their embedding with zeros in the lexical part.

    ``context`` (optional, ``nlp.topics.context.sentence_context``) adds ``context_weight``
    times each document's neighbouring sentences' mean embedding before the join, in the fit only.
    """

    def __init__(self, umap, lexical: np.ndarray, weight: float, context=None, context_weight: float = 0.0) -> None:
        self.umap = umap
        self.lexical = lexical
        self.weight = weight
        self.context = context
        self.context_weight = context_weight

    def _join(self, embeddings: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        joined = np.hstack([np.asarray(embeddings, dtype=np.float32), self.weight * lexical])
        return joined / np.maximum(np.linalg.norm(joined, axis=1, keepdims=True), 1e-12)

    def _with_context(self, embeddings: np.ndarray) -> np.ndarray:
        if self.context is None or not self.context_weight:
            return embeddings
        mixed = np.asarray(embeddings, dtype=np.float32) + self.context_weight * (self.context @ embeddings)
        return mixed / np.maximum(np.linalg.norm(mixed, axis=1, keepdims=True), 1e-12)

    def fit_transform(self, embeddings: np.ndarray, y=None) -> np.ndarray:
        if len(embeddings) != len(self.lexical):
            raise ValueError(f"{len(embeddings)} embeddings but lexical features for {len(self.lexical)} documents")
        return self.umap.fit_transform(self._join(self._with_context(embeddings), self.lexical), y=y)

    def fit(self, embeddings: np.ndarray, y=None) -> LexicalUMAP:
        self.fit_transform(embeddings, y)
        return self

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        zeros = np.zeros((len(embeddings), self.lexical.shape[1]), dtype=np.float32)
        return self.umap.transform(self._join(embeddings, zeros))

    @property
    def embedding_(self) -> np.ndarray:
        return self.umap.embedding_

    def __getstate__(self) -> dict:
        # The per-fit lexical rows and sentence context are not worth saving with a model.
        return {**self.__dict__, "lexical": self.lexical[:0], "context": None}
