from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.schemas import Quote
from nlp.sentiment import (
    NEUTRAL_BAND,
    HeadScorer,
    SentimentHead,
    SentimentScorer,
    VaderScorer,
    aggregate_sections,
    aggregate_topic_sections,
    default_head,
    polarity,
    score,
)
from nlp.sentiment.head import LEXICON_FEATURES


def quote(qid: str, section: str, text: str = "x", duplicate_of: str | None = None) -> Quote:
    return Quote(
        quote_id=qid,
        source_file="interviews.docx",
        section=section,
        question=f"What about {section}?",
        response_id=f"r-{qid}",
        speaker=None,
        is_direct_quote=False,
        text=text,
        char_start=0,
        char_end=len(text),
        duplicate_of=duplicate_of,
    )


class FixedScorer:
    """A fake scorer: looks each text up in a table."""

    def __init__(self, table: dict[str, float]) -> None:
        self.table = table

    def score(self, texts: Sequence[str]) -> list[float]:
        return [self.table[t] for t in texts]


class ExplodingScorer:
    def score(self, texts: Sequence[str]) -> list[float]:
        raise AssertionError("the scorer must not be called for empty input")


# --- direction on clear interview sentences, with the real bundled model -----------------------

NEGATIVE = [
    "We were not happy with the process",
    # The praise is for the tool; the complaint after "but" is what the respondent reports.
    "Great tool, but the form was terribly long",
    "Honestly, the onboarding was confusing and far too slow.",
    "It was a complete waste of time.",
]
POSITIVE = [
    "The events were very relevant and important",
    "The support team was helpful and friendly.",
    "I really enjoyed the workshops, they were excellent.",
]


@pytest.fixture(scope="module")
def head_scorer(real_embedder) -> HeadScorer:
    return HeadScorer(embedder=real_embedder)


@pytest.mark.slow
@pytest.mark.parametrize("text", NEGATIVE)
def test_clear_complaints_score_negative(head_scorer, text):
    (value,) = head_scorer.score([text])
    assert value < 0
    assert polarity(value) == "negative"


@pytest.mark.slow
@pytest.mark.parametrize("text", POSITIVE)
def test_clear_praise_scores_positive(head_scorer, text):
    (value,) = head_scorer.score([text])
    assert value > 0
    assert polarity(value) == "positive"


@pytest.mark.slow
def test_default_score_matches_head_scorer_and_stays_in_range(head_scorer):
    texts = POSITIVE + NEGATIVE + ["", "!!!!", "BEST BEST BEST EVER!!! LOVE LOVE LOVE", "worst. worst. WORST!!!"]
    values = score(texts)
    assert values == pytest.approx(head_scorer.score(texts))
    assert all(-1.0 <= v <= 1.0 for v in values)


@pytest.mark.slow
def test_cached_embeddings_give_the_same_scores(head_scorer, real_embedder):
    texts = POSITIVE + NEGATIVE
    assert head_scorer.score(texts, embeddings=real_embedder.embed(texts)) == pytest.approx(
        head_scorer.score(texts)
    )


# --- the shipped head ----------------------------------------------------------------------------


def test_shipped_head_records_held_out_accuracy_above_target_and_above_vader():
    head = default_head()
    heldout = {row["split"]: row for row in head.metadata["heldout"]}
    assert set(heldout) == {
        "cross_domain_amazon",
        "cross_domain_imdb",
        "cross_domain_yelp",
        "stratified_heldout",
    }
    for row in heldout.values():
        assert row["accuracy_default"] >= 0.85
        assert row["accuracy_default"] > row["accuracy_vader"]
    assert head.neutral_band == NEUTRAL_BAND
    assert head.embedding_dim == 384


def test_head_refuses_embeddings_from_another_model():
    class OtherEmbedder:
        name = "other"
        model_sha256 = source_sha256 = "0" * 64
        dim = 384
        model_dir = None
        progress = False

        def embed(self, texts):
            raise AssertionError("must refuse before embedding")

    with pytest.raises(ValueError, match="trained on embeddings of model"):
        HeadScorer(embedder=OtherEmbedder()).score(["fine"])


def test_head_file_with_other_features_is_refused_with_its_name():
    data = default_head().to_dict()
    data["lexicon"] = ["vader_compound"]
    with pytest.raises(ValueError, match="my_head.json.*retrain"):
        SentimentHead.from_dict(data, source="my_head.json")


