"""Start-up costs paid once per machine, not once per run.

A run on the seed does about a second of real work. Before this module, each new process also
paid about 6 s importing torch and transformers that BERTopic pulls in for backends this project
never uses, about 8-10 s while numba compiled UMAP's kernels, and two sha256 passes over 90 MB
of weights. Three measures, each safe to skip:

* ``import_bertopic`` imports BERTopic with its optional torch-based modules (multimodal
  backend, text generation, zero-shot, visual representations) blocked, so they fall back to
  BERTopic's own "not installed" placeholders; the project embeds with its own embedder.
  ``import_spacy`` imports spaCy with torch hidden from thinc, which imports it only to offer
  PyTorch-wrapped layers; ``spacy.blank`` pipelines never use them. Torch itself stays
  importable: only modules imported inside these two calls see it missing.
* The numba kernels UMAP compiles on every fit are switched to numba's on-disk cache, so the
  second process loads machine code instead of compiling it. numba keeps them beside umap's
  source (its ``__pycache__``), as pynndescent's own ``cache=True`` kernels are kept beside
  pynndescent's; ``NUMBA_CACHE_DIR``, if the user sets it, moves both.
* UMAP computes every pairwise distance of a small corpus (under 4,096 points) exactly, by
  handing its numba ``cosine`` to scikit-learn's ``pairwise_distances`` as a Python callable:
  one interpreted call per pair, 2.6 million of them for 2,300 quotes, over half of a topic
  stage's time. ``import_bertopic`` points umap at a ``pairwise_distances`` that computes that
  one metric as scikit-learn's vectorised cosine distance instead (the same distances to
  float32 rounding, about 6e-8), and passes every other metric through unchanged. Below the
  same bound, the kernels that find each point's neighbours and turn them into graph weights
  run as numpy (``nlp.umap_kernels``, step for step the kernels' arithmetic), so a machine
  without compiled kernels does not compile them.
* The weights are hashed once per machine and whenever they change
  (``nlp.machine_cache.cached_sha256``).
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

from nlp import umap_kernels
from nlp.umap_kernels import stable_knn_indices

__all__ = [
    "compile_umap_kernels", "enable_umap_jit_cache", "import_bertopic", "import_spacy", "stable_knn_indices",
    "umap_kernel",
]

# BERTopic's optional modules that import torch, transformers or PIL at their top level. Each is
# imported inside BERTopic's own ``try: ... except ModuleNotFoundError`` fallback.
_OPTIONAL_TORCH_MODULES = (
    "bertopic.backend._multimodal",
    "bertopic.representation._textgeneration",
    "bertopic.representation._zeroshot",
    "bertopic.representation._visual",
)

# The Hugging Face Hub client, which BERTopic imports (``bertopic._save_utils``) only for
# ``push_to_hf_hub`` and loading a model by its Hub id; with it its HTTP stack (about 0.25 CPU s).
# Runs are offline by contract (``nlp/__init__.py``) and save and load topic models from folders.
_HUB_MODULES = ("huggingface_hub",)

# BERTopic's plotting functions, which import plotly (about 0.5 CPU s, more under load); only
# ``nlp.explore``'s figures use them, so they load on first use (``importlib.util.LazyLoader``).
_DEFERRED_MODULES = ("bertopic.plotting",)

# UMAP's kernels that a seeded small-corpus fit compiles (found by listing the dispatchers that
# gained a signature during a fit), as (module, attribute). umap-learn declares them without
# ``cache=True``. The parallel variant of the layout epoch is left out: it wraps the same Python
# function, and numba's cache index would not tell the two apart; a seeded UMAP never uses it.
_UMAP_KERNELS = (
    ("umap.distances", "cosine"),
    ("umap.utils", "fast_knn_indices"),
    ("umap.umap_", "smooth_knn_dist"),
    ("umap.umap_", "compute_membership_strengths"),
    ("umap.layouts", "_nb_optimize_layout_euclidean_single_epoch"),
    # pynndescent's NN-descent, which umap runs above 4,096 points and the topic stage above
    # ``TopicConfig.exact_neighbours_max`` quotes: the kernels it compiles lazily that take no
    # function as an argument. Those that take the distance function (``nn_descent``,
    # ``process_candidates``, ...) cannot be cached: their signature holds the distance
    # dispatcher of the process, so the next process misses the cache, and ``nn_descent`` also
    # calls ``numba.get_num_threads`` by address. Cached, these six cut NN-descent's compile in
    # each new process from about 18 s to about 8 s (README, "Start-up").
    ("pynndescent.utils", "deheap_sort"),
    ("pynndescent.utils", "build_candidates_owner"),
    ("pynndescent.utils", "sort_updates_by_block"),
    ("pynndescent.utils", "apply_sorted_graph_update_array"),
    ("pynndescent.kernels", "generate_graph_update_array_batched"),
    ("pynndescent.distances", "alternative_dot"),
)

_IMPORT_LOCK = threading.Lock()


class _Blocker(importlib.abc.MetaPathFinder):
    """Finds the blocked modules first, and reports them missing."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.names:
            raise ModuleNotFoundError(f"{fullname} is hidden during this import", name=fullname)
        return None


