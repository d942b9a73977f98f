"""Parquet outputs, the run manifest, and atomic replacement of the output folder.

A run writes everything into a staging folder beside ``out_dir`` and only then swaps it in, so
a run that fails or is killed leaves the previous outputs whole. Raw input is never written.
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

__all__ = [
    "MANIFEST",
    "OUTPUT_TABLES",
    "OutputStaging",
    "read_manifest",
    "read_table",
    "recover_interrupted_swap",
    "staged_output",
]

MANIFEST = "run_manifest.json"
OUTPUT_TABLES = (
    "quotes",
    "topics",
    "section_sentiment",
    "topic_section_sentiment",
    "recommendations",
)
_PREVIOUS = ".previous-"
_STAGING = ".staging-"


def read_table(out_dir: Path, name: str) -> pd.DataFrame:
    """One output table of a finished run."""
    path = Path(out_dir) / f"{name}.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such output; run the pipeline first (make run)")
    return pd.read_parquet(path)


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The manifest of the last successful run, or ``None`` if there is none yet."""
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


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

    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        path = self.path / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        return path

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
