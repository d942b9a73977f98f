"""Each stage of ``nlp.sequence`` as a Prefect task, and its batches as mapped tasks."""

import functools
from collections.abc import Callable, Sequence

from prefect import get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

__all__ = ["PrefectRunner"]

# Stage outputs are large in-memory records that the next task uses at once: hashing them for
# a cache key or persisting them would cost more than the stage. The run's own outputs are the
# parquet files, and the embedding cache makes re-running a stage cheap.
STAGE = dict(cache_policy=NO_CACHE, persist_result=False)
# Batches run wherever the task runner puts them (a Dask worker may be lost mid-batch), so they
# are retried; they are idempotent because finished batches are already in the cache.
RETRIES = {"embed_batch": 2, "score_batch": 2, "write_outputs": 1}


@functools.cache
def _task(name: str, fn: Callable):
    return task(fn, name=name, retries=RETRIES.get(name, 0), retry_delay_seconds=2, **STAGE)


class PrefectRunner:
    """Runs each stage of ``nlp.sequence`` as a Prefect task and maps batches over the task runner.

    Every argument is passed ``quote``d (on Dask, a stage's but not a mapped batch's): Prefect
    otherwise walks each argument's contents, every quote record of every list, looking for
    futures and upstream results, which cost 0.4-0.6 s per task at 3,000 quotes
    (``bench.prefect_overhead``) and 2.7 s at 30,000. The stages are called one after another
    with plain values, so there is nothing to find; the price is that the Prefect UI draws no
    edges between the tasks.
    """

    def __init__(self) -> None:
        self.logger = get_run_logger()

    def run(self, name: str, fn: Callable, /, *args, **kwargs):
        return _task(name, fn)(*map(quote, args), **{k: quote(v) for k, v in kwargs.items()})

    def map(self, name: str, fn: Callable, /, *iterables: Sequence, **kwargs) -> list:
        # On Dask the wrapper does not survive serialisation (a worker gets a bare tuple), so
        # mapped batches are quoted only on the default, in-process task runner.
        wrap = quote if isinstance(FlowRunContext.get().task_runner, ThreadPoolTaskRunner) else _as_is
        batches = ([wrap(item) for item in iterable] for iterable in iterables)
        futures = _task(name, fn).map(*batches, **{k: unmapped(wrap(v)) for k, v in kwargs.items()})
        return futures.result()


def _as_is(value):
    return value
