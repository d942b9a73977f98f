"""The topic stage with its default settings beside one changed setting, fit by fit.

One ``TopicConfig`` field is changed (``--against FIELD=VALUE``): ``layout_sample=4000`` (the
default comparison) fits UMAP on a sample and places the rest; ``exact_neighbours_max=0`` leaves
the neighbour search to umap's NN-descent. bench.scale's corpus (20 Newsgroups sentences, each
labelled with its newsgroup) at each size; each fit runs in a fresh process, so a saving includes
the numba compile of pynndescent a cold run pays from 4,096 quotes on where it applies. Several
UMAP seeds show the seed-to-seed noise. Scores: NMI and code-recovery F1 (``bench.coded_data``)
of the topics against the newsgroups.

    python -m bench.topic_variants [--sizes 10000 30000] [--seeds 42 43] [--against layout_sample=4000]

The first run embeds the sentences (about 100 CPU s at 30,000) into --cache.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CACHE = Path("data/interim/embeddings")


def _child(vectors_file: str, n: int, seed: int, changed: dict) -> None:
    import warnings

    from bench.coded_data import code_recovery
    from bench.scale import corpus_sentences
    from bench.stage_timing import timed
    from nlp.schemas import Quote
    from nlp.topics import TopicConfig, fit_topics
    from nlp.topics.model import import_bertopic
    from sklearn.metrics import normalized_mutual_info_score

    pairs = corpus_sentences(n)
    vectors = np.load(vectors_file, mmap_mode="r")[:n].copy()
    quotes = [Quote(f"s{i}", "r", g, "", f"s{i}", None, False, t, 0, len(t)) for i, (g, t) in enumerate(pairs)]
    import_bertopic()  # imports are not the stage's work; numba compiling pynndescent is
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit, wall, cpu = timed(lambda: fit_topics(quotes, vectors, None, TopicConfig(seed=seed, **changed)))
    labels = [g for g, _ in pairs]
    f1, _ = code_recovery({q.quote_id: [g] for q, g in zip(quotes, labels)},
                          {q.quote_id: [t] for q, t in zip(quotes, fit.assignments)})
    print(json.dumps({"size": n, "seed": seed, "changed": bool(changed), "cpu_s": cpu, "wall_s": wall, "f1": f1,
                      "nmi": normalized_mutual_info_score(labels, fit.assignments), "topics": len(fit.topics)}))


def run(sizes: list[int], seeds: list[int], against: dict, cache: Path) -> list[dict]:
    from bench.scale import corpus_sentences
    from nlp.embeddings import EmbeddingCache, default_embedder, embed_with_cache

    embedder = default_embedder()
    texts = [t for _, t in corpus_sentences(max(sizes))]
    vectors, _ = embed_with_cache(texts, embedder, EmbeddingCache(cache, embedder.model_sha256))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        vectors_file = str(Path(tmp) / "vectors.npy")
        np.save(vectors_file, vectors)
        for n in sizes:
            for seed in seeds:
                for changed in ({}, against):  # default and changed side by side, seed by seed
                    out = subprocess.run(
                        [sys.executable, "-m", "bench.topic_variants", "--_child", vectors_file, str(n), str(seed),
                         json.dumps(changed)],
                        check=True, capture_output=True, text=True, env=os.environ,
                    )
                    rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
                    print_table(rows[-1:], against, header=not rows[:-1])
    return rows


def print_table(rows: list[dict], against: dict, header: bool = True) -> None:
    changed = ", ".join(f"{k}={v}" for k, v in against.items())
    width = max(len(changed), len("default"))
    if header:
        print(f"{'size':>6} {'seed':>4} {'fit':<{width}} {'CPU s':>6} {'wall s':>6} {'NMI':>6} {'F1':>6} {'topics':>6}")
    for r in rows:
        fit = changed if r["changed"] else "default"
        print(f"{r['size']:>6} {r['seed']:>4} {fit:<{width}} {r['cpu_s']:>6.1f} {r['wall_s']:>6.1f} "
              f"{r['nmi']:>6.3f} {r['f1']:>6.3f} {r['topics']:>6d}", flush=True)


def print_summary(rows: list[dict]) -> None:
    """Per size: mean CPU s ratio (changed / default), and each fit's NMI/F1 range over the seeds."""
    for n in sorted({r["size"] for r in rows}):
        default = [r for r in rows if r["size"] == n and not r["changed"]]
        changed = [r for r in rows if r["size"] == n and r["changed"]]
        ratio = statistics.mean(p["cpu_s"] for p in changed) / statistics.mean(f["cpu_s"] for f in default)
        span = {name: {k: f"{min(r[k] for r in rs):.3f}-{max(r[k] for r in rs):.3f}" for k in ("nmi", "f1")}
                for name, rs in (("default", default), ("changed", changed))}
        print(f"{n}: changed/default CPU {ratio:.2f}x; NMI default {span['default']['nmi']} changed "
              f"{span['changed']['nmi']}; F1 default {span['default']['f1']} changed {span['changed']['f1']}")


def _setting(text: str) -> dict:
    """``FIELD=VALUE`` as {field: value}, the value read as JSON (a number) where it parses."""
    from dataclasses import fields

    from nlp.topics import TopicConfig

    name, sep, value = text.partition("=")
    if not sep or name not in {f.name for f in fields(TopicConfig)}:
        raise argparse.ArgumentTypeError(f"{text!r}: expected FIELD=VALUE with FIELD a TopicConfig setting")
    try:
        return {name: json.loads(value)}
    except json.JSONDecodeError:
        return {name: value}


def main() -> None:
    parser = argparse.ArgumentParser(description="Topic stage: default settings vs one changed setting, side by side")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 30000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43])
    parser.add_argument("--against", type=_setting, default={"layout_sample": 4000},
                        help="the TopicConfig setting changed, FIELD=VALUE (default layout_sample=4000)")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument("--_child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        vectors_file, n, seed, changed = args._child
        _child(vectors_file, int(n), int(seed), json.loads(changed))
        return
    rows = run(args.sizes, args.seeds, args.against, args.cache)
    print_summary(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
