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


def test_codes_line_up_with_answers_in_any_export_the_pipeline_reads(tmp_path):
    import csv
    import io

    import pytest
    from openpyxl import Workbook

    from bench.coded_data import load_coded_csv

    rows = [("id", "answer", "codes"), ("1", "The helpdesk answers quickly.", "support; speed"),
            ("2", "", "blank answer"), ("3", "Grants are too short.", "funding")]
    expected = {"support": 1, "speed": 1, "funding": 1}
    # A semicolon-delimited export in cp1252, and a Qualtrics export whose question row is no answer.
    (tmp_path / "semi.csv").write_bytes("\n".join(";".join(f'"{c}"' for c in r) for r in rows).encode("cp1252"))
    qualtrics = [rows[0], ("Respondent", "Why?", "Codes"), ('{"ImportId":"r"}', '{"ImportId":"a"}', '{"ImportId":"c"}'),
                 *rows[1:]]
    with (tmp_path / "qualtrics.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(qualtrics)
    book = Workbook()
    for r in rows:
        book.active.append(r)
    buffer = io.BytesIO()
    book.save(buffer)
    (tmp_path / "coded.xlsx").write_bytes(buffer.getvalue())
    for name in ("semi.csv", "qualtrics.csv", "coded.xlsx"):
        coded = load_coded_csv(tmp_path / name, "answer", "codes")
        by_text = {q.text: coded.codes[q.response_id] for q in coded.quotes}
        assert by_text == {"The helpdesk answers quickly.": ("support", "speed"), "Grants are too short.": ("funding",)}
        assert {c: sum(c in v for v in coded.codes.values()) for c in expected} == expected
    with pytest.raises(ValueError, match=r"semi\.csv: no column 'code' to read codes from; its columns: id, answer, codes"):
        load_coded_csv(tmp_path / "semi.csv", "answer", "code")
