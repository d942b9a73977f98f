"""Caption transcripts (.vtt, .srt), Excel survey exports (.xlsx) and Qualtrics exports.

Small files written here, in the shapes Zoom, Teams, subtitle tools, Excel and Qualtrics
export; each test checks what a user sees: the quotes, who said them, where they came from.
"""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from nlp.ingest import IngestError, decode_text, ingest_dir, ingest_paths
from nlp.ingest.captions import UNNAMED_SPEAKER, read_captions
from nlp.ingest.markup import clean_text
from nlp.participants.join import survey_attribute_names
from nlp.quotes import split_quotes
from nlp.schemas import Document
from tests.ingest_files import ingest_one as _one
from tests.ingest_files import nlp  # noqa: F401 - a fixture

ZOOM_VTT = """\
WEBVTT

1
00:00:01.000 --> 00:00:04.000
Ana Lopez: How did the procurement training go for your team?

2
00:00:04.500 --> 00:00:09.000
Maria Garcia: It went well, the workshops on contract data

3
00:00:09.000 --> 00:00:12.000
Maria Garcia: were the most useful part for us.

4
00:00:12.500 --> 00:00:15.000
Ana Lopez: What would you change?

5
00:00:15.500 --> 00:00:19.000
Maria Garcia: Shorter sessions, and more examples from our own tenders.
"""

TEAMS_VTT = """\
WEBVTT

NOTE exported from the meeting recording

3f1a-0
00:00:01.000 --> 00:00:04.000
<v Interviewer>What did the data portal change for you?</v>

3f1a-1
00:00:04.500 --> 00:00:09.000 align:start
<v Kofi Mensah>We finally see <i>every</i> award &amp; amendment
in one place, which saves us days.</v>
"""

SRT = """\
1
00:00:01,000 --> 00:00:04,000
Interviewer: Which part of the onboarding helped most?

2
00:00:04,500 --> 00:00:08,000
P2: The mentoring sessions helped most,

3
00:00:08,000 --> 00:00:11,000
because someone answered our questions every week.
"""


def _quotes(doc: Document, nlp) -> list[tuple[str | None, str]]:
    return [(q.speaker, q.text) for q in split_quotes([doc], nlp)]


def test_zoom_vtt_cues_of_one_speaker_are_one_answer_to_the_question_before(tmp_path, nlp):
    doc = _one(tmp_path, "call.vtt", ZOOM_VTT)
    assert doc.format == "webvtt"
    assert doc.metadata["speakers"] == ["Ana Lopez", "Maria Garcia"]
    assert doc.metadata["interviewers"] == ["Ana Lopez"]
    first, second = doc.responses
    assert first.question == "How did the procurement training go for your team?"
    assert second.question == "What would you change?"
    assert first.respondent_id == second.respondent_id == "call.vtt#Maria Garcia"
    # Provenance: the start of the answer as written, the file lines its cue text spans.
    assert first.metadata["timestamp"] == "00:00:04.500"
    assert first.metadata["lines"] == [9, 13]
    # A sentence cut across two cues is one quote, with no cue number or timing in it.
    assert _quotes(doc, nlp) == [
        ("Maria Garcia", "It went well, the workshops on contract data were the most useful part for us."),
        ("Maria Garcia", "Shorter sessions, and more examples from our own tenders."),
    ]


def test_a_note_holding_an_arrow_is_not_taken_for_a_cue_timing(tmp_path):
    # webvtt-py reads the NOTE block and skips it; provenance must skip it too.
    question = "1\n00:00:01.000 --> 00:00:04.000\nAna Lopez: How did the procurement training go for your team?\n\n"
    vtt = ZOOM_VTT.replace(question, "NOTE answers --> Maria, questions --> Ana\n\n", 1)
    doc = _one(tmp_path, "noted.vtt", vtt)
    first, second = doc.responses
    assert first.metadata["timestamp"] == "00:00:04.500" and first.metadata["lines"] == [7, 11]
    assert second.metadata["timestamp"] == "00:00:15.500"


