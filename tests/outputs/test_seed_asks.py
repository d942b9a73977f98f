"""The seed's shared requests, labelled by hand (bench/data/seed_asks.tsv), as the run groups them."""

from __future__ import annotations

import pytest

from bench.seed_asks import score_seed_asks

pytestmark = pytest.mark.slow


def test_shared_requests_of_the_seed_are_asks_with_support_and_none_joins_two_requests(processed_dir):
    result = score_seed_asks(processed_dir)

    # A wrong merge is worse than a missed one: no ask holds quotes of two labelled requests,
    # and every ask several cells make is one of the labelled shared requests.
    assert result.wrong_merges == []
    assert result.unlabelled_shared == []
    # Four of the six requests with clear quotes from two or more cells are one ask each:
    # "Bring in the politicians." with "get involved with politicians" (confidence 0.34, joined
    # to the detected ask; "engage the legislature or leaders of government to champion it ..."
    # stays apart), "they also need to be critical" (0.36, joined the same way), the private
    # sector, and the use of OC data. Advance planning (ask spans 0.66 apart) and evidence of
    # impact (0.28-0.51) are not.
    assert set(result.consolidated) >= {"engage_politicians", "more_critical", "private_sector", "use_of_oc_data"}
