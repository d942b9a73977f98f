"""Reading a researcher's coding: a spreadsheet CSV, a REFI-QDA ``.qdpx`` or a run's ``codes.parquet``.

All three become one ``Coding``: coded units (a response, a selection or a quote), each with
the set of codes it carries. Agreement (``nlp.agreement``) compares two codings; learned
coding (``nlp.learn_codes``) extends one to the rest of the corpus.

- **a table** (CSV, TSV or .xlsx), the layout survey tools and spreadsheets export: one row per response, an id column
  (``response_id``, ``respondent_id``, ``quote_id`` or ``id``) or else the response text
  (``text``, ``response``, ``answer`` or ``quote``), and the codes in columns ``Code 1``,
  ``Code 2``, ... or one ``codes`` column separated by ``;``. Other column names can be given.
- **.qdpx**: the codebook (nested codes) and every coded ``PlainTextSelection`` with its text,
  source and character offsets. A ``Coding`` by the user this tool writes as its machine coder
  keeps ``source="machine"``.
- **codes.parquet**: ``quote_id``, ``code`` (and ``source``); with the run's ``quotes.parquet``
  beside it, every quote is a unit, coded or not.

Hierarchical codes count for their parents too: ``parent->child`` also codes ``parent``, as a
child code nested under a codable parent in a ``.qdpx`` does.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = [
    "HIERARCHY_SEPARATOR",
    "MACHINE_USER",
    "TABLE_SUFFIXES",
    "CodeInfo",
    "CodedUnit",
    "Coding",
    "CodingError",
    "expand_hierarchy",
    "is_human_coded",
    "normalise_text",
    "read_coding",
]

HIERARCHY_SEPARATOR = "->"
# The name of the REFI-QDA ``User`` under which the export writes machine-made codings.
MACHINE_USER = "interview-insights (machine coder)"
_QDA_NS = "urn:QDA-XML:project:1.0"
# A coding kept in a spreadsheet; read like a survey export of the same format.
TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".xlsx", ".xlsm"})
_ID_COLUMNS = ("quote_id", "response_id", "respondent_id", "id")
_TEXT_COLUMNS = ("text", "response", "answer", "quote")
_CODE_COLUMN = re.compile(r"^\s*code\s*\d+\s*$", re.IGNORECASE)


class CodingError(ValueError):
    """A coding file that cannot be read; the message names the file and the reason."""


@dataclass(frozen=True)
class CodeInfo:
    """A code as the coding declares it (a ``.qdpx`` codebook) or uses it."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class CodedUnit:
    """One unit a coder looked at, and the codes given to it.

    Attributes:
        key: the unit's id in its file: a CSV id, a quote_id, or ``source@start-end``.
        text: the unit's text; empty when the file holds ids only.
        codes: every code the unit carries, parents of hierarchical codes included.
        machine_codes: those of ``codes`` only a machine assigned (``source="machine"``).
        response_id: the response the unit belongs to, when known.
        source_file: the ``.qdpx`` source name, for units with offsets.
        char_start: start offset into the source's text.
        char_end: end offset into the source's text.
    """

    key: str
    text: str
    codes: frozenset[str]
    machine_codes: frozenset[str] = frozenset()
    response_id: str | None = None
    source_file: str | None = None
    char_start: int | None = None
    char_end: int | None = None


@dataclass(frozen=True)
class Coding:
    """A whole coding: its units and its codebook, in the order first seen."""

    path: Path
    units: tuple[CodedUnit, ...]
    codes: tuple[CodeInfo, ...]

    @property
    def code_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.codes)


def is_human_coded(unit: CodedUnit) -> bool:
    """Whether a person coded the unit: some code is theirs, or no machine touched it.

    A CSV row without codes is a person's decision that none applies; a ``.qdpx`` selection
    that only a machine coded was never looked at.
    """
    return bool(unit.codes - unit.machine_codes) or not unit.machine_codes


