"""How asks are identified and ranked: stable ids, the ranking score, topic prevalence.

``asks.build_asks`` groups detected recommendations into asks; this module holds what it
scores them with. (The earlier whole-sentence merge, ``build_candidates``, is retired: asks
replaced it in the pipeline, the report, the CLI and the exports.)
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence

from nlp.schemas import Quote

__all__ = ["SCORE_WEIGHTS", "recommendation_id", "score_candidate", "topic_shares"]

SCORE_WEIGHTS = (0.5, 0.3, 0.2)
"""Weights of support, classifier confidence and topic prevalence in ``score``; they sum to 1."""


def recommendation_id(quote_ids: Sequence[str]) -> str:
    """Stable id of an ask: a hash of its member quote ids, in any order."""
    digest = hashlib.sha256("\n".join(sorted(quote_ids)).encode("utf-8")).hexdigest()
    return f"rec-{digest[:16]}"


def score_candidate(support: int, confidence: float, topic_share: float, n_responses: int) -> float:
    """Rank score in [0, 1] of one ask.

    ``score = 0.5 * log(1 + support) / log(1 + n_responses) + 0.3 * confidence + 0.2 * topic_share``

    where ``support`` is the number of distinct respondents behind the ask, ``n_responses``
    the number of distinct respondents in the run (so the first term is 1 when everyone says
    it), ``confidence`` the classifier's probability for the ask's most confident member, and
    ``topic_share`` the share of the run's respondents with at least one quote in the ask's
    topic (0 for the outlier topic -1). The log makes the second and third supporter count more
    than the tenth. The score rises strictly with support when the other terms are fixed.
    """
    support_term = math.log1p(support) / math.log1p(max(n_responses, support, 1))
    w_support, w_confidence, w_topic = SCORE_WEIGHTS
    raw = w_support * support_term + w_confidence * confidence + w_topic * topic_share
    return round(min(1.0, max(0.0, raw)), 6)


def topic_shares(
    quotes: Sequence[Quote], topic_ids: Sequence[int], who: Callable[[Quote], str] = lambda q: q.response_id
) -> tuple[dict[int, float], int]:
    """Share of people (``who``: responses by default) with a quote in each topic (0 for outliers), and their number."""
    by_topic: dict[int, set[str]] = {}
    everyone: set[str] = set()
    for quote, topic in zip(quotes, topic_ids):
        if quote.duplicate_of is not None:
            continue
        person = who(quote)
        everyone.add(person)
        by_topic.setdefault(int(topic), set()).add(person)
    n = len(everyone)
    return {t: (len(r) / n if n and t != -1 else 0.0) for t, r in by_topic.items()}, n
