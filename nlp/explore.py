"""Reading a finished run for exploration: tables, the topic model, quotes and charts.

``notebooks/01-explore-topics.ipynb`` and the report (``nlp.report``) call these, so a notebook
cell never has to be copied twice. Everything here only reads the processed folder.
"""

from __future__ import annotations

import io
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nlp import tables
from nlp.manifest import MANIFEST, Manifest, read_manifest

__all__ = [
    "MissingOutputsError",
    "Outputs",
    "figure_svg",
    "intertopic_distance_map",
    "load_outputs",
    "load_topic_model",
    "section_sentiment_chart",
    "theme_cards",
    "theme_overview_chart",
    "theme_rows",
    "topic_quotes",
    "topics_per_section",
]

# What ``topic_quotes`` shows of each quote (columns of ``nlp.tables.QUOTES``).
TOPIC_QUOTE_COLUMNS = ["quote_id", "source_file", "section", "question", "response_id", "text", "sentiment"]


class MissingOutputsError(FileNotFoundError):
    """The processed folder lacks the outputs of a finished run."""


@dataclass(frozen=True)
class Outputs:
    """The tables of one finished run, as DataFrames (the parquet boundary).

    Build it with ``load_outputs``, or directly from small frames in tests.
    """

    quotes: pd.DataFrame
    topics: pd.DataFrame
    section_sentiment: pd.DataFrame
    recommendations: pd.DataFrame
    topic_section_sentiment: pd.DataFrame | None = None
    # Top-level themes (parents.parquet); None for frames built by hand without them.
    parents: pd.DataFrame | None = None
    manifest: Manifest | None = None
    directory: Path | None = None
    # Group comparisons (nlp.compare); None for a run from before they existed.
    theme_by_attribute: pd.DataFrame | None = None
    theme_cooccurrence: pd.DataFrame | None = None
    saturation: pd.DataFrame | None = None

    @property
    def run_id(self) -> str:
        return self.manifest.run_id if self.manifest else ""

    def topic_label(self, topic_id: int) -> str:
        """The label of a topic or top-level theme, or ``"(no topic)"`` for outliers and unknown ids."""
        row = self.topics.loc[self.topics["topic_id"] == topic_id, "label"]
        if not len(row) and self.parents is not None:
            row = self.parents.loc[self.parents["parent_id"] == topic_id, "label"]
        return str(row.iloc[0]) if len(row) else "(no topic)"

    def theme_ids(self) -> list[int]:
        """Every theme id of the run: sub-themes (topics) and top-level themes, ascending."""
        parents = [] if self.parents is None else list(self.parents["parent_id"])
        return sorted(int(t) for t in [*self.topics["topic_id"], *parents])


def load_outputs(processed_dir: Path) -> Outputs:
    """Read every table of the last run in ``processed_dir``.

    Raises:
        MissingOutputsError: a table or the manifest is missing; the message says how to make them.
    """
    processed_dir = Path(processed_dir)
    missing = [t.filename for t in tables.RUN_TABLES if not (processed_dir / t.filename).is_file()]
    if not (processed_dir / MANIFEST).is_file():
        missing.append(MANIFEST)
    if missing:
        raise MissingOutputsError(
            f"{processed_dir}: no finished run here (missing {', '.join(missing)}); "
            "run `interviews run` first (or `make run`)"
        )
    frames = {t.name: t.read(processed_dir) for t in tables.RUN_TABLES}
    # A run from before the group comparisons lacks their tables; it still loads.
    optional = {
        t.name: t.read(processed_dir) if (processed_dir / t.filename).is_file() else None
        for t in tables.COMPARISON_TABLES
    }
    return Outputs(
        quotes=frames["quotes"],
        topics=frames["topics"],
        section_sentiment=frames["section_sentiment"],
        recommendations=frames["recommendations"],
        topic_section_sentiment=frames["topic_section_sentiment"],
        parents=frames["parents"],
        manifest=read_manifest(processed_dir),
        directory=processed_dir,
        **optional,
    )


def load_topic_model(processed_dir: Path, outputs: Outputs | None = None):
    """The saved BERTopic model, with stable topic ids and labels as its custom labels.

    BERTopic's charts name topics by the model's own numbers; ``stable_topic_ids.json`` maps
    them to the ``topic_id`` of the parquet files, so charts and tables agree.

    Returns:
        The model and the mapping ``{bertopic topic number: stable topic_id}``.
    """
    from nlp.topics import import_bertopic

    model_dir = Path(processed_dir) / "topic_model"
    if not model_dir.is_dir():
        raise MissingOutputsError(f"{model_dir}: no saved topic model; run `interviews run` first")
    import_bertopic()
    from bertopic import BERTopic

    model = BERTopic.load(str(model_dir))
    raw = json.loads((model_dir / "stable_topic_ids.json").read_text(encoding="utf-8"))
    mapping = {int(k): int(v) for k, v in raw["bertopic_topic_to_topic_id"].items()}
    if outputs is not None:
        labels = {
            own: f"{stable}: {outputs.topic_label(stable)}" for own, stable in mapping.items()
        }
        labels.setdefault(-1, "-1: outliers")
        model.set_topic_labels(labels)
    return model, mapping


