"""Small trained heads shipped as JSON in ``nlp/models/``: reading, writing, loading once.

The sentiment and recommendation heads are plain records of weights and metadata; this module
holds what they share, so both read and write their files the same way and never pickle.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

from nlp.atomic import atomic_write_text

__all__ = ["JsonFile", "bundled_head"]

H = TypeVar("H", bound="_FromDict")


class _FromDict(Protocol):
    @classmethod
    def from_dict(cls: type[H], data: dict[str, Any], source: str = ...) -> H: ...


class JsonFile:
    """Mixin for a record with ``to_dict``/``from_dict``: JSON files, written atomically."""

    @classmethod
    def from_json(cls, path: str | Path):
        """Read a head written by ``to_json``."""
        path = Path(path)
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")), source=str(path))

    def to_json(self, path: str | Path) -> None:
        """Write the head as indented JSON, atomically."""
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")


@functools.lru_cache(maxsize=None)
def bundled_head(filename: str, kind: type[H]) -> H:
    """The head shipped as ``nlp/models/<filename>``, read once per process on first use."""
    resource = resources.files("nlp") / "models" / filename
    return kind.from_dict(json.loads(resource.read_text(encoding="utf-8")), source=str(resource))
