"""Each ingest reader on tiny hand-written inputs: what a user would see in the quotes table."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.ingest import (
    IngestError,
    decode_text,
    ingest_paths,
    looks_like_transcript,
    read_docx,
    read_survey_csv,
    read_transcript,
)
from nlp.ingest.markup import clean_text
from nlp.ingest.survey_csv import _records
from nlp.schemas import Document, Response


def _unit_texts(doc: Document, response: Response) -> list[str]:
    return [clean_text(doc.text[u.char_start : u.char_end]) for u in response.units]


# --- decode ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Café “quoted”\n".encode(), "Café “quoted”\n"),
        (b"\xef\xbb\xbfHello\r\nWorld\r\n", "Hello\nWorld\n"),
        ("Hi\r\nthere".encode("utf-16-le").join([b"\xff\xfe", b""]), "Hi\nthere"),
        ("Caf\xe9 \u2019ok\u2019\rnext".encode("cp1252"), "Caf\xe9 \u2019ok\u2019\nnext"),
        # 0x81 is undefined in cp1252, so latin-1 takes the whole file.
        (b"caf\xe9 au lait \x81 s'il vous pla\xeet", "caf\xe9 au lait \x81 s'il vous pla\xeet"),
        (b"line\x0bbreak", "line\nbreak"),  # Word's manual line break
    ],
)
def test_decode_text_encodings_and_newlines(data: bytes, expected: str) -> None:
    assert decode_text(data, "a.txt") == expected


def test_decode_text_utf16_be_with_bom() -> None:
    assert decode_text("Q: hi?\r\nA: yes".encode("utf-16"), "t.txt") == "Q: hi?\nA: yes"


# --- transcript -----------------------------------------------------------------------------

TRANSCRIPT = """\
# Onboarding
Interviewer: How was your first week?
Maria: Honestly “it was chaotic”.
We had no laptop for two days.

