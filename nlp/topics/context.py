"""A quote's neighbouring sentences, beside what the quote itself says, for the topic layout.

A long bullet or turn is split into sentences (``nlp.quotes``), and a sentence cut from its
neighbours often says little alone: "Need a broader set of people who can help with the standard,
but independent of the help desk." follows "Most of the technical experts on the OCDS sit within
the helpdesk", and "Mainly only anecdotal at this point." follows a sentence asking for evidence
of impact. The small sentence model places each alone, so one point made in two sentences lands
in two themes. The layout (UMAP) therefore sees each quote's embedding plus a weighted mean of
the other sentences of its paragraph within ``window`` places: quotes of the same response whose
spans touch (at most ``max_gap`` characters apart, a space or a line break). Bullets, cells,
turns of other speakers and sentences further away are not neighbours. Centroids, outlier
reassignment, the top level and the names still use each quote's own embedding.

Measured with ``bench.human_coding`` (README, "Themes against human coding").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nlp.schemas import Quote

__all__ = ["paragraphs", "sentence_context"]

WINDOW = 2
MAX_GAP = 1


def paragraphs(quotes: Sequence[Quote], max_gap: int = MAX_GAP) -> list[list[int]]:
    """Runs of consecutive quotes (indices) of one response whose spans touch."""
    runs: list[list[int]] = []
    for i, q in enumerate(quotes):
        prev = quotes[i - 1] if i else None
        touching = (
            prev is not None
            and prev.source_file == q.source_file
            and prev.response_id == q.response_id
            and 0 <= q.char_start - prev.char_end <= max_gap
        )
        if touching:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def sentence_context(quotes: Sequence[Quote], window: int = WINDOW, max_gap: int = MAX_GAP):
    """A sparse (n, n) matrix whose row i averages quote i's neighbours in its paragraph.

    A quote alone in its paragraph gets an empty row (no context). Multiply it with the
    embeddings to get each quote's context vector.
    """
    from scipy.sparse import csr_matrix

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for run in paragraphs(quotes, max_gap):
        for k, i in enumerate(run):
            near = [j for j in run[max(0, k - window): k + window + 1] if j != i]
            if not near:
                continue
            rows += [i] * len(near)
            cols += near
            vals += [1.0 / len(near)] * len(near)
    n = len(quotes)
    return csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(n, n))
