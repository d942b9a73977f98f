"""The human-coding benchmark's scores on hand-made codings (no model)."""

from __future__ import annotations

import math

from bench.coded_data import CodedSet, code_recovery, first_code_nmi


def test_code_recovery_is_one_when_themes_match_codes_and_ignores_rare_codes():
    codes = {f"a{i}": (("x",) if i < 3 else ("y",)) + (("rare",) if i == 0 else ()) for i in range(6)}
    themes = {f"a{i}": [0 if i < 3 else 1] for i in range(6)}
    assert code_recovery(codes, themes) == (1.0, 2)
    assert math.isclose(first_code_nmi(codes, themes), 1.0)


def test_one_catch_all_theme_scores_low_and_outliers_are_no_theme():
    codes = {f"a{i}": ("xyz"[i % 3],) for i in range(12)}
    catch_all = {a: [0] for a in codes}
    f1, n = code_recovery(codes, catch_all)
    assert n == 3 and f1 == 0.5
    assert code_recovery(codes, {a: [-1] for a in codes})[0] == 0.0


def test_coverage_counts_codes_that_take_part():
    codes = {"a": ("x", "u"), "b": ("x",), "c": ("x",), "d": ("v",)}
    assert CodedSet("t", (), codes).coverage() == (3, 1, 3)


def test_grouping_with_no_code_held_by_three_answers_has_no_score():
    grouping = {"a": ("emotion", "story"), "b": ("emotion",)}
    f1, n = code_recovery(grouping, {"a": [0], "b": [0]})
    assert n == 0 and math.isnan(f1)


def test_newsgroup_families_are_the_six_of_the_distribution():
    from bench.coded_data import newsgroup_family

    groups = ["alt.atheism", "comp.graphics", "misc.forsale", "rec.autos", "sci.med", "soc.religion.christian",
              "talk.politics.guns", "talk.religion.misc"]
    assert {g: newsgroup_family(g) for g in groups} == {
        "alt.atheism": "religion", "comp.graphics": "comp", "misc.forsale": "misc", "rec.autos": "rec",
        "sci.med": "sci", "soc.religion.christian": "religion", "talk.politics.guns": "politics",
        "talk.religion.misc": "religion",
    }
