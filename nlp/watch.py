"""Rerun the pipeline in this process whenever its inputs change (``interviews watch``).

One long-lived process runs the pipeline once, then waits for changes to the raw folder (and
to the curation and participants files, when the config names them) and runs again, paying
the imports, model loading and compiled kernels once instead of once per run. Waiting is
``watchfiles`` (inotify on Linux). Each burst of changes (a copy of several files) gives one
run: a run starts once no change has arrived for ``quiet_ms``.

Nothing here keeps state between runs except the loaded models, which depend only on the
config (fixed for the watcher's life): each run reads the previous run's outputs, the
curation and participants files from disk as ``interviews run`` does, so a watched rerun
writes what ``interviews run`` would on the same folders. A run that fails is reported and
the watcher waits for the next change; the outputs stay those of the last good run, because
a run replaces them only as a whole (``nlp.store``). Nothing here writes into the raw folder.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nlp.config import PipelineConfig
from nlp.ingest import is_hidden

if TYPE_CHECKING:  # the run's modules load with the first run, so the CLI reads DEFAULT_QUIET_MS cheaply
    from nlp.loaded import LoadedModels
    from nlp.run_summary import RunSummary

__all__ = ["DEFAULT_QUIET_MS", "WatchError", "WatchedRun", "watch_runs", "watched_paths"]

logger = logging.getLogger("nlp.watch")

# A copy of a few interview files lands within a second; waiting that long after the last
# change turns one copy into one run, and is short beside a run's own seconds.
DEFAULT_QUIET_MS = 1000
# How often the waiting threads look at the stop flag (watchfiles' rust_timeout).
_POLL_MS = 200


@dataclass(frozen=True)
class WatchedRun:
    """One run of the watcher: what triggered it and how it ended.

    Attributes:
        changed: the changed paths that triggered it (empty for the first run).
        started: when the run started (``time.time()``).
        summary: the run's summary; ``None`` when it failed.
        error: why it failed (the exception), else ``None``.
    """

    changed: tuple[str, ...]
    started: float
    summary: RunSummary | None = None
    error: BaseException | None = None


class WatchError(RuntimeError):
    """The folders can no longer be watched (a watched folder was removed, the OS refused a watch)."""


def watched_paths(config: PipelineConfig) -> tuple[Path, tuple[Path, ...]]:
    """The raw folder (watched with its subfolders) and the single files whose edits rerun."""
    files = tuple(Path(p).resolve() for p in (config.curation, config.participants) if p is not None)
    return Path(config.raw_dir).resolve(), files


def _relevant(raw: Path, files: tuple[Path, ...], skip: tuple[Path, ...]) -> Callable[[object, str], bool]:
    """A watchfiles filter: a file the run reads changed.

    Hidden entries under the raw folder are not read by a run (``nlp.ingest.walk_raw``): an
    editor's swap file or a copy tool's temporary file does not start one; its rename to the
    real name does. The output and cache folders are skipped in case they lie inside the raw one.
    """

    def keep(change: object, path: str) -> bool:
        p = Path(path).resolve()
        if p in files:
            return True
        if not p.is_relative_to(raw) or any(p.is_relative_to(s) for s in skip):
            return False
        return not is_hidden(p.relative_to(raw))

    return keep


def _wait_threads(config: PipelineConfig, changes: queue.Queue, stop: threading.Event, quiet_ms: int) -> list[threading.Thread]:
    """Threads putting each debounced batch of changed paths on ``changes`` until ``stop`` is set.

    The raw folder is watched with its subfolders; each single file through its folder, not
    recursively (an editor that saves by replacing the file would end a watch on the file
    itself, and the folder may hold much else). The raw folder is the one it names now: a
    folder put in its place later needs new threads (``watch_runs``).
    """
    import watchfiles

    raw, files = watched_paths(config)
    skip = tuple(Path(p).resolve() for p in (config.out_dir, config.cache_dir))
    keep = _relevant(raw, files, skip)
    groups = [((raw,), True)]
    # A missing folder cannot be watched; the run names the missing file.
    parents = tuple(dict.fromkeys(f.parent for f in files if not f.is_relative_to(raw) and f.parent.is_dir()))
    if parents:
        groups.append((parents, False))

    def wait(paths: tuple[Path, ...], recursive: bool) -> None:
        try:
            for batch in watchfiles.watch(
                *paths, watch_filter=keep, step=quiet_ms, debounce=max(10 * quiet_ms, 10_000), stop_event=stop,
                rust_timeout=_POLL_MS, recursive=recursive, raise_interrupt=False, ignore_permission_denied=True,
            ):
                changes.put(sorted({path for _, path in batch}))
        except Exception as exc:  # noqa: BLE001 - handed to the main thread, which stops the watch with it
            changes.put(WatchError(f"cannot watch {', '.join(map(str, paths))}: {exc}"))

    threads = [threading.Thread(target=wait, args=group, name="interviews-watch", daemon=True) for group in groups]
    for t in threads:
        t.start()
    return threads


def _stop_waiting(halt: threading.Event, threads: list[threading.Thread]) -> None:
    """End the waiting threads of ``_wait_threads`` (each notices ``halt`` within ``_POLL_MS``)."""
    halt.set()
    for t in threads:
        t.join(timeout=2)


def _folder_id(path: Path | str) -> tuple[int, int] | None:
    """Device and inode of the folder ``path`` names now (links followed); None if it is gone."""
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _one_run(
    config: PipelineConfig, models: LoadedModels | None, changed: Iterable[str]
) -> tuple[WatchedRun, LoadedModels | None]:
    """A run that never raises (a failure comes back as ``WatchedRun.error``), and the models it used."""
    from nlp.loaded import load_models
    from nlp.run import run_pipeline

    started = time.time()
    try:
        models = models or load_models(config)
        return WatchedRun(tuple(changed), started, summary=run_pipeline(config, models=models)), models
    except Exception as exc:  # noqa: BLE001 - the watcher reports every failure and waits for the next change
        return WatchedRun(tuple(changed), started, error=exc), models


def _changed(item: list[str] | WatchError) -> list[str]:
    if isinstance(item, WatchError):
        raise item
    return item


def watch_runs(
    config: PipelineConfig,
    on_run: Callable[[WatchedRun], None],
    *,
    models: LoadedModels | None = None,
    stop: threading.Event | None = None,
    quiet_ms: int = DEFAULT_QUIET_MS,
) -> int:
    """Run once, then again after every burst of changes, until ``stop`` is set or Ctrl-C.

    Args:
        config: the settings of every run (fixed for the watcher's life).
        on_run: called after each run, in this thread, with what happened.
        models: loaded models; by default loaded once here (tests pass fakes). A model that
            fails to load is reported as that run's error and loaded again at the next change.
        stop: set from another thread to end the watch after the current run.
        quiet_ms: a run starts once no change has arrived for this long.

    Returns:
        How many runs were made.

    Raises:
        WatchError: the folders could no longer be watched.
        KeyboardInterrupt: Ctrl-C, after the waiting threads have stopped. A run interrupted
            midway leaves the last good outputs in place (they are replaced only as a whole).
    """
    stop = stop or threading.Event()
    changes: queue.Queue[list[str]] = queue.Queue()
    # Watching starts before the first run, so a file copied in during it gives a second run.
    halt, watching = threading.Event(), _folder_id(config.raw_dir)
    threads = _wait_threads(config, changes, halt, quiet_ms)
    runs = 0
    try:
        changed: list[str] = []
        while True:
            run, models = _one_run(config, models, changed)
            runs += 1
            on_run(run)
            if not Path(config.raw_dir).is_dir():  # removed or renamed: nothing left to watch
                raise WatchError(f"{config.raw_dir}: the raw folder is gone; stopped watching")
            if _folder_id(config.raw_dir) != watching:
                # Replaced by a new folder of that name (a sync tool, a checkout, a re-pointed
                # link): the old watch sees nothing more. Watch the new one and run again for
                # whatever reached it before this watch began.
                _stop_waiting(halt, threads)
                halt, watching = threading.Event(), _folder_id(config.raw_dir)
                threads = _wait_threads(config, changes, halt, quiet_ms)
                changed = [str(Path(config.raw_dir).resolve())]
                continue
            changed = []
            while not changed and not stop.is_set():
                try:
                    changed = _changed(changes.get(timeout=_POLL_MS / 1000))
                except queue.Empty:
                    continue
            if stop.is_set():
                return runs
            while not changes.empty():  # bursts the waiting threads split: one run for all
                changed += _changed(changes.get_nowait())
    finally:
        stop.set()
        _stop_waiting(halt, threads)
