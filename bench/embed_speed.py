"""Embedding speed and fidelity: sentence-transformers (torch fp32) beside the ONNX embedders.

Six embedders embed the same texts in one process, interleaved and repeated (best of
``repeats``), so a machine shared with other jobs shifts them all alike and only the ratios
mean much. Texts: the seed's quotes and ~2,000 Polis comments. "onnx fp32, before" is the same
export run with the previous settings (32-text batches over all cores, spinning threads);
"onnx int8 batched" is the int8 export run the old way (batches of 8, whose activation scale
is shared by the batch), beside "onnx int8 alone", the current way (each text its own run).

    python -m bench.embed_speed [--repeats 3] [--polis 2000]

Rows: texts/s, ratio to plain torch on the same texts, and mean/min cosine of each vector to
the plain torch one. The ONNX models are exported into a temporary directory first, so the
one-off export time is measured every run (and the real cache in data/interim is untouched).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from nlp.embeddings import SentenceTransformerEmbedder, default_model_path
from nlp.embeddings_onnx import MAX_SEQ_LENGTH, OnnxEmbedder, cpu_int8_flags, onnx_embedder

__all__ = ["print_table", "run"]

SEED_FILE = Path("data/raw/interview_summary.txt")
POLIS_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "polis"
BASELINE = "torch fp32"
# Texts per timed call: the batch the pipeline's embed_with_cache hands an embedder.
CHUNK = 512


def seed_texts() -> list[str]:
    """The seed interview's quotes, as the pipeline splits them."""
    from nlp.ingest import ingest_paths
    from nlp.quotes import split_quotes

    return [q.text for q in split_quotes(ingest_paths([SEED_FILE]).documents)]


