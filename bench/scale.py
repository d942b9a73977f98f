"""The whole pipeline (no Prefect) on 1k, 10k and 100k quotes: time per stage, peak memory.

Corpus: sentences of 20 Newsgroups posts (cleaned by ``bench.newsgroups``), 4 to 30 words each
so that one CSV row becomes one quote, drawn in a seeded order (smaller corpora are prefixes of
larger ones) and written as survey CSVs, one per newsgroup, with a ``response`` column. The
real ingest -> quotes -> embed -> topics -> sentiment -> recommendations -> write path runs.

Each size runs in a fresh subprocess with a fresh embedding cache (a cold run, the model load
and numba's compilation included, as a first ``make run`` pays them), then, unless
``--no-warm``, a second fresh subprocess re-analyses the same input with that cache filled
(a warm run: the pipeline without embedding). Peak RSS is the subprocess's own peak,
from ``/proc/self/status`` ``VmHWM`` (``ru_maxrss`` where that is missing). ``--stages`` adds,
per stage, the process's CPU seconds and its peak RSS within that stage (``VmHWM`` reset at the
stage's start through ``/proc/self/clear_refs``), to find which stage holds the peak.

    python -m bench.scale [--sizes 1000 10000 100000] [--no-warm] [--backend torch] [--stages]

Targets (issue 17): 100k quotes end to end in at most 300 s and 4 GiB on 2 cores (issue 7's
were 15 minutes and 6 GiB); time from 10k to 100k grows at most 15x.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["DEFAULT_SIZES", "corpus_sentences", "print_table", "run", "write_corpus"]

DEFAULT_SIZES = (1000, 10000)
FULL_SIZES = (1000, 10000, 100000)
TARGET_100K_S = 300
TARGET_RSS_GIB = 4.0
TARGET_RATIO = 15.0
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Lines of carets, dashes or code are not sentences anyone would quote.
_WORDY = re.compile(r"[A-Za-z]{2,}")


def corpus_sentences(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` distinct (newsgroup, sentence) pairs in a seeded order; smaller n gives a prefix."""
    from bench.newsgroups import load_posts

    seen: set[str] = set()
    pairs: list[tuple[str, str]] = []
    for post in load_posts():
        for sentence in _SENTENCE_END.split(post.text):
            words = sentence.split()
            # Up to the quote splitter's max_words, so a row is one quote; at least min_words.
            if not 4 <= len(words) <= 30 or sentence in seen:
                continue
            if sum(bool(_WORDY.search(w)) for w in words) < 0.7 * len(words):
                continue
            seen.add(sentence)
            pairs.append((post.label, sentence))
    if n > len(pairs):
        raise ValueError(f"only {len(pairs)} sentences available, asked for {n}")
    order = np.random.default_rng(seed).permutation(len(pairs))
    return [pairs[i] for i in order[:n]]


