"""How a parquet table is declared and checked: ``Column``, ``Table``, ``records_frame``.

``nlp.tables`` declares every table the project writes with these (and re-exports them), so a
reader of the contract sees the tables there and the checking machinery here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "BOOL",
    "FLOAT",
    "FLOATS",
    "INT",
    "STRING",
    "STRINGS",
    "Column",
    "Table",
    "TableContractError",
    "records_frame",
]

STRING = pa.string()
INT = pa.int64()
FLOAT = pa.float64()
BOOL = pa.bool_()
STRINGS = pa.list_(pa.string())
FLOATS = pa.list_(pa.float64())


class TableContractError(ValueError):
    """A frame or file does not match its table's declaration."""


@dataclass(frozen=True)
class Column:
    """One declared column.

    Attributes:
        name: column name.
        type: arrow type in the parquet file.
        meaning: one line, as the README says it.
        nullable: may hold nulls (a float column's NaN is stored as null).
    """

    name: str
    type: pa.DataType
    meaning: str
    nullable: bool = False


@dataclass(frozen=True)
class Table:
    """One declared parquet table.

    Attributes:
        name: table name; the file is ``<file>`` inside the folder it belongs to.
        grain: what one row is.
        columns: in file order.
        file: path relative to the output folder.
    """

    name: str
    grain: str
    columns: tuple[Column, ...]
    file: str = ""
    # Columns named by the data rather than declared (participant attributes), all of this
    # type. A frame admits them only by listing them in ``frame.attrs["open_columns"]``
    # (``records_frame(..., open_columns=...)``), so a stray column is still refused.
    extra: Column | None = None

    @property
    def filename(self) -> str:
        return self.file or f"{self.name}.parquet"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}: no column {name!r}")

    def to_arrow(self, frame: pd.DataFrame) -> pa.Table:
        """``frame`` as an arrow table of exactly this schema, in declared column order.

        Raises:
            TableContractError: a column is undeclared or missing, cannot take its declared
                type, or holds nulls where none are allowed.
        """
        opened = list(frame.attrs.get("open_columns", ())) if self.extra is not None else []
        extra = [c for c in frame.columns if c not in self.names and c not in opened]
        missing = [c for c in self.names if c not in frame.columns]
        if opened and not extra:
            return self._with_open_columns(frame, [c for c in opened if c in frame.columns])
        if extra:
            raise TableContractError(
                f"{self.name}: columns {extra} are not declared; declare them in nlp/tables.py "
                "(type, nullability, meaning) and in the README"
            )
        if missing:
            raise TableContractError(f"{self.name}: declared columns {missing} are missing from the frame")
        try:
            table = pa.Table.from_pandas(frame[self.names], schema=self.schema, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError) as exc:
            raise TableContractError(f"{self.name}: a column does not fit its declared type: {exc}") from exc
        for c in self.columns:
            if not c.nullable and table.column(c.name).null_count:
                raise TableContractError(
                    f"{self.name}.{c.name}: {table.column(c.name).null_count} nulls in a column declared non-null"
                )
        return table

    def extra_names(self, frame: pd.DataFrame) -> list[str]:
        """The undeclared columns of a frame read from this table (participant attributes)."""
        return [c for c in frame.columns if c not in self.names] if self.extra is not None else []

    def _with_open_columns(self, frame: pd.DataFrame, opened: list[str]) -> pa.Table:
        """The declared columns, checked, then the open ones as the ``extra`` type."""
        table = replace(self, extra=None).to_arrow(frame[[c for c in frame.columns if c in self.names]])
        for name in opened:
            values = [None if pd.isna(v) else v for v in frame[name]]
            try:
                table = table.append_column(pa.field(name, self.extra.type, nullable=True), pa.array(values, self.extra.type))
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise TableContractError(f"{self.name}.{name}: does not fit {self.extra.type}: {exc}") from exc
        return table

    def write(self, frame: pd.DataFrame, folder: Path) -> Path:
        """Validate ``frame`` and write it as ``folder/<file>``.

        Writers call this on a staging folder (``nlp.store``), which makes the write atomic.
        """
        path = Path(folder) / self.filename
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(self.to_arrow(frame), path)
        return path

    def read(self, folder: Path) -> pd.DataFrame:
        """The table of a finished run in ``folder``.

        Raises:
            FileNotFoundError: no such file; the message says to run the pipeline.
            TableContractError: the file lacks declared columns (written by an older version).
        """
        path = Path(folder) / self.filename
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such output; run the pipeline first (make run)")
        frame = pd.read_parquet(path)
        missing = [c for c in self.names if c not in frame.columns]
        if missing:
            raise TableContractError(
                f"{path}: lacks columns {missing} that this version writes; run the pipeline again"
            )
        return frame


# Values ``dataclasses.asdict`` would return as they are (its deep copy of a str or number is the
# same value); a record holding only these, and tuples of them, needs no recursive copy.
_PLAIN = (str, int, float, bool, type(None))


def _row(record: Any, wanted: set[str]) -> dict[str, Any]:
    """``asdict(record)``'s wanted fields, tuples as lists.

    Read field by field when every wanted value is plain (a quote's fields: ``asdict`` deep-copied
    each of them, half of writing ``quotes.parquet``); anything else goes through ``asdict``.
    """
    row = {}
    for f in fields(record):
        if f.name not in wanted:
            continue
        v = getattr(record, f.name)
        if type(v) is tuple and all(type(x) in _PLAIN for x in v):
            row[f.name] = list(v)
        elif type(v) in _PLAIN:
            row[f.name] = v
        else:
            return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(record).items() if k in wanted}
    return row


def records_frame(
    records: Sequence[Any], table: Table, open_columns: Mapping[str, Sequence[Any]] | None = None,
    **columns: Sequence[Any],
) -> pd.DataFrame:
    """A frame of ``table``'s columns from dataclass ``records`` plus per-row ``columns``.

    Record fields that the table does not declare are left out; tuples become lists for
    parquet. Types are settled by ``Table.to_arrow`` when the frame is written.
    ``open_columns`` (only for a table with ``extra``) come after the declared ones, and the
    frame lists them in ``attrs["open_columns"]`` so the writer admits them.
    """
    if open_columns and table.extra is None:
        raise TableContractError(f"{table.name}: takes no columns beyond those declared")
    wanted = set(table.names) - set(columns)
    rows = [_row(r, wanted) for r in records]
    frame = pd.DataFrame(rows, columns=[c for c in table.names if c in wanted])
    for name, values in columns.items():
        values = list(values)
        if len(values) != len(frame):
            raise TableContractError(f"{table.name}.{name}: {len(values)} values for {len(frame)} rows")
        # An empty column from [] would be float64, which Arrow cannot turn into a list type.
        frame[name] = values if values else pd.Series(values, index=frame.index, dtype=object)
    frame = frame[[c for c in table.names if c in frame.columns]].copy()
    for name, values in (open_columns or {}).items():
        values = list(values)
        if name in table.names or len(values) != len(frame):
            raise TableContractError(f"{table.name}.{name}: an open column must be new and have one value per row")
        frame[name] = values
    frame.attrs["open_columns"] = list(open_columns or ())
    return frame