def test_teams_vtt_voice_tags_name_the_speaker_and_cue_tags_are_dropped(tmp_path, nlp):
    doc = _one(tmp_path, "teams.vtt", TEAMS_VTT)
    assert doc.metadata["interviewers"] == ["Interviewer"]
    (answer,) = doc.responses
    assert answer.question == "What did the data portal change for you?"
    assert answer.metadata["lines"] == [11, 12]
    assert _quotes(doc, nlp) == [
        ("Kofi Mensah", "We finally see every award & amendment in one place, which saves us days."),
    ]
    # Spans index the text the quotes were cut from (which the REFI-QDA export embeds).
    for q in split_quotes([doc], nlp):
        assert clean_text(doc.text[q.char_start : q.char_end]) == q.text


def test_srt_with_labels_reads_like_a_txt_transcript(tmp_path, nlp):
    doc = _one(tmp_path, "session.srt", SRT)
    assert doc.format == "srt"
    (answer,) = doc.responses
    assert answer.speaker == "P2"
    assert answer.question == "Which part of the onboarding helped most?"
    assert answer.metadata["timestamp"] == "00:00:04,500"
    assert answer.metadata["lines"] == [7, 11]
    assert _quotes(doc, nlp) == [
        ("P2", "The mentoring sessions helped most, because someone answered our questions every week."),
    ]


def test_srt_without_speaker_names_keeps_every_word(tmp_path, nlp):
    srt = (
        "1\n00:00:01,000 --> 00:00:03,000\nSo what helped you most?\n\n"
        "2\n00:00:03,500 --> 00:00:06,000\nNote: the weekly calls helped us most of all.\n"
    )
    doc = _one(tmp_path, "nonames.srt", srt)
    # No speaker is named: the words are kept (a "?" does not make them the interviewer's),
    # and a one-off "Note:" is text, not a speaker.
    assert doc.metadata["speakers"] == [UNNAMED_SPEAKER]
    assert doc.metadata["unnamed_cues"] == 2
    assert " ".join(text for _, text in _quotes(doc, nlp)) == (
        "So what helped you most? Note: the weekly calls helped us most of all."
    )


def test_a_cue_holding_two_speakers_gives_each_their_words(tmp_path, nlp):
    # Some exports put a question and its answer in one cue, one speaker per line.
    vtt = (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nInterviewer: What helped?\nP1: The weekly calls helped.\n\n"
        "2\n00:00:04.500 --> 00:00:08.000\n<v Interviewer>Anything else?</v>\n<v P1>More training, please.</v>\n"
    )
    doc = _one(tmp_path, "pairs.vtt", vtt)
    assert doc.metadata["speakers"] == ["Interviewer", "P1"]
    first, second = doc.responses
    assert (first.question, first.metadata["lines"]) == ("What helped?", [6, 6])
    assert (second.question, second.metadata["lines"]) == ("Anything else?", [11, 11])
    assert _quotes(doc, nlp) == [("P1", "The weekly calls helped."), ("P1", "More training, please.")]


# --- spreadsheets -------------------------------------------------------------------------