def normalise_text(text: str) -> str:
    """Text as a matching key: case-folded, whitespace collapsed."""
    return " ".join(str(text).split()).casefold()


def expand_hierarchy(code: str) -> list[str]:
    """``"a->b->c"`` and its ancestors ``"a->b"`` and ``"a"``, deepest first."""
    parts = [p.strip() for p in str(code).split(HIERARCHY_SEPARATOR)]
    parts = [p for p in parts if p]
    return [HIERARCHY_SEPARATOR.join(parts[:i]) for i in range(len(parts), 0, -1)]


def _code_set(raw: Iterable[object]) -> frozenset[str]:
    out: set[str] = set()
    for value in raw:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            continue
        for code in str(value).split(";"):
            out.update(expand_hierarchy(code))
    return frozenset(out)


def _codebook(units: Iterable[CodedUnit], declared: Iterable[CodeInfo] = ()) -> tuple[CodeInfo, ...]:
    seen = {c.name: c for c in declared}
    for unit in units:
        for code in sorted(unit.codes):
            seen.setdefault(code, CodeInfo(code))
    return tuple(seen.values())


def _read_table_frame(path: Path) -> pd.DataFrame:
    """A coding table as text cells, read as the participants file is (``spreadsheet.table_rows``):
    a CSV or TSV (delimiter and encoding as the pipeline reads surveys) or a workbook's first sheet."""
    from nlp.ingest.errors import IngestError
    from nlp.ingest.spreadsheet import table_rows

    try:
        rows = [cells for _, cells in table_rows(path)]
    except IngestError as exc:
        raise CodingError(f"{path}: {exc.reason}") from None
    if not rows:
        raise CodingError(f"{path}: no rows")
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header = [name or f"column_{k + 1}" for k, name in enumerate(rows[0])]
    return pd.DataFrame(rows[1:], columns=header, dtype=str)


def _pick(columns: list[str], wanted: Iterable[str], given: str | None, path: Path, what: str) -> str | None:
    if given is not None:
        if given not in columns:
            raise CodingError(f"{path}: no {what} column {given!r}; columns are {', '.join(columns)}")
        return given
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[w] for w in wanted if w in lower), None)


def read_coding_csv(
    path: Path,
    id_column: str | None = None,
    text_column: str | None = None,
    codes_column: str | None = None,
) -> Coding:
    """A spreadsheet coding (CSV, TSV or .xlsx): one row per response, codes in ``Code N`` columns or one
    ``codes`` column.

    Raises:
        CodingError: naming the file, when it has no codes columns, neither an id nor a text
            column, or a unit appears twice.
    """
    frame = _read_table_frame(path)
    columns = list(frame.columns)
    if codes_column is not None:
        code_columns = [_pick(columns, (), codes_column, path, "codes")]
    else:
        code_columns = [c for c in columns if _CODE_COLUMN.match(c)]
        if not code_columns and (found := _pick(columns, ("codes",), None, path, "codes")):
            code_columns = [found]
    if not code_columns:
        raise CodingError(
            f"{path}: no codes; expected columns 'Code 1', 'Code 2', ... or one 'codes' column "
            f"(columns are {', '.join(columns)})"
        )
    id_col = _pick(columns, _ID_COLUMNS, id_column, path, "id")
    text_col = _pick(columns, _TEXT_COLUMNS, text_column, path, "text")
    if id_col is None and text_col is None:
        raise CodingError(
            f"{path}: no id column ({', '.join(_ID_COLUMNS)}) and no text column "
            f"({', '.join(_TEXT_COLUMNS)}) to tie the codes to responses"
        )
    units: list[CodedUnit] = []
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        values = dict(zip(columns, row))
        text = str(values[text_col]).strip() if text_col else ""
        key = str(values[id_col]).strip() if id_col else normalise_text(text)
        if not key:
            raise CodingError(f"{path}: line {i} has an empty {'id' if id_col else 'text'}")
        codes = _code_set(values[c] for c in code_columns)
        units.append(CodedUnit(key=key, text=text, codes=codes, response_id=key if id_col else None))
    keys = [u.key for u in units]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise CodingError(f"{path}: the response {dup[:60]!r} appears on more than one row")
    return Coding(Path(path), tuple(units), _codebook(units))


