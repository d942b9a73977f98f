"""``interviews codes`` and ``interviews agreement``: deductive and learned coding, and how two codings agree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.options import ProcessedDir

__all__ = ["agreement", "codes"]


def _number(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


CsvColumn = Annotated[str | None, typer.Option(help="Codings in a table (CSV, TSV, .xlsx): the column to read instead of the usual names.")]


def codes(
    codebook: Annotated[
        Path | None, typer.Option(help="YAML codebook: codes with name, description, examples, keywords.")
    ] = None,
    learn_from: Annotated[
        Path | None, typer.Option(help="A researcher's coding (CSV, TSV, .xlsx or .qdpx) to learn from; codes the rest.")
    ] = None,
    processed_dir: ProcessedDir = Path("data/processed"),
    cache_dir: Annotated[Path, typer.Option(help="Embedding cache.")] = Path("data/interim"),
    threshold: Annotated[
        float | None, typer.Option(min=-1.0, max=1.0, help="Cosine similarity needed; default documented in nlp.codebook.")
    ] = None,
    id_column: CsvColumn = None,
    text_column: CsvColumn = None,
    codes_column: CsvColumn = None,
) -> None:
    """Code every quote with a codebook, or learn from a coding; writes codes.parquet and code_coverage.parquet."""
    from rich.table import Table

    from flows.cli import _console, _escape, _fail, _interactive, _outputs, _spinner
    from nlp.backends import build_embedder
    from nlp.codebook import DEFAULT_THRESHOLD, load_codebook, write_codes
    from nlp.config import PipelineConfig

    if codebook is None and learn_from is None:
        raise _fail("give --codebook FILE, --learn-from CODING, or both")
    outputs = _outputs(processed_dir)
    try:
        book = load_codebook(codebook) if codebook is not None else None
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from None
    embedder = build_embedder(PipelineConfig(cache_dir=cache_dir, progress=_interactive()))
    if learn_from is not None:
        _learn_codes(learn_from, book, processed_dir, embedder, {"id_column": id_column, "text_column": text_column, "codes_column": codes_column})
        return
    with _spinner("Coding quotes…"):
        codes_path, coverage_path = write_codes(
            processed_dir, book, embedder, DEFAULT_THRESHOLD if threshold is None else threshold
        )
    import pandas as pd

    matches = pd.read_parquet(codes_path).merge(outputs.quotes[["quote_id", "response_id"]], on="quote_id")
    table = Table(title=f"{_escape(book.name)}: {matches['quote_id'].nunique()} of {len(outputs.quotes)} quotes coded")
    for column in ("code", "quotes", "responses", "by keyword only"):
        table.add_column(column, justify="left" if column == "code" else "right")
    for code in book.codes:
        mine = matches[matches["code"] == code.name]
        table.add_row(_escape(code.name), str(len(mine)), str(mine["response_id"].nunique()),
                      str(int((mine["matched_by"] == "keyword").sum())))
    console = _console()
    console.print(table)
    console.print(f"wrote {codes_path}\nwrote {coverage_path}", highlight=False)


def _learn_codes(learn_from: Path, book, processed_dir: Path, embedder, csv_options: dict) -> None:
    """``interviews codes --learn-from``: keep the human codes, learn the rest, report kappa per code."""
    from rich.table import Table

    from flows.cli import _console, _escape, _fail, _spinner
    from nlp.code_corpus import write_learned_codes
    from nlp.codings import CodingError, read_coding

    try:
        coding = read_coding(learn_from, **csv_options)
    except (OSError, CodingError) as exc:
        raise _fail(str(exc)) from None
    with _spinner("Learning codes from the coding…"):
        codes_path, coverage_path, result = write_learned_codes(processed_dir, coding, embedder, book)
    machine = result.codes[result.codes["source"] == "machine"]
    table = Table(title=f"Learned from {_escape(learn_from.name)}: {result.human_quotes} quotes keep the human coding, "
                        f"{result.machine_quotes} coded by the models")
    for column in ("code", "examples", "cross-validated kappa", "quotes coded"):
        table.add_column(column, justify="left" if column == "code" else "right")
    for code in result.learned.codes:
        table.add_row(_escape(code.code), str(code.n_examples), _number(code.cv_kappa, ".2f"),
                      str(int((machine["code"] == code.code).sum())))
    console = _console()
    console.print(table)
    if result.learned.too_few:
        console.print(f"too few examples to learn (fewer than the minimum): {_escape('; '.join(result.learned.too_few))}", highlight=False)
    if result.unmatched_units:
        console.print(f"{result.unmatched_units} coded units match no quote of the run; they served as examples only", highlight=False)
    console.print(f"wrote {codes_path}\nwrote {coverage_path}", highlight=False)


def agreement(
    coding_a: Annotated[Path, typer.Argument(help="First coding: CSV, TSV, .xlsx, .qdpx or a run's codes.parquet.")],
    coding_b: Annotated[Path, typer.Argument(help="Second coding of the same material.")],
    out_dir: Annotated[Path, typer.Option(help="Folder for agreement_per_code.csv, disagreements.csv, agreement.xlsx.")] = Path("reports"),
    id_column: CsvColumn = None,
    text_column: CsvColumn = None,
    codes_column: CsvColumn = None,
) -> None:
    """Agreement between two codings: Cohen's kappa per code, Krippendorff's alpha, disagreements."""
    from rich.table import Table

    from flows.cli import _console, _escape, _fail
    from nlp.agreement import compare_codings, write_agreement
    from nlp.codings import CodingError, read_coding

    options = {"id_column": id_column, "text_column": text_column, "codes_column": codes_column}
    try:
        a, b = (read_coding(p, **options) for p in (coding_a, coding_b))
        result = compare_codings(a, b)
    except (OSError, CodingError) as exc:
        raise _fail(str(exc)) from None
    table = Table(title=f"Agreement on {result.n_units} units (matched on {result.matched_on})")
    for column in ("code", "kappa", "agreement", "A", "B"):
        table.add_column(column, justify="left" if column == "code" else "right")
    for c in sorted(result.per_code, key=lambda c: -(c.n_a + c.n_b)):
        table.add_row(_escape(c.code), _number(c.kappa, ".2f"), f"{c.percent_agreement:.0%}", str(c.n_a), str(c.n_b))
    console = _console()
    console.print(table)
    console.print(
        f"Krippendorff's alpha {_number(result.alpha, '.3f')}; mean kappa {_number(result.mean_kappa, '.3f')}; "
        f"{len(result.disagreements)} disagreements; units only in A {result.only_in_a}, only in B {result.only_in_b}",
        highlight=False,
    )
    for path in write_agreement(result, out_dir):
        console.print(f"wrote {path}", highlight=False)
