"""The table contract: every parquet table the project writes, declared once.

Each ``Table`` lists its columns in file order with their arrow type, whether they may be null
and a one-line meaning. Writers turn their frames into arrow through ``Table.to_arrow``, which
refuses an undeclared, missing, mistyped or wrongly null column; readers (``nlp.explore``, the
report, the CLI, the qdpx export, the codebook) load through ``read_table``, which names a
table that lacks declared columns. The README's column tables are checked against this module
by ``tests/test_tables.py``.

To add a column: declare it here, produce it in its stage (a per-quote column is a key of the
stage result's ``quote_columns()``), and describe it in the README.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "CODES",
    "CODE_COVERAGE",
    "COMPARISON_TABLES",
    "LAYOUT",
    "TOPIC_LINEAGE",
    "QUOTES",
    "RECOMMENDATIONS",
    "RUN_TABLES",
    "SATURATION",
    "SECTION_SENTIMENT",
    "TABLES",
    "THEME_BY_ATTRIBUTE",
    "THEME_COOCCURRENCE",
    "TOPICS",
    "TOPIC_SECTION_SENTIMENT",
    "Column",
    "Table",
    "TableContractError",
    "read_table",
    "records_frame",
]

STRING = pa.string()
INT = pa.int64()
FLOAT = pa.float64()
BOOL = pa.bool_()
STRINGS = pa.list_(pa.string())
FLOATS = pa.list_(pa.float64())


class TableContractError(ValueError):
    """A frame or file does not match its table's declaration."""


@dataclass(frozen=True)
class Column:
    """One declared column.

    Attributes:
        name: column name.
        type: arrow type in the parquet file.
        meaning: one line, as the README says it.
        nullable: may hold nulls (a float column's NaN is stored as null).
    """

    name: str
    type: pa.DataType
    meaning: str
    nullable: bool = False


@dataclass(frozen=True)
class Table:
    """One declared parquet table.

    Attributes:
        name: table name; the file is ``<file>`` inside the folder it belongs to.
        grain: what one row is.
        columns: in file order.
        file: path relative to the output folder.
    """

    name: str
    grain: str
    columns: tuple[Column, ...]
    file: str = ""
    # Columns named by the data rather than declared (participant attributes), all of this
    # type. A frame admits them only by listing them in ``frame.attrs["open_columns"]``
    # (``records_frame(..., open_columns=...)``), so a stray column is still refused.
    extra: Column | None = None

    @property
    def filename(self) -> str:
        return self.file or f"{self.name}.parquet"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}: no column {name!r}")

    def to_arrow(self, frame: pd.DataFrame) -> pa.Table:
        """``frame`` as an arrow table of exactly this schema, in declared column order.

        Raises:
            TableContractError: a column is undeclared or missing, cannot take its declared
                type, or holds nulls where none are allowed.
        """
        opened = list(frame.attrs.get("open_columns", ())) if self.extra is not None else []
        extra = [c for c in frame.columns if c not in self.names and c not in opened]
        missing = [c for c in self.names if c not in frame.columns]
        if opened and not extra:
            return self._with_open_columns(frame, [c for c in opened if c in frame.columns])
        if extra:
            raise TableContractError(
                f"{self.name}: columns {extra} are not declared; declare them in nlp/tables.py "
                "(type, nullability, meaning) and in the README"
            )
        if missing:
            raise TableContractError(f"{self.name}: declared columns {missing} are missing from the frame")
        try:
            table = pa.Table.from_pandas(frame[self.names], schema=self.schema, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError) as exc:
            raise TableContractError(f"{self.name}: a column does not fit its declared type: {exc}") from exc
        for c in self.columns:
            if not c.nullable and table.column(c.name).null_count:
                raise TableContractError(
                    f"{self.name}.{c.name}: {table.column(c.name).null_count} nulls in a column declared non-null"
                )
        return table

    def extra_names(self, frame: pd.DataFrame) -> list[str]:
        """The undeclared columns of a frame read from this table (participant attributes)."""
        return [c for c in frame.columns if c not in self.names] if self.extra is not None else []

    def _with_open_columns(self, frame: pd.DataFrame, opened: list[str]) -> pa.Table:
        """The declared columns, checked, then the open ones as the ``extra`` type."""
        table = replace(self, extra=None).to_arrow(frame[[c for c in frame.columns if c in self.names]])
        for name in opened:
            values = [None if pd.isna(v) else v for v in frame[name]]
            try:
                table = table.append_column(pa.field(name, self.extra.type, nullable=True), pa.array(values, self.extra.type))
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise TableContractError(f"{self.name}.{name}: does not fit {self.extra.type}: {exc}") from exc
        return table

    def write(self, frame: pd.DataFrame, folder: Path) -> Path:
        """Validate ``frame`` and write it as ``folder/<file>``.

        Writers call this on a staging folder (``nlp.store``), which makes the write atomic.
        """
        path = Path(folder) / self.filename
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(self.to_arrow(frame), path)
        return path

    def read(self, folder: Path) -> pd.DataFrame:
        """The table of a finished run in ``folder``.

        Raises:
            FileNotFoundError: no such file; the message says to run the pipeline.
            TableContractError: the file lacks declared columns (written by an older version).
        """
        path = Path(folder) / self.filename
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such output; run the pipeline first (make run)")
        frame = pd.read_parquet(path)
        missing = [c for c in self.names if c not in frame.columns]
        if missing:
            raise TableContractError(
                f"{path}: lacks columns {missing} that this version writes; run the pipeline again"
            )
        return frame


