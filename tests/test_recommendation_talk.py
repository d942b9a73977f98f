"""Talk about the conversation ("go for it", "let me know", "hold on") is not a recommendation."""

from __future__ import annotations

import pytest

from nlp.recommendations.turn_talk import score_without_turn_talk, without_turn_talk


@pytest.mark.parametrize(
    "text",
    ["Yeah, go for it.", "Please let me know.", "Oh, hold on.", "Yeah, go ahead.", "All right, bye.",
     "Tell me if you want something else."],
)
def test_a_turn_that_only_manages_the_conversation_says_nothing(text):
    assert without_turn_talk(text) == ""


def test_the_talk_goes_and_what_was_said_about_the_topic_stays():
    assert without_turn_talk("Oh, hold on. We need a shared test dataset.") == "We need a shared test dataset."
    assert without_turn_talk("Continue on the scaling. Oh, sorry.") == "Oh, sorry."


@pytest.mark.parametrize(
    "text",
    ["Bring in the politicians.", "We should let users know what changed.", "They need more advanced planning"],
)
def test_asks_about_the_topic_are_left_as_written(text):
    assert without_turn_talk(text) == text


def test_talk_can_lower_a_confidence_but_never_raise_it():
    texts = [
        "Yeah, go for it.",  # only talk
        "Let me know. We need better monitoring dashboards.",  # talk around an ask
        "I don't know, let me see, move away from the old model.",  # talk around a description
        "Bring in the politicians.",  # no talk
    ]
    seen = []

    def score(rest):
        seen.extend(rest)
        return [0.9 if "monitoring" in t else 0.95 for t in rest]

    out = score_without_turn_talk(texts, [0.99, 0.8, 0.2, 0.97], score)
    assert out == [0.0, 0.8, 0.2, 0.97]
    # Only texts that held talk and still say something are scored again.
    assert seen == ["We need better monitoring dashboards.", "move away from the old model."]


def test_without_talk_nothing_is_scored_again():
    def score(rest):
        raise AssertionError(f"scored {rest}")

    assert score_without_turn_talk(["Need more journalists"], [0.8], score) == [0.8]


@pytest.mark.parametrize(
    "text",
    ["Yeah, go ahead and share your screen, let me know.", "Good morning, can you hear me?",
     "Hold on a second, I'm sorry to interrupt: off the record, bye bye.", "Let's undergo for it. Go aheadquarters.",
     "Nice to meet you, and thanks, that's all. Take care!", "We'd let them know; letmeknow is one word."],
)
def test_one_alternation_finds_what_each_phrase_between_boundaries_finds(text):
    """The combined pattern is a speed-up: it must remove exactly what the phrases one by one would."""
    import re

    from nlp.recommendations.turn_talk import _TALK, TURN_TALK
    from nlp.substantive import META_PHRASES

    phrases = [re.compile(rf"(?<![\w'’])(?:{p})(?![\w'’])", re.IGNORECASE) for p in [*META_PHRASES, *TURN_TALK]]

    def first_match(at):  # leftmost, then the first phrase in order, as one alternation tries them
        found = [m for p in phrases if (m := p.search(text, at))]
        return min(found, key=lambda m: m.start()) if found else None

    expected, at = [], 0
    while (m := first_match(at)) is not None:
        first = next(p.match(text, m.start()) for p in phrases if p.match(text, m.start()))
        expected.append(first.span())
        at = max(first.end(), first.start() + 1)
    assert [m.span() for m in _TALK.finditer(text)] == expected


def test_go_ahead_and_go_for_it_are_talk_only_as_whole_words():
    from nlp.recommendations.turn_talk import _TALK

    assert _TALK.search("Go ahead.") and _TALK.search("Yeah, go for it.")
    assert not _TALK.search("They undergo for it. Go aheadquarters.")
