"""Theme cards in the report: top level first, verbatim evidence with provenance, prevalence."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from nlp.report import gather_report, render_html, render_markdown, write_xlsx
from nlp.report.cards import gather_cards
from tests.outputs.test_report import _tiny_outputs


def _with_cards():
    outputs = _tiny_outputs()
    quotes = outputs.quotes.iloc[:5].assign(respondent_id=["p1", "p2", "p3", "p3", "p4"], char_start=0, char_end=10)
    topics = outputs.topics.assign(
        label=["Helpdesk answers fast", "Funding as the main gap"],
        parent_id=[9, 8],
        description=["The helpdesk answers fast.", "Funding is the main gap."],
        evidence_quote_ids=[["q4"], ["q2", "q1", "q3"]],
        boundary_quote_id=[None, "q3"],
    )
    parents = pd.DataFrame(
        {
            "parent_id": [8, 9],
            "label": ["Money and the portal", "Help from the secretariat"],
            "keywords": [["funding", "portal"], ["helpdesk"]],
            "topic_ids": [[7], [3]],
            "size": [4, 1],
            "description": ["Funding is the main gap.", "The helpdesk answers fast."],
            "evidence_quote_ids": [["q2", "q3"], ["q4"]],
            "boundary_quote_id": ["q1", None],
        }
    )
    return replace(outputs, quotes=quotes, topics=topics), parents


def test_cards_lead_with_top_level_themes_ranked_by_respondents():
    outputs, parents = _with_cards()
    cards = gather_cards(outputs.quotes, outputs.topics, parents)
    assert [(c.level, c.theme_id) for c in cards] == [("theme", 8), ("sub-theme", 7), ("theme", 9), ("sub-theme", 3)]
    money = cards[0]
    assert money.n_respondents == 3  # p1, p2, p3; q5 is a copy and does not count
    assert money.children == (7,)
    assert [q.respondent_id for q in money.evidence] == ["p2", "p3"]
    assert money.boundary.text.startswith("We need <script>")
    prevalence = {p.section: (p.n_respondents, round(p.share, 2)) for p in money.prevalence}
    assert prevalence == {"1.1 Help": (2, 1.0), "1.2 Data": (1, 1.0)}  # p3 is the only one there


def test_prevalence_counts_only_respondents_whose_talk_can_raise_a_theme():
    outputs, parents = _with_cards()
    # p4 spoke only in French: kept in quotes.parquet, but in no theme and in no denominator.
    quotes = outputs.quotes.assign(language=["en", "en", "en", "en", "fr"], section="Transcript",
                                   duplicate_of=None, respondent_id=["p1", "p2", "p3", "p3", "p4"])
    money = gather_cards(quotes, outputs.topics, parents)[0]
    assert [(p.n_respondents, p.n_section, p.share) for p in money.prevalence] == [(3, 3, 1.0)]
    md = render_markdown(replace(gather_report(replace(outputs, quotes=quotes), top=2), cards=(money,)))
    assert "Prevalence: Transcript: 3 of 3 respondents (100%)." in md


def test_a_top_level_themes_sub_themes_are_listed_by_respondents():
    outputs, _ = _with_cards()
    # Both sub-themes under one theme: the helpdesk (id 3) has one respondent, funding (id 7) three.
    parents = pd.DataFrame({
        "parent_id": [8], "label": ["Money and help"], "keywords": [["funding"]], "topic_ids": [[3, 7]], "size": [5],
        "description": ["Funding is the main gap."], "evidence_quote_ids": [["q2"]], "boundary_quote_id": [None],
    })
    data = replace(gather_report(outputs, top=2), cards=gather_cards(outputs.quotes, outputs.topics, parents))
    assert data.cards[0].children == (7, 3)
    md = render_markdown(data)
    assert md.index("- **Funding as the main gap**") < md.index("- **Helpdesk answers fast**")


def test_a_run_without_card_columns_has_no_cards():
    outputs = _tiny_outputs()
    assert gather_cards(outputs.quotes, outputs.topics) == ()
    assert gather_report(outputs).cards == ()


def test_markdown_html_and_xlsx_show_the_cards(tmp_path):
    outputs, parents = _with_cards()
    data = replace(gather_report(outputs, top=2), cards=gather_cards(outputs.quotes, outputs.topics, parents))
    md = render_markdown(data)
    assert md.index("## Themes") < md.index("## Top 2 sub-themes")
    assert "### 1. Money and the portal" in md and "*Funding is the main gap.*" in md
    assert "respondent p2 · quote q2" in md
    assert "- **Funding as the main gap** (3 respondents, 3 quotes)" in md
    # One person is "1 respondent", not "1 respondents".
    assert "- **Helpdesk answers fast** (1 respondent, 1 quote)" in md
    assert "Raised by **1** respondent (1 quote)." in md
    html = render_html(data, "<svg xmlns='http://www.w3.org/2000/svg'/>", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert "(1 respondent, 1 quote)" in html and "<strong>1</strong> respondent (1 quote)" in html
    assert "<h3>1. Money and the portal</h3>" in html and "&lt;script&gt;" in html
    from openpyxl import load_workbook

    sheet = load_workbook(write_xlsx(data, tmp_path / "r.xlsx"))["theme cards"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("level", "theme_id", "parent_id", "label")
    assert rows[1][:4] == ("theme", 8, None, "Money and the portal")
    assert rows[2][:3] == ("sub-theme", 7, 8)