def intertopic_distance_map(model, **kwargs):
    """BERTopic's intertopic distance map, or ``None`` when the model has too few topics.

    ``visualize_topics`` projects the topic embeddings to 2-D with UMAP at ``n_neighbors=2``.
    With only a handful of topics UMAP's spectral layout fails ("Cannot use scipy.linalg.eigh
    for sparse A with k >= N", BERTopic issue #1900) and BERTopic raises instead of drawing;
    this returns ``None`` then, and the bar chart shows the topics instead.
    """
    n_topics = len([t for t in model.get_topics() if t != -1])
    if n_topics < 4:
        return None
    with warnings.catch_warnings():
        # BERTopic seeds UMAP for this chart, and UMAP then warns that n_jobs is forced to 1.
        warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
        try:
            return model.visualize_topics(custom_labels=True, **kwargs)
        except (ValueError, TypeError):
            return None


def topics_per_section(model, outputs: Outputs) -> pd.DataFrame:
    """``topics_per_class`` with the interview sections as classes, for ``visualize_topics_per_class``.

    The model's topic assignments follow the order of ``quotes.parquet``, which is the order
    the quotes were fitted in.
    """
    quotes = outputs.quotes
    return model.topics_per_class(quotes["text"].tolist(), classes=quotes["section"].tolist())


@dataclass(frozen=True)
class ThemeRow:
    """One line of the theme list: a top-level theme (``level="theme"``) or one of its sub-themes."""

    level: str
    theme_id: int
    label: str
    n_respondents: int
    n_responses: int
    n_quotes: int
    mean_sentiment: float | None


def theme_rows(outputs: Outputs, top: int | None = None) -> list[ThemeRow]:
    """The top-level themes by respondents, each followed by its sub-themes (by respondents).

    A run without a top level (no parents, as in frames built by hand) lists its topics alone.
    ``top`` keeps the first ``top`` top-level themes (or topics, without a top level).
    """
    topics = outputs.topics[outputs.topics["topic_id"] != -1]
    order = ["n_respondents", "n_responses", "size"]
    ranked = topics.sort_values(order, ascending=False, kind="stable")

    def sub(t) -> ThemeRow:
        mean = None if pd.isna(t.mean_sentiment) else float(t.mean_sentiment)
        return ThemeRow("sub-theme", int(t.topic_id), str(t.label), int(t.n_respondents), int(t.n_responses), int(t.size), mean)

    if outputs.parents is None or not len(outputs.parents):
        return [sub(t) for t in ranked.head(top).itertuples()]
    quotes = outputs.quotes[outputs.quotes["duplicate_of"].isna()]
    rows = []
    for p in outputs.parents.sort_values(order, ascending=False, kind="stable").head(top).itertuples():
        children = [int(t) for t in p.topic_ids]
        scores = quotes.loc[quotes["topic_id"].isin(children), "sentiment"]
        rows.append(ThemeRow("theme", int(p.parent_id), str(p.label), int(p.n_respondents), int(p.n_responses),
                             int(p.size), float(scores.mean()) if len(scores) else None))
        rows += [sub(t) for t in ranked[ranked["topic_id"].isin(children)].itertuples()]
    return rows


def theme_cards(outputs: Outputs) -> pd.DataFrame:
    """One row per theme card, each top-level theme followed by its sub-themes (for notebooks).

    Columns: ``level``, ``theme_id``, ``parent_id``, ``label``, ``description``,
    ``n_respondents``, ``n_quotes``, ``evidence`` (the verbatim quotes, each with file, section
    and respondent), ``boundary`` and ``prevalence`` (respondents raising it per section).
    """
    from nlp.report.cards import gather_cards

    def quoted(q) -> str:
        return f"“{q.text}” ({q.source_file} · {q.section} · respondent {q.respondent_id})"

    columns = ["level", "theme_id", "parent_id", "label", "description", "n_respondents", "n_quotes", "evidence",
               "boundary", "prevalence"]
    rows = [
        [c.level, c.theme_id, c.parent_id, c.label, c.description, c.n_respondents, c.n_quotes,
         [quoted(q) for q in c.evidence], quoted(c.boundary) if c.boundary else None,
         {p.section: p.n_respondents for p in c.prevalence}]
        for c in gather_cards(outputs.quotes, outputs.topics, outputs.parents)
    ]
    return pd.DataFrame(rows, columns=columns)


