"""The attributes stage: participant attributes on every quote, and the group comparisons.

It runs right after the quotes are made, so a bad participants file stops the run before any
model work, with the row and column at fault. Its result adds one ``quotes.parquet`` column
per attribute (``open_quote_columns``: their names come from the data) and writes ``theme_by_attribute``, ``theme_cooccurrence``
and ``saturation`` (``output_tables``), computed by ``nlp.compare`` from the tables the run
writes, so the counts always agree with ``quotes.parquet``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from nlp import tables
from nlp.config import PipelineConfig
from nlp.ingest import IngestResult
from nlp.ingest.survey_csv import SURVEY_FORMATS
from nlp.participants import (
    RespondentAttributes,
    join_attributes,
    quote_attribute_columns,
    read_participants,
    survey_attribute_names,
    survey_metadata_columns,
    withheld_survey_columns,
)
from nlp.schemas import Quote

__all__ = ["AttributeResult", "attach_attributes"]


@dataclass(frozen=True)
class AttributeResult:
    """Each quote's attribute values, and where they came from.

    Attributes:
        attributes: every response's values (``nlp.participants.join_attributes``).
        columns: ``quotes.parquet`` column -> one value per quote, in quote order.
        participants_file: the participants file read, if any.
        withheld: survey columns that identify a person without describing them (IP address,
            e-mail, names, coordinates): read, but kept out of every output.
        metadata: survey columns the platform records about the response (start and end time,
            duration, progress, status, channel): no attribute, so never compared as groups.
    """

    attributes: RespondentAttributes = field(default_factory=RespondentAttributes)
    columns: Mapping[str, Sequence[str]] = field(default_factory=dict)
    participants_file: str | None = None
    withheld: tuple[str, ...] = ()
    metadata: tuple[str, ...] = ()

    def open_quote_columns(self) -> Mapping[str, Sequence[str]]:
        """The attribute columns: named by the data, so open columns of ``tables.QUOTES``."""
        return dict(self.columns)

    def output_tables(self, run) -> Mapping[tables.Table, pd.DataFrame]:
        """The three comparison tables, from the quotes and topics frames the run writes."""
        from nlp.compare import compare_tables
        from nlp.outputs import quotes_frame

        topics = run.topics.output_tables(run)[tables.TOPICS]
        found = compare_tables(quotes_frame(run), topics, list(self.columns), seed=run.config.seed)
        return {
            tables.THEME_BY_ATTRIBUTE: found.theme_by_attribute,
            tables.THEME_COOCCURRENCE: found.theme_cooccurrence,
            tables.SATURATION: found.saturation,
        }

    def manifest_record(self) -> dict:
        """What the manifest says of the attributes: their columns and who the file missed."""
        return {
            "participants_file": self.participants_file,
            "columns": dict(zip(self.attributes.names, self.columns)),
            "sources": dict(self.attributes.sources),
            "missing_respondents": list(self.attributes.missing),
            "withheld_columns": list(self.withheld),
            "metadata_columns": list(self.metadata),
        }


def attach_attributes(ingested: IngestResult, quotes: Sequence[Quote], config: PipelineConfig) -> AttributeResult:
    """Join the participants file (``config.participants``) and survey columns to the quotes.

    Raises:
        ParticipantsError: the participants file is unusable; the message names row and column.
    """
    documents = ingested.documents
    participants = None
    if config.participants is not None:
        survey_columns = {c for d in documents for c in survey_attribute_names(d)}
        survey_columns |= {c for d in documents if d.format in SURVEY_FORMATS for c in d.metadata.get("columns", [])}
        participants = read_participants(config.participants, survey_columns)
    respondent_of = {q.response_id: getattr(q, "respondent_id", None) for q in quotes}
    attributes = join_attributes(documents, participants, {k: v for k, v in respondent_of.items() if v})
    columns = quote_attribute_columns([q.response_id for q in quotes], attributes, taken=tables.QUOTES.names)
    withheld = tuple(dict.fromkeys(c for d in documents for c in withheld_survey_columns(d)))
    metadata = tuple(dict.fromkeys(c for d in documents for c in survey_metadata_columns(d)))
    participants_file = str(config.participants) if config.participants else None
    return AttributeResult(attributes, columns, participants_file, withheld, metadata)
