"""The `interviews` command on a fresh seed run: each subcommand a researcher would type."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app

pytestmark = pytest.mark.slow

COMMANDS = ["run", "themes", "quotes", "recommendations", "report", "codes", "export-qdpx", "agreement"]
CODEBOOK = "codebooks/ocp_engagement_criteria.yaml"


@pytest.fixture
def runner(monkeypatch):
    # Wide enough that rich does not wrap theme labels across lines.
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_help(runner, command):
    result = runner.invoke(app, [command, "--help"] if command else ["--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_themes_lead_with_the_largest_top_level_themes_and_their_sub_themes(runner, processed_dir):
    parents = pd.read_parquet(processed_dir / "parents.parquet").sort_values(
        ["n_respondents", "n_responses", "size"], ascending=False, kind="stable"
    )
    topics = pd.read_parquet(processed_dir / "topics.parquet").set_index("topic_id")
    result = runner.invoke(app, ["themes", "--processed-dir", str(processed_dir), "--top", "2"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # rich wraps long labels over lines
    first, second = (" ".join(label.split()[:2]) for label in parents["label"].iloc[:2])
    assert text.index(first) < text.index(second)
    # The first theme's sub-themes come after it, whose own label may begin with one of theirs
    # ("Creating regional hubs and evidence base" holds "Creating regional hubs"): its first
    # occurrence, the theme's row, is blanked out.
    rest = text.replace(first, " " * len(first), 1)
    for topic_id in parents["topic_ids"].iloc[0]:
        sub = topics.loc[topic_id, "label"].split()[0]
        assert text.index(first) < rest.index(sub, text.index(first))
    assert f"Top 2 of {len(parents)} themes" in text
    assert len(parents) <= 2 or parents["label"].iloc[-1] not in text


def test_themes_end_with_what_a_reader_must_know_about_the_run(runner, processed_dir, tmp_path):
    import json
    import shutil

    copy = shutil.copytree(processed_dir, tmp_path / "processed")
    manifest = json.loads((copy / "run_manifest.json").read_text(encoding="utf-8"))
    note = "148 quotes not in English (fr 148) are left out; none of Interview 2.txt is analysed"
    (copy / "run_manifest.json").write_text(json.dumps({**manifest, "notes": [note]}), encoding="utf-8")
    result = runner.invoke(app, ["themes", "--processed-dir", str(copy), "--top", "2"])
    assert result.exit_code == 0, result.output
    assert f"Note: {note}." in " ".join(result.output.split())
    plain = runner.invoke(app, ["themes", "--processed-dir", str(processed_dir), "--top", "2"])
    assert "Note:" not in plain.output


def test_quotes_of_a_topic_with_provenance(runner, processed_dir):
    quotes = pd.read_parquet(processed_dir / "quotes.parquet")
    topic = int(quotes["topic_id"].mode()[0])
    result = runner.invoke(app, ["quotes", "-p", str(processed_dir), "--topic", str(topic)])
    assert result.exit_code == 0, result.output
    assert "interview_summary.txt#" in result.output  # response ids
    assert quotes[quotes["topic_id"] == topic]["section"].iloc[0] in result.output


def test_quotes_of_a_top_level_theme_are_its_sub_themes_quotes(runner, processed_dir):
    parents = pd.read_parquet(processed_dir / "parents.parquet")
    quotes = pd.read_parquet(processed_dir / "quotes.parquet")
    parent = parents.iloc[0]
    result = runner.invoke(app, ["quotes", "-p", str(processed_dir), "--topic", str(parent.parent_id)],
                           terminal_width=200)
    assert result.exit_code == 0, result.output
    mine = quotes[quotes["topic_id"].isin(list(parent.topic_ids)) & quotes["duplicate_of"].isna()]
    assert f"{len(mine)} quotes" in result.output
    assert " ".join(parent.label.split()[:2]) in " ".join(result.output.split())


def test_unknown_topic_is_a_clear_error(runner, processed_dir):
    result = runner.invoke(app, ["quotes", "-p", str(processed_dir), "--topic", "9999"])
    assert result.exit_code == 1
    assert "no theme 9999" in result.output


def test_recommendations_show_support(runner, processed_dir):
    result = runner.invoke(app, ["recommendations", "-p", str(processed_dir), "--top", "5"])
    assert result.exit_code == 0, result.output
    assert "support" in result.output and "Top 5 of" in result.output


@pytest.mark.parametrize("command", ["themes", "recommendations", "report", "export-qdpx"])
def test_missing_outputs_say_to_run_first(runner, tmp_path, command):
    result = runner.invoke(app, [command, "--processed-dir", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "run `interviews run` first" in " ".join(result.output.split())


def test_report_writes_three_files(runner, processed_dir, tmp_path):
    result = runner.invoke(app, ["report", "-p", str(processed_dir), "--top", "3", "--out-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for suffix in ("html", "md", "xlsx"):
        assert (tmp_path / f"top_themes.{suffix}").stat().st_size > 0


def test_codes_then_export_qdpx(runner, processed_copy, raw_dir, cache_dir, tmp_path):
    result = runner.invoke(
        app, ["codes", "-p", str(processed_copy), "--codebook", CODEBOOK, "--cache-dir", str(cache_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "4 Resources" in result.output
    assert (processed_copy / "codes.parquet").is_file() and (processed_copy / "code_coverage.parquet").is_file()

    out = tmp_path / "seed.qdpx"
    result = runner.invoke(app, ["export-qdpx", "-p", str(processed_copy), "--raw-dir", str(raw_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert "4 Resources" in archive.read("project.qde").decode("utf-8")


def test_run_without_prefect(runner, raw_dir, cache_dir, tmp_path):
    out = tmp_path / "processed"
    args = ["run", "--no-prefect", "--raw-dir", str(raw_dir), "--out-dir", str(out), "--cache-dir", str(cache_dir)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "ok: run-0001" in result.output
    assert (out / "quotes.parquet").is_file()
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "up-to-date" in again.output
