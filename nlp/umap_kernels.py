"""numpy versions of the numba kernels UMAP runs on a small corpus, so a fresh machine compiles none.

A topic fit on a few thousand quotes does milliseconds of work in each of these kernels, but a
machine without numba's compiled copies spent about 7 CPU s compiling them (``fast_knn_indices``
3-4, ``smooth_knn_dist`` 3.7-5, ``compute_membership_strengths`` 1.7, all ``parallel=True``).
Each function here follows its kernel's arithmetic step by step, in the kernel's float32 and in
its loop order (sums run over a row's neighbours one column at a time, for all rows at once),
so the results are the kernel's: the only operation that may differ is ``exp``, which numba takes
from the C library's ``expf`` and numpy here from its float64 ``exp`` rounded to float32; both are
within about half a unit in the last place, and tests compare the two on random inputs.

``nlp.startup.import_bertopic`` installs them in ``umap.umap_`` for inputs under
``SMALL_CORPUS`` points, umap's own bound for its exact small-data path; larger corpora, where
a compiled kernel's speed pays for its compilation, keep umap's kernels.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math

import numpy as np

__all__ = [
    "SMALL_CORPUS", "compute_membership_strengths", "exact_cosine_neighbours", "smooth_knn_dist", "stable_knn_indices",
]

# umap computes exact neighbours below 4,096 points and calls pynndescent above.
SMALL_CORPUS = 4096

# umap.umap_'s constants, as its kernels see them (numba freezes globals as their own types).
_SMOOTH_K_TOLERANCE = 1e-5
_MIN_K_DIST_SCALE = 1e-3
_FLOAT32_MAX = np.finfo(np.float32).max


def stable_knn_indices(X, n_neighbors: int, fallback=None) -> np.ndarray:
    """Each row's ``n_neighbors`` smallest entries' columns, smallest first, ties by column.

    umap's small-data path gets them from ``fast_knn_indices``, a ``parallel=True`` numba kernel
    (a stable mergesort of each row). A stable order is unique, so this gives the same int32
    array: a partition finds each row's k-th value, the columns below it and the first ones equal
    to it are kept, and a stable sort orders them. NaN, which numba's sort leaves unordered, goes
    to ``fallback``.
    """
    X = np.asarray(X)
    k = int(n_neighbors)
    if fallback is not None and (X.ndim != 2 or not 0 < k <= X.shape[1] or np.isnan(X).any()):
        return fallback(X, n_neighbors)
    kth = np.partition(X, k - 1, axis=1)[:, k - 1 : k]
    below, equal = X < kth, X == kth
    keep = below | (equal & (np.cumsum(equal, axis=1) <= k - below.sum(axis=1, keepdims=True)))
    columns = np.nonzero(keep)[1].reshape(X.shape[0], k)  # row by row, ascending columns
    order = np.argsort(np.take_along_axis(X, columns, axis=1), axis=1, kind="stable")
    return np.take_along_axis(columns, order, axis=1).astype(np.int32)


def exact_cosine_neighbours(X, n_neighbors: int, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``n_neighbors`` most similar rows of ``X`` under cosine, by an exact search.

    A row is its own first neighbour at distance 0, as in umap's searches; ties go to the lower
    index, so equal inputs give equal neighbours. Similarities are computed in ``X``'s float
    type, ``chunk`` rows at a time (memory about ``chunk`` times the number of rows).

    Returns:
        int32 indices and float32 distances (1 - similarity, within [0, 2]), both (n, k) with
        k = min(n_neighbors, n): the arrays umap's own search gives.
    """
    X = np.asarray(X)
    unit = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    n = len(unit)
    k = min(int(n_neighbors), n)
    indices = np.empty((n, k), dtype=np.int32)
    distances = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, chunk):
        sims = unit[start : start + chunk] @ unit.T
        rows = np.arange(len(sims))
        sims[rows, start + rows] = np.inf  # a point is its own first neighbour
        order = _most_similar(sims, k)
        indices[start : start + chunk] = order
        nearest = np.take_along_axis(sims, order, axis=1)
        nearest[:, 0] = 1.0
        distances[start : start + chunk] = np.clip(1.0 - nearest, 0.0, 2.0)
    return indices, distances


