"""REFI-QDA export: a valid zip, a project valid under the official QDA-XML 1.0 schema, a round trip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from nlp.qdpx import NAMESPACE, build_project_xml, export_qdpx, guid

NS = {"q": NAMESPACE}

# The official REFI-QDA Project schema (QDA-XML 1.0, 18 March 2019, MIT), vendored unchanged.
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "refi-qda" / "Project-mrt2019.xsd"


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def _check(project: etree._Element) -> None:
    schema = _schema()
    assert schema.validate(project), schema.error_log
    guids = [e.get("guid") for e in project.iter() if e.get("guid")]
    assert len(guids) == len(set(guids))
    for ref in project.iterfind(".//q:CodeRef", NS):
        assert ref.get("targetGUID") in guids  # every coding points at a code of the codebook


def test_hand_made_project_is_valid_and_escapes_text():
    text = "Intro.\n· We need <money> & time.\n· Training.\n"
    quotes = pd.DataFrame(
        {"quote_id": ["a", "b"], "source_file": ["s.txt", "s.txt"], "section": ["1.1 X", "1.1 X"],
         "response_id": ["s.txt#1", "s.txt#2"], "text": ["We need <money> & time.", "Training."],
         "char_start": [9, 35], "char_end": [32, 44], "topic_id": [0, -1]}
    )
    topics = pd.DataFrame({"topic_id": [0], "label": ["money & time"], "keywords": [["money"]]})
    codes = pd.DataFrame({"quote_id": ["a"], "code": ["4 Resources"], "similarity": [0.5]})
    project = etree.fromstring(build_project_xml("p", {"s.txt": text}, quotes, topics, codes))
    _check(project)
    selections = project.findall(".//q:PlainTextSelection", NS)
    assert [text[int(s.get("startPosition")):int(s.get("endPosition"))] for s in selections] == list(quotes["text"])
    first_codes = {r.get("targetGUID") for r in selections[0].iterfind(".//q:CodeRef", NS)}
    assert first_codes == {guid("topic", 0), guid("code", "4 Resources")}
    # Exporting twice gives the same project.
    assert build_project_xml("p", {"s.txt": text}, quotes, topics, codes) == etree.tostring(
        project, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


@pytest.mark.slow
def test_seed_export_has_one_coded_segment_per_quote(processed_dir, raw_dir, tmp_path):
    summary = export_qdpx(processed_dir, raw_dir, tmp_path / "seed.qdpx")
    quotes = pd.read_parquet(processed_dir / "quotes.parquet")
    with zipfile.ZipFile(summary.path) as archive:
        assert archive.testzip() is None
        project = etree.fromstring(archive.read("project.qde"))
        _check(project)
        (source,) = project.findall(".//q:TextSource", NS)
        path = source.get("plainTextPath")
        assert path == f"internal://{source.get('guid')}.txt"
        text = archive.read(f"sources/{source.get('guid')}.txt").decode("utf-8")
    selections = source.findall("q:PlainTextSelection", NS)
    assert len(selections) == len(quotes)
    assert all(s.find("q:Coding", NS) is not None for s in selections)
    by_guid = {guid("quote", q.quote_id): q for q in quotes.itertuples()}
    for selection in selections:
        quote = by_guid[selection.get("guid")]
        span = text[int(selection.get("startPosition")):int(selection.get("endPosition"))]
        # The span covers the quote; markup such as bullets may surround it in the source.
        assert quote.text.split()[0] in span and quote.text.split()[-1] in span


def test_changed_raw_file_is_refused(processed_copy, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "interview_summary.txt").write_text("Section 1: Changed\n\n1.1 Other\n\nQ?\n\n· x y z w\n", encoding="utf-8")
    with pytest.raises(ValueError, match="changed since the run"):
        export_qdpx(processed_copy, raw, tmp_path / "x.qdpx")


def _write_qdpx(path, xml: bytes, sources: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", xml)
        for name, text in sources.items():
            archive.writestr(f"sources/{guid('source', name)}.txt", text.encode("utf-8"))
    return path


def test_two_levels_curated_labels_cases_and_sources_round_trip(tmp_path):
    from nlp.codings import read_coding

    text = "Intro.\n· We need grants.\n· Train the staff.\n· Open data.\n"
    quotes = pd.DataFrame(
        {"quote_id": ["a", "b", "c"], "source_file": ["s.txt"] * 3, "section": ["S"] * 3,
         "response_id": ["s#1", "s#2", "s#3"], "respondent_id": ["Ana", "Ana", "Bo"],
         "text": ["We need grants.", "Train the staff.", "Open data."],
         "char_start": [9, 27, 46], "char_end": [24, 43, 56], "topic_id": [0, 1, -1]}
    )
    topics = pd.DataFrame({"topic_id": [0, 1], "label": ["Money", "Skills"], "keywords": [["grants"], ["staff"]],
                           "parent_id": [10, 10], "label_source": ["researcher", "machine"]})
    parents = pd.DataFrame({"parent_id": [10], "label": ["Capacity"]})
    codes = pd.DataFrame({"quote_id": ["a", "b", "c"], "code": ["Resources->Grants", "Skills", "Open data"],
                          "source": ["human", "machine", "human"], "probability": [1.0, 0.8, 1.0]})
    xml = build_project_xml("p", {"s.txt": text}, quotes, topics, codes, parents=parents)
    project = etree.fromstring(xml)
    _check(project)
    names = {c.get("guid"): c.get("name") for c in project.iterfind(".//q:Code", NS)}
    assert names[guid("parent", 10)] == "10: Capacity"
    parent = project.find(f".//q:Code[@guid='{guid('parent', 10)}']", NS)
    assert {c.get("name") for c in parent.findall("q:Code", NS)} == {"0: Money", "1: Skills"}
    money = parent.find(f"q:Code[@guid='{guid('topic', 0)}']", NS)
    assert money.findtext("q:Description", namespaces=NS).startswith("Label pinned by the researcher")
    cases = {c.get("name"): [r.get("targetGUID") for r in c] for c in project.iterfind(".//q:Case", NS)}
    assert cases == {"Ana": [guid("quote", "a"), guid("quote", "b")], "Bo": [guid("quote", "c")]}

    coding = read_coding(_write_qdpx(tmp_path / "p.qdpx", xml, {"s.txt": text}))
    by_text = {u.text: u for u in coding.units}
    grants = by_text["We need grants."]
    assert grants.codes - grants.machine_codes == {"Resources->Grants", "Resources"}  # nested, human
    assert "10: Capacity->0: Money" in grants.machine_codes  # the theme, two levels, by the machine
    assert by_text["Train the staff."].machine_codes >= {"Skills"}


@pytest.mark.slow
def test_learned_codes_survive_export_and_learn_from(processed_copy, raw_dir, cache_dir, tmp_path):
    from nlp.code_corpus import leaf_codes, match_quotes, write_learned_codes
    from nlp.codings import read_coding
    from nlp.config import PipelineConfig
    from nlp.backends import build_embedder

    quotes = pd.read_parquet(processed_copy / "quotes.parquet")
    half = quotes.iloc[: len(quotes) // 2]
    skills = half["text"].str.contains("train|skill|capacit|learn", case=False)
    csv = tmp_path / "coding.csv"
    pd.DataFrame({"quote_id": half["quote_id"], "codes": ["Capacity->Skills" if s else "" for s in skills]}).to_csv(csv, index=False)
    codes_path, _, _ = write_learned_codes(processed_copy, read_coding(csv), build_embedder(PipelineConfig(cache_dir=cache_dir)))
    written = pd.read_parquet(codes_path)
    assert set(written["source"]) == {"human", "machine"}

    summary = export_qdpx(processed_copy, raw_dir, tmp_path / "run.qdpx")
    with zipfile.ZipFile(summary.path) as archive:
        _check(etree.fromstring(archive.read("project.qde")))
    back = read_coding(summary.path)
    topic_names = {n for n in back.code_names if n.split(":")[0].lstrip("-").isdigit()}
    read_back = set()
    for unit, quote_ids in zip(back.units, match_quotes(back, quotes)):
        for quote_id in quote_ids:
            for code in leaf_codes(unit.codes - unit.machine_codes):
                read_back.add((quote_id, code, "human"))
            for code in leaf_codes(unit.machine_codes - topic_names):
                if not any(code.startswith(t) for t in topic_names):
                    read_back.add((quote_id, code, "machine"))
    assert read_back == set(zip(written["quote_id"], written["code"], written["source"]))


def test_respondents_are_cases_with_their_attributes_as_variables():
    text = "Interviewer: Why?\nMaria: We need <money>.\nInterviewer: And?\nAli: Training & time.\n"
    quotes = pd.DataFrame(
        {"quote_id": ["a", "b"], "source_file": ["s.txt", "s.txt"], "section": ["T", "T"],
         "response_id": ["s.txt#1", "s.txt#2"], "respondent_id": ["s.txt#Maria", "s.txt#Ali"],
         "speaker": ["Maria", "Ali"], "text": ["We need <money>.", "Training & time."],
         "char_start": [25, 60], "char_end": [41, 76], "topic_id": [0, 0], "group": ["funder <b>", "implementer"]}
    )
    topics = pd.DataFrame({"topic_id": [0], "label": ["money"], "keywords": [["money"]]})
    project = etree.fromstring(build_project_xml("p", {"s.txt": text}, quotes, topics, attributes=["group"]))
    _check(project)  # the official schema: Variables before Cases, VariableValue inside a Case
    (variable,) = project.findall(".//q:Variables/q:Variable", NS)
    assert (variable.get("name"), variable.get("typeOfVariable")) == ("group", "Text")
    cases = {c.get("name"): c for c in project.findall(".//q:Cases/q:Case", NS)}
    assert set(cases) == {"s.txt#Maria", "s.txt#Ali"}
    maria = cases["s.txt#Maria"]
    value = maria.find("q:VariableValue", NS)
    assert value.find("q:VariableRef", NS).get("targetGUID") == variable.get("guid")
    assert value.find("q:TextValue", NS).text == "funder <b>"
    assert [r.get("targetGUID") for r in maria.findall("q:SelectionRef", NS)] == [guid("quote", "a")]
