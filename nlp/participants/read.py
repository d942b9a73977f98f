"""Reading and checking a participants file; the records the rest of the package passes on."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nlp.ingest.csv_header import norm_column as norm

__all__ = [
    "UNKNOWN",
    "ParticipantRow",
    "ParticipantTable",
    "ParticipantsError",
    "RespondentAttributes",
    "norm",
    "read_participants",
]

UNKNOWN = "unknown"


class ParticipantsError(ValueError):
    """A participants file that cannot be used, with the row and column at fault.

    Attributes:
        path: the participants file.
        row: 1-based row as a spreadsheet shows it (the header is row 1), or ``None``.
        column: the column at fault, or ``None``.
        reason: what is wrong, without the location.
    """

    def __init__(self, path: str | Path, reason: str, row: int | None = None, column: str | None = None) -> None:
        super().__init__(str(path), reason, row, column)
        self.path, self.reason, self.row, self.column = str(path), reason, row, column

    def __str__(self) -> str:
        where = "".join(
            [f", row {self.row}" if self.row is not None else "",
             f", column {self.column!r}" if self.column is not None else ""]
        )
        return f"{self.path}{where}: {self.reason}"


@dataclass(frozen=True)
class ParticipantRow:
    """One participant: the key that names them and their attribute values."""

    row: int
    key: tuple[str, ...]
    values: tuple[str, ...]


@dataclass(frozen=True)
class ParticipantTable:
    """A parsed participants file.

    Attributes:
        path: where it was read from (for messages).
        key: the key columns, as named in the file: ``("respondent_id",)``,
            ``("file", "speaker")``, ``("speaker",)``, ``("file",)`` or a survey column.
        attributes: the other columns, in file order.
        rows: one per participant, in file order.
    """

    path: str
    key: tuple[str, ...]
    attributes: tuple[str, ...]
    rows: tuple[ParticipantRow, ...]


@dataclass(frozen=True)
class RespondentAttributes:
    """Attribute values of every response, ready to become ``quotes.parquet`` columns.

    Attributes:
        names: attribute names, participants-file attributes first, then survey columns.
        by_response: response_id -> one value per name (``"unknown"`` where none is known).
        missing: respondents the participants file does not list, in input order.
        sources: attribute name -> ``"participants"`` or ``"survey"``.
    """

    names: tuple[str, ...] = ()
    by_response: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)

    def column(self, response_ids: Sequence[str], name: str) -> list[str]:
        """The values of one attribute for ``response_ids``, ``"unknown"`` for unlisted ones."""
        k = self.names.index(name)
        return [self.by_response[r][k] if r in self.by_response else UNKNOWN for r in response_ids]

def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) for every non-blank row, header first."""
    from nlp.ingest.errors import IngestError
    from nlp.ingest.spreadsheet import table_rows

    try:  # read as a survey export is: the same checks and the same reasons
        return table_rows(path)
    except OSError as exc:
        raise ParticipantsError(path, f"cannot be read ({exc.strerror or exc})") from None
    except IngestError as exc:
        raise ParticipantsError(path, exc.reason, row=exc.line) from None


def _pick_key(path: Path, names: list[str], survey_columns: Collection[str]) -> tuple[int, ...]:
    normed = [norm(n) for n in names]
    for wanted in (("respondent id",), ("file", "speaker"), ("speaker",), ("file",)):
        if all(w in normed for w in wanted):
            return tuple(normed.index(w) for w in wanted)
    for k, name in enumerate(names):
        if name in survey_columns:
            return (k,)
    survey = f", or a column of the survey ({', '.join(sorted(survey_columns))})" if survey_columns else ""
    raise ParticipantsError(
        path,
        f"no key column: name one column 'respondent_id', 'file' or 'speaker'{survey}; "
        f"columns are: {', '.join(names)}",
        row=1,
    )


def read_participants(path: str | Path, survey_columns: Collection[str] = ()) -> ParticipantTable:
    """Read and check a participants file.

    Args:
        path: a ``.csv``/``.tsv`` (any encoding ``nlp.ingest`` reads) or ``.xlsx`` file.
        survey_columns: column names of the run's survey CSVs; one of them may be the key.

    Returns:
        The participants, keyed and checked for missing keys, duplicate keys and empty values.

    Raises:
        ParticipantsError: naming the row and column at fault.
    """
    path = Path(path)
    if not path.is_file():
        raise ParticipantsError(path, "no such participants file")
    rows = _read_rows(path)
    if not rows:
        raise ParticipantsError(path, "empty: expected a header row and one row per participant")
    (_, names), data = rows[0], rows[1:]
    for k, name in enumerate(names):
        if not name:
            raise ParticipantsError(path, f"column {k + 1} has no name in the header", row=1)
        if name in names[:k]:
            raise ParticipantsError(path, "two columns have this name", row=1, column=name)
    key_cols = _pick_key(path, names, survey_columns)
    attr_cols = [k for k in range(len(names)) if k not in key_cols]
    if not attr_cols:
        raise ParticipantsError(path, "no attribute columns besides the key", row=1)
    if not data:
        raise ParticipantsError(path, "no participant rows below the header")
    seen: dict[tuple[str, ...], int] = {}
    out: list[ParticipantRow] = []
    for row, cells in data:
        if len(cells) > len(names) and any(cells[len(names):]):
            raise ParticipantsError(path, f"{len(cells)} cells, but the header names {len(names)} columns", row=row)
        cells = cells + [""] * (len(names) - len(cells))
        for k in key_cols:
            if not cells[k]:
                raise ParticipantsError(path, "missing key: every participant needs one", row=row, column=names[k])
        key = tuple(cells[k] for k in key_cols)
        if key in seen:
            raise ParticipantsError(
                path, f"duplicate key {' / '.join(key)!r}, already on row {seen[key]}", row=row,
                column=" + ".join(names[k] for k in key_cols),
            )
        seen[key] = row
        for k in attr_cols:
            if not cells[k]:
                raise ParticipantsError(
                    path, f"empty attribute value; write one (e.g. {UNKNOWN!r}) or drop the participant",
                    row=row, column=names[k],
                )
        out.append(ParticipantRow(row, key, tuple(cells[k] for k in attr_cols)))
    return ParticipantTable(str(path), tuple(names[k] for k in key_cols), tuple(names[k] for k in attr_cols), tuple(out))

