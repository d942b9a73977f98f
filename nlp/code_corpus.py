"""Code a run's quotes from a researcher's coding: their codes kept, the rest learned.

``interviews codes --learn-from CODING`` calls ``write_learned_codes``. The coding's units are
tied to the run's quotes by quote id, by response id, by character span in the same source
(a ``.qdpx``), or else by text (a quote whose text is the unit's, or lies inside it). Quotes
tied to a coded unit keep the human's codes (``source="human"``) and are never recoded; every
other quote is coded by ``nlp.learn_codes`` (``source="machine"``, with its probability).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nlp.codebook import Code, Codebook
from nlp.codings import HIERARCHY_SEPARATOR, Coding, is_human_coded, normalise_text
from nlp.embeddings import Embedder
from nlp.learn_codes import MIN_EXAMPLES, CodePrior, LearnedCoding, learn_codes

__all__ = ["CODES_COLUMNS", "CorpusCoding", "code_corpus", "leaf_codes", "match_quotes", "write_learned_codes"]

CODES_COLUMNS = ["quote_id", "code", "source", "probability"]
# Shorter quotes ("Yes.", "Training.") occur inside too many responses to be tied by text alone.
_MIN_CONTAINED_CHARS = 15


@dataclass(frozen=True)
class CorpusCoding:
    """What ``code_corpus`` did.

    Attributes:
        codes: ``codes.parquet`` rows: ``quote_id``, ``code``, ``source``, ``probability``.
        learned: the per-code models' report (kappa, threshold) and the codes with too few examples.
        human_quotes: quotes that kept the human's coding.
        machine_quotes: quotes the learned models coded (with a code or without).
        unmatched_units: coded units tied to no quote; they still served as examples.
    """

    codes: pd.DataFrame
    learned: LearnedCoding
    human_quotes: int
    machine_quotes: int
    unmatched_units: int


def leaf_codes(codes: frozenset[str] | set[str]) -> list[str]:
    """The codes not implied by a deeper one: ``{"a", "a->b"}`` -> ``["a->b"]``."""
    return sorted(c for c in codes if not any(o.startswith(c + HIERARCHY_SEPARATOR) for o in codes))


def match_quotes(coding: Coding, quotes: pd.DataFrame) -> list[tuple[str, ...]]:
    """For each unit of the coding, the run's quotes it covers (possibly none)."""
    ids = quotes["quote_id"].astype(str).tolist()
    known = set(ids)
    by_response: dict[str, list[str]] = {}
    for quote_id, response_id in zip(ids, quotes["response_id"].astype(str)):
        by_response.setdefault(response_id, []).append(quote_id)
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for q in quotes[["quote_id", "source_file", "char_start", "char_end"]].itertuples(index=False):
        spans.setdefault(str(q.source_file), []).append((int(q.char_start), int(q.char_end), str(q.quote_id)))
    texts = [normalise_text(t) for t in quotes["text"].astype(str)]
    by_text: dict[str, list[str]] = {}
    for quote_id, text in zip(ids, texts):
        by_text.setdefault(text, []).append(quote_id)

    out: list[tuple[str, ...]] = []
    for unit in coding.units:
        if unit.key in known:
            out.append((unit.key,))
        elif (unit.response_id or unit.key) in by_response:
            out.append(tuple(by_response[unit.response_id or unit.key]))
        elif unit.source_file is not None and unit.source_file in spans:
            start, end = unit.char_start or 0, unit.char_end or 0
            # A quote belongs to a selection that covers at least half of it.
            out.append(tuple(
                q for s, e, q in spans[unit.source_file] if min(e, end) - max(s, start) >= max(1, (e - s) / 2)
            ))
        elif unit.text.strip():
            text = normalise_text(unit.text)
            exact = by_text.get(text)
            out.append(tuple(exact) if exact else tuple(
                q for q, t in zip(ids, texts) if len(t) >= _MIN_CONTAINED_CHARS and t in text
            ))
        else:
            out.append(())
    return out


def _priors(code_names: Sequence[str], coding: Coding, codebook: Codebook | None) -> list[CodePrior]:
    described = {c.name: c for c in coding.codes}
    entries = {c.name: c for c in codebook.codes} if codebook is not None else {}
    priors = []
    for name in code_names:
        entry = entries.get(name)
        if entry is not None:
            priors.append(CodePrior.from_name(name, entry.description, entry.examples, entry.keywords))
        else:
            priors.append(CodePrior.from_name(name, described.get(name).description if name in described else ""))
    return priors


