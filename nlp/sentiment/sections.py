"""Sentiment per section of the interview guide, and per (topic, section).

Both aggregations count each distinct response once: a quote whose ``duplicate_of`` is set
repeats a quote already counted, so it is left out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlp.schemas import Quote, SectionSentiment
from nlp.sentiment.head import NEUTRAL_BAND

__all__ = [
    "TopicSectionSentiment",
    "aggregate_sections",
    "aggregate_topic_sections",
    "bootstrap_ci",
]


@dataclass(frozen=True)
class TopicSectionSentiment:
    """Mean sentiment of the distinct quotes of one topic within one section."""

    topic_id: int
    section: str
    n_quotes: int
    mean_sentiment: float


def _check_lengths(quotes: Sequence[Quote], **others: Sequence) -> None:
    for name, values in others.items():
        if len(values) != len(quotes):
            raise ValueError(f"{len(quotes)} quotes but {len(values)} {name}")


def _distinct(quotes: Sequence[Quote]) -> list[int]:
    """Indices of the quotes that are not copies of an earlier quote."""
    return [i for i, quote in enumerate(quotes) if quote.duplicate_of is None]


def _section_rng(seed: int, section: str) -> np.random.Generator:
    # Seeded per section by name, so a section's interval does not change when other sections
    # are added, removed or reordered.
    digest = hashlib.sha256(section.encode("utf-8")).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "big")])


# Resampled values per block of bootstrap rows: 4M indices and values, 64 MB.
_BOOT_BLOCK_VALUES = 4_000_000


def bootstrap_ci(
    values: np.ndarray, rng: np.random.Generator, n_boot: int = 2000, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (resampling values with replacement).

    Raises:
        ValueError: ``values`` is empty or ``n_boot`` < 1.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("cannot bootstrap the mean of no values")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, not {n_boot}")
    # Resamples drawn a block of rows at a time: one (n_boot, n) draw held 2,000 x 100k int64
    # indices plus their values (3.2 GB) for a 100k-quote section. Row by row from the same
    # generator, the draws and each row's mean are the same as in one block (a test checks).
    rows = max(1, _BOOT_BLOCK_VALUES // values.size)
    resampled = np.empty(n_boot, dtype=np.float64)
    for start in range(0, n_boot, rows):
        block = min(rows, n_boot - start)
        resampled[start : start + block] = values[rng.integers(0, values.size, size=(block, values.size))].mean(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(resampled, [tail, 100.0 - tail])
    return float(low), float(high)


def _shares(values: np.ndarray, neutral_band: float) -> tuple[float, float, float]:
    positive = float(np.mean(values >= neutral_band))
    negative = float(np.mean(values <= -neutral_band))
    return positive, 1.0 - positive - negative, negative


def aggregate_sections(
    quotes: Sequence[Quote],
    scores: Sequence[float],
    seed: int = 0,
    n_boot: int = 2000,
    neutral_band: float = NEUTRAL_BAND,
) -> list[SectionSentiment]:
    """One row per section: mean sentiment, seeded 95% bootstrap interval and polarity shares.

    Args:
        quotes: the quotes, in document order.
        scores: sentiment of each quote, parallel to ``quotes``.
        seed: seeds the bootstrap; the same inputs and seed give the same intervals.
        n_boot: bootstrap resamples per section.
        neutral_band: scores with ``abs(score) < neutral_band`` count as neutral.

    Returns:
        Sections in order of first appearance. Quotes with ``duplicate_of`` set are left out;
        a section holding only such quotes gets no row. ``question`` is that of the section's
        first counted quote.

    Raises:
        ValueError: ``scores`` is not parallel to ``quotes``, or a score is not finite.
    """
    _check_lengths(quotes, scores=scores)
    values = np.asarray(scores, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("sentiment scores must be finite numbers")
    members: dict[str, list[int]] = {}
    for i in _distinct(quotes):
        members.setdefault(quotes[i].section, []).append(i)
    rows = []
    for section, indices in members.items():
        section_values = values[indices]
        low, high = bootstrap_ci(section_values, _section_rng(seed, section), n_boot)
        positive, neutral, negative = _shares(section_values, neutral_band)
        rows.append(
            SectionSentiment(
                section=section,
                question=quotes[indices[0]].question,
                n_quotes=len(indices),
                mean_sentiment=float(section_values.mean()),
                ci_low=low,
                ci_high=high,
                share_positive=positive,
                share_neutral=neutral,
                share_negative=negative,
            )
        )
    return rows


def aggregate_topic_sections(
    quotes: Sequence[Quote], scores: Sequence[float], topic_ids: Sequence[int]
) -> list[TopicSectionSentiment]:
    """Mean sentiment and count of distinct quotes per (topic, section).

    Args:
        quotes: the quotes.
        scores: sentiment of each quote, parallel to ``quotes``.
        topic_ids: topic of each quote, parallel to ``quotes`` (-1 for outliers, kept as a row).

    Returns:
        Rows ordered by topic id, then by the section's first appearance in ``quotes``; quotes
        with ``duplicate_of`` set are left out.

    Raises:
        ValueError: ``scores`` or ``topic_ids`` is not parallel to ``quotes``.
    """
    _check_lengths(quotes, scores=scores, topic_ids=topic_ids)
    section_order = {}
    for quote in quotes:
        section_order.setdefault(quote.section, len(section_order))
    groups: dict[tuple[int, str], list[float]] = {}
    for i in _distinct(quotes):
        groups.setdefault((int(topic_ids[i]), quotes[i].section), []).append(float(scores[i]))
    keys = sorted(groups, key=lambda key: (key[0], section_order[key[1]]))
    return [
        TopicSectionSentiment(
            topic_id=topic_id,
            section=section,
            n_quotes=len(groups[(topic_id, section)]),
            mean_sentiment=float(np.mean(groups[(topic_id, section)])),
        )
        for topic_id, section in keys
    ]