def _most_similar(sims: np.ndarray, k: int) -> np.ndarray:
    """Each row's ``k`` largest entries' columns, largest first, ties to the lower column: the
    int32 array ``stable_knn_indices(-sims, k)`` gives, in about a third of its time.

    A partition finds each row's ``k`` largest. Only where an entry equal to the k-th largest
    was left out of them (a tie at the cut, which the partition breaks in no set order) does the
    row go through ``stable_knn_indices``.
    """
    n_cols = sims.shape[1]
    if k >= n_cols:
        return stable_knn_indices(-sims, k)
    top = np.argpartition(sims, n_cols - k, axis=1)[:, n_cols - k :]
    values = np.take_along_axis(sims, top, axis=1)
    kth = values.min(axis=1, keepdims=True)
    tied = np.flatnonzero((sims == kth).sum(axis=1) > (values == kth).sum(axis=1))
    out = np.take_along_axis(top, np.lexsort((top, -values), axis=1), axis=1).astype(np.int32)
    if len(tied):
        out[tied] = stable_knn_indices(-sims[tied], k)
    return out


def _c_expf():
    """The C library's ``expf``, which numba's float32 ``np.exp`` calls; None if not found."""
    for name in (None, ctypes.util.find_library("m")):
        try:
            expf = ctypes.CDLL(name).expf
        except (OSError, AttributeError, TypeError):
            continue
        expf.restype, expf.argtypes = ctypes.c_float, [ctypes.c_float]
        return expf
    return None


_EXPF = _c_expf()
# Where a float64 exp sits within a float32 unit: the 29 mantissa bits float32 drops.
_DROPPED = np.uint64((1 << 29) - 1)
_HALF = np.int64(1 << 28)
_MARGIN = np.int64(1 << 22)  # 1/128 of a float32 unit either side of a rounding tie


def _exp32(x: np.ndarray) -> np.ndarray:
    """``expf`` of a float32 array: the C library's result, element for element.

    numpy's float32 ``exp`` is its own SIMD approximation (it differs from ``expf`` in 39% of
    values). ``exp`` in float64 rounded to float32 is ``expf`` except where the float64 value
    lies within 1/128 of a float32 unit of a rounding tie (``expf`` is within 0.502 units of the
    exact value, so only there can the two round apart): about 1.6% of values, which are
    passed to ``expf`` itself, one call each. Results in float32's subnormal range go there too.
    """
    wide = np.exp(x.astype(np.float64))
    out = wide.astype(np.float32)
    if _EXPF is None:
        return out
    dropped = (wide.view(np.uint64) & _DROPPED).astype(np.int64)
    near = (np.abs(dropped - _HALF) < _MARGIN) | ((wide > 0.0) & (wide < 2.0**-125)) | (wide > 2.0**127)
    for i in np.flatnonzero(near):
        out.flat[i] = _EXPF(float(x.flat[i]))
    return out


def _rhos(distances: np.ndarray, local_connectivity: float) -> np.ndarray:
    """Each row's distance to its ``local_connectivity``-th nearest non-zero neighbour."""
    rho = np.zeros(distances.shape[0], dtype=np.float32)
    index = int(np.floor(local_connectivity))
    interpolation = local_connectivity - index
    for i, row in enumerate(distances):
        non_zero = row[row > 0.0]
        if non_zero.shape[0] >= local_connectivity:
            if index > 0:
                rho[i] = non_zero[index - 1]
                if interpolation > _SMOOTH_K_TOLERANCE:  # float64 arithmetic, stored as float32
                    rho[i] = float(rho[i]) + interpolation * float(non_zero[index] - non_zero[index - 1])
            elif non_zero.shape[0] > 0:  # (the kernel reads past an empty row here; its product is 0)
                rho[i] = interpolation * float(non_zero[0])
        elif non_zero.shape[0] > 0:
            rho[i] = np.max(non_zero)
    return rho