def _qdpx_codes(root, path: Path) -> tuple[dict[str, tuple[str, ...]], list[CodeInfo]]:
    """GUID -> the code names a coding with it counts for (itself and codable ancestors)."""
    ns = {"q": _QDA_NS}
    codes_el = root.find("q:CodeBook/q:Codes", ns)
    by_guid: dict[str, tuple[str, ...]] = {}
    infos: list[CodeInfo] = []

    def walk(element, path_names: tuple[str, ...], codable_ancestors: tuple[str, ...]) -> None:
        for code in element.findall("q:Code", ns):
            name = str(code.get("name") or "").strip()
            if not name or not code.get("guid"):
                raise CodingError(f"{path}: a code in the codebook lacks a name or guid")
            codable = code.get("isCodable", "true").strip().lower() in ("true", "1")
            # A folder that cannot be coded (``isCodable="false"``) groups codes but is no code.
            full = HIERARCHY_SEPARATOR.join((*path_names, name)) if codable else None
            names = ((full,) if full else ()) + codable_ancestors
            by_guid[code.get("guid")] = names
            if full:
                description = code.findtext("q:Description", default="", namespaces=ns) or ""
                infos.append(CodeInfo(full, description.strip()))
            walk(code, (*path_names, name) if codable else path_names, names)

    if codes_el is not None:
        walk(codes_el, (), ())
    return by_guid, infos


def read_coding_qdpx(path: Path) -> Coding:
    """The coded text selections of a REFI-QDA project, with the project's codebook.

    Raises:
        CodingError: naming the file, when it is not a zip with a ``project.qde``, the XML is
            malformed, a selection points outside its source, or a coding names an unknown code.
    """
    from lxml import etree

    ns = {"q": _QDA_NS}
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "project.qde" not in names:
                raise CodingError(f"{path}: no project.qde inside; not a REFI-QDA project")
            root = etree.fromstring(archive.read("project.qde"), etree.XMLParser(resolve_entities=False))
            by_guid, infos = _qdpx_codes(root, path)
            machine_users = {
                u.get("guid") for u in root.iterfind("q:Users/q:User", ns) if u.get("name") == MACHINE_USER
            }
            units: list[CodedUnit] = []
            for source in root.iterfind("q:Sources/q:TextSource", ns):
                source_name = source.get("name") or source.get("guid")
                text = _source_text(archive, names, source, path, ns)
                for sel in source.iterfind("q:PlainTextSelection", ns):
                    start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                    if not 0 <= start <= end <= len(text):
                        raise CodingError(f"{path}: selection {sel.get('guid')} spans {start}-{end}, outside {source_name}")
                    human: set[str] = set()
                    machine: set[str] = set()
                    for coding in sel.iterfind("q:Coding", ns):
                        ref = coding.find("q:CodeRef", ns)
                        target = ref.get("targetGUID") if ref is not None else None
                        if target not in by_guid:
                            raise CodingError(f"{path}: selection {sel.get('guid')} is coded with unknown code {target}")
                        (machine if coding.get("creatingUser") in machine_users else human).update(by_guid[target])
                    units.append(
                        CodedUnit(
                            key=f"{source_name}@{start}-{end}", text=text[start:end], codes=frozenset(human | machine),
                            machine_codes=frozenset(machine - human),
                            source_file=source_name, char_start=start, char_end=end,
                        )
                    )
    except zipfile.BadZipFile:
        raise CodingError(f"{path}: not a .qdpx (zip) archive") from None
    except etree.XMLSyntaxError as exc:
        raise CodingError(f"{path}: project.qde is not well-formed XML ({exc})") from None
    return Coding(Path(path), _merge_units(units), _codebook(units, infos))


