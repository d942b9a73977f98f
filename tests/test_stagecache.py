"""Per-file work remembered between runs: a hit is what a cold run computes, and any change misses."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nlp.incremental as incremental
from nlp.analysable import annotate_quotes
from nlp.config import PipelineConfig
from nlp.ingest import ingest_dir
from nlp.quotes import QuoteConfig, split_quotes_by_file
from nlp.run import run_pipeline
from nlp.stagecache import StageCache
from tests.fakes import ANSWERS


def _transcript(answers: list[str]) -> str:
    return "\n\n".join(f"Interviewer: Question {i}?\n\nRespondent: {a}" for i, a in enumerate(answers))


def _raw(tmp_path: Path, files: dict[str, str]) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    for name, text in files.items():
        (raw / name).write_text(text, encoding="utf-8")
    return raw


# The same long answer in two files: a duplicate across files, which only the whole corpus shows.
SHARED = "We would like a shared template for tender notices across all agencies, please."
FILES = {
    "a.txt": _transcript([*ANSWERS[:6], SHARED]),
    "b.txt": _transcript([*ANSWERS[6:], SHARED]),
}


def _count_splits(monkeypatch) -> list[str]:
    """Files split by the real splitter from now on, in order."""
    seen: list[str] = []
    real = incremental.split_quotes_by_file

    def counting(documents, nlp=None, config=None):
        documents = list(documents)
        seen.extend(d.source_file for d in documents)
        return real(documents, nlp, config)

    monkeypatch.setattr(incremental, "split_quotes_by_file", counting)
    return seen


def test_cached_quotes_equal_the_all_files_split_and_only_changed_files_are_redone(tmp_path, monkeypatch):
    raw = _raw(tmp_path, FILES)
    config = PipelineConfig(raw_dir=raw, cache_dir=tmp_path / "interim")
    documents = ingest_dir(raw).documents
    cold = annotate_quotes(list(split_quotes_by_file(documents, config=config.quotes).quotes), documents)
    assert sum(q.duplicate_of is not None for q in cold) == 1

    seen = _count_splits(monkeypatch)
    first = incremental.split_and_annotate(documents, config)
    assert list(first.quotes) == cold and seen == ["a.txt", "b.txt"]
    again = incremental.split_and_annotate(documents, config)
    assert list(again.quotes) == cold and seen == ["a.txt", "b.txt"]  # all hits

    # One file edited: only it is split again, and the result still equals a cold split.
    (raw / "b.txt").write_text(_transcript([*ANSWERS[6:], SHARED, "One more answer about the helpdesk hours."]))
    documents = ingest_dir(raw).documents
    edited = incremental.split_and_annotate(documents, config)
    cold = annotate_quotes(list(split_quotes_by_file(documents, config=config.quotes).quotes), documents)
    assert list(edited.quotes) == cold and seen == ["a.txt", "b.txt", "b.txt"]


def test_a_quote_setting_change_splits_every_file_again(tmp_path, monkeypatch):
    raw = _raw(tmp_path, FILES)
    config = PipelineConfig(raw_dir=raw, cache_dir=tmp_path / "interim")
    documents = ingest_dir(raw).documents
    seen = _count_splits(monkeypatch)
    incremental.split_and_annotate(documents, config)
    finer = dataclasses.replace(config, quotes=QuoteConfig(max_words=8))
    split = incremental.split_and_annotate(documents, finer)
    assert seen == ["a.txt", "b.txt", "a.txt", "b.txt"]
    assert list(split.quotes) == annotate_quotes(
        list(split_quotes_by_file(documents, config=finer.quotes).quotes), documents
    )


def test_an_unreadable_entry_is_a_miss_not_an_error(tmp_path):
    cache = StageCache(tmp_path, "quotes", {"x": 1}, ("nlp.quotes",))
    cache.put("k", [1, 2])
    assert StageCache(tmp_path, "quotes", {"x": 1}, ("nlp.quotes",)).get("k") == [1, 2]
    (cache.folder / "k.pkl").write_bytes(b"not a pickle")
    assert cache.get("k") is None
    assert StageCache(tmp_path, "quotes", {"x": 2}, ("nlp.quotes",)).get("k") is None  # other settings


def test_recommendation_confidence_is_cached_per_file_and_a_new_head_scores_again(tmp_path, monkeypatch):
    from nlp.recommendations import default_head, predict_proba
    from nlp.schemas import Quote

    quotes = [
        Quote(quote_id=f"q{i}", source_file=f"{'ab'[i % 2]}.txt", section="", question="", response_id=f"r{i}",
              speaker="", is_direct_quote=False, text=t, char_start=0, char_end=len(t))
        for i, t in enumerate(ANSWERS)
    ]
    vectors = np.random.default_rng(0).standard_normal((len(quotes), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    head = default_head()
    config = PipelineConfig(cache_dir=tmp_path)
    expected = predict_proba([q.text for q in quotes], embeddings=vectors, head=head)

    first = incremental.recommendation_confidence(quotes, vectors, head, config)
    # Scored per file: the same values, to the last bits a matrix product of another height moves.
    assert first == pytest.approx(expected, rel=1e-12, abs=1e-12)
    import nlp.recommendations as recommendations

    monkeypatch.setattr(recommendations, "predict_proba", lambda *a, **k: pytest.fail("scored a cached file"))
    assert incremental.recommendation_confidence(quotes, vectors, head, config) == first
    monkeypatch.undo()

    lenient = dataclasses.replace(head, intercept=head.intercept + 1.0)
    moved = incremental.recommendation_confidence(quotes, vectors, lenient, config)
    assert moved != first
    assert moved == pytest.approx(predict_proba([q.text for q in quotes], embeddings=vectors, head=lenient), rel=1e-12)


def test_sentiment_scores_only_quotes_no_earlier_run_scored_and_a_new_head_scores_all(tmp_path):
    from nlp.schemas import Quote
    from nlp.sentiment import HeadScorer, default_scorer

    quotes = [
        Quote(quote_id=f"q{i}", source_file="a.txt", section="", question="", response_id=f"r{i}",
              speaker="", is_direct_quote=False, text=t, char_start=0, char_end=len(t))
        for i, t in enumerate(ANSWERS)
    ]
    vectors = np.random.default_rng(1).standard_normal((len(quotes), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    config, scorer = PipelineConfig(cache_dir=tmp_path), default_scorer()
    asked: list[list[int]] = []

    def score(with_scorer):
        def rows_scored(rows):
            asked.append(rows)
            return with_scorer.score([quotes[i].text for i in rows], embeddings=vectors[rows])
        return rows_scored

    # Scored in parts: the same values, to the last bits a matrix product of another height moves.
    expected = pytest.approx(scorer.score([q.text for q in quotes], embeddings=vectors), rel=1e-12, abs=1e-12)
    half = len(quotes) // 2
    first = incremental.remembered_sentiment(config, quotes[:half], vectors[:half], scorer, score(scorer))
    # The whole set next: only the quotes the first call did not score are scored.
    both = incremental.remembered_sentiment(config, quotes, vectors, scorer, score(scorer))
    assert both == expected and both[:half] == first
    assert asked == [list(range(half)), list(range(half, len(quotes)))]
    assert incremental.remembered_sentiment(config, quotes, vectors, scorer, score(scorer)) == both
    assert len(asked) == 2  # nothing scored again
    # The same text with another vector is another quote to score.
    moved = vectors[::-1].copy()
    incremental.remembered_sentiment(config, quotes, moved, scorer, score(scorer))
    assert asked[-1] == [i for i in range(len(quotes)) if not np.array_equal(moved[i], vectors[i])]

    gloomy = HeadScorer(head=dataclasses.replace(scorer.head, intercept=scorer.head.intercept - 2.0))
    darker = incremental.remembered_sentiment(config, quotes, vectors, gloomy, score(gloomy))
    assert asked[-1] == list(range(len(quotes)))
    assert darker == pytest.approx(gloomy.score([q.text for q in quotes], embeddings=vectors), rel=1e-12, abs=1e-12)
    assert darker != both


def test_a_rerun_with_a_new_file_writes_what_a_cold_run_writes_per_quote(tmp_path, fake_models):
    """Per-quote results that do not depend on the topic fit equal a cold run's exactly."""
    raw = _raw(tmp_path, FILES)
    warm = PipelineConfig(raw_dir=raw, out_dir=tmp_path / "warm", cache_dir=tmp_path / "warm-cache")
    run_pipeline(warm, models=fake_models(warm))
    (raw / "c.txt").write_text(_transcript([a.replace("the", "our") for a in ANSWERS[3:9]]))
    run_pipeline(warm, models=fake_models(warm))
    cold = PipelineConfig(raw_dir=raw, out_dir=tmp_path / "cold", cache_dir=tmp_path / "cold-cache")
    run_pipeline(cold, models=fake_models(cold))

    columns = ["quote_id", "text", "duplicate_of", "is_substantive", "language", "sentiment",
               "is_recommendation", "recommendation_confidence"]
    a, b = (pd.read_parquet(c.out_dir / "quotes.parquet")[columns] for c in (warm, cold))
    pd.testing.assert_frame_equal(a, b)
    assert any((warm.cache_dir / "stages" / "quotes").rglob("*.pkl"))


