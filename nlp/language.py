"""Language of each quote, with the file's language as context for short quotes.

The bundled embedding model (all-MiniLM-L6-v2) was trained on English. Text in another
language does not land near English text on the same subject, so a French interview among
English ones forms "French" topics rather than joining the themes it talks about. Each quote
therefore records its language, and ``nlp.analysable`` keeps quotes in a language the model
cannot place out of topic fitting.

Detection uses py3langid (a maintained fork of langid.py: a naive Bayes model over byte
n-grams, shipped inside the package, deterministic, offline). Short text is unreliable
("Yeah okay" reads as Somali), so the rule is:

1. The file's language is the language of all its quotes' text together.
2. A quote keeps a language of its own only when it is at least ``min_chars`` (40)
   characters long and the classifier's normalised probability is at least
   ``min_confidence`` (0.9); otherwise it takes its file's language.

Codes are ISO 639-1 (``en``, ``fr``) where one exists, else py3langid's ISO 639-3 code.
"""

from __future__ import annotations

import hashlib
import pickle
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["LanguageConfig", "detect_languages", "load_identifier"]


@dataclass(frozen=True)
class LanguageConfig:
    """When a quote's own detection overrides its file's language.

    Attributes:
        min_chars: shorter quotes take their file's language.
        min_confidence: a quote's own language must have at least this probability.
    """

    min_chars: int = 40
    min_confidence: float = 0.9


@lru_cache(maxsize=1)
def load_identifier():
    """py3langid's bundled model, with probabilities normalised to [0, 1].

    A private instance rather than the module-level one, whose language set other code could
    restrict. The bundled model is an LZMA-compressed npz whose decompression costs about
    0.5 CPU s in every process; the built identifier is kept once per machine as a pickle
    (``nlp.machine_cache.cache_home()``, about 70 MB), which loads in about 0.07 s. The pickle is
    named for py3langid's version and the model file's stamp, so an upgrade builds it again.
    """
    import py3langid
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    from nlp.machine_cache import cache_home, file_stamp

    model = Path(MODEL_DIR) / MODEL_FILE
    key = hashlib.sha256(f"{py3langid.__version__}:{model.resolve()}:{file_stamp(model)}".encode()).hexdigest()[:16]
    kept = cache_home() / "py3langid" / f"identifier-{key}.pkl"
    try:
        with kept.open("rb") as fh:
            identifier = pickle.load(fh)
        if isinstance(identifier, LanguageIdentifier):
            return identifier
    except Exception:  # missing, unreadable or from another version: build it again
        pass
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    _keep(identifier, kept)
    return identifier


def _keep(identifier, kept: Path) -> None:
    # Best effort, as for nlp.startup's hash stamps: a read-only home only means decompressing again.
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        for stale in kept.parent.glob("identifier-*.pkl"):
            stale.unlink(missing_ok=True)
        tmp = kept.with_name(f".{kept.name}.{uuid.uuid4().hex}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(identifier, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(kept)
    except OSError:
        pass


def detect_languages(
    texts: Sequence[str],
    groups: Sequence[str],
    *,
    identifier=None,
    config: LanguageConfig | None = None,
) -> list[str]:
    """Language code of each text, falling back to its group's language when unsure.

    Args:
        texts: Quote texts.
        groups: Per text, the document it comes from (its ``source_file``): the context
            that decides the language of short or uncertain quotes.
        identifier: Anything with ``classify(text) -> (code, probability)``; defaults to
            ``load_identifier()``.
        config: Thresholds.

    Returns:
        One language code per text.
    """
    if len(texts) != len(groups):
        raise ValueError(f"{len(texts)} texts but {len(groups)} groups")
    cfg = config or LanguageConfig()
    ident = identifier or load_identifier()
    joined: dict[str, list[str]] = {}
    for text, group in zip(texts, groups):
        joined.setdefault(group, []).append(text)
    group_language = {g: ident.classify("\n".join(ts))[0] for g, ts in joined.items()}
    languages: list[str] = []
    for text, group in zip(texts, groups):
        language = group_language[group]
        if len(text.strip()) >= cfg.min_chars:
            own, probability = ident.classify(text)
            if probability >= cfg.min_confidence:
                language = own
        languages.append(language)
    return languages
