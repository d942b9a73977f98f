"""The top-themes report for report writers: HTML, Markdown and Excel from one run.

``write_report(load_outputs(processed_dir), out_dir)`` writes ``top_themes.html`` (one
self-contained file), ``top_themes.md`` (with the two charts as PNG files beside it) and
``top_themes.xlsx``. ``themes`` selects what to say, ``html``/``markdown``/``xlsx`` say it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nlp.atomic import atomic_write

from nlp.explore import Outputs, figure_svg, section_sentiment_chart, theme_overview_chart
from nlp.report.comparison import (
    comparison_sections,
    image_names,
    render_comparison_html,
    render_comparison_markdown,
)
from nlp.report.html import render_html, svg_data_uri
from nlp.report.markdown import escape_markdown, render_markdown
from nlp.report.themes import QuoteRef, RecommendationRef, ReportData, SectionRow, Theme, gather_report
from nlp.report.xlsx import write_xlsx

__all__ = [
    "QuoteRef",
    "RecommendationRef",
    "ReportData",
    "ReportFiles",
    "SectionRow",
    "Theme",
    "escape_markdown",
    "gather_report",
    "render_html",
    "render_markdown",
    "write_report",
    "write_xlsx",
]

STEM = "top_themes"


@dataclass(frozen=True)
class ReportFiles:
    """Paths of the files one report consists of."""

    html: Path
    markdown: Path
    xlsx: Path
    images: tuple[Path, ...]


def write_report(outputs: Outputs, out_dir: Path, top: int = 10, title: str = "Top themes") -> ReportFiles:
    """Write the report in all three formats.

    Args:
        outputs: the run's tables (``nlp.explore.load_outputs``).
        out_dir: target folder, created if missing.
        top: number of themes, ranked by distinct responses.
        title: heading of the report.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = gather_report(outputs, top=top)
    ranked_ids = [t.topic_id for t in data.themes]
    overview = theme_overview_chart(outputs.topics[outputs.topics["topic_id"].isin(ranked_ids)])
    sections = section_sentiment_chart(outputs.section_sentiment)

    overview_png = out_dir / f"{STEM}_themes.png"
    sections_png = out_dir / f"{STEM}_sections.png"
    # Without the version stamp, the same outputs give the same image bytes on any matplotlib.
    atomic_write(overview_png, lambda p: overview.savefig(p, format="png", dpi=150, metadata={"Software": None}))
    atomic_write(sections_png, lambda p: sections.savefig(p, format="png", dpi=150, metadata={"Software": None}))
    groups = comparison_sections(
        outputs.theme_by_attribute, outputs.saturation, outputs.topics, parents=outputs.parents
    )
    group_pngs = [out_dir / name for name in image_names(STEM, groups.comparisons)]
    saturation_png = out_dir / f"{STEM}_saturation.png" if groups.saturation_chart is not None else None
    for figure, path in [*zip(groups.heatmaps, group_pngs), (groups.saturation_chart, saturation_png)]:
        if figure is not None:
            atomic_write(path, lambda p, f=figure: f.savefig(p, format="png", dpi=150, metadata={"Software": None}))
    groups_html = render_comparison_html(groups, lambda f: svg_data_uri(figure_svg(f)))
    groups_md = render_comparison_markdown(
        groups, [p.name for p in group_pngs], saturation_png.name if saturation_png else None, escape_markdown
    )
    html = render_html(data, figure_svg(overview), figure_svg(sections), title=title, groups_html=groups_html)
    markdown = render_markdown(
        data, title=title, overview_image=overview_png.name, section_image=sections_png.name, extra=groups_md
    )
    return ReportFiles(
        html=atomic_write(out_dir / f"{STEM}.html", lambda p: p.write_text(html, encoding="utf-8")),
        markdown=atomic_write(out_dir / f"{STEM}.md", lambda p: p.write_text(markdown, encoding="utf-8")),
        xlsx=atomic_write(out_dir / f"{STEM}.xlsx", lambda p: write_xlsx(data, p, groups.comparisons)),
        images=(overview_png, sections_png, *group_pngs, *([saturation_png] if saturation_png else [])),
    )
