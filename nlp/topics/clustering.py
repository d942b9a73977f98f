"""The topic stage's layout and clusters: a spectral layout of the kNN graph, cut by Ward.

UMAP's layout is stochastic gradient descent from a seeded start: two seeds, or 1e-7 noise in the
vectors, give layouts whose Ward cuts agree at ARI 0.6-0.7 only (``bench.topic_robustness``). The
graph UMAP starts from is not stochastic: for each quote its exact nearest neighbours, weighted
by UMAP's fuzzy membership. ``SpectralLayout`` lays the quotes out by that graph's leading
eigenvectors (normalised as in Ng, Jordan and Weiss's spectral clustering: one dimension per
cluster wanted, each row scaled to unit length), and Ward cuts that layout. Nothing in it draws
a random number, so a fit is a function of the vectors alone, and a small change in them moves
the graph's weights, not the whole layout.

Above ``SPECTRAL_MAX_DOCS`` quotes the exact neighbour search (quadratic) and the eigenvectors
cost more than UMAP's approximate search and a 5-dimensional layout, and the stage uses UMAP.
"""

from __future__ import annotations

import numpy as np

from nlp.topics.config import n_topics_for
from nlp.umap_kernels import exact_cosine_neighbours

__all__ = [
    "SPECTRAL_MAX_DOCS", "CentroidClusterer", "SpectralLayout", "WardClusterer", "cluster_centroids", "knn_graph",
    "spectral_layout",
]

# Exact cosine neighbours take n^2 similarities (10,000 quotes: 1e8, about a second); beyond
# that UMAP's approximate search is the cheaper graph.
SPECTRAL_MAX_DOCS = 10_000
# Below this many points a dense eigendecomposition is exact and cheap; above, Lanczos (eigsh).
_DENSE_EIGEN = 1000


def knn_graph(X: np.ndarray, n_neighbors: int):
    """UMAP's fuzzy k-nearest-neighbour graph of the rows of ``X`` under cosine, from an exact search.

    Each row's neighbours include itself (distance 0), as UMAP's own search returns them; ties
    go to the lower index, so equal inputs give equal graphs (``nlp.umap_kernels.exact_cosine_neighbours``).

    Returns:
        A symmetric sparse (n, n) matrix of membership strengths in [0, 1].
    """
    from nlp.startup import import_bertopic

    import_bertopic()  # imports umap quietly, with its kernels cached
    from umap.umap_ import fuzzy_simplicial_set

    X = np.asarray(X, dtype=np.float64)
    indices, distances = exact_cosine_neighbours(X, n_neighbors)
    graph, _, _ = fuzzy_simplicial_set(
        X, indices.shape[1], np.random.RandomState(0), "cosine", knn_indices=indices, knn_dists=distances
    )
    return graph.tocsr().astype(np.float64)


def spectral_layout(graph, n_dims: int) -> np.ndarray:
    """The leading non-trivial eigenvectors of the graph's random walk, each row scaled to unit length.

    The eigenvectors of the symmetric normalised adjacency ``D^-1/2 W D^-1/2`` are computed
    (densely for small graphs, else by Lanczos from a fixed start vector), mapped back to the
    random walk's (``D^-1/2 v``), and the constant one is dropped. Unit rows make Ward compare
    directions, which is what separates clusters in this embedding (Ng, Jordan and Weiss 2001).
    """
    import scipy.sparse as sp
    from scipy.sparse.linalg import eigsh

    n = graph.shape[0]
    degree = np.asarray(graph.sum(axis=1)).ravel()
    scale = 1.0 / np.sqrt(np.maximum(degree, 1e-12))
    adjacency = sp.diags(scale) @ graph @ sp.diags(scale)
    n_dims = max(1, min(n_dims, n - 2))
    if n <= _DENSE_EIGEN:
        values, vectors = np.linalg.eigh(adjacency.toarray())
    else:
        values, vectors = eigsh(adjacency, n_dims + 1, which="LA", v0=np.full(n, 1.0 / np.sqrt(n)))
    order = np.argsort(-values, kind="stable")[1 : n_dims + 1]
    layout = vectors[:, order] * scale[:, None]
    # An eigenvector's sign is arbitrary; fix it so the saved layout is the same on every machine.
    signs = np.sign(layout[np.argmax(np.abs(layout), axis=0), np.arange(layout.shape[1])])
    layout = layout * np.where(signs == 0, 1.0, signs)
    return layout / np.maximum(np.linalg.norm(layout, axis=1, keepdims=True), 1e-12)


