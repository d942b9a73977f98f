"""Topics that hold still: how far topics move under another UMAP seed or a little noise, beside their quality.

Part 1, the layouts (``reseed_rows``). On the seed, why-art, 20 Newsgroups and Banking77, the
topic stage (``nlp.topics.fit_topics``) is fitted with each layout (``TopicConfig.layout``: UMAP,
the default, the deterministic spectral layout, and Leiden communities of the neighbour graph)
under several seeds, and on vectors with
N(0, 1e-4) noise: ARI between every pair of seeds, ARI to the noisy fit, and each fit's quality
against the human codes (code recovery F1 and NMI, ``bench.coded_data``; the seed: reader themes
that land in one theme at either level), all in one run on the same vectors. Issue 17's target:
ARI >= 0.9 between fits that differ only in the seed, with no loss of quality.

Part 2, the embedders (``run``; ``--skip-embedders`` leaves it out).

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
and the topic stage with the spectral layout), to show whether a deterministic clusterer passes
where UMAP + Ward does not.

    nice -n 10 python -m bench.topic_robustness [--seeds 3] [--banking-sample N] [--skip-embedders]

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
from nlp.topics.config import n_topics_for

__all__ = ["LAYOUTS", "print_reseed", "print_table", "reseed_rows", "run"]

LAYOUTS = ("umap", "spectral", "leiden")

BASE_SEED = 42
NOISE_SD = 1e-4


def _pipeline_topics(texts: list[str], vectors: np.ndarray, seed: int = BASE_SEED, layout: str = "umap") -> np.ndarray:
    quotes = [Quote(f"q{i}", "seed", "s", "", f"r{i}", None, True, t, 0, len(t)) for i, t in enumerate(texts)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_topics(quotes, vectors, embedder=None, config=TopicConfig(seed=seed, keybert=False, layout=layout))
    return np.asarray(fit.assignments)


def _ward_raw(vectors: np.ndarray) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_topics_for(len(vectors)), linkage="ward").fit_predict(vectors)


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
    """Part 2: rows of {vectors, cos_mean, cos_min, speed, ari_pipeline, ari_ward_raw, ari_spectral}.

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
    base = {"pipeline": _pipeline_topics(texts, ref), "ward_raw": _ward_raw(ref),
            "spectral": _pipeline_topics(texts, ref, layout="spectral")}
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
            "ari_spectral": adjusted_rand_score(base["spectral"], _pipeline_topics(texts, v, seed, "spectral")),
        })
    return rows


def _top_level(fit, quotes, vectors) -> list[int]:
    from nlp.topics.themes import build_themes

    themes = build_themes(list(quotes), vectors, fit.assignments, fit.topics)
    return [themes.parent_of.get(t, -1) for t in fit.assignments]


def _quality(name: str, data, quotes, fit, vectors) -> str:
    from bench.coded_data import SEED_THEMES, answer_themes, code_recovery, first_code_nmi, seed_theme_homes
    from bench.human_coding import SEED_LANDED

    if data is None:  # the seed: reader themes landing in one theme, sub-theme or top level
        sub = seed_theme_homes(quotes, fit.assignments)
        top = seed_theme_homes(quotes, _top_level(fit, quotes, vectors))
        return str(sum(max(sub[k], top[k]) >= SEED_LANDED for k in SEED_THEMES))
    themes = answer_themes(quotes, fit.assignments)
    return f"{code_recovery(data.codes, themes)[0]:.3f}/{first_code_nmi(data.codes, themes):.3f}"


def coded_sets(banking_sample: int = 0, newsgroups: int = 1000) -> list[tuple[str, object, tuple]]:
    """(name, coded set or None for the seed, quotes) for the seed, why-art, 20NG and Banking77."""
    from bench.coded_data import load_coded_csv, load_newsgroups
    from bench.human_coding import BANKING, SEED, WHY_ART, _subset
    from nlp.ingest import ingest_paths
    from nlp.quotes import split_quotes

    out: list[tuple[str, object, tuple]] = [("seed", None, tuple(split_quotes(ingest_paths([SEED]).documents)))]
    if WHY_ART.exists():
        why = load_coded_csv(WHY_ART, "why_art", "human_codes", name="why-art")
        out.append((why.name, why, why.quotes))
    if newsgroups:
        ng = load_newsgroups(newsgroups)
        out.append((ng.name, ng, ng.quotes))
    if BANKING.exists():
        bank = load_coded_csv(BANKING, "text", "category", sep=None, name="banking77")
        bank = _subset(bank, banking_sample, BASE_SEED) if banking_sample else bank
        out.append((bank.name, bank, bank.quotes))
    return out


