"""Coding learned from the researcher's own coding: extend a human coding to the uncoded quotes.

For every code with at least ``MIN_EXAMPLES`` coded examples, four scores say how much a text
looks like the code:

1. **examples, linear**: a ridge regression on the sentence embeddings, one closed-form solve
   for all codes at once (a logistic regression per code gives the same ranking on this few
   data and costs a fit per code);
2. **examples, nearest**: mean cosine of the text to its three closest coded examples of the
   code, which carries a code with a handful of examples better than any linear fit;
3. **prior, meaning**: the highest cosine of the text to the code's name, and to its codebook
   description and examples when a codebook is given;
4. **prior, words**: the share of the code name's content words (and the codebook's keywords)
   that occur in the text, on five-letter stems, so "beautiful" meets "beauty".

One logistic regression over all (text, code) pairs weighs the four scores and the code's
prevalence into a probability; shared across codes, it learns from the frequent codes how far
to trust each score for the rare ones. For the training texts every score is computed out of
fold (their own code never leaks into them). A per-code threshold then maximises the code's
Cohen's kappa against the human on those out-of-fold probabilities, and the kappa reported per
code is cross-validated: each fold is scored at a threshold chosen on the other folds.

The benchmark (``bench/learned_coding.py``) holds out half of each human coding, never fits on
it, and compares this with a names-only codebook and plain logistic regression.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "MIN_EXAMPLES",
    "CodePrior",
    "LearnedCode",
    "LearnedCoding",
    "learn_codes",
]

# Fewer positives than this and neither a threshold nor a kappa can be estimated by
# cross-validation: each of the folds needs at least one example of the code.
MIN_EXAMPLES = 5
_FOLDS = 5
_NEIGHBOURS = 3
_RIDGE = 1.0
_STEM = 5
_STOP = frozenset(
    "about also been being does from have into more much only other over same some such than that "
    "their them then there these they this those very were what when which while with would your".split()
)


@dataclass(frozen=True)
class CodePrior:
    """What the code says about itself before any example: anchor texts and cue words.

    Attributes:
        name: the code's name.
        anchors: texts whose embeddings stand for the code (its name, description, examples).
        cues: words whose stems, found in a text, point at the code.
    """

    name: str
    anchors: tuple[str, ...]
    cues: tuple[str, ...]

    @classmethod
    def from_name(cls, name: str, description: str = "", examples: Sequence[str] = (), keywords: Sequence[str] = ()) -> CodePrior:
        """The prior of a code from its name, and from a codebook entry when there is one."""
        readable = name.split("->")[-1].replace("_", " ").strip()
        anchors = tuple(dict.fromkeys(a for a in (readable, description, *examples) if a and a.strip()))
        return cls(name, anchors, (readable, *keywords))


@dataclass(frozen=True)
class LearnedCode:
    """One code's model, as reported to the researcher.

    Attributes:
        code: the code's name.
        n_examples: coded examples (positives) it learned from.
        threshold: probability above which a text gets the code.
        cv_kappa: cross-validated Cohen's kappa against the human coder; ``None`` when undefined.
    """

    code: str
    n_examples: int
    threshold: float
    cv_kappa: float | None


@dataclass(frozen=True)
class LearnedCoding:
    """The result of ``learn_codes``.

    Attributes:
        codes: the codes learned, in the order given.
        too_few: codes left out, having fewer than ``min_examples`` examples.
        probabilities: (n_new, len(codes)) probability of each code for each new text.
        assigned: (n_new, len(codes)) whether each new text gets each code.
    """

    codes: tuple[LearnedCode, ...]
    too_few: tuple[str, ...]
    probabilities: np.ndarray
    assigned: np.ndarray


def _stems(text: str) -> set[str]:
    return {w[:_STEM] for w in re.findall(r"[^\W\d_]+", text.casefold()) if len(w) >= 4 and w not in _STOP}


def _cue_scores(texts: Sequence[str], priors: Sequence[CodePrior]) -> np.ndarray:
    text_stems = [_stems(t) for t in texts]
    out = np.zeros((len(texts), len(priors)))
    for j, prior in enumerate(priors):
        cues = set().union(*(_stems(c) for c in prior.cues)) if prior.cues else set()
        if cues:
            out[:, j] = [len(cues & s) / len(cues) for s in text_stems]
    return out


def _ridge(x_train: np.ndarray, y_train: np.ndarray, x_new: np.ndarray) -> np.ndarray:
    mean_x, mean_y = x_train.mean(0), y_train.mean(0)
    centred = x_train - mean_x
    weights = np.linalg.solve(centred.T @ centred + _RIDGE * np.eye(x_train.shape[1]), centred.T @ (y_train - mean_y))
    return (x_new - mean_x) @ weights + mean_y


def _nearest(x_query: np.ndarray, x_train: np.ndarray, y_train: np.ndarray, exclude_self: bool) -> np.ndarray:
    sims = x_query @ x_train.T
    if exclude_self:
        np.fill_diagonal(sims, -np.inf)
    out = np.zeros((len(x_query), y_train.shape[1]))
    for j in range(y_train.shape[1]):
        positives = sims[:, y_train[:, j]]
        k = min(_NEIGHBOURS, positives.shape[1])
        top = np.sort(positives, axis=1)[:, -k:]
        # A text that is itself the code's only example has no other example to be near.
        top = np.where(np.isfinite(top), top, 0.0)
        out[:, j] = top.mean(axis=1)
    return out


def _folds(n: int, seed: int) -> list[np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return [order[i::_FOLDS] for i in range(_FOLDS)]


def _scores(
    x_train: np.ndarray, y_train: np.ndarray, prior_train: np.ndarray, cue_train: np.ndarray,
    x_new: np.ndarray, prior_new: np.ndarray, cue_new: np.ndarray, seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(n, k, 4) scores for training texts (out of fold) and new texts."""
    linear = np.zeros(y_train.shape)
    for held in _folds(len(x_train), seed):
        rest = np.setdiff1d(np.arange(len(x_train)), held)
        linear[held] = _ridge(x_train[rest], y_train[rest], x_train[held])
    train = np.stack([linear, _nearest(x_train, x_train, y_train, True), prior_train, cue_train], -1)
    new = np.stack(
        [_ridge(x_train, y_train, x_new), _nearest(x_new, x_train, y_train, False), prior_new, cue_new], -1
    )
    return train, new


