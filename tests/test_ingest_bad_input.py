"""Bad input files: each gets a clear reason naming it, and the rest of the batch goes on."""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path

import pytest

from nlp.ingest import IngestError, IngestResult, decode_text, ingest_dir, read_docx
from nlp.ingest.markup import clean_text

GOOD_TRANSCRIPT = "Interviewer: What helped most?\nP1: The weekly check-ins helped.\n"
GOOD_SUMMARY = "Section 1: Context\n1.1 Support\n\tWhat helped?\n\n\t· Training helped a lot.\n"


def _docx_bytes(tmp_path: Path) -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("Support", level=1)
    d.add_paragraph("What helped?")
    d.add_table(rows=1, cols=1).cell(0, 0).text = "Training helped."
    d.save(tmp_path / "made.docx")
    return (tmp_path / "made.docx").read_bytes()


def _broken_zip_docx(good: bytes) -> bytes:
    """A well-formed ZIP whose main document part is not XML: damage inside the package."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = b"<w:document" if item.filename == "word/document.xml" else src.read(item)
            dst.writestr(item, body)
    return out.getvalue()


def _snapshot(raw: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(raw).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(raw.rglob("*"))
        if p.is_file()
    }


def _by_file(result: IngestResult) -> dict[str, tuple[str, str | None]]:
    return {i.file: (i.status, i.error) for i in result.inputs}


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    """A raw folder with good files between bad ones."""
    raw = tmp_path / "raw"
    raw.mkdir()
    docx_bytes = _docx_bytes(tmp_path)
    files: dict[str, bytes] = {
        "a_good.txt": GOOD_TRANSCRIPT.encode(),
        "b_empty.txt": b"",
        "c_binary.txt": b"\x00\x01\x02\x03binary\x00payload" * 4,
        "d_report.pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        "e_cp1252.txt": (
            "Interviewer: Caf\xe9?\nP1: \u201cIt\u2019s fine\u201d \u2013 na\xefve.\n"
        ).encode("cp1252"),
        "f_bom_crlf.txt": b"\xef\xbb\xbf" + GOOD_SUMMARY.replace("\n", "\r\n").encode(),
        "g_truncated.docx": docx_bytes[: len(docx_bytes) // 2],
        "h_corrupt.docx": _broken_zip_docx(docx_bytes),
        "i_huge.txt": b"P1: a\n" * 10_000,
        "j_copy_of_a.txt": GOOD_TRANSCRIPT.encode(),
        "k_prose.log": b"Just some meeting notes.\nNothing labelled here.\n",
        "l_good.docx": docx_bytes,
        ".DS_Store": b"\x00\x00\x00\x01Bud1",
    }
    for name, data in files.items():
        (raw / name).write_bytes(data)
    return raw


def test_bad_files_are_reported_and_the_batch_goes_on(
    raw_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = _snapshot(raw_dir)
    with caplog.at_level(logging.ERROR, logger="nlp.ingest"):
        result = ingest_dir(raw_dir, max_bytes=50_000)

    records = _by_file(result)
    # Every file is listed once, in sorted order; a hidden one is skipped, unread, with why.
    assert [i.file for i in result.inputs] == sorted(before)
    assert records[".DS_Store"] == (
        "skipped", "hidden file (name starts with '.'): skipped, not read"
    )
    assert {name: status for name, (status, _) in records.items() if name[0] != "."} == {
        "a_good.txt": "ok",
        "b_empty.txt": "error",
        "c_binary.txt": "error",
        "d_report.pdf": "error",
        "e_cp1252.txt": "ok",
        "f_bom_crlf.txt": "ok",
        "g_truncated.docx": "error",
        "h_corrupt.docx": "error",
        "i_huge.txt": "error",
        "j_copy_of_a.txt": "duplicate",
        "k_prose.log": "error",
        "l_good.docx": "ok",
    }
    expected_reasons = {
        "b_empty.txt": "empty file",
        "c_binary.txt": "binary content",
        "d_report.pdf": "looks like a PDF document",
        "g_truncated.docx": "not a valid .docx",
        "h_corrupt.docx": "corrupted .docx: cannot be opened",
        "i_huge.txt": "file too large: 60000 bytes, over the limit of 50000 bytes",
        "k_prose.log": "not a recognised interview format: expected",
    }
    for name, reason in expected_reasons.items():
        error = records[name][1] or ""
        assert error.startswith(f"{name}: ") and reason in error, error
        logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith(name)]
        assert logged == [error]
    assert records["j_copy_of_a.txt"][1] == "same content as a_good.txt"

    docs = {d.source_file: d for d in result.documents}
    assert sorted(docs) == ["a_good.txt", "e_cp1252.txt", "f_bom_crlf.txt", "l_good.docx"]
    cp = docs["e_cp1252.txt"]
    assert cp.responses[0].question == "Café?"
    unit = cp.responses[0].units[0]
    assert clean_text(cp.text[unit.char_start : unit.char_end]) == "“It’s fine” – naïve."
    bom = docs["f_bom_crlf.txt"]
    assert bom.text == GOOD_SUMMARY  # no BOM, no CR: offsets index this text
    unit = bom.responses[0].units[0]
    assert bom.text[unit.char_start : unit.char_end] == "Training helped a lot."

    assert _snapshot(raw_dir) == before  # bytes and mtimes of the raw folder are untouched


def test_oversize_file_is_refused_without_being_read(
    raw_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    real_open = Path.open

    def spy_open(self: Path, *args, **kwargs):
        opened.append(self.name)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy_open)
    result = ingest_dir(raw_dir, max_bytes=50_000)
    assert _by_file(result)["i_huge.txt"][0] == "error"
    assert "i_huge.txt" not in opened
    assert "a_good.txt" in opened


def test_whitespace_only_and_unterminated_csv(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "blank.md").write_bytes(b"  \r\n\t\r\n")
    (raw / "cut.csv").write_bytes(b'id,comment\n1,"fine"\n2,"this row was cut off\n')
    (raw / "nums.csv").write_bytes(b"id,score\n1,4\n2,5\n")
    records = _by_file(ingest_dir(raw))
    assert records["blank.md"] == ("error", "blank.md: no text: the file holds only whitespace")
    assert records["cut.csv"] == (
        "error",
        "cut.csv: unterminated quoted field starting on line 3 (is the file truncated?)",
    )
    assert records["nums.csv"][1].startswith("nums.csv: no free-text column found")


def test_legacy_doc_and_docx_without_text(tmp_path: Path) -> None:
    import docx

    with pytest.raises(IngestError, match=r"^old\.docx: legacy Word \.doc"):
        read_docx(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.docx", "abc")
    locked = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le")
    with pytest.raises(IngestError, match=r"^locked\.docx: password-protected \.docx: it is encrypted"):
        read_docx(locked, "locked.docx", "abc")
    d = docx.Document()
    d.add_paragraph("")
    d.add_table(rows=1, cols=1)
    d.save(tmp_path / "blank.docx")
    with pytest.raises(IngestError, match=r"^blank\.docx: no text: the document has no paragraph"):
        read_docx((tmp_path / "blank.docx").read_bytes(), "blank.docx", "abc")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "looks like a PNG image"),
        (b"PK\x03\x04\x14\x00", "looks like a ZIP archive"),
        (b"abc\x00def", "contains NUL bytes"),
        (bytes(range(1, 32)) * 3, "control characters"),
        (b"\xff\xfe\x00\xd8", "invalid UTF-16 text after its byte-order mark"),
    ],
)
def test_decode_text_refuses_binary(data: bytes, reason: str) -> None:
    with pytest.raises(IngestError) as info:
        decode_text(data, "in.txt")
    assert info.value.file == "in.txt"
    assert reason in info.value.reason
    assert str(info.value) == f"in.txt: {info.value.reason}"


def test_missing_raw_dir_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match="not an existing directory"):
        ingest_dir(tmp_path / "nope")