def reseed_rows(embedder, n_seeds: int = 3, banking_sample: int = 0, newsgroups: int = 1000) -> list[dict]:
    """Part 1: per data set and layout, ARI between seeds and to a noisy fit, and quality per seed.

    Rows of {data, layout, topics, ari_mean, ari_min, ari_noise, quality (one string per seed:
    "F1/NMI", or the seed's landed reader themes), cpu_s (CPU seconds per fit)}.
    """
    from itertools import combinations

    from sklearn.metrics import adjusted_rand_score

    rows = []
    for name, data, quotes in coded_sets(banking_sample, newsgroups):
        vectors = np.asarray(embedder.embed([q.text for q in quotes]), dtype=np.float32)
        noisy = vectors + np.random.default_rng(0).normal(0, NOISE_SD, vectors.shape).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        for layout in LAYOUTS:
            fits, started = [], time.process_time()
            for seed in range(BASE_SEED, BASE_SEED + n_seeds):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # UMAP's n_jobs notice
                    fits.append(fit_topics(list(quotes), vectors, None, TopicConfig(seed=seed, keybert=False, layout=layout)))
            cpu = (time.process_time() - started) / n_seeds
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                moved = fit_topics(list(quotes), noisy, None, TopicConfig(seed=BASE_SEED, keybert=False, layout=layout))
            aris = [adjusted_rand_score(a.assignments, b.assignments) for a, b in combinations(fits, 2)]
            rows.append({
                "data": name, "layout": layout, "topics": len(fits[0].topics),
                "ari_mean": float(np.mean(aris)), "ari_min": float(np.min(aris)),
                "ari_noise": adjusted_rand_score(fits[0].assignments, moved.assignments),
                "quality": [_quality(name, data, quotes, f, vectors) for f in fits], "cpu_s": cpu,
            })
            print(_reseed_line(rows[-1]), flush=True)
    return rows


def _reseed_line(r: dict) -> str:
    return (f"{r['data']:<16} {r['layout']:<9} {r['topics']:>6} {r['ari_mean']:>8.3f} {r['ari_min']:>8.3f} "
            f"{r['ari_noise']:>9.3f}  {' '.join(r['quality']):<36} {r['cpu_s']:>6.1f}")


def print_reseed(rows: list[dict]) -> None:
    print(f"{'data':<16} {'layout':<9} {'topics':>6} {'ARI seed':>8} {'ARI min':>8} {'ARI noise':>9}  "
          f"{'quality per seed (F1/NMI; seed: landed of 6)':<36} {'CPU s':>6}")
    for r in rows:
        print(_reseed_line(r))
    print("(ARI seed: mean over pairs of UMAP seeds 42, 43, ...; ARI noise: seed 42 on vectors + N(0, 1e-4); "
          "target ARI >= 0.9 with no loss of quality)")


def print_table(rows: list[dict]) -> None:
    print(f"{'vectors (ARI to torch fp32)':<30} {'cos mean':>8} {'cos min':>8} {'x torch':>8} "
          f"{'umap':>8} {'ward raw':>8} {'spectral':>8}")
    for r in rows:
        speed = f"{r['speed']:.2f}" if r["speed"] is not None else "-"
        print(f"{r['vectors']:<30} {r['cos_mean']:>8.4f} {r['cos_min']:>8.4f} {speed:>8} "
              f"{r['ari_pipeline']:>8.3f} {r['ari_ward_raw']:>8.3f} {r['ari_spectral']:>8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Topic agreement under another seed or small changes to the vectors")
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats of each embedder (part 2)")
    parser.add_argument("--seeds", type=int, default=3, help="UMAP seeds per layout and data set (part 1)")
    parser.add_argument("--banking-sample", type=int, default=0, help="score this many Banking77 messages (0: all)")
    parser.add_argument("--newsgroups", type=int, default=1000, help="20 Newsgroups posts (0 leaves them out)")
    parser.add_argument("--skip-embedders", action="store_true", help="leave out part 2 (it exports int8 models)")
    args = parser.parse_args()

    from nlp.backends import build_embedder
    from nlp.config import PipelineConfig

    print_reseed(reseed_rows(build_embedder(PipelineConfig()), args.seeds, args.banking_sample, args.newsgroups))
    if not args.skip_embedders:
        print()
        print_table(run(args.repeats))


if __name__ == "__main__":
    main()
