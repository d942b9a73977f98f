"""Theme names read as a report heading: no clause fragments, activities as gerunds, and a top-level
name that speaks for its sub-themes (fake bag-of-words vectors, no model)."""

from __future__ import annotations

import pytest

from nlp.topics.naming import SESSION5_RULES
from tests.test_naming import TOK, _name

OTHER = [
    "Travel budgets for the regional meeting were too small this year.",
    "The regional meeting had no travel budget for partners.",
    "Partners asked for a travel budget before the regional meeting.",
]


def _before_after(own: list[str], keywords=None) -> tuple[str, str]:
    """A theme of ``own`` quotes beside OTHER, named under the rules before the grammar rules, then now."""
    texts = [*own, *OTHER]
    groups = {0: list(range(len(own))), 1: list(range(len(own), len(texts)))}
    kw = {0: keywords, 1: ("travel budget",)} if keywords else None
    return _name(groups, texts, kw, rules=SESSION5_RULES)[0], _name(groups, texts, kw)[0]


def test_an_ing_word_never_starts_a_name_with_a_preposition_its_verb_does_not_take():
    before, after = _before_after([
        "This messaging is off-putting for governments.",
        "Off-putting for governments, and for donors.",
        "The tone is off-putting for governments; the data portal is fine.",
    ])
    assert before.lower() == "putting for governments"  # what the rule is there to stop
    assert not after.lower().startswith("putting"), after
    before, after = _before_after([
        "Adding with their technology and know-how.",
        "Adding with their technology; the data portal helps.",
        "They are adding with their technology every year.",
    ])
    assert before.lower().startswith("adding with"), before
    assert not after.lower().startswith("adding with"), after


def test_an_action_is_named_as_an_activity_and_a_stance_never_names_a_theme():
    before, after = _before_after([
        "They are trying to create regional hubs.",
        "We should create regional hubs.",
        "To create regional hubs takes money.",
    ])
    assert before == "Create regional hubs"
    assert after == "Creating regional hubs", after
    before, after = _before_after([
        "We love OCP's approach.",
        "I love OCP's approach.",
        "They love OCP's approach, data portal aside.",
    ])
    assert before == "Love OCP"
    assert "love" not in after.lower() and "loving" not in after.lower(), after


def test_an_adjective_and_a_generic_noun_lose_to_a_phrase_naming_the_content():
    before, after = _before_after([
        "It's a huge topic, data quality taxonomy.",
        "Huge topic: data quality taxonomy again.",
        "A huge topic, and a data quality taxonomy.",
    ], keywords=("topic", "taxonomy"))
    assert before == "Huge topic"
    assert "taxonomy" in after.lower(), after


def test_a_top_level_theme_over_unlike_sub_themes_joins_their_names():
    texts = [
        "Cloud costs grow every month.",
        "Our cloud costs doubled.",
        "Cloud costs are hard to predict.",
        "Label noise hurts the classifier.",
        "Label noise from the vendors.",
        *OTHER,
    ]
    groups = {0: [0, 1, 2, 3, 4], 1: [5, 6, 7], 2: [0, 1, 2], 3: [3, 4]}
    children = {0: [2, 3]}
    before = _name(groups, texts, pooled={0}, children=children, rules=SESSION5_RULES)
    after = _name(groups, texts, pooled={0}, children=children)
    assert before[0] in (before[2], "Cloud costs"), before  # a name that speaks for one sub-theme
    assert after[0] == f"{after[2]} and {after[3][0].lower()}{after[3][1:]}", after
    assert len(after[0].split()) <= 6 and len(set(after.values())) == len(after)


def test_a_top_level_name_that_all_sub_themes_share_is_kept():
    texts = [
        "Data quality of the sensors is poor.",
        "Sensor data quality drops in winter.",
        "Data quality checks for the labels.",
        "Label data quality is uneven.",
        *OTHER,
    ]
    groups = {0: [0, 1, 2, 3], 1: [4, 5, 6], 2: [0, 1], 3: [2, 3]}
    names = _name(groups, texts, pooled={0}, children={0: [2, 3]})
    assert "quality" in names[0].lower() and " and " not in names[0], names


def test_tokens_know_hyphenated_words_and_gerunds():
    tokens = TOK.tokens("an off-putting tone")
    assert [t.lower for t in tokens if t.hyphen_before] == ["putting"]
    assert [t.lower for t in tokens if t.hyphen_after] == ["off"]
    assert [TOK.gerund(v) for v in ("create", "map", "train", "put", "monitor")] == [
        "creating", "mapping", "training", "putting", "monitoring",
    ]


def test_a_name_ends_on_a_word_that_can_be_a_noun():
    before, after = _before_after([
        "Forecast revisions for multiple weeks ahead.",
        "Revisions for multiple weeks ahead are common.",
        "We publish revisions for multiple weeks ahead.",
    ])
    assert before.endswith("ahead"), before  # what the rule is there to stop
    assert not after.endswith("ahead") and "revision" in after.lower(), after


@pytest.mark.parametrize(
    ("quotes", "name"),
    [
        # A verb that takes its preposition still names an activity.
        (["Working with governments is slow.", "We keep working with governments on reform.",
          "Working with governments needs patience."], "Working with governments"),
        # Coordinated activities still name a theme.
        (["Planning and scheduling took most of the year.", "Better planning and scheduling, please.",
          "Planning and scheduling were late again."], "Planning and scheduling"),
    ],
)
def test_activities_the_grammar_allows_still_name_their_theme(quotes, name):
    _, after = _before_after(quotes)
    assert after == name, after
