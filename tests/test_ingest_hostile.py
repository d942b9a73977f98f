"""Hostile input, case by case: each either yields its quotes or is named with the reason."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from nlp.ingest import IngestError, decode_text, ingest_dir, ingest_file, read_docx
from nlp.ingest.docx_reader import check_zip_sizes
from nlp.quotes import split_quotes, split_quotes_by_file

SENTENCE = "The weekly calls with the team helped us plan the rollout and fix problems early. "


def _records(raw: Path) -> dict[str, tuple[str, str | None]]:
    return {r.file: (r.status, r.error) for r in ingest_dir(raw).inputs}


def test_an_answer_of_over_a_million_characters_on_one_line_still_yields_its_sentences() -> None:
    answer = SENTENCE * (1_200_000 // len(SENTENCE))  # past spaCy's max_length of 1,000,000
    text = f"Interviewer: Tell me everything?\nP1: {answer}\nInterviewer: And?\nP2: Short and fine answer.\n"
    doc = ingest_file(text.encode(), "long.txt", "x")
    split = split_quotes_by_file([doc])
    assert split.errors == {}
    assert len(split.quotes) == answer.count(".") + 1
    assert {q.text for q in split.quotes[:-1]} == {SENTENCE.strip()}
    assert all(doc.text[q.char_start : q.char_end].strip() == q.text for q in split.quotes)


def test_a_file_whose_quotes_fail_is_named_and_the_rest_go_on() -> None:
    good = ingest_file(b"Interviewer: Why?\nP1: Because the training was useful.\n", "good.txt", "a")
    bad = ingest_file(b"Interviewer: Why?\nP1: " + SENTENCE.encode() * 3 + b"\n", "bad.txt", "b")

    class Exploding:
        """A sentencizer that breaks on one document's text."""

        def __init__(self) -> None:
            from nlp.quotes import load_sentencizer

            self.real = load_sentencizer()

        def __call__(self, text: str):
            if "weekly calls" in text:
                raise ValueError("[E088] Text of length 1999999 exceeds maximum of 1000000")
            return self.real(text)

    split = split_quotes_by_file([bad, good], nlp=Exploding())
    assert [q.source_file for q in split.quotes] == ["good.txt"]
    assert split.errors == {
        "bad.txt": "bad.txt: quotes could not be made (ValueError: [E088] Text of length 1999999 "
        "exceeds maximum of 1000000)"
    }
    assert [q.source_file for q in split_quotes([bad, good], nlp=Exploding())] == ["good.txt"]


def test_utf16_without_bom_and_mixed_encodings_decode() -> None:
    text = "Interviewer: Café?\nP1: “Naïve” answers – fine.\n"
    assert decode_text(text.encode("utf-16-le"), "le.txt") == text
    assert decode_text(text.encode("utf-16-be"), "be.txt") == text
    # One line written as UTF-8, the next pasted in from a cp1252 file.
    mixed = "P1: “Smart” quotes – in UTF-8.\n".encode() + "P2: “Smart” – in cp1252.\n".encode("cp1252")
    assert decode_text(mixed, "mixed.txt") == "P1: “Smart” quotes – in UTF-8.\nP2: “Smart” – in cp1252.\n"
    with pytest.raises(IngestError, match="contains NUL bytes"):
        decode_text(b"Interviewer: hi\nP1: fine\x00\x00\x00 ok\n", "nul.txt")


def _docx(tmp_path: Path, paragraphs: list[str], heading: str | None = None) -> bytes:
    import docx

    d = docx.Document()
    if heading:
        d.add_heading(heading, level=1)
    for text in paragraphs:
        d.add_paragraph(text)
    d.save(tmp_path / "p.docx")
    return (tmp_path / "p.docx").read_bytes()


def test_a_docx_of_plain_paragraphs_is_one_response_per_paragraph(tmp_path: Path) -> None:
    answers = ["More training on the data standard.", "", "Faster replies to emails, please."]
    doc = read_docx(_docx(tmp_path, answers, heading="Open answers"), "answers.docx", "abc")
    assert doc.format == "docx_paragraphs"
    assert [(r.section, doc.text[r.units[0].char_start : r.units[0].char_end]) for r in doc.responses] == [
        ("Open answers", "More training on the data standard."),
        ("Open answers", "Faster replies to emails, please."),
    ]
    assert [q.text for q in split_quotes([doc])] == [a for a in answers if a]


def test_zip_bomb_docx_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    good = _docx(tmp_path, ["An answer."])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item))
        dst.writestr("word/media/padding.xml", b" " * (40 * 2**20))
    bomb = out.getvalue()
    assert len(bomb) < 200_000
    with pytest.raises(IngestError, match=r"^bomb\.docx: refused as a possible zip bomb: word/media/padding\.xml"):
        read_docx(bomb, "bomb.docx", "abc")
    check_zip_sizes(good, "good.docx")  # a real document passes


