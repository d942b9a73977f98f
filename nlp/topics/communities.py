"""Topics as communities of the quotes' neighbour graph (Leiden), instead of a Ward cut of a layout.

The graph is the one the spectral layout reads (``nlp.topics.clustering.knn_graph``: each quote's
exact cosine neighbours, weighted by UMAP's fuzzy membership), built on the same joined vectors
(embedding, sentence context, lexical SVD). Leiden (Traag, Waltman and van Eck 2019, the
``leidenalg`` package) maximises modularity with a resolution parameter; the resolution is
bisected so the partition has the pipeline's topic count (``n_topics_for``), so topic counts
compare with the other layouts, and the top level groups the communities as it groups Ward's.

Leiden visits nodes in a random order, seeded by ``TopicConfig.seed``; one run per seed agreed
with another seed's at ARI 0.69-0.93 only, so ``CONSENSUS_RUNS`` runs vote on each edge first
(``leiden_partition``): with 50, ARI 0.91-0.96 across seeds on the seed, why-art, 20 Newsgroups
and Banking77 (``bench.topic_robustness``; README, "Topics that hold still"). The layout handed on to
BERTopic is the joined vectors themselves (no reduction), and new points are placed at the
nearest community centroid there.
"""

from __future__ import annotations

import numpy as np

from nlp.topics.clustering import CentroidClusterer, cluster_centroids, knn_graph
from nlp.topics.config import n_topics_for

__all__ = ["CONSENSUS_RUNS", "GraphLayout", "LeidenClusterer", "leiden_partition"]

# Resolution bisection: bounds (log10) and at most this many Leiden runs.
_LOG_LO, _LOG_HI = -2.0, 2.0
_BISECTIONS = 20
# Leiden passes per run (leidenalg's default; -1, until stable, cost 2-3x for no steadier result).
LEIDEN_ITERATIONS = 2
# Leiden partitions that vote on each edge before the final one (1: no consensus). 30 runs gave
# why-art ARI 0.86 across seeds, 50 gave 0.92 at 1.4x the CPU.
CONSENSUS_RUNS = 50


def _igraph(graph):
    import igraph as ig
    import scipy.sparse as sp

    upper = sp.triu(graph, k=1).tocoo()
    g = ig.Graph(n=graph.shape[0], edges=np.column_stack([upper.row, upper.col]).tolist())
    g.es["weight"] = upper.data.tolist()
    return g


def _leiden(g, resolution: float, seed: int) -> np.ndarray:
    import leidenalg

    part = leidenalg.find_partition(
        g, leidenalg.RBConfigurationVertexPartition, weights="weight",
        resolution_parameter=resolution, n_iterations=LEIDEN_ITERATIONS, seed=seed,
    )
    return np.asarray(part.membership, dtype=int)


def _bisect(g, n_clusters: int, seed: int) -> tuple[float, np.ndarray]:
    """The resolution (and its partition) whose community count is nearest ``n_clusters``.

    All communities count, the tiny ones too: that count grows with the resolution (not
    strictly: Leiden is a heuristic). Counting only communities of ``min_size``+ is not
    monotone, and its bisection ran to resolutions where most of the seed's quotes sat in
    communities of one or two. The nearest count seen is kept (the first on a tie); the
    bisection stops when it hits the target.
    """
    lo, hi = _LOG_LO, _LOG_HI
    best: tuple[int, float, np.ndarray] | None = None
    for _ in range(_BISECTIONS):
        mid = (lo + hi) / 2
        labels = _leiden(g, 10.0**mid, seed)
        count = int(labels.max()) + 1
        if best is None or abs(count - n_clusters) < best[0]:
            best = (abs(count - n_clusters), 10.0**mid, labels)
        if count == n_clusters:
            break
        lo, hi = (mid, hi) if count < n_clusters else (lo, mid)
    return best[1], best[2]


