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
import sys
from collections.abc import Sequence

from prefect import flow, get_run_logger
from prefect.states import Failed

from flows.dask_runner import dask_task_runner
from flows.prefect_runner import PrefectRunner
from nlp.config import PipelineConfig, add_config_arguments, config_from_args
from nlp.embeddings import ModelIntegrityError
from nlp.guards import NothingUsableError
from nlp.runlock import RunInProgressError
from nlp.run_summary import RunSummary
from nlp.sequence import run_stages

# Stops a user can act on (the batch held nothing usable, another run holds the folder, a
# model file fails its hash check): the flow run fails with the message, and the command exits
# non-zero, without a traceback.
STOPS = (NothingUsableError, RunInProgressError, ModelIntegrityError)


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
