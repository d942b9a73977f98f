"""Ward clustering with the interface BERTopic expects from its ``hdbscan_model``."""

from __future__ import annotations

import numpy as np

from nlp.topics.config import n_topics_for

__all__ = ["WardClusterer"]


class WardClusterer:
    """Ward agglomerative clustering with the ``fit``/``labels_``/``predict`` BERTopic expects.

    Clusters below ``min_size`` are labelled ``-1`` so BERTopic treats them as outliers.
    ``predict`` assigns new points to the nearest cluster centroid in the reduced space.
    """

    def __init__(
        self, n_clusters: int | None = None, min_size: int = 3, max_fit: int = 8000, seed: int = 42
    ) -> None:
        self.n_clusters = n_clusters
        self.min_size = min_size
        self.max_fit = max_fit
        self.seed = seed
        self.labels_: np.ndarray | None = None
        self.centroids_: np.ndarray | None = None

    def fit(self, X: np.ndarray, y=None) -> WardClusterer:
        from sklearn.cluster import AgglomerativeClustering

        X = np.asarray(X, dtype=np.float64)
        n = len(X)
        k = min(self.n_clusters or n_topics_for(n), max(1, n - 1))
        fit_idx = np.arange(n)
        if n > self.max_fit:
            fit_idx = np.sort(np.random.default_rng(self.seed).choice(n, self.max_fit, replace=False))
        if k < 2 or len(fit_idx) < 3:
            fit_labels = np.zeros(len(fit_idx), dtype=int)
        else:
            fit_labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(X[fit_idx])
        kept = [c for c in np.unique(fit_labels) if (fit_labels == c).sum() >= self.min_size]
        if not kept:  # too few documents to hold min_size anywhere: one topic
            kept, fit_labels = [0], np.zeros(len(fit_idx), dtype=int)
        self.centroids_ = np.stack([X[fit_idx][fit_labels == c].mean(axis=0) for c in kept])
        remap = {c: i for i, c in enumerate(kept)}
        labels = np.full(n, -1, dtype=int)
        labels[fit_idx] = [remap.get(c, -1) for c in fit_labels]
        if n > self.max_fit:
            rest = np.setdiff1d(np.arange(n), fit_idx)
            labels[rest] = self.predict(X[rest])
        self.labels_ = labels
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        d = ((X[:, None, :] - self.centroids_[None, :, :]) ** 2).sum(axis=2)
        return d.argmin(axis=1)

    def fit_predict(self, X: np.ndarray, y=None) -> np.ndarray:
        return self.fit(X).labels_
