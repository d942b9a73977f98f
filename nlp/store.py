"""Atomic replacement of the output folder: every output is written through a staging swap.

A run writes everything into a staging folder beside ``out_dir`` and only then swaps it in, so
a run that fails or is killed leaves the previous outputs whole. ``update_outputs`` does the
same for a command that adds files to a finished run (``interviews codes``). Raw input is never
written. What the tables hold is declared in ``nlp.tables``; the manifest in ``nlp.manifest``.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from nlp.manifest import MANIFEST, read_manifest
from nlp.tables import RUN_TABLES, Table, read_table

__all__ = [
    "MANIFEST",
    "OUTPUT_TABLES",
    "OutputStaging",
    "outputs_whole",
    "read_manifest",
    "read_table",
    "recover_interrupted_swap",
    "staged_output",
    "update_outputs",
]

# Names of the tables every run writes (``nlp.tables.RUN_TABLES``).
OUTPUT_TABLES = tuple(t.name for t in RUN_TABLES)
_PREVIOUS = ".previous-"
_STAGING = ".staging-"


def outputs_whole(out_dir: Path) -> bool:
    """True when every output of a finished run is present."""
    out_dir = Path(out_dir)
    return (out_dir / MANIFEST).is_file() and all((out_dir / t.filename).is_file() for t in RUN_TABLES)


def _siblings(out_dir: Path, marker: str) -> list[Path]:
    parent = out_dir.parent
    prefix = f".{out_dir.name}{marker}"
    return sorted(p for p in parent.glob(f"{prefix}*") if p.is_dir()) if parent.is_dir() else []


def recover_interrupted_swap(out_dir: Path) -> None:
    """Finish or undo a swap that a killed run left half done.

    If the process died between moving the old outputs aside and moving the new ones in,
    the old outputs are restored. Leftover staging folders of dead runs are removed.
    """
    out_dir = Path(out_dir)
    previous = _siblings(out_dir, _PREVIOUS)
    if previous and not out_dir.exists():
        previous[-1].rename(out_dir)
        previous = previous[:-1]
    for stale in previous + _siblings(out_dir, _STAGING):
        shutil.rmtree(stale, ignore_errors=True)


class OutputStaging:
    """A folder that collects one run's outputs before they replace ``out_dir``."""

    def __init__(self, out_dir: Path, run_id: str) -> None:
        self.out_dir = Path(out_dir)
        self.path = self.out_dir.parent / f".{self.out_dir.name}{_STAGING}{run_id}"
        self.path.mkdir(parents=True, exist_ok=False)

    def write_table(self, table: Table, frame: pd.DataFrame) -> Path:
        """Write ``frame`` as ``table``, validated against its declaration (``nlp.tables``)."""
        return table.write(frame, self.path)

    def write_json(self, name: str, payload: dict[str, Any]) -> Path:
        path = self.path / name
        path.write_text(json.dumps(_jsonable(payload), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    def subdir(self, name: str) -> Path:
        path = self.path / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def commit(self) -> None:
        """Swap the staged folder in for ``out_dir``: two renames on the same file system."""
        for entry in (".gitkeep",):
            (self.path / entry).touch()
        aside = self.out_dir.parent / f".{self.out_dir.name}{_PREVIOUS}{uuid.uuid4().hex[:8]}"
        had_previous = self.out_dir.exists()
        if had_previous:
            self.out_dir.rename(aside)
        self.path.rename(self.out_dir)
        _fsync_dir(self.out_dir.parent)
        if had_previous:
            shutil.rmtree(aside, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


@contextmanager
def staged_output(out_dir: Path, run_id: str) -> Iterator[OutputStaging]:
    """Stage a run's outputs; swap them in on success, throw them away on any error."""
    recover_interrupted_swap(Path(out_dir))
    Path(out_dir).parent.mkdir(parents=True, exist_ok=True)
    staging = OutputStaging(out_dir, run_id)
    try:
        yield staging
    except BaseException:
        staging.discard()
        raise
    staging.commit()


@contextmanager
def update_outputs(out_dir: Path, label: str) -> Iterator[OutputStaging]:
    """Stage a copy of a finished run's outputs to add or replace files in, then swap it in.

    For commands that add to a run (``interviews codes``): a reader of ``out_dir`` sees the
    outputs before or after the change, never a half-written file, and a failure leaves them
    as they were.

    Args:
        out_dir: a finished run's folder.
        label: names the staging folder, e.g. ``"codes"``.
    """
    out_dir = Path(out_dir)
    recover_interrupted_swap(out_dir)
    staging = OutputStaging(out_dir, f"{label}-{uuid.uuid4().hex[:8]}")
    try:
        shutil.copytree(out_dir, staging.path, dirs_exist_ok=True)
        yield staging
    except BaseException:
        staging.discard()
        raise
    staging.commit()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    return value
