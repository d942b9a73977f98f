"""Refit one theme into sub-themes, for a researcher's ``split:`` decision (``nlp.curation``).

The theme's quotes are clustered on their sentence embeddings with k-means (fixed seed, so a
rerun on the same quotes splits them the same way), two parts unless the decision says how
many. Each part is named extractively by the words that set it apart from the rest of the
theme: content words ranked by how much more often they occur in the part than in the theme.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from nlp.curation import SubTheme
from nlp.schemas import Topic

__all__ = ["KMeansSplitter"]

# Fewer quotes per part than this and a split is noise, not a sub-theme.
MIN_PART = 3


def _words(text: str, stop: frozenset[str]) -> list[str]:
    return [w for w in re.findall(r"[^\W\d_][\w'-]*", text.casefold()) if len(w) > 2 and w not in stop]


class KMeansSplitter:
    """A ``Splitter`` over one run's quote vectors and texts."""

    def __init__(self, vectors: Mapping[str, np.ndarray], texts: Mapping[str, str], seed: int = 0) -> None:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        self.vectors = vectors
        self.texts = texts
        self.seed = seed
        self._stop = frozenset(ENGLISH_STOP_WORDS)

    def _label(self, part: Sequence[str], whole: Counter) -> tuple[str, tuple[str, ...]]:
        mine = Counter(w for q in part for w in set(_words(self.texts[q], self._stop)))
        total = sum(whole.values()) or 1
        size = sum(mine.values()) or 1
        # Words at least twice in the part, ranked by lift over the theme, then by count.
        ranked = sorted(
            (w for w, n in mine.items() if n >= 2),
            key=lambda w: (-(mine[w] / size) / (whole[w] / total), -mine[w], w),
        )
        keywords = tuple(ranked[:5]) or tuple(w for w, _ in mine.most_common(3))
        return (" / ".join(keywords[:3]) or "sub-theme"), keywords

    def __call__(self, topic: Topic, quote_ids: Sequence[str], into: int | None) -> list[SubTheme]:
        from sklearn.cluster import KMeans

        k = into or 2
        ids = sorted(q for q in quote_ids if q in self.vectors)
        if len(ids) < k * MIN_PART:
            return []
        matrix = np.stack([np.asarray(self.vectors[q], dtype=np.float64) for q in ids])
        assignment = KMeans(n_clusters=k, n_init=10, random_state=self.seed).fit_predict(matrix)
        parts = [[q for q, a in zip(ids, assignment) if a == c] for c in range(k)]
        parts = [p for p in parts if p]
        if len(parts) < 2 or min(len(p) for p in parts) < MIN_PART:
            return []
        # Largest part first: it keeps the theme's id, so the id follows the bulk of the theme.
        parts.sort(key=lambda p: (-len(p), p[0]))
        whole = Counter(w for q in ids for w in set(_words(self.texts[q], self._stop)))
        out = []
        for part in parts:
            label, keywords = self._label(part, whole)
            out.append(SubTheme(tuple(part), label, keywords))
        return out