def test_remembered_keyword_terms_are_reused_and_equal_a_fresh_analysis(monkeypatch):
    from nlp.topics.labels import PhraseAnalyzer, remembered_terms

    expected = {t: tuple(PhraseAnalyzer().terms(t)) for t in ANSWERS}
    analyser = PhraseAnalyzer()
    monkeypatch.setattr(PhraseAnalyzer, "_analyse", lambda self, text: pytest.fail(f"analysed {text!r} again"))
    with remembered_terms(expected) as fresh:
        assert {t: tuple(analyser.terms(t)) for t in ANSWERS} == expected
    assert fresh == {}


def test_a_fit_with_remembered_terms_writes_the_same_topics(tmp_path, fake_models):
    answers = [f"{a} {b}" for a in ANSWERS for b in ANSWERS[:4]]  # enough quotes for topics
    raw = _raw(tmp_path, {"many.txt": _transcript(answers)})
    first = PipelineConfig(raw_dir=raw, out_dir=tmp_path / "first", cache_dir=tmp_path / "interim")
    run_pipeline(first, models=fake_models(first))
    assert any((first.cache_dir / "stages" / "phrase_terms").rglob("*.pkl"))
    # A second output folder (no previous run to start from) on the same cache: terms are reused.
    second = dataclasses.replace(first, out_dir=tmp_path / "second")
    run_pipeline(second, models=fake_models(second))
    assert any((first.cache_dir / "stages" / "phrase_tokens").rglob("*.pkl"))  # theme naming's tokens too
    for table in ("topics", "quotes", "parents"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(first.out_dir / f"{table}.parquet"), pd.read_parquet(second.out_dir / f"{table}.parquet")
        )


