"""Reading codings (CSV, TSV, .xlsx, .qdpx, codes.parquet) and the agreement figures between two of them."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook
from sklearn.metrics import cohen_kappa_score

from nlp.agreement import compare_codings, write_agreement
from nlp.codings import CodingError, read_coding

QDE = """<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="p">
  <CodeBook><Codes>
    <Code guid="00000000-0000-0000-0000-000000000001" name="Money" isCodable="true">
      <Description>Funding and budgets</Description>
      <Code guid="00000000-0000-0000-0000-000000000002" name="Grants" isCodable="true"/>
    </Code>
    <Code guid="00000000-0000-0000-0000-000000000003" name="Folder" isCodable="false">
      <Code guid="00000000-0000-0000-0000-000000000004" name="Skills" isCodable="true"/>
    </Code>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="00000000-0000-0000-0000-0000000000aa" name="s.txt" plainTextPath="internal://00000000-0000-0000-0000-0000000000aa.txt">
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000b1" startPosition="0" endPosition="14">
        <Coding guid="00000000-0000-0000-0000-0000000000c1"><CodeRef targetGUID="00000000-0000-0000-0000-000000000002"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000b2" startPosition="16" endPosition="32">
        <Coding guid="00000000-0000-0000-0000-0000000000c2"><CodeRef targetGUID="00000000-0000-0000-0000-000000000004"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""
SOURCE = "We need grants. Train the staff."


def _qdpx(path, qde=QDE, source=SOURCE):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
        archive.writestr("sources/00000000-0000-0000-0000-0000000000aa.txt", source)
    return path


def _csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_code_columns_and_hierarchy(tmp_path):
    coding = read_coding(_csv(tmp_path / "a.csv", "id,Code 1,Code 2\nr1,Money->Grants,Skills\nr2,,\nr3,Skills,\n"))
    units = {u.key: u.codes for u in coding.units}
    assert units["r1"] == {"Money->Grants", "Money", "Skills"}  # the child counts for its parent
    assert units["r2"] == set() and units["r3"] == {"Skills"}


def test_csv_codes_column_keyed_on_text(tmp_path):
    coding = read_coding(_csv(tmp_path / "a.csv", 'text,codes\n"We need  grants.",Money; Grants\n'))
    (unit,) = coding.units
    assert unit.key == "we need grants." and unit.codes == {"Money", "Grants"}


def test_a_coding_kept_in_a_workbook_or_a_semicolon_csv_reads_like_the_comma_csv(tmp_path):
    from openpyxl import Workbook

    expected = {"r1": {"Money->Grants", "Money", "Skills"}, "r2": set(), "r3": {"Skills"}}
    book = Workbook()
    for row in (("id", "Code 1", "Code 2"), ("r1", "Money->Grants", "Skills"), ("r2", None, None), ("r3", "Skills", None)):
        book.active.append(row)
    book.save(tmp_path / "coding.xlsx")
    semicolon = _csv(tmp_path / "coding.csv", "id;Code 1;Code 2\nr1;Money->Grants;Skills\nr2;;\nr3;Skills;\n")
    tab = _csv(tmp_path / "coding.tsv", "id\tCode 1\tCode 2\nr1\tMoney->Grants\tSkills\nr2\t\t\nr3\tSkills\t\n")
    for path in (tmp_path / "coding.xlsx", semicolon, tab):
        assert {u.key: u.codes for u in read_coding(path).units} == expected, path.name
    with pytest.raises(CodingError, match=r"coding\.txt: unknown coding format \.txt; expected \.csv, \.tsv, \.xlsx"):
        read_coding(_csv(tmp_path / "coding.txt", "id,Code 1\nr1,x\n"))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("id,theme\nr1,x\n", "no codes"),
        ("name,Code 1\nx,y\n", "no id column"),
        ("id,Code 1\nr1,x\nr1,y\n", "more than one row"),
    ],
)
def test_bad_csv_names_the_file_and_reason(tmp_path, content, reason):
    with pytest.raises(CodingError, match=rf"bad\.csv: .*{reason}"):
        read_coding(_csv(tmp_path / "bad.csv", content))


def test_qdpx_selections_codebook_and_nesting(tmp_path):
    coding = read_coding(_qdpx(tmp_path / "p.qdpx"))
    got = {u.text: u.codes for u in coding.units}
    assert got == {"We need grants": {"Money->Grants", "Money"}, "Train the staff.": {"Skills"}}
    assert {c.name: c.description for c in coding.codes}["Money"] == "Funding and budgets"
    assert "Folder" not in coding.code_names  # a non-codable folder is no code


def test_bad_qdpx_is_a_clear_error(tmp_path):
    (tmp_path / "x.qdpx").write_bytes(b"not a zip")
    with pytest.raises(CodingError, match=r"x\.qdpx: not a \.qdpx"):
        read_coding(tmp_path / "x.qdpx")
    bad = _qdpx(tmp_path / "y.qdpx", QDE.replace('endPosition="32"', 'endPosition="99"'))
    with pytest.raises(CodingError, match=r"y\.qdpx: .*outside s\.txt"):
        read_coding(bad)
    with pytest.raises(CodingError, match=r"z\.txt: unknown coding format"):
        read_coding(_csv(tmp_path / "z.txt", "x"))


