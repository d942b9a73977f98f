"""Group comparisons in the report, the workbook and the terminal: present, right and escaped."""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd
from openpyxl import load_workbook
from typer.testing import CliRunner

from nlp.compare import saturation, theme_by_attribute, theme_cooccurrence
from tests.outputs.test_report import EVIL, _tiny_outputs

DOLLARS = "costs $5 to $10 a month"  # a lone "$" pair would start matplotlib mathtext


def _grouped_outputs():
    """The tiny report outputs with a group per response, and their comparison tables."""
    outputs = _tiny_outputs()
    more = outputs.quotes.iloc[[0, 3]].assign(  # two more people, so each group has two
        quote_id=["q9", "q10"], response_id=["r8", "r9"], respondent_id=["ed", "fa"], text=["More money.", "Help!"]
    )
    quotes = pd.concat([outputs.quotes, more], ignore_index=True).assign(group=lambda q: q["respondent_id"].map(
        {"ana": "funder <i>", "fa": "funder <i>", "bo": "implementer", "ed": "implementer"}))
    topics = outputs.topics.assign(label=[DOLLARS, EVIL])
    return replace(
        outputs, quotes=quotes, topics=topics,
        theme_by_attribute=theme_by_attribute(quotes, topics, ["group"]), saturation=saturation(quotes, topics),
    )


def test_report_shows_an_escaped_heatmap_and_the_saturation_curve(tmp_path):
    from nlp.report import write_report

    outputs = _grouped_outputs()
    files = write_report(outputs, tmp_path, top=2)
    html = files.html.read_text(encoding="utf-8")
    section = html[html.index("<h2>Themes by group</h2>"):html.index("<h2>Top recommendations</h2>")]
    assert re.search(r'<img class="chart" alt="Heatmap of the share of each group group raising each theme" '
                     r'src="data:image/svg\+xml;base64,', section)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "funder &lt;i&gt; (n=2)" in section and "<i>" not in html
    # ana raises both themes first; bo, ed and fa add none.
    assert "<h2>Saturation</h2>" in html and "No new theme appeared after interview 1 of 4 (ana)" in html
    markdown = files.markdown.read_text(encoding="utf-8")
    assert "![Heatmap of themes by group](top_themes_by_1.png)" in markdown
    assert "funder \\<i> (n=2)" in markdown  # escaped in the Markdown table header too
    assert all(p.is_file() and p.stat().st_size > 0 for p in files.images)
    assert (tmp_path / "top_themes_by_1.png").is_file() and (tmp_path / "top_themes_saturation.png").is_file()


def test_workbook_matrix_agrees_with_the_table(tmp_path):
    from nlp.report import write_report

    outputs = _grouped_outputs()
    files = write_report(outputs, tmp_path, top=2)
    sheet = load_workbook(files.xlsx)["by group"]
    header = [c.value for c in sheet[1]]
    rows = {r[1]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] is not None}
    table = outputs.theme_by_attribute.set_index(["theme_id", "value"])
    assert sorted(rows) == [3, 7]
    for theme_id, row in rows.items():
        assert row["funder <i> (n=2): respondents"] == table.loc[(theme_id, "funder <i>"), "n_respondents"]
        assert row["implementer: share"] == round(table.loc[(theme_id, "implementer"), "share"], 4)


def test_a_run_without_comparisons_still_reports(tmp_path):
    from nlp.report import write_report

    files = write_report(_tiny_outputs(), tmp_path, top=2)
    html = files.html.read_text(encoding="utf-8")
    assert "Heatmap" not in html and "<h2>Saturation</h2>" not in html and "<h2>Top recommendations</h2>" in html


def test_compare_command_prints_theme_by_group(tmp_path, monkeypatch):
    from flows.cli import app

    outputs = _grouped_outputs()
    for name in ("theme_by_attribute", "saturation"):
        getattr(outputs, name).to_parquet(tmp_path / f"{name}.parquet")
    theme_cooccurrence(outputs.quotes, outputs.topics).to_parquet(tmp_path / "theme_cooccurrence.parquet")
    monkeypatch.setattr("nlp.explore.load_outputs", lambda _: outputs)
    result = CliRunner().invoke(app, ["compare", "--by", "group", "-p", str(tmp_path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "funder <i>" in result.output and "(n=2)" in result.output
    assert "<script>alert(1)</script>" in result.output  # printed literally, not read as rich markup
    assert "unknown' is never tested" in " ".join(result.output.split())
    missing = CliRunner().invoke(app, ["compare", "--by", "region", "-p", str(tmp_path)])
    assert missing.exit_code == 1 and "no comparison by 'region'; attributes compared: group" in missing.output