def test_naming_tokens_are_remembered_between_runs(tmp_path, monkeypatch):
    from nlp.topics.phrases import PhraseTokenizer, Token

    config = PipelineConfig(cache_dir=tmp_path)
    texts = [*ANSWERS, "OCDS helped governments publish tenders"]
    expected = {t: PhraseTokenizer().tokens(t) for t in texts}

    def read_all(tokenizer):
        return {t: tokenizer.tokens(t) for t in texts}

    assert incremental.with_remembered_tokens(config, texts, read_all) == expected
    # The next run reads nothing with spaCy: every text's tokens come from the stage cache.
    monkeypatch.setattr(PhraseTokenizer, "__init__", lambda self, known=None: setattr(self, "_memo", dict(known)))
    again = incremental.with_remembered_tokens(config, texts, read_all)
    assert again == expected
    assert all(type(token) is Token for tokens in again.values() for token in tokens)  # naming reads .lemma etc.


def test_terms_read_chunk_by_chunk_equal_spacy_reading_the_whole_text():
    """A topic's concatenated quotes are read from each chunk's remembered tokens, with the same terms."""
    from nlp.topics.labels import PhraseAnalyzer

    analyser = PhraseAnalyzer()

    def whole(text: str) -> list[tuple[str, str]]:  # the analysis as spaCy reads the full text
        out, previous = [], None
        for token in analyser._nlp(text):
            lemma = token.lower_ if token.is_upper else token.lemma_.lower()
            if token.is_alpha and len(lemma) > 1 and lemma not in analyser._stop and token.lower_ not in analyser._stop:
                out.append((lemma, token.lower_))
                if previous is not None and previous[0] != lemma:
                    out.append((f"{previous[0]} {lemma}", f"{previous[1]} {token.lower_}"))
                previous = (lemma, token.lower_)
            else:
                previous = None
        return out

    tricky = ["Open data portal  helpdesk", "Open data\nportal", "OCDS data-standards (e.g. tenders)", " leading space",
              "U.S. policy makers don't  know", "contracting\u00a0reform", "tabs\tbetween\twords", "end. Start again"]
    texts = [*ANSWERS, *tricky, " ".join(ANSWERS), " ".join(tricky), "  ".join(ANSWERS[:5]), "\n".join(tricky)]
    for text in texts:
        assert analyser._analyse(text) == whole(text), text
    # The concatenations joined adjacent quotes' words into phrases, as BERTopic's c-TF-IDF sees them.
    joined = analyser._analyse("Open data portal helpdesk")
    assert ("datum portal", "data portal") in joined and ("portal helpdesk", "portal helpdesk") in joined


