"""Transcripts and surveys as the common tools export them.

Small files written here in the layouts WhisperX/pyannote, Otter.ai, Rev, Teams, Descript and
SurveyMonkey produce; each test checks what a user sees: who spoke, who asked, one answer per
speaker turn, and no export header read as someone's answer.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook

from nlp.quotes import split_quotes
from nlp.schemas import Document
from tests.ingest_files import ingest_one as _one
from tests.ingest_files import nlp  # noqa: F401 - a fixture

QUESTION_1 = "How did the training go for your team?"
ANSWER_1 = "It went well, the workshops were the most useful part."
QUESTION_2 = "What would you change?"
ANSWER_2 = "Shorter sessions and more examples."


def _interview(line: str, *, srt: bool = False, vtt: bool = False) -> str:
    """Four turns, interviewer first, each written by ``line(speaker, n, text)``."""
    turns = [("00", QUESTION_1), ("01", ANSWER_1), ("00", QUESTION_2), ("01", ANSWER_2)]
    blocks = []
    for n, (who, said) in enumerate(turns, 1):
        cue = line(who, n, said)
        if srt:
            cue = f"{n}\n00:00:0{n},000 --> 00:00:0{n},900\n{cue}"
        elif vtt:
            cue = f"00:00:0{n}.000 --> 00:00:0{n}.900\n{cue}"
        blocks.append(cue)
    return ("WEBVTT\n\n" if vtt else "") + "\n\n".join(blocks) + "\n"


def _check_turns(doc: Document, nlp, interviewer: str, respondent: str) -> None:
    assert doc.metadata["speakers"] == [interviewer, respondent]
    assert doc.metadata["interviewers"] == [interviewer]
    assert [(r.speaker, r.question) for r in doc.responses] == [
        (respondent, QUESTION_1), (respondent, QUESTION_2),
    ]
    assert {r.respondent_id for r in doc.responses} == {f"{doc.source_file}#{respondent}"}
    assert [(q.speaker, q.text) for q in split_quotes([doc], nlp)] == [
        (respondent, ANSWER_1), (respondent, ANSWER_2),
    ]


# WhisperX writes "[SPEAKER_00]: text" into its .srt/.vtt/.txt; other pyannote scripts drop
# the brackets. Before, a .txt was refused and captions became one unnamed speaker.
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("whisperx.txt", _interview(lambda who, n, said: f"[SPEAKER_{who}]: {said}")),
        ("pyannote.txt", _interview(lambda who, n, said: f"SPEAKER_{who}: {said}")),
        ("timed.txt", _interview(lambda who, n, said: f"[00:0{n}] [SPEAKER_{who}]: {said}")),
        ("whisperx.srt", _interview(lambda who, n, said: f"[SPEAKER_{who}]: {said}", srt=True)),
        ("whisperx.vtt", _interview(lambda who, n, said: f"[SPEAKER_{who}]: {said}", vtt=True)),
        ("pyannote.srt", _interview(lambda who, n, said: f"SPEAKER_{who}: {said}", srt=True)),
    ],
)
def test_diarisation_labels_are_speakers(tmp_path, nlp, name, content):
    _check_turns(_one(tmp_path, name, content), nlp, "SPEAKER_00", "SPEAKER_01")


def test_a_bracketed_plain_word_is_not_a_speaker(tmp_path, nlp):
    text = (
        "Interviewer: What helped?\n"
        "P1: The mentoring helped.\n"
        "[Laughs]: and the coffee.\n"
        "[Laughs]: really.\n"
    )
    doc = _one(tmp_path, "laughs.txt", text)
    assert doc.metadata["speakers"] == ["Interviewer", "P1"]


_NAMES = {"00": "Ana Lopez", "01": "Maria Garcia"}


# Read right before this change (Rev's 'Name: [00:00:01]' aside: its timestamp was text in every
# quote and question); kept so they stay so. A bare time first ("00:00:01 Ana Lopez: ...") was
# refused until plain notes were read, then read as paragraphs, questions and all.
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("otter.txt", _interview(lambda who, n, said: f"{_NAMES[who]}  0:0{n}\n{said}")),
        ("teams.txt", _interview(lambda who, n, said: f"{_NAMES[who]}   0:0{n}\n{said}")),
        ("rev.txt", _interview(lambda who, n, said: f"{_NAMES[who]} (00:0{n}):\n{said}")),
        ("rev_after_colon.txt", _interview(lambda who, n, said: f"{_NAMES[who]}: [00:00:0{n}]\n{said}")),
        ("rev_inline.txt", _interview(lambda who, n, said: f"{_NAMES[who]}: [00:00:0{n}] {said}")),
        ("descript.txt", _interview(lambda who, n, said: f"[00:00:0{n}] {_NAMES[who]}: {said}")),
        ("time_first.txt", _interview(lambda who, n, said: f"00:00:0{n} {_NAMES[who]}: {said}")),
    ],
)
def test_named_speaker_exports(tmp_path, nlp, name, content):
    doc = _one(tmp_path, name, content)
    _check_turns(doc, nlp, "Ana Lopez", "Maria Garcia")
    assert [r.metadata["timestamp"].endswith(("0:02", "0:04")) for r in doc.responses] == [True, True]


def test_teams_docx_transcript(tmp_path, nlp):
    import docx

    document = docx.Document()
    for line in ("Interview with Maria Garcia", "December 2, 2026, 10:00AM", "24m 12s"):
        document.add_paragraph(line)  # Teams' title, date and duration: not quotes
    for n, (who, said) in enumerate([("Ana Lopez", QUESTION_1), ("Maria Garcia", ANSWER_1),
                                     ("Ana Lopez", QUESTION_2), ("Maria Garcia", ANSWER_2)], 1):
        document.add_paragraph(f"{who}   0:0{n}")
        document.add_paragraph(said)
    data = io.BytesIO()
    document.save(data)
    _check_turns(_one(tmp_path, "teams.docx", data.getvalue()), nlp, "Ana Lopez", "Maria Garcia")


# SurveyMonkey's "all responses" export: the questions, then a row naming each column's part
# of its question (a choice question spans one column per choice), Respondent ID empty in it.
SURVEYMONKEY_ROWS = [
    ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
     "First Name", "Last Name", "Custom Data 1", "How satisfied were you with the training?",
     "Which parts helped?", "", "", "What would you change about the training?"],
    ["", "", "", "", "", "", "", "", "", "Response", "Workshops", "Mentoring",
     "Other (please specify)", "Open-Ended Response"],
    [11400000001, 40000001, "03/01/2024 10:02:11 AM", "03/01/2024 10:05:40 AM", "203.0.113.5",
     "", "", "", "", "Very satisfied", "Workshops", "", "", ANSWER_2],
    [11400000002, 40000001, "03/01/2024 11:00:00 AM", "03/01/2024 11:04:10 AM", "203.0.113.9",
     "", "", "", "", "Neutral", "", "Mentoring", "", ANSWER_1],
]


def _table(name: str, rows: list[list[object]]) -> str | bytes:
    if name.endswith(".csv"):
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue()
    workbook = Workbook()
    for row in rows:
        workbook.active.append([None if v == "" else v for v in row])
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


@pytest.mark.parametrize("name", ["surveymonkey.csv", "surveymonkey.xlsx"])
def test_surveymonkey_second_header_row_is_not_an_answer(tmp_path, nlp, name):
    doc = _one(tmp_path, name, _table(name, SURVEYMONKEY_ROWS))
    assert doc.metadata["text_column"] == "What would you change about the training?"
    assert [q.text for q in split_quotes([doc], nlp)] == [ANSWER_2, ANSWER_1]
    assert [r.respondent_id for r in doc.responses] == [
        f"{name}#Respondent ID=11400000001", f"{name}#Respondent ID=11400000002",
    ]
    assert {r.question for r in doc.responses} == {"What would you change about the training?"}
    assert doc.metadata["export_rows"] == [2]
    assert doc.metadata["n_rows"] == 2


def test_a_list_numbered_inside_a_polis_comment_gives_each_item_its_number(tmp_path, nlp):
    # As in a real Polis export: the sentencizer ended each sentence on the next item's number.
    comment = ("We should adopt these steps: 1. Replace the jobseekers benefit with a UBI; 2. index the UBI by "
               "inflation and growth; 3. introduce a basic income for kids. We grew by 2. Then we stopped.")
    doc = _one(tmp_path, "ubi.comments.csv", f'comment-id,author-id,comment-body\n70,0,"{comment}"\n')
    quotes = split_quotes([doc], nlp)
    assert [q.text for q in quotes] == [
        "We should adopt these steps:",
        "1. Replace the jobseekers benefit with a UBI;",
        "2. index the UBI by inflation and growth;",
        "3. introduce a basic income for kids.",
        "We grew by 2. Then we stopped.",  # a number in a sentence stays
    ]
    assert all(doc.text[q.char_start:q.char_end] == q.text for q in quotes)


def test_a_first_answer_of_response_is_still_an_answer(tmp_path, nlp):
    rows = [["Respondent ID", "Type", "Comment"],
            ["7", "Response", "The mentoring was the most useful part for our team."]]
    doc = _one(tmp_path, "typed.csv", _table("typed.csv", rows))
    assert "export_rows" not in doc.metadata
    assert len(doc.responses) == 1


def test_a_one_off_note_with_a_rev_timestamp_is_not_a_speaker(tmp_path, nlp):
    text = (
        f"Ana Lopez: [00:00:01]\n{QUESTION_1}\n\n"
        f"Maria Garcia: [00:00:05]\n{ANSWER_1}\n\n"
        "Reminder: [10:30] send the slides to the team afterwards.\n\n"
        f"Ana Lopez: [00:00:20]\n{QUESTION_2}\n\n"
        f"Maria Garcia: [00:00:25]\n{ANSWER_2}\n"
    )
    doc = _one(tmp_path, "rev_note.txt", text)
    assert doc.metadata["speakers"] == ["Ana Lopez", "Maria Garcia"]
    assert doc.metadata["respondents"] == ["rev_note.txt#Maria Garcia"]
    # The note stays text of the turn it stands in, not a person of its own.
    assert {q.speaker for q in split_quotes([doc], nlp)} == {"Maria Garcia"}


@pytest.mark.parametrize("respondent", ["B", "B1"])
def test_f4_transcripts_time_marks_are_no_text_and_b_is_the_respondent(tmp_path, nlp, respondent):
    # f4transkript / MAXQDA conventions: "I:" interviews "B:" (Befragte), a time mark ends each turn.
    text = (
        f"I: How did the training go for your team? #00:00:05-7#\n\n{respondent}: It went well, the workshops were the most "
        f"useful part. #00:00:12-1#\n\nI: What would you change? #00:00:20#\n\n{respondent}: Shorter sessions and more "
        "examples. #00:00:31-4#\n"
    )
    _check_turns(_one(tmp_path, "f4.txt", text), nlp, "I", respondent)

