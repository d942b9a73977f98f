"""A researcher's curation file: checked on load, applied to the themes, stale ids reported."""

from __future__ import annotations

import pytest

from nlp.curation import CurationError, SubTheme, apply_curation, load_curation, parse_curation
from nlp.schemas import Topic


def _topic(topic_id: int, label: str, reps: tuple[str, ...] = ()) -> Topic:
    return Topic(topic_id, label, (label.split()[0],), 0, 0, reps)


TOPICS = [_topic(3, "private sector firms", ("a",)), _topic(4, "impact evidence", ("b",)),
          _topic(7, "measuring results", ("d",)), _topic(9, "data portals and tools", ("f",)),
          _topic(12, "thanks everyone")]
ASSIGN = {"a": 3, "b": 4, "c": 4, "d": 7, "e": 9, "f": 9, "g": 9, "h": 12, "i": -1}
RESPONSES = {"a": "r1", "b": "r1", "c": "r2", "d": "r3", "e": "r4", "f": "r4", "g": "r5", "h": "r6", "i": "r7"}

YAML = """
themes:
  - id: 3
    label: "Engaging the private sector"
  - merge: [4, 7]
    label: "Evidence of impact"
  - id: 12
    noise: true
  - split: 9
moves:
  - quote: c
    to: 3
"""


def _halves(topic, quote_ids, into):
    ids = sorted(quote_ids)
    return [SubTheme(tuple(ids[:1]), "data portals"), SubTheme(tuple(ids[1:]), "data tools")]


def test_every_kind_of_decision(tmp_path):
    path = tmp_path / "curation.yaml"
    path.write_text(YAML, encoding="utf-8")
    curation = load_curation(path)
    assert len(curation.sha256) == 64
    result = apply_curation(TOPICS, ASSIGN, curation, next_topic_id=20, splitter=_halves, responses=RESPONSES)
    topics = {t.topic_id: t for t in result.topics}
    assert topics[3].label == "Engaging the private sector" and result.label_source[3] == "researcher"
    # Merged themes become one under the first id, with the pinned label and both quotes.
    assert 7 not in topics and topics[4].label == "Evidence of impact" and result.assignments["d"] == 4
    assert (topics[4].size, topics[4].n_responses) == (2, 2)  # b and d; c was moved out
    # Noise: the theme is gone and its quotes are outliers.
    assert 12 not in topics and result.assignments["h"] == -1
    # The split keeps one id and opens a new one.
    assert {topics[9].label, topics[20].label} == {"data portals", "data tools"}
    assert result.label_source[9] == "machine"
    assert result.assignments["c"] == 3 and topics[3].size == 2
    assert result.problems == ()


def test_stale_ids_are_reported_never_raised():
    curation = parse_curation(
        {"themes": [{"id": 99, "label": "gone"}, {"merge": [4, 98]}, {"id": 97, "noise": True}, {"split": 96}],
         "moves": [{"quote": "zz", "to": 3}, {"quote": "a", "to": 95}]}
    )
    result = apply_curation(TOPICS, ASSIGN, curation, next_topic_id=20)
    assert len(result.problems) == 6
    assert any("theme 99 no longer exists" in p for p in result.problems)
    assert any("quote zz no longer exists" in p for p in result.problems)
    assert result.assignments == ASSIGN  # nothing applied that should not have been
    assert {t.topic_id: t.label for t in result.topics} == {t.topic_id: t.label for t in TOPICS}


def test_label_on_a_merged_away_id_lands_on_the_kept_theme():
    curation = parse_curation({"themes": [{"merge": [4, 7]}, {"id": 7, "label": "Results"}]})
    result = apply_curation(TOPICS, ASSIGN, curation, next_topic_id=20)
    assert {t.topic_id: t.label for t in result.topics}[4] == "Results"


def test_split_without_a_refit_is_reported():
    result = apply_curation(TOPICS, ASSIGN, parse_curation({"themes": [{"split": 9}]}), next_topic_id=20)
    assert result.problems == ("split 9: no refit available here; theme left whole",)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"themes": [{"id": "x", "label": "a"}]}, "not a theme id"),
        ({"themes": [{"merge": [4]}]}, "at least two"),
        ({"themes": [{"id": 3, "noise": True, "label": "a"}]}, "both noise and labelled"),
        ({"themes": [{"id": 3, "colour": "red", "label": "a"}]}, "unknown key"),
        ({"themes": [{"id": 3}]}, "needs 'label' or 'noise: true'"),
        ({"moves": [{"quote": "a"}]}, "moves entry 1"),
        (["not", "a", "mapping"], "expected a mapping"),
    ],
)
def test_malformed_decisions_name_the_entry(data, reason):
    with pytest.raises(CurationError, match=reason):
        parse_curation(data, "cur.yaml")


def test_unreadable_file_names_it(tmp_path):
    with pytest.raises(CurationError, match="missing.yaml"):
        load_curation(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes: [unclosed", encoding="utf-8")
    with pytest.raises(CurationError, match=r"bad\.yaml: not valid"):
        load_curation(bad)


def test_kmeans_split_separates_two_groups_and_names_them():
    import numpy as np

    from nlp.theme_split import KMeansSplitter

    texts = {f"m{i}": f"funding budget money round {i}" for i in range(5)}
    texts |= {f"t{i}": f"training courses staff skills {i}" for i in range(4)}
    vectors = {q: np.array([1.0, 0.05 * i] if q.startswith("m") else [0.05 * i, 1.0]) for i, q in enumerate(texts)}
    parts = KMeansSplitter(vectors, texts)(_topic(9, "mixed"), list(texts), None)
    assert [set(p.quote_ids) for p in parts] == [{f"m{i}" for i in range(5)}, {f"t{i}" for i in range(4)}]
    assert "budget" in parts[0].label and "training" in parts[1].keywords and "money" not in parts[1].keywords
    assert KMeansSplitter(vectors, texts)(_topic(9, "mixed"), ["m0", "m1", "t0"], None) == []  # too few to split