def topic_quotes(outputs: Outputs, topic_id: int, include_duplicates: bool = False) -> pd.DataFrame:
    """Every quote of one topic with its provenance, representative quotes first.

    Args:
        outputs: the run's tables.
        topic_id: a stable ``topic_id`` from ``topics.parquet``, or a ``parent_id`` from
            ``parents.parquet`` (the quotes of all its sub-themes, its evidence quotes first).
        include_duplicates: keep the second copies of repeated responses.

    Returns:
        Columns ``quote_id``, ``source_file``, ``section``, ``question``, ``response_id``,
        ``text``, ``sentiment`` and ``representative``.
    """
    quotes = outputs.quotes
    parent = outputs.parents[outputs.parents["parent_id"] == topic_id] if outputs.parents is not None else []
    members = list(parent["topic_ids"].iloc[0]) if len(parent) else [topic_id]
    mine = quotes[quotes["topic_id"].isin(members)]
    if not include_duplicates:
        mine = mine[mine["duplicate_of"].isna()]
    topic = outputs.topics[outputs.topics["topic_id"] == topic_id]
    representative = list(topic["representative_quote_ids"].iloc[0]) if len(topic) else []
    if len(parent):
        representative = list(parent["evidence_quote_ids"].iloc[0])
    out = mine[TOPIC_QUOTE_COLUMNS].copy()
    out["representative"] = out["quote_id"].isin(representative)
    rank = {qid: i for i, qid in enumerate(representative)}
    out["_rank"] = out["quote_id"].map(rank).fillna(len(rank))
    return out.sort_values(["_rank", "section"], kind="stable").drop(columns="_rank").reset_index(drop=True)


def _sentiment_colour(value: float):
    from matplotlib import colormaps

    return colormaps["RdYlGn"]((max(-1.0, min(1.0, float(value))) + 1) / 2)


def section_sentiment_chart(section_sentiment: pd.DataFrame, title: str = "Sentiment per section"):
    """Mean sentiment of each section with its 95% bootstrap interval, as a matplotlib Figure."""
    from matplotlib.figure import Figure

    frame = section_sentiment.iloc[::-1].reset_index(drop=True)
    fig = Figure(figsize=(8, 0.45 * len(frame) + 1.4), layout="constrained")
    ax = fig.add_subplot()
    y = range(len(frame))
    means = frame["mean_sentiment"].astype(float)
    ax.errorbar(
        means, y,
        xerr=[means - frame["ci_low"].astype(float), frame["ci_high"].astype(float) - means],
        fmt="none", ecolor="0.4", capsize=3, linewidth=1,
    )
    ax.scatter(means, y, c=[_sentiment_colour(m) for m in means], edgecolors="0.2", zorder=3, s=40)
    ax.axvline(0, color="0.6", linewidth=0.8, linestyle="--")
    ax.set_yticks(list(y), [f"{s} (n={n})" for s, n in zip(frame["section"], frame["n_quotes"])])
    ax.set_xlim(-1, 1)
    ax.set_xticks([-1, -0.5, 0, 0.5, 1])
    ax.set_xlabel("mean sentiment, with 95% interval")
    ax.set_title(title)
    return fig


def theme_overview_chart(topics: pd.DataFrame, title: str = "Themes by size and sentiment"):
    """Themes as bars of distinct respondents (people), coloured by mean sentiment, largest on top."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    frame = topics.sort_values(["n_respondents", "n_responses", "size"], ascending=True, kind="stable")
    fig = Figure(figsize=(8, 0.38 * len(frame) + 1.4), layout="constrained")
    ax = fig.add_subplot()
    sentiment = frame["mean_sentiment"].fillna(0.0).astype(float)
    ax.barh(
        [f"{t}: {label}" for t, label in zip(frame["topic_id"], frame["label"])],
        frame["n_respondents"], color=[_sentiment_colour(s) for s in sentiment], edgecolor="0.3",
    )
    ax.set_xlabel("respondents raising the theme")
    ax.set_title(title)
    fig.colorbar(
        ScalarMappable(Normalize(-1, 1), "RdYlGn"), ax=ax, label="mean sentiment", shrink=0.6
    )
    return fig


def figure_svg(fig) -> str:
    """The figure as a standalone SVG document; deterministic ids, no date stamp."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "interview-insights", "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
