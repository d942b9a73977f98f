"""The seed's shared requests, labelled by hand (bench/data/seed_asks.tsv), as the run groups them."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.seed_asks import score_seed_asks


@pytest.mark.slow
def test_shared_requests_of_the_seed_are_asks_with_support_and_none_joins_two_requests(processed_dir):
    result = score_seed_asks(processed_dir)

    # A wrong merge is worse than a missed one: no ask holds quotes of two labelled requests,
    # and every ask several cells make is one of the labelled shared requests.
    assert result.wrong_merges == []
    assert result.unlabelled_shared == []
    # Five of the six requests with clear quotes from two or more cells are one ask each:
    # "Bring in the politicians." with "get involved with politicians" (confidence 0.34, joined
    # to the detected ask; "engage the legislature or leaders of government to champion it ..."
    # stays apart), "they also need to be critical" (0.36, joined the same way), the private
    # sector, the use of OC data, and advance planning (ask spans 0.66 apart, one holding all of
    # the other's words). Evidence of impact (0.28-0.51) is not.
    assert set(result.consolidated) >= {
        "engage_politicians", "more_critical", "private_sector", "use_of_oc_data", "advance_planning"
    }


def test_the_score_counts_a_request_once_its_cells_share_an_ask_and_reports_wrong_merges(tmp_path):
    fixture = tmp_path / "asks.tsv"
    fixture.write_text(
        "request\tgrade\tline\tcell\ttext\n"
        "a\tclear\t1\t1\tBring in the politicians.\n"
        "a\tclear\t2\t2\tengage politicians\n"
        "a\tclear\t6\t6\tInvolve politicians\n"
        "b\tclear\t3\t3\tNeed more journalists\n"
        "b\tclear\t4\t4\tMore journalists too\n"
        "b\tpossible\t5\t4\tjournalists again\n",
        encoding="utf-8",
    )
    texts = ["Bring in the politicians.", "They should engage politicians.", "Need more journalists",
             "More journalists too", "Hire journalists again", "Fund the helpdesk", "Fund the help desk",
             "Involve politicians now"]
    pd.DataFrame({"quote_id": [f"q{i}" for i in range(8)], "text": texts}).to_parquet(tmp_path / "quotes.parquet")
    pd.DataFrame({
        "name": ["Politicians", "Journalists", "Journalists and more", "Helpdesk"],
        "support": [2, 1, 2, 2],
        "quote_ids": [["q0", "q1"], ["q2"], ["q3", "q4", "q7"], ["q5", "q6"]],
    }).to_parquet(tmp_path / "recommendations.parquet")

    result = score_seed_asks(tmp_path, fixture)
    assert result.consolidated == ["a"] and result.missed == ["b"]
    assert result.wrong_merges == [("Journalists and more", ["a", "b"])]
    assert result.unlabelled_shared == ["Helpdesk"]
