"""Intrinsic topic-quality figures recorded in the run manifest.

* ``outlier_share``: share of quotes with ``topic_id == -1``.
* ``topic_diversity``: unique keywords over all keywords of the top-``k`` lists (Dieng et al.,
  2020); 1.0 means no two topics share a keyword.
* ``npmi``: mean normalised PMI of keyword pairs, counted over the corpus's own quotes as the
  reference documents (Bouma, 2009; Röder et al., 2015). Ranges over [-1, 1]; above 0 means a
  topic's keywords occur together more often than chance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

import numpy as np

__all__ = ["npmi_coherence", "quality_report", "topic_diversity"]


def topic_diversity(keyword_lists: Sequence[Sequence[str]], top_k: int = 10) -> float:
    words = [w for kws in keyword_lists for w in list(kws)[:top_k]]
    return len(set(words)) / len(words) if words else 0.0


def npmi_coherence(
    doc_terms: Sequence[set[str]],
    keyword_lists: Sequence[Sequence[str]],
    top_k: int = 10,
) -> float:
    """Mean NPMI over keyword pairs of each topic, then over topics.

    Args:
        doc_terms: the set of terms of each reference document, as the vectorizer saw them.
        keyword_lists: each topic's keywords, best first.
    """
    n = len(doc_terms)
    if n == 0:
        return 0.0

    def df(*terms: str) -> int:
        return sum(all(t in d for t in terms) for d in doc_terms)

    scores = []
    for kws in keyword_lists:
        pairs = list(combinations(list(kws)[:top_k], 2))
        if not pairs:
            continue
        values = []
        for a, b in pairs:
            p_ab = df(a, b) / n
            if p_ab == 0:
                values.append(-1.0)
                continue
            p_a, p_b = df(a) / n, df(b) / n
            if p_ab == 1.0:
                values.append(1.0)
                continue
            values.append(math.log(p_ab / (p_a * p_b)) / -math.log(p_ab))
        scores.append(float(np.mean(values)))
    return float(np.mean(scores)) if scores else 0.0


def quality_report(
    doc_terms: Sequence[set[str]],
    assignments: np.ndarray,
    keyword_lists: Sequence[Sequence[str]],
) -> dict[str, float]:
    assignments = np.asarray(assignments)
    return {
        "outlier_share": float((assignments == -1).mean()) if len(assignments) else 0.0,
        "topic_diversity": round(topic_diversity(keyword_lists), 4),
        "npmi": round(npmi_coherence(doc_terms, keyword_lists), 4),
    }
