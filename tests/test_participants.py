"""Participants files: attributes reach the right respondents, and every bad file says where."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pytest

from nlp.ingest import read_survey_csv, read_transcript
from nlp.participants import (
    UNKNOWN,
    ParticipantsError,
    attribute_column_names,
    join_attributes,
    quote_attribute_columns,
    read_participants,
)

TRANSCRIPT = "Interviewer: What works?\nInterviewee: The data portal works well for us.\n" \
             "Interviewer: And what does not?\nInterviewee: Funding is always short.\n"
SURVEY = "ResponseId,region,answer\nR_1,North,We need more training on the tools.\nR_2,,The helpdesk is quick.\n"


def _docs():
    return [
        read_transcript(TRANSCRIPT, "Interview 1.txt", "sha1"),
        read_transcript(TRANSCRIPT.replace("Interviewee", "Maria"), "Interview 2.txt", "sha2"),
        read_transcript(TRANSCRIPT, "Interview 3.txt", "sha3"),
    ]


def _write(tmp_path: Path, text: str, name: str = "participants.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _values(attrs, doc, name):
    return set(attrs.column([r.response_id for r in doc.responses], name))


def test_file_key_gives_every_respondent_of_the_interview_its_attributes(tmp_path):
    docs = _docs()
    path = _write(tmp_path, "file,group,role\nInterview 1.txt,funder,lead\nInterview 2,implementer,analyst\n")
    table = read_participants(path)
    assert table.key == ("file",) and table.attributes == ("group", "role")
    attrs = join_attributes(docs, table)
    assert _values(attrs, docs[0], "group") == {"funder"}
    assert _values(attrs, docs[1], "role") == {"analyst"}  # "Interview 2" names Interview 2.txt
    assert _values(attrs, docs[2], "group") == {UNKNOWN}
    assert attrs.missing == ("Interview 3.txt#Interviewee",)


def test_respondents_missing_from_the_file_are_reported(tmp_path, caplog):
    path = _write(tmp_path, "file,group\nInterview 1.txt,funder\n")
    with caplog.at_level(logging.WARNING, logger="nlp.participants"):
        attrs = join_attributes(_docs(), read_participants(path))
    assert len(attrs.missing) == 2
    assert "does not list 2 respondent(s), grouped as 'unknown'" in caplog.text


def test_file_and_speaker_key(tmp_path):
    docs = _docs()
    path = _write(tmp_path, "file,speaker,group\nInterview 1.txt,Interviewee,funder\nInterview 2.txt,Maria,implementer\n")
    attrs = join_attributes(docs, read_participants(path))
    assert _values(attrs, docs[1], "group") == {"implementer"}


def test_a_speaker_alone_must_name_one_file(tmp_path):
    path = _write(tmp_path, "speaker,group\nMaria,funder\nInterviewee,implementer\n")
    with pytest.raises(ParticipantsError, match=r"row 3, column 'speaker': speaker 'Interviewee' speaks in 2 files"):
        join_attributes(_docs(), read_participants(path))


def test_survey_columns_are_attributes_without_a_participants_file():
    doc = read_survey_csv(SURVEY, "survey.csv", "sha")
    attrs = join_attributes([doc])
    assert attrs.names == ("region",)  # not the text, not the id
    assert attrs.column([r.response_id for r in doc.responses], "region") == ["North", UNKNOWN]


def test_the_survey_id_column_can_key_a_participants_file(tmp_path):
    doc = read_survey_csv(SURVEY, "survey.csv", "sha")
    path = _write(tmp_path, "ResponseId,sector\nR_1,government\nR_2,civil society\n")
    table = read_participants(path, survey_columns=doc.metadata["columns"])
    attrs = join_attributes([doc], table)
    assert attrs.names == ("sector", "region")
    assert attrs.column([r.response_id for r in doc.responses], "sector") == ["government", "civil society"]


def test_xlsx_with_dates_and_numbers_reads_as_a_person_sees_it(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["file", "date", "cohort"])
    sheet.append(["Interview 1.txt", datetime(2024, 3, 5), 2])
    path = tmp_path / "participants.xlsx"
    workbook.save(path)
    table = read_participants(path)
    assert table.rows[0].values == ("2024-03-05", "2")


def test_attribute_columns_are_prefixed_only_on_collision():
    assert attribute_column_names(["group", "speaker"], {"speaker", "text"}) == {"group": "group", "speaker": "attr_speaker"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,group\nAna,funder\n", r"participants.csv, row 1: no key column: name one column 'respondent_id', 'file' or 'speaker'"),
        ("file,group\n,funder\n", r"row 2, column 'file': missing key"),
        ("file,group\nInterview 1.txt,funder\nInterview 1.txt,implementer\n",
         r"row 3, column 'file': duplicate key 'Interview 1.txt', already on row 2"),
        ("file,group\nInterview 1.txt,funder\n\nInterview 2.txt,\n", r"row 4, column 'group': empty attribute value"),
        ("file,,group\nInterview 1.txt,x,funder\n", r"row 1: column 2 has no name"),
        ("file\nInterview 1.txt\n", r"no attribute columns"),
    ],
    ids=["no-key-column", "missing-key", "duplicate-key", "empty-attribute", "unnamed-column", "no-attributes"],
)
def test_bad_participants_files_name_the_row_and_column(tmp_path, text, message):
    with pytest.raises(ParticipantsError, match=message):
        read_participants(_write(tmp_path, text))


def test_unknown_file_names_row_column_and_the_files_there_are(tmp_path):
    path = _write(tmp_path, "file,group\nInterview 1.txt,funder\nInterview 9.txt,funder\n")
    with pytest.raises(ParticipantsError, match=r"row 3, column 'file': unknown file 'Interview 9.txt'; "
                                                r"the run's files are: Interview 1.txt, Interview 2.txt"):
        join_attributes(_docs(), read_participants(path))


def test_unknown_speaker_and_respondent(tmp_path):
    path = _write(tmp_path, "file,speaker,group\nInterview 2.txt,Mario,funder\n")
    with pytest.raises(ParticipantsError, match=r"row 2, column 'speaker': no speaker 'Mario' in Interview 2.txt .*Maria"):
        join_attributes(_docs(), read_participants(path))
    path = _write(tmp_path, "respondent_id,group\nnobody,funder\n")
    with pytest.raises(ParticipantsError, match=r"row 2, column 'respondent_id': unknown respondent"):
        join_attributes(_docs(), read_participants(path))


def test_a_missing_or_unreadable_file_is_named(tmp_path):
    with pytest.raises(ParticipantsError, match=r"nope.csv: no such participants file"):
        read_participants(tmp_path / "nope.csv")
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ParticipantsError, match=r"broken.xlsx: corrupted .xlsx: cannot be opened"):
        read_participants(bad)


def test_a_participants_workbook_with_a_damaged_sheet_or_no_sheet_is_named_with_the_reason(tmp_path):
    import io
    import zipfile

    from openpyxl import Workbook

    workbook, out = Workbook(), io.BytesIO()
    workbook.active.append(["respondent_id", "group"])
    workbook.save(out)
    parts = {n: zipfile.ZipFile(out).read(n) for n in zipfile.ZipFile(out).namelist()}
    for name, cut in (("cut.xlsx", lambda d: d[: len(d) // 2]), ("nosheet.xlsx", None)):
        damaged = io.BytesIO()
        with zipfile.ZipFile(damaged, "w") as z:
            for part, data in parts.items():
                if part != "xl/worksheets/sheet1.xml":
                    z.writestr(part, data)
                elif cut is not None:
                    z.writestr(part, cut(data))
        (tmp_path / name).write_bytes(damaged.getvalue())
    with pytest.raises(ParticipantsError, match=r"nosheet.xlsx: no sheets"):
        read_participants(tmp_path / "nosheet.xlsx")
    with pytest.raises(ParticipantsError, match=r"cut.xlsx: corrupted .xlsx: cannot be read \(ParseError"):
        read_participants(tmp_path / "cut.xlsx")


def test_quote_columns_follow_each_quotes_response(tmp_path):
    docs = _docs()
    path = _write(tmp_path, "file,speaker,group\nInterview 2.txt,Maria,implementer\n")
    attrs = join_attributes(docs, read_participants(path))
    ids = [docs[1].responses[0].response_id, docs[0].responses[0].response_id]
    columns = quote_attribute_columns(ids, attrs, taken={"speaker", "group"})
    assert columns == {"attr_group": ["implementer", UNKNOWN]}


def test_interviews_run_stops_on_a_bad_participants_file_before_any_model_loads(tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "Interview 1.txt").write_text(TRANSCRIPT, encoding="utf-8")
    bad = _write(tmp_path, "file,group\nInterview 1.txt,funder\nInterview 2.txt,\n")
    result = CliRunner().invoke(app, ["run", "--no-prefect", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "out"),
                                      "--participants", str(bad)], terminal_width=200)
    assert result.exit_code == 1
    assert "row 3, column 'group': empty attribute value" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("export", "attributes", "withheld", "identifying"),
    [
        # Qualtrics: IP address, contact list e-mail, coordinates, the contact list's own id.
        ("ResponseId,IPAddress,RecipientEmail,LocationLatitude,ExternalReference,Department,answer\n"
         "R_1,203.0.113.7,ana@example.org,45.5,ana.l@corp.example,Finance,We need more training on the new tools.\n"
         "R_2,198.51.100.2,bo@example.org,46.1,E-2231,Legal,The helpdesk answers quickly and well.\n",
         ["Department"], ["IPAddress", "RecipientEmail", "LocationLatitude", "ExternalReference"],
         {"203.0.113.7", "ana@example.org", "45.5", "ana.l@corp.example"}),
        # Microsoft Forms: ID, times, Email and the signed-in respondent's Name.
        ("ID,Start time,Completion time,Email,Name,Team,What would help you most?\n"
         "1,1/5/26 9:00,1/5/26 9:04,ana@example.org,Ana Lopez,Finance,We need more training on the new tools.\n"
         "2,1/5/26 9:10,1/5/26 9:12,bo@example.org,Bo Chen,Legal,The helpdesk answers quickly and well.\n",
         ["Team"], ["Email", "Name"], {"Ana Lopez", "ana@example.org"}),
    ],
    ids=["qualtrics", "microsoft-forms"],
)
def test_contact_columns_of_a_survey_export_never_reach_the_outputs(tmp_path, export, attributes, withheld, identifying):
    from nlp.attributes import attach_attributes
    from nlp.config import PipelineConfig
    from nlp.ingest import ingest_paths
    from nlp.quotes import split_quotes

    ingested = ingest_paths([_write(tmp_path, export, name="survey.csv")])
    found = attach_attributes(ingested, split_quotes(ingested.documents), PipelineConfig())
    assert list(found.columns) == attributes  # described, not identified
    assert not {v for column in found.columns.values() for v in column} & identifying
    assert found.manifest_record()["withheld_columns"] == withheld


QUALTRICS_EXPORT = (
    "StartDate,EndDate,Status,Progress,Duration (in seconds),Finished,RecordedDate,ResponseId,"
    "DistributionChannel,UserLanguage,Q_RecaptchaScore,Department,answer\n"
    "2024-03-01 10:00:00,2024-03-01 10:04:10,0,100,250,True,2024-03-01 10:04:11,R_1,anonymous,EN,0.9,Finance,"
    "We need more training on the new tools.\n"
    "2024-03-02 11:00:00,2024-03-02 11:09:00,0,100,540,True,2024-03-02 11:09:02,R_2,email,ES,1.0,Legal,"
    "The helpdesk answers quickly and well.\n"
)


def test_survey_platform_metadata_is_no_group_to_compare(tmp_path):
    from nlp.attributes import attach_attributes
    from nlp.config import PipelineConfig
    from nlp.ingest import ingest_paths
    from nlp.quotes import split_quotes

    ingested = ingest_paths([_write(tmp_path, QUALTRICS_EXPORT, name="qualtrics.csv")])
    found = attach_attributes(ingested, split_quotes(ingested.documents), PipelineConfig())
    # When, how long, how far and by which link someone answered is no group; their language is.
    assert list(found.columns) == ["UserLanguage", "Department"]
    record = found.manifest_record()
    assert record["metadata_columns"] == [
        "StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished", "RecordedDate",
        "DistributionChannel", "Q_RecaptchaScore",
    ]
    assert record["withheld_columns"] == []


def test_a_column_that_differs_between_one_respondents_rows_is_no_attribute():
    from nlp.participants import survey_attribute_names, survey_metadata_columns

    # As in a Polis export: votes belong to each comment, the author's group to the author.
    text = ("comment-id,author-id,agrees,dept,comment-body\n"
            "1,7,12,Legal,We need more training on the new tools.\n"
            "2,7,3,Legal,The helpdesk answers quickly and well.\n"
            "3,8,5,Finance,Reports arrive too late to be useful.\n")
    doc = read_survey_csv(text, "polis.csv", "sha")
    assert survey_attribute_names(doc) == ["dept"]
    assert survey_metadata_columns(doc) == ["comment-id", "agrees"]


def test_a_plain_status_column_stays_an_attribute_without_platform_columns(tmp_path):
    from nlp.participants import survey_attribute_names

    doc = read_survey_csv("id,status,answer\n1,student,The course was too short for us.\n", "own.csv", "sha")
    assert survey_attribute_names(doc) == ["status"]


def test_a_platform_column_can_still_be_compared_through_a_participants_file(tmp_path):
    doc = read_survey_csv(QUALTRICS_EXPORT, "qualtrics.csv", "sha")
    path = _write(tmp_path, "DistributionChannel,channel\nanonymous,public link\nemail,invited\n")
    attrs = join_attributes([doc], read_participants(path, set(doc.metadata["columns"])))
    assert attrs.names == ("channel", "UserLanguage", "Department")
    assert attrs.column([r.response_id for r in doc.responses], "channel") == ["public link", "invited"]