def _kappa(y: np.ndarray, predicted: np.ndarray) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if len(set(y.tolist()) | set(predicted.tolist())) < 2:
        return None
    return float(cohen_kappa_score(y, predicted, labels=[False, True]))


def _best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The cut on ``p`` that maximises Cohen's kappa with ``y``.

    The search scores every candidate cut at once with kappa's closed form for two binary
    raters; the kappa reported to the user comes from scikit-learn.
    """
    candidates = np.unique(np.quantile(p, np.linspace(0.5, 0.995, 80)))
    predicted = p[None, :] >= candidates[:, None]
    n, truth = len(y), y.astype(bool)
    both = (predicted & truth).sum(1)
    neither = (~predicted & ~truth).sum(1)
    rate_pred, rate_true = predicted.mean(1), truth.mean()
    observed = (both + neither) / n
    expected = rate_pred * rate_true + (1 - rate_pred) * (1 - rate_true)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(expected < 1, (observed - expected) / (1 - expected), -np.inf)
    return float(candidates[int(np.argmax(kappa))]) if len(candidates) else 0.5


def learn_codes(
    train_vectors: np.ndarray,
    train_texts: Sequence[str],
    train_labels: np.ndarray,
    priors: Sequence[CodePrior],
    prior_vectors: Sequence[np.ndarray],
    new_vectors: np.ndarray,
    new_texts: Sequence[str],
    min_examples: int = MIN_EXAMPLES,
    seed: int = 0,
) -> LearnedCoding:
    """Learn each code from the human coding and code the new texts.

    Args:
        train_vectors: (n, d) unit embeddings of the human-coded texts.
        train_texts: those texts.
        train_labels: (n, k) bool, whether the human gave each code to each text.
        priors: one per code, aligned with the columns of ``train_labels``.
        prior_vectors: per code, the (m, d) embeddings of its ``anchors``.
        new_vectors: (N, d) unit embeddings of the texts to code.
        new_texts: those texts.
        min_examples: positives a code needs to be learned.
        seed: fixes the folds.
    """
    from sklearn.linear_model import LogisticRegression

    labels = np.asarray(train_labels, dtype=bool)
    counts = labels.sum(0)
    keep = [j for j in range(labels.shape[1]) if counts[j] >= min_examples and counts[j] < len(labels)]
    too_few = tuple(priors[j].name for j in range(labels.shape[1]) if j not in keep)
    if not keep:
        empty = np.zeros((len(new_texts), 0))
        return LearnedCoding((), too_few, empty, empty.astype(bool))
    y = labels[:, keep]
    kept = [priors[j] for j in keep]
    anchors = [np.asarray(prior_vectors[j]) for j in keep]
    prior_train = np.stack([(train_vectors @ a.T).max(1) for a in anchors], 1)
    prior_new = np.stack([(new_vectors @ a.T).max(1) for a in anchors], 1)
    train, new = _scores(
        train_vectors, y, prior_train, _cue_scores(train_texts, kept),
        new_vectors, prior_new, _cue_scores(new_texts, kept), seed,
    )
    # Names differ in how generic they are; centring the meaning prior per code keeps a vague
    # name from scoring every text high.
    centre = train[..., 2].mean(0)
    prevalence = np.log(y.mean(0))

    def design(scores: np.ndarray) -> np.ndarray:
        shifted = scores.copy()
        shifted[..., 2] -= centre
        prev = np.broadcast_to(prevalence[None, :, None], scores.shape[:2] + (1,))
        return np.concatenate([shifted, prev], -1).reshape(-1, scores.shape[-1] + 1)

    stacker = LogisticRegression(max_iter=1000).fit(design(train), y.reshape(-1))
    p_train = stacker.predict_proba(design(train))[:, 1].reshape(y.shape)
    p_new = stacker.predict_proba(design(new))[:, 1].reshape(len(new_texts), len(keep))

    learned, thresholds = [], []
    folds = _folds(len(y), seed + 1)
    for j, prior in enumerate(kept):
        threshold = _best_threshold(y[:, j], p_train[:, j])
        predicted = np.zeros(len(y), dtype=bool)
        for held in folds:
            rest = np.setdiff1d(np.arange(len(y)), held)
            predicted[held] = p_train[held, j] >= _best_threshold(y[rest, j], p_train[rest, j])
        thresholds.append(threshold)
        learned.append(LearnedCode(prior.name, int(y[:, j].sum()), round(threshold, 6), _kappa(y[:, j], predicted)))
    assigned = p_new >= np.asarray(thresholds)[None, :]
    return LearnedCoding(tuple(learned), too_few, p_new, assigned)
