"""``run_manifest.json`` as a record: what a run read, which model and settings it used, what it made."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from nlp.schemas import InputRecord

__all__ = ["MANIFEST", "Manifest", "ModelRecord", "read_manifest"]

MANIFEST = "run_manifest.json"


@dataclass(frozen=True)
class ModelRecord:
    """The run's embedding model.

    Attributes:
        name: model name, with the backend for an ONNX export.
        sha256: hash of the weights the vectors come from.
        embedding_key: the cache key of the backend's vectors (an export's differ from torch's).
        path: local model directory.
    """

    name: str
    sha256: str
    embedding_key: str
    path: str


@dataclass(frozen=True)
class Manifest:
    """One finished run; the fields are the JSON keys, in file order.

    Attributes:
        run_id: ``run-<number>-<fingerprint prefix>``; deterministic.
        run_number: 1 for the first run into an output folder.
        started_at: UTC, ISO 8601.
        fingerprint: hash of input bytes, settings, model and pipeline version.
        inputs: what happened to each input file.
        documents: per readable file: format, responses and what its introduction states.
        counts: documents, responses, quotes, duplicate quotes, new quotes embedded, topics,
            recommendations, input errors.
        model: the embedding model.
        versions: of the packages that shape the outputs.
        seed: the run's seed.
        next_topic_id: first id a new topic of the next run gets.
        quality: intrinsic topic-quality figures.
        notes: what a reader must know about this run's outputs, e.g. that the corpus was too
            small for topics (``nlp.guards``).
        timings: seconds per stage.
        config: the whole ``PipelineConfig``.
        curation: with a curation file: its ``file``, ``sha256``, the decisions it could not
            apply (``problems``) and how many labels the researcher pinned.
        attributes: participant attributes: the file read, attribute -> quotes column, where
            each came from, and the respondents the file does not list (grouped as unknown).
    """

    run_id: str
    run_number: int
    started_at: str
    fingerprint: str
    inputs: tuple[InputRecord, ...] = ()
    documents: tuple[dict[str, Any], ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    model: ModelRecord | None = None
    versions: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    next_topic_id: int = 0
    quality: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    curation: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """Read a manifest's JSON object; keys this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        inputs = tuple(
            InputRecord(**{k: v for k, v in i.items() if k in {f.name for f in fields(InputRecord)}})
            for i in values.get("inputs", ())
        )
        model = values.get("model")
        return cls(
            **{
                **values,
                "inputs": inputs,
                "documents": tuple(values.get("documents", ())),
                "notes": tuple(values.get("notes", ())),
                "model": ModelRecord(**model) if model else None,
            }
        )

    @property
    def raw_dir(self) -> Path | None:
        """The raw folder the run read, if recorded."""
        raw = self.config.get("raw_dir")
        return Path(raw) if raw else None


def read_manifest(out_dir: Path) -> Manifest | None:
    """The manifest of the last successful run in ``out_dir``, or ``None`` if there is none yet."""
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        return None
    return Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
