"""The table contract: writers are held to it, and the README documents exactly its columns."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from nlp import tables

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_sections() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    parts = re.split(r"^### `([a-z_]+)\.parquet`.*$", text, flags=re.M)
    return {parts[i]: parts[i + 1].split("\n#")[0] for i in range(1, len(parts), 2)}


@pytest.mark.parametrize("table", (*tables.RUN_TABLES, *tables.COMPARISON_TABLES), ids=lambda t: t.name)
def test_readme_documents_exactly_the_declared_columns(table):
    section = _readme_sections()[table.name]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    if rows:
        documented = {name for row in rows for name in re.findall(r"`([a-z_]+)`", row.split("|")[1])}
    else:  # described in prose
        documented = set(re.findall(r"`([a-z_]+)`", section)) & set(table.names)
    assert documented == set(table.names)


def _quotes(**overrides) -> pd.DataFrame:
    row = {
        "quote_id": "q1", "source_file": "a.txt", "section": "1", "question": "Q?", "response_id": "r1",
        "speaker": None, "is_direct_quote": False, "text": "We need more funding.", "char_start": 0,
        "char_end": 21, "duplicate_of": None, "respondent_id": "r1", "is_substantive": True, "language": "en",
        "topic_id": 0, "sentiment": 0.1, "is_recommendation": True,
        "recommendation_confidence": 0.9,
    }
    row.update(overrides)
    return pd.DataFrame([row])


def test_a_conforming_frame_is_written_with_the_declared_schema(tmp_path):
    path = tables.QUOTES.write(_quotes(), tmp_path)
    back = tables.QUOTES.read(tmp_path)
    assert list(back.columns) == tables.QUOTES.names
    assert back["char_start"].dtype == "int64" and back["is_direct_quote"].dtype == "bool"
    assert path.name == "quotes.parquet"


def test_an_undeclared_column_is_refused_with_where_to_declare_it(tmp_path):
    with pytest.raises(tables.TableContractError, match=r"\['colour'\] are not declared.*nlp/tables.py"):
        tables.QUOTES.write(_quotes().assign(colour="red"), tmp_path)
    assert not (tmp_path / "quotes.parquet").exists()


def test_missing_mistyped_and_null_columns_are_refused(tmp_path):
    with pytest.raises(tables.TableContractError, match="missing"):
        tables.QUOTES.to_arrow(_quotes().drop(columns="sentiment"))
    with pytest.raises(tables.TableContractError, match="declared type"):
        tables.QUOTES.to_arrow(_quotes(char_start="zero"))
    with pytest.raises(tables.TableContractError, match=r"topic_id.*null"):
        tables.QUOTES.to_arrow(_quotes(topic_id=None))


def test_reading_a_table_without_a_declared_column_names_the_file(tmp_path):
    _quotes().drop(columns="sentiment").to_parquet(tmp_path / "quotes.parquet", index=False)
    with pytest.raises(tables.TableContractError, match=r"quotes.parquet: lacks columns \['sentiment'\]"):
        tables.read_table(tmp_path, "quotes")
    with pytest.raises(FileNotFoundError, match="run the pipeline first"):
        tables.read_table(tmp_path, "topics")


def test_empty_tables_keep_their_types(tmp_path):
    tables.RECOMMENDATIONS.write(tables.records_frame([], tables.RECOMMENDATIONS), tmp_path)
    schema = tables.RECOMMENDATIONS.to_arrow(pd.read_parquet(tmp_path / "recommendations.parquet")).schema
    assert schema.equals(tables.RECOMMENDATIONS.schema)


def test_attribute_columns_are_written_only_when_the_frame_opens_them(tmp_path):
    from dataclasses import dataclass

    @dataclass
    class Row:
        quote_id: str

    base = _quotes()
    opened = tables.records_frame([Row("q1")], tables.QUOTES, open_columns={"role": ["funder"]},
                                  **{c: list(base[c]) for c in tables.QUOTES.names if c != "quote_id"})
    tables.QUOTES.write(opened, tmp_path)
    back = tables.QUOTES.read(tmp_path)
    assert list(back.columns) == [*tables.QUOTES.names, "role"] and back["role"].tolist() == ["funder"]
    assert tables.QUOTES.extra_names(back) == ["role"]
    with pytest.raises(tables.TableContractError, match=r"\['colour'\] are not declared"):
        tables.QUOTES.to_arrow(opened.assign(colour="red"))  # opening one column opens no other
    with pytest.raises(tables.TableContractError, match="takes no columns beyond"):
        tables.records_frame([], tables.TOPICS, open_columns={"role": []})


def test_records_frame_reads_plain_records_field_by_field_and_others_as_asdict_does():
    # Plain records skip asdict's deep copy; a record holding anything else goes through asdict,
    # so a nested dataclass still arrives as a dict and a tuple as a list either way.
    from dataclasses import asdict, dataclass

    from nlp.contract import Column, Table, records_frame

    @dataclass(frozen=True)
    class Inner:
        x: int

    @dataclass(frozen=True)
    class Row:
        name: str
        words: tuple
        value: object
        left_out: str = "x"

    table = Table("rows", "a row", tuple(Column(n, tables.STRING, n) for n in ("name", "words", "value")))
    records = [Row("a", ("p", "q"), None), Row("b", (), 1.5), Row("c", ("r",), Inner(3)), Row("d", (("s", 1),), "t")]
    frame = records_frame(records, table)
    expected = pd.DataFrame(
        [{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(r).items() if k != "left_out"} for r in records],
        columns=["name", "words", "value"],
    )
    pd.testing.assert_frame_equal(frame, expected)
    assert frame["value"].tolist() == [None, 1.5, {"x": 3}, "t"] and frame["words"].tolist()[3] == [("s", 1)]
