"""Deductive coding: assign quotes to the codes of a researcher's codebook.

A codebook is a YAML file::

    name: OCP engagement criteria
    codes:
      - name: "4 Resources"
        description: There are clearly identified resources, especially money, ...
        examples: [funding to pay for the implementation, a budget for the project]
        keywords: [funding, budget]          # optional

A quote gets a code when its embedding is close enough to the code (the highest cosine
similarity to the code's description or any of its examples reaches ``DEFAULT_THRESHOLD``), or
when one of the code's keywords occurs in it (case-insensitive, on word boundaries). A quote
may get several codes, or none. Inductive themes come from ``nlp.topics``; this module answers
the other question a researcher asks: how often does each of *my* categories come up, and where.

The threshold, 0.45, was read off the distribution of scores on the seed rather than fitted to
any one quote: it is the 90th percentile of all quote x code similarities, where half of the
quotes get an embedding code; below it the extra matches are mostly loose. The numbers are at
``DEFAULT_THRESHOLD``. Keywords carry explicit cues that the embedding misses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nlp.embeddings import Embedder

__all__ = [
    "CODES_TABLE",
    "COVERAGE_TABLE",
    "DEFAULT_THRESHOLD",
    "Code",
    "CodeMatch",
    "Codebook",
    "assign_codes",
    "code_coverage",
    "load_codebook",
    "matches_frame",
    "write_codes",
]

CODES_TABLE = "codes"
COVERAGE_TABLE = "code_coverage"

# Chosen from the score distribution, not from one sentence. On the seed (217 quotes x the 11
# OCP engagement criteria, bundled all-MiniLM-L6-v2) every quote sits in one domain, so even
# unrelated quote/code pairs score high: all pairs have a median max cosine of 0.27, a 90th
# percentile of 0.45 and a 99th of 0.66; the best code per quote has a median of 0.45. At 0.45
# about 10% of pairs pass and half of the quotes get an embedding code (1.1 codes per quote,
# 2.1 per coded quote). At 0.40 the
# average rises to 1.8 codes per quote and the extra matches, read by hand, are mostly loose
# (a planning remark coded as "Resources"); at 0.30 most quotes get four or more codes. Even
# at 0.45 precision is moderate: treat embedding matches as suggestions to review, and rely on
# keywords for explicit cues ("Financial support: ..." scores 0.31 against "4 Resources" and is
# assigned by its keyword, not its embedding).
DEFAULT_THRESHOLD = 0.45


@dataclass(frozen=True)
class Code:
    """One category of a codebook.

    Attributes:
        name: the code as a researcher names it, e.g. ``"4 Resources"``.
        description: what the code means; embedded as one of its anchors.
        examples: short phrases that belong to the code; each is an anchor.
        keywords: cues that assign the code on their own (word-boundary, case-insensitive).
    """

    name: str
    description: str
    examples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @property
    def anchors(self) -> tuple[str, ...]:
        """Texts whose embeddings stand for the code."""
        return (self.description, *self.examples)


@dataclass(frozen=True)
class Codebook:
    """A named set of codes."""

    name: str
    codes: tuple[Code, ...]


@dataclass(frozen=True)
class CodeMatch:
    """One quote assigned to one code.

    Attributes:
        quote_id: the quote (``quotes.parquet``).
        code: the code's name.
        similarity: highest cosine similarity of the quote to the code's anchors.
        matched_by: ``embedding``, ``keyword`` or ``both``.
    """

    quote_id: str
    code: str
    similarity: float
    matched_by: str


def load_codebook(path: Path) -> Codebook:
    """Read a YAML codebook.

    Raises:
        ValueError: naming the file, when a code lacks a name or description, or names repeat.
    """
    import yaml

    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    raw_codes = data.get("codes") or []
    if not raw_codes:
        raise ValueError(f"{path}: no codes; expected a list under 'codes:'")
    codes: list[Code] = []
    for i, raw in enumerate(raw_codes, 1):
        name, description = str(raw.get("name") or "").strip(), str(raw.get("description") or "").strip()
        if not name or not description:
            raise ValueError(f"{path}: code #{i} needs both 'name' and 'description'")
        codes.append(
            Code(
                name=name,
                description=description,
                examples=tuple(str(e).strip() for e in raw.get("examples") or () if str(e).strip()),
                keywords=tuple(str(k).strip() for k in raw.get("keywords") or () if str(k).strip()),
            )
        )
    names = [c.name for c in codes]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: code names must be unique")
    return Codebook(name=str(data.get("name") or path.stem), codes=tuple(codes))


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str] | None:
    if not keywords:
        return None
    # \b fails next to non-word characters ("e-procurement", "C++"), so look for a non-word
    # character or the text's edge instead.
    alternatives = "|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def code_similarities(texts: Sequence[str], codebook: Codebook, embedder: Embedder) -> np.ndarray:
    """(n_texts, n_codes) highest cosine similarity of each text to each code's anchors."""
    anchors = [a for code in codebook.codes for a in code.anchors]
    owner = np.repeat(np.arange(len(codebook.codes)), [len(c.anchors) for c in codebook.codes])
    if not texts:
        return np.zeros((0, len(codebook.codes)), dtype=np.float32)
    # The embedder returns unit vectors, so the dot product is the cosine.
    sims = np.asarray(embedder.embed(list(texts))) @ np.asarray(embedder.embed(anchors)).T
    out = np.full((len(texts), len(codebook.codes)), -1.0, dtype=np.float32)
    for j in range(len(codebook.codes)):
        out[:, j] = sims[:, owner == j].max(axis=1)
    return out