def records_frame(
    records: Sequence[Any], table: Table, open_columns: Mapping[str, Sequence[Any]] | None = None,
    **columns: Sequence[Any],
) -> pd.DataFrame:
    """A frame of ``table``'s columns from dataclass ``records`` plus per-row ``columns``.

    Record fields that the table does not declare are left out; tuples become lists for
    parquet. Types are settled by ``Table.to_arrow`` when the frame is written.
    ``open_columns`` (only for a table with ``extra``) come after the declared ones, and the
    frame lists them in ``attrs["open_columns"]`` so the writer admits them.
    """
    if open_columns and table.extra is None:
        raise TableContractError(f"{table.name}: takes no columns beyond those declared")
    wanted = set(table.names) - set(columns)
    rows = [
        {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(r).items() if k in wanted}
        for r in records
    ]
    frame = pd.DataFrame(rows, columns=[c for c in table.names if c in wanted])
    for name, values in columns.items():
        values = list(values)
        if len(values) != len(frame):
            raise TableContractError(f"{table.name}.{name}: {len(values)} values for {len(frame)} rows")
        frame[name] = values
    frame = frame[[c for c in table.names if c in frame.columns]].copy()
    for name, values in (open_columns or {}).items():
        values = list(values)
        if name in table.names or len(values) != len(frame):
            raise TableContractError(f"{table.name}.{name}: an open column must be new and have one value per row")
        frame[name] = values
    frame.attrs["open_columns"] = list(open_columns or ())
    return frame


QUOTES = Table(
    "quotes",
    "one row per quote",
    (
        Column("quote_id", STRING, "stable id: hash of source file name and span"),
        Column("source_file", STRING, "input file, relative to the raw folder"),
        Column("section", STRING, "section of the interview guide, markdown heading of a transcript, or CSV column"),
        Column("question", STRING, "the question asked in that section, or the interviewer's turn"),
        Column("response_id", STRING, "one interviewee's cell, turn or survey row"),
        Column("speaker", STRING, "speaker label of a transcript turn; empty for summaries", nullable=True),
        Column("is_direct_quote", BOOL, "true when most of the quote sits inside quotation marks in the source"),
        Column("text", STRING, "the quote, with markup and bullets removed"),
        Column("char_start", INT, "start of the quote's span in the decoded source text"),
        Column("char_end", INT, "end of the quote's span in the decoded source text"),
        Column("duplicate_of", STRING, "quote_id of the first copy when the whole response appears twice", nullable=True),
        Column("respondent_id", STRING, "the person or case who said it: file#speaker, file#id column=value, or the response"),
        Column("is_substantive", BOOL, "false for backchannel, greetings, filler, meta-talk and fragments"),
        Column("language", STRING, "ISO 639-1 code of the quote's language; short quotes take their file's"),
        Column("topic_id", INT, "topic of the quote (topics.parquet); -1 for a true outlier"),
        Column("sentiment", FLOAT, "score in [-1, 1]; above 0 is positive"),
        Column("is_recommendation", BOOL, "the quote recommends, suggests, requests or says something should be done"),
        Column("recommendation_confidence", FLOAT, "the classifier's probability behind is_recommendation"),
    ),
    extra=Column(
        "<attribute>", STRING,
        "one column per participant attribute, named as in the participants file (attr_ prefix on collision)",
        nullable=True,
    ),
)

