"""The detection threshold follows how common suggestions are in a run, and only when clearly so."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlp.recommendations import RecommendationHead
from nlp.recommendations.classifier import MIN_TEXTS_FOR_RATE
from nlp.recommendations.rules import CUES

PREVIOUS_HEAD = Path(__file__).resolve().parents[1] / "bench" / "data" / "recommendation_head_2026-11-24.json"


def _head(**policy) -> RecommendationHead:
    return RecommendationHead(
        coef=np.zeros(2 + len(CUES)), intercept=0.0, threshold=0.7, cues=CUES, strong_floor=0.9,
        embedding_sha256="x", **policy,
    )


POLICY = {"rate_thresholds": ((0.3, 0.5), (0.5, 0.3)), "rate_probe": (0.8, 0.05), "adapt_above": 0.25}


def _scores(n: int, share_high: float) -> list[float]:
    n_high = round(n * share_high)
    return [0.95] * n_high + [0.1] * (n - n_high)


def test_a_run_of_mostly_requests_gets_the_lower_threshold_chosen_for_its_rate():
    head = _head(**POLICY)
    # 42.5 % flagged at 0.7 -> estimated rate (0.425 - 0.05) / 0.75 = 0.5.
    assert head.estimate_rate(_scores(200, 0.425)) == pytest.approx(0.5)
    assert head.threshold_for(_scores(200, 0.425)) == pytest.approx(0.3)
    between = head.threshold_for(_scores(200, 0.05 + 0.75 * 0.4))
    assert 0.3 < between < 0.5


def test_realistic_rates_small_runs_and_heads_without_a_policy_keep_the_threshold():
    head = _head(**POLICY)
    assert head.threshold_for(_scores(400, 0.12)) == 0.7  # estimated 0.09: below adapt_above
    assert head.threshold_for(_scores(MIN_TEXTS_FOR_RATE - 1, 0.5)) == 0.7  # too few to tell
    assert head.estimate_rate(_scores(MIN_TEXTS_FOR_RATE - 1, 0.5)) is None
    assert _head().threshold_for(_scores(400, 0.5)) == 0.7


def test_the_policy_survives_the_json_round_trip_and_old_heads_still_load():
    again = RecommendationHead.from_dict(_head(**POLICY).to_dict())
    assert (again.rate_thresholds, again.rate_probe, again.adapt_above) == (
        POLICY["rate_thresholds"], POLICY["rate_probe"], POLICY["adapt_above"])
    old = RecommendationHead.from_json(PREVIOUS_HEAD)
    assert old.threshold_for(_scores(400, 0.5)) == old.threshold
