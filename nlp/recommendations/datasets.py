"""Readers for the SemEval-2019 Task 9 suggestion-mining files (Negi, Daudert & Buitelaar 2019).

The files come with quirks this module absorbs: the training file has no header and wraps every
sentence in an extra pair of quotes; the trial files are not valid UTF-8 (a few mojibake bytes
from a Windows code page); sentences may contain embedded line breaks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "HELDOUT_SHARE",
    "SPLIT_SEED",
    "LabelledSentences",
    "heldout_split",
    "read_labelled_tsv",
    "read_semeval",
]


@dataclass(frozen=True)
class LabelledSentences:
    """Parallel tuples of ids, sentences and labels (True = suggestion)."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    labels: tuple[bool, ...]

    def __len__(self) -> int:
        return len(self.texts)


def _decode(raw: bytes) -> str:
    # cp1252 cannot decode every byte (0x81, 0x8f, 0x90 ...) and the trial files contain
    # exactly those, so latin-1 is the fallback that never fails.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _clean(sentence: str) -> str:
    text = " ".join(sentence.split())
    # The training file wraps each sentence in one extra pair of quotes.
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1].strip()
    return text


def read_semeval(path: str | Path) -> LabelledSentences:
    """Read one SemEval-2019 Task 9 CSV file (with or without its ``id,sentence,label`` header).

    Raises:
        ValueError: a row does not have three fields or its label is not 0/1; the message names
            the file and row.
    """
    path = Path(path)
    rows = csv.reader(io.StringIO(_decode(path.read_bytes()), newline=""))
    ids: list[str] = []
    texts: list[str] = []
    labels: list[bool] = []
    for number, row in enumerate(rows, start=1):
        if not row:
            continue
        if number == 1 and row[-1].strip().lower() == "label":
            continue
        if len(row) != 3 or row[2].strip() not in {"0", "1"}:
            raise ValueError(f"{path}: row {number} is not 'id,sentence,label' with a 0/1 label")
        ids.append(row[0].strip())
        texts.append(_clean(row[1]))
        labels.append(row[2].strip() == "1")
    return LabelledSentences(tuple(ids), tuple(texts), tuple(labels))


def read_labelled_tsv(path: str | Path) -> LabelledSentences:
    """Read a ``source, line, label, sentence`` TSV with a header, as in ``training/data/suggestions/``.

    Raises:
        ValueError: a row lacks a field or its label is not 0/1; the message names the file and row.
    """
    path = Path(path)
    ids: list[str] = []
    texts: list[str] = []
    labels: list[bool] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE), start=2):
            if None in row.values() or row["label"] not in {"0", "1"}:
                raise ValueError(f"{path}: row {number} is not 'source, line, label, sentence' with a 0/1 label")
            ids.append(f"{row['source']}:{row['line']}")
            texts.append(" ".join(row["sentence"].split()))
            labels.append(row["label"] == "1")
    return LabelledSentences(tuple(ids), tuple(texts), tuple(labels))


SPLIT_SEED = 20190609
"""Seed of the fit / held-out split of the recommendation training data."""

HELDOUT_SHARE = 0.2
"""Share of each (domain, label) cell kept out of fitting and of every choice made in training."""


def heldout_split(labels: Sequence[bool], domains: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the fit part and of the held-out part, stratified by domain and label.

    The same seed and share as the first head (2026-11-24), so that head's held-out sentences
    are these ones. The held-out part is for measuring only: the training script fits, picks
    its regularisation and its threshold inside the fit part.

    Returns:
        ``(fit, heldout)``: sorted index arrays into ``labels``.
    """
    from sklearn.model_selection import train_test_split

    strata = np.char.add(np.asarray(domains, dtype=str), np.asarray(labels, dtype=bool).astype(str))
    fit, held = train_test_split(
        np.arange(len(strata)), test_size=HELDOUT_SHARE, stratify=strata, random_state=SPLIT_SEED
    )
    return np.sort(fit), np.sort(held)
