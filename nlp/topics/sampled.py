"""UMAP fitted on a seeded sample of a large corpus, the other quotes placed in its layout.

A cold run of 100,000 quotes spent most of its topic stage in UMAP on every quote, and about
30 CPU s of it numba compiling pynndescent, which UMAP calls from 4,096 points on and which
cannot be cached. Above ``TopicConfig.layout_sample`` quotes, UMAP is fitted on a seeded sample
of that many (below 4,096 its exact numpy path runs: no pynndescent), and every other quote is
placed at the similarity-weighted mean of its most similar sampled quotes' coordinates
(``nlp.topics.stability.place_in_layout``, the same placement as a rerun that adds quotes).
Ward then cuts the whole layout as before. Measured in README, "Scale".
"""

from __future__ import annotations

import numpy as np

__all__ = ["SampledLayout"]


class SampledLayout:
    """A UMAP whose ``fit_transform`` fits ``sample`` seeded rows and places the rest.

    ``k`` is the number of most similar sampled rows a placed row is averaged over. A warm start
    (``umap.init`` an array, one row per quote) is cut to the sampled rows.
    """

    def __init__(self, umap, sample: int, seed: int, k: int) -> None:
        self.umap = umap
        self.sample = sample
        self.seed = seed
        self.k = k
        self.embedding_: np.ndarray | None = None

    def fit_transform(self, X, y=None) -> np.ndarray:
        from nlp.topics.stability import place_in_layout

        X = np.asarray(X, dtype=np.float32)
        n = len(X)
        if n <= self.sample:
            self.embedding_ = np.asarray(self.umap.fit_transform(X), dtype=np.float32)
            return self.embedding_
        # Sorted, so the sample keeps the corpus order UMAP's seeded sampling follows.
        fitted_rows = np.sort(np.random.default_rng(self.seed).choice(n, self.sample, replace=False))
        rest = np.setdiff1d(np.arange(n), fitted_rows)
        if isinstance(self.umap.init, np.ndarray):
            self.umap.init = self.umap.init[fitted_rows]
        fitted = np.asarray(self.umap.fit_transform(X[fitted_rows]), dtype=np.float32)
        out = np.empty((n, fitted.shape[1]), dtype=np.float32)
        out[fitted_rows] = fitted
        out[rest] = place_in_layout(X[rest], X[fitted_rows], fitted, self.k)
        self.embedding_ = out
        return out

    def fit(self, X, y=None) -> SampledLayout:
        self.fit_transform(X, y)
        return self

    def transform(self, X) -> np.ndarray:
        return self.umap.transform(X)
