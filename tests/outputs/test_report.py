"""The top-themes report: right themes, verbatim quotes, escaped text, three formats."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from nlp.explore import Outputs, load_outputs
from nlp.manifest import Manifest
from nlp.report import escape_markdown, gather_report, write_report

EVIL = "We need <script>alert(1)</script> more *training* & [links](http://x) | now"


def _tiny_outputs() -> Outputs:
    """Two themes, hand-made. Theme 7 is raised in more responses (3), all by one person; theme
    3 in two responses by two people, so it ranks first."""
    quotes = pd.DataFrame(
        [
            ("q1", "a.txt", "1.1 Help", "Q?", "r1", "ana", EVIL, 7, 0.5, None, True, "en"),
            ("q2", "a.txt", "1.1 Help", "Q?", "r2", "ana", "Funding is the main gap.", 7, -0.4, None, True, "en"),
            ("q3", "a.txt", "1.2 Data", "Q2?", "r3", "ana", "The portal is slow.", 7, -0.2, None, True, "en"),
            ("q4", "a.txt", "1.2 Data", "Q2?", "r3", "ana", "The helpdesk answers fast.", 3, 0.8, None, True, "en"),
            ("q5", "a.txt", "1.2 Data", "Q2?", "r4", "bo", "The funding is the main gap.", 7, -0.4, "q2", True, "en"),
            ("q6", "a.txt", "1.2 Data", "Q2?", "r5", "bo", "The helpdesk is kind.", 3, 0.6, None, True, "en"),
            ("q7", "a.txt", "1.2 Data", "Q2?", "r6", "cy", "Yeah, okay.", -1, 0.3, None, False, "en"),
            ("q8", "a.txt", "1.2 Data", "Q2?", "r7", "di", "Le portail est lent.", -1, 0.0, None, True, "fr"),
        ],
        columns=["quote_id", "source_file", "section", "question", "response_id", "respondent_id", "text",
                 "topic_id", "sentiment", "duplicate_of", "is_substantive", "language"],
    )
    topics = pd.DataFrame(
        {
            "topic_id": [3, 7],
            "label": ["helpdesk <b>speed</b>", "funding, training"],
            "keywords": [["helpdesk", "speed"], ["funding", "training"]],
            "size": [2, 4],
            "n_responses": [2, 3],
            "n_respondents": [2, 1],
            "representative_quote_ids": [["q4"], ["q1", "q2"]],
            "mean_sentiment": [0.8, -0.03],
        }
    )
    sections = pd.DataFrame(
        {"section": ["1.1 Help", "1.2 Data"], "question": ["Q?", "Q2?"], "n_quotes": [2, 2],
         "mean_sentiment": [0.05, 0.3], "ci_low": [-0.4, -0.2], "ci_high": [0.5, 0.8],
         "share_positive": [0.5, 0.5], "share_neutral": [0.0, 0.0], "share_negative": [0.5, 0.5]}
    )
    recs = pd.DataFrame(
        {"recommendation_id": ["rec-1", "rec-2"], "text": [EVIL, "Answer faster."], "quote_id": ["q1", "q4"],
         "section": ["1.1 Help", "1.2 Data"], "topic_id": [7, 3], "support": [2, 1], "score": [0.9, 0.5]}
    )
    return Outputs(quotes, topics, sections, recs, manifest=Manifest("run-test", 1, "", ""))


def test_themes_are_ranked_by_respondents_with_verbatim_quotes_and_their_recommendations():
    data = gather_report(_tiny_outputs(), top=2)
    assert [t.topic_id for t in data.themes] == [3, 7]  # two people beat one person's three turns
    assert (data.themes[0].n_respondents, data.themes[1].n_respondents) == (2, 1)
    # Filler ("Yeah, okay.") and French text are not counted; the duplicate q5 neither.
    assert (data.n_quotes, data.n_respondents, data.n_responses) == (5, 2, 4)
    first = data.themes[1]
    assert first.n_responses == 3
    assert dict(first.sections) == {"1.1 Help": 2, "1.2 Data": 1}
    assert [q.text for q in first.quotes][:2] == [EVIL, "Funding is the main gap."]
    assert "q5" not in [q.quote_id for q in first.quotes]  # a duplicate is never quoted twice
    assert [r.recommendation_id for r in first.recommendations] == ["rec-1"]
    assert data.top_recommendations[0].support == 2


def test_html_escapes_interview_text_and_stands_alone(tmp_path):
    files = write_report(_tiny_outputs(), tmp_path, top=2)
    html = files.html.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "helpdesk &lt;b&gt;speed&lt;/b&gt;" in html
    # One file: no external stylesheet, script or image.
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    assert html.count('src="data:image/svg+xml;base64,') == 2


def test_markdown_escapes_formatting_but_keeps_quotes_readable(tmp_path):
    files = write_report(_tiny_outputs(), tmp_path, top=2)
    md = files.markdown.read_text(encoding="utf-8")
    assert "\\<script>alert(1)\\</script>" in md
    assert "\\*training\\*" in md and "\\[links\\](http://x)" in md
    assert "Funding is the main gap." in md
    assert "a.txt · 1.1 Help · response r1" in md
    assert escape_markdown("interview_summary.txt") == "interview_summary.txt"
    assert escape_markdown("a | b", in_table=True) == "a \\| b"
    assert escape_markdown("1. first", at_line_start=True) == "1\\. first"


def test_xlsx_has_the_three_sheets(tmp_path):
    files = write_report(_tiny_outputs(), tmp_path, top=2)
    sheets = pd.read_excel(files.xlsx, sheet_name=None)
    assert list(sheets) == ["themes", "quotes", "recommendations"]
    assert sheets["themes"]["topic_id"].tolist() == [3, 7]
    assert EVIL in sheets["quotes"]["text"].tolist()
    assert sheets["recommendations"]["support"].tolist() == [2, 1]


def test_a_quote_starting_with_equals_stays_text_in_excel(tmp_path):
    outputs = _tiny_outputs()
    outputs.quotes.loc[0, "text"] = "=1+1 is not a formula"
    files = write_report(outputs, tmp_path, top=2)
    assert "=1+1 is not a formula" in pd.read_excel(files.xlsx, sheet_name="quotes")["text"].tolist()


@pytest.mark.slow
def test_report_on_the_seed_quotes_the_top_themes_verbatim(processed_dir, tmp_path):
    outputs = load_outputs(processed_dir)
    files = write_report(outputs, tmp_path, top=5)
    html = files.html.read_text(encoding="utf-8")
    md = files.markdown.read_text(encoding="utf-8")
    top = outputs.topics.sort_values(["n_respondents", "n_responses", "size"], ascending=False).head(5)
    texts = outputs.quotes.set_index("quote_id")["text"]
    for topic in top.itertuples():
        assert topic.label in html
        # The sub-theme's card evidence, as its card shows it (distinct respondents, naming the theme).
        quote = texts[topic.evidence_quote_ids[0]]
        assert quote in md or escape_markdown(quote) in md
    assert "Sentiment per section" in html and "Top recommendations" in html


@pytest.mark.slow
def test_report_on_the_seed_leads_with_its_top_level_themes(processed_dir, tmp_path):
    from markupsafe import escape
    from openpyxl import load_workbook

    outputs = load_outputs(processed_dir)
    files = write_report(outputs, tmp_path, top=5)
    md = files.markdown.read_text(encoding="utf-8")
    parents = outputs.parents.sort_values(["n_respondents", "size"], ascending=False, kind="stable")
    first = parents.iloc[0]
    assert md.index(f"### 1. {escape_markdown(first.label)}") < md.index("sub-themes")
    html = files.html.read_text(encoding="utf-8")
    sub_label = outputs.topics.set_index("topic_id").loc[first.topic_ids[0], "label"]
    # The parent's own label may begin with its sub-theme's ("Creating regional hubs and ..."): blanked out.
    parent_label = str(escape(first.label))
    assert html.index(parent_label) < html.replace(parent_label, " " * len(parent_label), 1).index(str(escape(sub_label)))
    rows = list(load_workbook(files.xlsx)["theme cards"].iter_rows(values_only=True))
    assert rows[1][:4] == ("theme", int(first.parent_id), None, first.label)
    assert {r[2] for r in rows[2 : 2 + len(first.topic_ids)]} == {int(first.parent_id)}


def test_the_recommendations_table_is_a_page_and_says_where_the_rest_are(tmp_path):
    # 3 asks made by several respondents and 40 single-respondent asks, some scoring higher.
    outputs = _tiny_outputs()
    n = 43
    support = [3, 2, 2] + [1] * 40
    score = [0.5, 0.45, 0.4] + [0.9 - i * 0.01 for i in range(40)]
    recs = pd.DataFrame({
        "recommendation_id": [f"rec-{i:02d}" for i in range(n)], "text": [f"Ask number {i}." for i in range(n)],
        "quote_id": ["q1"] * n, "section": ["1.1 Help"] * n, "topic_id": [7] * n, "support": support, "score": score,
    })
    outputs = Outputs(outputs.quotes, outputs.topics, outputs.section_sentiment, recs, manifest=outputs.manifest)
    data = gather_report(outputs, top=2)

    shown = [r.recommendation_id for r in data.top_recommendations]
    assert shown[:3] == ["rec-00", "rec-01", "rec-02"]  # every shared ask first, whatever the scores
    assert shown[3:] == [f"rec-{i:02d}" for i in range(3, 13)]  # then the 10 best single ones
    note = data.recommendations_note
    assert "3 of the 43 asks are made by several respondents" in note
    assert "30 more are in recommendations.parquet" in note
    files = write_report(outputs, tmp_path, top=2)
    md = files.markdown.read_text(encoding="utf-8")
    assert note in md and "Ask number 12." in md and "Ask number 13." not in md.split("## Top recommendations")[1]
    # The workbook holds every ask, ranked as the page ranks them, and marks the page's rows.
    sheet = pd.read_excel(files.xlsx, sheet_name="recommendations")
    assert len(sheet) == n and sheet["recommendation_id"].tolist()[:13] == shown
    assert sheet["support"].tolist() == sorted(support, reverse=True)
    assert sheet["on_report_page"].tolist() == [True] * 13 + [False] * 30


def test_single_asks_whose_names_say_nothing_whole_give_way_on_the_page():
    from nlp.report.themes import recommendations_page

    names = ["Way for letter I could", "See", "Help us if you could", "Train the staff on data quality"]
    recs = pd.DataFrame({"name": names, "support": [1] * 4, "score": [0.9, 0.8, 0.7, 0.6]})
    # Cut mid-clause or naming nothing: after the others, however high they score.
    assert recommendations_page(recs, single=2)["name"].tolist() == names[2:]
    assert recommendations_page(recs)["name"].tolist() == [*names[2:], *names[:2]]


@pytest.mark.slow
def test_report_on_the_seed_lists_every_shared_ask_first_on_one_page(processed_dir):
    outputs = load_outputs(processed_dir)
    data = gather_report(outputs)
    supports = [r.support for r in data.top_recommendations]
    recs = outputs.recommendations
    assert len(supports) <= 25 and supports == sorted(supports, reverse=True)
    assert sum(s >= 2 for s in supports) == min(25, int((recs["support"] >= 2).sum()))
    assert f"{len(recs) - len(supports)} more are in recommendations.parquet" in data.recommendations_note


def test_what_a_reader_must_know_about_the_run_heads_the_report(tmp_path):
    from dataclasses import replace

    note = "12 of 200 quotes were placed in the saved topic layout since its last full fit, not fitted"
    outputs = replace(_tiny_outputs(), manifest=Manifest("run-test", 1, "", "", notes=(note,)))
    files = write_report(outputs, tmp_path, top=2)
    assert f"Note: {note}." in files.markdown.read_text(encoding="utf-8")
    assert f"Note: {note}." in files.html.read_text(encoding="utf-8")
    assert pd.read_excel(files.xlsx, sheet_name="notes")["note"].tolist() == [note]
    assert "Note:" not in write_report(_tiny_outputs(), tmp_path / "plain", top=2).markdown.read_text(encoding="utf-8")
