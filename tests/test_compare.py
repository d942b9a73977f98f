"""Themes by group, co-occurrence and saturation on toy tables whose answers were worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nlp.compare import (
    comparable_attributes,
    independence_test,
    saturation,
    saturation_point,
    theme_by_attribute,
    theme_cooccurrence,
)


def _quotes(rows: list[tuple]) -> pd.DataFrame:
    """Quotes from (respondent, topic_id, group[, duplicate_of[, is_substantive]]) tuples."""
    records = []
    for k, row in enumerate(rows):
        rid, topic, group = row[:3]
        records.append({
            "quote_id": f"q{k}", "source_file": f"{rid}.txt", "speaker": "Interviewee", "response_id": f"{rid}#{k}",
            "respondent_id": rid, "topic_id": topic, "group": group,
            "duplicate_of": row[3] if len(row) > 3 else None,
            "is_substantive": row[4] if len(row) > 4 else True,
        })
    return pd.DataFrame(records)


def _toy() -> pd.DataFrame:
    """20 respondents in A, 20 in B, one whose group is unknown.

    Theme 1: raised by 15 of A, 5 of B (and the unknown one), each A respondent twice.
    Theme 2: raised by 2 of A, none of B; B's only mentions are a duplicate and filler.
    """
    rows: list[tuple] = []
    for i in range(20):
        rows.append((f"a{i}", 1 if i < 15 else -1, "A"))
        if i < 15:
            rows.append((f"a{i}", 1, "A"))  # a second turn on the same theme counts once
        if i < 2:
            rows.append((f"a{i}", 2, "A"))
    for i in range(20):
        rows.append((f"b{i}", 1 if i < 5 else -1, "B"))
    rows.append(("b10", 2, "B", "q0"))  # a repeated response is counted once, as its first copy
    rows.append(("b11", 2, "B", None, False))  # "thanks, bye" does not raise a theme
    rows.append(("x", 1, "unknown"))
    return _quotes(rows)


def _cell(table: pd.DataFrame, theme: int, value: str) -> pd.Series:
    hit = table[(table["theme_id"] == theme) & (table["value"] == value)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_counts_respondents_once_substantive_first_copies_only():
    table = theme_by_attribute(_toy(), None, ["group"])
    a1, b1, u1 = _cell(table, 1, "A"), _cell(table, 1, "B"), _cell(table, 1, "unknown")
    assert (a1.n_respondents, a1.group_size, a1.share) == (15, 20, 0.75)
    assert (b1.n_respondents, b1.group_size) == (5, 20)
    assert (u1.n_respondents, u1.group_size) == (1, 1)
    b2 = _cell(table, 2, "B")
    assert b2.n_respondents == 0  # neither the duplicate nor the filler counts


def test_chi_square_with_yates_and_adjusted_residuals_flag_the_over_represented_group():
    table = theme_by_attribute(_toy(), None, ["group"])
    a1, b1 = _cell(table, 1, "A"), _cell(table, 1, "B")
    # [[15, 5], [5, 15]], expected 10 everywhere: Yates chi2 = 4 * 4.5**2 / 10 = 8.1.
    assert a1.test == "chi2"
    assert a1.statistic == pytest.approx(8.1)
    assert a1.p_value == pytest.approx(0.0044265, rel=1e-4)
    # (15 - 10) / sqrt(10 * 0.5 * 0.5) = 3.1623
    assert a1.residual == pytest.approx(3.16228, rel=1e-4)
    assert b1.residual == pytest.approx(-3.16228, rel=1e-4)
    assert (a1.representation, b1.representation) == ("over", "under")
    # The unknown group is shown but never tested or flagged.
    unknown = _cell(table, 1, "unknown")
    assert np.isnan(unknown.residual) and pd.isna(unknown.representation)


def test_fisher_exact_when_counts_are_small_and_benjamini_hochberg_across_themes():
    table = theme_by_attribute(_toy(), None, ["group"])
    a2 = _cell(table, 2, "A")
    # [[2, 0], [18, 20]]: P(X=2) = P(X=0) = C(20,2)/C(40,2) = 190/780; two-sided p = 380/780.
    assert a2.test == "fisher"
    assert a2.p_value == pytest.approx(380 / 780)
    # BH over the two themes: q1 = 2 * 0.0044265 / 1, q2 = 2 * 0.48718 / 2.
    assert _cell(table, 1, "A").q_value == pytest.approx(2 * 0.0044265, rel=1e-4)
    assert a2.q_value == pytest.approx(380 / 780)
    assert pd.isna(a2.representation)


def test_wilson_interval_of_a_share():
    table = theme_by_attribute(_toy(), None, ["group"])
    a1 = _cell(table, 1, "A")
    # Wilson, 15 of 20, z = 1.96: centre (0.75 + 0.09604) / 1.19208 = 0.70972, half-width 0.17842.
    assert a1.ci_low == pytest.approx(0.53129, abs=1e-4)
    assert a1.ci_high == pytest.approx(0.88814, abs=1e-4)


def test_larger_tables_with_small_counts_use_a_seeded_monte_carlo_fisher_freeman_halton():
    table = np.array([[3, 1, 0], [2, 5, 6]])
    first, second = independence_test(table, seed=3), independence_test(table, seed=3)
    assert first.test == "fisher-freeman-halton"
    assert first == second
    # Exact p by enumeration: every table with these margins as likely as the observed one or
    # less, (3, 1, 0) and (0, 0, 4), (4, 0, 0), (0, 4, 0), ...: 31/476 = 0.06513.
    assert first.p_value == pytest.approx(_exact_ffh(table), abs=0.01)


def _exact_ffh(table: np.ndarray) -> float:
    """Exact Fisher-Freeman-Halton p-value of a 2 x 3 table, by listing every table."""
    from math import comb, prod

    cols, top, n = table.sum(axis=0), int(table[0].sum()), int(table.sum())
    def prob(row):
        return prod(comb(int(c), k) for c, k in zip(cols, row)) / comb(n, top)
    observed = prob(table[0])
    tables = [(a, b, top - a - b) for a in range(cols[0] + 1) for b in range(cols[1] + 1) if 0 <= top - a - b <= cols[2]]
    return sum(prob(t) for t in tables if prob(t) <= observed * (1 + 1e-9))


def test_an_empty_row_is_not_tested():
    result = independence_test(np.array([[0, 0], [4, 5]]))
    assert result.test == "none" and np.isnan(result.p_value)


def test_parent_themes_are_counted_by_any_of_their_topics():
    quotes = _quotes([("r1", 1, "A"), ("r1", 2, "A"), ("r2", 2, "B"), ("r3", 3, "B"), ("r4", 3, "A")])
    topics = pd.DataFrame({"topic_id": [1, 2, 3], "parent_id": [10, 10, 11]})
    table = theme_by_attribute(quotes, topics, ["group"])
    parent = table[(table["level"] == "parent") & (table["theme_id"] == 10)].set_index("value")
    assert parent.loc["A", "n_respondents"] == 1  # r1 raised both topics of theme 10: once
    assert parent.loc["B", "n_respondents"] == 1
    assert set(table["level"]) == {"topic", "parent"}


def test_an_identifier_is_not_a_grouping():
    quotes = _toy().assign(name=lambda q: q["respondent_id"])
    assert comparable_attributes(quotes, ["group", "name"]) == ["group"]


def test_cooccurrence_jaccard_and_lift():
    quotes = _quotes([("r1", 1, "A"), ("r1", 2, "A"), ("r2", 1, "A"), ("r3", 2, "B"), ("r4", -1, "B")])
    pair = theme_cooccurrence(quotes).iloc[0]
    assert (pair.theme_a, pair.theme_b, pair.n_a, pair.n_b, pair.n_both) == (1, 2, 2, 2, 1)
    assert pair.jaccard == pytest.approx(1 / 3)
    assert pair.lift == pytest.approx(1 * 4 / (2 * 2))  # four respondents spoke


def test_saturation_in_input_order_and_by_date():
    rows = [("r1", 1, "A"), ("r1", 2, "A"), ("r2", 1, "A"), ("r3", 3, "B"), ("r4", -1, "B")]
    curve = saturation(_quotes(rows))
    assert curve["new_themes"].tolist() == [2, 0, 1, 0]
    assert curve["cumulative_themes"].tolist() == [2, 2, 3, 3]
    point = saturation_point(curve)
    assert (point.last_new_position, point.last_new_respondent, point.reached) == (3, "r3", True)

    dated = _quotes(rows).assign(date=lambda q: q["respondent_id"].map(
        {"r1": "2024-02-01", "r2": "2024-03-01", "r3": "2024-01-01", "r4": "unknown"}))
    by_date = saturation(dated)
    assert by_date["respondent_id"].tolist() == ["r3", "r1", "r2", "r4"]
    assert by_date["new_themes"].tolist() == [1, 2, 0, 0]
    assert saturation_point(by_date).last_new_position == 2


def test_saturation_not_reached_when_the_last_interview_adds_a_theme():
    curve = saturation(_quotes([("r1", 1, "A"), ("r2", 2, "A")]))
    point = saturation_point(curve)
    assert (point.last_new_position, point.n_interviews, point.reached) == (2, 2, False)
