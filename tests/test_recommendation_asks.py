from __future__ import annotations

import numpy as np
import pytest

from nlp.recommendations.ask_core import ask_cores, ask_phrases, ask_spans, framed
from nlp.recommendations.ask_names import ask_name
from nlp.recommendations.asks import build_asks, group_asks
from nlp.recommendations.span_words import contained_pairs, content_words
from nlp.recommendations.verb_classes import comparable_spans
from nlp.schemas import Quote


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("They need more advanced planning – Sometimes they move too fast", "advanced planning"),
        ("Bring in the politicians.", "Bring in the politicians"),
        ("Need more journalists (ICIJ, etc.).", "journalists"),
        ("It would be good to have a public channel, like a public live forum", "public channel"),
        ("Although we have constant calls would be nice to have an advanced agenda", "advanced agenda"),
        ("I think they should engage the legislature, and be part of the conferences.", "engage the legislature"),
        ("Quality bike lanes should be installed, focusing on the campus area.", "Quality bike lanes installed"),
        ("More bike trails and walking trails would be a great addition.", "bike trails and walking trails"),
        ("Holly drive needs sidewalks", "Holly drive sidewalks"),
        # Before "be ...", a thing to change stays; a named addressee goes.
        ("The city needs to be more walkable for everyone.", "city walkable for everyone"),
        ("The OCP could be more critical in its position, and push for more.", "critical in its position"),
        # A purpose clause says why, not what; "how to" and "has got to" are no purpose.
        ("We should prioritize building more fitness parks to encourage physical activity.",
         "prioritize building more fitness parks"),
        ("They need a plan on how to bring in civil society", "plan on how to bring in civil society"),
        ("Political gerrymandering has got to stop.", "Political gerrymandering has got to stop"),
        ("Term limits in place for our representatives", "Term limits in place for our representatives"),
        # What is lacking is what is asked for; "in place" and a second "and there to be" clause go.
        ("Still lacks private sector angle, but that has always been the case – needs their support",
         "private sector angle"),
        ("There is a lack of evidence on impact.", "evidence on impact"),
        ("Would be nice to have a planning sharing system in place.", "planning sharing system"),
        ("It is important for there to be an evidence base and there to be a discussion of it.", "evidence base"),
        # Praise before the request is no frame: "Great example of ..." and "It is a great tool" describe.
        ("Great example of how to build a standard. It is a great tool and easy to use if you have the right "
         "technical background. Needs more internal capacity though.", "internal capacity"),
        ("Good to have more regional meetings.", "regional meetings"),
        # Speech: hesitations and a word said twice are no part of the ask.
        ("Um, they should, they should, fund the, uh, helpdesk.", "fund the helpdesk"),
        # A phrase restarted twice, and "type of" before what is asked for.
        ("Like there needs to be some type of some, some type of fallback plan.", "fallback plan"),
        # A tail word that would leave one word does not end the ask; a comma does.
        ("For data exploration you could use like pandas profiling, for example, to see the picture.",
         "use like pandas profiling"),
        ("They should be forceful, because nothing changes.", "forceful"),
        # A statement of a subject, then an order: the order is the ask.
        ("They already have a good mix – include civil society and the private sector.",
         "include civil society and the private sector"),
        ("The breakfast was excellent, but try and track down a BB rate.", "try and track down a BB rate"),
        ("A tip - if you want a quiet room, ask for one at the back.", "ask for one at the back"),
        ("Here's a tip: take the Metro to Notre Dame de Lorette.", "take the Metro to Notre Dame de Lorette"),
        # "There are ..." describes; "(like Google)" is an example, not liking.
        ("At the national level, there are only a few NGOs observing activity - need to get more demand side.",
         "demand side"),
        ("Or, the second and better option is to increase capacity and work with someone big (like Google).",
         "increase capacity and work with someone big"),
        # The subject of a passive ask, after an apposition or with an irregular participle.
        ("Citizens United, the Supreme Court ruling allowing unlimited funds, MUST be overturned.",
         "Citizens United overturned"),
        ("gerrymandering must be made illegal and punishable.", "gerrymandering made illegal and punishable"),
        ("By 2022 there should be a base of how to improve and who is involved", "base of how to improve"),
        # A modal in a relative clause is no frame; "capacity to" is a complement, not a purpose.
        ("More stories they could tell, and make more links.", "stories they could tell"),
        ("Like Android we need phone level events.", "phone level events"),  # a name, then a pronoun
        ("They need to make sure that the grantees have the capacity to follow up.",
         "grantees have the capacity to follow up"),
        # An example's marker after the frame is no part of the ask.
        ("It would be really helpful if, for example, a developer could pin a tile.", "developer could pin a tile"),
        # Advice on a condition asks for what follows it, when that is an order.
        ("If you don't have a lot of stamina, skip this place.", "skip this place"),
        ("If you plan on staying in your room all day then stay elsewhere.", "stay elsewhere"),
        ("When we started, the helpdesk answered every question.", "When we started"),
        # "In need of" is a need, with its subject: not the modal "need".
        ("The carpets and furniture are in need of renewal.", "carpets and furniture renewal"),
    ],
)
def test_the_ask_span_drops_the_frame_and_keeps_the_action_and_object(text, span):
    assert ask_spans([text]) == [span]


