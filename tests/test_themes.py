"""Two-level themes, their names and their cards, on hand-made vectors (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.schemas import Quote, Topic
from nlp.topics.cards import describe, pick_card_quotes
from nlp.topics.hierarchy import build_hierarchy, group_subthemes, n_parents_for
from nlp.topics.label_memory import PreviousLabel, kept_labels
from nlp.topics.lineage import PreviousTopic
from nlp.topics.naming import name_themes
from nlp.topics.themes import build_themes


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def _quote(i: int, text: str, respondent: str, duplicate_of: str | None = None) -> Quote:
    return Quote(f"q{i}", "a.txt", "1.1 Intro", "Why?", respondent, None, False, text, 0, len(text), duplicate_of)


# Three sub-themes about funding and two about the helpdesk, in 4 dimensions.
CENTROIDS = {
    0: _unit([1, 0.1, 0, 0]),
    1: _unit([1, 0, 0.1, 0]),
    2: _unit([1, 0.05, 0.05, 0.1]),
    3: _unit([0, 0, 1, 1]),
    4: _unit([0, 0.1, 1, 1]),
}


def test_grouping_puts_near_subthemes_together_whatever_the_order():
    sizes = {t: 10 for t in CENTROIDS}
    groups = group_subthemes(CENTROIDS, sizes, 2)
    assert groups[0] == groups[1] == groups[2] != groups[3] == groups[4]
    shuffled = {t: CENTROIDS[t] for t in (4, 2, 0, 3, 1)}
    assert group_subthemes(shuffled, sizes, 2) == groups


def test_top_level_has_a_handful_of_themes():
    assert n_parents_for(18) == 6
    assert n_parents_for(60) == 12
    assert 4 <= n_parents_for(13) <= 6
    assert n_parents_for(5) == 2  # never a parent per sub-theme
    assert n_parents_for(1) == 1


def _corpus(rng: np.random.Generator, jitter: float = 0.02):
    topic_of = np.repeat(list(CENTROIDS), 6)
    vectors = np.stack([_unit(CENTROIDS[t] + rng.normal(0, jitter, 4)) for t in topic_of])
    return topic_of, vectors


def test_parent_ids_survive_a_rerun_and_never_collide_with_topic_ids():
    topic_of, vectors = _corpus(np.random.default_rng(0))
    first = build_hierarchy(topic_of, vectors, [], next_id=5, run_id="r1", n_parents=2)
    assert set(first.centroids) == {5, 6}
    assert not set(first.centroids) & set(CENTROIDS)
    previous = [PreviousTopic(p, c, first.lineage.first_seen_run[p]) for p, c in first.centroids.items()]
    # The rerun sees slightly different vectors, as after adding a file.
    topic_of2, vectors2 = _corpus(np.random.default_rng(1))
    again = build_hierarchy(topic_of2, vectors2, previous, next_id=first.lineage.next_id, run_id="r2", n_parents=2)
    assert again.parent_of == first.parent_of
    assert set(again.lineage.status.values()) == {"kept"}
    assert again.lineage.first_seen_run == {5: "r1", 6: "r1"}


TEXTS = [
    "The helpdesk answered our questions about the data standard within a day.",
    "We asked the helpdesk about the data standard and got help fast.",
    "Without the helpdesk we could not have published the data standard.",
    "Funding for training costs would let us train more staff.",
    "We need funding for training costs of new staff.",
    "Training costs are high, so funding matters to us.",
    "The private sector should be engaged with business associations.",
    "Engaging the private sector is still missing in the country.",
    "There is no private sector engagement at the moment.",
]


def _text_vectors(texts: list[str]) -> np.ndarray:
    """Bag-of-words vectors: enough for naming, which only needs a centre to rank quotes by."""
    vocab = sorted({w.strip(".,").lower() for t in texts for w in t.split()})
    rows = [[t.lower().count(w) for w in vocab] for t in texts]
    return np.stack([_unit(r) for r in rows])


def test_names_are_short_unique_phrases_from_their_own_quotes():
    vectors = _text_vectors(TEXTS)
    groups = {0: [0, 1, 2], 1: [3, 4, 5], 2: [6, 7, 8]}
    centroids = {g: _unit(vectors[m].mean(axis=0)) for g, m in groups.items()}
    names = name_themes(groups, TEXTS, vectors, centroids)
    assert len(set(n.lower() for n in names.values())) == 3
    for g, name in names.items():
        assert 2 <= len(name.split()) <= 6, name
        assert name[0].isupper()
        assert "," not in name
        assert any(name.lower() in TEXTS[i].lower() for i in groups[g]), name
    assert "helpdesk" in names[0].lower() or "data standard" in names[0].lower()
    assert "private sector" in names[2].lower()


def test_two_themes_never_share_a_name():
    texts = TEXTS[6:9] * 2
    vectors = _text_vectors(texts)
    groups = {0: [0, 1, 2], 1: [3, 4, 5]}
    centroids = {g: _unit(vectors[m].mean(axis=0)) for g, m in groups.items()}
    names = name_themes(groups, texts, vectors, centroids)
    assert names[0].lower() != names[1].lower()


def test_card_evidence_comes_from_distinct_respondents_and_never_shows_a_copy():
    quotes = [
        _quote(0, "The helpdesk answered our questions about the standard within a day.", "r1"),
        _quote(1, "The helpdesk also helped us with the terms of reference of our tender.", "r1"),
        _quote(2, "The helpdesk answered our questions about the standard within a day.", "r2", duplicate_of="q0"),
        _quote(3, "We asked the helpdesk about the standard and it helped us quickly.", "r3"),
        _quote(4, "Helpdesk staff were quick to reply to every question we sent them.", "r4"),
        _quote(5, "Travel budgets for the regional meeting were too small this year.", "r5"),
    ]
    centre = _unit([1, 0])
    vectors = np.stack([_unit(v) for v in ([1, 0.05], [1, 0.1], [1, 0.05], [1, 0.2], [1, 0.3], [0.2, 1])])
    picks = pick_card_quotes(range(6), quotes, vectors, centre)
    shown = {q.quote_id: q for q in quotes}
    respondents = [shown[i].response_id for i in picks.evidence_quote_ids]
    assert len(picks.evidence_quote_ids) == 3 and len(set(respondents)) == 3
    assert "q2" not in picks.evidence_quote_ids and picks.description_quote_id != "q2"
    assert picks.boundary_quote_id == "q5"
    assert picks.description.startswith("The helpdesk answered")


def test_a_card_shows_quotes_said_without_hesitation_first():
    quotes = [
        _quote(0, "Um, so most of the time it was, um, rather we needed the data.", "r1"),
        _quote(1, "We never had enough labelled data for the second model.", "r2"),
        _quote(2, "Uh, the data came late, uh, every single quarter.", "r3"),
        _quote(3, "Public data sets were too small for what we wanted to predict.", "r4"),
        _quote(4, "Most of the data we bought was not suitable for our needs.", "r5"),
    ]
    vectors = np.stack([_unit(v) for v in ([1, 0.0], [1, 0.05], [1, 0.1], [1, 0.15], [1, 0.9])])
    picks = pick_card_quotes(range(5), quotes, vectors, _unit([1, 0]))
    # The clean quotes lead, the central half's first; a hesitant one comes after them, even
    # when it is more central.
    assert picks.description.startswith("We never had enough labelled data")
    assert picks.evidence_quote_ids == ("q3", "q4", "q0")


def test_a_theme_is_described_by_a_statement_not_a_question():
    quotes = [
        _quote(0, "Is the helpdesk working with other initiatives in the region?", "r1"),
        _quote(1, "The helpdesk answered our questions about the standard within a day.", "r2"),
        _quote(2, "Helpdesk staff were quick to reply to every question we sent them.", "r3"),
    ]
    vectors = np.stack([_unit(v) for v in ([1, 0.0], [1, 0.1], [1, 0.2])])
    picks = pick_card_quotes(range(3), quotes, vectors, _unit([1, 0]))
    assert picks.description == "The helpdesk answered our questions about the standard within a day."
    questions_only = pick_card_quotes(range(1), quotes, vectors, _unit([1, 0]))
    assert questions_only.description.endswith("?")


def _in_a_line(texts: list[str], step: float, **kwargs):
    """Card picks of ``texts`` said by one respondent each, each ``step`` further from the centre."""
    quotes = [_quote(i, t, f"r{i}") for i, t in enumerate(texts)]
    vectors = np.stack([_unit([1, step * i]) for i in range(len(texts))])
    return pick_card_quotes(range(len(texts)), quotes, vectors, _unit([1, 0]), **kwargs)


def test_a_description_says_what_the_theme_is_about_among_its_most_central_statements():
    texts = [
        "So I think that is basically how it went for us back then.",
        "The helpdesk answered our questions about the standard within a day.",
        "We asked around and people were generally quite happy with it.",
    ]
    plain = _in_a_line(texts, 0.1)
    told = _in_a_line(texts, 0.1, keywords=("helpdesk", "standard questions"))
    assert plain.description_quote_id == "q0"  # no keywords: the most central statement
    assert told.description_quote_id == "q1" and "q0" in told.evidence_quote_ids


def test_a_description_speaks_of_the_themes_name_where_a_central_statement_does():
    from nlp.topics.phrases import PhraseTokenizer

    tok = PhraseTokenizer()
    texts = [
        "The city needs to keep more of the farmland it is losing to development.",
        "Traffic on the bypass is worse every year, in both directions.",
        "We need more shelters and aid for the homeless in the winter.",
    ]
    keywords = ("farmland", "traffic", "homeless")
    unnamed = _in_a_line(texts, 0.1, keywords=keywords)
    named = _in_a_line(texts, 0.1, keywords=keywords, name_words=tok.lemmas("Aid for the homeless"), words_of=tok.lemmas)
    assert unnamed.description_quote_id == "q0"  # every statement holds one keyword: the most central
    assert named.description == "We need more shelters and aid for the homeless in the winter."
    far = _in_a_line([*texts[:2], *["Nothing else to add about the city, really, at this point."] * 3, texts[2]], 0.1,
                     keywords=keywords, name_words=tok.lemmas("Aid for the homeless"), words_of=tok.lemmas)
    assert far.description_quote_id == "q0"  # past the five most central statements the name does not reach


def test_a_top_level_description_is_not_a_sentence_its_sub_themes_already_say():
    quotes = [
        _quote(0, "The helpdesk answered our questions about the standard within a day.", "r1"),
        _quote(1, "Helpdesk staff were quick to reply to every question we sent them.", "r2"),
    ]
    vectors = np.stack([_unit(v) for v in ([1, 0.0], [1, 0.1])])
    beside_child = pick_card_quotes(range(2), quotes, vectors, _unit([1, 0]), taken={"q0"})
    assert beside_child.description_quote_id == "q1"
    # With nothing else to say, the sentence is said again rather than none.
    alone = pick_card_quotes(range(1), quotes, vectors, _unit([1, 0]), taken={"q0"})
    assert alone.description_quote_id == "q0"


def test_evidence_leads_with_central_quotes_that_name_what_the_theme_is_about():
    texts = [
        "We talked about many things with them over the years, mostly in meetings.",
        "They answered every question we had, and quickly, whenever we asked.",
        "The helpdesk explained the standard to our developers in a single call.",
        "Our developers learned the standard from the helpdesk's written guidance.",
    ]
    plain = _in_a_line(texts, 0.05, n_evidence=2)
    told = _in_a_line(texts, 0.05, n_evidence=2, keywords=("helpdesk", "standard"))
    assert plain.evidence_quote_ids == ("q1", "q2")  # most central after the description's
    assert told.description_quote_id == "q2"
    assert told.evidence_quote_ids == ("q3", "q0")  # the other that names the helpdesk first


def test_the_boundary_quote_is_the_furthest_that_still_says_something_of_the_theme():
    texts = [
        "The helpdesk explained the standard to our developers in a single call.",
        "Our developers learned the standard from the helpdesk's written guidance.",
        "The helpdesk answered our questions about the standard within a day.",
        "We asked the helpdesk twice about the standard and heard back fast.",
        "The helpdesk staff also trained two of our new analysts last spring.",
        "Later on the helpdesk also reviewed our published data for errors.",
        "Is this thing still recording?",
    ]
    plain = _in_a_line(texts, 0.1)
    told = _in_a_line(texts, 0.1, keywords=("helpdesk",))
    assert plain.boundary_quote_id == "q6"  # without keywords, the least central of four words or more
    assert told.boundary_quote_id == "q5"  # stray talk at the edge is passed over


def test_one_persons_theme_is_not_evidenced_by_its_own_description():
    quotes = [_quote(i, t, "r1") for i, t in enumerate(TEXTS[:3])]
    vectors = np.stack([_unit([1, 0.1 * i]) for i in range(3)])
    picks = pick_card_quotes(range(3), quotes, vectors, _unit([1, 0]))
    assert len(picks.evidence_quote_ids) == 1 and picks.description_quote_id not in picks.evidence_quote_ids


def test_top_level_evidence_leaves_out_what_its_sub_themes_say_while_others_can_fill_it():
    quotes = [_quote(i, f"The helpdesk answered question number {i} about the standard quickly.", f"r{i}") for i in range(5)]
    vectors = np.stack([_unit([1, 0.05 * i]) for i in range(5)])
    plain = pick_card_quotes(range(5), quotes, vectors, _unit([1, 0]))
    assert plain.evidence_quote_ids == ("q1", "q2", "q3")
    beside = pick_card_quotes(range(5), quotes, vectors, _unit([1, 0]), taken={"q2"})
    assert beside.evidence_quote_ids == ("q1", "q3", "q4")
    # Too few others: the sentence is shown again rather than a card with fewer quotes.
    few = pick_card_quotes(range(4), quotes, vectors, _unit([1, 0]), taken={"q2"})
    assert few.evidence_quote_ids == ("q1", "q2", "q3")


def test_a_sentence_its_speaker_left_off_describes_only_when_no_finished_one_says_as_much():
    quotes = [
        _quote(0, "It's really important that it determines the success of your model in the.", "r1"),
        _quote(1, "Let's say you produce a model and it runs every single day.", "r2"),
    ]
    vectors = np.stack([_unit(v) for v in ([1, 0.0], [1, 0.1])])
    picks = pick_card_quotes(range(2), quotes, vectors, _unit([1, 0]), keywords=("model",))
    assert picks.description == "Let's say you produce a model and it runs every single day."
    assert describe(quotes[0].text) == "It's really important that it determines the success of your model in the…"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("· “They need a plan on how to bring in civil society. Someone should lead.”", "They need a plan on how to bring in civil society."),
        ("Yes. The events were useful for meeting other reformers in the region", "The events were useful for meeting other reformers in the region."),
        (" ".join(f"word{i}" for i in range(40)), " ".join(["Word0"] + [f"word{i}" for i in range(1, 30)]) + "…"),
        # Speech reads as a clean verbatim transcript: no self-repairs, no hesitations.
        ("So it's like, it's like, uh, really complex stuff to explain your model.",
         "It's like really complex stuff to explain your model."),
        # Openers, restarts and false starts of speech go; a "So" of degree and a "Like" that
        # compares stay.
        ("And then you can calculate accuracy metrics within those scenarios.",
         "Then you can calculate accuracy metrics within those scenarios."),
        ("So yeah, a lot of open data for me, open source.", "A lot of open data for me, open source."),
        ("I don't, I would say the client understands the data.", "I would say the client understands the data."),
        ("So that's where, that's why my mind went to production systems.",
         "That's why my mind went to production systems."),
        ("So the it's like a byproduct of assessing accuracy.", "It's like a byproduct of assessing accuracy."),
        ("So far, the helpdesk has been very useful to us.", "So far, the helpdesk has been very useful to us."),
        ("Like the other partners, we need more support.", "Like the other partners, we need more support."),
        ("Right now the IT team is small and overloaded.", "Right now the IT team is small and overloaded."),
        ("Suppose your, your file you are using, they just changed all.", "Suppose your file you are using, they just changed all."),
        # A sentence its speaker left on a comma is unfinished, not ended.
        ("You know, if you find a common language,", "If you find a common language…"),
    ],
)
def test_a_description_is_one_trimmed_sentence(text, expected):
    assert describe(text) == expected


def test_build_themes_names_both_levels_and_keeps_topic_ids():
    quotes = [_quote(i, t, f"r{i % 4}") for i, t in enumerate(TEXTS)]
    vectors = _text_vectors(TEXTS)
    topic_of = [0, 0, 0, 1, 1, 1, 2, 2, 2]
    topics = [Topic(t, f"kw{t}", (f"kw{t}", "x", "y"), 3, 3, ()) for t in (0, 1, 2)]
    themes = build_themes(quotes, vectors, topic_of, topics, n_parents=2, run_id="r1")
    assert [t.topic_id for t in themes.topics] == [0, 1, 2]
    assert set(themes.parent_of) == {0, 1, 2}
    assert {p.parent_id for p in themes.parents} == {3, 4}
    labels = [t.label for t in themes.topics] + [p.label for p in themes.parents]
    assert len({label.lower() for label in labels}) == 5
    assert themes.next_id == 5
    assert sum(p.size for p in themes.parents) == 9
    # A report shows a top-level theme's sentence above its sub-themes' own: never the same one.
    said_below = {themes.picks[t].description_quote_id for t in themes.parent_of}
    assert not said_below & {p.picks.description_quote_id for p in themes.parents}


def _themes_of_texts(topic_of, previous_labels=None, pinned=None):
    quotes = [_quote(i, t, f"r{i % 4}") for i, t in enumerate(TEXTS)]
    topics = [Topic(t, f"kw{t}", (f"kw{t}", "x", "y"), 3, 3, ()) for t in sorted(set(topic_of))]
    return build_themes(
        quotes, _text_vectors(TEXTS), topic_of, topics, n_parents=2, run_id="r2",
        previous_labels=previous_labels, pinned=pinned,
    )


def test_a_rerun_keeps_the_label_of_a_theme_that_holds_the_same_quotes():
    topic_of = [0, 0, 0, 1, 1, 1, 2, 2, 2]
    fresh = {t.topic_id: t.label for t in _themes_of_texts(topic_of).topics}
    # The last run named the helpdesk theme otherwise (its corpus differed); it holds the same quotes now.
    before = {("t", 0): PreviousLabel("Help from the desk", frozenset({"q0", "q1", "q2"})),
              # The funding theme held other quotes then: it is named afresh.
              ("t", 1): PreviousLabel("Old funding name", frozenset({"q3", "q9", "q10"}))}
    themes = _themes_of_texts(topic_of, before)
    labels = {t.topic_id: t.label for t in themes.topics}
    assert labels[0] == "Help from the desk"
    assert labels[1] == fresh[1] != "Old funding name"
    everything = [*labels.values(), *(p.label for p in themes.parents)]
    assert len({label.lower() for label in everything}) == len(everything)


def test_a_pinned_label_wins_over_a_kept_one():
    topic_of = [0, 0, 0, 1, 1, 1, 2, 2, 2]
    before = {("t", 0): PreviousLabel("Help from the desk", frozenset({"q0", "q1", "q2"}))}
    themes = _themes_of_texts(topic_of, before, pinned={2: "Help from the desk"})
    labels = {t.topic_id: t.label for t in themes.topics}
    assert labels[2] == "Help from the desk" and labels[0] != "Help from the desk"


@pytest.mark.parametrize(
    ("now", "kept"),
    [
        ({f"q{i}" for i in range(10)}, True),  # the same ten quotes
        ({f"q{i}" for i in range(10)} | {"n1", "n2"}, True),  # two new ones: 10 of 12 were there
        ({f"q{i}" for i in range(10)} | {"n1", "n2", "n3"}, False),  # grew by more than a fifth
        ({f"q{i}" for i in range(7)}, False),  # lost three of its ten
        (set(), False),
    ],
)
def test_a_label_is_kept_when_four_fifths_of_the_quotes_are_shared_both_ways(now, kept):
    before = {"a": PreviousLabel("Label", frozenset(f"q{i}" for i in range(10)))}
    assert kept_labels(before, {"a": now}) == ({"a": "Label"} if kept else {})


def test_no_top_level_theme_becomes_a_catch_all():
    # Four near-identical big sub-themes and two small distinct ones: plain Ward would put the
    # four together (80% of the quotes) before touching the small pair.
    centroids = {i: _unit([1, 0.01 * i, 0, 0]) for i in range(4)} | {4: _unit([0, 0, 1, 0]), 5: _unit([0, 0, 0, 1])}
    sizes = {0: 20, 1: 20, 2: 20, 3: 20, 4: 10, 5: 10}
    groups = group_subthemes(centroids, sizes, 3)
    share = {g: sum(sizes[t] for t in sizes if groups[t] == g) / 100 for g in set(groups.values())}
    assert max(share.values()) <= 0.4
    assert len(set(groups.values())) == 3


def test_grouping_starts_from_the_previous_top_level():
    sizes = {t: 10 for t in CENTROIDS}
    # Left alone, 2 joins the funding group; a previous run that held it with the helpdesk keeps it there.
    assert group_subthemes(CENTROIDS, sizes, 2)[2] == group_subthemes(CENTROIDS, sizes, 2)[0]
    groups = group_subthemes(CENTROIDS, sizes, 2, start=[[2, 3, 4]])
    assert groups[2] == groups[3] == groups[4] != groups[0] == groups[1]
    # A start group of sub-themes that no longer exist changes nothing.
    assert group_subthemes(CENTROIDS, sizes, 2, start=[[8, 9]]) == group_subthemes(CENTROIDS, sizes, 2)
