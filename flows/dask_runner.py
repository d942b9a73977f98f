"""Where the flow's mapped batches run when they are spread over Dask."""

from __future__ import annotations

__all__ = ["dask_task_runner"]


def dask_task_runner(address: str | None, workers: int | None):
    """A Dask task runner for the mapped batches: an existing cluster, or a local one.

    Args:
        address: scheduler of a running cluster, e.g. ``tcp://10.0.0.5:8786``.
        workers: otherwise, a local cluster of this many single-threaded worker processes.
    """
    # Imported here so runs without Dask never pay for importing distributed.
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    # One thread per worker: the model already uses every core of a process, and a worker loads
    # the models once (``nlp.loaded``), so it holds one model and runs one batch at a time.
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers, "threads_per_worker": 1, "processes": True,
            "host": "127.0.0.1", "dashboard_address": None,
        }
    )
