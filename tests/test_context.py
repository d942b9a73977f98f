"""Sentence context for the topic layout: which quotes are neighbours, and what the layout sees."""

from __future__ import annotations

import numpy as np

from nlp.schemas import Quote
from nlp.topics.context import paragraphs, sentence_context
from nlp.topics.lexical import LexicalUMAP


def _quote(i: int, response: str, start: int, end: int, source: str = "a.txt") -> Quote:
    return Quote(f"q{i}", source, "s", "", response, None, False, f"text {i}", start, end)


# One cell (response r1) with a bullet split into three sentences (spans touch), then a second
# bullet of the same cell ("\n· " between them); then another respondent's cell.
QUOTES = [
    _quote(0, "r1", 0, 40),
    _quote(1, "r1", 41, 80),
    _quote(2, "r1", 81, 120),
    _quote(3, "r1", 124, 160),
    _quote(4, "r2", 161, 200),
    _quote(5, "r2", 201, 240, source="b.txt"),
]


def test_sentences_of_one_bullet_are_neighbours_and_nothing_else_is():
    assert paragraphs(QUOTES) == [[0, 1, 2], [3], [4], [5]]
    context = sentence_context(QUOTES, window=1).toarray()
    assert np.allclose(context[0], [0, 1, 0, 0, 0, 0])
    assert np.allclose(context[1], [0.5, 0, 0.5, 0, 0, 0])
    assert not context[3:].any()  # a lone bullet, another respondent, another file: no context


class _Recorder:
    def __init__(self) -> None:
        self.seen: list[np.ndarray] = []
        self.embedding_ = None

    def fit_transform(self, x, y=None):
        self.seen.append(np.asarray(x))
        return x[:, :2]

    def transform(self, x):
        self.seen.append(np.asarray(x))
        return x[:, :2]


def test_the_layout_sees_a_sentence_pulled_towards_its_neighbours_only_when_fitting():
    vectors = np.eye(6, dtype=np.float32)
    umap = _Recorder()
    wrapped = LexicalUMAP(umap, np.zeros((6, 1), dtype=np.float32), 0.0, sentence_context(QUOTES), 0.5)
    wrapped.fit_transform(vectors)
    fitted = umap.seen[-1][:, :6]
    assert fitted[0, 1] > 0 and fitted[1, 0] > 0 and fitted[0, 0] > fitted[0, 1]  # its own meaning leads
    assert np.allclose(fitted[3], vectors[3]) and np.allclose(fitted[4], vectors[4])
    wrapped.transform(vectors[:2])  # new documents have no neighbours in this fit
    assert np.allclose(umap.seen[-1][:, :6], vectors[:2])