def assign_codes(
    quote_ids: Sequence[str],
    texts: Sequence[str],
    codebook: Codebook,
    embedder: Embedder,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[CodeMatch]:
    """Assign each quote to every code it matches, by embedding similarity or keyword.

    Args:
        quote_ids: ids of the quotes, aligned with ``texts``.
        texts: the quotes' text.
        codebook: the codes to assign.
        embedder: unit-vector embedder (``nlp.embeddings.CachedEmbedder`` in real runs).
        threshold: cosine similarity a quote needs to a code's closest anchor; see
            ``DEFAULT_THRESHOLD`` for how the default was chosen.

    Returns:
        One match per (quote, code) pair, in quote order, then codebook order.
    """
    if len(quote_ids) != len(texts):
        raise ValueError("quote_ids and texts must have the same length")
    sims = code_similarities(texts, codebook, embedder)
    patterns = [_keyword_pattern(code.keywords) for code in codebook.codes]
    matches: list[CodeMatch] = []
    for i, (quote_id, text) in enumerate(zip(quote_ids, texts)):
        for j, code in enumerate(codebook.codes):
            by_embedding = bool(sims[i, j] >= threshold)
            by_keyword = patterns[j] is not None and patterns[j].search(text) is not None
            if by_embedding or by_keyword:
                how = "both" if by_embedding and by_keyword else "embedding" if by_embedding else "keyword"
                matches.append(CodeMatch(quote_id, code.name, round(float(sims[i, j]), 6), how))
    return matches


def matches_frame(matches: Sequence[CodeMatch]) -> pd.DataFrame:
    """``codes.parquet`` (``nlp.tables.CODES``): one row per quote x code match.

    ``source`` is ``machine`` and ``probability`` empty (NaN): a codebook match has a
    similarity, not a calibrated probability; learned coding (``nlp.code_corpus``) fills both.
    """
    from nlp import tables

    frame = tables.records_frame(
        matches, tables.CODES, source=["machine"] * len(matches), probability=[float("nan")] * len(matches)
    )
    return frame.astype({"probability": "float64", "similarity": "float64"})


def code_coverage(quotes: pd.DataFrame, matches: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """``code_coverage.parquet``: how much of each section each code covers.

    Duplicated quotes (``duplicate_of`` set) are left out, so a response repeated in two
    sections is not counted twice. Every code x section pair is listed, zeros included, so a
    code that never comes up in a section is visible as such.

    Returns:
        Columns ``code``, ``section``, ``n_quotes``, ``n_responses`` and
        ``share_of_section_responses`` (responses in the section that raise the code).
    """
    distinct = quotes[quotes["duplicate_of"].isna()]
    coded = matches.merge(distinct[["quote_id", "section", "response_id"]], on="quote_id")
    section_order = list(dict.fromkeys(distinct["section"]))
    responses_per_section = distinct.groupby("section")["response_id"].nunique()
    rows = []
    for code in codebook.codes:
        mine = coded[coded["code"] == code.name]
        for section in section_order:
            in_section = mine[mine["section"] == section]
            n_responses = int(in_section["response_id"].nunique())
            rows.append(
                {
                    "code": code.name,
                    "section": section,
                    "n_quotes": int(in_section["quote_id"].nunique()),
                    "n_responses": n_responses,
                    "share_of_section_responses": n_responses / int(responses_per_section[section]),
                }
            )
    return pd.DataFrame(
        rows, columns=["code", "section", "n_quotes", "n_responses", "share_of_section_responses"]
    )


def write_codes(
    processed_dir: Path,
    codebook: Codebook,
    embedder: Embedder,
    threshold: float = DEFAULT_THRESHOLD,
) -> tuple[Path, Path]:
    """Code every quote of a finished run and write ``codes.parquet`` and ``code_coverage.parquet``.

    Both go through the staging swap of the processed folder (``nlp.store.update_outputs``),
    so readers see the run without codes or with both files, never one or half of one. The
    next pipeline run replaces the processed folder as a whole and drops both files: run this
    again after it.

    Returns:
        Paths of the two files.
    """
    from nlp import tables
    from nlp.store import update_outputs

    processed_dir = Path(processed_dir)
    quotes = tables.QUOTES.read(processed_dir)
    matches = matches_frame(
        assign_codes(quotes["quote_id"].tolist(), quotes["text"].tolist(), codebook, embedder, threshold)
    )
    coverage = code_coverage(quotes, matches, codebook)
    with update_outputs(processed_dir, CODES_TABLE) as staging:
        staging.write_table(tables.CODES, matches)
        staging.write_table(tables.CODE_COVERAGE, coverage)
    return processed_dir / tables.CODES.filename, processed_dir / tables.CODE_COVERAGE.filename
