"""A bullet that asks and explains after a dash is read as an ask (``nlp.recommendations.clauses``)."""

from __future__ import annotations

import pytest

from nlp.recommendations.clauses import dash_parts, rescore_quotes

PLANNING = (
    "They need more advanced planning – Sometimes they move too fast, which can be great but in this case, "
    "we sometimes suddenly hear about new things and initiatives that we would have liked to be involved in."
)


def test_a_spaced_dash_separates_parts_that_say_something():
    assert dash_parts(PLANNING)[0] == "They need more advanced planning"
    assert dash_parts("A follow-up meeting-room booking system would help everyone") == []
    # "Advocacy" alone says nothing, so nothing is split off.
    assert dash_parts("Advocacy – focus is on corruption and on the process.") == []


def _score(table):
    calls = []

    def score(texts):
        calls.append(list(texts))
        return [table.get(t, 0.1) for t in texts]

    return score, calls


def test_a_quote_asks_when_one_of_its_parts_does():
    score, calls = _score({"They need more advanced planning": 0.9})
    out = rescore_quotes([PLANNING, "Bring in the politicians."], [0.26, 0.95], score)
    assert out == [0.9, 0.95]
    assert len(calls) == 1  # one batch for every dashed part of the run


def test_parts_never_lower_a_confidence_and_talk_only_quotes_stay_at_zero():
    score, _ = _score({})
    assert rescore_quotes([PLANNING], [0.8], score) == [0.8]
    assert rescore_quotes(["Okay, go ahead – let me know."], [0.7], score) == [0.0]


@pytest.mark.slow
def test_the_seeds_planning_request_is_found_with_the_real_head(real_embedder):
    from nlp.recommendations import default_head, predict_proba

    head = default_head()
    whole = predict_proba([PLANNING], embedder=real_embedder, head=head)
    out = rescore_quotes([PLANNING], whole, lambda xs: predict_proba(xs, embedder=real_embedder, head=head))
    assert whole[0] < head.rare_threshold <= out[0]
