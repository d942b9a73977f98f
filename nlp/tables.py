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

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa

# The machinery lives in nlp.contract; these names stay importable from here.
from nlp.contract import (
    BOOL,
    FLOAT,
    FLOATS,
    INT,
    STRING,
    STRINGS,
    Column,
    Table,
    TableContractError,
    records_frame,
)

__all__ = [
    "CODES",
    "CODE_COVERAGE",
    "COMPARISON_TABLES",
    "LAYOUT",
    "PARENTS",
    "PARENT_LINEAGE",
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
        Column("label", STRING, "a short name (2-6 words) from the theme's own quotes, unique across both levels; kept on a rerun while the theme holds the same quotes"),
        Column("keywords", STRINGS, "top keywords and two-word phrases, best first; never a hesitation or backchannel word of speech"),
        Column("size", INT, "quotes in the topic"),
        Column("n_responses", INT, "distinct responses with a quote in it, duplicates excluded"),
        Column("n_respondents", INT, "distinct respondents with a quote in it; themes rank by it"),
        Column("representative_quote_ids", STRINGS, "up to three quotes closest to the topic's centre"),
        Column("first_seen_run", STRING, "run id that first produced the topic", nullable=True),
        Column("status", STRING, "new, kept, merged or split relative to the previous run"),
        Column("mean_sentiment", FLOAT, "mean sentiment of its distinct quotes", nullable=True),
        Column("centroid", FLOATS, "unit-length mean embedding, used to match topics across runs"),
        Column("label_source", STRING, "machine, or researcher when the label was pinned in the curation file"),
        Column("parent_id", INT, "the top-level theme holding this sub-theme (parents.parquet)", nullable=True),
        Column("description", STRING, "one sentence from its most central quote, trimmed"),
        Column("description_quote_id", STRING, "the quote the description comes from", nullable=True),
        Column("evidence_quote_ids", STRINGS, "up to three central quotes from distinct respondents, most central first"),
        Column("boundary_quote_id", STRING, "the member least like the centre: how far the theme reaches", nullable=True),
    ),
)

PARENTS = Table(
    "parents",
    "one row per top-level theme",
    (
        Column("parent_id", INT, "stable across reruns; drawn from the topic id counter, so never a topic's id"),
        Column("label", STRING, "a short name (2-6 words) from the theme's own quotes, unique across both levels; kept on a rerun while the theme holds the same quotes"),
        Column("keywords", STRINGS, "its sub-themes' keywords, those most distinctive for all its quotes first"),
        Column("topic_ids", pa.list_(INT), "its sub-themes (topic_id in topics.parquet)"),
        Column("size", INT, "quotes in its sub-themes"),
        Column("n_responses", INT, "distinct responses with a quote in it, duplicates excluded"),
        Column("n_respondents", INT, "distinct respondents with a quote in it; top-level themes rank by it"),
        Column("description", STRING, "one sentence from its most central quote, trimmed"),
        Column("description_quote_id", STRING, "the quote the description comes from"),
        Column("evidence_quote_ids", STRINGS, "up to three central quotes from distinct respondents, most central first"),
        Column("boundary_quote_id", STRING, "the member least like the centre", nullable=True),
        Column("first_seen_run", STRING, "run id that first produced the theme"),
        Column("status", STRING, "new or kept relative to the previous run; merged by the curation file"),
        Column("label_source", STRING, "machine, or researcher when the label was pinned in the curation file"),
        Column("centroid", FLOATS, "unit-length mean embedding of its quotes"),
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

PARENT_LINEAGE = Table(
    "parent_lineage",
    "one row per top-level theme as the machine made it, before the curation: what the next run's themes continue",
    (
        Column("parent_id", INT, "its id"),
        Column("quote_ids", STRINGS, "the quotes its sub-themes held"),
        Column("centroid", FLOATS, "unit-length mean embedding of those quotes"),
        Column("first_seen_run", STRING, "run id that first produced it"),
    ),
    file="topic_model/parent_lineage.parquet",
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
    "one row per fitted quote, in the fit's order: its UMAP coordinates, read back to warm-start the next run",
    (
        Column("quote_id", STRING, "the quote"),
        Column("layout", FLOATS, "its coordinates in the topic model's reduced space"),
        Column("fit_key", STRING, "hash of what the fit read (quotes, vectors, settings, code); a rerun that reads "
               "the same clusters these coordinates as they are", nullable=True),
        Column("placed", BOOL, "its coordinates were placed among its most similar quotes' rather than fitted by UMAP, "
               "since the last full fit (a rerun that only added a few quotes)"),
        Column("topic_id", INT, "its topic as the topic model made it, before any curation; a rerun that places "
               "new quotes keeps it"),
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
RUN_TABLES: tuple[Table, ...] = (QUOTES, TOPICS, PARENTS, SECTION_SENTIMENT, TOPIC_SECTION_SENTIMENT, RECOMMENDATIONS)
TABLES: Mapping[str, Table] = {
    t.name: t for t in (*RUN_TABLES, *COMPARISON_TABLES, LAYOUT, TOPIC_LINEAGE, PARENT_LINEAGE, CODES, CODE_COVERAGE)
}


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """Table ``name`` of the run in ``folder``, checked against its declaration."""
    return TABLES[name].read(folder)