def _source_text(archive: zipfile.ZipFile, names: set[str], source, path: Path, ns: dict) -> str:
    inline = source.findtext("q:PlainTextContent", default=None, namespaces=ns)
    if inline is not None:
        return inline
    ref = str(source.get("plainTextPath") or "")
    entry = "sources/" + ref.removeprefix("internal://") if ref.startswith("internal://") else None
    if entry is None or entry not in names:
        raise CodingError(f"{path}: the text of source {source.get('name')!r} ({ref or 'no plainTextPath'}) is not in the archive")
    return archive.read(entry).decode("utf-8-sig")


def _merge_units(units: list[CodedUnit]) -> tuple[CodedUnit, ...]:
    """One unit per key: two selections of the same span are one unit with both codes."""
    merged: dict[str, CodedUnit] = {}
    for unit in units:
        if unit.key in merged:
            old = merged[unit.key]
            unit = CodedUnit(
                unit.key, unit.text, old.codes | unit.codes, old.machine_codes | unit.machine_codes,
                unit.response_id, unit.source_file, unit.char_start, unit.char_end,
            )
        merged[unit.key] = unit
    return tuple(merged.values())


def read_coding_parquet(path: Path) -> Coding:
    """A run's ``codes.parquet``; with ``quotes.parquet`` beside it, uncoded quotes are units too."""
    try:
        codes = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not parquet
        raise CodingError(f"{path}: not a readable parquet file ({exc})") from None
    missing = {"quote_id", "code"} - set(codes.columns)
    if missing:
        raise CodingError(f"{path}: no {', '.join(sorted(missing))} column; expected a run's codes.parquet")
    quotes_path = Path(path).with_name("quotes.parquet")
    quotes = pd.read_parquet(quotes_path) if quotes_path.is_file() else None
    sources = codes["source"] if "source" in codes else pd.Series("human", index=codes.index)
    by_quote: dict[str, tuple[set[str], set[str]]] = {}
    for quote_id, code, source in zip(codes["quote_id"].astype(str), codes["code"].astype(str), sources):
        mine = by_quote.setdefault(quote_id, (set(), set()))
        expanded = expand_hierarchy(code)
        mine[0].update(expanded)
        if source == "machine":
            mine[1].add(expanded[0])
    if quotes is not None:
        order = quotes["quote_id"].astype(str).tolist()
        info = {
            str(q.quote_id): (str(q.text), str(q.response_id)) for q in quotes[["quote_id", "text", "response_id"]].itertuples()
        }
    else:
        order, info = list(by_quote), {}
    units = []
    for quote_id in order:
        text, response_id = info.get(quote_id, ("", None))
        codes_, machine = by_quote.get(quote_id, (set(), set()))
        units.append(CodedUnit(quote_id, text, frozenset(codes_), frozenset(machine), response_id))
    return Coding(Path(path), tuple(units), _codebook(units))


def read_coding(path: Path, **csv_options: str | None) -> Coding:
    """Read any coding by its suffix: a table (``.csv``, ``.tsv``, ``.xlsx``), ``.qdpx`` or ``.parquet``.

    Args:
        path: the coding file.
        csv_options: ``id_column``, ``text_column``, ``codes_column`` for a table; other
            formats name their own.

    Raises:
        CodingError: naming the file and the reason it cannot be used.
    """
    path = Path(path)
    if not path.is_file():
        raise CodingError(f"{path}: no such coding file")
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        coding = read_coding_csv(path, **csv_options)
    elif suffix == ".qdpx":
        coding = read_coding_qdpx(path)
    elif suffix == ".parquet":
        coding = read_coding_parquet(path)
    else:
        raise CodingError(
            f"{path}: unknown coding format {suffix or '(no suffix)'}; expected .csv, .tsv, .xlsx, .qdpx or .parquet"
        )
    if not coding.units:
        raise CodingError(f"{path}: no coded units in the file")
    return coding