def test_a_negated_ask_keeps_its_negation():
    allowed, banned = ask_spans(["Smoking should be allowed in parks.", "Smoking should not be allowed in parks."])
    assert "not" not in allowed.split() and "not" in banned.split()


def test_verbs_of_one_action_are_compared_as_one_class_and_nouns_are_left_alone():
    spans = ["Bring in the politicians", "get involved with politicians", "Citizens United over turned",
             "Overturn Citizens United", "train service to Nashville", "campaign finance reform",
             "training for end users"]
    assert comparable_spans(spans) == ["engage the politicians", "engage politicians", "Citizens United overturn",
                                       "overturn Citizens United", "train service to Nashville",
                                       "campaign finance reform", "training for end users"]


def test_a_text_asks_in_form_with_a_request_frame_not_with_a_describing_modal_or_praise():
    assert framed("OCP could interfere and get involved with politicians.")
    assert framed("I understand they push the government but they also need to be critical.")
    assert framed("We would love more bike lanes") and framed("Still lacks private sector angle")
    assert not framed("I believe that OCP is doing something like this and that it can make it.")
    assert not framed("We love OCP's approach but if we do not get it right it will be a big miss.")
    assert not framed("Great example of how to build a standard.") and not framed("It is a great tool and easy to use.")
    assert not framed("The events were very relevant and important for networking.")


def test_cores_are_lemmatised_without_determiners_and_never_empty():
    assert ask_cores(["Bring in the politicians."]) == ["bring in politician"]
    assert ask_cores(["Need more"]) != [""]


def _quote(quote_id: str, response_id: str, text: str, section: str = "2.1 Strategy", duplicate_of=None) -> Quote:
    return Quote(quote_id, "interview.txt", section, "What should the OCP do?", response_id, None, True, text,
                 0, len(text), duplicate_of)