TOPICS = Table(
    "topics",
    "one row per topic",
    (
        Column("topic_id", INT, "stable across reruns"),
        Column("label", STRING, "up to three keywords specific to the topic"),
        Column("keywords", STRINGS, "top keywords and two-word phrases, best first"),
        Column("size", INT, "quotes in the topic"),
        Column("n_responses", INT, "distinct responses with a quote in it, duplicates excluded"),
        Column("n_respondents", INT, "distinct respondents with a quote in it; themes rank by it"),
        Column("representative_quote_ids", STRINGS, "up to three quotes closest to the topic's centre"),
        Column("first_seen_run", STRING, "run id that first produced the topic", nullable=True),
        Column("status", STRING, "new, kept, merged or split relative to the previous run"),
        Column("mean_sentiment", FLOAT, "mean sentiment of its distinct quotes", nullable=True),
        Column("centroid", FLOATS, "unit-length mean embedding, used to match topics across runs"),
        Column("label_source", STRING, "machine, or researcher when the label was pinned in the curation file"),
    ),
)

TOPIC_LINEAGE = Table(
    "topic_lineage",
    "one row per topic a curation merged away or made noise: kept so the next run's lineage knows its id",
    (
        Column("topic_id", INT, "the retired id"),
        Column("centroid", FLOATS, "its machine centroid, matched against the next run's topics"),
        Column("first_seen_run", STRING, "run id that first produced it", nullable=True),
    ),
    file="topic_model/topic_lineage.parquet",
)

SECTION_SENTIMENT = Table(
    "section_sentiment",
    "one row per section",
    (
        Column("section", STRING, "the section"),
        Column("question", STRING, "its question"),
        Column("n_quotes", INT, "distinct quotes (duplicates excluded)"),
        Column("mean_sentiment", FLOAT, "their mean sentiment", nullable=True),
        Column("ci_low", FLOAT, "lower end of the seeded 95% bootstrap interval of the mean", nullable=True),
        Column("ci_high", FLOAT, "upper end of that interval", nullable=True),
        Column("share_positive", FLOAT, "share of quotes above the neutral band", nullable=True),
        Column("share_neutral", FLOAT, "share of quotes within the neutral band", nullable=True),
        Column("share_negative", FLOAT, "share of quotes below the neutral band", nullable=True),
    ),
)

TOPIC_SECTION_SENTIMENT = Table(
    "topic_section_sentiment",
    "one row per topic and section",
    (
        Column("topic_id", INT, "the topic"),
        Column("section", STRING, "the section"),
        Column("n_quotes", INT, "distinct quotes of the topic in the section"),
        Column("mean_sentiment", FLOAT, "their mean sentiment", nullable=True),
    ),
)

RECOMMENDATIONS = Table(
    "recommendations",
    "one row per ask: detected recommendations that ask for the same thing",
    (
        Column("recommendation_id", STRING, "stable: hash of the member quote ids"),
        Column("name", STRING, "short extractive name: what is asked for, in a member's words"),
        Column("text", STRING, "the most confident member's quote"),
        Column("quote_id", STRING, "that quote"),
        Column("section", STRING, "that quote's section"),
        Column("topic_id", INT, "that quote's topic"),
        Column("support", INT, "distinct respondents who ask for this"),
        Column("score", FLOAT, "rank in [0, 1]"),
        Column("quote_ids", STRINGS, "every member quote"),
        Column("response_ids", STRINGS, "every member's response"),
        Column("respondent_ids", STRINGS, "every member's respondent"),
        Column("sections", STRINGS, "the sections the members come from"),
    ),
)

LAYOUT = Table(
    "layout",
    "one row per quote: its UMAP coordinates, read back to warm-start the next run",
    (
        Column("quote_id", STRING, "the quote"),
        Column("layout", FLOATS, "its coordinates in the topic model's reduced space"),
    ),
    file="topic_model/layout.parquet",
)

