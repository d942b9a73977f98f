"""UMAP given exact neighbours on mid-sized corpora, so no process compiles NN-descent.

umap finds each point's neighbours exactly below 4,096 points and with pynndescent's NN-descent
from there on. numba cannot cache NN-descent's compiled code (it "uses dynamic globals"), so
every process that fitted 4,096 quotes or more compiled it again: 32-40 CPU s on this machine,
for a search that then took 1 s at 10,000 points. An exact search
(``nlp.umap_kernels.exact_cosine_neighbours``, one matrix product per block of rows) costs less
than that compile up to ``TopicConfig.exact_neighbours_max`` quotes, and its neighbours are the
true ones, with no seed. Measured in README, "Scale".

Import this module after ``nlp.startup.import_bertopic``, which imports umap with its kernels
cached.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from umap import UMAP

from nlp.umap_kernels import SMALL_CORPUS, exact_cosine_neighbours

__all__ = ["ExactNeighboursUMAP"]


class ExactNeighboursUMAP(UMAP):
    """A cosine UMAP whose fits of ``SMALL_CORPUS`` to ``exact_max`` points take exact neighbours.

    Every other fit is umap's own. ``exact_max`` is set on the instance after construction
    (0, the class default, never searches exactly). A fit given exact neighbours has no
    NN-descent index, so its ``transform`` of new points is unavailable; the topic stage places
    new quotes itself (``nlp.topics.stability.place_in_layout``).
    """

    exact_max: int = 0

    def fit(self, X, y=None, ensure_all_finite=True, **kwargs):
        if self.metric == "cosine" and not sp.issparse(X) and SMALL_CORPUS <= len(X) <= self.exact_max:
            self.precomputed_knn = exact_cosine_neighbours(np.asarray(X, dtype=np.float32), self.n_neighbors)
            with warnings.catch_warnings():
                # umap warns that a fit without an NN-descent index cannot transform new data.
                warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]", category=UserWarning)
                return super().fit(X, y, ensure_all_finite=ensure_all_finite, **kwargs)
        self.precomputed_knn = (None, None, None)
        return super().fit(X, y, ensure_all_finite=ensure_all_finite, **kwargs)
