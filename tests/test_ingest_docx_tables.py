"""Word tables that hold an interview, one turn per row: who said what, not a cell per answer."""

from __future__ import annotations

import io

import pytest
from docx import Document as WordDocument

from nlp.quotes import split_quotes
from tests.ingest_files import ingest_one as _one
from tests.ingest_files import nlp  # noqa: F401 - a fixture

ANSWERS = ["The helpdesk answers quickly.", "Longer grants so reforms can finish."]


def _docx(rows: list[tuple[str, ...]], heading: str | None = None) -> bytes:
    d = WordDocument()
    if heading:
        d.add_heading(heading, level=1)
    table = d.add_table(rows=len(rows), cols=len(rows[0]))
    for i, row in enumerate(rows):
        for k, value in enumerate(row):
            table.cell(i, k).text = value
    buffer = io.BytesIO()
    d.save(buffer)
    return buffer.getvalue()


SPEAKER_ROWS = [
    ("Time", "Speaker", "Text"),
    ("00:00:01", "Interviewer", "What works well?"),
    ("00:00:05", "Dr. Maria Lopez", ANSWERS[0]),
    ("00:00:09", "Interviewer", "What would you change?"),
    ("00:00:12", "Dr. Maria Lopez", ANSWERS[1]),
]


@pytest.mark.parametrize(
    "rows",
    [
        SPEAKER_ROWS,
        [row[1:] for row in SPEAKER_ROWS[1:]],  # Speaker | Text, no header
        [("Question", "Answer"), ("What works well?", ANSWERS[0]), ("What would you change?", ANSWERS[1])],
        [("What works well?", ANSWERS[0]), ("What would you change?", ANSWERS[1])],  # no header
    ],
)
def test_a_table_of_turns_is_read_as_a_transcript(tmp_path, nlp, rows):
    doc = _one(tmp_path, "interview.docx", _docx(rows))
    assert doc.metadata["layout"] == "transcript"
    assert [r.question for r in doc.responses] == ["What works well?", "What would you change?"]
    assert [q.text for q in split_quotes([doc], nlp)] == ANSWERS  # no name, time or question is a quote
    assert len({r.respondent_id for r in doc.responses}) == 1


def test_the_time_of_a_turn_is_kept_and_a_heading_naming_the_interview_is_the_respondent(tmp_path):
    doc = _one(tmp_path, "interview.docx", _docx(SPEAKER_ROWS))
    assert [r.metadata["timestamp"] for r in doc.responses] == ["00:00:05", "00:00:12"]
    rows = [("Question", "Answer"), ("What works well?", ANSWERS[0])]
    doc = _one(tmp_path, "maria.docx", _docx(rows, heading="Interview with Maria"))
    assert [r.respondent_id for r in doc.responses] == ["maria.docx#Interview with Maria"]


def test_a_table_of_interviewees_answers_is_still_a_summary(tmp_path):
    d = WordDocument()
    d.add_heading("Networking", level=1)
    d.add_paragraph("What has been the most useful?")
    table = d.add_table(rows=1, cols=3)
    for k, text in enumerate(["The helpdesk answered quickly.", "Training was practical.", "The community calls."]):
        table.cell(0, k).text = text
    buffer = io.BytesIO()
    d.save(buffer)
    doc = _one(tmp_path, "cells.docx", buffer.getvalue())
    assert doc.metadata["layout"] == "summary" and len(doc.responses) == 3


def _summary_with_table(rows: list[tuple[str, str]]) -> bytes:
    d = WordDocument()
    d.add_heading("Funding", level=1)
    d.add_paragraph("What should donors change?")
    table = d.add_table(rows=len(rows), cols=2)
    for i, (left, right) in enumerate(rows):
        table.cell(i, 0).text, table.cell(i, 1).text = left, right
    buffer = io.BytesIO()
    d.save(buffer)
    return buffer.getvalue()


STAKEHOLDERS = [
    ("Ministry of Finance", "Multi-year grants would let reforms finish."),
    ("Transparency NGO", "Fund the data team, not only events."),
]


def test_a_summary_table_of_who_said_what_gives_each_answer_its_respondent(tmp_path, nlp):
    doc = _one(tmp_path, "matrix.docx", _summary_with_table([("Stakeholder", "Response"), *STAKEHOLDERS]))
    assert doc.metadata["layout"] == "summary"
    assert [(r.question, r.respondent_id) for r in doc.responses] == [
        ("What should donors change?", "matrix.docx#Ministry of Finance"),
        ("What should donors change?", "matrix.docx#Transparency NGO"),
    ]
    # Neither the header nor a name is an answer.
    assert [q.text for q in split_quotes([doc], nlp)] == [answer for _, answer in STAKEHOLDERS]


def test_without_a_header_saying_who_a_two_column_table_is_read_cell_by_cell(tmp_path):
    # "Role | Procurement officer" pairs a field with its value as often as a person with an answer.
    doc = _one(tmp_path, "cells.docx", _summary_with_table(STAKEHOLDERS))
    assert len(doc.responses) == 4 and len({r.respondent_id for r in doc.responses}) == 4
