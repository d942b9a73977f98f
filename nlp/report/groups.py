"""What the report, the notebook and ``interviews compare`` show of group comparisons.

Records gathered once from ``theme_by_attribute.parquet`` and ``saturation.parquet``, and the
two charts: a heatmap of themes by group (share of each group's respondents raising a theme,
over- and under-represented cells marked ▲ and ▼) and the saturation curve.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nlp.compare import SaturationPoint, saturation_point

__all__ = [
    "GroupCell",
    "GroupComparison",
    "ThemeRow",
    "gather_comparisons",
    "group_heatmap",
    "mark",
    "read_comparison_tables",
    "saturation_chart",
    "saturation_sentence",
    "theme_labels",
]

_MARKS = {"over": "▲", "under": "▼"}


@dataclass(frozen=True)
class GroupCell:
    """One theme in one group: how many of the group's respondents raised it."""

    value: str
    n_respondents: int
    group_size: int
    share: float
    ci_low: float
    ci_high: float
    representation: str | None  # "over" | "under" | None


@dataclass(frozen=True)
class ThemeRow:
    """One theme across the groups of an attribute, with its test."""

    level: str
    theme_id: int
    label: str
    cells: tuple[GroupCell, ...]
    test: str
    p_value: float | None
    q_value: float | None


@dataclass(frozen=True)
class GroupComparison:
    """Themes by the groups of one attribute."""

    attribute: str
    level: str
    values: tuple[str, ...]
    sizes: tuple[int, ...]
    rows: tuple[ThemeRow, ...]


def read_comparison_tables(processed_dir: Path) -> dict[str, pd.DataFrame]:
    """The comparison tables of a finished run; a run from before they existed has none.

    Raises:
        FileNotFoundError: naming the missing table and how to make it.
    """
    from nlp import tables

    out = {}
    for table in tables.COMPARISON_TABLES:
        path = Path(processed_dir) / table.filename
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing; run `interviews run` again to compare groups")
        out[table.name] = table.read(processed_dir)
    return out


def mark(representation: str | None) -> str:
    """▲ for an over-represented cell, ▼ for an under-represented one, else nothing."""
    return _MARKS.get(representation or "", "")


def theme_labels(topics: pd.DataFrame, parents: pd.DataFrame | None = None) -> dict[tuple[str, int], str]:
    """(level, theme_id) -> label: topics from ``topics.parquet``, top-level themes from ``parents.parquet``."""
    labels = {("topic", int(t)): str(label) for t, label in zip(topics["topic_id"], topics["label"])}
    if parents is not None:
        labels |= {("parent", int(p)): str(label) for p, label in zip(parents["parent_id"], parents["label"])}
    return labels


def _number(value) -> float | None:
    return None if pd.isna(value) else float(value)


def gather_comparisons(
    by_attribute: pd.DataFrame, topics: pd.DataFrame, top: int = 15, level: str | None = None,
    attributes: list[str] | None = None, parents: pd.DataFrame | None = None,
) -> tuple[GroupComparison, ...]:
    """One comparison per attribute, its ``top`` themes ranked by respondents raising them.

    Args:
        by_attribute: ``theme_by_attribute.parquet``.
        topics: ``topics.parquet``, for labels.
        top: themes per attribute.
        level: ``"parent"`` or ``"topic"``; default the top level where there is one.
        attributes: only these attributes; default all, in table order.
        parents: ``parents.parquet``, for the top-level themes' labels.
    """
    if by_attribute.empty:
        return ()
    if level is None:
        level = "parent" if (by_attribute["level"] == "parent").any() else "topic"
    labels = theme_labels(topics, parents)
    out = []
    for attribute in attributes or list(dict.fromkeys(by_attribute["attribute"])):
        mine = by_attribute[(by_attribute["attribute"] == attribute) & (by_attribute["level"] == level)]
        if mine.empty:
            continue
        sizes = mine.drop_duplicates("value").set_index("value")["group_size"]
        values = tuple(str(v) for v in sizes.index)
        totals = mine.groupby("theme_id")["n_respondents"].sum().sort_values(ascending=False, kind="stable")
        rows = []
        for theme_id in totals.head(top).index:
            theme = mine[mine["theme_id"] == theme_id].set_index("value")
            first = theme.iloc[0]
            rows.append(ThemeRow(
                level, int(theme_id), labels.get((level, int(theme_id)), f"{level} {int(theme_id)}"),
                tuple(
                    GroupCell(v, int(c.n_respondents), int(c.group_size), float(c.share), float(c.ci_low),
                              float(c.ci_high), None if pd.isna(c.representation) else str(c.representation))
                    for v, c in ((v, theme.loc[v]) for v in values)
                ),
                str(first.test), _number(first.p_value), _number(first.q_value),
            ))
        out.append(GroupComparison(str(attribute), level, values, tuple(int(s) for s in sizes), tuple(rows)))
    return tuple(out)