def smooth_knn_dist(distances, k, n_iter=64, local_connectivity=1.0, bandwidth=1.0):
    """umap's ``smooth_knn_dist``: each row's kernel width (sigma) and nearest distance (rho).

    The binary search runs for all rows at once; a row whose sum is within tolerance stops
    moving, as the kernel's ``break`` stops its loop. The kernel declares its search variables
    float32, but numba outlines the body of its ``prange`` loop and types them afresh there, so
    they are float64 (as its literals are): so are they here, and ``exp`` is the C library's
    float64 ``exp`` (``math.exp``, one call per value), since numpy's own float64 ``exp``
    differs from it in the last bit for about 5% of values.
    """
    distances = np.asarray(distances, dtype=np.float32)
    n = distances.shape[0]
    target = np.log2(k) * bandwidth
    rho = _rhos(distances, float(local_connectivity))
    lo = np.zeros(n)
    hi = np.full(n, float(_FLOAT32_MAX))
    mid = np.ones(n)
    active = np.arange(n)
    shifted = distances[:, 1:] - rho[:, None]  # float32, as ``distances[i, j] - rho[i]``
    for _ in range(n_iter):
        if active.size == 0:
            break
        d, m = shifted[active], mid[active]
        positive = d > 0
        terms = np.ones(d.shape)
        ratios = -(d.astype(np.float64) / m[:, None])[positive]
        terms[positive] = np.fromiter(map(math.exp, ratios.tolist()), dtype=np.float64, count=ratios.size)
        psum = np.zeros(active.size)
        for j in range(d.shape[1]):  # the kernel's order: one neighbour after another
            psum += terms[:, j]
        moving = ~(np.fabs(psum - target) < _SMOOTH_K_TOLERANCE)  # NaN keeps moving, as in the kernel
        go, above = active[moving], psum[moving] > target
        down, up = go[above], go[~above]
        hi[down] = mid[down]
        mid[down] = (lo[down] + hi[down]) / 2.0
        lo[up] = mid[up]
        unbounded = hi[up] >= _FLOAT32_MAX
        mid[up[unbounded]] *= 2
        bounded = up[~unbounded]
        mid[bounded] = (lo[bounded] + hi[bounded]) / 2.0
        active = go
    mid = mid.astype(np.float32)
    # The kernel's floor: a thousandth of the row's mean distance (of all distances if rho is 0).
    # numba's parallel mode turns each ``np.mean`` into a float32 running sum over a float64
    # count; the one over all distances is split between its threads, so its last bit can
    # depend on their number (it only counts for rows whose neighbours are all at distance 0).
    sums = np.cumsum(distances, axis=1, dtype=np.float32)[:, -1] if distances.size else np.zeros(n, np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        row_means = sums.astype(np.float64) / distances.shape[1]
        mean_all = float(np.cumsum(distances.ravel(), dtype=np.float32)[-1]) / distances.size if distances.size else np.nan
    floor = _MIN_K_DIST_SCALE * np.where(rho > 0.0, row_means, mean_all)
    result = np.where(mid.astype(np.float64) < floor, floor, mid).astype(np.float32)
    return result, rho


def compute_membership_strengths(knn_indices, knn_dists, sigmas, rhos, return_dists=False, bipartite=False):
    """umap's ``compute_membership_strengths``: the graph's (row, column, weight) triples.

    An entry without a neighbour (index -1) stays (0, 0, 0), as in the kernel, which skips it.
    """
    knn_indices = np.asarray(knn_indices)
    knn_dists = np.asarray(knn_dists, dtype=np.float32)
    sigmas = np.asarray(sigmas, dtype=np.float32)[:, None]
    rhos = np.asarray(rhos, dtype=np.float32)[:, None]
    n, k = knn_indices.shape
    present = knn_indices != -1
    shifted = knn_dists - rhos  # float32, as the kernel computes it
    vals = np.ones((n, k), dtype=np.float32)
    decays = ~((shifted <= 0.0) | (sigmas == 0.0))
    with np.errstate(over="ignore"):
        vals[decays] = _exp32(-(shifted / np.where(sigmas == 0.0, np.float32(1.0), sigmas))[decays])
    if not bipartite:
        vals[knn_indices == np.arange(n)[:, None]] = 0.0
    vals[~present] = 0.0
    rows = np.where(present, np.arange(n, dtype=np.int32)[:, None], 0).astype(np.int32).ravel()
    cols = np.where(present, knn_indices, 0).astype(np.int32).ravel()
    dists = np.where(present, knn_dists, np.float32(0.0)).ravel() if return_dists else None
    return rows, cols, vals.ravel(), dists
