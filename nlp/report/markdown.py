"""The report as Markdown that also reads cleanly when pasted into Word.

Quotes are verbatim, so only the characters that Markdown would actually turn into formatting,
links or HTML are backslash-escaped: ``*``, backticks, brackets, ``<``, a backslash, and an
underscore at the edge of a word (``interview_summary.txt`` stays as it is, since CommonMark
never reads an underscore inside a word as emphasis). A ``#``, ``>``, ``-``, ``+`` or ``1.``
is escaped only where it would start a heading, quote or list. Inside tables the pipe is
escaped too. Line breaks within a quote become spaces so that a quote stays one paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlp.report.themes import ReportData, counted, plural, prevalence_phrase

__all__ = ["escape_markdown", "render_markdown"]

_INLINE = re.compile(r"([\\`*\[\]<])|(?<![^\W_])_|_(?![^\W_])")
_LINE_START = re.compile(r"^([#>+=-]|\d+(?=[.)]))")


def escape_markdown(text: str, in_table: bool = False, at_line_start: bool = False) -> str:
    """``text`` as literal Markdown on one line.

    Args:
        text: any text, e.g. a verbatim quote.
        in_table: the text goes into a table cell, where ``|`` ends the cell.
        at_line_start: the text opens a line or list item, where ``#``, ``>``, ``-`` or ``1.``
            would start a block.
    """
    text = " ".join(str(text).split())
    text = _INLINE.sub(lambda m: "\\" + m.group(0), text)
    if at_line_start:
        text = _LINE_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), text)
    if in_table:
        text = text.replace("|", r"\|")
    return text


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _quote_lines(q, prefix: str = "") -> list[str]:
    e = escape_markdown
    return [
        f"> {prefix}“{e(q.text)}”",
        ">",
        f"> *{e(q.source_file)} · {e(q.section)} · respondent {e(q.respondent_id)} · quote {e(q.quote_id)}*",
        "",
    ]


def _cards(cards) -> list[str]:
    """Top-level themes as cards, each with its sub-themes: what a report writer reads first."""
    e = escape_markdown
    top = [c for c in cards if c.level == "theme"]
    if not top:
        return []
    subs = {c.theme_id: c for c in cards if c.level == "sub-theme"}
    out = ["## Themes", ""]
    out += _table(
        ["#", "Theme", "Respondents", "Quotes", "Sub-themes"],
        [[str(k), e(c.label, True), str(c.n_respondents), str(c.n_quotes), str(len(c.children))] for k, c in enumerate(top, 1)],
    )
    out.append("")
    for k, c in enumerate(top, 1):
        out += [f"### {k}. {e(c.label)}", "", f"*{e(c.description)}*", ""]
        who = f"**{c.n_respondents}** {plural(c.n_respondents, 'respondent')} ({counted(c.n_quotes, 'quote')})"
        out += [f"Raised by {who}. Keywords: {e(', '.join(c.keywords[:8]))}.", ""]
        out += ["Prevalence: " + "; ".join(e(prevalence_phrase(p)) for p in c.prevalence) + ".", ""]
        for q in c.evidence:
            out += _quote_lines(q)
        if c.boundary is not None:
            out += ["At the edge of this theme:", ""] + _quote_lines(c.boundary)
        out += ["Sub-themes:", ""]
        for child in (subs[t] for t in c.children if t in subs):
            counts = f"{counted(child.n_respondents, 'respondent')}, {counted(child.n_quotes, 'quote')}"
            out.append(f"- **{e(child.label)}** ({counts}): {e(child.description)}")
        out.append("")
    return out


def render_markdown(
    data: ReportData,
    title: str = "Top themes",
    overview_image: str | None = None,
    section_image: str | None = None,
    extra: Sequence[str] = (),
) -> str:
    """The report as Markdown.

    Args:
        data: what the report shows.
        title: top heading.
        overview_image: optional relative path of the themes chart image to link.
        section_image: optional relative path of the section-sentiment chart image to link.
        extra: further lines before the recommendations (the group-comparison sections).
    """
    e = escape_markdown
    out = [f"# {e(title)}", ""]
    out += [
        f"Run {e(data.run_id or 'unknown')}: {data.n_quotes} distinct {plural(data.n_quotes, 'quote')} from "
        f"{counted(data.n_respondents, 'respondent')} ({counted(data.n_responses, 'response')}), "
        f"{counted(data.n_topics, 'theme')}. Sentiment runs from -1 (negative) to +1 (positive).",
        "",
    ]
    out += [line for note in data.notes for line in (f"*Note: {e(note)}.*", "")]
    out += _cards(data.cards)
    if overview_image:
        out += [f"![Themes by size and sentiment]({overview_image})", ""]
    out += [f"## Top {len(data.themes)} {'sub-themes' if data.cards else 'themes'}", ""]
    out += _table(
        ["#", "Theme", "Respondents", "Responses", "Quotes", "Mean sentiment"],
        [[str(t.rank), e(t.label, True), str(t.n_respondents), str(t.n_responses), str(t.n_quotes),
          _fmt(t.mean_sentiment)] for t in data.themes],
    )
    out.append("")
    for t in data.themes:
        out += [f"### {t.rank}. {e(t.label)}", ""]
        out += [
            f"Raised by **{t.n_respondents}** {plural(t.n_respondents, 'respondent')} "
            f"({counted(t.n_responses, 'response')}, {counted(t.n_quotes, 'quote')}); "
            "mean sentiment "
            f"**{_fmt(t.mean_sentiment)}**. Keywords: {e(', '.join(t.keywords[:8]))}.",
            "",
            "Sections: " + "; ".join(f"{e(s)} ({n})" for s, n in t.sections) + ".",
            "",
        ]
        for q in t.quotes:
            out += [
                f"> “{e(q.text)}”",
                ">",
                f"> *{e(q.source_file)} · {e(q.section)} · response {e(q.response_id)}*",
                "",
            ]
        if t.recommendations:
            out += ["Recommendations on this theme:", ""]
            out += [f"- {e(r.name or r.text, at_line_start=True)}: “{e(r.text)}” (support {r.support}; {e(r.section)})"
                    for r in t.recommendations]
        else:
            out.append("No recommendation candidates on this theme.")
        out.append("")
    out += ["## Sentiment per section", ""]
    if section_image:
        out += [f"![Mean sentiment per section with 95% intervals]({section_image})", ""]
    out += _table(
        ["Section", "Quotes", "Mean", "95% interval"],
        [[e(s.section, True), str(s.n_quotes), _fmt(s.mean_sentiment), f"{_fmt(s.ci_low)} to {_fmt(s.ci_high)}"]
         for s in data.sections],
    )
    out += ["", *extra, "## Top recommendations", ""]
    out += _table(
        ["Ask", "Support", "What respondents said", "Theme", "Section"],
        [[e(r.name or r.text, True), str(r.support), " / ".join(f"“{e(q, True)}”" for q in r.quotes or (r.text,)),
          e(r.topic_label, True), e(r.section, True)] for r in data.top_recommendations],
    )
    out += ["", data.recommendations_note,
            "Support: distinct respondents who ask for the same thing, in their own words.", ""]
    return "\n".join(out)
