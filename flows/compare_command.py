"""``interviews compare --by ATTRIBUTE``: themes by the groups of a participant attribute."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.options import ProcessedDir, Top

__all__ = ["compare"]


def compare(
    by: Annotated[str, typer.Option("--by", help="Participant attribute to compare groups by, e.g. group or role.")],
    processed_dir: ProcessedDir = Path("data/processed"),
    top: Top = 15,
    level: Annotated[
        str | None, typer.Option(help="'parent' (top-level themes) or 'topic'; default the top level.")
    ] = None,
) -> None:
    """Themes by group: the share of each group's respondents raising each theme, and the test."""
    from rich.table import Table

    from flows.cli import _console, _escape, _fail, _outputs
    from nlp.report.groups import gather_comparisons, mark, read_comparison_tables

    outputs = _outputs(processed_dir)
    from nlp.tables import TableContractError

    try:
        tables = read_comparison_tables(processed_dir)
    except (FileNotFoundError, TableContractError) as exc:
        raise _fail(str(exc)) from None
    by_attribute = tables["theme_by_attribute"]
    compared = list(dict.fromkeys(by_attribute["attribute"]))
    if by not in compared:
        known = ", ".join(compared) if compared else "none (no participants file, no survey columns)"
        hint = " (it has too many values to form groups)" if by in outputs.quotes.columns else ""
        raise _fail(f"no comparison by {by!r}{hint}; attributes compared: {known}")
    found = gather_comparisons(
        by_attribute, outputs.topics, top=top, level=level, attributes=[by], parents=outputs.parents
    )
    if not found:
        raise _fail(f"no {level} themes to compare by {by!r}")
    comparison = found[0]
    table = Table(title=f"Themes by {_escape(by)}: share of each group's respondents raising the theme")
    table.add_column("theme", ratio=3)
    for value, size in zip(comparison.values, comparison.sizes):
        table.add_column(f"{_escape(value)}\n(n={size})", justify="right")
    table.add_column("test", justify="left")
    table.add_column("q", justify="right")
    for row in comparison.rows:
        cells = [f"{c.share:.0%} ({c.n_respondents}){mark(c.representation)}" for c in row.cells]
        q = "n/a" if row.q_value is None else f"{row.q_value:.3f}"
        table.add_row(f"{row.theme_id}: {_escape(row.label)}", *cells, row.test, q)
    console = _console()
    console.print(table)
    console.print(
        "▲/▼: over-/under-represented (|adjusted residual| > 1.96 and q < 0.05); q: p-value "
        "corrected for the number of themes (Benjamini-Hochberg); 'unknown' is never tested.",
        style="dim",
    )