def _plain(text: str) -> str:
    """Text matplotlib draws as written: a ``$`` would otherwise start mathtext."""
    return str(text).replace("$", r"\$")


def group_heatmap(comparison: GroupComparison):
    """Themes (rows) by groups (columns), coloured by share; ▲/▼ mark over/under cells."""
    import numpy as np
    from matplotlib.figure import Figure

    shares = np.array([[c.share for c in row.cells] for row in comparison.rows], dtype=float).reshape(
        len(comparison.rows), len(comparison.values)
    )
    fig = Figure(figsize=(2.2 + 1.3 * len(comparison.values) + 2.5, 0.42 * len(comparison.rows) + 1.8),
                 layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i, row in enumerate(comparison.rows):
        for j, cell in enumerate(row.cells):
            ax.text(j, i, f"{cell.share:.0%}{mark(cell.representation)}", ha="center", va="center",
                    color="white" if cell.share > 0.6 else "black", fontsize=9)
    ax.set_xticks(range(len(comparison.values)),
                  [_plain(f"{v}\n(n={n})") for v, n in zip(comparison.values, comparison.sizes)])
    ax.set_yticks(range(len(comparison.rows)), [_plain(_short(r.label)) for r in comparison.rows])
    ax.set_xlabel(_plain(comparison.attribute))
    ax.set_title(_plain(f"Share of each group raising a theme, by {comparison.attribute}\n"
                        "▲ over- / ▼ under-represented (|adj. residual| > 1.96, FDR q < 0.05)"), fontsize=10)
    fig.colorbar(image, ax=ax, label="share of the group's respondents", shrink=0.6)
    return fig


def _short(label: str, width: int = 48) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def saturation_sentence(saturation: pd.DataFrame, level: str = "topic") -> str:
    """One sentence saying after which interview no new theme appeared."""
    point: SaturationPoint | None = saturation_point(saturation, level)
    if point is None:
        return "No themes, so no saturation curve."
    if point.reached:
        return (f"No new theme appeared after interview {point.last_new_position} of {point.n_interviews} "
                f"({point.last_new_respondent}); {point.n_themes} themes in all.")
    return (f"Interview {point.last_new_position} of {point.n_interviews}, the last, still added a theme: "
            f"saturation was not reached ({point.n_themes} themes).")


def saturation_chart(saturation: pd.DataFrame):
    """Cumulative themes after each interview (one line per level), new themes as bars."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.add_subplot()
    for level, mine in saturation.groupby("level", sort=True):
        name = "top-level themes" if level == "parent" else "themes"
        ax.plot(mine["position"], mine["cumulative_themes"], marker="o", markersize=3, label=f"{name}, cumulative")
        if level == "topic":
            ax.bar(mine["position"], mine["new_themes"], color="0.75", label="new themes in this interview")
            point = saturation_point(saturation, level)
            if point is not None and point.reached:
                ax.axvline(point.last_new_position, color="0.3", linestyle="--", linewidth=0.8)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("interviews, in order")
    ax.set_ylabel("themes")
    ax.set_title("Saturation: themes found as interviews are added")
    ax.legend(loc="lower right", fontsize=8)
    return fig
