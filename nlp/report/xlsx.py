"""The report as a workbook: one sheet each for themes, quotes and recommendations."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nlp.report.comparison import write_comparison_sheets
from nlp.report.groups import GroupComparison
from nlp.report.themes import ReportData, prevalence_phrase
from nlp.xmlsafe import xml_safe

__all__ = ["write_xlsx"]

_WIDTHS = {"label": 36, "text": 90, "note": 120, "sections": 60, "keywords": 50, "section": 40, "theme": 36,
           "description": 60, "evidence_1": 60, "evidence_2": 60, "evidence_3": 60, "boundary": 60, "prevalence": 50}


def _sheet(workbook, title: str, header: list[str], rows: list[list]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # A workbook is XML: control characters from Word or PDF text would be refused.
        sheet.append([xml_safe(v) if isinstance(v, str) else v for v in row])
    for r in sheet.iter_rows(min_row=2):
        for cell in r:
            # openpyxl stores a string that starts with "=" as a formula; interview text
            # must stay text, never run as a spreadsheet formula.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, name in enumerate(header, 1):
        sheet.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(name, 14)
    sheet.freeze_panes = "A2"


_CARD_HEADER = [
    "level", "theme_id", "parent_id", "label", "description", "n_respondents", "n_quotes",
    "evidence_1", "evidence_2", "evidence_3", "boundary", "prevalence", "keywords",
]


def _provenance(q) -> str:
    return f"“{q.text}” ({q.source_file} · {q.section} · respondent {q.respondent_id} · quote {q.quote_id})"


def _card_row(c) -> list:
    evidence = [_provenance(q) for q in c.evidence] + [None] * (3 - len(c.evidence))
    return [
        c.level, c.theme_id, c.parent_id, c.label, c.description, c.n_respondents, c.n_quotes,
        *evidence[:3], _provenance(c.boundary) if c.boundary else None,
        "; ".join(prevalence_phrase(p) for p in c.prevalence), ", ".join(c.keywords),
    ]


def write_xlsx(data: ReportData, path: Path, comparisons: Sequence[GroupComparison] = ()) -> Path:
    """Write the workbook to ``path`` (sheets ``themes``, ``quotes``, ``recommendations`` with
    every ask, and one ``by <attribute>`` matrix per group comparison; ``notes`` first when the
    run has notes a reader must know, as the report's header gives them)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    if data.notes:
        _sheet(workbook, "notes", ["note"], [[note] for note in data.notes])
    _sheet(
        workbook, "themes",
        ["rank", "topic_id", "label", "n_respondents", "n_responses", "n_quotes", "mean_sentiment", "sections",
         "keywords"],
        [
            [t.rank, t.topic_id, t.label, t.n_respondents, t.n_responses, t.n_quotes,
             None if t.mean_sentiment is None else round(t.mean_sentiment, 4),
             "; ".join(f"{s} ({n})" for s, n in t.sections), ", ".join(t.keywords)]
            for t in data.themes
        ],
    )
    _sheet(
        workbook, "quotes",
        ["rank", "topic_id", "theme", "text", "source_file", "section", "response_id", "quote_id"],
        [
            [t.rank, t.topic_id, t.label, q.text, q.source_file, q.section, q.response_id, q.quote_id]
            for t in data.themes for q in t.quotes
        ],
    )
    # Every ask, not only the page's rows: the report lists one page, the workbook is for sorting
    # and filtering them all. ``on_report_page`` marks the rows the report shows.
    on_page = {r.recommendation_id for r in data.top_recommendations}
    _sheet(
        workbook, "recommendations",
        ["ask", "support", "quotes", "score", "topic_id", "theme", "section", "on_report_page", "recommendation_id"],
        [
            [r.name or r.text, r.support, "\n".join(r.quotes or (r.text,)), round(r.score, 4), r.topic_id,
             r.topic_label, r.section, r.recommendation_id in on_page, r.recommendation_id]
            for r in data.all_recommendations or data.top_recommendations
        ],
    )
    write_comparison_sheets(workbook, comparisons)
    if data.cards:
        _sheet(workbook, "theme cards", _CARD_HEADER, [_card_row(c) for c in data.cards])
    path = Path(path)
    workbook.save(path)
    return path
