"""The ``interviews`` command: run the pipeline and read its results from a terminal.

    interviews run                      # the Prefect flow on data/raw into data/processed
    interviews themes --top 10          # the largest top-level themes and their sub-themes
    interviews quotes --topic 3         # a theme's quotes, with provenance
    interviews recommendations --top 15
    interviews report                   # reports/top_themes.{html,md,xlsx}
    interviews codes --codebook codebooks/ocp_engagement_criteria.yaml
    interviews export-qdpx              # a REFI-QDA project for NVivo, ATLAS.ti, MAXQDA
    interviews agreement A.csv B.qdpx   # intercoder agreement and the disagreements
    interviews compare --by group       # themes by the groups of a participant attribute
    interviews watch                    # run, then rerun in this process on every change

It lives in ``flows/`` because ``run`` starts the Prefect flow, and ``nlp/`` never imports
Prefect. Every other command only calls ``nlp``.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from flows.options import ProcessedDir, Top, with_config_options

__all__ = ["app"]

app = typer.Typer(
    name="interviews",
    help="Turn interview text into themes, sentiment and recommendations, and report on them.",
    no_args_is_help=True,
    add_completion=False,
)



def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr)


def _interactive() -> bool:
    return sys.stdout.isatty()


@contextmanager
def _spinner(message: str):
    """A spinner on a terminal; nothing when output goes to a file or a pipe."""
    if _interactive():
        with _console().status(message):
            yield
    else:
        yield


def _fail(message: str) -> typer.Exit:
    _console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    return typer.Exit(code=1)


def _outputs(processed_dir: Path):
    from nlp.explore import MissingOutputsError, load_outputs

    try:
        return load_outputs(processed_dir)
    except MissingOutputsError as exc:
        raise _fail(str(exc)) from None


def _escape(text: object) -> str:
    from rich.markup import escape

    return escape(str(text))


def run(
    force: Annotated[bool, typer.Option("--force", help="Re-analyse even if nothing changed.")] = False,
    no_prefect: Annotated[
        bool, typer.Option("--no-prefect", help="Run the stages in this process, without Prefect.")
    ] = False,
    dask_address: Annotated[str | None, typer.Option(help="Run the batches on this Dask scheduler.")] = None,
    dask_workers: Annotated[int | None, typer.Option(help="Run the batches on a local Dask cluster.")] = None,
    **settings,
) -> None:
    """Analyse the interviews: ingest, quotes, topics, sentiment, recommendations."""
    from nlp.config import config_from_options

    if settings.get("progress") is None:
        settings["progress"] = _interactive()
    config = config_from_options(**settings)
    if not Path(config.raw_dir).is_dir():
        raise _fail(f"{config.raw_dir}: no such folder of interview files")
    if config.curation is not None:
        from nlp.curation import CurationError, load_curation

        try:  # a malformed decision stops here, before any work, naming the file and entry
            load_curation(config.curation)
        except CurationError as exc:
            raise _fail(str(exc)) from None
    from nlp.embeddings import ModelIntegrityError
    from nlp.guards import NothingUsableError  # not flows.interview_pipeline's STOPS: Prefect costs 4 CPU s
    from nlp.participants import ParticipantsError, read_participants
    from nlp.runlock import RunInProgressError
    from nlp.run import run_pipeline

    try:
        if config.participants is not None:
            read_participants(config.participants)  # a bad file fails here, before any model loads
        with _spinner("Analysing interviews…" if no_prefect else "Analysing interviews (Prefect flow)…"):
            if no_prefect:
                summary = run_pipeline(config, force=force)
            else:  # Prefect loads only for a flow run
                from flows.interview_pipeline import with_dask
                state = with_dask(dask_address, dask_workers)(config, force=force, return_state=True)
                if state.is_failed():
                    raise _fail(_escape(state.message or "the flow run failed"))
                summary = state.result()
    # A model file that fails its hash check names the file and both hashes: no traceback.
    except (ParticipantsError, NothingUsableError, RunInProgressError, ModelIntegrityError) as exc:
        raise _fail(_escape(str(exc))) from None
    _show_summary(summary)


def _show_summary(summary) -> None:
    console = _console()
    console.print(f"{summary.status}: {summary.run_id} -> {summary.out_dir}", highlight=False)
    console.print(", ".join(f"{k} {v}" for k, v in summary.counts.items()), highlight=False)
    for err in summary.errors:
        _console(stderr=True).print(f"input error: {_escape(err['error'])}", highlight=False)


app.command("run")(with_config_options(run))


@app.command()
def themes(processed_dir: ProcessedDir = Path("data/processed"), top: Top = 10) -> None:
    """The largest top-level themes, each with its sub-themes, by respondents (people, not turns)."""
    from rich.table import Table

    from nlp.explore import theme_rows

    outputs = _outputs(processed_dir)
    rows = theme_rows(outputs, top)
    n_top, n_topics = sum(r.level == "theme" for r in rows), int((outputs.topics["topic_id"] != -1).sum())
    shown, total = (n_top, len(outputs.parents)) if n_top else (len(rows), n_topics)
    table = Table(title=f"Top {shown} of {total} themes" + (f", with their sub-themes ({n_topics} in all)" if n_top else ""))
    for column, justify in [("id", "right"), ("theme", "left"), ("respondents", "right"),
                            ("responses", "right"), ("quotes", "right"), ("sentiment", "right")]:
        table.add_column(column, justify=justify)
    for r in rows:
        label = f"[bold]{_escape(r.label)}[/bold]" if r.level == "theme" else ("  └ " if n_top else "") + _escape(r.label)
        sentiment = "n/a" if r.mean_sentiment is None else f"{r.mean_sentiment:+.2f}"
        table.add_row(str(r.theme_id), label, str(r.n_respondents), str(r.n_responses), str(r.n_quotes), sentiment)
    _console().print(table)
    for note in outputs.manifest.notes if outputs.manifest else ():
        _console().print(f"Note: {_escape(note)}.", highlight=False)


@app.command()
def quotes(
    topic: Annotated[
        int, typer.Option("--topic", "-t", help="Theme id (a sub-theme or a top-level theme), as `interviews themes` shows it.")
    ],
    processed_dir: ProcessedDir = Path("data/processed"),
    top: Annotated[int | None, typer.Option("--top", "-n", min=1, help="Show only the first N.")] = None,
) -> None:
    """A theme's quotes, verbatim, with file, section, question and response."""
    from rich.table import Table

    from nlp.explore import topic_quotes
    from nlp.report.themes import plural

    outputs = _outputs(processed_dir)
    known = outputs.theme_ids()
    if topic not in known and topic != -1:
        raise _fail(f"no theme {topic}; themes are {', '.join(map(str, known))}")
    rows = topic_quotes(outputs, topic)
    shown = rows if top is None else rows.head(top)
    count = f"{len(rows)} {plural(len(rows), 'quote')}"
    count = f"{len(shown)} of {count}" if len(shown) < len(rows) else count
    table = Table(title=f"Theme {topic}: {_escape(outputs.topic_label(topic))} ({count}, ★ representative)", show_lines=True)
    table.add_column("quote", ratio=3)
    table.add_column("where", ratio=2)
    for q in shown.itertuples():
        marker = "★ " if q.representative else ""
        table.add_row(
            marker + _escape(q.text),
            _escape(f"{q.source_file}\n{q.section}\n{q.question}\nresponse {q.response_id}"),
        )
    _console().print(table)


