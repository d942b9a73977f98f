"""Reader for plain notes: text with neither summary headings nor speaker labels.

Interview notes, a write-up pasted into a text file, or a markdown summary such as::

    # Stakeholder interviews          <- a markdown heading names the section
                                      <- blank lines separate responses
    Most partners said core funding   <- a paragraph (wrapped lines join) is one response
    is too short.

    - Several asked for multi-year    <- each list item is one response
      commitments.                    <- (a line that is no new item continues the one before)
    1. The helpdesk answers quickly.

A numbered question that starts a paragraph ("Q1. What has been most useful?", "Question 2:
…") is no quote: it is the ``question`` of the responses after it, up to the next question or
heading.

The same layout as a Word document's plain paragraphs (``nlp.ingest.docx_reader``), where each
paragraph, list items included, is one response. Who said what is unknown, so each response is
its own respondent, as a summary's cell is, unless a heading names one interview or person
("## Interview 3 – Maria", "## Participant 12", "## Interview with Maria Garcia", "## P4 (NGO)"):
every response under it, down to the next heading of its level or above, is that respondent's,
and the section is then the nearest heading that names a topic. Thematic breaks (``---``,
``***``) and markdown headings are never quotes. Offsets index the decoded text, so provenance
is exact.

The run says which files were read this way (``paragraphs_note``): a transcript whose speaker
labels were not recognised would otherwise have its questions read as answers without a word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nlp.ingest.errors import IngestError
from nlp.ingest.markup import BULLET_CHARS, quoted_spans, strip_markup, trim_span
from nlp.schemas import Document, Response, Unit

__all__ = [
    "TEXT_PARAGRAPHS_FORMAT", "UNTITLED_SECTION", "Headings", "numbered_question", "paragraph_response",
    "paragraphs_document", "paragraphs_note", "read_paragraphs",
]

TEXT_PARAGRAPHS_FORMAT = "text_paragraphs"
"""``Document.format`` of a text file read as plain paragraphs (a .docx's is ``"docx_paragraphs"``)."""

UNTITLED_SECTION = "Document"
"""The section of paragraphs before any heading (a .docx's plain paragraphs too)."""

_FILES_NAMED = 3  # files the note names before "and N more"

_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
# A heading that names one interview or person: "Interview 3 – Maria", "Participant 12",
# "Interview with Maria Garcia", "P4 (NGO)". A topic ("Funding", "Interview summary") names none.
_RESPONDENT_HEADING_RE = re.compile(
    r"^(?:(?:interview(?:ee)?|participant|respondent|informant|stakeholder|person|case)[ \t]*(?:no\.?|#)?[ \t]*\d+\b"
    r"|interview(?:ed)? with[ \t]+\S"
    r"|(?:p|r|s)[ _]?\d{1,3}[ \t]*(?:[-–—:,(]|$))",
    re.IGNORECASE,
)
# A numbered question that answers follow: "Q1. What has been most useful?", "Question 2: …".
# After a bare "Q" the text must end in "?": "Q3: revenue fell" is a quarter, not a question.
_QUESTION_RE = re.compile(
    r"^[ \t]*(?:\*\*|__)?(?:question[ \t]*\d{1,3}[ \t]*[.:)][ \t]*(?P<text>\S.*?)"
    r"|q[ \t]*\d{1,3}[ \t]*[.:)][ \t]*(?P<asked>\S.*?\?))(?:\*\*|__)?[ \t]*$",
    re.IGNORECASE,
)
_BREAK_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM_RE = re.compile(rf"^[ \t]*(?:[{re.escape(BULLET_CHARS)}+]|\d{{1,3}}[.)])[ \t]+(?=\S)")


def read_paragraphs(text: str, source_file: str, sha256: str) -> Document:
    """Parse plain notes into one Response per paragraph or list item.

    Args:
        text: the decoded, newline-normalised file content.
        source_file: file name used in provenance and ids.
        sha256: hash of the file's bytes.

    Returns:
        A Document of format ``"text_paragraphs"``; each response's metadata holds its ``paragraph``
        number and the file's ``lines`` it spans (1-based, first and last), and the document's
        ``respondents`` lists the headings that name one, when any does.

    Raises:
        IngestError: nothing but headings and thematic breaks.
    """
    spans: list[list] = []  # section, respondent heading, question, start, end, first line, last line
    headings = Headings()
    question = ""
    open_span: list | None = None
    pos = 0
    for number, line in enumerate(text.split("\n"), 1):
        start, pos = pos, pos + len(line) + 1
        content = strip_markup(line)
        heading = _HEADING_RE.match(content)
        if not content.strip() or heading or _BREAK_RE.match(content):
            open_span = None
            if heading:
                headings.enter(len(heading.group(1)), heading.group(2))
                question = ""
            continue
        if open_span is None and (asked := numbered_question(content)):
            question = asked  # asked, not said: no quote
            continue
        item = _ITEM_RE.match(line)
        if open_span is None or item:
            begin = start + (item.end() if item else 0)
            open_span = [headings.section, headings.respondent, question, begin, start + len(line), number, number]
            spans.append(open_span)
        else:
            open_span[4], open_span[6] = start + len(line), number
    responses = []
    for section, respondent, question, start, end, first, last in spans:
        span = trim_span(text, start, end)
        if span[0] < span[1]:
            n = len(responses) + 1
            responses.append(
                paragraph_response(text, source_file, n, span, section, respondent, question, lines=[first, last])
            )
    only_headings = "the file holds only headings"
    return paragraphs_document(text, source_file, sha256, TEXT_PARAGRAPHS_FORMAT, responses, only_headings)


def numbered_question(line: str) -> str:
    """The question a line asks when it starts with a number ("Q1. What …?", "Question 2: …"), else ``""``."""
    asked = _QUESTION_RE.match(line)
    return " ".join((asked.group("text") or asked.group("asked")).split()) if asked else ""


def paragraph_response(
    text: str, source_file: str, n: int, span: tuple[int, int], section: str, respondent: str, question: str = "",
    **metadata: object,
) -> Response:
    """The ``n``-th paragraph response of a document: one unit, its section and question, its
    respondent (a heading's name, or ``""``: unknown, the response itself)."""
    start, end = span
    return Response(
        response_id=f"{source_file}#p{n}",
        section=section,
        question=question,
        units=(Unit(start, end),),
        quoted_spans=tuple(quoted_spans(text, start, end)),
        metadata={"paragraph": n, **metadata},
        respondent_id=f"{source_file}#{respondent}" if respondent else "",
    )


def paragraphs_document(
    text: str, source_file: str, sha256: str, format: str, responses: list[Response], empty: str
) -> Document:
    """A document of paragraph responses; an IngestError ``no text: <empty>`` when there are none."""
    if not responses:
        raise IngestError(source_file, f"no text: {empty}")
    named = [r.respondent_id.removeprefix(f"{source_file}#") for r in responses if r.respondent_id != r.response_id]
    return Document(
        source_file=source_file,
        sha256=sha256,
        format=format,
        text=text,
        responses=tuple(responses),
        metadata={"layout": "paragraphs", "n_paragraphs": len(responses)}
        | ({"respondents": list(dict.fromkeys(named))} if named else {}),
    )


class Headings:
    """The headings open at a point of a document, and the section and respondent they give."""

    def __init__(self, untitled: str = UNTITLED_SECTION) -> None:
        self._untitled = untitled
        self._open: list[tuple[int, str, bool]] = []  # level, title, names a respondent

    def enter(self, level: int, title: str) -> None:
        """A heading of ``level`` (1 for ``#``) closes those of its level and below; an empty one is skipped."""
        if title := " ".join(title.split()):
            names_one = bool(_RESPONDENT_HEADING_RE.match(title))
            self._open = [h for h in self._open if h[0] < level] + [(level, title, names_one)]

    @property
    def section(self) -> str:
        """The nearest heading that names a topic, else the untitled section (``UNTITLED_SECTION``)."""
        return next((title for _, title, who in reversed(self._open) if not who), self._untitled)

    @property
    def respondent(self) -> str:
        """The nearest heading that names one interview or person, else ``""`` (unknown)."""
        return next((title for _, title, who in reversed(self._open) if who), "")


def paragraphs_note(documents: Iterable[Document]) -> str | None:
    """What a reader must know when text files were read as plain paragraphs, naming them."""
    names = [d.source_file for d in documents if d.format == TEXT_PARAGRAPHS_FORMAT]
    if not names:
        return None
    more = len(names) - _FILES_NAMED
    return (
        f"read as plain paragraphs, each paragraph or list item one response (no 'Section N:' headings and no "
        f"speaker labels found): {', '.join(names[:_FILES_NAMED])}{f' and {more} more' if more > 0 else ''}; "
        "who said each is unknown unless a heading names the interview ('## Interview 3'); start each turn with "
        "its speaker ('Interviewer:', 'Maria:') to read a file as a transcript"
    )
