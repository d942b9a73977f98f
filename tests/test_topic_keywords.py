"""Every theme keeps a keyword list, even when the representation model finds none for it."""

from __future__ import annotations

import numpy as np

from nlp.topics.labels import TermStats


def test_a_topic_without_model_keywords_gets_the_terms_most_of_its_quotes_hold():
    stats = TermStats(
        doc_terms=[{"helpdesk", "support"}, {"helpdesk", "answer"}, {"support", "data"}, {"data", "portal"}],
        surface={},
        doc_freq={"helpdesk": 2, "support": 2, "answer": 1, "data": 2, "portal": 1},
    )
    assert stats.distinctive(np.array([0, 1]), 2) == ["helpdesk", "answer"]
    assert stats.distinctive(np.array([], dtype=int), 3) == []
