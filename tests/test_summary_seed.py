"""The seed interview summary, parsed: what a reader would check by eye."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.ingest import ingest_paths
from nlp.ingest.summary import read_summary
from nlp.quotes import load_sentencizer, split_quotes

SECTIONS = [
    "1.1 Interaction with open contracting and the OCP",
    "1.2 Communication with OCP",
    "1.3 Open Contracting Data Standard (OCDS)",
    "1.4 OCDS Helpdesk",
    "2.1 Strategy",
    "2.2 Making open contracting the new norm",
    "3.1 Networking",
    "3.2 Outreach",
    "3.3 Learnings",
    "Section 4: Questions, comments or recommendations",
]


@pytest.fixture(scope="module")
def seed_doc(seed_path):
    result = ingest_paths([seed_path])
    assert [r.status for r in result.inputs] == ["ok"]
    return result.documents[0]


@pytest.fixture(scope="module")
def seed_quotes(seed_doc):
    return split_quotes([seed_doc])


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_sections_are_the_ten_subsections(seed_doc):
    assert list(dict.fromkeys(r.section for r in seed_doc.responses)) == SECTIONS


def test_question_of_1_2(seed_doc):
    questions = {r.section: r.question for r in seed_doc.responses}
    assert questions["1.2 Communication with OCP"] == (
        "How would you describe the quality (i.e., timeliness, openness, relevance, accuracy) "
        "of communications by the OCP?"
    )


def test_cell_count_of_1_1_is_five_interviewees(seed_doc):
    assert sum(r.section.startswith("1.1") for r in seed_doc.responses) == 5


def test_introduction_is_metadata_not_quotes(seed_doc, seed_quotes):
    assert seed_doc.metadata["n_interviews"] == 13
    assert seed_doc.metadata["response_rate"] == pytest.approx(0.65)
    first_heading = seed_doc.text.index("Section 1:")
    assert all(q.char_start > first_heading for q in seed_quotes)
    assert not any("Interview Data Summary" in q.text for q in seed_quotes)


def test_quote_count_in_expected_range(seed_quotes):
    assert 120 <= len(seed_quotes) <= 260


def test_direct_and_paraphrased_quotes(seed_quotes):
    planning = next(q for q in seed_quotes if q.text.startswith("They need more advanced planning"))
    assert planning.is_direct_quote
    paraphrase = next(q for q in seed_quotes if q.text.startswith("Advocacy work they are doing is great"))
    assert not paraphrase.is_direct_quote
    # A quote that opens in one bullet and closes two bullets later covers all three.
    commitments = next(q for q in seed_quotes if q.text.startswith("Several countries have made"))
    assert commitments.is_direct_quote
    assert sum(not q.is_direct_quote for q in seed_quotes) >= 10


def test_no_markup_or_bullets_in_text(seed_quotes):
    for q in seed_quotes:
        assert "bookmark" not in q.text
        assert not q.text.startswith(("·", "“")) or q.text.count("“") > 1 or "”" in q.text


def test_fragments_join_their_neighbour(seed_quotes):
    texts = {q.text for q in seed_quotes}
    assert not texts & {"Timely", "Open", "Relevant"}
    assert any("Timely" in t and "Relevant" in t and "good experiences" in t for t in texts)


def test_repeated_cell_marked_duplicate(seed_quotes):
    honest = [q for q in seed_quotes if q.text.startswith("To be very honest")]
    assert len(honest) == 2
    first, second = honest
    assert first.duplicate_of is None
    assert second.duplicate_of == first.quote_id
    assert first.section == "2.1 Strategy" and second.section.startswith("2.2")


def test_spans_point_at_the_quote_in_the_source(seed_doc, seed_quotes):
    for q in seed_quotes:
        span = seed_doc.text[q.char_start : q.char_end]
        assert _words(span.replace("[bookmark: _GoBack]", "")) == _words(q.text), q.quote_id


def test_quote_ids_are_unique_and_stable(seed_doc, seed_quotes):
    again = split_quotes([seed_doc])
    assert [q.quote_id for q in again] == [q.quote_id for q in seed_quotes]
    assert len({q.quote_id for q in seed_quotes}) == len(seed_quotes)


_LINES = st.sampled_from(
    ["Section 1: Context", "1.1 Title", "\tA question?", "", "\t· “Quote", "· more”", "[bookmark: _x]",
     "· ", "\t", "2.2", "Section", "“", "”", "· Timely"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_LINES, st.text(max_size=40)), max_size=30))
def test_no_text_crashes_the_summary_parser(lines):
    text = "\n".join(lines)
    doc = read_summary(text, "x.txt", "0" * 64)
    quotes = split_quotes([doc], nlp=_NLP)
    for q in quotes:
        assert 0 <= q.char_start <= q.char_end <= len(text)


_NLP = load_sentencizer()