def test_prune_keeps_what_the_run_used_and_the_latest_others(tmp_path):
    import os

    from nlp.stagecache import prune

    cache = StageCache(tmp_path, "quotes", {"x": 1}, ("nlp.quotes",))
    other = StageCache(tmp_path, "quotes", {"x": 2}, ("nlp.quotes",))  # an older setting's folder
    for i in range(4):
        cache.put(f"old{i}", i)
        os.utime(cache.folder / f"old{i}.pkl", (1000 + i, 1000 + i))
    other.put("gone", 0)
    os.utime(other.folder / "gone.pkl", (500, 500))
    cache.put("new", 9)
    assert cache.get("old0") == 0  # read by this run: it counts as used
    assert prune(tmp_path, since=2000, keep=2) == 2
    assert sorted(p.stem for p in tmp_path.rglob("*.pkl")) == ["new", "old0", "old2", "old3"]
    assert not other.folder.exists()  # emptied, so removed
    assert prune(tmp_path / "missing", since=0, keep=0) == 0


def test_the_stage_cache_stops_growing_and_a_rerun_stays_warm(tmp_path, monkeypatch, fake_models):
    """Edit one file again and again: old versions beyond ``cache_keep`` go, the last ones stay usable."""
    raw = _raw(tmp_path, FILES)
    config = PipelineConfig(raw_dir=raw, out_dir=tmp_path / "out", cache_dir=tmp_path / "interim", cache_keep=1)
    quote_entries = lambda: sorted((config.cache_dir / "stages" / "quotes").rglob("*.pkl"))  # noqa: E731
    versions = [_transcript([*ANSWERS[6:], SHARED, f"Answer number {n} about the helpdesk hours."]) for n in range(4)]
    for text in versions:
        (raw / "b.txt").write_text(text, encoding="utf-8")
        run_pipeline(config, models=fake_models(config))
        # a.txt and this b.txt (used), plus at most one older version of b.txt
        assert len(quote_entries()) <= 3
    assert len(quote_entries()) == 3
    for stage in (config.cache_dir / "stages").iterdir():  # each stage: two files' entries and one more
        assert len(list(stage.rglob("*.pkl"))) <= 3, stage.name

    # Back to the previous version: both files come from the cache, and nothing else was dropped.
    seen = _count_splits(monkeypatch)
    (raw / "b.txt").write_text(versions[-2], encoding="utf-8")
    run_pipeline(config, models=fake_models(config))
    assert seen == [] and len(quote_entries()) == 3


def test_rescored_confidence_is_kept_per_file_and_equals_rescoring_all_quotes(tmp_path):
    from nlp.recommendations import default_head, predict_proba
    from nlp.recommendations.clauses import rescore_quotes
    from nlp.schemas import Quote

    texts = [*ANSWERS, "Thanks, that's a good question. We need a helpdesk - please add one for suppliers."]
    quotes = [
        Quote(quote_id=f"q{i}", source_file=f"{'ab'[i % 2]}.txt", section="", question="", response_id=f"r{i}",
              speaker="", is_direct_quote=False, text=t, char_start=0, char_end=len(t))
        for i, t in enumerate(texts)
    ]
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(quotes), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    part_vectors: dict[str, np.ndarray] = {}  # each part text's vector, the same whatever its batch

    def score(xs):
        vs = np.stack([part_vectors.setdefault(x, rng.standard_normal(384).astype(np.float32)) for x in xs])
        return predict_proba(list(xs), embeddings=vs / np.linalg.norm(vs, axis=1, keepdims=True), head=head)

    head = default_head()
    config = PipelineConfig(cache_dir=tmp_path)
    calls: list[int] = []

    def rescore(xs, p):
        calls.append(len(xs))
        return rescore_quotes(xs, p, score)

    kept = incremental.recommendation_confidence(quotes, vectors, head, config, rescore)
    whole = rescore_quotes(texts, predict_proba(texts, embeddings=vectors, head=head), score)
    assert kept == pytest.approx(whole, rel=1e-12, abs=1e-12) and len(calls) == 2  # one call per file
    assert incremental.recommendation_confidence(quotes, vectors, head, config, rescore) == kept and len(calls) == 2
    plain = incremental.recommendation_confidence(quotes, vectors, head, config)  # not rescored: its own entries
    assert plain == pytest.approx(predict_proba(texts, embeddings=vectors, head=head), rel=1e-12)
