"""The flow's batches on a local two-worker Dask cluster give the outputs of the default runner."""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flows.interview_pipeline import main
from nlp.store import MANIFEST, OUTPUT_TABLES

pytestmark = pytest.mark.slow

# Small enough that the seed's ~200 quotes make several embedding and scoring tasks, so the
# batches really spread over both workers. Both runs use it: a different batch size changes
# how texts are padded together, which moves vectors by ~1e-7 and can move topics.
BATCH_SIZE = 64


@pytest.fixture(scope="module")
def dask_cluster():
    """Two single-threaded worker processes on 127.0.0.1, as ``--dask-workers 2`` makes them.

    The test owns the cluster and passes its address, so that afterwards it can ask each worker
    what it did.
    """
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield cluster


def _run(raw: Path, out: Path, cache: Path, *extra: str) -> None:
    argv = ["--raw-dir", str(raw), "--out-dir", str(out), "--cache-dir", str(cache),
            "--batch-size", str(BATCH_SIZE), *extra]
    assert main(argv) == 0


def _worker_embedders(cache_dir: str) -> dict[str, int | bool]:
    # Runs inside each Dask worker: how many embedders that process built, and whether the
    # model behind the default backend's embedder was loaded.
    from nlp.backends import BACKENDS, base_embedder

    built = base_embedder.cache_info().misses
    base = base_embedder(None, BACKENDS[0], cache_dir, False)  # a hit if it was built
    return {"embedders_built": built, "model_loaded": base._session is not None}


def _embed_task_runs(out_dir: Path, expected: int, timeout: float = 60.0) -> int:
    """Completed ``embed_batch`` task runs of the flow run that wrote ``out_dir``."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    # Task runs reach the API through events, so they can show up shortly after the flow ends.
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            flow_runs = [
                r for r in client.read_flow_runs() if Path(r.parameters.get("config", {}).get("out_dir", "")) == out_dir
            ]
            assert len(flow_runs) == 1
            task_runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_runs[0].id]))
            )
            done = sum(t.name.startswith("embed_batch") and t.state.is_completed() for t in task_runs)
            if done >= expected or time.monotonic() > deadline:
                return done
            time.sleep(1)


def _assert_same_tables(expected_dir: Path, actual_dir: Path) -> None:
    for name in OUTPUT_TABLES:
        expected = pd.read_parquet(expected_dir / f"{name}.parquet")
        actual = pd.read_parquet(actual_dir / f"{name}.parquet")
        # Float vectors stored per row compare with the same tolerance as the float columns.
        for column in [c for c in expected.columns if c == "centroid"]:
            np.testing.assert_allclose(
                np.stack(actual.pop(column).to_numpy()), np.stack(expected.pop(column).to_numpy()),
                rtol=1e-6, atol=1e-6, err_msg=f"{name}.{column}",
            )
        pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-6, atol=1e-6, obj=name)


def test_dask_cluster_gives_the_default_runners_outputs(prefect_harness, dask_cluster, seed_path, tmp_path, shared_onnx):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(seed_path, raw)
    on_dask, default = tmp_path / "dask", tmp_path / "default"
    shared_onnx(on_dask / "cache")
    shared_onnx(default / "cache")

    _run(raw, on_dask / "out", on_dask / "cache", "--dask-address", dask_cluster.scheduler_address)
    _run(raw, default / "out", default / "cache")

    _assert_same_tables(default / "out", on_dask / "out")
    manifests = [json.loads((d / "out" / MANIFEST).read_text()) for d in (default, on_dask)]
    assert manifests[0]["run_id"] == manifests[1]["run_id"]
    # Batches hold distinct texts, so every count, new_quotes_embedded included, is the same.
    assert manifests[0]["counts"] == manifests[1]["counts"]

    distinct = pd.read_parquet(on_dask / "out" / "quotes.parquet").text.nunique()
    assert manifests[1]["counts"]["new_quotes_embedded"] == distinct
    batches = math.ceil(distinct / BATCH_SIZE)
    assert distinct > 100 and batches > 1
    assert _embed_task_runs(on_dask / "out", batches) == batches

    # Every worker did embedding work, and built its embedder (and loaded the model) once,
    # however many batches and stages it ran.
    from distributed import Client

    with Client(dask_cluster) as client:
        per_worker = client.run(_worker_embedders, str(on_dask / "cache"))
    assert len(per_worker) == 2
    assert all(w == {"embedders_built": 1, "model_loaded": True} for w in per_worker.values()), per_worker
