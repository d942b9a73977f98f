"""Themes against human coding, and the seed's reader-visible themes: before, after and peer in one run.

    nice -n 10 python -m bench.human_coding [--skip-banking | --banking-sample N] [--csv FILE --text COL --codes COL ...]

Rows, each fitted on the same cached vectors of the bundled model (``data/interim``):

* ``bertopic-default``: BERTopic with its defaults (the peer), UMAP seeded;
* ``before sub-themes`` / ``before top level``: the two theme levels as on main before the
  latest change (``_before`` says what differs);
* ``after sub-themes`` / ``after top level``: the two levels as the code now stands.

The pipeline rows fit with ``keybert=False``: KeyBERTInspired only re-ranks keywords (it moves
no quote) and embedding every candidate word of 3,000 messages would dominate the run time.

Data: the human-coded why-art answers (``../shared/data/why-art-coded``: fine-grained open codes,
300 distinct codes for 174 answers, of which only 15 codes are held by 3 or more answers; its
``codes`` column, a second coding in the same style, is scored as the reference coder, and its
``human_themes`` column, the researcher's grouping of codes into themes, as a row set of its own:
it is filled for only 4 example answers, so it prints n/a), Banking77's 3,080 short messages in 77 intents (a short-text clustering check
beside ``bench.topics_quality``'s 20 Newsgroups), 1,000 20 Newsgroups posts (one quote each; the
newsgroups as codes and their six families as a grouping: the one set whose top level has a
reference), any ``--csv`` given (a CSV, TSV or .xlsx export, read by the pipeline's survey reader,
codes from the same rows), and the seed, scored on
its six reader-visible themes (``bench.coded_data.SEED_THEMES``). Metrics: ``bench.coded_data``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.coded_data import (
    SEED_THEMES,
    CodedSet,
    answer_themes,
    code_recovery,
    first_code_nmi,
    load_coded_csv,
    load_newsgroups,
    seed_theme_homes,
)
from nlp.schemas import Quote

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = Path(__file__).resolve().parents[1] / "data" / "raw" / "interview_summary.txt"
WHY_ART = SHARED / "data" / "why-art-coded" / "coded_answers.csv"
BANKING = SHARED / "data" / "banking77" / "test.csv"
SEED_LANDED = 0.6  # a seed theme "lands" when this share of its quotes sits in one theme

# A system maps (quotes, vectors, embedder, seed) to {level name: theme per quote}.
System = Callable[..., dict[str, list[int]]]


def _bertopic_default(quotes, vectors, embedder, seed) -> dict[str, list[int]]:
    from bertopic import BERTopic
    from umap import UMAP

    from nlp.topics import import_bertopic

    import_bertopic()
    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    model = BERTopic(umap_model=umap, embedding_model=None, verbose=False)
    topics, _ = model.fit_transform([q.text for q in quotes], embeddings=vectors)
    return {"bertopic-default": [int(t) for t in topics]}


def _levels(name: str, quotes, vectors, embedder, config) -> dict[str, list[int]]:
    from nlp.topics import fit_topics
    from nlp.topics.themes import build_themes

    fit = fit_topics(list(quotes), vectors, embedder, config)
    themes = build_themes(list(quotes), vectors, fit.assignments, fit.topics)
    top = [themes.parent_of.get(t, -1) for t in fit.assignments]
    return {f"{name} sub-themes": list(fit.assignments), f"{name} top level": top}


def _before(quotes, vectors, embedder, seed) -> dict[str, list[int]]:
    from nlp.topics import TopicConfig

    # Both levels as on main before this change: the layout without sentence context.
    return _levels("before", quotes, vectors, embedder, TopicConfig(seed=seed, keybert=False, context_weight=0.0))


def _after(quotes, vectors, embedder, seed) -> dict[str, list[int]]:
    from nlp.topics import TopicConfig

    return _levels("after", quotes, vectors, embedder, TopicConfig(seed=seed, keybert=False))


SYSTEMS: tuple[System, ...] = (_bertopic_default, _before, _after)


def _vectors(quotes: tuple[Quote, ...], embedder) -> np.ndarray:
    return embedder.embed([q.text for q in quotes])


def _fit_all(quotes, vectors, embedder, seed) -> tuple[dict[str, list[int]], dict[str, float]]:
    levels: dict[str, list[int]] = {}
    seconds: dict[str, float] = {}
    for system in SYSTEMS:
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # UMAP's n_jobs notice, sklearn deprecations
            got = system(quotes, vectors, embedder, seed)
        for name, assigned in got.items():
            levels[name] = assigned
            seconds[name] = time.perf_counter() - started
    return levels, seconds


def _largest_share(assigned: list[int]) -> float:
    counts = Counter(t for t in assigned if t != -1)
    return max(counts.values()) / len(assigned) if counts else 0.0


def _n_themes(assigned: list[int]) -> int:
    return len(set(assigned) - {-1})


def _score(data_name: str, system: str, codes, themes, n_themes, largest, seconds) -> dict:
    f1, n_codes = code_recovery(codes, themes)
    nmi = first_code_nmi(codes, themes) if n_codes else float("nan")
    return {"data": data_name, "system": system, "themes": n_themes, "f1": f1, "n_codes": n_codes,
            "nmi": nmi, "largest": largest, "seconds": seconds}


def coded_rows(data: CodedSet, embedder, seed: int) -> list[dict]:
    """One row per system level and row set: themes, code recovery, NMI (and the second coding's row).

    The row sets are the first coder's codes and each of ``data.groupings`` (scored against the
    same fits, so a coarser human grouping is compared with both theme levels).
    """
    vectors = _vectors(data.quotes, embedder)
    levels, seconds = _fit_all(data.quotes, vectors, embedder, seed)
    rows = []
    if data.second is not None:
        n_second = len({c for v in data.second.values() for c in v})
        rows.append(_score(data.name, data.second_name, data.codes, data.second, n_second, float("nan"), 0.0))
    # A grouping with no code held by 3 answers cannot be scored; main() says so once instead.
    targets = {data.name: data.codes, **{f"{data.name}:{k}": v for k, v in data.groupings.items()
                                         if code_recovery(v, {})[1]}}
    for target, codes in targets.items():
        for name, assigned in levels.items():
            rows.append(_score(target, name, codes, answer_themes(data.quotes, assigned), _n_themes(assigned),
                               _largest_share(assigned), seconds[name]))
        for system in ("before", "after"):
            sub, top = levels.get(f"{system} sub-themes"), levels.get(f"{system} top level")
            if sub is not None and top is not None:
                rows.append(_either(target, system, codes, data.quotes, sub, top, seconds[f"{system} top level"]))
    return rows


def _either(target: str, system: str, codes, quotes, sub: list[int], top: list[int], seconds: float) -> dict:
    """Both levels as the researcher sees them: a code is matched by the best theme of either level.

    Parent ids never equal topic ids, so an answer's themes are simply both levels' together.
    NMI needs one theme per answer and is not given.
    """
    subs, tops = answer_themes(quotes, sub), answer_themes(quotes, top)
    both = {a: subs.get(a, []) + tops.get(a, []) for a in set(subs) | set(tops)}
    f1, n_codes = code_recovery(codes, both)
    return {"data": target, "system": f"{system} either level", "themes": _n_themes(sub) + _n_themes(top), "f1": f1,
            "n_codes": n_codes, "nmi": float("nan"), "largest": max(_largest_share(sub), _largest_share(top)),
            "seconds": seconds}


def _subset(data: CodedSet, n: int, seed: int) -> CodedSet:
    """A seeded sample of ``n`` answers with all their quotes (for iterating; final tables use all)."""
    rng = np.random.default_rng(seed)
    answers = sorted(data.codes)
    keep = set(rng.choice(answers, size=min(n, len(answers)), replace=False).tolist())
    return replace(data, name=f"{data.name}[{len(keep)}]", quotes=tuple(q for q in data.quotes if q.response_id in keep),
                   codes={a: c for a, c in data.codes.items() if a in keep})


def seed_rows(embedder, seed: int) -> list[dict]:
    """One row per system level on the seed: how many of its six reader themes land in one theme."""
    from nlp.ingest import ingest_paths
    from nlp.quotes import split_quotes

    quotes = tuple(split_quotes(ingest_paths([SEED]).documents))
    vectors = _vectors(quotes, embedder)
    levels, _ = _fit_all(quotes, vectors, embedder, seed)
    rows = []
    for name, assigned in levels.items():
        homes = seed_theme_homes(quotes, assigned)
        rows.append({"system": name, "themes": _n_themes(assigned), "homes": homes,
                     "landed": sum(v >= SEED_LANDED for v in homes.values()), "largest": _largest_share(assigned)})
    # "Lands in one sub-theme or one top-level theme": the two levels of the themes stage together.
    for system in ("before", "after"):
        both = [r for r in rows if r["system"].startswith(f"{system} ")]
        if len(both) == 2:
            best = {k: max(r["homes"][k] for r in both) for k in SEED_THEMES}
            rows.append({"system": f"{system} either level", "themes": None, "homes": best,
                         "landed": sum(v >= SEED_LANDED for v in best.values()),
                         "largest": max(r["largest"] for r in both)})
    return rows


def print_coded(rows: list[dict]) -> None:
    print(f"{'data':<22} {'system':<24} {'themes':>6} {'code F1':>8} {'codes':>5} {'NMI':>6} {'largest':>8} {'fit s':>6}")
    for r in rows:
        largest = "-" if np.isnan(r["largest"]) else f"{r['largest']:.1%}"
        f1, nmi = ("n/a", "n/a") if not r["n_codes"] else (f"{r['f1']:.3f}", f"{r['nmi']:.3f}")
        nmi = "-" if nmi == "nan" else nmi
        print(f"{r['data']:<22} {r['system']:<24} {r['themes']:>6} {f1:>8} {r['n_codes']:>5} "
              f"{nmi:>6} {largest:>8} {r['seconds']:>6.1f}")
    print("(code F1: for each code held by >= 3 answers, the best F1 of one theme's answer set, weighted mean; "
          "either level: the best theme of both levels; n/a: no code is held by 3 answers)")


def print_seed(rows: list[dict]) -> None:
    names = list(SEED_THEMES)
    head = " ".join(f"{n[:10]:>10}" for n in names)
    print(f"{'seed: system':<22} {'themes':>6} {head} {'landed':>7} {'largest':>8}")
    for r in rows:
        shares = " ".join(f"{r['homes'][n]:>10.0%}" for n in names)
        themes = "-" if r["themes"] is None else r["themes"]
        print(f"{r['system']:<22} {themes:>6} {shares} {r['landed']:>5}/6 {r['largest']:>8.1%}")
    print(f"(a seed theme lands when >= {SEED_LANDED:.0%} of its quotes share one theme; target: 5 of 6, "
          "largest theme <= 30% of quotes)")


def main() -> None:
    parser = argparse.ArgumentParser(description="Themes against human coding, before/after/peer in one run")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-banking", action="store_true", help="leave out Banking77 (3,080 texts)")
    parser.add_argument("--newsgroups", type=int, default=1000,
                        help="20 Newsgroups posts to score (newsgroups and their six families); 0 leaves them out")
    parser.add_argument("--seed-repeats", type=int, default=1,
                        help="score the seed under this many UMAP seeds (from --seed on), to see how robust it is")
    parser.add_argument("--banking-sample", type=int, default=0,
                        help="score only this many Banking77 messages (a seeded sample, for iterating)")
    parser.add_argument("--csv", type=Path,
                        help="another human-coded export: CSV, TSV or .xlsx, read as the pipeline reads surveys")
    parser.add_argument("--text", help="its text column")
    parser.add_argument("--codes", help="its first coder's codes column")
    parser.add_argument("--second", help="its second coder's codes column, if any")
    parser.add_argument("--sep", default=";", help="code separator in a cell")
    args = parser.parse_args()

    from nlp.backends import build_embedder
    from nlp.config import PipelineConfig

    embedder = build_embedder(PipelineConfig())
    # why-art's `codes` column is a second coding of the same answers in the same style (it equals
    # human_codes on the rows marked use_as_example); it shows what another coder reaches here.
    sets = [load_coded_csv(WHY_ART, "why_art", "human_codes", second_column="codes", second_name="other coding (codes)",
                           grouping_columns=("human_themes",), name="why-art")]
    if not args.skip_banking:
        banking = load_coded_csv(BANKING, "text", "category", sep=None, name="banking77")
        sets.append(_subset(banking, args.banking_sample, args.seed) if args.banking_sample else banking)
    if args.newsgroups:
        sets.append(load_newsgroups(args.newsgroups))
    if args.csv:
        sets.append(load_coded_csv(args.csv, args.text, args.codes, sep=args.sep,
                                   second_column=args.second))
    rows = []
    for data in sets:
        n_codes, n_kept, n_covered = data.coverage()
        print(f"{data.name}: {len(data.codes)} coded answers, {len(data.quotes)} quotes; {n_codes} distinct codes, "
              f"{n_kept} held by >= 3 answers, which cover {n_covered} answers", flush=True)
        for column, grouping in data.groupings.items():
            scored = "scored" if code_recovery(grouping, {})[1] else "no code held by >= 3 answers: not scored"
            print(f"  {column}: given for {len(grouping)} of the answers ({scored})", flush=True)
        rows.extend(coded_rows(data, embedder, args.seed))
    print()
    print_coded(rows)
    for umap_seed in range(args.seed, args.seed + args.seed_repeats):
        print(f"\nseed (UMAP seed {umap_seed})")
        print_seed(seed_rows(embedder, umap_seed))


if __name__ == "__main__":
    main()