def write_corpus(raw_dir: Path, n: int, seed: int = 0) -> int:
    """Write ``n`` sentences as one survey CSV per newsgroup into ``raw_dir``; returns files written."""
    by_group: dict[str, list[str]] = {}
    for label, sentence in corpus_sentences(n, seed):
        by_group.setdefault(label, []).append(sentence)
    raw_dir.mkdir(parents=True, exist_ok=True)
    for label, sentences in sorted(by_group.items()):
        with (raw_dir / f"{label}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["respondent", "response"])
            writer.writerows((f"{label}-{i}", s) for i, s in enumerate(sentences))
    return len(by_group)


def _child(raw: Path, out: Path, cache: Path, backend: str) -> None:
    """One run in this process; prints its summary as JSON on the last line."""
    from nlp.config import PipelineConfig
    from nlp.run import run_pipeline

    stages = _StageMeter.install()
    t = time.perf_counter()
    config = PipelineConfig(raw_dir=raw, out_dir=out, cache_dir=cache, backend=backend)
    summary = run_pipeline(config, force=True)
    total = time.perf_counter() - t
    row = {"total_s": total, "timings": summary.timings, "counts": summary.counts, "hwm_kib": stages.peak_kib()}
    if stages.cpu_s:
        row["stage_cpu_s"], row["stage_peak_gib"] = stages.cpu_s, stages.peak_gib
    print(json.dumps(row))


class _StageMeter:
    """CPU seconds and peak RSS per stage of ``nlp.sequence``'s ``Timer``, which it wraps.

    Each stage resets the kernel's high-water mark (``clear_refs`` 5) on entry and reads it on
    exit; the run's peak is the largest mark seen, before, during or between stages.
    """

    def __init__(self) -> None:
        self.cpu_s: dict[str, float] = {}
        self.peak_gib: dict[str, float] = {}
        self._peak = 0

    @classmethod
    def install(cls) -> _StageMeter:
        from contextlib import contextmanager

        from nlp import sequence

        meter, timed = cls(), sequence.Timer.__call__
        if not meter._reset():
            return meter  # no clear_refs: whole-run peak only

        @contextmanager
        def metered(timer, stage: str):
            meter._reset()
            cpu = time.process_time()
            with timed(timer, stage):
                yield
            meter.cpu_s[stage] = round(meter.cpu_s.get(stage, 0.0) + time.process_time() - cpu, 2)
            stage_kib = _own_peak_kib() or 0
            meter.peak_gib[stage] = round(max(meter.peak_gib.get(stage, 0.0), stage_kib / 2**20), 3)

        sequence.Timer.__call__ = metered
        return meter

    def _reset(self) -> bool:
        self._peak = max(self._peak, _own_peak_kib() or 0)
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def peak_kib(self) -> int | None:
        return max(self._peak, _own_peak_kib() or 0) or None


def _own_peak_kib() -> int | None:
    """This process's peak resident memory since exec (``VmHWM``), or None off Linux.

    Not ``ru_maxrss``: a child's starts at its parent's size when it was forked, so a child of
    ``python -m bench``, which has loaded models by then, would report the parent's peak.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)


def _measure(raw: Path, out: Path, cache: Path, backend: str) -> dict:
    """Run ``_child`` in a fresh interpreter; add its wall time and peak RSS."""
    cmd = [sys.executable, "-m", "bench.scale", "--_child", str(raw), str(out), str(cache), backend]
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stdout:
        proc = subprocess.Popen(cmd, stdout=stdout, cwd=Path(__file__).resolve().parents[1])
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would be the max over all sizes.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t
        stdout.seek(0)
        lines = stdout.read().strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"scale run failed with exit code {proc.returncode}: {' '.join(cmd)}")
    result = json.loads(lines[-1])
    result["process_s"] = wall
    # CPU seconds move less than wall time when other jobs share the machine.
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    peak_kib = result.pop("hwm_kib", None) or usage.ru_maxrss  # both in KiB on Linux
    result["peak_rss_gib"] = peak_kib * 1024 / 2**30
    return result


def run(
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    warm: bool = True,
    seed: int = 0,
    backend: str | None = None,
    keep: Path | None = None,
) -> list[dict]:
    """Rows of {size, cache, backend, quotes, total_s, process_s, cpu_s, peak_rss_gib, timings, ratio}.

    ``backend`` is the embedding backend; ``None`` is the pipeline's default. ``keep``: a folder
    that receives each run's outputs as ``out-<size>-<cache>``, to compare two trees' tables.

    ``total_s`` is ``run_pipeline`` alone; ``process_s`` adds interpreter start and imports.
    ``ratio`` is ``total_s`` over the previous size's, for the same cache state.
    """
    from nlp.config import PipelineConfig

    backend = backend or PipelineConfig().backend
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    rows: list[dict] = []
    try:
        for n in sorted(sizes):
            raw, cache = work / f"raw-{n}", work / f"cache-{n}"
            write_corpus(raw, n, seed)
            for state in ("cold", "warm") if warm else ("cold",):
                result = _measure(raw, work / f"out-{n}-{state}", cache, backend)
                quotes = result["counts"].get("quotes", 0)
                rows.append({"size": n, "cache": state, "backend": backend, "quotes": quotes, **result})
                if keep is not None:
                    shutil.copytree(work / f"out-{n}-{state}", keep / f"out-{n}-{state}", dirs_exist_ok=True)
                shutil.rmtree(work / f"out-{n}-{state}", ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for state in ("cold", "warm"):
        same = [r for r in rows if r["cache"] == state]
        for before, after in itertools.pairwise(same):
            after["ratio"] = after["total_s"] / before["total_s"]
            after["ratio_of"] = f"{after['size'] // 1000}k/{before['size'] // 1000}k"
    return rows


STAGES = ("check", "ingest", "quotes", "embed", "topics", "sentiment", "recommendations", "write")


def print_stage_table(rows: list[dict]) -> None:
    """CPU seconds and peak RSS GiB per stage, for the rows run with ``--stages``."""
    for r in rows:
        if "stage_cpu_s" not in r:
            continue
        print(f"{r['size']} {r['cache']}: stage, CPU s, peak RSS GiB within the stage")
        for stage, cpu in r["stage_cpu_s"].items():
            print(f"  {stage:<16} {cpu:>8.1f} {r['stage_peak_gib'][stage]:>7.2f}")


def print_table(rows: list[dict]) -> None:
    print(f"backend: {', '.join(sorted({r['backend'] for r in rows}))}")
    head = f"{'size':>7} {'cache':<5} {'quotes':>7} " + " ".join(f"{s[:6]:>7}" for s in STAGES)
    print(head + f" {'total s':>8} {'proc s':>7} {'CPU s':>7} {'RSS GiB':>8} {'ratio':>12}")
    for r in rows:
        stages = " ".join(f"{r['timings'].get(s, 0.0):>7.1f}" for s in STAGES)
        ratio = f"{r['ratio_of']} {r['ratio']:.1f}x" if "ratio" in r else ""
        print(
            f"{r['size']:>7} {r['cache']:<5} {r['quotes']:>7} {stages} {r['total_s']:>8.1f} "
            f"{r['process_s']:>7.1f} {r['cpu_s']:>7.1f} {r['peak_rss_gib']:>8.2f} {ratio:>12}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Whole-pipeline time and memory at 1k/10k/100k quotes")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(FULL_SIZES))
    parser.add_argument("--no-warm", action="store_true", help="skip the warm-cache rerun of each size")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument("--backend", default=None, help="embedding backend; default: the pipeline's")
    parser.add_argument("--keep", type=Path, default=None, help="copy each run's outputs into this folder")
    parser.add_argument("--stages", action="store_true", help="also print CPU s and peak RSS per stage")
    parser.add_argument("--_child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child:
        raw, out, cache, backend = args._child
        _child(Path(raw), Path(out), Path(cache), backend)
        return
    rows = run(tuple(args.sizes), warm=not args.no_warm, backend=args.backend, keep=args.keep)
    print_table(rows)
    if args.stages:
        print_stage_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
