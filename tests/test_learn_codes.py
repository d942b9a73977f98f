"""Coding learned from a human coding: per-code models, thresholds, and the run's codes.parquet."""

from __future__ import annotations

import numpy as np
import pandas as pd
from nlp.code_corpus import code_corpus, leaf_codes, match_quotes
from nlp.codebook import Code, Codebook
from nlp.codings import CodedUnit, Coding
from nlp.learn_codes import CodePrior, learn_codes


class FakeEmbedder:
    """Unit vectors over a few concepts: a text points at the concepts it names."""

    name = "fake"
    model_sha256 = "0" * 64
    concepts = ("money", "training", "data", "weather", "lunch")
    dim = len(concepts) + 1

    def embed(self, texts):
        rows = []
        for text in texts:
            # A small text-dependent part keeps texts distinct, as real sentences are.
            jitter = (sum(map(ord, text)) % 97) / 970
            v = np.array([text.lower().count(c) for c in self.concepts] + [jitter], dtype=np.float64) + 1e-3
            rows.append(v / np.linalg.norm(v))
        return np.stack(rows)


TOPICS = {"Funding": "money", "Skills": "training", "Open data": "data"}


def _corpus(n_per: int, seed: int):
    rng = np.random.default_rng(seed)
    texts, codes = [], []
    for i in range(n_per * 4):
        chosen = [c for c in TOPICS if rng.random() < 0.3]
        filler = ["weather"] if rng.random() < 0.5 else ["lunch"]
        texts.append(" and ".join([TOPICS[c] for c in chosen] + filler) + f" #{seed}-{i}")
        codes.append(set(chosen))
    return texts, codes


def test_learns_each_code_and_names_the_rare_one():
    embedder = FakeEmbedder()
    texts, codes = _corpus(25, 0)
    new_texts, new_codes = _corpus(10, 1)
    names = [*TOPICS, "Rare"]
    labels = np.array([[c in cs for c in names] for cs in codes])
    labels[:2, 3] = True  # two examples only
    priors = [CodePrior.from_name(n) for n in names]
    result = learn_codes(
        embedder.embed(texts), texts, labels, priors, [embedder.embed(list(p.anchors)) for p in priors],
        embedder.embed(new_texts), new_texts,
    )
    assert result.too_few == ("Rare",)
    assert [c.code for c in result.codes] == list(TOPICS)
    assert all(c.cv_kappa is not None and c.cv_kappa > 0.8 for c in result.codes)
    truth = np.array([[c in cs for c in TOPICS] for cs in new_codes])
    assert (result.assigned == truth).mean() > 0.95
    assert result.probabilities.shape == (len(new_texts), 3)


def test_leaf_codes_drop_implied_parents():
    assert leaf_codes({"a", "a->b", "c"}) == ["a->b", "c"]


def _quotes(texts):
    return pd.DataFrame({
        "quote_id": [f"q{i}" for i in range(len(texts))], "text": texts,
        "response_id": [f"r{i // 2}" for i in range(len(texts))], "source_file": "s.txt",
        "char_start": [10 * i for i in range(len(texts))], "char_end": [10 * i + 9 for i in range(len(texts))],
        "duplicate_of": None, "section": "S",
    })


def test_units_tie_to_quotes_by_id_response_span_and_text():
    quotes = _quotes(["we need money for it", "training of the staff", "open data portals now", "x"])
    units = (
        CodedUnit("q3", "", frozenset({"A"})),
        CodedUnit("r0", "", frozenset({"B"})),
        CodedUnit("s.txt@19-31", "", frozenset({"C"}), source_file="s.txt", char_start=19, char_end=31),
        CodedUnit("t", "Intro. Open  data portals now! More.", frozenset({"D"})),
        CodedUnit("u", "nothing like it", frozenset({"E"})),
    )
    got = match_quotes(Coding(None, units, ()), quotes)
    assert got == [("q3",), ("q0", "q1"), ("q2",), ("q2",), ()]


def test_human_codes_kept_and_the_rest_learned():
    embedder = FakeEmbedder()
    texts, codes = _corpus(25, 2)
    new_texts, new_codes = _corpus(5, 3)
    quotes = _quotes(texts + new_texts)
    units = tuple(
        CodedUnit(f"q{i}", t, frozenset(c | ({"Funding->Grants"} if c & {"Funding"} and i % 2 else set())))
        for i, (t, c) in enumerate(zip(texts, codes))
    )
    coding = Coding(None, units, ())
    book = Codebook("b", (Code("Skills", "training courses", ("staff training",), ("training",)),))
    result = code_corpus(quotes, coding, embedder, book)
    frame = result.codes
    human = frame[frame["source"] == "human"]
    assert set(human["quote_id"]) <= {f"q{i}" for i in range(len(texts))}
    assert (human["probability"] == 1.0).all()
    # A human code is never recoded: the coded quotes get no machine rows.
    machine = frame[frame["source"] == "machine"]
    assert not set(machine["quote_id"]) & set(human["quote_id"])
    assert machine["probability"].between(0, 1).all()
    assert "Funding" not in set(human.loc[human["quote_id"] == "q1", "code"]) or "Funding->Grants" not in set(
        human.loc[human["quote_id"] == "q1", "code"]
    )
    coded_new = {q: set(machine.loc[machine["quote_id"] == q, "code"]) for q in quotes["quote_id"][len(texts):]}
    hits = [coded_new[f"q{len(texts) + i}"] & set(TOPICS) == c for i, c in enumerate(new_codes)]
    assert np.mean(hits) >= 0.8
    assert result.human_quotes == len(texts) and result.machine_quotes == len(new_texts)
