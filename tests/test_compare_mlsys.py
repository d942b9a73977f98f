"""A real run on the ML-systems interview transcripts with a participants file of two made-up groups.

The transcripts live in ``../shared/data/interviews-mlsys/`` and are never copied into the repo;
the test skips when they are absent. The groups are invented for the test: the matrix must
agree with counts recomputed by hand from ``quotes.parquet``, whatever the topics are.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest


GROUPS = {
    "Interview 2.txt": "practitioner", "Interview 3.txt": "practitioner", "Interview 4.txt": "practitioner",
    "Interview 5.txt": "researcher", "Interview 6.txt": "researcher", "Interview 7.txt": "researcher",
    "Interview 8.txt": "practitioner",
}  # Interview 9 is left out on purpose: its interviewee must be grouped as "unknown"


@pytest.fixture(scope="module")
def mlsys_run(tmp_path_factory, shared_dir) -> Path:
    source = shared_dir / "data" / "interviews-mlsys"
    if not source.is_dir():
        pytest.skip(f"{source} is absent: the shared ML-systems transcripts are not on this machine")
    from nlp.config import PipelineConfig
    from nlp.run import run_pipeline
    from tests.fakes import fake_models

    root = tmp_path_factory.mktemp("mlsys")
    raw = root / "raw"
    raw.mkdir()
    for path in sorted(source.glob("*.txt")):
        shutil.copy(path, raw / path.name)
    participants = root / "participants.csv"
    participants.write_text(
        "file,role,date\n" + "".join(f"{f},{g},2024-01-{10 - int(f.split()[1][0]):02d}\n" for f, g in GROUPS.items()),
        encoding="utf-8",
    )
    config = PipelineConfig(raw_dir=raw, out_dir=root / "processed", cache_dir=root / "interim", participants=participants)
    # The point is the counting, not the topics: a fake embedder stands in for the model.
    summary = run_pipeline(config, models=fake_models(config))
    assert summary.status == "ok"
    return root / "processed"


def _countable(quotes: pd.DataFrame) -> pd.DataFrame:
    """First copies of analysable quotes: substantive, and in a language the model places
    (Interview 2 is French, so its interviewee is in no group's count)."""
    from nlp.analysable import MODEL_LANGUAGES

    keep = quotes["duplicate_of"].isna() & quotes["is_substantive"]
    keep &= quotes["language"].isin([*MODEL_LANGUAGES, ""])
    return quotes[keep]


def _respondent(quotes: pd.DataFrame) -> pd.Series:
    return quotes["respondent_id"]


def test_attributes_reach_every_quote_of_their_interview(mlsys_run):
    quotes = pd.read_parquet(mlsys_run / "quotes.parquet")
    by_file = quotes.groupby("source_file")["role"].agg(set)
    for name, group in GROUPS.items():
        assert by_file[name] == {group}
    assert by_file["Interview 9.txt"] == {"unknown"}


def test_matrix_agrees_with_counts_recomputed_from_quotes(mlsys_run):
    quotes = _countable(pd.read_parquet(mlsys_run / "quotes.parquet"))
    quotes = quotes.assign(respondent=_respondent(quotes))
    table = pd.read_parquet(mlsys_run / "theme_by_attribute.parquet")
    role = table[(table["attribute"] == "role") & (table["level"] == "topic")]
    assert set(role["value"]) == {"practitioner", "researcher", "unknown"}
    themes = sorted(t for t in quotes["topic_id"].unique() if t != -1)
    assert themes, "the run found no theme to compare"
    assert sorted(role["theme_id"].unique()) == themes
    sizes = quotes.groupby("role")["respondent"].nunique()
    for row in role.itertuples():
        raised = quotes[(quotes["topic_id"] == row.theme_id) & (quotes["role"] == row.value)]["respondent"].nunique()
        assert (row.n_respondents, row.group_size) == (raised, sizes[row.value])
        assert row.ci_low <= row.share <= row.ci_high
    # A respondent counts once per theme however many turns raise it.
    assert role["n_respondents"].max() <= sizes.max()


def test_saturation_follows_the_date_attribute(mlsys_run):
    curve = pd.read_parquet(mlsys_run / "saturation.parquet")
    topic = curve[curve["level"] == "topic"]
    # Dates run backwards from Interview 2 to Interview 8; Interview 9 has none and comes last.
    # Interview 2 is French: no analysable quote, so no interview of the curve.
    files = list(dict.fromkeys(topic["source_file"]))
    assert files == [f"Interview {n}.txt" for n in (8, 7, 6, 5, 4, 3, 9)]
    assert topic["cumulative_themes"].is_monotonic_increasing
    quotes = _countable(pd.read_parquet(mlsys_run / "quotes.parquet"))
    assert topic["cumulative_themes"].iloc[-1] == quotes.loc[quotes["topic_id"] != -1, "topic_id"].nunique()


def test_compare_command_and_report_show_the_groups(mlsys_run, tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["compare", "--by", "role", "-p", str(mlsys_run)], terminal_width=160)
    assert result.exit_code == 0, result.output
    assert "practitioner" in result.output and "researcher" in result.output
    report = CliRunner().invoke(app, ["report", "-p", str(mlsys_run), "--out-dir", str(tmp_path)])
    assert report.exit_code == 0, report.output
    html = (tmp_path / "top_themes.html").read_text(encoding="utf-8")
    assert "<h2>Themes by role</h2>" in html and "<h2>Saturation</h2>" in html


def test_top_level_themes_get_the_same_statistics(mlsys_run):
    from typer.testing import CliRunner

    from flows.cli import app

    quotes = _countable(pd.read_parquet(mlsys_run / "quotes.parquet"))
    topics = pd.read_parquet(mlsys_run / "topics.parquet")
    parents = pd.read_parquet(mlsys_run / "parents.parquet")
    quotes = quotes.assign(respondent=_respondent(quotes), parent=quotes["topic_id"].map(topics.set_index("topic_id")["parent_id"]))
    table = pd.read_parquet(mlsys_run / "theme_by_attribute.parquet")
    role = table[(table["attribute"] == "role") & (table["level"] == "parent")]
    raised = sorted(int(p) for p in quotes["parent"].dropna().unique())
    assert raised and sorted(role["theme_id"].unique()) == raised
    assert set(raised) <= set(parents["parent_id"])
    sizes = quotes.groupby("role")["respondent"].nunique()
    for row in role.itertuples():
        mine = quotes[(quotes["parent"] == row.theme_id) & (quotes["role"] == row.value)]
        assert (row.n_respondents, row.group_size) == (mine["respondent"].nunique(), sizes[row.value])
    assert (role.groupby("theme_id")["p_value"].nunique(dropna=False) == 1).all()
    pairs = pd.read_parquet(mlsys_run / "theme_cooccurrence.parquet")
    top = pairs[pairs["level"] == "parent"]
    assert len(top) == len(raised) * (len(raised) - 1) // 2
    curve = pd.read_parquet(mlsys_run / "saturation.parquet")
    assert curve.loc[curve["level"] == "parent", "cumulative_themes"].iloc[-1] == len(raised)
    # `interviews compare` shows the top level by default, under the top-level themes' own names.
    result = CliRunner().invoke(app, ["compare", "--by", "role", "-p", str(mlsys_run)], terminal_width=200)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    named = parents.set_index("parent_id").loc[role["theme_id"].unique(), "label"]
    assert any(f"{p}: {' '.join(label.split()[:2])}" in text for p, label in named.items())
