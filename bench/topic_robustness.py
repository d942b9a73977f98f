"""How far the seed's topics move when its vectors move a little: the bar int8 has to pass.

Issue 7 lets int8 embeddings become the default only if topic assignments on the seed agree with
fp32's at ARI >= 0.9. This fits the pipeline's topic stage (``nlp.topics.fit_topics``) on the
seed's quotes embedded in several ways, and reports each fit's ARI to the fit on plain torch fp32
vectors, beside the vectors' cosine to those:

- the same vectors with another UMAP seed: the topic stage's own run-to-run agreement, the
  ceiling for any embedder;
- the fp32 ONNX export (the default backend; within 2e-7 of torch);
- torch plus Gaussian noise of 1e-4 per coordinate;
- the int8 ONNX export (``--backend onnx-int8``);
- int8 with the feed-forward matmuls kept fp32: closer to fp32, and slower.

Two clusterers without a stochastic layout run on the same vectors (Ward on the raw vectors,
and spectral clustering on the k-nearest-neighbour graph, both with the pipeline's topic count),
to show whether a deterministic clusterer would pass where UMAP + Ward does not.

    python -m bench.topic_robustness

The ONNX models are built in a temporary directory; nothing in data/interim changes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.embed_speed import seed_texts
from nlp.embeddings import DEFAULT_MODEL_SHA256, SentenceTransformerEmbedder, default_model_path
from nlp.embeddings_onnx import OnnxEmbedder, onnx_embedder
from nlp.embeddings_onnx.export import _quantize
from nlp.schemas import Quote
from nlp.topics import TopicConfig, fit_topics
from nlp.topics.config import n_neighbors_for, n_topics_for

__all__ = ["print_table", "run"]

BASE_SEED = 42
NOISE_SD = 1e-4


def _pipeline_topics(texts: list[str], vectors: np.ndarray, seed: int = BASE_SEED) -> np.ndarray:
    quotes = [Quote(f"q{i}", "seed", "s", "", f"r{i}", None, True, t, 0, len(t)) for i, t in enumerate(texts)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_topics(quotes, vectors, embedder=None, config=TopicConfig(seed=seed, keybert=False))
    return np.asarray(fit.assignments)


def _ward_raw(vectors: np.ndarray) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_topics_for(len(vectors)), linkage="ward").fit_predict(vectors)


def _spectral(vectors: np.ndarray) -> np.ndarray:
    from sklearn.cluster import SpectralClustering

    n = len(vectors)
    return SpectralClustering(
        n_topics_for(n), affinity="nearest_neighbors", n_neighbors=n_neighbors_for(n),
        assign_labels="cluster_qr", random_state=0,
    ).fit_predict(vectors)


def _ffn_matmuls(onnx_path: Path) -> list[str]:
    import onnx

    nodes = onnx.load(str(onnx_path)).graph.node
    return [n.name for n in nodes if n.op_type == "MatMul" and ("intermediate" in n.name or (
        "/output/dense" in n.name and "attention" not in n.name))]


def _embedders(tmp: Path) -> dict[str, Callable[[list[str]], np.ndarray]]:
    fp32 = onnx_embedder(tmp, quantize=False)
    int8 = onnx_embedder(tmp, quantize=True)
    partial = tmp / "int8-ffn-fp32.onnx"
    _quantize(fp32.onnx_path, partial, reduce_range=int8.variant.endswith("r7"), keep_fp32=_ffn_matmuls(fp32.onnx_path))
    int8_ffn = OnnxEmbedder(partial, default_model_path(), DEFAULT_MODEL_SHA256, "int8-ffn-fp32")
    return {"onnx fp32": fp32.embed, f"onnx {int8.variant}": int8.embed, "onnx int8, FFN fp32": int8_ffn.embed}


def run(repeats: int = 3) -> list[dict]:
    """Rows of {vectors, cos_mean, cos_min, speed, ari_pipeline, ari_ward_raw, ari_spectral}.

    ``speed`` is texts/s relative to torch on the seed's quotes, best of ``repeats``, measured
    in this process side by side; ``None`` where no embedding was timed.
    """
    from sklearn.metrics import adjusted_rand_score

    texts = seed_texts()
    torch = SentenceTransformerEmbedder(default_model_path())
    with tempfile.TemporaryDirectory(prefix="topic-robustness-") as tmp:
        embedders = {"torch fp32": torch.embed, **_embedders(Path(tmp))}
        vectors, best = {}, {}
        for name, embed in embedders.items():
            embed(texts[:8])  # load outside the timing
            for _ in range(repeats):
                started = time.perf_counter()
                vectors[name] = embed(texts)
                best[name] = min(best.get(name, np.inf), time.perf_counter() - started)
    ref = vectors["torch fp32"]
    noisy = ref + np.random.default_rng(0).normal(0, NOISE_SD, ref.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    cases = {"torch fp32, UMAP seed 43": (ref, BASE_SEED + 1), f"torch fp32 + N(0, {NOISE_SD:g})": (noisy, BASE_SEED)}
    cases |= {name: (v, BASE_SEED) for name, v in vectors.items() if name != "torch fp32"}
    base = {"pipeline": _pipeline_topics(texts, ref), "ward_raw": _ward_raw(ref), "spectral": _spectral(ref)}
    rows = []
    for name, (v, seed) in cases.items():
        cos = (v * ref).sum(axis=1)
        rows.append({
            "vectors": name,
            "cos_mean": float(cos.mean()),
            "cos_min": float(cos.min()),
            "speed": best["torch fp32"] / best[name] if name in best else None,
            "ari_pipeline": adjusted_rand_score(base["pipeline"], _pipeline_topics(texts, v, seed)),
            # The deterministic clusterers have no seed: a reseed changes nothing for them.
            "ari_ward_raw": adjusted_rand_score(base["ward_raw"], _ward_raw(v)),
            "ari_spectral": adjusted_rand_score(base["spectral"], _spectral(v)),
        })
    return rows


def print_table(rows: list[dict]) -> None:
    print(f"{'vectors (ARI to torch fp32)':<30} {'cos mean':>8} {'cos min':>8} {'x torch':>8} "
          f"{'pipeline':>8} {'ward raw':>8} {'spectral':>8}")
    for r in rows:
        speed = f"{r['speed']:.2f}" if r["speed"] is not None else "-"
        print(f"{r['vectors']:<30} {r['cos_mean']:>8.4f} {r['cos_min']:>8.4f} {speed:>8} "
              f"{r['ari_pipeline']:>8.3f} {r['ari_ward_raw']:>8.3f} {r['ari_spectral']:>8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Seed topic agreement under small changes to the vectors")
    parser.add_argument("--repeats", type=int, default=3)
    print_table(run(parser.parse_args().repeats))


if __name__ == "__main__":
    main()
