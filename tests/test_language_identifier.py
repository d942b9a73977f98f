"""The language identifier kept once per machine (``nlp.language.load_identifier``)."""

from __future__ import annotations

import pytest

from nlp.language import load_identifier

TEXTS = (
    "We mostly deploy the model with a nightly batch job and check the drift by hand.",
    "Nous déployons le modèle chaque nuit et vérifions la dérive à la main.",
    "Wir prüfen die Daten jeden Morgen, bevor das Training beginnt.",
)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("INTERVIEWS_CACHE_HOME", str(tmp_path))
    load_identifier.cache_clear()
    yield tmp_path
    load_identifier.cache_clear()  # later tests build it from their own home


def test_the_kept_identifier_classifies_as_py3langids_own_and_a_broken_one_is_rebuilt(home):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    own = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    expected = [own.classify(t) for t in TEXTS]
    assert [c for c, _ in expected] == ["en", "fr", "de"]

    built = load_identifier()
    kept = list((home / "py3langid").glob("identifier-*.pkl"))
    assert len(kept) == 1
    assert [built.classify(t) for t in TEXTS] == expected

    load_identifier.cache_clear()  # a new process: loads what was kept
    assert [load_identifier().classify(t) for t in TEXTS] == expected

    kept[0].write_bytes(b"not a pickle")  # a truncated or foreign file only costs a rebuild
    load_identifier.cache_clear()
    assert [load_identifier().classify(t) for t in TEXTS] == expected
    assert kept[0].stat().st_size > 1_000_000