def _consensus_graph(graph, g, resolution: float, seed: int, runs: int):
    """The graph's edges reweighted by the share of ``runs`` Leiden partitions that keep their ends together."""
    import scipy.sparse as sp

    upper = sp.triu(graph, k=1).tocoo()
    together = np.zeros(len(upper.data))
    for run_seed in np.random.default_rng(seed).integers(0, 2**31 - 1, runs):
        labels = _leiden(g, resolution, int(run_seed))
        together += labels[upper.row] == labels[upper.col]
    weights = upper.data * together / runs
    half = sp.coo_matrix((weights, (upper.row, upper.col)), shape=graph.shape)
    out = (half + half.T).tocsr()
    out.eliminate_zeros()
    return out


def leiden_partition(graph, n_clusters: int, min_size: int, seed: int, runs: int = CONSENSUS_RUNS) -> np.ndarray:
    """Leiden communities of a weighted graph, about ``n_clusters`` of them.

    The resolution is bisected for the count (``_bisect``). With ``runs`` > 1, that many Leiden partitions
    at that resolution (seeds drawn from ``seed``) vote on each edge, and the final partition is
    Leiden's, again bisected, on the graph whose edges keep their weight times the share of
    runs that put their ends together (consensus clustering, Lancichinetti and Fortunato 2012):
    edges the runs disagree on fade, so another seed finds nearly the same communities.
    Communities below ``min_size`` are labelled ``-1``; the rest are numbered by size.
    """
    g = _igraph(graph)
    resolution, labels = _bisect(g, n_clusters, seed)
    if runs > 1:
        _, labels = _bisect(_igraph(_consensus_graph(graph, g, resolution, seed, runs)), n_clusters, seed)
    sizes = np.bincount(labels)
    # Largest first, ties by the lowest member, so numbering does not follow Leiden's internal ids.
    first = np.array([np.flatnonzero(labels == c)[0] for c in range(len(sizes))])
    order = [c for c in sorted(range(len(sizes)), key=lambda c: (-sizes[c], first[c])) if sizes[c] >= min_size]
    remap = np.full(len(sizes), -1)
    remap[order] = np.arange(len(order))
    return remap[labels]


class GraphLayout:
    """The identity "layout": BERTopic's reduced space is the joined vectors, unit rows."""

    def __init__(self) -> None:
        self.embedding_: np.ndarray | None = None

    @staticmethod
    def _unit(X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)

    def fit_transform(self, X, y=None) -> np.ndarray:
        self.embedding_ = self._unit(X)
        return self.embedding_

    def fit(self, X, y=None) -> GraphLayout:
        self.fit_transform(X)
        return self

    def transform(self, X) -> np.ndarray:
        return self._unit(X)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "embedding_": None}


class LeidenClusterer(CentroidClusterer):
    """Leiden communities of the kNN graph of what it is fitted on, with BERTopic's clusterer API.

    Args:
        n_neighbors: neighbours per point in the graph (as UMAP's ``n_neighbors``).
        n_clusters: communities wanted; ``None`` uses ``n_topics_for(n)``.
        min_size: smaller communities are labelled ``-1`` (outliers, reassigned later).
        seed: seeds Leiden's node order.
    """

    def __init__(self, n_neighbors: int, n_clusters: int | None = None, min_size: int = 3, seed: int = 42) -> None:
        self.n_neighbors = n_neighbors
        self.n_clusters = n_clusters
        self.min_size = min_size
        self.seed = seed
        self.labels_: np.ndarray | None = None
        self.centroids_: np.ndarray | None = None

    def fit(self, X, y=None) -> LeidenClusterer:
        X = np.asarray(X, dtype=np.float64)
        n = len(X)
        k = min(self.n_clusters or n_topics_for(n), max(1, n - 1))
        labels = leiden_partition(knn_graph(X, min(self.n_neighbors, n - 1)), k, self.min_size, self.seed)
        if (labels < 0).all():  # too few documents to hold min_size anywhere: one topic
            labels = np.zeros(n, dtype=int)
        self.centroids_ = cluster_centroids(X, labels, range(labels.max() + 1))
        self.labels_ = labels
        return self
