"""Per-file work remembered between runs, so a rerun pays only for what changed.

Splitting a file into quotes, judging each quote substantive and finding its language, and
scoring how strongly each quote recommends something are functions of one file's content, the
settings that steer them and the code that computes them. Each result is stored under

    <cache_dir>/stages/<stage>/<fingerprint>/<key>.pkl

where ``key`` hashes the file's content (its parsed document, or its quotes and their
vectors) and ``fingerprint`` hashes the stage's settings and the source of the modules that
compute it. A changed file gets a new key; a changed setting, or an edited module, a new
fingerprint; either way the work is done again, so a hit is always what a cold run would
compute. Nothing else is trusted: an unreadable or corrupt entry is a miss.

Entries are pruned after each run that computed anything (``prune``): what the run used stays,
and of the rest each stage keeps the ``keep`` most recently used (``PipelineConfig.cache_keep``),
so a setting switched back, or an edit undone, is still warm while the folder stops growing.
A hit refreshes its entry's modification time, which is what "used" means here: it holds
across the processes of one run (the flow's Dask workers) and across concurrent runs.

The entries are pickles written by this package into the user's own cache folder, like the
embedding cache beside them; a cache folder is not a place to put files from elsewhere.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import pickle
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.atomic import atomic_write_bytes

__all__ = ["StageCache", "code_fingerprint", "content_key", "file_clock", "prune"]


def code_fingerprint(*modules: str) -> str:
    """sha256 over the source files of the named (imported) modules.

    Editing how a stage computes its result invalidates what it cached, without anyone having
    to remember to bump a version.
    """
    digest = hashlib.sha256()
    for name in sorted(modules):
        source = getattr(importlib.import_module(name), "__file__", None)
        digest.update(name.encode())
        if source:
            digest.update(Path(source).read_bytes())
    return digest.hexdigest()


def content_key(*parts: Any) -> str:
    """sha256 of ``parts``: bytes as they are, anything else by its ``repr``.

    ``repr`` of the frozen dataclass records (documents, quotes) spells out every field, so two
    records with equal content give equal keys.
    """
    digest = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


@dataclass
class StageCache:
    """One stage's remembered results under one fingerprint.

    Attributes:
        root: the stage cache folder (``<cache_dir>/stages``).
        stage: the stage's name, one folder per stage.
        settings: whatever besides the input decides the result (JSON-able).
        modules: the modules whose source computes it.
        hits: entries found during this run; misses: entries computed.
    """

    root: Path
    stage: str
    settings: Any
    modules: tuple[str, ...]
    hits: int = field(default=0, init=False)
    misses: int = field(default=0, init=False)

    @functools.cached_property
    def folder(self) -> Path:
        settings = json.dumps(self.settings, sort_keys=True, default=str)
        fingerprint = content_key(settings.encode(), code_fingerprint(*self.modules).encode())
        return Path(self.root) / self.stage / fingerprint[:32]

    def get(self, key: str) -> Any | None:
        """The stored result for ``key``, or ``None`` (never stored, or unreadable)."""
        path = self.folder / f"{key}.pkl"
        try:
            value = pickle.loads(path.read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        try:
            os.utime(path)  # used now: ``prune`` keeps it
        except OSError:
            pass
        return value

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` for ``key``; a full or read-only disk only costs the work next time."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.folder / f"{key}.pkl", pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            pass


def file_clock(root: Path) -> float:
    """Now, as the file system under ``root`` stamps modification times.

    Entries touched after this call have a modification time at least this; a run's start
    taken from ``time.time()`` can be ahead of a coarse file clock, or behind a shared volume's.
    """
    marker = Path(root) / f".clock-{uuid.uuid4().hex}"
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        try:
            return marker.stat().st_mtime
        finally:
            marker.unlink(missing_ok=True)
    except OSError:
        return time.time()


def prune(root: Path, since: float, keep: int) -> int:
    """Delete stage cache entries not used since ``since``, all but each stage's ``keep`` latest.

    Args:
        root: the stage cache folder (``<cache_dir>/stages``).
        since: when the run started (``file_clock``); entries written or read since then
            (modification time) are this run's and always stay.
        keep: how many other entries each stage keeps, the most recently used first.

    Returns:
        How many entries were deleted. Folders left empty go too; an entry another process
        deletes first, or cannot delete, is skipped (a later run only computes it again).
    """
    removed = 0
    for stage in sorted(p for p in Path(root).glob("*") if p.is_dir()) if Path(root).is_dir() else ():
        older: list[tuple[float, Path]] = []
        for path in stage.glob("*/*.pkl"):
            try:
                used = path.stat().st_mtime
            except OSError:
                continue
            if used < since:
                older.append((used, path))
        older.sort(key=lambda e: (-e[0], str(e[1])))
        for _, path in older[max(keep, 0):]:
            try:
                path.unlink()
                removed += 1
            except OSError:
                pass
        for folder in stage.glob("*"):
            try:
                folder.rmdir()  # only when empty
            except OSError:
                pass
    return removed