class SpectralLayout:
    """A deterministic stand-in for UMAP in BERTopic: ``fit_transform``, ``transform``, ``embedding_``.

    Args:
        n_neighbors: neighbours per quote in the graph (as UMAP's ``n_neighbors``).
        n_dims: eigenvectors kept; one per cluster the Ward cut asks for works best (measured
            in ``bench.topic_robustness``); ``None`` uses ``n_topics_for(n)``.
    """

    def __init__(self, n_neighbors: int, n_dims: int | None = None) -> None:
        self.n_neighbors = n_neighbors
        self.n_dims = n_dims
        self.embedding_: np.ndarray | None = None
        self._fitted: np.ndarray | None = None

    def fit_transform(self, X: np.ndarray, y=None) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        dims = self.n_dims or n_topics_for(len(X))
        self.embedding_ = spectral_layout(knn_graph(X, self.n_neighbors), dims).astype(np.float32)
        self._fitted = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        return self.embedding_

    def fit(self, X: np.ndarray, y=None) -> SpectralLayout:
        self.fit_transform(X, y)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """New points at the similarity-weighted mean position of their nearest fitted points."""
        if self._fitted is None or self.embedding_ is None:
            raise RuntimeError("SpectralLayout.transform before fit")
        X = np.asarray(X, dtype=np.float64)
        unit = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        sims = unit @ self._fitted.T
        k = min(self.n_neighbors, sims.shape[1])
        near = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        weights = np.clip(np.take_along_axis(sims, near, axis=1), 1e-6, None)
        placed = (self.embedding_[near] * weights[:, :, None]).sum(axis=1) / weights.sum(axis=1, keepdims=True)
        return (placed / np.maximum(np.linalg.norm(placed, axis=1, keepdims=True), 1e-12)).astype(np.float32)

    def __getstate__(self) -> dict:
        # The fitted vectors only serve transform in this process; a saved model need not carry them.
        return {**self.__dict__, "_fitted": None}


def cluster_centroids(X: np.ndarray, labels: np.ndarray, clusters) -> np.ndarray:
    """The mean row of ``X`` of each cluster in ``clusters`` (rows labelled with it), in that order."""
    return np.stack([X[labels == c].mean(axis=0) for c in clusters])


class CentroidClusterer:
    """``predict`` and ``fit_predict`` as BERTopic calls them, for a clusterer whose ``fit`` sets
    ``labels_`` and ``centroids_``: a new point joins the cluster with the nearest centroid."""

    labels_: np.ndarray | None
    centroids_: np.ndarray | None

    def fit(self, X: np.ndarray, y=None) -> CentroidClusterer:
        raise NotImplementedError

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        d = ((X[:, None, :] - self.centroids_[None, :, :]) ** 2).sum(axis=2)
        return d.argmin(axis=1)

    def fit_predict(self, X: np.ndarray, y=None) -> np.ndarray:
        return self.fit(X).labels_


class WardClusterer(CentroidClusterer):
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
        self.centroids_ = cluster_centroids(X[fit_idx], fit_labels, kept)
        remap = {c: i for i, c in enumerate(kept)}
        labels = np.full(n, -1, dtype=int)
        labels[fit_idx] = [remap.get(c, -1) for c in fit_labels]
        if n > self.max_fit:
            rest = np.setdiff1d(np.arange(n), fit_idx)
            labels[rest] = self.predict(X[rest])
        self.labels_ = labels
        return self
