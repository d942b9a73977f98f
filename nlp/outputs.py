"""The write stage: a run's records to the parquet tables, topic model and manifest of ``out_dir``.

Tables are declared in ``nlp.tables``; this module only assembles them. ``quotes.parquet`` is
the quotes' own fields plus every stage result's ``quote_columns()``; every other table comes
from a stage result's ``output_tables(run)``. So a new per-quote column or table needs no
change here.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from nlp import tables
from nlp.analysable import exclusion_summary, language_note
from nlp.attributes import AttributeResult
from nlp.config import PipelineConfig, jsonable_config
from nlp.curated_topics import CurationRecord
from nlp.ingest import IngestResult
from nlp.ingest.paragraphs import paragraphs_note
from nlp.ingest.survey_columns import columns_note
from nlp.manifest import MANIFEST, Manifest, ModelRecord
from nlp.pipeline import PIPELINE_VERSION, RecommendationResult, TopicResult
from nlp.sentiment_stage import SentimentResult
from nlp.schemas import Quote
from nlp.store import OutputStaging, staged_output
from nlp.theme_stage import ThemeResult
from nlp.topics.stability import placed_count

__all__ = ["RunResults", "build_manifest", "quotes_frame", "versions", "write_run"]


@dataclass(frozen=True)
class RunResults:
    """Everything one run produced, as the write stage receives it.

    A field whose value has ``quote_columns()`` adds columns to ``quotes.parquet``; one with
    ``output_tables(run)`` adds tables. A new stage adds its result as a field here (with a
    default, so callers that predate it still work) and is written with no other change.
    """

    config: PipelineConfig
    run_id: str
    run_number: int
    started_at: str
    fingerprint: str
    model: ModelRecord
    ingested: IngestResult
    quotes: list[Quote]
    new_quotes_embedded: int
    topics: TopicResult
    sentiment: SentimentResult
    recommendations: RecommendationResult
    timings: dict[str, float]
    # Quotes the rules kept that the filler model made non-substantive (nlp.filler_model).
    filler_model_quotes: int = 0
    curation: CurationRecord | None = None
    attributes: AttributeResult = field(default_factory=AttributeResult)
    # Top-level themes (nlp.theme_stage), written as parents.parquet.
    themes: ThemeResult = field(default_factory=ThemeResult)

    @cached_property
    def notes(self) -> tuple[str, ...]:
        """What a reader must know about this run's outputs: survey answers in columns left out, text
        files read as plain paragraphs, too little text for topics, quotes placed rather than
        fitted, quotes in a language the model cannot place. Read once per run: the manifest and
        the run summary both print them."""
        notes = (
            columns_note(self.ingested.documents), paragraphs_note(self.ingested.documents), self.topics.note,
            self.topics.plan and self.topics.plan.placed_note,
            language_note(self.quotes),
        )
        return tuple(n for n in notes if n)

    def stage_results(self) -> Iterator[Any]:
        """The stage results among the fields, in field order."""
        for f in fields(self):
            value = getattr(self, f.name)
            if hasattr(value, "quote_columns") or hasattr(value, "output_tables"):
                yield value


def quotes_frame(run: RunResults) -> pd.DataFrame:
    """``quotes.parquet``: each quote's fields and the per-quote columns of every stage."""
    columns: dict[str, Sequence[Any]] = {}
    open_columns: dict[str, Sequence[Any]] = {}  # named by the data: participant attributes
    for result in run.stage_results():
        if hasattr(result, "quote_columns"):
            columns.update(result.quote_columns())
        if hasattr(result, "open_quote_columns"):
            open_columns.update(result.open_quote_columns())
    return tables.records_frame(run.quotes, tables.QUOTES, open_columns=open_columns, **columns)


def versions() -> dict[str, str]:
    """Versions of the packages that shape the outputs."""
    out = {"python": platform.python_version(), "pipeline": PIPELINE_VERSION}
    for pkg in ("bertopic", "sentence-transformers", "torch", "umap-learn", "scikit-learn", "spacy", "prefect"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def _analysis_counts(quotes: Sequence[Quote]) -> dict[str, int]:
    """Who and what was counted: respondents, and quotes kept out of the analysis and why."""
    summary = exclusion_summary(quotes)
    return {
        "respondents": summary["respondents"],
        "analysable_quotes": summary["analysable"],
        "non_substantive_quotes": summary["non_substantive"],
        "other_language_quotes": summary["other_language"],
    }


def build_manifest(run: RunResults) -> Manifest:
    """The manifest of ``run``."""
    ingested, quotes = run.ingested, run.quotes
    return Manifest(
        run_id=run.run_id,
        run_number=run.run_number,
        started_at=run.started_at,
        fingerprint=run.fingerprint,
        inputs=tuple(ingested.inputs),
        documents=tuple(
            {"file": d.source_file, "format": d.format, "responses": len(d.responses), **d.metadata}
            for d in ingested.documents
        ),
        counts={
            "documents": len(ingested.documents),
            "responses": len({q.response_id for q in quotes}),
            "quotes": len(quotes),
            **_analysis_counts(quotes),
            "filler_model_quotes": run.filler_model_quotes,
            "duplicate_quotes": sum(q.duplicate_of is not None for q in quotes),
            "new_quotes_embedded": run.new_quotes_embedded,
            "placed_quotes": placed_count(run.topics.plan),
            "topics": len(run.topics.topics),
            "top_level_themes": len(run.themes.parents),
            "recommendations": len(run.recommendations.candidates),
            "input_errors": sum(r.status == "error" for r in ingested.inputs),
        },
        model=run.model,
        versions=versions(),
        seed=run.config.seed,
        next_topic_id=run.topics.next_topic_id,
        quality=run.topics.quality,
        notes=run.notes,
        timings=dict(run.timings),
        config=jsonable_config(run.config),
        curation=run.curation.manifest_entry() if run.curation is not None else {},
        attributes=run.attributes.manifest_record(),
    )


def _write_topic_model(staging: OutputStaging, topics: TopicResult, model: ModelRecord) -> None:
    """The fitted BERTopic model (safetensors, pointing at the local embedder) and its id map."""
    from nlp.topics import save_topic_model

    path = staging.path / "topic_model"
    save_topic_model(topics.fit, path, model.path or None)
    mapping = {str(k): v for k, v in sorted(topics.model_topic_ids.items())}
    (path / "stable_topic_ids.json").write_text(
        json.dumps({"bertopic_topic_to_topic_id": mapping}, indent=2), encoding="utf-8"
    )


def write_run(run: RunResults) -> Path:
    """Write every table, the topic model and the manifest, then swap them in for ``out_dir``."""
    out_dir = Path(run.config.out_dir)
    with staged_output(out_dir, run.run_id) as staging:
        # The model first: BERTopic's save owns the topic_model folder that other files join.
        if run.topics.fit is not None:
            _write_topic_model(staging, run.topics, run.model)
        written: dict[tables.Table, pd.DataFrame] = {tables.QUOTES: quotes_frame(run)}
        for result in run.stage_results():
            if hasattr(result, "output_tables"):
                written.update(result.output_tables(run))
        for table, frame in written.items():
            staging.write_table(table, frame)
        staging.write_json(MANIFEST, build_manifest(run).to_dict())
    return out_dir


def frames(run: RunResults) -> Mapping[str, pd.DataFrame]:
    """Every table ``write_run`` would write, by name, without writing (for notebooks and tests)."""
    out = {tables.QUOTES.name: quotes_frame(run)}
    for result in run.stage_results():
        if hasattr(result, "output_tables"):
            out.update({t.name: f for t, f in result.output_tables(run).items()})
    return out
