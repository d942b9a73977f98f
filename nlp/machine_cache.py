"""Caches that belong to the machine, not to one project: where they live, and file hashes.

``cached_sha256`` remembers a file's hash under its size, mtime, ctime and inode, the stamp git
and make trust, so the bundled weights (90 MB) are hashed once per machine and whenever they
change, not in every process.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from pathlib import Path

__all__ = ["cache_home", "cached_sha256", "file_sha256", "file_stamp"]

_STAMP_LOCK = threading.Lock()


def cache_home() -> Path:
    """Per-user folder for machine-level caches: file-hash stamps.

    ``$INTERVIEWS_CACHE_HOME``, else ``$XDG_CACHE_HOME/interview-insights``, else
    ``~/.cache/interview-insights``. Hashes of installed files belong to the machine, not to
    one project's ``data/interim``, which ``make clean`` empties.
    """
    explicit = os.environ.get("INTERVIEWS_CACHE_HOME")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "interview-insights"


def file_stamp(path: Path) -> str:
    """Size, mtime, ctime and inode: changes whenever the file is written or replaced."""
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def cached_sha256(path: Path, stamps: Path | None = None) -> str:
    """sha256 of ``path``, computed once for each version of the file on this machine.

    The hash is stored under the file's resolved path with its stamp (size, mtime, ctime,
    inode). Any write to the file, or a copy over it, changes the ctime at least, so a changed
    file is hashed again. An unreadable or corrupt stamp file only costs a re-hash.

    Args:
        path: the file to hash.
        stamps: the JSON file of remembered hashes; defaults to ``cache_home()/sha256.json``.
    """
    path = Path(path).resolve()
    stamps = Path(stamps) if stamps is not None else cache_home() / "sha256.json"
    key, stamp = str(path), file_stamp(path)
    with _STAMP_LOCK:
        known = _read_stamps(stamps)
        entry = known.get(key)
        if isinstance(entry, dict) and entry.get("stamp") == stamp and isinstance(entry.get("sha256"), str):
            return entry["sha256"]
        digest = file_sha256(path)
        if file_stamp(path) != stamp:  # changed while it was read: trust nothing
            return digest
        known[key] = {"stamp": stamp, "sha256": digest}
        _write_stamps(stamps, known)
        return digest


def _read_stamps(stamps: Path) -> dict:
    try:
        data = json.loads(stamps.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_stamps(stamps: Path, known: dict) -> None:
    # Best effort: a read-only home only means hashing again next time.
    try:
        stamps.parent.mkdir(parents=True, exist_ok=True)
        tmp = stamps.with_name(f".{stamps.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps(known, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(stamps)
    except OSError:
        pass