def polis_texts(n: int = 2000, seed: int = 0) -> list[str]:
    """``n`` distinct Polis comments, a seeded sample across all conversations."""
    bodies: set[str] = set()
    for path in sorted(POLIS_DIR.glob("*.comments.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            bodies.update(b.strip() for row in csv.DictReader(fh) if (b := row.get("comment-body")))
    texts = sorted(b for b in bodies if b)
    random.Random(seed).shuffle(texts)
    return texts[:n]


class _LengthSortedTorch:
    """Torch fp32 with the ONNX embedder's batching: token-length order, 32 per batch."""

    def __init__(self, base: SentenceTransformerEmbedder, batch_size: int = 32) -> None:
        self.base = base
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        model = self.base._load()
        encoded = model.tokenizer(list(texts), truncation=True, max_length=MAX_SEQ_LENGTH)
        lengths = [len(ids) for ids in encoded["input_ids"]]
        order = np.argsort(lengths, kind="stable")
        out = np.zeros((len(texts), self.base.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = model.encode(
                [texts[i] for i in rows],
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        return out


class _PreviousOnnxSettings(OnnxEmbedder):
    """The fp32 export run as before: 32-text batches, one at a time, each over every core.

    onnxruntime's defaults otherwise: idle intra-op threads spin. Kept beside the current
    settings (small batches side by side, one thread each, no spinning) so the gain is measured.
    """

    def __init__(self, current: OnnxEmbedder) -> None:
        super().__init__(current.onnx_path, current.model_dir, current.source_sha256, current.variant, batch_size=32)
        self.cores = self.threads
        self.threads = 1

    def _session_options(self, ort):
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.cores
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return options


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def run(repeats: int = 3, polis_n: int = 2000) -> list[dict]:
    """Rows of {corpus, backend, n, texts_per_s, ratio, texts_per_cpu_s, cpu_ratio, cos_mean, cos_min}.

    Each corpus is embedded in chunks of ``CHUNK`` texts, every backend taking each chunk in
    turn; a repeat's rate is its total over the corpus, and the best repeat counts. The CPU
    columns divide by this process's CPU seconds, which other users' jobs disturb less than
    wall time. Two more rows, {corpus: "export", backend, seconds}, time the one-off export.
    """
    corpora = {"seed quotes": seed_texts(), "polis": polis_texts(polis_n)}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="onnx-bench-") as tmp:
        started = time.perf_counter()
        fp32 = onnx_embedder(Path(tmp), quantize=False)
        seconds = time.perf_counter() - started
        rows.append({"corpus": "export", "backend": "onnx fp32 export", "seconds": seconds})
        started = time.perf_counter()
        int8 = onnx_embedder(Path(tmp), quantize=True)
        seconds = time.perf_counter() - started
        rows.append({"corpus": "export", "backend": "onnx int8 quantise", "seconds": seconds})
        torch_plain = SentenceTransformerEmbedder(default_model_path())
        backends: dict[str, Callable[[Sequence[str]], np.ndarray]] = {
            BASELINE: torch_plain.embed,
            "torch fp32 len-sorted": _LengthSortedTorch(torch_plain).embed,
            "onnx fp32": fp32.embed,
            "onnx fp32, before": _PreviousOnnxSettings(fp32).embed,
            f"onnx {int8.variant} alone": int8.embed,
            f"onnx {int8.variant} batched": OnnxEmbedder(
                int8.onnx_path, int8.model_dir, int8.source_sha256, int8.variant, alone=False
            ).embed,
        }
        for embed in backends.values():  # load models and sessions outside the timings
            embed(["warm up", "a second, longer warm-up sentence"])
        wall: dict[tuple[int, str, str], float] = {}
        cpu: dict[tuple[int, str, str], float] = {}
        parts: dict[tuple[str, str], list[np.ndarray]] = {}
        names = list(backends)
        for rep in range(repeats):
            for corpus, texts in corpora.items():
                for c, start in enumerate(range(0, len(texts), CHUNK)):
                    chunk = texts[start : start + CHUNK]
                    # Rotate who goes first, so no backend always meets the same load.
                    for name in names[c % len(names) :] + names[: c % len(names)]:
                        w, p = time.perf_counter(), time.process_time()
                        v = backends[name](chunk)
                        key = (rep, corpus, name)
                        wall[key] = wall.get(key, 0.0) + time.perf_counter() - w
                        cpu[key] = cpu.get(key, 0.0) + time.process_time() - p
                        if rep == 0:
                            parts.setdefault((corpus, name), []).append(v)
        best = {
            (corpus, name): max(len(texts) / wall[r, corpus, name] for r in range(repeats))
            for corpus, texts in corpora.items()
            for name in names
        }
        best_cpu = {
            (corpus, name): max(len(texts) / cpu[r, corpus, name] for r in range(repeats))
            for corpus, texts in corpora.items()
            for name in names
        }
        vectors = {key: np.concatenate(v) for key, v in parts.items()}
    for corpus, texts in corpora.items():
        ref = vectors[corpus, BASELINE]
        for name in backends:
            cos = np.sum(vectors[corpus, name] * ref, axis=1)
            rows.append(
                {
                    "corpus": corpus,
                    "backend": name,
                    "n": len(texts),
                    "texts_per_s": best[corpus, name],
                    "ratio": best[corpus, name] / best[corpus, BASELINE],
                    "texts_per_cpu_s": best_cpu[corpus, name],
                    "cpu_ratio": best_cpu[corpus, name] / best_cpu[corpus, BASELINE],
                    "cos_mean": float(cos.mean()),
                    "cos_min": float(cos.min()),
                }
            )
    return rows


def print_table(rows: list[dict]) -> None:
    flags = cpu_int8_flags()
    print(f"CPU: {_cpu_model()}; {os.cpu_count()} cores; 1-min load average {os.getloadavg()[0]:.1f}")
    print("int8 flags: " + ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in flags.items()))
    print(
        f"{'corpus':<12} {'backend':<22} {'n':>5} {'texts/s':>8} {'ratio':>6} "
        f"{'texts/cpu-s':>11} {'ratio':>6} {'cos mean':>9} {'cos min':>8}"
    )
    for r in rows:
        if r["corpus"] == "export":
            continue
        print(
            f"{r['corpus']:<12} {r['backend']:<22} {r['n']:>5} {r['texts_per_s']:>8.1f} "
            f"{r['ratio']:>5.2f}x {r['texts_per_cpu_s']:>11.1f} {r['cpu_ratio']:>5.2f}x "
            f"{r['cos_mean']:>9.4f} {r['cos_min']:>8.4f}"
        )
    for r in rows:
        if r["corpus"] == "export":
            print(f"one-off {r['backend']}: {r['seconds']:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description="Embedding speed: torch fp32 vs ONNX fp32/int8")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per backend; best counts")
    parser.add_argument("--polis", type=int, default=2000, help="Polis comments to embed")
    args = parser.parse_args()
    print_table(run(args.repeats, args.polis))


if __name__ == "__main__":
    main()
