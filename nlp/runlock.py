"""One run at a time per output folder: a lock file beside it, held for the whole run.

A scheduled run and a manual run on the same folders could otherwise overlap: the second would
clear the first's staging folder as "left over" and the two swaps would interleave. The lock is
``.<out_dir name>-run.lock`` beside the output folder (not inside it: the folder itself is swapped
out at the end of a run), an OS-level ``flock`` through the ``filelock`` library, so a run that
is killed releases it with its process: there is never a stale lock to delete by hand.

A second run waits up to ``timeout`` seconds, logging who holds the lock, then refuses with
``RunInProgressError`` ("another run is in progress on …"); ``timeout=0`` refuses at once.
Who holds the lock (process id, host, start time) is written to ``.<name>-run.lock.json`` so the
message can say so.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from nlp.atomic import atomic_write_text

__all__ = ["DEFAULT_LOCK_TIMEOUT_S", "RunInProgressError", "lock_path", "output_lock"]

logger = logging.getLogger("nlp.runlock")

# Long enough for a scheduled run to finish a typical batch; a run that waits longer is more
# likely stuck behind a hung one, and the user should hear about it.
DEFAULT_LOCK_TIMEOUT_S = 1800.0


class RunInProgressError(RuntimeError):
    """Another run holds the output folder's lock."""


def lock_path(out_dir: Path) -> Path:
    """The lock file of ``out_dir``: a hidden sibling, since ``out_dir`` itself is swapped."""
    out_dir = Path(out_dir).absolute()
    return out_dir.parent / f".{out_dir.name}-run.lock"


# The holder writes its record just after taking the lock; a run that finds the lock taken in
# that instant waits this long for the record before calling the holder unknown.
_HOLDER_PATIENCE_S = 2.0


def _holder(info: Path) -> str:
    deadline = time.monotonic() + _HOLDER_PATIENCE_S
    while True:
        try:
            data = json.loads(info.read_text(encoding="utf-8"))
            return f"process {data['pid']} on {data['host']}, started {data['started_at']}"
        except (OSError, ValueError, KeyError, TypeError):
            if time.monotonic() >= deadline:
                return "holder unknown"
            time.sleep(0.05)


@contextmanager
def output_lock(out_dir: Path, timeout: float = DEFAULT_LOCK_TIMEOUT_S) -> Iterator[Path]:
    """Hold the lock of ``out_dir`` for the body of the ``with``.

    Args:
        out_dir: The output folder the run will replace.
        timeout: Seconds to wait for another run to finish; 0 refuses at once.

    Yields:
        The lock file's path.

    Raises:
        RunInProgressError: If another run still holds the lock after ``timeout`` seconds.
    """
    out_dir = Path(out_dir).absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(out_dir)
    info = path.with_name(path.name + ".json")
    # Not thread-local: a flow may release it from another thread than the one that took it.
    lock = FileLock(path, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = _holder(info)
        if timeout <= 0:
            raise RunInProgressError(
                f"another run is in progress on {out_dir} ({holder}); this run was not started"
            ) from None
        logger.warning(
            "another run is in progress on %s (%s); waiting up to %.0f s for it to finish",
            out_dir, holder, timeout,
        )
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise RunInProgressError(
                f"another run is in progress on {out_dir} ({holder}); gave up after waiting "
                f"{timeout:.0f} s"
            ) from None
    try:
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": started}
        # Written whole and renamed into place, so a waiting run never reads half a record.
        atomic_write_text(info, json.dumps(record))
        yield path
    finally:
        info.unlink(missing_ok=True)
        lock.release()
