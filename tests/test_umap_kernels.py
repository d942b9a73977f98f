"""The numpy versions of UMAP's small-corpus kernels give the kernels' own arrays, edge cases included."""

from __future__ import annotations

import numpy as np
import pytest

from nlp import umap_kernels
from nlp.startup import import_bertopic, umap_kernel


@pytest.fixture(scope="module")
def kernels():
    import_bertopic()
    import numba

    # numba splits the mean over all distances between its threads, so its last bit depends on
    # their number; the numpy version sums in order, as one thread does.
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    yield umap_kernel("umap.umap_", "smooth_knn_dist"), umap_kernel("umap.umap_", "compute_membership_strengths")
    numba.set_num_threads(threads)


def _neighbours(rng, n, k, case):
    """(indices, distances) as umap's small-data path makes them, bent into ``case``."""
    x = rng.normal(size=(n, 8)).astype(np.float32)
    if case == "duplicates":
        x[1] = x[0]
        x[2] = x[0]
    norms = np.linalg.norm(x, axis=1)
    d = np.clip(1.0 - (x @ x.T) / np.outer(norms, norms), 0.0, None).astype(np.float32)
    np.fill_diagonal(d, 0.0)
    if case == "ties":
        d = np.round(d, 1)  # many equal distances, rho and the mean floor at play
    indices = umap_kernels.stable_knn_indices(d, k)
    dists = np.ascontiguousarray(np.take_along_axis(d, indices, axis=1), dtype=np.float32)
    if case == "disconnected":  # points without (all) neighbours, as umap's transform marks them
        indices[3, 2:] = -1
        dists[3, 2:] = np.inf
        dists[5, 1:] = np.inf
        dists[7] = 0.0
    return indices, dists


CASES = [
    (n, k, case, connectivity)
    for n, k in ((200, 15), (40, 1), (30, 2), (120, 30))
    for case in ("plain", "ties", "duplicates", "disconnected")
    for connectivity in (1.0, 0.0, 1.5, 2.0)
]


@pytest.mark.parametrize(("n", "k", "case", "connectivity"), CASES)
def test_numpy_graph_kernels_equal_umaps_numba_kernels(kernels, n, k, case, connectivity):
    smooth_numba, strengths_numba = kernels
    indices, dists = _neighbours(np.random.default_rng(n * k), n, k, case)
    with np.errstate(invalid="ignore"):  # inf - inf in the disconnected rows, as in the kernel
        sigmas, rhos = umap_kernels.smooth_knn_dist(dists, float(k), local_connectivity=connectivity)
    expected = smooth_numba(dists, float(k), local_connectivity=connectivity)
    # With local_connectivity 0, the kernel reads one past a row without positive distances
    # (whatever lies there, times 0): those rows get rho 0 here, and the rest must agree.
    defined = (dists > 0).any(axis=1) | (connectivity > 0)
    assert (rhos[~defined] == 0).all()
    for got, want in zip((sigmas, rhos), expected):
        assert got.dtype == want.dtype == np.float32
        assert np.array_equal(got[defined], want[defined], equal_nan=True)
    for return_dists in (None, True):
        for bipartite in (False, True):
            with np.errstate(invalid="ignore"):
                got = umap_kernels.compute_membership_strengths(indices, dists, sigmas, rhos, return_dists, bipartite)
            want = strengths_numba(indices, dists, sigmas, rhos, return_dists, bipartite)  # on our sigmas, rhos
            for g, w in zip(got, want):
                assert (g is None) == (w is None)
                if g is not None:
                    assert g.dtype == w.dtype and np.array_equal(g, w, equal_nan=True)


def test_expf_matches_the_c_library_where_float64_rounding_would_not():
    # numba's float32 exp is the C library's expf; about 1 value in 1,700 of a float64 exp
    # rounded to float32 differs from it in the last bit.
    expf = umap_kernels._EXPF
    if expf is None:
        pytest.skip("no C expf found")
    x = -np.random.default_rng(0).random(200_000).astype(np.float32) * 30
    want = np.array([expf(float(v)) for v in x], dtype=np.float32)
    assert np.array_equal(umap_kernels._exp32(x), want)
    assert not np.array_equal(np.exp(x.astype(np.float64)).astype(np.float32), want)


def test_a_seeded_umap_fit_gives_the_same_layout_as_with_umaps_kernels(kernels, monkeypatch):
    import warnings

    import umap.umap_ as umap_module
    from umap import UMAP

    for name in ("smooth_knn_dist", "compute_membership_strengths"):  # installed below umap's bound
        installed = getattr(umap_module, name)
        assert installed.__wrapped__ is getattr(umap_kernels, name) and installed.kernel is umap_kernel("umap.umap_", name)
    x = np.random.default_rng(3).normal(size=(300, 24)).astype(np.float32)
    settings = {"n_neighbors": 15, "n_components": 5, "min_dist": 0.0, "metric": "cosine", "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_jobs overridden by random_state
        ours = UMAP(**settings).fit(x)
        for name in ("smooth_knn_dist", "compute_membership_strengths"):
            monkeypatch.setattr(umap_module, name, getattr(umap_module, name).kernel)
        theirs = UMAP(**settings).fit(x)
    assert (ours.graph_ != theirs.graph_).nnz == 0
    assert np.array_equal(ours.embedding_, theirs.embedding_)