CODES = Table(
    "codes",
    "one row per quote and code it gets (interviews codes)",
    (
        Column("quote_id", STRING, "the quote (quotes.parquet)"),
        Column("code", STRING, "the code's name"),
        Column("source", STRING, "human (a researcher's code) or machine"),
        Column("probability", FLOAT, "learned coding's probability; empty for a codebook match", nullable=True),
        Column("similarity", FLOAT, "highest cosine similarity to the code's anchors (codebook coding)", nullable=True),
        Column("matched_by", STRING, "embedding, keyword or both (codebook coding)", nullable=True),
    ),
)

CODE_COVERAGE = Table(
    "code_coverage",
    "one row per code and section (interviews codes)",
    (
        Column("code", STRING, "the code's name"),
        Column("section", STRING, "the section"),
        Column("n_quotes", INT, "distinct quotes of the section with the code"),
        Column("n_responses", INT, "distinct responses of the section with the code"),
        Column("share_of_section_responses", FLOAT, "responses in the section that raise the code"),
    ),
)

THEME_BY_ATTRIBUTE = Table(
    "theme_by_attribute",
    "one row per theme, attribute and value (group)",
    (
        Column("attribute", STRING, "the participant attribute"),
        Column("value", STRING, "one of its values, a group; unknown for respondents without one"),
        Column("level", STRING, "topic (a topic_id) or parent (a top-level theme, parent_id)"),
        Column("theme_id", INT, "the theme"),
        Column("n_respondents", INT, "distinct respondents of the group raising the theme"),
        Column("group_size", INT, "respondents of the group with an analysable quote"),
        Column("share", FLOAT, "n_respondents / group_size"),
        Column("ci_low", FLOAT, "lower end of its Wilson 95% interval"),
        Column("ci_high", FLOAT, "upper end of that interval"),
        Column("test", STRING, "chi2, fisher, fisher-freeman-halton (Monte Carlo) or none"),
        Column("statistic", FLOAT, "the test's statistic", nullable=True),
        Column("p_value", FLOAT, "the test's p-value, the same on every row of the theme", nullable=True),
        Column("q_value", FLOAT, "p-value corrected across themes (Benjamini-Hochberg)", nullable=True),
        Column("residual", FLOAT, "adjusted standardised residual of the group's count", nullable=True),
        Column("representation", STRING, "over or under when the residual is beyond 1.96 and q < 0.05", nullable=True),
    ),
)

THEME_COOCCURRENCE = Table(
    "theme_cooccurrence",
    "one row per pair of themes of one level",
    (
        Column("level", STRING, "topic or parent"),
        Column("theme_a", INT, "one theme"),
        Column("theme_b", INT, "the other"),
        Column("n_a", INT, "respondents raising theme_a"),
        Column("n_b", INT, "respondents raising theme_b"),
        Column("n_both", INT, "respondents raising both"),
        Column("jaccard", FLOAT, "n_both over respondents raising either"),
        Column("lift", FLOAT, "n_both x N / (n_a x n_b); above 1, raised together more than chance"),
    ),
)

SATURATION = Table(
    "saturation",
    "per level, one row per respondent in input order (or by a date attribute)",
    (
        Column("level", STRING, "topic or parent"),
        Column("position", INT, "1 for the first interview"),
        Column("respondent_id", STRING, "the respondent"),
        Column("source_file", STRING, "their file"),
        Column("date", STRING, "their date attribute, if any", nullable=True),
        Column("new_themes", INT, "themes nobody before raised"),
        Column("new_theme_ids", pa.list_(INT), "those themes"),
        Column("cumulative_themes", INT, "themes raised so far"),
    ),
)

# The group comparisons: written by every run since they exist; older runs lack them.
COMPARISON_TABLES: tuple[Table, ...] = (THEME_BY_ATTRIBUTE, THEME_COOCCURRENCE, SATURATION)

# Written by every pipeline run; a folder holding all of them (and the manifest) is a finished run.
RUN_TABLES: tuple[Table, ...] = (QUOTES, TOPICS, SECTION_SENTIMENT, TOPIC_SECTION_SENTIMENT, RECOMMENDATIONS)
TABLES: Mapping[str, Table] = {
    t.name: t for t in (*RUN_TABLES, *COMPARISON_TABLES, LAYOUT, TOPIC_LINEAGE, CODES, CODE_COVERAGE)
}


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """Table ``name`` of the run in ``folder``, checked against its declaration."""
    return TABLES[name].read(folder)