def test_kappa_alpha_and_disagreements(tmp_path):
    a = read_coding(_csv(tmp_path / "a.csv", "id,codes\n1,X;Y\n2,X\n3,\n4,Y\n5,X\n6,\n"))
    b = read_coding(_csv(tmp_path / "b.csv", "id,codes\n1,X\n2,X\n3,X\n4,Y\n5,X\n6,\n7,Y\n"))
    result = compare_codings(a, b)
    assert (result.matched_on, result.n_units, result.only_in_a, result.only_in_b) == ("id", 6, 0, 1)
    per_code = {c.code: c for c in result.per_code}
    assert per_code["X"].kappa == pytest.approx(cohen_kappa_score([1, 1, 0, 0, 1, 0], [1, 1, 1, 0, 1, 0]))
    assert per_code["X"].percent_agreement == pytest.approx(5 / 6)
    assert (per_code["Y"].prevalence_a, per_code["Y"].prevalence_b) == (pytest.approx(2 / 6), pytest.approx(1 / 6))
    assert 0 < result.alpha < 1
    assert {(d.unit, d.code, d.coded_by) for d in result.disagreements} == {("1", "Y", "A only"), ("3", "X", "B only")}


def test_identical_codings_agree_fully_and_constant_code_is_undefined(tmp_path):
    a = read_coding(_csv(tmp_path / "a.csv", "id,Code 1,Code 2\n1,X,Z\n2,,Z\n3,X,Z\n"))
    result = compare_codings(a, a)
    per_code = {c.code: c for c in result.per_code}
    assert per_code["X"].kappa == pytest.approx(1.0) and result.alpha == pytest.approx(1.0)
    assert per_code["Z"].kappa is None  # every unit has Z: kappa is 0/0, not a number to trust
    assert result.disagreements == ()


def test_csv_against_qdpx_matches_on_text_and_parquet_on_response(tmp_path):
    qdpx = read_coding(_qdpx(tmp_path / "p.qdpx"))
    csv = read_coding(_csv(tmp_path / "c.csv", "text,codes\nWe need grants,Money\nTrain the staff.,Money\n"))
    result = compare_codings(csv, qdpx, codes=["Money"])
    assert result.matched_on == "text" and result.n_units == 2
    assert [d.text for d in result.disagreements] == ["Train the staff."]

    run = tmp_path / "run"
    run.mkdir()
    pd.DataFrame({"quote_id": ["q1", "q2", "q3"], "text": ["a.", "b.", "c."], "response_id": ["r1", "r1", "r2"]}).to_parquet(
        run / "quotes.parquet"
    )
    pd.DataFrame({"quote_id": ["q2"], "code": ["X"], "source": ["machine"], "probability": [0.9]}).to_parquet(
        run / "codes.parquet"
    )
    machine = read_coding(run / "codes.parquet")
    assert {u.key: (u.codes, u.machine_codes) for u in machine.units}["q2"] == ({"X"}, {"X"})
    human = read_coding(_csv(tmp_path / "h.csv", "response_id,codes\nr1,X\nr2,X\n"))
    result = compare_codings(human, machine)
    assert result.matched_on == "response" and result.n_units == 2  # quotes pooled per response
    assert [(d.unit, d.coded_by) for d in result.disagreements] == [("r2", "A only")]


def test_no_shared_units_is_a_clear_error(tmp_path):
    a = read_coding(_csv(tmp_path / "a.csv", "id,codes\n1,X\n"))
    b = read_coding(_csv(tmp_path / "b.csv", "id,codes\n2,X\n"))
    with pytest.raises(CodingError, match="no unit in common"):
        compare_codings(a, b)


def test_written_tables_and_workbook(tmp_path):
    a = read_coding(_csv(tmp_path / "a.csv", "id,text,codes\n1,=SUM(A1),X\n2,two,\n"))
    b = read_coding(_csv(tmp_path / "b.csv", "id,codes\n1,\n2,\n"))
    per_code_csv, disagreements_csv, xlsx = write_agreement(compare_codings(a, b), tmp_path / "out")
    assert pd.read_csv(disagreements_csv)["text"].tolist() == ["=SUM(A1)"]
    workbook = load_workbook(xlsx)
    assert workbook.sheetnames == ["summary", "per code", "disagreements"]
    cell = workbook["disagreements"]["B2"]
    assert cell.value == "=SUM(A1)" and cell.data_type == "s"  # a quote is never run as a formula
    assert pd.read_csv(per_code_csv)["code"].tolist() == ["X"]


def test_agreement_command(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.setenv("COLUMNS", "200")
    a = _csv(tmp_path / "a.csv", "id,codes\n1,X\n2,\n3,X\n")
    b = _csv(tmp_path / "b.csv", "id,codes\n1,X\n2,X\n3,X\n")
    result = CliRunner().invoke(app, ["agreement", str(a), str(b), "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Krippendorff's alpha" in result.output and "1 disagreements" in result.output
    assert (tmp_path / "out" / "agreement.xlsx").is_file()
    missing = CliRunner().invoke(app, ["agreement", str(a), str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and "nope.csv: no such coding file" in " ".join(missing.output.split())
