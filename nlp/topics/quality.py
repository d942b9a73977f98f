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
    lists = [list(kws)[:top_k] for kws in keyword_lists]
    # Counting pairs document by document is O(topics x pairs x docs) in Python (minutes at
    # 100k quotes); one sparse product over the keywords' columns counts every pair at once.
    column = {t: j for j, t in enumerate(dict.fromkeys(t for kws in lists for t in kws))}
    together = _co_document_counts(doc_terms, column)

    scores = []
    for kws in lists:
        pairs = list(combinations(kws, 2))
        if not pairs:
            continue
        values = []
        for a, b in pairs:
            ja, jb = column[a], column[b]
            p_ab = int(together[ja, jb]) / n
            if p_ab == 0:
                values.append(-1.0)
                continue
            p_a, p_b = int(together[ja, ja]) / n, int(together[jb, jb]) / n
            if p_ab == 1.0:
                values.append(1.0)
                continue
            values.append(math.log(p_ab / (p_a * p_b)) / -math.log(p_ab))
        scores.append(float(np.mean(values)))
    return float(np.mean(scores)) if scores else 0.0


def _co_document_counts(doc_terms: Sequence[set[str]], column: dict[str, int]) -> np.ndarray:
    """(k, k) counts of documents holding both terms; the diagonal is each term's count."""
    from scipy import sparse

    rows: list[int] = []
    cols: list[int] = []
    wanted = column.keys()
    for i, terms in enumerate(doc_terms):
        for t in terms & wanted:
            rows.append(i)
            cols.append(column[t])
    presence = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(len(doc_terms), len(column))
    )
    return (presence.T @ presence).toarray()


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