def test_head_json_round_trip(tmp_path):
    head = default_head()
    path = tmp_path / "head.json"
    head.to_json(path)
    again = SentimentHead.from_json(path)
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(5, head.embedding_dim))
    lex = rng.uniform(size=(5, len(LEXICON_FEATURES)))
    np.testing.assert_allclose(again.score(emb, lex), head.score(emb, lex), atol=1e-6)
    assert json.loads(path.read_text())["format"] == "sentiment-head/1"


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6), st.floats(min_value=-1e3, max_value=1e3))
def test_head_scores_stay_in_range_even_for_extreme_logits(weight, intercept):
    n = 3
    head = SentimentHead(
        coef=np.full(n + len(LEXICON_FEATURES), weight),
        intercept=intercept,
        mean=np.zeros(n + len(LEXICON_FEATURES)),
        scale=np.ones(n + len(LEXICON_FEATURES)),
        lexicon=LEXICON_FEATURES,
        neutral_band=NEUTRAL_BAND,
        embedding_sha256="",
    )
    values = head.score(np.ones((2, n)), np.ones((2, len(LEXICON_FEATURES))))
    assert np.all((values >= -1.0) & (values <= 1.0))


# --- scorers and the entry point -----------------------------------------------------------------


def test_scorers_satisfy_the_protocol():
    assert isinstance(VaderScorer(), SentimentScorer)
    assert isinstance(HeadScorer(), SentimentScorer)
    assert isinstance(FixedScorer({}), SentimentScorer)


def test_vader_scorer_direction_and_range():
    values = VaderScorer().score(["We were not happy with the process", "Excellent, thank you!", ""])
    assert values[0] < 0 < values[1]
    assert values[2] == 0.0
    assert all(-1.0 <= v <= 1.0 for v in values)


def test_empty_input_gives_empty_output_without_loading_anything():
    assert score([], scorer=ExplodingScorer()) == []
    assert score([]) == []
    assert HeadScorer(embedder=None, head=None).score([]) == []
    assert VaderScorer().score([]) == []


