"""The report's group-comparison and saturation sections, in HTML, Markdown and Excel.

``comparison_sections`` gathers them once from a run's tables; the three renderers say them.
The HTML is rendered with Jinja2's autoescaping, like the rest of the report, and embedded in
it as markup; the charts are SVG images as data URIs, so no label can become page content.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from nlp.report.groups import (
    GroupComparison,
    gather_comparisons,
    group_heatmap,
    mark,
    saturation_chart,
    saturation_sentence,
)
from nlp.xmlsafe import xml_safe

__all__ = [
    "ComparisonSections",
    "comparison_sections",
    "image_names",
    "render_comparison_html",
    "render_comparison_markdown",
    "write_comparison_sheets",
]

LEGEND = (
    "Share of each group's respondents raising the theme, with their number. ▲ over- and ▼ "
    "under-represented: adjusted standardised residual beyond ±1.96 and the theme's test "
    "significant after Benjamini-Hochberg correction across themes (q < 0.05). Chi-square, or "
    "Fisher's exact test when counts are small. Respondents with no known value ('unknown') "
    "are shown but never tested."
)

_HTML = """{% for c, chart in groups %}
<h2>Themes by {{ c.attribute }}</h2>
<img class="chart" alt="Heatmap of the share of each {{ c.attribute }} group raising each theme" src="{{ chart }}">
<table>
<tr><th>Theme</th>{% for v in c.values %}<th class="num">{{ v }} (n={{ c.sizes[loop.index0] }})</th>{% endfor %}<th>Test</th><th class="num">q</th></tr>
{% for row in c.rows %}<tr><td>{{ row.label }}</td>{% for cell in row.cells %}<td class="num">{{ "%.0f%%"|format(100 * cell.share) }} ({{ cell.n_respondents }}){{ mark(cell.representation) }}</td>{% endfor %}<td>{{ row.test }}</td><td class="num">{{ "n/a" if row.q_value is none else "%.3f"|format(row.q_value) }}</td></tr>
{% endfor %}</table>
<p class="meta">{{ legend }}</p>
{% endfor %}{% if saturation_chart %}
<h2>Saturation</h2>
<img class="chart" alt="Saturation curve: cumulative themes after each interview" src="{{ saturation_chart }}">
<p>{{ saturation_sentence }}</p>
{% endif %}"""


@dataclass(frozen=True)
class ComparisonSections:
    """What the report says about groups and saturation, with its charts as figures."""

    comparisons: tuple[GroupComparison, ...]
    heatmaps: tuple  # one matplotlib Figure per comparison
    saturation_sentence: str | None
    saturation_chart: object | None  # a matplotlib Figure, or None without saturation data


def comparison_sections(
    by_attribute: pd.DataFrame | None, saturation: pd.DataFrame | None, topics: pd.DataFrame, top: int = 15,
    parents: pd.DataFrame | None = None,
) -> ComparisonSections:
    """Gather the sections from ``theme_by_attribute`` and ``saturation`` tables (either may be None)."""
    comparisons = gather_comparisons(by_attribute, topics, top=top, parents=parents) if by_attribute is not None else ()
    has_curve = saturation is not None and not saturation.empty
    return ComparisonSections(
        comparisons,
        tuple(group_heatmap(c) for c in comparisons if c.rows),
        saturation_sentence(saturation) if has_curve else None,
        saturation_chart(saturation) if has_curve else None,
    )


def render_comparison_html(sections: ComparisonSections, svg: Callable[[object], str]) -> str:
    """The sections as HTML, escaped; ``svg`` turns a figure into a data URI."""
    from jinja2 import Environment
    from markupsafe import Markup

    env = Environment(autoescape=True, keep_trailing_newline=True)
    shown = [c for c in sections.comparisons if c.rows]
    html = env.from_string(_HTML).render(
        groups=list(zip(shown, [svg(f) for f in sections.heatmaps])),
        mark=mark, legend=LEGEND,
        saturation_chart=svg(sections.saturation_chart) if sections.saturation_chart is not None else None,
        saturation_sentence=sections.saturation_sentence,
    )
    return Markup(html)


def render_comparison_markdown(
    sections: ComparisonSections, heatmap_images: Sequence[str], saturation_image: str | None,
    escape: Callable[..., str],
) -> list[str]:
    """The sections as Markdown lines; ``escape`` is the report's Markdown escaper."""
    out: list[str] = []
    shown = [c for c in sections.comparisons if c.rows]
    for c, image in zip(shown, heatmap_images):
        out += [f"## Themes by {escape(c.attribute)}", "", f"![Heatmap of themes by {escape(c.attribute)}]({image})", ""]
        header = ["Theme"] + [f"{escape(v, True)} (n={n})" for v, n in zip(c.values, c.sizes)] + ["Test", "q"]
        out += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        for row in c.rows:
            cells = [f"{cell.share:.0%} ({cell.n_respondents}){mark(cell.representation)}" for cell in row.cells]
            q = "n/a" if row.q_value is None else f"{row.q_value:.3f}"
            out.append("| " + " | ".join([escape(row.label, True), *cells, row.test, q]) + " |")
        out += ["", LEGEND, ""]
    if sections.saturation_sentence:
        out += ["## Saturation", ""]
        if saturation_image:
            out += [f"![Saturation curve]({saturation_image})", ""]
        out += [sections.saturation_sentence, ""]
    return out


def _sheet_name(attribute: str, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of ``[]:*?/\\``, unique."""
    base = "by " + "".join("_" if ch in "[]:*?/\\" else ch for ch in attribute)
    name, n = base[:31], 2
    while name.lower() in taken:
        name, n = f"{base[:27]} ({n})", n + 1
    taken.add(name.lower())
    return name


def write_comparison_sheets(workbook, comparisons: Sequence[GroupComparison]) -> None:
    """One sheet per attribute: themes by groups, count and share, over/under cells filled."""
    from openpyxl.styles import Font, PatternFill

    fills = {"over": PatternFill("solid", fgColor="C6EFCE"), "under": PatternFill("solid", fgColor="FFC7CE")}
    taken = {s.title.lower() for s in workbook.worksheets}
    for c in comparisons:
        sheet = workbook.create_sheet(_sheet_name(xml_safe(c.attribute), taken))
        header = ["level", "theme_id", "theme"]
        for v, n in zip(c.values, c.sizes):
            header += [f"{v} (n={n}): respondents", f"{v}: share"]
        sheet.append([xml_safe(h) for h in header] + ["test", "p_value", "q_value"])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in c.rows:
            # A workbook is XML: a control character in a label would be refused.
            values: list = [row.level, row.theme_id, xml_safe(row.label)]
            for cell in row.cells:
                values += [cell.n_respondents, round(cell.share, 4)]
            sheet.append(values + [row.test, row.p_value, row.q_value])
            excel_row = sheet.max_row
            for k, cell in enumerate(row.cells):
                if cell.representation in fills:
                    for col in (4 + 2 * k, 5 + 2 * k):
                        sheet.cell(excel_row, col).fill = fills[cell.representation]
        for r in sheet.iter_rows(min_row=2):
            for cell in r:
                # A label starting with "=" must stay text, never become a formula.
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        sheet.append([])
        sheet.append([LEGEND + " Green: over-represented; red: under-represented."])
        sheet.column_dimensions["C"].width = 40
        sheet.freeze_panes = "D2"


def image_names(stem: str, comparisons: Sequence[GroupComparison]) -> list[str]:
    """File names of the heatmap PNGs beside the Markdown report, one per attribute."""
    return [f"{stem}_by_{k + 1}.png" for k, c in enumerate(c for c in comparisons if c.rows)]