def test_links_out_of_the_raw_folder_are_refused_and_hidden_entries_listed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Interviewer: password?\nP1: hunter2 is my password for everything.\n")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.txt").write_text("Interviewer: a?\nP1: b c d e.\n")
    raw = tmp_path / "raw"
    (raw / "sub").mkdir(parents=True)
    (raw / "sub" / "inside.txt").write_text("Interviewer: What helped?\nP1: The weekly check-ins.\n")
    (raw / "leak.txt").symlink_to(secret)
    (raw / "leak_dir").symlink_to(tmp_path / "elsewhere")
    (raw / "alias.txt").symlink_to(raw / "sub" / "inside.txt")
    (raw / ".hidden.txt").write_text("Interviewer: a?\nP1: b c d e.\n")
    (raw / ".git").mkdir()
    (raw / ".git" / "config").write_text("[core]\n")
    (raw / "~$survey.xlsx").write_bytes(b"\x05ana" + b"\x00" * 40)  # Excel's owner file while survey.xlsx is open
    os.mkfifo(raw / "pipe.txt")  # reading it would block the run forever

    records = _records(raw)
    assert records["leak.txt"] == (
        "error",
        f"leak.txt: symbolic link to a file outside the raw folder ({secret.resolve()}): refused, "
        "not read; copy the file into the raw folder to analyse it",
    )
    assert records["leak_dir"][0] == "error" and "link to a folder outside the raw folder" in records["leak_dir"][1]
    assert records[".hidden.txt"] == ("skipped", "hidden file (name starts with '.'): skipped, not read")
    assert records[".git"] == ("skipped", "hidden folder (name starts with '.'): skipped, not read")
    assert records["~$survey.xlsx"] == (
        "skipped", "Office owner file of an open document (name starts with '~$'): skipped, not read"
    )
    assert records["pipe.txt"] == ("error", "pipe.txt: not a regular file (a FIFO, socket or device): not read")
    assert records["sub/inside.txt"] == ("ok", None)
    assert records["alias.txt"] == (
        "skipped", "symbolic link to sub/inside.txt, inside the raw folder: skipped, read at its own path"
    )
    assert set(records) == {
        "leak.txt", "leak_dir", ".hidden.txt", ".git", "~$survey.xlsx", "pipe.txt", "sub/inside.txt", "alias.txt"
    }


ANSWERS = [
    "The training on the data standard was the most useful part of the programme for us.",
    "We needed faster replies from the helpdesk when the portal was down for days.",
    "Peer exchanges with other cities gave us ideas we could use at once in procurement.",
]


@pytest.mark.parametrize(
    ("csv", "header", "first_answer"),
    [
        # One column of long answers, no header: the first answer is kept.
        ("\n".join(f'"{a}"' for a in ANSWERS) + "\n", False, ANSWERS[0]),
        # An id column and answers, no header: the first row's id is a number like the rest.
        ("".join(f'{i},"{a}"\n' for i, a in enumerate(ANSWERS, 1)), False, ANSWERS[0]),
        # A header of known names.
        ("id,response\n" + "".join(f'{i},"{a}"\n' for i, a in enumerate(ANSWERS, 1)), True, ANSWERS[0]),
        # A survey tool's header: the question itself, above a timestamp column.
        (
            "Timestamp,What did you find most useful about the programme?\n"
            + "".join(f'2024-03-0{i} 10:0{i},"{a}"\n' for i, a in enumerate(ANSWERS, 1)),
            True,
            ANSWERS[0],
        ),
        # A short label above long answers.
        ("Feedback\n" + "".join(f'"{a}"\n' for a in ANSWERS), True, ANSWERS[0]),
    ],
)
def test_header_row_is_detected(csv: str, header: bool, first_answer: str) -> None:
    doc = ingest_file(csv.encode(), "answers.csv", "abc")
    assert doc.metadata["header_row"] is header
    assert len(doc.responses) == len(ANSWERS)
    first = doc.responses[0].units[0]
    assert doc.text[first.char_start : first.char_end] == first_answer


def test_qdpx_xml_holds_control_characters_with_offsets_kept() -> None:
    import pandas as pd
    from lxml import etree

    from nlp.qdpx import NAMESPACE, build_project_xml

    source = "Soft\x0bbreak and \x1b[0m escape\x0c page."
    quotes = pd.DataFrame(
        {
            "quote_id": ["q1"], "source_file": ["w\x0b.docx"], "section": ["S\x01"],
            "response_id": ["r\x02"], "text": [source], "char_start": [0], "char_end": [len(source)],
            "topic_id": [0],
        }
    )
    topics = pd.DataFrame({"topic_id": [0], "label": ["label\x1f"], "keywords": [["a\x0b", "b"]]})
    root = etree.fromstring(build_project_xml("P\x07", {"w\x0b.docx": source}, quotes, topics))
    (selection,) = root.iter(f"{{{NAMESPACE}}}PlainTextSelection")
    description = selection.find(f"{{{NAMESPACE}}}Description").text
    assert description == "Soft break and  [0m escape  page."
    assert len(description) == int(selection.get("endPosition")) - int(selection.get("startPosition"))
    assert root.get("name") == "P "