def test_importing_the_stage_loads_no_model():
    code = (
        "import sys, nlp.sentiment; "
        "print(sorted(m for m in ('vaderSentiment', 'sklearn', 'torch', 'sentence_transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_polarity_uses_the_documented_band():
    assert polarity(NEUTRAL_BAND) == "positive"
    assert polarity(-NEUTRAL_BAND) == "negative"
    assert polarity(NEUTRAL_BAND - 1e-9) == "neutral"
    assert polarity(0.0) == "neutral"


# --- section aggregation (fake scores) ------------------------------------------------------------


def test_sections_keep_first_appearance_order_and_count_quotes():
    quotes = [quote("1", "Outreach"), quote("2", "Budget"), quote("3", "Outreach"), quote("4", "Events")]
    rows = aggregate_sections(quotes, [0.5, -0.5, 0.1, 0.0])
    assert [r.section for r in rows] == ["Outreach", "Budget", "Events"]
    assert [r.n_quotes for r in rows] == [2, 1, 1]
    assert rows[0].question == "What about Outreach?"
    assert rows[0].mean_sentiment == pytest.approx(0.3)


def test_duplicates_are_counted_once():
    quotes = [
        quote("a", "Budget", "The form was too long"),
        quote("b", "Budget", "Funding arrived on time"),
        # The same complaint pasted into three more cells must not drag the section down.
        quote("c", "Budget", "The form was too long", duplicate_of="a"),
        quote("d", "Budget", "The form was too long", duplicate_of="a"),
        quote("e", "Budget", "The form was too long", duplicate_of="a"),
    ]
    scorer = FixedScorer({"The form was too long": -0.8, "Funding arrived on time": 0.6})
    (row,) = aggregate_sections(quotes, score([q.text for q in quotes], scorer=scorer))
    assert row.n_quotes == 2
    assert row.mean_sentiment == pytest.approx(-0.1)
    assert row.share_negative == pytest.approx(0.5)
    assert row.share_positive == pytest.approx(0.5)


def test_section_of_only_duplicates_gets_no_row():
    quotes = [quote("a", "Budget"), quote("b", "Copied", duplicate_of="a")]
    rows = aggregate_sections(quotes, [0.4, 0.4])
    assert [r.section for r in rows] == ["Budget"]


def test_bootstrap_interval_contains_the_mean_and_is_seeded():
    rng = np.random.default_rng(7)
    quotes = [quote(str(i), ["A", "B", "C"][i % 3]) for i in range(60)]
    scores = list(np.clip(rng.normal(0.2, 0.5, size=60), -1, 1))
    rows = aggregate_sections(quotes, scores, seed=3)
    for row in rows:
        assert row.ci_low <= row.mean_sentiment <= row.ci_high
        assert row.ci_low < row.ci_high
        assert -1.0 <= row.ci_low and row.ci_high <= 1.0
    assert aggregate_sections(quotes, scores, seed=3) == rows
    assert aggregate_sections(quotes, scores, seed=4) != rows


@pytest.mark.parametrize("n", [1, 2, 7, 1001])
@pytest.mark.parametrize("block_values", [1, 3, 2_000, 10**9])
def test_bootstrap_interval_does_not_depend_on_how_resamples_are_blocked(monkeypatch, n, block_values):
    # Resamples are drawn a block of rows at a time to bound memory on large sections; the
    # interval must be the one a single draw of every resample gives, to the last bit.
    from nlp.sentiment import sections

    values = np.random.default_rng(n).normal(size=n)
    resampled = values[np.random.default_rng(11).integers(0, n, size=(2000, n))].mean(axis=1)
    tail = (1.0 - 0.95) / 2.0 * 100.0  # as bootstrap_ci computes it (2.500000000000002)
    expected = tuple(float(x) for x in np.percentile(resampled, [tail, 100.0 - tail]))
    monkeypatch.setattr(sections, "_BOOT_BLOCK_VALUES", block_values)
    assert sections.bootstrap_ci(values, np.random.default_rng(11)) == expected


def test_section_interval_does_not_depend_on_other_sections():
    quotes = [quote("1", "A"), quote("2", "A"), quote("3", "A"), quote("4", "B")]
    scores = [0.9, -0.3, 0.2, 0.5]
    alone = aggregate_sections(quotes[:3], scores[:3])
    together = aggregate_sections(quotes, scores)
    assert together[0] == alone[0]


def test_single_quote_section_has_a_degenerate_interval():
    (row,) = aggregate_sections([quote("1", "A")], [-0.4])
    assert row.ci_low == row.ci_high == row.mean_sentiment == pytest.approx(-0.4)


def test_shares_follow_the_neutral_band_and_sum_to_one():
    quotes = [quote(str(i), "A") for i in range(5)]
    (row,) = aggregate_sections(quotes, [NEUTRAL_BAND, NEUTRAL_BAND - 0.01, 0.0, -NEUTRAL_BAND, -0.9])
    assert row.share_positive == pytest.approx(0.2)
    assert row.share_neutral == pytest.approx(0.4)
    assert row.share_negative == pytest.approx(0.4)
    assert row.share_positive + row.share_neutral + row.share_negative == pytest.approx(1.0)


def test_aggregation_rejects_misaligned_or_missing_scores():
    with pytest.raises(ValueError, match="2 quotes but 1 scores"):
        aggregate_sections([quote("1", "A"), quote("2", "A")], [0.1])
    with pytest.raises(ValueError, match="finite"):
        aggregate_sections([quote("1", "A")], [float("nan")])


def test_empty_aggregations():
    assert aggregate_sections([], []) == []
    assert aggregate_topic_sections([], [], []) == []


# --- topic x section ------------------------------------------------------------------------------


def test_topic_sections_group_means_and_skip_duplicates():
    quotes = [
        quote("1", "Outreach"),
        quote("2", "Budget"),
        quote("3", "Outreach"),
        quote("4", "Outreach", duplicate_of="1"),
        quote("5", "Budget"),
    ]
    rows = aggregate_topic_sections(quotes, [0.5, -0.6, 0.1, 0.5, 0.2], [2, 2, 2, 2, -1])
    assert [(r.topic_id, r.section, r.n_quotes) for r in rows] == [
        (-1, "Budget", 1),
        (2, "Outreach", 2),
        (2, "Budget", 1),
    ]
    assert rows[1].mean_sentiment == pytest.approx(0.3)
    assert rows[2].mean_sentiment == pytest.approx(-0.6)
