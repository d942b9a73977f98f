"""Who speaks: respondent ids per reader and consecutive turns merged into one answer."""

from __future__ import annotations

import pytest

from nlp.ingest import IngestError, read_summary, read_survey_csv, read_transcript
from nlp.ingest.markup import clean_text
from nlp.quotes import split_quotes
from nlp.schemas import Document

SPLIT_ANSWER = """\
Interviewer 1: What slows your team down?

Interviewee: Mostly the data pipeline, it breaks every week.

Interviewee: And reviews take “far too long” for us.

Interviewer1: Anything else?

Interviewer 2: Maybe tooling?

Interviewee: No.
"""


def _texts(doc: Document, k: int) -> list[str]:
    return [clean_text(doc.text[u.char_start : u.char_end]) for u in doc.responses[k].units]


def test_consecutive_turns_of_one_speaker_are_one_answer_with_exact_spans() -> None:
    doc = read_transcript(SPLIT_ANSWER, "i.txt", "abc")
    assert [r.response_id for r in doc.responses] == ["i.txt#t2", "i.txt#t6"]
    first = doc.responses[0]
    assert first.metadata["turns"] == [2, 3]
    # Each unit keeps its own span: the second turn's label is in no unit.
    assert [SPLIT_ANSWER[u.char_start : u.char_end] for u in first.units] == [
        "Mostly the data pipeline, it breaks every week.",
        "And reviews take “far too long” for us.",
    ]
    assert [SPLIT_ANSWER[s:e] for s, e in first.quoted_spans] == ["“far too long”"]
    # Two interviewers in a row: the question is the latest interviewer's run.
    assert doc.responses[1].question == "Maybe tooling?"
    assert {r.respondent_id for r in doc.responses} == {"i.txt#Interviewee"}
    assert doc.metadata["respondents"] == ["i.txt#Interviewee"]


def test_quotes_of_a_merged_answer_carry_the_respondent() -> None:
    doc = read_transcript(SPLIT_ANSWER, "i.txt", "abc")
    quotes = split_quotes([doc])
    assert [q.text for q in quotes][:2] == [
        "Mostly the data pipeline, it breaks every week.",
        "And reviews take “far too long” for us.",
    ]
    assert {q.response_id for q in quotes[:2]} == {"i.txt#t2"}
    assert {q.respondent_id for q in quotes} == {"i.txt#Interviewee"}
    for q in quotes[:2]:
        assert clean_text(SPLIT_ANSWER[q.char_start : q.char_end]) == q.text


def test_a_turn_cut_mid_sentence_reads_as_one_sentence() -> None:
    # Auto-transcription cuts one utterance into turns; the fragment joins with a space, as
    # spoken, not with the "; " that separates a summary's list fragments.
    text = "Interviewer: Any other issue?\n\nInterviewee: Um, I would\n\nInterviewee: say the labels were late every single time.\n"
    quotes = split_quotes([read_transcript(text, "i.txt", "abc")])
    assert [q.text for q in quotes] == ["Um, I would say the labels were late every single time."]


def test_numbered_interviewees_are_distinct_people_and_generic_roles_one() -> None:
    text = (
        "Q: How is the tool?\n"
        "Interviewee 1: Slow to start.\n"
        "Interviewee 2: Fast enough for me.\n"
        "Interviewee1: But it crashes.\n"
        "Q: And support?\n"
        "A: Good.\n"
        "Interviewee: Very good.\n"
    )
    doc = read_transcript(text, "g.txt", "abc")
    assert [r.respondent_id for r in doc.responses] == [
        "g.txt#Interviewee 1",
        "g.txt#Interviewee 2",
        "g.txt#Interviewee 1",  # "Interviewee1" is the same code as "Interviewee 1"
        "g.txt#A",  # the generic "A" and "Interviewee" of one file are one person...
    ]
    # ...and, being one person speaking twice in a row, one answer.
    assert _texts(doc, 3) == ["Good.", "Very good."]


def test_a_heading_between_turns_keeps_them_apart() -> None:
    text = "# Part 1\nQ: Why?\nA: Because.\n# Part 2\nA: Then this.\n"
    doc = read_transcript(text, "h.md", "abc")
    assert [r.section for r in doc.responses] == ["Part 1", "Part 2"]
    assert len({r.respondent_id for r in doc.responses}) == 1


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        ("ResponseId,Q1_text", "R_9xK,Too slow", "s.csv#ResponseId=R_9xK"),
        ("respondent_id,answer", "17,Too slow", "s.csv#respondent_id=17"),
        ("Respondent,answer", "ana,Too slow", "s.csv#Respondent=ana"),
        ("id,answer", "5,Too slow", "s.csv#id=5"),
        # A comment's own id names the text, not who wrote it: each row is a respondent.
        ("comment-id,comment-body", "5,Too slow", "s.csv#row1"),
        ("dept,answer", "IT,Too slow", "s.csv#row1"),
        ("id,answer", ",Too slow", "s.csv#row1"),  # an empty id is unknown
    ],
)
def test_survey_respondent_from_its_id_column_or_row(header: str, row: str, expected: str) -> None:
    doc = read_survey_csv(f"{header}\n{row}\n", "s.csv", "abc")
    assert doc.responses[0].respondent_id == expected


def test_survey_rows_of_one_respondent_share_the_id_and_a_named_column_wins() -> None:
    text = "id,author-id,answer\n1,7,Too slow\n2,7,Too many tools\n3,8,Fine\n"
    doc = read_survey_csv(text, "s.csv", "abc")
    assert doc.metadata["id_column"] == "author-id"
    assert [r.respondent_id for r in doc.responses] == [
        "s.csv#author-id=7", "s.csv#author-id=7", "s.csv#author-id=8"
    ]
    named = read_survey_csv(text, "s.csv", "abc", id_column="ID")
    assert named.metadata["id_column_chosen_by"] == "requested"
    assert [r.respondent_id for r in named.responses] == ["s.csv#id=1", "s.csv#id=2", "s.csv#id=3"]
    with pytest.raises(IngestError, match="id column 'who' not found; columns are: id, author-id"):
        read_survey_csv(text, "s.csv", "abc", id_column="who")


def test_a_summary_cell_is_its_own_respondent() -> None:
    text = "1.1 Support\n\tWhat helped?\n\n\t· Workshops.\n\n\t· The helpdesk answered fast.\n"
    doc = read_summary(text, "sum.txt", "abc")
    assert [r.respondent_id for r in doc.responses] == [r.response_id for r in doc.responses]
    assert len({r.respondent_id for r in doc.responses}) == 2
