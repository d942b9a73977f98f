"""Plain notes: text files with neither summary headings nor speaker labels.

A markdown write-up or field notes in a .txt are read as paragraphs, as the same text in a
.docx is; each test checks what a user sees: the quotes, their sections and where they came from.
"""

from __future__ import annotations

import pytest

from nlp.ingest import IngestError, ingest_paths
from nlp.ingest.paragraphs import TEXT_PARAGRAPHS_FORMAT, paragraphs_note, read_paragraphs
from nlp.quotes import split_quotes
from tests.ingest_files import ingest_one as _one
from tests.ingest_files import nlp  # noqa: F401 - a fixture

MARKDOWN = """\
# Stakeholder interviews: summary

## Funding

- Most partners said core funding is too short;
  two-year grants do not cover a reform cycle.
- "We spend half our time writing reports instead of doing the work."
* Several asked for multi-year commitments.

---

## Training ##

1. Government staff need more hands-on training on the data standard.
2) The helpdesk answers quickly, but only in English.
"""

NOTES = """\
Field notes from the district office.

The procurement officers said the portal is slow before a tender closes.
Suppliers then submit paper bids.

Staff asked for more training on the open data standard.
"""


def test_a_markdown_write_up_gives_one_response_per_list_item_under_its_heading(tmp_path, nlp):
    doc = _one(tmp_path, "summary.md", MARKDOWN)
    assert doc.format == TEXT_PARAGRAPHS_FORMAT
    said = [(r.section, doc.text[r.units[0].char_start : r.units[0].char_end]) for r in doc.responses]
    assert said == [
        ("Funding", "Most partners said core funding is too short;\n  two-year grants do not cover a reform cycle."),
        ("Funding", '"We spend half our time writing reports instead of doing the work."'),
        ("Funding", "Several asked for multi-year commitments."),
        ("Training", "Government staff need more hands-on training on the data standard."),
        ("Training", "The helpdesk answers quickly, but only in English."),
    ]
    # Who said it is unknown: each response is its own respondent, and the file's lines are kept.
    assert [r.respondent_id for r in doc.responses] == [f"summary.md#p{n}" for n in range(1, 6)]
    assert doc.responses[0].metadata["lines"] == [5, 6]
    quotes = split_quotes([doc], nlp)
    assert quotes[0].text == "Most partners said core funding is too short; two-year grants do not cover a reform cycle."
    assert "---" not in " ".join(q.text for q in quotes) and "#" not in " ".join(q.text for q in quotes)


def test_field_notes_give_one_response_per_paragraph(tmp_path, nlp):
    doc = _one(tmp_path, "notes.txt", NOTES)
    assert [r.section for r in doc.responses] == ["Document"] * 3
    # A wrapped paragraph is one passage (a long one is cut into sentences, as any answer is).
    assert [q.text for q in split_quotes([doc], nlp) if q.response_id == "notes.txt#p2"] == [
        "The procurement officers said the portal is slow before a tender closes. Suppliers then submit paper bids."
    ]


def test_summary_headings_and_speaker_labels_still_decide_first(tmp_path):
    transcript = "Interviewer: What would you change?\nMaria: More training.\nInterviewer: Why?\nMaria: Staff leave.\n"
    assert _one(tmp_path, "call.txt", transcript).format == "transcript"
    summary = "Section 1: Training\n\tWhat helped?\n\n\t· The workshops.\n"
    assert _one(tmp_path, "cells.txt", summary).format == "summary"


def test_other_text_than_txt_or_md_is_still_refused_with_the_formats_expected(tmp_path):
    path = tmp_path / "server.log"
    path.write_text("Some notes.\nNo speakers.\n")
    [record] = ingest_paths([path]).inputs
    assert record.status == "error"
    assert record.error.startswith("server.log: not a recognised interview format") and ".txt or .md" in record.error


def test_a_file_of_headings_only_is_refused_by_name():
    with pytest.raises(IngestError, match=r"^toc\.md: no text: the file holds only headings"):
        read_paragraphs("# Contents\n\n## Funding\n\n---\n", "toc.md", "0" * 64)


def test_the_run_note_names_the_files_read_as_paragraphs(tmp_path):
    docs = [_one(tmp_path, f"notes{n}.txt", NOTES) for n in range(5)]
    note = paragraphs_note(docs)
    assert note.startswith("read as plain paragraphs") and "notes0.txt, notes1.txt, notes2.txt and 2 more" in note
    assert paragraphs_note([_one(tmp_path, "cells.txt", "Section 1: A\n\tQ?\n\n\t· Yes.\n")]) is None


def test_a_survey_saved_as_tab_delimited_text_is_read_as_its_table(tmp_path):
    # Excel's "Text (Tab delimited)" export of a survey sheet.
    table = "ResponseId\tcomment\nR_1\tThe portal is slow before deadlines.\nR_2\tMore training for staff, please.\n"
    doc = _one(tmp_path, "survey.txt", table)
    assert doc.format == "survey_csv"
    assert [(r.respondent_id, doc.text[r.units[0].char_start : r.units[0].char_end]) for r in doc.responses] == [
        ("survey.txt#ResponseId=R_1", "The portal is slow before deadlines."),
        ("survey.txt#ResponseId=R_2", "More training for staff, please."),
    ]
    # Notes indented with tabs are no table.
    indented = "\tThe portal is slow before deadlines.\n\tStaff want training.\n"
    assert _one(tmp_path, "indented.txt", indented).format == TEXT_PARAGRAPHS_FORMAT