def _xlsx(rows: list[list[object]], title: str = "Responses", extra_sheet: bool = False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        workbook.create_sheet("Notes").append(["not", "read"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_survey_reads_like_its_csv_with_sheet_and_row(tmp_path, nlp):
    data = _xlsx(
        [
            ["respondent_id", "region", "comment"],
            [101, "Europe", 'The "open data" course was\nexcellent and practical.'],
            [None, None, None],  # a blank row: no response, but Excel's numbering goes on
            [102.0, "Africa", "More examples from local tenders, please."],
            [103, "Asia", None],
        ],
        extra_sheet=True,
    )
    doc = _one(tmp_path, "survey.xlsx", data)
    assert doc.format == "survey_xlsx"
    assert doc.metadata["sheet"] == "Responses"
    assert (doc.metadata["text_column"], doc.metadata["id_column"]) == ("comment", "respondent_id")
    assert [r.respondent_id for r in doc.responses] == [
        "survey.xlsx#respondent_id=101", "survey.xlsx#respondent_id=102",
    ]
    assert [(r.metadata["sheet"], r.metadata["sheet_row"]) for r in doc.responses] == [
        ("Responses", 2), ("Responses", 4),
    ]
    assert [text for _, text in _quotes(doc, nlp)] == [
        'The "open data" course was excellent and practical.',
        "More examples from local tenders, please.",
    ]
    # Its other columns describe the respondent, as a CSV's do.
    assert survey_attribute_names(doc) == ["region"]


def test_xlsx_text_column_option_and_headerless_sheet(tmp_path):
    data = _xlsx([["id", "q1", "q2"], [1, "Short one here", "The long answer that the user wants read"]])
    path = tmp_path / "named.xlsx"
    path.write_bytes(data)
    (doc,) = ingest_paths([path], text_column="Q1").documents
    assert doc.metadata["text_column"] == "q1"
    headerless = _xlsx([["The training was useful for the whole procurement team this year."],
                        ["We need more time for questions at the end of each session."]])
    doc = _one(tmp_path, "headerless.xlsx", headerless)
    assert doc.metadata["header_row"] is False
    assert [r.metadata["sheet_row"] for r in doc.responses] == [1, 2]



def _saved_by_excel(data: bytes, cell: str, value: str) -> bytes:
    """``data`` with ``value`` as the saved result of ``cell``'s formula, as Excel would store it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            part = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(f'<c r="{cell}"><f>'.encode(), f'<c r="{cell}" t="str"><f>'.encode())
                part = part.replace(b"<v></v>", f"<v>{value}</v>".encode())
            target.writestr(item, part)
    return out.getvalue()


def test_a_formula_never_computed_is_named_not_read_as_empty_silently(tmp_path, caplog):
    # Written by a script (openpyxl, pandas): the formula is there, its value never was.
    data = _xlsx([["id", "comment"], [1, "The mentoring programme worked well for us."],
                  [2, '=CONCAT("More examples ", "from local tenders, please.")'], [3, "=B2"]])
    path = tmp_path / "scripted.xlsx"
    path.write_bytes(data)
    with caplog.at_level(logging.WARNING, logger="nlp.ingest"):
        (doc,) = ingest_paths([path]).documents
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once for the file, however many cells
    assert warnings[0].startswith("scripted.xlsx: sheet 'Responses', cell B3 (and 1 more)")
    assert "formula" in warnings[0]
    assert doc.metadata["uncomputed_formulas"] == {"first_cell": "B3", "cells": 2}
    assert len(doc.responses) == 1
    assert path.read_bytes() == data  # the input is never rewritten
    # Once Excel has saved the value, the answer is read and nothing is said.
    computed = tmp_path / "computed.xlsx"
    computed.write_bytes(_saved_by_excel(_xlsx([["id", "comment"], [1, '=CONCAT("More examples ", "please.")']]),
                                         "B2", "More examples please."))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="nlp.ingest"):
        (doc,) = ingest_paths([computed]).documents
    assert [r.getMessage() for r in caplog.records] == []
    assert "uncomputed_formulas" not in doc.metadata
    assert len(doc.responses) == 1


QUALTRICS_ROWS = [
    ["StartDate", "ResponseId", "Q1", "Q2_TEXT"],
    ["Start Date", "Response ID", "How satisfied are you?", "What would you change about the training?"],
    ['{"ImportId":"startDate","timeZone":"America/Denver"}', '{"ImportId":"_recordId"}',
     '{"ImportId":"QID1"}', '{"ImportId":"QID2_TEXT"}'],
    [datetime(2024, 3, 1, 10, 0), "R_1abc", 4, "More hands-on exercises with real contract data."],
    [datetime(2024, 3, 2, 11, 0), "R_2def", 5, "Shorter sessions, and the slides beforehand."],
]


def _csv(rows: list[list[object]]) -> str:
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("name", ["qualtrics.csv", "qualtrics.xlsx"])
def test_qualtrics_question_and_import_id_rows_are_not_answers(tmp_path, nlp, name):
    content = _xlsx(QUALTRICS_ROWS) if name.endswith(".xlsx") else _csv(QUALTRICS_ROWS)
    doc = _one(tmp_path, name, content)
    assert [text for _, text in _quotes(doc, nlp)] == [
        "More hands-on exercises with real contract data.",
        "Shorter sessions, and the slides beforehand.",
    ]
    assert {r.question for r in doc.responses} == {"What would you change about the training?"}
    assert [r.respondent_id for r in doc.responses] == [f"{name}#ResponseId=R_1abc", f"{name}#ResponseId=R_2def"]
    assert doc.metadata["export_rows"] == [2, 3]
    assert doc.metadata["n_rows"] == 2


def test_a_plain_csv_keeps_its_rows_and_manifest_entry(tmp_path):
    doc = _one(tmp_path, "plain.csv", "id,response\n1,The portal saves us a day a week.\n")
    assert "export_rows" not in doc.metadata
    assert [r.question for r in doc.responses] == ["response"]


# --- bad input ----------------------------------------------------------------------------


def test_bad_captions_and_workbooks_get_a_reason_and_the_batch_goes_on(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    good = _xlsx([["id", "comment"], [1, "The mentoring programme worked well for us."]])
    files = {
        "empty.vtt": b"WEBVTT\n",
        "silent.vtt": b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n00:00:03.000 --> 00:00:04.000\n<v Ana></v>\n",
        "notes.vtt": b"Just some notes, not captions.\nSecond line.\n",
        "broken.srt": b"1\n00:00:01,000 --> 00:00:02,000\n\n",
        "truncated.xlsx": good[: len(good) // 2],
        "legacy.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        # Saved with a password: an OLE2 container whose directory names the EncryptedPackage stream.
        "locked.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + "EncryptedPackage".encode("utf-16-le"),
        "blank.xlsx": _xlsx([]),
        "good.xlsx": good,
        "nohours.srt": b"1\n00:01,000 --> 00:04,000\nAna: The training helped.\n",
        "good.srt": SRT.encode(),
    }
    for name, data in files.items():
        (raw / name).write_bytes(data)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in raw.iterdir()}
    result = ingest_dir(raw)
    errors = {r.file: r.error for r in result.inputs if r.status == "error"}
    assert errors == {
        "empty.vtt": "empty.vtt: no captions: the file has no cues",
        "silent.vtt": "silent.vtt: no text: none of its 2 cues has any text",
        "notes.vtt": "notes.vtt: not a valid WebVTT file (Invalid format): expected a 'WEBVTT' "
        "first line, then cues",
        "broken.srt": "broken.srt: no captions: the file has no cues",
        "nohours.srt": "nohours.srt: no cue could be read: a timing line such as '00:01,000 --> 00:04,000' "
        "is not in the form '00:00:01,000 --> 00:00:04,000'",
        "truncated.xlsx": errors["truncated.xlsx"],
        "legacy.xlsx": "legacy.xlsx: legacy Excel .xls (OLE2) format, not .xlsx: save it as .xlsx first",
        "locked.xlsx": "locked.xlsx: password-protected .xlsx: it is encrypted; save a copy without the password first",
        "blank.xlsx": "blank.xlsx: no data: the first sheet ('Responses') is empty",
    }
    assert errors["truncated.xlsx"].startswith("truncated.xlsx: corrupted .xlsx: cannot be opened (")
    assert sorted(d.source_file for d in result.documents) == ["good.srt", "good.xlsx"]
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in raw.iterdir()} == before


def test_a_workbook_whose_sheet_xml_is_cut_short_is_called_corrupted(tmp_path):
    good = zipfile.ZipFile(io.BytesIO(_xlsx([["id", "comment"], [1, "The mentoring programme worked well."]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in good.infolist():
            data = good.read(item)
            z.writestr(item, data[: len(data) // 2] if item.filename == "xl/worksheets/sheet1.xml" else data)
    path = tmp_path / "cut.xlsx"
    path.write_bytes(out.getvalue())
    (record,) = ingest_paths([path]).inputs
    assert record.status == "error"
    assert record.error.startswith("cut.xlsx: corrupted .xlsx: cannot be read (ParseError: "), record.error


def test_xlsx_zip_bomb_is_refused_unopened(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (20 * 2**20))
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(out.getvalue())
    (record,) = ingest_paths([path]).inputs
    assert record.status == "error"
    assert "refused as a possible zip bomb" in record.error


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["WEBVTT\n\n", "1\n", ""]),
    st.lists(
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(["00:00:01.000 --> 00:00:02.000", "00:00:01,000 --> 00:00:02,000",
                             "<v Ana>", "</v>", "Maria: ", "NOTE x", "2", "-->", "&amp;", "<i>"]),
        ),
        max_size=12,
    ).map("\n".join),
    st.sampled_from([".vtt", ".srt"]),
)
def test_read_captions_never_crashes(head: str, body: str, suffix: str) -> None:
    try:
        text = decode_text((head + body).encode(), "c" + suffix)
        doc = read_captions(text, "c" + suffix, "abc", suffix)
    except IngestError as exc:
        assert exc.file == "c" + suffix
        return
    for response in doc.responses:
        assert response.units
        first, last = response.metadata["lines"]
        assert 1 <= first <= last <= text.count("\n") + 1
        for unit in response.units:
            assert 0 <= unit.char_start < unit.char_end <= len(doc.text)


def test_a_long_export_puts_each_answer_in_its_questions_section(tmp_path):
    # One row per answer, as coding tools and hand-made sheets keep interviews.
    long_csv = (
        "participant,question,response\n"
        "P1,What works well?,The helpdesk answers quickly.\n"
        "P1,What would you change?,Longer grants so reforms can finish.\n"
        "P2,What works well?,Training sessions were practical.\n"
    )
    doc = _one(tmp_path, "long.csv", long_csv)
    assert doc.metadata["question_column"] == "question"
    assert [(r.section, r.question, r.respondent_id) for r in doc.responses] == [
        ("What works well?", "What works well?", "long.csv#participant=P1"),
        ("What would you change?", "What would you change?", "long.csv#participant=P1"),
        ("What works well?", "What works well?", "long.csv#participant=P2"),
    ]
    # The question differs between one respondent's rows: never an attribute of the respondent.
    assert "question" not in survey_attribute_names(doc)


def test_a_transcript_kept_as_a_table_reads_the_interviewer_rows_as_questions(tmp_path):
    table = (
        "Time,Speaker,Text\n"
        "00:00:01,Interviewer,What works well?\n"
        "00:00:05,Maria,The helpdesk answers quickly.\n"
        "00:00:09,Interviewer,What would you change?\n"
        "00:00:12,Maria,Longer grants so reforms can finish.\n"
    )
    doc = _one(tmp_path, "turns.csv", table)
    assert doc.metadata["interviewers"] == ["Interviewer"]
    assert [(r.question, r.respondent_id) for r in doc.responses] == [
        ("What works well?", "turns.csv#Speaker=Maria"),
        ("What would you change?", "turns.csv#Speaker=Maria"),
    ]
    # Participants coded I01, I02 (interviewees) are all answers: no one in the table asks.
    coded = "speaker,text\nI01,The portal is slow before deadlines.\nI02,Training helped our staff a lot.\n"
    assert len(_one(tmp_path, "coded.csv", coded).responses) == 2