@app.command()
def recommendations(processed_dir: ProcessedDir = Path("data/processed"), top: Top = 15) -> None:
    """The asks most respondents make, in their own words, with their theme and section."""
    from rich.table import Table

    from nlp.report.themes import recommendations_page

    outputs = _outputs(processed_dir)
    # Ranked as the report's page ranks them: shared asks first, then single asks that name something.
    recs = recommendations_page(outputs.recommendations, rows=top, single=top)
    text_of = dict(zip(outputs.quotes["quote_id"], outputs.quotes["text"]))
    table = Table(title=f"Top {len(recs)} of {len(outputs.recommendations)} asks", show_lines=True)
    table.add_column("ask", ratio=1)
    table.add_column("support", justify="right")
    table.add_column("what respondents said", ratio=3)
    table.add_column("theme", ratio=1)
    table.add_column("section", ratio=1)
    for r in recs.itertuples():
        # Up to three verbatim member quotes; older tables have no name or member ids.
        ids = getattr(r, "quote_ids", None)
        members = [text_of[q] for q in (() if ids is None else ids) if q in text_of][:3] or [r.text]
        table.add_row(
            _escape(str(getattr(r, "name", "") or r.text)), str(r.support),
            _escape("\n".join(f"“{m}”" for m in members)),
            _escape(outputs.topic_label(int(r.topic_id))), _escape(r.section),
        )
    _console().print(table)
    _console().print("support: distinct respondents who ask for the same thing", style="dim")


@app.command()
def report(
    processed_dir: ProcessedDir = Path("data/processed"),
    top: Top = 10,
    out_dir: Annotated[Path, typer.Option(help="Folder for top_themes.html/.md/.xlsx.")] = Path("reports"),
) -> None:
    """Write the top-themes report as HTML (one standalone file), Markdown and Excel."""
    from nlp.report import write_report

    outputs = _outputs(processed_dir)
    with _spinner("Writing the report…"):
        files = write_report(outputs, out_dir, top=top)
    console = _console()
    for path in (files.html, files.markdown, files.xlsx):
        console.print(f"wrote {path}", highlight=False)


@app.command("export-qdpx")
def export_qdpx_command(
    processed_dir: ProcessedDir = Path("data/processed"),
    raw_dir: Annotated[Path | None, typer.Option(help="The run's raw folder; default: the one in its manifest.")] = None,
    out: Annotated[Path, typer.Option(help="The .qdpx file to write.")] = Path("reports/interviews.qdpx"),
) -> None:
    """Export quotes coded with their themes (and codebook codes) as a REFI-QDA .qdpx project."""
    from nlp.qdpx import export_qdpx

    outputs = _outputs(processed_dir)
    from nlp.paths import RAW_DIR

    raw = raw_dir or (outputs.manifest.raw_dir if outputs.manifest else None) or RAW_DIR
    with _spinner("Exporting…"):
        try:
            summary = export_qdpx(processed_dir, raw, out)
        except (OSError, ValueError) as exc:
            raise _fail(str(exc)) from None
    _console().print(
        f"wrote {summary.path}: {summary.sources} sources, {summary.selections} coded quotes, {summary.codes} codes",
        highlight=False,
    )



from flows.coding_commands import agreement, codes  # noqa: E402  (beside this module, long enough already)
from flows.compare_command import compare  # noqa: E402
from flows.watch_command import watch  # noqa: E402

app.command()(codes)
app.command()(agreement)
app.command()(compare)
app.command()(watch)

if __name__ == "__main__":
    app()