def _unit(*rows: list[float]) -> np.ndarray:
    m = np.asarray(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


class _FakeEmbed:
    """Ask spans mapped to fixed vectors: the test decides which asks are alike."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors
        self.calls: list[list[str]] = []

    def __call__(self, texts):
        self.calls.append(list(texts))
        return _unit(*[self.vectors[t] for t in texts])


def test_asks_join_different_respondents_on_what_they_ask_for_and_rank_by_support():
    quotes = [
        _quote("q1", "r1", "They should engage politicians."),
        _quote("q2", "r2", "Bring in the politicians.", section="3.2 Partners"),
        _quote("q3", "r3", "Need more journalists"),
        _quote("q4", "r3", "The weather was fine."),
    ]
    # Whole sentences far apart; their ask spans close: the spans decide.
    full = _unit([1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1])
    # Spans are compared with their verbs in classes: "Bring in" is "engage".
    embed = _FakeEmbed({"engage politicians": [1, 0.1, 0], "engage the politicians": [1, 0.12, 0],
                        "journalists": [0, 0, 1]})
    asks = build_asks(quotes, full, [True, True, True, False], [0.8, 0.9, 0.95, 0.1], [4, 4, 7, -1], embed)

    assert [a.support for a in asks] == [2, 1]
    top = asks[0]
    assert top.quote_ids == ("q1", "q2") and top.response_ids == ("r1", "r2")
    assert top.respondent_ids == ("r1", "r2")
    assert top.text == "Bring in the politicians." and top.quote_id == "q2"
    assert top.sections == ("2.1 Strategy", "3.2 Partners")
    assert top.name in {"Engage politicians", "Bring in the politicians"}
    assert asks[1].name == "More journalists" and asks[1].topic_id == 7
    assert embed.calls == [["engage politicians", "engage the politicians", "journalists"]]


def test_an_undetected_request_joins_a_close_ask_of_another_respondent_but_never_starts_one():
    quotes = [
        _quote("q1", "r1", "Bring in the politicians."),
        _quote("q2", "r2", "OCP could get involved with politicians."),  # below threshold, asks in form
        _quote("q3", "r3", "The politicians were at the conference."),  # close, but no request frame
        _quote("q4", "r1", "They should get involved with politicians."),  # r1 is in the ask already
        _quote("q5", "r4", "They should hire more staff."),  # below threshold, like nothing detected
        _quote("q6", "r5", "They should hire more staff too."),
        _quote("q7", "r6", "OCP should get involved with politicians."),  # close, below the floor
        _quote("q8", "r7", "They should write about politicians."),  # whole 1.0, span 0.6: spans decide
    ]
    full = _unit([1, 0], [1, 0.05], [1, 0.02], [1, 0.01], [0, 1], [0, 1], [1, 0.03], [1, 0])
    spans = ask_spans([q.text for q in quotes])
    embed = _FakeEmbed({s: ([0, 1] if "staff" in s else [1, 1.3] if "write" in s else [1, 0.05]) for s in spans})
    embed.vectors["engage the politicians"] = embed.vectors["engage politicians"] = [1, 0.04]
    args = (quotes, full, [True] + [False] * 7, [0.91, 0.34, 0.5, 0.4, 0.4, 0.4, 0.2, 0.5], [0] * 8, embed)

    (ask,) = build_asks(*args)
    assert ask.quote_ids == ("q1", "q2") and ask.support == 2
    # The ask's text, name and confidence stay those of its detected member.
    assert ask.text == "Bring in the politicians." and ask.name == "Bring in the politicians"
    assert [a.quote_ids for a in build_asks(*args, join_floor=None)] == [("q1",)]


def test_one_respondent_asking_twice_is_support_one_and_duplicates_add_nothing():
    quotes = [
        _quote("q1", "r1", "Need more journalists"),
        _quote("q2", "r1", "We need more journalists."),
        _quote("q3", "r2", "Need more journalists", duplicate_of="q1"),
    ]
    embed = _FakeEmbed({"journalists": [1, 0]})
    asks = build_asks(quotes, _unit([1, 0], [1, 0], [1, 0]), [True] * 3, [0.9] * 3, [0] * 3, embed)

    assert [(a.support, a.quote_ids) for a in asks] == [(1, ("q1", "q2"))]


def test_a_chain_of_loosely_related_asks_does_not_collapse():
    # a~b and b~c are close, a and c are not: average linkage keeps a and c apart.
    v = _unit([1, 0], [np.cos(0.5), np.sin(0.5)], [np.cos(1.0), np.sin(1.0)])
    groups = group_asks(v, v, threshold=0.85)
    assert sorted(map(len, groups)) == [1, 2]


def test_a_shared_subject_does_not_join_two_different_asks():
    # Whole texts close (same organisation, same praise), ask spans unrelated: two asks.
    full = _unit([1, 0], [np.cos(0.3), np.sin(0.3)])
    span = _unit([1, 0], [0, 1])
    assert sorted(map(len, group_asks(full, span, threshold=0.73))) == [1, 1]
    # The same whole texts with related spans are one ask.
    assert [len(g) for g in group_asks(full, full, threshold=0.73)] == [2]
    # Related spans join whole texts that are far apart.
    assert [len(g) for g in group_asks(span, full, threshold=0.73)] == [2]


def test_no_recommendation_means_no_ask_and_misaligned_inputs_are_refused():
    quotes = [_quote("q1", "r1", "Fine.")]
    assert build_asks(quotes, _unit([1, 0]), [False], [0.1], [0], _FakeEmbed({})) == []
    with pytest.raises(ValueError, match="1 quotes"):
        build_asks(quotes, _unit([1, 0], [0, 1]), [True], [0.9], [0], _FakeEmbed({}))


def test_the_strong_cue_floor_can_be_limited_to_short_texts():
    from nlp.recommendations import RecommendationHead
    from nlp.recommendations.rules import CUES

    strong = np.zeros((2, len(CUES)), dtype=np.float32)
    strong[:, CUES.index("imperative")] = 1.0
    head = RecommendationHead(coef=np.zeros(2 + len(CUES)), intercept=-5.0, threshold=0.6, cues=CUES,
                              strong_floor=0.9, embedding_sha256="x", floor_max_words=10)
    proba = head.proba(np.zeros((2, 2)), strong, np.array([4, 30]))
    assert proba[0] == pytest.approx(0.9) and proba[1] < 0.01
    with pytest.raises(ValueError, match="n_words"):
        head.proba(np.zeros((2, 2)), strong)
    again = RecommendationHead.from_dict(head.to_dict())
    assert again.floor_max_words == 10


def test_spans_that_name_nothing_are_compared_on_their_whole_quotes():
    # "Um" and "Yeah" from two people embed alike; their quotes do not: no ask of two.
    quotes = [_quote("q1", "r1", "Um, go for it."), _quote("q2", "r2", "Yeah, let me know.")]
    embed = _FakeEmbed({"Um": [1, 0], "Yeah": [1, 0], "Um, go for it": [1, 0], "Yeah, let me know": [1, 0]})
    spans_seen = ask_spans([q.text for q in quotes])
    embed.vectors.update({s: [1, 0] for s in spans_seen})
    asks = build_asks(quotes, _unit([1, 0], [0, 1]), [True, True], [0.9, 0.9], [0, 0], embed)
    assert [a.support for a in asks] == [1, 1]


def test_said_in_conversation_an_ask_that_names_nothing_makes_no_ask():
    """ "Go fix it." in a transcript points at what was said before; written, it stays an ask."""
    from dataclasses import replace

    written = [_quote("q1", "r1", "Go fix it."), _quote("q2", "r2", "They need more advanced planning.")]
    spoken = [replace(q, speaker="Interviewee") for q in written]
    embed = _FakeEmbed({s: v for s, v in zip(ask_spans([q.text for q in written]), ([1, 0], [0, 1]))})
    args = (_unit([1, 0], [0, 1]), [True, True], [0.9, 0.8], [0, 0], embed)

    assert sorted(a.quote_id for a in build_asks(written, *args)) == ["q1", "q2"]
    assert [a.quote_id for a in build_asks(spoken, *args)] == ["q2"]


def test_in_conversation_a_framed_ask_ranks_above_a_bare_imperative():
    """Said, "Come back an hour later." more often narrates than asks; written, it asks."""
    from dataclasses import replace

    written = [_quote("q1", "r1", "Come back an hour later."), _quote("q2", "r2", "We need a fallback plan.")]
    spoken = [replace(q, speaker="Interviewee") for q in written]
    embed = _FakeEmbed({s: v for s, v in zip(ask_spans([q.text for q in written]), ([1, 0], [0, 1]))})
    args = (_unit([1, 0], [0, 1]), [True, True], [0.95, 0.85], [0, 0], embed)

    assert [a.quote_id for a in build_asks(written, *args)] == ["q1", "q2"]  # by confidence
    said = build_asks(spoken, *args)
    assert [a.quote_id for a in said] == ["q2", "q1"] and [a.support for a in said] == [1, 1]


def test_an_ask_whose_span_names_nothing_is_named_from_its_quote():
    text = "Um, I say, hey, maybe I can create a new feature between these two data points."
    quotes = [_quote("q1", "r1", text), _quote("q2", "r2", "They need more advanced planning.")]
    spans = ask_spans([q.text for q in quotes])
    embed = _FakeEmbed({s: v for s, v in zip(spans, ([1, 0], [0, 1]))})
    asks = build_asks(quotes, _unit([1, 0], [0, 1]), [True, True], [0.9, 0.8], [0, 0], embed)
    names = {a.quote_id: a.name for a in asks}
    assert names == {"q1": "I say, hey, maybe I can create a new feature …", "q2": "More advanced planning"}


@pytest.mark.parametrize(
    ("span", "name"),
    [
        ("Mention them, we will ignore them. Okay. Cool. Okay.", "Mention them, we will ignore them."),
        ("Go fix it. And then it helps in the long term.", "Go fix it."),
        # A first "sentence" of one word is no name: the span is kept.
        ("Yes. Fund the helpdesk", "Yes. Fund the helpdesk"),
        # A name ends on its last word of substance, not on one the speaker left hanging.
        ("think about these things within", "Think about these things"),
        ("fallback plan whatsoever", "Fallback plan"),
        ("ask for a room on", "Ask for a room"),
        ("name whatever we want to", "Name whatever we want to"),  # a verb's "to" may end it
        ("log in", "Log in"),
    ],
)
def test_an_ask_is_named_with_its_first_sentence(span, name):
    assert ask_name(span) == name


def test_more_support_ranks_first_and_ids_do_not_depend_on_input_order():
    # Three respondents ask for the same thing; one asks for something else, more confidently.
    quotes = [
        _quote("a1", "r1", "Publish evidence of impact"),
        _quote("a2", "r2", "Publish impact evidence"),
        _quote("a3", "r3", "Publish the evidence of impact"),
        _quote("b1", "r4", "Hire more staff"),
    ]
    full = _unit([1, 0.01], [1, 0.02], [1, 0.03], [0, 1])
    spans = ask_spans([q.text for q in quotes])
    embed = _FakeEmbed({s: ([0, 1] if "staff" in s else [1, 0.02]) for s in spans})
    args = (quotes, full, [True] * 4, [0.7, 0.7, 0.7, 0.95], [0, 0, 0, 1])
    first = build_asks(*args, embed)
    again = build_asks(*(a[::-1] for a in args), embed)

    assert [a.support for a in first] == [3, 1]
    assert 0.0 <= first[1].score < first[0].score <= 1.0
    assert {a.recommendation_id for a in first} == {a.recommendation_id for a in again}


def test_a_span_that_says_all_of_another_spans_words_joins_it_if_they_are_not_far_apart():
    short, long = content_words("advanced planning"), content_words("advanced agenda or planning sharing system")
    assert short == {"advanced", "planning"} and short < long
    # Cosine 0.6 on both texts and spans: below the threshold, above CONTAINED_FLOOR.
    close = _unit([1, 0], [0.6, 0.8])
    assert sorted(map(len, group_asks(close, close, threshold=0.73))) == [1, 1]
    assert [len(g) for g in group_asks(close, close, threshold=0.73, words=[short, long])] == [2]
    # Far apart (0.3), the shared words do not join them.
    far = _unit([1, 0], [0.3, np.sqrt(1 - 0.09)])
    assert sorted(map(len, group_asks(far, far, threshold=0.73, words=[short, long]))) == [1, 1]
    # Nor an ask and its opposite.
    assert sorted(map(len, group_asks(close, close, 0.73, negative=[False, True], words=[short, long]))) == [1, 1]


@pytest.mark.parametrize("spans", [
    ["advanced planning", "advanced agenda or planning sharing system in place for every member country"],  # 9 words
    ["planning", "advanced planning"],  # one word says too little
    ["Bowling Green", "Bowling Green a safer place to live"],  # a name is the subject of many asks
    ["go to $15 per hour", "tax credit only for paying workers $10 per hour"],  # function words do not count
    ["go for a test drive", "Forget about a test drive or even kicking the tires"],  # one asks against it
])
def test_shared_words_do_not_join_asks_that_say_much_more_or_little(spans):
    assert contained_pairs([content_words(s) for s in spans]) == []


def _three_asks(embedder, texts: list[str], topics: list[int]):
    """The asks of three detected quotes (confidence 0.9, 0.8, 0.7) of three respondents, real vectors."""
    quotes = [_quote(f"q{k}", f"r{k}", text) for k, text in enumerate(texts, 1)]
    vectors = embedder.embed(texts)
    return build_asks(quotes, vectors, [True] * 3, [0.9, 0.8, 0.7], topics, embedder.embed)


@pytest.mark.slow
@pytest.mark.parametrize(("pair", "name"), [
    (["The OCP should engage more with politicians.", "OCP needs to engage politicians more."], None),
    # The seed's planning request, 0.66 alike: below the threshold, joined on their shared words.
    (["They need more advanced planning",
      "Would be nice to have an advanced agenda or planning sharing system in place"], "More advanced planning"),
])
def test_paraphrases_from_two_respondents_are_one_ask_and_a_different_ask_stays_apart(real_embedder, pair, name):
    asks = _three_asks(real_embedder, [*pair, "They should publish more case studies."], [0, 0, 1])

    assert [(a.support, set(a.quote_ids)) for a in asks] == [(2, {"q1", "q2"}), (1, {"q3"})]
    assert asks[0].text == pair[0]
    assert name is None or asks[0].name == name
    assert asks[1].topic_id == 1 and asks[1].section == "2.1 Strategy"


@pytest.mark.slow
def test_an_ask_and_its_opposite_are_never_one_ask(real_embedder):
    # As in a Polis conversation, where they were one ask of support 6 before.
    asks = _three_asks(real_embedder, [
        "Marijuana should be legalized and taxed.",
        "Marijuana should be legalized.",
        "Marijuana should not be legalized.",
    ], [0, 0, 0])
    assert [(a.support, set(a.quote_ids)) for a in asks] == [(2, {"q1", "q2"}), (1, {"q3"})]


@pytest.mark.parametrize(
    ("text", "against"),
    [
        ("Marijuana should not be legalized.", True),
        ("We don't need more roads.", True),  # the span, "roads", lost the negation with its frame
        ("There should be no tax increase.", True),
        ("Bowling Green needs no new hotels.", True),
        ("The city should never sell the park.", True),
        ("Don't raise taxes.", True),
        ("Marijuana should be legalized and taxed.", False),
        ("There is no intentional private sector engagement at the moment.", False),  # a lack: asks for it
        ("Not enough parking downtown, we need more lots.", False),
        ("Although it is not cheap, we need more buses.", False),
        ("Corporations are not persons and the Citizens United decision needs to be overturned.", False),
    ],
)
def test_an_ask_against_something_is_told_from_one_for_it(text, against):
    from nlp.recommendations.span_words import negated

    assert negated(ask_spans([text])[0], text) is against


def test_a_name_cut_inside_its_clause_is_told_from_one_that_ends_a_clause():
    from nlp.recommendations.span_words import ends_mid_clause

    # Transcripts' ask spans cut short: a subject (and its modal) waiting for a verb, a hesitation.
    assert ends_mid_clause("Way for letter I could") and ends_mid_clause("See if there was any change that oh")
    assert ends_mid_clause("Record the whereabouts of people and they") and ends_mid_clause("Earlier I")
    # Clauses that end there, and a name shortened to its length on purpose.
    whole = ["Help us if you could", "Keep things as they are", "Add another 5 years to that", "Fund Phase I"]
    assert not any(map(ends_mid_clause, whole))
    assert not ends_mid_clause("Engage the legislature or leaders of government to champion it …")


def test_a_name_names_something_only_with_a_word_that_says_what():
    from nlp.recommendations.asks import names_something

    assert names_something("Journalists") and names_something("Public channel")
    assert not any(map(names_something, ["Um", "See", "Do to it", "Remove them", "Fix it"]))
    assert names_something("Remove the old dashboards")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Need more journalists (ICIJ, etc.).", "More journalists"),
        ("OCP is creating a field but needs more strengthening.", "More strengthening"),
        ("There should be less bureaucracy.", "Less bureaucracy"),
        ("Bring in the politicians.", "Bring in the politicians"),
        ("We want no more meetings.", "No more meetings"),  # the negation is kept with the quantity
    ],
)
def test_an_ask_is_named_with_the_quantity_its_frame_asked_for(text, name):
    assert ask_name(ask_phrases([text])[0], text) == name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The OCP could be more critical in its position, and push for more.", "Be more critical in its position"),
        ("They need to be very focused because they lack capacity.", "Be very focused"),
        ("Would be good to do that for other places as well.", "Do that for other places"),
        ("We need to make the data public.", "Make the data public"),
        # "Be" before a thing or an -ing form is no action of its own.
        ("By 2022 there should be a base of how to improve", "Base of how to improve"),
        ("We need to be looking at other methods of travel", "Looking at other methods of travel"),
        # Advice on a condition is named by what follows the condition.
        ("If you arrive by car, be prepared to pay for parking.", "Be prepared to pay for parking"),
        # "either" before the action names nothing.
        ("So you have to either fine tune your data.", "Fine tune your data"),
        # "see if" is the action itself: check whether.
        ("It would be good to see if the portal works offline.", "See if the portal works offline"),
    ],
)
def test_an_ask_is_named_from_its_action_verb(text, name):
    """The span compared drops light verbs ("focused"); a report writer reads "Be very focused"."""
    assert ask_name(ask_phrases([text])[0], text) == name