def code_corpus(
    quotes: pd.DataFrame,
    coding: Coding,
    embedder: Embedder,
    codebook: Codebook | None = None,
    min_examples: int = MIN_EXAMPLES,
) -> CorpusCoding:
    """Keep the human's codes where the coding covers a quote, and learn codes for the rest.

    Args:
        quotes: ``quotes.parquet`` of the run.
        coding: the researcher's coding (``nlp.codings.read_coding``).
        embedder: unit-vector embedder (the run's cached one, so quotes are not embedded again).
        codebook: when given, its descriptions, examples and keywords are the codes' priors.
        min_examples: coded examples a code needs to be learned.
    """
    matched = match_quotes(coding, quotes)
    text_of = dict(zip(quotes["quote_id"].astype(str), quotes["text"].astype(str)))
    train_texts, train_codes = [], []
    human: dict[str, set[str]] = {}
    for unit, quote_ids in zip(coding.units, matched):
        # Codes a machine set earlier (a re-imported export) are no human judgement: such a
        # unit is coded again, and teaches nothing.
        if not is_human_coded(unit):
            continue
        own = unit.codes - unit.machine_codes
        for quote_id in quote_ids:
            human.setdefault(quote_id, set()).update(own)
        text = unit.text.strip() or " ".join(text_of[q] for q in quote_ids)
        if text:
            train_texts.append(text)
            train_codes.append(own)
    used = sorted(set().union(*(u.codes - u.machine_codes for u in coding.units)))
    book_names = [c.name for c in codebook.codes] if codebook is not None else []
    # Declared codes nobody used (a re-imported export's topics) are not the researcher's codes.
    code_names = list(dict.fromkeys([*(c for c in coding.code_names if c in set(used)), *used, *book_names]))
    to_code = [q for q in quotes["quote_id"].astype(str) if q not in human]
    priors = _priors(code_names, coding, codebook)
    labels = np.array([[c in codes for c in code_names] for codes in train_codes], dtype=bool).reshape(len(train_texts), len(code_names))
    if train_texts and to_code:
        anchor_vectors = [np.asarray(embedder.embed(list(p.anchors))) for p in priors]
        learned = learn_codes(
            np.asarray(embedder.embed(train_texts)), train_texts, labels, priors, anchor_vectors,
            np.asarray(embedder.embed([text_of[q] for q in to_code])), [text_of[q] for q in to_code],
            min_examples=min_examples,
        )
    else:
        empty = np.zeros((len(to_code), 0))
        learned = LearnedCoding((), tuple(code_names), empty, empty.astype(bool))
    rows = [(q, c, "human", 1.0) for q in quotes["quote_id"].astype(str) if q in human for c in leaf_codes(human[q])]
    for i, quote_id in enumerate(to_code):
        for k, code in enumerate(learned.codes):
            if learned.assigned[i, k]:
                rows.append((quote_id, code.code, "machine", round(float(learned.probabilities[i, k]), 6)))
    frame = pd.DataFrame(rows, columns=CODES_COLUMNS).astype({"quote_id": str, "code": str, "source": str, "probability": "float64"})
    return CorpusCoding(frame, learned, len(human), len(to_code), sum(1 for m in matched if not m))


def write_learned_codes(
    processed_dir: Path,
    coding: Coding,
    embedder: Embedder,
    codebook: Codebook | None = None,
) -> tuple[Path, Path, CorpusCoding]:
    """Code a finished run from a coding; write ``codes.parquet`` and ``code_coverage.parquet``.

    Returns:
        Paths of the two files and what was done.
    """
    from nlp import tables
    from nlp.codebook import CODES_TABLE, code_coverage
    from nlp.store import update_outputs

    processed_dir = Path(processed_dir)
    quotes = tables.QUOTES.read(processed_dir)
    result = code_corpus(quotes, coding, embedder, codebook)
    used = set(result.codes["code"])
    names = [n for n in dict.fromkeys([*coding.code_names, *result.codes["code"]]) if n in used]
    book = Codebook(coding.path.stem, tuple(Code(n, n) for n in names))
    coverage = code_coverage(quotes, result.codes, book)
    # Through the staging swap, like every output; a learned code has no codebook similarity.
    with update_outputs(processed_dir, CODES_TABLE) as staging:
        staging.write_table(tables.CODES, result.codes.reindex(columns=tables.CODES.names))
        staging.write_table(tables.CODE_COVERAGE, coverage)
    return processed_dir / tables.CODES.filename, processed_dir / tables.CODE_COVERAGE.filename, result