def test_an_agenda_with_times_stays_notes(tmp_path):
    # A bare time before a label makes a speaker only with the label's colon.
    doc = _one(tmp_path, "agenda.txt", "10:30 Coffee break\n11:00 Budget review\n\nStaff asked for training.\n")
    assert doc.format == TEXT_PARAGRAPHS_FORMAT


PER_INTERVIEW = """\
# Partner interviews

## Interview 1 – Maria, NGO

### Funding
- Grants are too short.
- Reporting takes half our time.

### Training
- Staff need hands-on training.

## P2 (Ministry)

- The portal is slow before deadlines.

## Interview summary

Both asked for longer grants.
"""


def test_notes_under_a_heading_that_names_an_interview_are_that_respondents(tmp_path):
    doc = _one(tmp_path, "interviews.md", PER_INTERVIEW)
    who = [(r.section, r.respondent_id) for r in doc.responses]
    assert who == [
        ("Funding", "interviews.md#Interview 1 – Maria, NGO"),
        ("Funding", "interviews.md#Interview 1 – Maria, NGO"),
        ("Training", "interviews.md#Interview 1 – Maria, NGO"),
        ("Partner interviews", "interviews.md#P2 (Ministry)"),
        # A heading about the interviews names no one: back to one respondent per response.
        ("Interview summary", "interviews.md#p5"),
    ]
    assert doc.metadata["respondents"] == ["Interview 1 – Maria, NGO", "P2 (Ministry)"]
    # A topic that starts like a participant code is a topic.
    assert "respondents" not in _one(tmp_path, "cloud.md", "## S3 buckets\n\nCosts doubled.\n").metadata


def test_a_word_document_of_notes_per_interview_gives_the_same_respondents(tmp_path):
    import io

    from docx import Document as WordDocument

    d = WordDocument()
    d.add_heading("Partner interviews", level=1)
    d.add_heading("Interview 1 – Maria, NGO", level=2)
    d.add_paragraph("Grants are too short.")
    d.add_paragraph("Reporting takes half our time.")
    d.add_heading("Interview 2 – Ana, Ministry", level=2)
    d.add_paragraph("The portal is slow before deadlines.")
    buffer = io.BytesIO()
    d.save(buffer)
    doc = _one(tmp_path, "interviews.docx", buffer.getvalue())
    assert doc.format == "docx_paragraphs"
    assert [(r.section, r.respondent_id) for r in doc.responses] == [
        ("Partner interviews", "interviews.docx#Interview 1 – Maria, NGO"),
        ("Partner interviews", "interviews.docx#Interview 1 – Maria, NGO"),
        ("Partner interviews", "interviews.docx#Interview 2 – Ana, Ministry"),
    ]


COMPILED = """\
# Interview 1 – Ministry
Interviewer: What would you change?
Respondent: Longer grants.
Interviewer: Anything else?
Respondent: Training for staff.

# Interview 2 – NGO
Interviewer: What would you change?
Respondent: A faster portal.
"""


def test_transcripts_compiled_under_interview_headings_have_one_respondent_each(tmp_path):
    doc = _one(tmp_path, "all.txt", COMPILED)
    assert doc.format == "transcript"
    assert [(r.section, r.respondent_id) for r in doc.responses] == [
        ("Transcript", "all.txt#Interview 1 – Ministry"),
        ("Transcript", "all.txt#Interview 1 – Ministry"),
        ("Transcript", "all.txt#Interview 2 – NGO"),
    ]
    # Without such headings the file's generic role is one person, as before.
    plain = _one(tmp_path, "one.txt", COMPILED.replace("# Interview 1 – Ministry\n", "").replace("# Interview 2 – NGO\n", ""))
    assert {r.respondent_id for r in plain.responses} == {"one.txt#Respondent"}


def test_numbered_questions_in_notes_are_the_questions_of_the_answers_after_them(tmp_path, nlp):
    notes = (
        "Q1. What has been most useful?\n\n- The helpdesk.\n- Training on the standard.\n\n"
        "**Question 2: What would you change?**\n\nLonger grants.\n"
    )
    doc = _one(tmp_path, "qa.md", notes + "\nQ3: revenue fell by a tenth.\n")
    assert [(r.question, doc.text[r.units[0].char_start : r.units[0].char_end]) for r in doc.responses] == [
        ("What has been most useful?", "The helpdesk."),
        ("What has been most useful?", "Training on the standard."),
        ("What would you change?", "Longer grants."),
        # After a bare "Q", only a question is a question: this is a quarter.
        ("What would you change?", "Q3: revenue fell by a tenth."),
    ]


def test_numbered_questions_in_a_word_document_are_questions_too(tmp_path):
    import io

    from docx import Document as WordDocument

    d = WordDocument()
    for text in ("Q1. What has been most useful?", "The helpdesk.", "Q2. What would you change?", "Longer grants."):
        d.add_paragraph(text)
    buffer = io.BytesIO()
    d.save(buffer)
    doc = _one(tmp_path, "qa.docx", buffer.getvalue())
    assert [(r.question, doc.text[r.units[0].char_start : r.units[0].char_end]) for r in doc.responses] == [
        ("What has been most useful?", "The helpdesk."),
        ("What would you change?", "Longer grants."),
    ]
