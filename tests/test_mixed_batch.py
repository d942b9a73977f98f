"""One batch of everything real folders hold: every good file yields quotes, every bad one is named.

The fixtures are generated here, in a temporary folder: nothing large is committed.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest

from nlp.ingest import ingest_dir
from nlp.quotes import split_quotes_by_file

pytestmark = pytest.mark.slow

RTL = "المشاركة في التدريب كانت مفيدة جدا لفريقنا 🙏 והצוות שלנו למד הרבה 👍"
EMOJI_NAME = "notes from Ana 📝 2024.txt"


def _tree_hash(root: Path) -> str:
    """Names, kinds, bytes and link targets of everything under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode())
        if path.is_symlink():
            digest.update(b"link:" + os.readlink(path).encode())
        elif path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        digest.update(str(path.lstat().st_mtime_ns).encode())
    return digest.hexdigest()


def _docx(paragraphs: list[str]) -> bytes:
    import docx

    out = io.BytesIO()
    d = docx.Document()
    for text in paragraphs:
        d.add_paragraph(text)
    d.save(out)
    return out.getvalue()


def _zip_bomb() -> bytes:
    """A valid .docx with one extra member: 48 MB of spaces in about 50 kB."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_docx(["An answer."]))) as src, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item))
        dst.writestr("word/document2.xml", b" " * (48 * 2**20))
    return out.getvalue()


def _write_batch(raw: Path) -> dict[str, str]:
    """Write the batch; return each bad file's name with the phrase its error must hold."""
    transcript = "Interviewer: What helped?\nP1: The weekly check-ins with the city team helped.\n"
    files: dict[str, bytes] = {
        "nul.txt": transcript.encode()[:30] + b"\x00\x00\x00" + transcript.encode()[30:],
        "mixed_encodings.txt": "Interviewer: Was it “useful”?\n".encode()
        + "P1: Yes – the café meetings were “very” useful.\n".encode("cp1252"),
        "utf16_no_bom.txt": "Interviewer: Anything else?\nP2: Naïve tools slowed us down.\n".encode(
            "utf-16-le"
        ),
        "rtl_emoji.md": f"Interviewer: How was it?\nP3: {RTL}\n".encode(),
        "long_transcript.txt": "".join(
            f"Interviewer: Question number {n}?\nP{n % 40}: Answer {n} says the training helped us.\n"
            for n in range(10_000)
        ).encode(),
        "wide.csv": (
            ",".join(["id", "comment", *(f"q{k}" for k in range(4_998))])
            + "\n"
            + "".join(
                ",".join([str(r), f'"Row {r}: more support with procurement data, please."', *("3" * 4_998)])
                + "\n"
                for r in range(1, 4)
            )
        ).encode(),
        "bomb.docx": _zip_bomb(),
        EMOJI_NAME: b"Interviewer: And the portal?\nP4: The new portal saves us a day each week.\n",
        "nested/deeper/answers.docx": _docx(
            ["We want open data on contracts by default.", "Training for new staff every year."]
        ),
    }
    for name, data in files.items():
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        (raw / name).write_bytes(data)
    return {
        "nul.txt": "binary content, not text: contains NUL bytes",
        "bomb.docx": "refused as a possible zip bomb: word/document2.xml inflates",
    }


def test_a_mixed_batch(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    bad = _write_batch(raw)
    before = _tree_hash(raw)

    result = ingest_dir(raw)
    split = split_quotes_by_file(result.documents)

    status = {r.file: (r.status, r.error, r.format) for r in result.inputs}
    for name, phrase in bad.items():
        assert status[name][0] == "error"
        assert status[name][1].startswith(f"{name}: ") and phrase in status[name][1], status[name]
    good = {name for name in status if name not in bad}
    assert good == {
        "mixed_encodings.txt", "utf16_no_bom.txt", "rtl_emoji.md", "long_transcript.txt",
        "wide.csv", EMOJI_NAME, "nested/deeper/answers.docx",
    }
    assert {name: status[name][0] for name in good} == dict.fromkeys(good, "ok")
    assert status["nested/deeper/answers.docx"][2] == "docx_paragraphs"
    assert split.errors == {}

    by_file: dict[str, list[str]] = {}
    for q in split.quotes:
        by_file.setdefault(q.source_file, []).append(q.text)
    assert set(by_file) == good
    assert by_file["mixed_encodings.txt"] == ["Yes – the café meetings were “very” useful."]
    assert by_file["utf16_no_bom.txt"] == ["Naïve tools slowed us down."]
    assert by_file["rtl_emoji.md"] == [RTL]
    assert len(by_file["long_transcript.txt"]) == 10_000
    assert by_file["wide.csv"][0] == "Row 1: more support with procurement data, please."
    assert len(by_file["wide.csv"]) == 3
    assert by_file[EMOJI_NAME] == ["The new portal saves us a day each week."]
    assert by_file["nested/deeper/answers.docx"] == [
        "We want open data on contracts by default.", "Training for new staff every year."
    ]
    texts = {d.source_file: d.text for d in result.documents}
    assert all(texts[q.source_file][q.char_start : q.char_end].strip() for q in split.quotes)

    assert _tree_hash(raw) == before
