"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text"]


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write`` on a temporary path beside ``path``, then rename it over ``path``.

    The temporary name starts with a dot and is unique to this writer, so concurrent writers
    never share one and globs such as ``shard-*.npz`` never match it (it starts with a dot). On any error the
    temporary file is removed and ``path`` is left as it was.

    Args:
        path: the file to (re)place; its folder must exist.
        write: writes the whole file at the path it is given.

    Returns:
        ``path``.
    """
    path = Path(path)
    # A unique name rather than mkstemp: the file is created by ``write`` itself, so it gets the
    # usual permissions (mkstemp's are 0600) and the final file keeps them.
    # The suffix stays last, for writers that pick a format by it (openpyxl, matplotlib).
    tmp = path.parent / f".{path.stem}.{uuid.uuid4().hex}.tmp{path.suffix}"
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))
