"""Start-up work done once per machine: remembered file hashes, imports without torch, cached kernels."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nlp.embeddings import ModelIntegrityError, verify_model_dir
from nlp.machine_cache import cached_sha256

REPO = Path(__file__).resolve().parents[1]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_remembered_hash_is_reused_until_the_file_changes(tmp_path, monkeypatch):
    target = tmp_path / "weights.bin"
    target.write_bytes(b"first version")
    stamps = tmp_path / "stamps.json"
    assert cached_sha256(target, stamps) == _sha(b"first version")

    # A second call must not read the file again: make reading it fail.
    import nlp.machine_cache as machine_cache

    monkeypatch.setattr(machine_cache, "file_sha256", lambda path: pytest.fail("hashed a file whose stamp is unchanged"))
    assert cached_sha256(target, stamps) == _sha(b"first version")
    monkeypatch.undo()

    # Same size, and the mtime put back: the ctime still moves, so the new bytes are hashed.
    st = target.stat()
    time.sleep(0.05)  # past the kernel's coarse timestamp tick, so the ctime can move
    target.write_bytes(b"other version")
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cached_sha256(target, stamps) == _sha(b"other version")


def test_a_corrupt_stamp_file_only_costs_a_rehash(tmp_path):
    target = tmp_path / "weights.bin"
    target.write_bytes(b"bytes")
    stamps = tmp_path / "stamps.json"
    stamps.write_text("{not json")
    assert cached_sha256(target, stamps) == _sha(b"bytes")


def test_tampered_weights_are_refused_after_a_remembered_good_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("INTERVIEWS_CACHE_HOME", str(tmp_path / "home"))
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"official")
    pinned = _sha(b"official")
    assert verify_model_dir(model, pinned) == pinned
    (model / "model.safetensors").write_bytes(b"tampered")
    with pytest.raises(ModelIntegrityError, match="does not match the pinned"):
        verify_model_dir(model, pinned)


@pytest.mark.slow
def test_topic_libraries_import_without_torch_and_cache_umap_kernels_beside_umap(tmp_path):
    # A fresh interpreter: this test process may already hold torch.
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from nlp.startup import import_bertopic, import_spacy\n"
        "import_spacy(); import_bertopic()\n"
        "import umap.umap_ as u\n"
        "from numba.core.caching import NullCache\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        # Nor the Hugging Face Hub client and its HTTP stack: runs are offline and save to folders.
        "assert 'huggingface_hub' not in sys.modules, 'huggingface_hub was imported'\n"
        # spaCy's CLI commands wait for an import of spacy.cli, which then gets the real package.
        "assert 'spacy.cli' not in sys.modules and 'jinja2' not in sys.modules, 'spaCy CLI imported'\n"
        "import spacy, spacy.cli\n"
        "assert callable(spacy.cli.download) and spacy.cli.info is spacy.info\n"
        "assert not isinstance(u.smooth_knn_dist.kernel._cache, NullCache), 'UMAP kernel not cached'\n"
        # Kernels umap compiles while it is imported are cached too, and plotly waits for a figure.
        "import umap.utils as uu\n"
        "assert not isinstance(uu.tau_rand_int._cache, NullCache), 'import-time kernel not cached'\n"
        "assert 'plotly' not in sys.modules, 'plotly imported before any figure'\n"
        "import bertopic._bertopic as b\n"
        "assert callable(b.plotting.visualize_topics) and 'plotly' in sys.modules\n"
        # Beside umap's source, where pynndescent keeps its own: a folder of ours would make a
        # fresh cache recompile pynndescent's kernels as well.
        "assert 'NUMBA_CACHE_DIR' not in os.environ, os.environ.get('NUMBA_CACHE_DIR')\n"
        "where = Path(u.smooth_knn_dist.kernel._cache._cache_path).resolve()\n"
        "print(where.is_relative_to(Path(u.__file__).resolve().parent) or where)\n"
        "import torch\n"  # still importable afterwards
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "INTERVIEWS_CACHE_HOME": str(tmp_path)}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "ok"], done.stdout


def test_umap_small_corpus_distances_are_one_matrix_product_with_the_same_values():
    import numpy as np
    from sklearn.metrics import pairwise_distances as sklearn_pairwise

    from nlp.startup import import_bertopic

    import_bertopic()
    import umap.umap_ as umap_module
    from umap.distances import cosine, euclidean

    x = np.random.default_rng(0).normal(size=(40, 16)).astype(np.float32)
    x[3] = 0.0  # umap's cosine: distance 1 to any other row, 0 to another zero row
    fast = umap_module.pairwise_distances(x, metric=cosine)
    exact = sklearn_pairwise(x, metric=cosine)  # umap's own numba kernel, one call per pair
    assert fast.dtype == exact.dtype == np.float32
    assert np.abs(fast - exact).max() < 1e-6
    # Any other metric is passed through untouched.
    assert np.array_equal(umap_module.pairwise_distances(x, metric=euclidean), sklearn_pairwise(x, metric=euclidean))


def test_umap_small_corpus_neighbours_are_numbas_stable_sort_without_compiling_it():
    import numpy as np

    from nlp.startup import import_bertopic, stable_knn_indices

    import_bertopic()
    import umap.umap_ as umap_module
    from umap.utils import fast_knn_indices  # umap's parallel numba kernel

    rng = np.random.default_rng(0)
    for rows, cols, k in ((50, 50, 15), (30, 40, 1), (20, 20, 20), (60, 60, 7)):
        x = np.round(rng.random((rows, cols)), 1).astype(np.float32)  # many ties, at the k-th value too
        x[0, :5] = np.inf
        x[1] = 0.0  # a row of ties only
        fast = stable_knn_indices(x, k)
        assert fast.dtype == np.int32 and fast.shape == (rows, k)
        assert np.array_equal(fast, fast_knn_indices(x, k))
    # umap's own small-data path calls it; NaN goes to the kernel, whose sort leaves it unordered.
    x[2, 3] = np.nan
    assert umap_module.fast_knn_indices.func is stable_knn_indices
    assert np.array_equal(umap_module.fast_knn_indices(x, 7), fast_knn_indices(x, 7))


def test_setup_compiles_every_cached_umap_kernel():
    # ``make setup`` runs this, so a new machine's first run finds the kernels compiled.
    from nlp.startup import _UMAP_KERNELS, compile_umap_kernels, umap_kernel

    compile_umap_kernels()
    for module, name in _UMAP_KERNELS:
        if (module, name) in (("umap.distances", "cosine"), ("umap.utils", "fast_knn_indices")):
            continue  # small corpora get these from numpy instead (the kernels serve NaN input)
        # The graph kernels too: small corpora get numpy versions, corpora over 4,096 the kernels.
        assert umap_kernel(module, name).signatures, f"{module}.{name} was not compiled"


def test_nn_descent_in_a_new_process_loads_the_cacheable_kernels_setup_compiled():
    # Corpora above the exact-search bound run pynndescent's NN-descent; after ``make setup``,
    # a new process loads its cacheable kernels instead of compiling them again.
    from nlp.startup import _UMAP_KERNELS, compile_umap_kernels

    compile_umap_kernels()
    kernels = [(m, n) for m, n in _UMAP_KERNELS if m.startswith("pynndescent")]
    assert kernels
    code = (
        "import numpy as np\n"
        "from nlp.startup import import_bertopic, umap_kernel\n"
        "import_bertopic()\n"
        "from pynndescent import NNDescent\n"
        "data = np.random.default_rng(1).normal(size=(200, 24)).astype(np.float32)\n"
        "NNDescent(data, n_neighbors=12, metric='cosine', random_state=1, low_memory=True, n_jobs=1)\n"
        f"for module, name in {kernels!r}:\n"
        "    stats = umap_kernel(module, name).stats\n"
        "    print(name, sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = {name: (int(hits), int(misses)) for name, hits, misses in map(str.split, done.stdout.splitlines())}
    assert loaded == {name: (1, 0) for _, name in kernels}, loaded


def test_setup_builds_the_default_backends_export_so_a_first_run_does_not(tmp_path):
    # `make setup` runs `python -m nlp.backends`: on a machine with an empty cache home it leaves
    # the default (fp32) export in place, which a run then only checks.
    env = {**os.environ, "INTERVIEWS_CACHE_HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "nlp.backends"], cwd=REPO, env=env, check=True, capture_output=True)
    assert [p.parent.name for p in tmp_path.glob("onnx/*/*/model.onnx")] == ["fp32"]


def test_reading_ask_spans_imports_spacy_without_torch():
    # A fresh interpreter: grouping asks reads spaCy's stop words, the pipeline's way.
    code = (
        "import sys\n"
        "from nlp.recommendations.span_words import content_words\n"
        "assert 'spacy' not in sys.modules, 'spaCy imported with the module'\n"
        "assert content_words('They need more advanced planning') == {'advanced', 'planning'}\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
