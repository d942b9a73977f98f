"""The report as one self-contained HTML file: inline CSS, charts as data URIs, no scripts.

Every piece of interview text goes through Jinja2's autoescaping. Charts are SVG documents
embedded as ``<img src="data:image/svg+xml;base64,...">``: an image-embedded SVG never runs
script and cannot break out into the page, whatever text a label holds.
"""

from __future__ import annotations

import base64

from nlp.report.themes import ReportData, counted, plural, prevalence_phrase

__all__ = ["render_html", "svg_data_uri"]

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
body { font-family: Georgia, "Times New Roman", serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.45; }
h1, h2, h3 { font-family: "Helvetica Neue", Arial, sans-serif; }
h3 { margin-top: 2rem; border-top: 1px solid #ddd; padding-top: 1rem; }
blockquote { margin: 0.6rem 0; padding: 0.3rem 1rem; border-left: 4px solid #8aa; background: #f7f9f9; }
.prov { display: block; font-size: 0.85rem; color: #666; font-family: Arial, sans-serif; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef2f2; }
.num { text-align: right; }
.meta { color: #555; font-size: 0.9rem; }
img.chart { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="meta">Run {{ data.run_id or "unknown" }}: {{ data.n_quotes }} distinct {{ plural(data.n_quotes, "quote") }} from {{ counted(data.n_respondents, "respondent") }} ({{ counted(data.n_responses, "response") }}), {{ counted(data.n_topics, "theme") }}. Sentiment runs from −1 (negative) to +1 (positive).</p>
{% for note in data.notes %}<p class="meta">Note: {{ note }}.</p>
{% endfor %}
{% set top = data.cards|selectattr("level", "equalto", "theme")|list %}
{% if top %}<h2>Themes</h2>
<table>
<tr><th>#</th><th>Theme</th><th class="num">Respondents</th><th class="num">Quotes</th><th class="num">Sub-themes</th></tr>
{% for c in top %}<tr><td>{{ loop.index }}</td><td>{{ c.label }}</td><td class="num">{{ c.n_respondents }}</td><td class="num">{{ c.n_quotes }}</td><td class="num">{{ c.children|length }}</td></tr>
{% endfor %}</table>
{% for c in top %}
<h3>{{ loop.index }}. {{ c.label }}</h3>
<p><em>{{ c.description }}</em></p>
<p>Raised by <strong>{{ c.n_respondents }}</strong> {{ plural(c.n_respondents, "respondent") }} ({{ counted(c.n_quotes, "quote") }}). Keywords: {{ c.keywords[:8]|join(", ") }}.</p>
<p>Prevalence: {% for p in c.prevalence %}{{ prevalence_phrase(p) }}{% if not loop.last %}; {% endif %}{% endfor %}.</p>
{% for q in c.evidence %}<blockquote>“{{ q.text }}”<span class="prov">{{ q.source_file }} · {{ q.section }} · respondent {{ q.respondent_id }} · quote {{ q.quote_id }}</span></blockquote>
{% endfor %}
{% if c.boundary %}<p class="meta">At the edge of this theme:</p><blockquote>“{{ c.boundary.text }}”<span class="prov">{{ c.boundary.source_file }} · {{ c.boundary.section }} · respondent {{ c.boundary.respondent_id }} · quote {{ c.boundary.quote_id }}</span></blockquote>{% endif %}
<p>Sub-themes:</p>
<ul>{% for s in data.cards if s.level == "sub-theme" and s.parent_id == c.theme_id %}<li><strong>{{ s.label }}</strong> ({{ counted(s.n_respondents, "respondent") }}, {{ counted(s.n_quotes, "quote") }}): {{ s.description }}</li>{% endfor %}</ul>
{% endfor %}
{% endif %}

<h2>Themes by size and sentiment</h2>
<img class="chart" alt="Bar chart of themes by the number of respondents raising them, coloured by mean sentiment" src="{{ overview_chart }}">

<h2>Top {{ data.themes|length }} {{ "sub-themes" if data.cards else "themes" }}</h2>
<table>
<tr><th>#</th><th>Theme</th><th class="num">Respondents</th><th class="num">Responses</th><th class="num">Quotes</th><th class="num">Mean sentiment</th></tr>
{% for t in data.themes %}<tr><td>{{ t.rank }}</td><td>{{ t.label }}</td><td class="num">{{ t.n_respondents }}</td><td class="num">{{ t.n_responses }}</td><td class="num">{{ t.n_quotes }}</td><td class="num">{{ fmt(t.mean_sentiment) }}</td></tr>
{% endfor %}</table>

{% for t in data.themes %}
<h3>{{ t.rank }}. {{ t.label }}</h3>
<p>Raised by <strong>{{ t.n_respondents }}</strong> {{ plural(t.n_respondents, "respondent") }} ({{ counted(t.n_responses, "response") }}, {{ counted(t.n_quotes, "quote") }}); mean sentiment <strong>{{ fmt(t.mean_sentiment) }}</strong>. Keywords: {{ t.keywords[:8]|join(", ") }}.</p>
<p>Sections: {% for s, n in t.sections %}{{ s }} ({{ n }}){% if not loop.last %}; {% endif %}{% endfor %}.</p>
{% for q in t.quotes %}<blockquote>“{{ q.text }}”<span class="prov">{{ q.source_file }} · {{ q.section }} · response {{ q.response_id }}</span></blockquote>
{% endfor %}
{% if t.recommendations %}<p>Recommendations on this theme:</p>
<ul>{% for r in t.recommendations %}<li>{{ r.name or r.text }}: <q>{{ r.text }}</q> <span class="prov">support {{ r.support }} · {{ r.section }}</span></li>{% endfor %}</ul>
{% else %}<p class="meta">No recommendation candidates on this theme.</p>{% endif %}
{% endfor %}

<h2>Sentiment per section</h2>
<img class="chart" alt="Mean sentiment per section with 95% intervals" src="{{ section_chart }}">
<table>
<tr><th>Section</th><th class="num">Quotes</th><th class="num">Mean</th><th class="num">95% interval</th></tr>
{% for s in data.sections %}<tr><td>{{ s.section }}</td><td class="num">{{ s.n_quotes }}</td><td class="num">{{ fmt(s.mean_sentiment) }}</td><td class="num">{{ fmt(s.ci_low) }} to {{ fmt(s.ci_high) }}</td></tr>
{% endfor %}</table>
{{ groups_html }}
<h2>Top recommendations</h2>
<table>
<tr><th>Ask</th><th class="num">Support</th><th>What respondents said</th><th>Theme</th><th>Section</th></tr>
{% for r in data.top_recommendations %}<tr><td>{{ r.name or r.text }}</td><td class="num">{{ r.support }}</td><td>{% for q in (r.quotes or [r.text]) %}<q>{{ q }}</q>{% if not loop.last %}<br>{% endif %}{% endfor %}</td><td>{{ r.topic_label }}</td><td>{{ r.section }}</td></tr>
{% endfor %}</table>
<p class="meta">{{ data.recommendations_note }} Support: distinct respondents who ask for the same thing, in their own words.</p>
</body>
</html>
"""


def svg_data_uri(svg: str) -> str:
    """An SVG document as a ``data:`` URI for an ``<img>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def render_html(
    data: ReportData, overview_svg: str, section_svg: str, title: str = "Top themes", groups_html: str = ""
) -> str:
    """The report as one HTML document.

    Args:
        data: what the report shows.
        overview_svg: the themes chart, an SVG document.
        section_svg: the section-sentiment chart, an SVG document.
        title: page title and heading.
        groups_html: the escaped group-comparison sections (``nlp.report.comparison``).
    """
    from jinja2 import Environment

    env = Environment(autoescape=True, trim_blocks=False, keep_trailing_newline=True)
    return env.from_string(_TEMPLATE).render(
        title=title,
        data=data,
        fmt=_fmt,
        plural=plural,
        counted=counted,
        prevalence_phrase=prevalence_phrase,
        overview_chart=svg_data_uri(overview_svg),
        section_chart=svg_data_uri(section_svg),
        groups_html=groups_html,
    )
