"""Exact neighbours: the true nearest rows, and a mid-sized UMAP fit that never runs NN-descent."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nlp.startup import import_bertopic
from nlp.umap_kernels import SMALL_CORPUS, exact_cosine_neighbours


def test_exact_neighbours_are_a_full_sort_of_every_similarity():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 12))
    x[7] = x[3]  # a duplicate: distance 0 to row 3, which still comes after the row itself
    x[20] = 2.5 * x[10]  # same direction, another length
    indices, distances = exact_cosine_neighbours(x, 9, chunk=64)  # chunks of rows give the same answer

    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    sims = unit @ unit.T
    np.fill_diagonal(sims, np.inf)
    expected = np.argsort(-sims, axis=1, kind="stable")[:, :9]
    assert indices.dtype == np.int32 and distances.dtype == np.float32
    np.testing.assert_array_equal(indices, expected)
    assert (indices[:, 0] == np.arange(300)).all() and (distances[:, 0] == 0).all()
    assert indices[7, 1] == 3 and indices[3, 1] == 7 and distances[7, 1] == pytest.approx(0, abs=1e-6)
    assert indices[20, 1] == 10
    assert (np.diff(distances, axis=1) >= 0).all()


@pytest.mark.parametrize("decimals", [None, 1, 0])
def test_the_partitioned_search_orders_ties_as_the_stable_one(decimals):
    from nlp.umap_kernels import _most_similar, stable_knn_indices

    rng = np.random.default_rng(7)
    for _ in range(20):
        sims = rng.normal(size=(int(rng.integers(20, 200)), int(rng.integers(20, 300)))).astype(np.float32)
        if decimals is not None:
            sims = np.round(sims, decimals)  # many equal values, some at the cut
        sims[0] = 0.5  # a row of one value
        k = int(rng.integers(1, 30))
        np.testing.assert_array_equal(_most_similar(sims, k), stable_knn_indices(-sims, k))


def test_fewer_rows_than_neighbours_gives_every_row():
    indices, distances = exact_cosine_neighbours(np.eye(3) + 0.1, 10)
    assert indices.shape == distances.shape == (3, 3)
    assert sorted(indices[0]) == [0, 1, 2]


@pytest.fixture(scope="module")
def neighbours_umap():
    import_bertopic()
    from nlp.topics.neighbours import ExactNeighboursUMAP

    return ExactNeighboursUMAP


def _fit(cls, x, exact_max):
    umap = cls(n_neighbors=5, n_components=2, metric="cosine", n_epochs=5, init="random", random_state=0)
    umap.exact_max = exact_max
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)  # seeded, so one thread
        return umap.fit(x)


def test_a_mid_sized_fit_takes_exact_neighbours_and_never_runs_nn_descent(neighbours_umap, monkeypatch):
    import umap.umap_ as umap_module

    def nn_descent(*args, **kwargs):
        raise AssertionError("NN-descent ran")

    monkeypatch.setattr(umap_module, "nearest_neighbors", nn_descent)
    x = np.random.default_rng(1).normal(size=(SMALL_CORPUS, 8)).astype(np.float32)
    fitted = _fit(neighbours_umap, x, exact_max=SMALL_CORPUS)

    indices, _ = exact_cosine_neighbours(x, 5)
    np.testing.assert_array_equal(fitted._knn_indices, indices)
    assert fitted.embedding_.shape == (SMALL_CORPUS, 2) and np.isfinite(fitted.embedding_).all()


def test_above_the_bound_or_when_switched_off_umap_searches_itself(neighbours_umap, monkeypatch):
    import umap.umap_ as umap_module

    calls = []

    def nn_descent(X, *args, **kwargs):
        calls.append(len(X))
        raise RuntimeError("umap's own search")

    monkeypatch.setattr(umap_module, "nearest_neighbors", nn_descent)
    x = np.random.default_rng(2).normal(size=(SMALL_CORPUS + 1, 8)).astype(np.float32)
    for exact_max in (SMALL_CORPUS, 0):
        with pytest.raises(RuntimeError, match="umap's own search"):
            _fit(neighbours_umap, x, exact_max)
    assert calls == [SMALL_CORPUS + 1, SMALL_CORPUS + 1]
