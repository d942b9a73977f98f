"""Quotes that read like the run's own filler: a model of what the rules flagged, applied to the rest.

The rules of ``nlp.substantive`` catch filler by its words ("mm hmm", "can you hear me",
"thanks, that's all"), and so miss most of it: on the eight mlsys transcripts their flag is
right 99% of the time but finds about a third of what a coder calls filler
(``bench.substantive``). The rest is spontaneous talk with two content words, "Oh, that's a big
question.", "You're gonna see it more and more.", and on those transcripts it gathered into a
theme of its own.

What the rules flag in a run is a sample of that run's filler, in its speakers' own words. A
logistic regression on the embeddings learns it (flagged against kept), and a kept quote it
finds more likely filler than not (``THRESHOLD``) is made non-substantive too. The model is
fitted on every quote, kept ones included as counter-examples, so a quote argues against its own
flag: the model is conservative by construction, and one fit costs about 0.3 CPU s for 2,500
quotes (fitting without each file in turn found half as many again, 5 fits for 1.5-3 s). With
fewer than ``min_examples`` flagged quotes, or as many kept ones, there is nothing to learn from
(a survey of written answers holds almost no filler) and nothing changes. Only quotes in a
language the model places are read (``nlp.analysable``). On a rerun, quotes the last run saw
keep its verdict (``read_filler``'s ``kept``), as old quotes keep their topics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from nlp.analysable import MODEL_LANGUAGES
from nlp.schemas import Quote

__all__ = ["THRESHOLD", "read_filler"]

# More likely filler than not, chosen before measuring (`bench.substantive`; README).
THRESHOLD = 0.5


def read_filler(
    quotes: Sequence[Quote],
    vectors: np.ndarray,
    min_examples: int = 50,
    kept: Mapping[tuple[str, str], bool] | None = None,
) -> tuple[list[Quote], int]:
    """``quotes`` with the kept ones that read like the flagged ones made non-substantive.

    Args:
        quotes: the run's quotes, ``is_substantive`` and ``language`` filled in.
        vectors: one embedding per quote, in the same order.
        min_examples: flagged quotes, and kept ones, needed to learn from; 0 turns this off.
        kept: the last run's ``is_substantive`` per (quote id, text)
            (``nlp.previous.Previous.substance_kept``). A quote the rules keep and the last run
            saw keeps that run's verdict, and only new quotes are read: one new interview then
            changes no old quote, so the topic stage can place the new quotes in the saved layout
            rather than fit it again, and old quotes keep their topics.

    Returns:
        The quotes (the same objects where nothing changed) and how many are non-substantive
        by the model's verdict, this run's or a kept one.
    """
    kept = kept or {}
    rows = [i for i, q in enumerate(quotes) if q.language in MODEL_LANGUAGES]
    flagged = np.array([not quotes[i].is_substantive for i in rows], dtype=bool)
    if min_examples <= 0 or flagged.sum() < min_examples or (~flagged).sum() < min_examples:
        return list(quotes), 0
    seen = np.array([(quotes[i].quote_id, quotes[i].text) in kept for i in rows], dtype=bool)
    filler = np.zeros(len(rows))
    if (~flagged & ~seen).any():
        from sklearn.linear_model import LogisticRegression

        x = np.asarray(vectors, dtype=np.float32)[rows]  # float32 as embedded: 150 MB at 100k quotes, not 300
        filler = LogisticRegression(max_iter=2000).fit(x, flagged).predict_proba(x)[:, 1]
    turned = set()
    for k in np.flatnonzero(~flagged):
        q = quotes[rows[k]]
        if not kept.get((q.quote_id, q.text), filler[k] < THRESHOLD):
            turned.add(rows[k])
    out = [replace(q, is_substantive=False) if i in turned else q for i, q in enumerate(quotes)]
    return out, len(turned)
