"""The interview pipeline as a Prefect flow.

It ingests the interview text, splits it into quotes, embeds and topic-models them, scores
sentiment per section, and writes recommendations (grouped into asks), with everything else it
found, to parquet. The stages and their order live in ``nlp.sequence``; here each stage becomes a
Prefect task and each batch function a mapped task.

    python -m flows.interview_pipeline --raw-dir data/raw --out-dir data/processed
"""

# No ``from __future__ import annotations``: Prefect builds the flow's parameter model from the
# annotations, and a served run loads this file from its path, where the string
# "PipelineConfig" would not resolve.
import argparse
import functools
import sys
from collections.abc import Callable, Sequence

from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed

from flows.dask_runner import dask_task_runner
from nlp.config import PipelineConfig, add_config_arguments, config_from_args
from nlp.embeddings import ModelIntegrityError
from nlp.guards import NothingUsableError
from nlp.runlock import RunInProgressError
from nlp.run_summary import RunSummary
from nlp.sequence import run_stages

# Stage outputs are large in-memory records that the next task uses at once: hashing them for
# a cache key or persisting them would cost more than the stage. The run's own outputs are the
# parquet files, and the embedding cache makes re-running a stage cheap.
STAGE = dict(cache_policy=NO_CACHE, persist_result=False)
# Batches run wherever the task runner puts them (a Dask worker may be lost mid-batch), so they
# are retried; they are idempotent because finished batches are already in the cache.
RETRIES = {"embed_batch": 2, "score_batch": 2, "write_outputs": 1}
# Stops a user can act on (the batch held nothing usable, another run holds the folder, a
# model file fails its hash check): the flow run fails with the message, and the command exits
# non-zero, without a traceback.
STOPS = (NothingUsableError, RunInProgressError, ModelIntegrityError)


@functools.cache
def _task(name: str, fn: Callable):
    return task(fn, name=name, retries=RETRIES.get(name, 0), retry_delay_seconds=2, **STAGE)


class PrefectRunner:
    """Runs each stage of ``nlp.sequence`` as a Prefect task and maps batches over the task runner."""

    def __init__(self) -> None:
        self.logger = get_run_logger()

    def run(self, name: str, fn: Callable, /, *args, **kwargs):
        return _task(name, fn)(*args, **kwargs)

    def map(self, name: str, fn: Callable, /, *iterables: Sequence, **kwargs) -> list:
        futures = _task(name, fn).map(*iterables, **{k: unmapped(v) for k, v in kwargs.items()})
        return futures.result()


@flow(name="interview-pipeline", log_prints=True)
def interview_pipeline(config: PipelineConfig = PipelineConfig(), force: bool = False) -> RunSummary:
    """Ingest → quotes → embed → topics → sentiment → recommendations → write.

    Args:
        config: every setting of the run (``nlp.config.PipelineConfig``).
        force: re-analyse even when nothing changed.
    """
    try:
        return run_stages(config, PrefectRunner(), force=force)
    except STOPS as exc:
        # An expected stop, not a crash: the message says everything, so no traceback.
        get_run_logger().error("%s", exc)
        return Failed(message=str(exc))


def with_dask(address: str | None = None, workers: int | None = None):
    """The flow, on Dask when an address or a worker count is given."""
    if not (address or workers):
        return interview_pipeline
    return interview_pipeline.with_options(task_runner=dask_task_runner(address, workers))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument("--force", action="store_true", help="re-analyse even if nothing changed")
    dask = parser.add_mutually_exclusive_group()
    dask.add_argument("--dask-address", default=None, help="run the batches on this Dask scheduler")
    dask.add_argument("--dask-workers", type=int, default=None, help="run the batches on a local Dask cluster")
    args = parser.parse_args(argv)
    from nlp.participants import ParticipantsError

    try:
        state = with_dask(args.dask_address, args.dask_workers)(
            config_from_args(args), force=args.force, return_state=True
        )
    except ParticipantsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if state.is_failed():
        print(f"error: {state.message}", file=sys.stderr)
        return 1
    summary = state.result()
    print(f"{summary.status}: {summary.run_id} -> {summary.out_dir} {summary.counts}")
    for err in summary.errors:
        print(f"input error: {err['error']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