- The buddy system helped
Interviewer: What would you change?
Maria: Send equipment before day one.
"""


def test_transcript_respondent_turns_carry_the_preceding_question() -> None:
    doc = read_transcript(TRANSCRIPT, "t.md", "abc")
    assert doc.format == "transcript"
    assert [r.speaker for r in doc.responses] == ["Maria", "Maria"]
    first, second = doc.responses
    assert first.question == "How was your first week?"
    assert first.section == "Onboarding"
    assert first.response_id == "t.md#t2"
    assert _unit_texts(doc, first) == [
        "Honestly “it was chaotic”. We had no laptop for two days.",
        "The buddy system helped",
    ]
    assert doc.text[slice(*first.quoted_spans[0])] == "“it was chaotic”"
    assert second.question == "What would you change?"
    assert _unit_texts(doc, second) == ["Send equipment before day one."]


@pytest.mark.parametrize(
    "text",
    [
        "P1 0:25\nWhat do you think of it?\n\nP2 0:31\nIt works well.\n",
        "P1 (00:01:23): What do you think of it?\nP2 (00:01:30): It works well.\n",
        "[00:12] P1: What do you think of it?\n[00:20] P2: It works well.\n",
        "**Dr. Jane Smith:** What do you think of it?\n**Bob:** It works well.\n**Bob:** Yes.\n",
        "q: What do you think of it?\na:   It works well.\n",
    ],
)
def test_transcript_label_styles(text: str) -> None:
    assert looks_like_transcript(text)
    doc = read_transcript(text, "t.txt", "abc")
    answer = doc.responses[0]
    assert answer.question == "What do you think of it?"
    # Bob's two consecutive turns are one answer (see the merging test below).
    assert _unit_texts(doc, answer)[0] == "It works well."
    assert answer.speaker in {"P2", "Bob", "a"}


def test_transcript_single_plain_name_is_not_a_speaker() -> None:
    text = "Interviewer: Any risks?\nRespondent: Yes.\nNote: budget is tight.\n"
    doc = read_transcript(text, "t.txt", "abc")
    assert _unit_texts(doc, doc.responses[0]) == ["Yes. Note: budget is tight."]


def test_a_label_an_auto_transcriber_left_inside_a_line_starts_a_turn() -> None:
    # Seen in a real auto-transcript: one turn ran into the next on the same line.
    text = (
        "Interviewer: What went wrong?\n"
        "Interviewee: The data was late. Interviewee: And nobody noticed. Interviewer: Why not? "
        "Interviewee: No alerts. Note: only a label that opens lines of the file counts.\n"
        "Interviewer: Thanks.\n"
    )
    doc = read_transcript(text, "t.txt", "abc")
    first, second = doc.responses
    assert _unit_texts(doc, first) == ["The data was late.", "And nobody noticed."]
    assert first.question == "What went wrong?"
    assert second.question == "Why not?"
    assert _unit_texts(doc, second) == ["No alerts. Note: only a label that opens lines of the file counts."]


def test_text_without_labels_is_not_a_transcript() -> None:
    text = "Minutes of the meeting.\nWe discussed the budget.\n"
    assert not looks_like_transcript(text)
    with pytest.raises(IngestError, match="no speaker turns"):
        read_transcript(text, "notes.txt", "abc")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(["Interviewer: ", "P2 0:25", "[00:12] P3:", "**Ana:** ", "# H", "Q:"]),
        ),
        max_size=12,
    ).map("\n".join)
)
def test_read_transcript_never_crashes(text: str) -> None:
    try:
        doc = read_transcript(text, "t.txt", "abc")
    except IngestError as exc:
        assert exc.file == "t.txt"
        return
    for response in doc.responses:
        assert response.units
        for unit in response.units:
            assert 0 <= unit.char_start < unit.char_end <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_decode_text_never_crashes(data: bytes) -> None:
    try:
        text = decode_text(data, "x.txt")
    except IngestError as exc:
        assert str(exc).startswith("x.txt: ")
        return
    assert "\r" not in text
    # Every reader may split on "\n" or use splitlines(): both must see the same lines.
    assert not text or text.splitlines() == text.removesuffix("\n").split("\n")


# --- survey csv -----------------------------------------------------------------------------

POLIS_LIKE = '''\
timestamp,comment-id,author-id,agrees,comment-body
1500282615559,36,7,38,"Opposition to Brexit won't stop it, but opposition to parts might."
1500282544716,34,8,56,"""The EU"" as a concept is too big, which is why a vote was a mistake."
1500282688020,37,9,19,
1500236599862,26,7,1,Brexit will be a success
'''


def test_survey_csv_known_text_column_and_spans() -> None:
    doc = read_survey_csv(POLIS_LIKE, "brexit.comments.csv", "abc")
    assert doc.metadata["text_column"] == "comment-body"
    assert [r.response_id for r in doc.responses] == [
        "brexit.comments.csv#row1",
        "brexit.comments.csv#row2",
        "brexit.comments.csv#row4",
    ]
    first, second, last = doc.responses
    assert first.section == first.question == "comment-body"
    assert first.metadata["author-id"] == "7" and first.speaker == "7"
    assert _unit_texts(doc, first) == [
        "Opposition to Brexit won't stop it, but opposition to parts might."
    ]
    # The span points into the CSV as written: an escaped quotation mark stays doubled there,
    # while metadata keeps the exact cell value.
    assert doc.text[second.units[0].char_start :].startswith('""The EU"" as a concept')
    assert second.metadata["comment-body"].startswith('"The EU" as a concept')
    assert _unit_texts(doc, last) == ["Brexit will be a success"]
    assert doc.metadata["n_empty_rows"] == 1


def test_survey_csv_detects_the_longest_text_column_and_honours_a_named_one() -> None:
    text = (
        "id\tdept\tq1\n"
        "1\tIT\tThe rollout was rushed and nobody trained us\n"
        "2\tHR\tToo many tools, not enough time to learn them\n"
    )
    doc = read_survey_csv(text, "survey.tsv", "abc")
    assert doc.metadata["text_column"] == "q1"
    assert doc.metadata["text_column_chosen_by"] == "longest"
    assert doc.responses[1].metadata == {"csv_line": 3, "id": "2", "dept": "HR", "q1": (
        "Too many tools, not enough time to learn them")}
    named = read_survey_csv(text, "survey.tsv", "abc", text_column="DEPT")
    assert [_unit_texts(named, r) for r in named.responses] == [["IT"], ["HR"]]
    with pytest.raises(IngestError, match="'nope' not found; columns are: id, dept, q1"):
        read_survey_csv(text, "survey.tsv", "abc", text_column="nope")


def test_a_second_open_question_is_named_when_left_out_and_read_as_its_own_section_when_asked() -> None:
    from nlp.ingest.survey_columns import columns_note

    why = "because the {} music and the story made me cry at the end of the second chapter"
    rows = [
        f'{k},"The game was long and I played it over {k} weeks with my brother, every evening after work",'
        f'"{why.format(k)}",music; story,Code the reasons as compactly as possible.'
        for k in range(1, 5)
    ]
    text = "id,experience,why_art,codes,instructions\n" + "\n".join(rows) + "\n"
    doc = read_survey_csv(text, "art.csv", "abc")
    assert doc.metadata["text_column"] == "experience"
    # Code labels and an instruction repeated on every row are no answers.
    assert doc.metadata["other_text_columns"] == ["why_art"]
    assert columns_note([doc]) == (
        "only one text column of a survey is analysed, and these hold answers too: art.csv (why_art beside "
        "experience); name every column to analyse with --text-column, separated by commas"
    )
    named = read_survey_csv(text, "art.csv", "abc", text_column="why_art")
    assert "other_text_columns" not in named.metadata and columns_note([named]) is None
    assert "other_text_columns" not in read_survey_csv(POLIS_LIKE, "b.csv", "abc").metadata

    # Both questions: one response per answer, each in its question's section, one respondent per row.
    both = read_survey_csv(text, "art.csv", "abc", text_column="experience, Why-Art")
    assert both.metadata["text_columns"] == ["experience", "why_art"]
    first, second = both.responses[:2]
    assert (first.response_id, first.section) == ("art.csv#row1:experience", "experience")
    assert (second.response_id, second.section, second.question) == ("art.csv#row1:why_art", "why_art", "why_art")
    assert first.respondent_id == second.respondent_id == "art.csv#id=1"
    assert _unit_texts(both, second) == [why.format(1)]
    assert len(both.responses) == 8 and columns_note([both]) is None
    from nlp.participants.join import survey_attribute_names

    assert survey_attribute_names(both) == ["codes", "instructions"]


def test_survey_csv_multiline_cell_span() -> None:
    text = 'id;answer\n1;"First line\nsecond line"\n'
    doc = read_survey_csv(text, "s.csv", "abc")
    assert doc.metadata["delimiter"] == ";"
    assert _unit_texts(doc, doc.responses[0]) == ["First line second line"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='ab ,"\n', max_size=60))
def test_csv_tokeniser_agrees_with_csv_module(text: str) -> None:
    try:
        mine = [[f.value for f in r.fields] for r in _records(text, ",", "x.csv")]
    except IngestError:
        return  # unterminated quote: refused on purpose, where csv.reader would guess
    expected = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    assert mine == expected


# --- docx -----------------------------------------------------------------------------------


def _summary_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph("Introduction: 3 interviews were held.")
    d.add_heading("Section 1: Context", level=1)
    d.add_heading("Interaction with the team", level=2)
    d.add_paragraph("What has been most useful?")
    table = d.add_table(rows=2, cols=1)
    cell = table.cell(0, 0)
    cell.paragraphs[0].text = "“The standard formed our design."
    cell.add_paragraph("They reviewed our law.”", style="List Bullet")
    table.cell(1, 0).paragraphs[0].text = "Workshops helped."
    d.add_paragraph("2.1 Strategy")
    d.add_paragraph("How credible is the advocacy?")
    t2 = d.add_table(rows=1, cols=2)
    t2.cell(0, 0).text = "Very credible."
    t2.cell(0, 1).text = "Too much focus on supply."
    d.save(path)
    return path


def test_read_docx_summary_tables(tmp_path: Path) -> None:
    path = _summary_docx(tmp_path / "summary.docx")
    doc = read_docx(path.read_bytes(), "summary.docx", "abc")
    assert doc.format == "docx" and doc.metadata["layout"] == "summary"
    assert [r.section for r in doc.responses] == [
        "1.1 Interaction with the team",
        "1.1 Interaction with the team",
        "2.1 Strategy",
        "2.1 Strategy",
    ]
    first = doc.responses[0]
    assert first.question == "What has been most useful?"
    assert _unit_texts(doc, first) == ["The standard formed our design.", "They reviewed our law."]
    # The quotation marks open in one paragraph and close in the next: one direct quote.
    (span,) = first.quoted_spans
    assert doc.text[slice(*span)].startswith("“The standard") and doc.text[span[1] - 1] == "”"
    assert doc.responses[2].question == "How credible is the advocacy?"
    assert [_unit_texts(doc, r) for r in doc.responses[2:]] == [
        ["Very credible."],
        ["Too much focus on supply."],
    ]


def test_read_docx_transcript(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("Interview 3", level=1)
    d.add_paragraph("Interviewer: What slowed you down?")
    d.add_paragraph("P3: Approvals took weeks.")
    d.save(tmp_path / "t.docx")
    doc = read_docx((tmp_path / "t.docx").read_bytes(), "t.docx", "abc")
    assert doc.metadata["layout"] == "transcript"
    (answer,) = doc.responses
    # A heading that names the interview says who, not what about: no section of its own.
    assert (answer.section, answer.question, answer.speaker) == (
        "Transcript",
        "What slowed you down?",
        "P3",
    )
    assert _unit_texts(doc, answer) == ["Approvals took weeks."]


def test_dispatch_by_extension_and_content(tmp_path: Path) -> None:
    (tmp_path / "a_summary.txt").write_text(
        "Section 1: Context\n1.1 Support\n\tWhat helped?\n\n\t· Training helped.\n"
    )
    (tmp_path / "b_transcript.md").write_text(TRANSCRIPT)
    (tmp_path / "c_survey.csv").write_text(POLIS_LIKE)
    _summary_docx(tmp_path / "d_summary.docx")
    result = ingest_paths(sorted(tmp_path.iterdir()))
    assert [(i.file, i.status, i.format) for i in result.inputs] == [
        ("a_summary.txt", "ok", "summary"),
        ("b_transcript.md", "ok", "transcript"),
        ("c_survey.csv", "ok", "survey_csv"),
        ("d_summary.docx", "ok", "docx"),
    ]
    assert all(len(i.sha256 or "") == 64 for i in result.inputs)
    assert [d.source_file for d in result.documents] == [i.file for i in result.inputs]


def test_transcript_line_that_reads_like_a_heading_stays_a_transcript(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(
        "Q: How big is the programme?\nA: It reaches\n2.5 Million people now.\nQ: And next?\n"
        "A: More.\n"
    )
    (doc,) = ingest_paths([tmp_path / "t.txt"]).documents
    assert doc.format == "transcript"
    assert _unit_texts(doc, doc.responses[0]) == ["It reaches 2.5 Million people now."]
