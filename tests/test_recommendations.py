from __future__ import annotations

import pytest

from nlp.recommendations import (
    classify,
    predict_proba,
    score_candidate,
)
from nlp.recommendations.datasets import read_semeval
from nlp.recommendations.rules import STRONG_CUES, find_cues

RECOMMENDS = [
    "They need more advanced planning",
    "It would be good to have a public channel, like a public live forum where people can talk "
    "and ask questions.",
    "Bring in the politicians.",
    "Need more journalists",
    "Could be more systematic in their way of documenting learning",
]
DOES_NOT = [
    "They are extremely credible",
    "Several countries have made commitments since then.",
]


@pytest.mark.slow
def test_seed_sentences_are_classified_as_the_interview_reads(real_embedder):
    assert classify(RECOMMENDS + DOES_NOT, embedder=real_embedder) == [True] * 5 + [False] * 2


@pytest.mark.slow
def test_confidence_ranks_recommendations_above_statements(real_embedder):
    proba = predict_proba(RECOMMENDS + DOES_NOT, embedder=real_embedder)
    assert all(0.0 <= p <= 1.0 for p in proba)
    assert min(proba[:5]) > max(proba[5:])


def test_imperative_at_bullet_start_is_a_cue_but_a_noun_is_not():
    assert "imperative" in find_cues("· Bring in the politicians.")
    assert "imperative" not in find_cues("Support was great and timely.")
    assert "bare_modal" not in find_cues("Can I change the settings?")


@pytest.mark.parametrize(
    "text",
    [
        "Definitely try the night train.",
        "Also, invite the parents to the first meeting.",
        "At the very least publish the minutes.",
        "dont bother with the guided tour",
        "If possible, involve the families early on.",
    ],
)
def test_imperative_after_fillers_and_openers_is_a_cue(text):
    assert "imperative" in find_cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "Do you know why it fails?",
        "Have you tried restarting it?",
        "Note that the file is locked.",
        "Check-in took over an hour.",
        "Support was quick.",
    ],
)
def test_questions_notes_and_nouns_are_not_imperatives(text):
    assert "imperative" not in find_cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "· Open contracting helps governments themselves.",
        "Very credible. Open contracting is the new norm.",
        "Change management is key.",
        "Open Contracting Partnership has helped us.",
    ],
)
def test_a_noun_phrase_subject_before_a_verb_is_not_an_imperative(text):
    assert "imperative" not in find_cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "Open the data to the public.",
        "Make sure everything is documented.",
        "Check the files are there.",
        "Fund projects that are local.",
    ],
)
def test_an_order_whose_object_holds_a_verb_stays_an_imperative(text):
    assert "imperative" in find_cues(text)


def test_imperative_opening_a_later_clause_is_its_own_cue():
    assert "clause_imperative" in find_cues("Funding is scarce, so prioritise the smaller groups.")
    assert "clause_imperative" in find_cues("The town is busy in August; book well ahead.")
    # A subject dropped after "and"/"then" is a report, not an order.
    assert "clause_imperative" not in find_cues("I open the app and get an error.")
    assert "clause_imperative" not in find_cues("We waited, then we left.")


@pytest.mark.parametrize(
    "text",
    [
        "It is best to arrive before nine.",
        "It's really important that the board listens to staff.",
        "You are better off taking the train.",
        "Tip: bring cash for the market.",
        "Feel free to call the office.",
        "If I were you, I would wait a year.",
    ],
)
def test_fixed_advice_frames_are_a_cue(text):
    assert "advice_frame" in find_cues(text)


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("It would really be great if there was a shared calendar.", "would_be_good"),
        ("A shorter form would also be appreciated.", "would_be_good"),
        ("The museum is worth visiting twice.", "would_be_good"),
        ("I'd also love to see more case studies.", "want_wish"),
        ("I can recommend the evening course.", "suggest"),
        ("You could ask the council to publish the minutes.", "you_advice"),
    ],
)
def test_frames_tolerate_adverbs_and_modals(text, cue):
    assert cue in find_cues(text)


@pytest.mark.parametrize(
    ("text", "advises"),
    [
        ("My recommendation is to book early.", True),
        ("My main suggestion would really be that you add tabs.", True),
        ("Our recommendations are shown to end users once a week.", False),
        ("The recommendation engine was slow.", False),
        ("We built a system to recommend products to users.", False),
    ],
)
def test_naming_recommendations_is_not_making_one(text, advises):
    assert ("suggest" in find_cues(text)) is advises


def test_could_with_a_verb_of_perception_describes_rather_than_advises():
    assert "you_advice" not in find_cues("You could see the river from the window.")


def test_plain_statements_have_no_strong_cue():
    for text in ("The staff were friendly, and the room was clean.", "Several members left in May."):
        assert not find_cues(text) & STRONG_CUES


@pytest.mark.parametrize("n_responses", [1, 5, 13, 200])
def test_score_is_within_bounds_and_rises_with_support(n_responses):
    for confidence in (0.0, 0.5, 1.0):
        for share in (0.0, 0.4, 1.0):
            scores = [score_candidate(s, confidence, share, n_responses) for s in range(1, n_responses + 1)]
            assert all(0.0 <= s <= 1.0 for s in scores)
            assert scores == sorted(scores) and len(set(scores)) == len(scores)


def test_semeval_reader_survives_quotes_and_code_page_bytes(tmp_path):
    path = tmp_path / "trial.csv"
    path.write_bytes(
        b'id,sentence,label\r\n1,"A fantastic caf\x8f\x8f, try the ""croissants"".",1\r\n'
        b'2,"""It crashes\r\non start.""",0\r\n'
    )
    data = read_semeval(path)

    assert data.labels == (True, False)
    assert data.texts[0].startswith("A fantastic caf") and '"croissants"' in data.texts[0]
    assert data.texts[1] == "It crashes on start."


def test_flagged_first_tokens_match_what_the_patterns_as_written_match():
    """The lexeme flags of ``rules._flagged`` are a speed-up: every match must stay the same."""
    import spacy
    from spacy.matcher import Matcher

    from nlp.recommendations import rules

    texts = [*RECOMMENDS, *DOES_NOT, "I NEED to go. The city Needs more trees!", "You Should book early, please.",
             "If you want quiet, ask for a room at the back.", "Must have been the wind; must try harder.",
             "My recommendation is to start small. Why not both?", "Let's see. More buses, fewer cars."]
    nlp, flagged = rules._pipeline()
    plain = Matcher(spacy.blank("en").vocab)
    for name, patterns in rules._PATTERNS.items():
        plain.add(name, patterns)
    for text in texts:
        doc = nlp(text)
        same_tokens = spacy.tokens.Doc(plain.vocab, [t.text for t in doc])
        as_written = sorted((plain.vocab.strings[m], b, e) for m, b, e in plain(same_tokens))
        assert sorted((nlp.vocab.strings[m], b, e) for m, b, e in flagged(doc)) == as_written, text
    assert any(isinstance(key, int) for patterns in rules._flagged(rules._PATTERNS, spacy.blank("en").vocab).values()
               for pattern in patterns for key in pattern[0])
