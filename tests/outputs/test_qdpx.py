"""REFI-QDA export: a valid zip, a well-formed project that follows the QDA-XML structure."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from lxml import etree

from nlp.qdpx import NAMESPACE, build_project_xml, export_qdpx, guid

NS = {"q": NAMESPACE}

# The part of QDA-XML 1.0 (REFI-QDA Project.xsd, 18 March 2019) this exporter writes, restated
# from the standard's documented structure: element order, required attributes, GUID pattern.
# The official XSD is not vendored here; see the README.
STRUCTURE_XSD = f"""<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="{NAMESPACE}"
            targetNamespace="{NAMESPACE}" elementFormDefault="qualified">
  <xsd:element name="Project">
    <xsd:complexType>
      <xsd:sequence>
        <xsd:element name="CodeBook" minOccurs="0">
          <xsd:complexType><xsd:sequence><xsd:element name="Codes" type="CodesType"/></xsd:sequence></xsd:complexType>
        </xsd:element>
        <xsd:element name="Sources" minOccurs="0">
          <xsd:complexType><xsd:sequence>
            <xsd:element name="TextSource" type="TextSourceType" maxOccurs="unbounded"/>
          </xsd:sequence></xsd:complexType>
        </xsd:element>
      </xsd:sequence>
      <xsd:attribute name="name" type="xsd:string" use="required"/>
      <xsd:attribute name="origin" type="xsd:string"/>
    </xsd:complexType>
  </xsd:element>
  <xsd:complexType name="CodesType"><xsd:sequence>
    <xsd:element name="Code" type="CodeType" maxOccurs="unbounded"/>
  </xsd:sequence></xsd:complexType>
  <xsd:complexType name="CodeType">
    <xsd:sequence>
      <xsd:element name="Description" type="xsd:string" minOccurs="0"/>
      <xsd:element name="Code" type="CodeType" minOccurs="0" maxOccurs="unbounded"/>
    </xsd:sequence>
    <xsd:attribute name="guid" type="GUIDType" use="required"/>
    <xsd:attribute name="name" type="xsd:string" use="required"/>
    <xsd:attribute name="isCodable" type="xsd:boolean" use="required"/>
  </xsd:complexType>
  <xsd:complexType name="TextSourceType">
    <xsd:sequence>
      <xsd:element name="Description" type="xsd:string" minOccurs="0"/>
      <xsd:element name="PlainTextSelection" type="PlainTextSelectionType" minOccurs="0" maxOccurs="unbounded"/>
    </xsd:sequence>
    <xsd:attribute name="guid" type="GUIDType" use="required"/>
    <xsd:attribute name="name" type="xsd:string"/>
    <xsd:attribute name="plainTextPath" type="xsd:string" use="required"/>
  </xsd:complexType>
  <xsd:complexType name="PlainTextSelectionType">
    <xsd:sequence>
      <xsd:element name="Description" type="xsd:string" minOccurs="0"/>
      <xsd:element name="Coding" maxOccurs="unbounded">
        <xsd:complexType>
          <xsd:sequence><xsd:element name="CodeRef">
            <xsd:complexType><xsd:attribute name="targetGUID" type="GUIDType" use="required"/></xsd:complexType>
          </xsd:element></xsd:sequence>
          <xsd:attribute name="guid" type="GUIDType" use="required"/>
        </xsd:complexType>
      </xsd:element>
    </xsd:sequence>
    <xsd:attribute name="guid" type="GUIDType" use="required"/>
    <xsd:attribute name="name" type="xsd:string"/>
    <xsd:attribute name="startPosition" type="xsd:integer" use="required"/>
    <xsd:attribute name="endPosition" type="xsd:integer" use="required"/>
  </xsd:complexType>
  <xsd:simpleType name="GUIDType">
    <xsd:restriction base="xsd:token">
      <xsd:pattern value="[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}"/>
    </xsd:restriction>
  </xsd:simpleType>
</xsd:schema>
"""


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(STRUCTURE_XSD.encode("utf-8")))


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