class _QuietLoader(importlib.abc.Loader):
    """A module's own loader, run with BERTopic's note that datamapplot is missing silenced.

    That note is emitted while ``bertopic.plotting`` loads; imported eagerly, it fell inside the
    import's warning filters, and loaded lazily it would surface wherever a figure is first drawn.
    """

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Data map plotting is unavailable", category=UserWarning)
            self.loader.exec_module(module)


class _Deferred(importlib.abc.MetaPathFinder):
    """Finds the named modules as usual but loads them lazily, on first attribute access."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(_QuietLoader(spec.loader))
        return spec


@contextmanager
def _hidden(modules: tuple[str, ...]) -> Iterator[None]:
    """Make ``import`` of each of ``modules`` not yet imported raise ModuleNotFoundError.

    A finder, not ``None`` in ``sys.modules``: libraries such as scipy's array-API helpers read
    ``sys.modules["torch"]`` and must keep seeing no entry at all. Each importer here catches
    ModuleNotFoundError as "optional dependency missing"; after the block, the modules import
    as usual.
    """
    blocker = _Blocker(tuple(m for m in modules if m not in sys.modules))
    sys.meta_path.insert(0, blocker)
    try:
        yield
    finally:
        sys.meta_path.remove(blocker)


class _CommandsLater(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``spacy.cli`` as an empty package: its submodules import, its ``__init__`` does not run.

    ``spacy/__init__`` imports ``spacy.cli.info`` (for ``spacy.info``), and so the ``spacy.cli``
    package, whose ``__init__`` imports every command (train, debug, init config with jinja2,
    ...): about 0.25 CPU s that no run uses. ``import_spacy`` drops the empty package once spaCy
    is imported, so a later ``import spacy.cli`` runs the real one, reusing the submodules.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "spacy.cli":
            return None
        found = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if found is None:
            return None
        spec = importlib.util.spec_from_loader(fullname, self, is_package=True)
        spec.submodule_search_locations = found.submodule_search_locations
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        pass


def import_spacy():
    """Import spaCy without letting thinc import torch (about 2 s per process), nor its CLI commands."""
    with _IMPORT_LOCK:
        if "spacy" not in sys.modules:
            later = _CommandsLater()
            sys.meta_path.insert(0, later)
            try:
                with _hidden(("torch",)):
                    import spacy  # noqa: F401
            finally:
                sys.meta_path.remove(later)
                if getattr(sys.modules.get("spacy.cli"), "__loader__", None) is later:
                    del sys.modules["spacy.cli"]
                    if "spacy" in sys.modules and hasattr(sys.modules["spacy"], "cli"):
                        delattr(sys.modules["spacy"], "cli")
    import spacy

    return spacy


def import_bertopic(umap: bool = True):
    """Import BERTopic and UMAP without torch, with UMAP's kernels cached on disk.

    umap-learn also warns that TensorFlow is missing, which only its ParametricUMAP needs; that
    warning is silenced here, at its only source. ``umap=False`` leaves UMAP out (BERTopic
    imports it only to build its default model): a rerun that places new quotes in the saved
    layout fits no UMAP, and importing it and pynndescent costs about 1.5 s.
    """
    import_spacy()  # BERTopic imports spaCy for its part-of-speech representation
    with _IMPORT_LOCK:
        missing = [m for m in ("bertopic", "umap")[: 2 if umap else 1] if m not in sys.modules]
        if missing:
            # torch itself too: bertopic._save_utils imports it only to write legacy pickles,
            # and topic models here are saved with safetensors.
            deferred = _Deferred(_DEFERRED_MODULES)
            sys.meta_path.insert(0, deferred)
            try:
                # numba itself (about 0.25 CPU s) is imported only when umap is: BERTopic without it needs none.
                kernels = _eager_kernels_cached() if "umap" in missing else nullcontext()
                with _hidden((*_OPTIONAL_TORCH_MODULES, *_HUB_MODULES, "torch")), kernels, warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="Tensorflow not installed", category=ImportWarning)
                    for name in missing:
                        importlib.import_module(name)
            finally:
                sys.meta_path.remove(deferred)
        if umap:
            enable_umap_jit_cache()
            _vectorise_umap_small_data_distances()
    import bertopic

    return bertopic


# The kernels ``_eager_kernels_cached`` switched to numba's cache in this process (for
# bench.startup, which deletes their cache files to time a fresh machine).
EAGER_CACHED: list = []


@contextmanager
def _eager_kernels_cached() -> Iterator[None]:
    """Let kernels that umap and pynndescent compile while they are imported use numba's cache.

    A kernel declared with its signature (``@numba.njit("f4(i8[:])")``) is compiled as its module
    is imported, in every process; umap's and pynndescent's dozens of them cost about 0.5 CPU s.
    While the two import, ``numba.njit`` adds ``cache=True`` to such declarations that do not
    say, so later processes load the machine code (kept beside each library's source, like
    pynndescent's own cached kernels). Lazily compiled kernels are left to ``enable_umap_jit_cache``.
    """
    import numba
    from numba.core.errors import NumbaWarning

    original = numba.njit

    def njit(*args, **kwargs):
        if not (args and not callable(args[0]) and "cache" not in kwargs):  # no signature first
            return original(*args, **kwargs)
        decorate = original(*args, cache=True, **kwargs)

        def record(fn):
            kernel = decorate(fn)
            EAGER_CACHED.append(kernel)
            return kernel

        return record

    numba.njit = njit
    try:
        with warnings.catch_warnings():
            # A kernel numba cannot cache (say, one using dynamic globals) is compiled as before.
            warnings.filterwarnings("ignore", message=".*[Cc]annot cache", category=NumbaWarning)
            yield
    finally:
        numba.njit = original


def _vectorise_umap_small_data_distances() -> None:
    """Have umap's exact small-data path compute cosine distances with one matrix product."""
    import umap.umap_ as umap_module
    from umap.distances import cosine

    current = umap_module.pairwise_distances
    if getattr(current, "_vectorised_cosine", False):
        return

    def pairwise_distances(X, Y=None, metric="euclidean", **kwargs):
        if metric is cosine and not kwargs and isinstance(X, np.ndarray) and (Y is None or isinstance(Y, np.ndarray)):
            # float32 in, float32 out, as the callable path gives: the kernels that read the
            # matrix keep the signatures already compiled and cached.
            return current(X, Y, metric="cosine").astype(X.dtype, copy=False)
        return current(X, Y, metric=metric, **kwargs)

    pairwise_distances._vectorised_cosine = True
    umap_module.pairwise_distances = pairwise_distances
    umap_module.fast_knn_indices = functools.partial(stable_knn_indices, fallback=umap_module.fast_knn_indices)
    umap_module.smooth_knn_dist = _small_corpus_numpy(umap_kernels.smooth_knn_dist, umap_module.smooth_knn_dist)
    umap_module.compute_membership_strengths = _small_corpus_numpy(
        umap_kernels.compute_membership_strengths, umap_module.compute_membership_strengths
    )


def _small_corpus_numpy(numpy_version, kernel):
    """``numpy_version`` for fewer than ``SMALL_CORPUS`` rows, umap's numba ``kernel`` above."""

    @functools.wraps(numpy_version)
    def call(first, *args, **kwargs):
        version = numpy_version if len(first) < umap_kernels.SMALL_CORPUS else kernel
        return version(first, *args, **kwargs)

    call.kernel = kernel
    return call


def umap_kernel(module_name: str, attribute: str):
    """umap's numba kernel ``module.attribute``, also where a numpy version stands in for it."""
    found = getattr(sys.modules[module_name], attribute, None)
    return getattr(found, "kernel", found)


def enable_umap_jit_cache() -> int:
    """Let numba cache UMAP's compiled kernels on disk; returns how many were switched on.

    Must run before a kernel's first call in the process: a kernel compiled without a cache
    stays uncached until the process ends.
    """
    from numba.core.caching import NullCache

    switched = 0
    for module_name, attribute in _UMAP_KERNELS:
        kernel = umap_kernel(module_name, attribute) if module_name in sys.modules else None
        cache = getattr(kernel, "_cache", None)
        if isinstance(cache, NullCache) and not kernel.signatures:
            kernel.enable_caching()
            switched += 1
    return switched


def compile_umap_kernels() -> None:
    """Compile (and cache) the kernels a topic fit uses, on a tiny random corpus.

    ``make setup`` calls this (``python -m nlp.startup``), so a new machine pays the compile
    once at install instead of in the first run: numba specialises on argument types and
    dimensions, not sizes, so 80 points compile what 80,000 would. Both UMAP starts the topic
    stage uses are fitted: spectral (a first run) and a given layout (a rerun), and NN-descent,
    which UMAP runs on corpora too large for an exact neighbour search.
    """
    import_bertopic()
    from pynndescent import NNDescent
    from umap import UMAP

    import umap.umap_ as umap_module

    data = np.random.default_rng(0).normal(size=(80, 32)).astype(np.float32)
    settings = {"n_neighbors": 10, "n_components": 5, "min_dist": 0.0, "metric": "cosine", "low_memory": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_jobs overridden by random_state, and the like
        layout = UMAP(random_state=0, **settings).fit_transform(data)
        UMAP(random_state=0, init=layout, **settings).fit_transform(data)
        NNDescent(data, n_neighbors=settings["n_neighbors"], metric="cosine", random_state=0, low_memory=True, n_jobs=1)
    # A small corpus gets the graph kernels from numpy; a large one calls them as a fit does.
    distances = umap_module.pairwise_distances(data, metric=umap_module.dist.cosine)
    indices = stable_knn_indices(distances, settings["n_neighbors"])
    knn = np.take_along_axis(distances, indices, axis=1).astype(np.float32)
    sigmas, rhos = umap_module.smooth_knn_dist.kernel(knn, float(settings["n_neighbors"]), local_connectivity=1.0)
    umap_module.compute_membership_strengths.kernel(indices, knn, sigmas, rhos, None)


if __name__ == "__main__":
    compile_umap_kernels()
