"""What a rerun costs beside a cold run, as a user starts them: fresh processes, both entry points.

Corpus: the seed interview summary plus the interview transcripts in
``../shared/data/interviews-mlsys/`` (all but the last, which arrives later), copied into a
temporary raw folder. For each entry point, ``interviews run --no-prefect``, the Prefect
flow (``python -m flows.interview_pipeline``) with its temporary API server (``flow``, what
``make run`` does), and the same flow command against a ``prefect server start`` running
beforehand (``served``, the set-up README documents for scheduled runs; the server is started
here in a throwaway ``PREFECT_HOME`` and warmed by one untimed no-op flow), runs in new processes:

- cold: empty output and cache folders (the machine's compiled kernels and ONNX export are
  warm, as on any machine that has run the pipeline once);
- rerun, no change: the same command again;
- rerun, one new file: the last transcript copied in, the same command again;
- the same, full refit: from a copy of the state before that rerun, with
  ``--topics-max-placed-share 0``, so UMAP is fitted on the whole corpus instead of the new
  quotes being placed in the saved layout (``nlp.topics.stability.plan_layout``); then again
  with ``--seed 43``, the noise floor of a refit.

``watch`` is ``interviews watch`` on the same folders: one process that runs once, then reruns
in-process on each change, so imports, models and compiled kernels are paid at its cold run
only. Its rows are the watcher's own CPU seconds during each run (``psutil``, all its threads),
from the change to the run's printed summary; it has no refit rows. Its ratios are given
against its own cold run and against ``cli``'s cold run when both run.

Each row gives wall and CPU seconds (the child's user + system) and its ratio to that entry
point's cold run (for ``served``, also the running server's CPU seconds during that run, which
the child's figure leaves out: a scheduled user starts the server once, not per run); the
new-file rows also give how many old quotes kept their topic id, and the placed row and the
seed-43 refit how their new quotes' topics agree with the seed-42 refit's (same stable id; ARI).

    python -m bench.reruns [--only cli flow served watch]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench.prefect_server import prefect_env, server_cpu_s, start_server, stop_server
from bench.stage_timing import child_seconds

__all__ = ["TARGET_ADD_ONE", "TARGET_NO_CHANGE", "TRANSCRIPTS", "print_table", "run"]

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "data" / "raw" / "interview_summary.txt"
TRANSCRIPTS = REPO.parent / "shared" / "data" / "interviews-mlsys"
# Issue 17's targets, as fractions of a cold run.
TARGET_NO_CHANGE = 0.2
TARGET_ADD_ONE = 0.3

ENTRY_POINTS = {
    "cli": [sys.executable, "-m", "flows.cli", "run", "--no-prefect"],
    "flow": [sys.executable, "-m", "flows.interview_pipeline"],
    "served": [sys.executable, "-m", "flows.interview_pipeline"],  # with PREFECT_API_URL set, in run()
    "watch": [sys.executable, "-m", "flows.cli", "watch"],  # one process for every step: _watched_steps
}
# How long a watched run may take before the bench gives up on it.
_WATCH_TIMEOUT_S = 1800


def _timed(cmd: list[str], base_env: dict[str, str] | None = None, server=None) -> dict[str, float]:
    """Wall and CPU seconds of one child; with ``server`` (a running Prefect server), its CPU too."""
    server_before = server_cpu_s(server) if server else None
    base_env = os.environ if base_env is None else base_env
    env = {**base_env, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), base_env.get("PYTHONPATH", "")) if p)}
    # The flow's temporary Prefect server gives up after 20 s by default, which a loaded
    # shared machine can exceed; the wait is timed either way.
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    timed = child_seconds(cmd, env, REPO)
    if server:
        timed["server_cpu_s"] = server_cpu_s(server) - server_before
    return timed


def _served(home: Path) -> tuple[subprocess.Popen, dict[str, str], dict[str, float]]:
    """A running Prefect server for the ``served`` entry, the environment pointing flows at it,
    and what starting it cost (wall seconds to healthy, the server's CPU seconds by then).

    One untimed no-op flow first: the server's first flow run (client set-up, the first writes
    to its database) is not part of any run a scheduled user waits for.
    """
    home.mkdir()
    started = time.perf_counter()
    server, api = start_server(home)
    start = {"server_start_s": time.perf_counter() - started, "server_start_cpu_s": server_cpu_s(server)}
    env = prefect_env(home, api)
    warm = [sys.executable, "-m", "bench.prefect_overhead", "--_child", "noop", *[str(home)] * 3]
    subprocess.run(warm, cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}, check=True, capture_output=True)
    return server, env, start


class _Watcher:
    """``interviews watch`` running in the background; its own CPU seconds, its runs as it prints them."""

    def __init__(self, cmd: list[str], log: Path) -> None:
        import psutil

        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
               "PYTHONUNBUFFERED": "1"}
        self.log = log
        self.started = time.perf_counter()
        with log.open("w") as fh:
            self.child = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)
        self.process = psutil.Process(self.child.pid)

    def cpu_s(self) -> float:
        """User + system seconds of the watcher process so far (all its threads)."""
        times = self.process.cpu_times()
        return times.user + times.system

    def rss_mib(self) -> float:
        """The watcher's resident memory now, MiB: a long-lived process should not grow run after run."""
        return self.process.memory_info().rss / 2**20

    def runs(self) -> int:
        """Runs finished so far: the summary lines ``ok: run-…`` / ``up-to-date: run-…``, or ``error:``."""
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return sum(line.startswith(("ok: run-", "up-to-date: run-", "error:")) for line in lines)

    def wait_for_run(self, n: int) -> float:
        """Wall seconds until the ``n``-th run has printed its summary.

        Raises:
            RuntimeError: the watcher exited, a run failed, or none finished in time.
        """
        started = time.perf_counter()
        while self.runs() < n:
            if self.child.poll() is not None or time.perf_counter() - started > _WATCH_TIMEOUT_S:
                raise RuntimeError(f"interviews watch: no run {n}: {self.log.read_text()[-1500:]}")
            time.sleep(0.05)
        if any(line.startswith("error:") for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines()):
            raise RuntimeError(f"interviews watch: a run failed: {self.log.read_text()[-1500:]}")
        return time.perf_counter() - started

    def stop(self) -> None:
        self.child.send_signal(signal.SIGINT)
        try:
            self.child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.child.kill()


def _watched_steps(cmd: list[str], work: Path, new: Path) -> list[dict]:
    """The steps through one ``interviews watch`` process: its CPU seconds during each run.

    Cold: from the process start to its first run's summary (imports, models, the run). No
    change: the seed file written again with the same bytes, which starts a run that finds
    the inputs unchanged. One new file: the last transcript copied in. Wall seconds run from
    the change to the summary, so they include the watcher's 1 s quiet time before a run.
    """
    raw, out = work / "raw", work / "processed"
    watcher = _Watcher(cmd, work / "watch.log")
    try:
        steps = [{"step": "cold", "wall_s": watcher.wait_for_run(1), "cpu_s": watcher.cpu_s(), "stages": _stage_seconds(out),
                  "rss_mib": watcher.rss_mib()}]
        before = pd.read_parquet(out / "quotes.parquet", columns=["quote_id", "topic_id"])
        for n, (step, change) in enumerate(
            [("rerun, no change", lambda: (raw / SEED.name).write_bytes(SEED.read_bytes())),
             ("rerun, one new file", lambda: shutil.copy(new, raw / new.name))], start=2):
            cpu = watcher.cpu_s()
            change()
            steps.append({"step": step, "wall_s": watcher.wait_for_run(n), "cpu_s": watcher.cpu_s() - cpu,
                          "rss_mib": watcher.rss_mib()})
        steps[-1]["stages"] = _stage_seconds(out)
        after = pd.read_parquet(out / "quotes.parquet", columns=["quote_id", "topic_id"])
        steps[-1].update(kept_topic_id=_kept_topic_ids(before, after), quotes=len(after))
        steps[0]["quotes"] = len(before)
    finally:
        watcher.stop()
    return steps


def _stage_seconds(out: Path) -> dict[str, float]:
    """The run's own stage timings (``run_manifest.json``), to show where the time went."""
    return json.loads((out / "run_manifest.json").read_text(encoding="utf-8")).get("timings", {})


def _kept_topic_ids(before: pd.DataFrame, after: pd.DataFrame) -> float:
    both = before.merge(after, on="quote_id", suffixes=("_before", "_after"))
    both = both[both.topic_id_before != -1]
    return float((both.topic_id_before == both.topic_id_after).mean()) if len(both) else float("nan")


def _placed_agreement(before: pd.DataFrame, placed: pd.DataFrame, refitted: pd.DataFrame, out: Path) -> dict:
    """How the new quotes' topics in the placed rerun agree with the full refit's.

    Both runs match their topics to the same previous run's, so the same stable id means the
    same topic; ARI compares the two groupings whatever their ids.
    """
    from sklearn.metrics import adjusted_rand_score

    layout = pd.read_parquet(out / "topic_model" / "layout.parquet", columns=["quote_id", "placed"])
    both = placed.merge(refitted, on="quote_id", suffixes=("_placed", "_refit"))
    both = both[both.quote_id.isin(layout.quote_id)]  # the quotes the topic model saw
    new = both[~both.quote_id.isin(before.quote_id)]
    return {
        "placed_quotes": int(layout.placed.sum()),
        "new_same_id": float((new.topic_id_placed == new.topic_id_refit).mean()),
        "new_ari": float(adjusted_rand_score(new.topic_id_refit, new.topic_id_placed)),
        "all_ari": float(adjusted_rand_score(both.topic_id_refit, both.topic_id_placed)),
    }


def run(only: tuple[str, ...] = tuple(ENTRY_POINTS)) -> list[dict]:
    """Rows of {entry, step, wall_s, cpu_s, ratio_wall, ratio_cpu[, kept_topic_id]}.

    Raises:
        FileNotFoundError: the transcripts folder is missing (``../shared`` not beside the repo).
    """
    transcripts = sorted(TRANSCRIPTS.glob("*.txt")) if TRANSCRIPTS.is_dir() else []
    if len(transcripts) < 2:
        raise FileNotFoundError(f"bench.reruns needs the interview transcripts in {TRANSCRIPTS}; not found")
    *first, new = transcripts
    rows: list[dict] = []
    for entry in only:
        work = Path(tempfile.mkdtemp(prefix=f"bench-reruns-{entry}-"))
        server = None
        try:
            env, start = None, {}
            if entry == "served":
                server, env, start = _served(work / "prefect-home")
            timed = functools.partial(_timed, base_env=env, server=server)
            raw, out = work / "raw", work / "processed"
            raw.mkdir()
            for path in (SEED, *first):
                shutil.copy(path, raw / path.name)
            cmd = [*ENTRY_POINTS[entry], "--raw-dir", str(raw), "--out-dir", str(out), "--cache-dir", str(work / "interim")]
            if entry == "watch":
                rows += _rows(entry, first, new, _watched_steps(cmd, work, new))
                continue
            steps = []
            steps.append({"step": "cold", **timed(cmd), "stages": _stage_seconds(out), **start})
            before = pd.read_parquet(out / "quotes.parquet", columns=["quote_id", "topic_id"])
            steps.append({"step": "rerun, no change", **timed(cmd)})
            snapshot = work / "before-new-file"
            for name in ("raw", "processed", "interim"):
                shutil.copytree(work / name, snapshot / name, symlinks=True)
            shutil.copy(new, raw / new.name)
            shutil.copy(new, snapshot / "raw" / new.name)  # copied again for each full refit below
            steps.append({"step": "rerun, one new file", **timed(cmd), "stages": _stage_seconds(out)})
            after = pd.read_parquet(out / "quotes.parquet", columns=["quote_id", "topic_id"])
            steps[-1]["kept_topic_id"] = _kept_topic_ids(before, after)
            steps[-1]["quotes"] = len(after)
            refits = []
            for seed in ("42", "43"):  # the noise floor: two full refits that differ only in UMAP's seed
                copy = work / f"refit-{seed}"
                shutil.copytree(snapshot, copy, symlinks=True)
                refit_cmd = [str(copy / p[len(str(work)) + 1:]) if p.startswith(str(work)) else p for p in cmd]
                refit_cmd += ["--topics-max-placed-share", "0", "--seed", seed]
                steps.append({"step": f"  the same, full refit{', seed ' + seed if seed != '42' else ''}",
                              **timed(refit_cmd), "stages": _stage_seconds(copy / "processed")})
                refits.append(pd.read_parquet(copy / "processed" / "quotes.parquet", columns=["quote_id", "topic_id"]))
                steps[-1]["kept_topic_id"] = _kept_topic_ids(before, refits[-1])
            steps[-3].update(_placed_agreement(before, after, refits[0], out))
            steps[-1].update(_placed_agreement(before, refits[1], refits[0], work / "refit-43" / "processed"))
            steps[0]["quotes"] = len(before)
            rows += _rows(entry, first, new, steps)
        finally:
            if server is not None:
                stop_server(server)
            shutil.rmtree(work, ignore_errors=True)
    cli_cold = next((r for r in rows if r["entry"] == "cli" and r["step"] == "cold"), None)
    for r in rows:
        if r["entry"] == "watch" and cli_cold is not None:  # the watcher pays imports once: also against a fresh `run`
            r["ratio_cli_wall"] = r["wall_s"] / cli_cold["wall_s"]
            r["ratio_cli_cpu"] = r["cpu_s"] / cli_cold["cpu_s"]
    return rows


def _rows(entry: str, first: list[Path], new: Path, steps: list[dict]) -> list[dict]:
    """The rows of one entry point, each with its ratios to that entry point's cold run."""
    rows = []
    for s in steps:
        s["ratio_wall"] = s["wall_s"] / steps[0]["wall_s"]
        s["ratio_cpu"] = s["cpu_s"] / steps[0]["cpu_s"]
        rows.append({"entry": entry, "files": 1 + len(first), "new_file": new.name, **s})
        print(f"[reruns] {entry}: {s['step']}: {s['wall_s']:.1f} s wall, {s['cpu_s']:.1f} s CPU",
              file=sys.stderr, flush=True)
    return rows


def print_table(rows: list[dict]) -> None:
    print(f"1-min load average {os.getloadavg()[0]:.1f}; {rows[0]['files']} files, then {rows[0]['new_file']} added")
    print(f"{'entry':<6} {'step':<22} {'wall s':>7} {'CPU s':>7} {'x cold (wall; CPU)':>20} {'kept id':>8}")
    for r in rows:
        kept = f"{r['kept_topic_id']:.1%}" if "kept_topic_id" in r else ""
        ratio = f"{r['ratio_wall']:.2f}x; {r['ratio_cpu']:.2f}x"
        print(f"{r['entry']:<6} {r['step']:<22} {r['wall_s']:>7.1f} {r['cpu_s']:>7.1f} {ratio:>20} {kept:>8}")
        if "ratio_cli_cpu" in r:
            print(f"       x cli cold run: {r['ratio_cli_wall']:.2f}x wall; {r['ratio_cli_cpu']:.2f}x CPU")
        if "rss_mib" in r:
            print(f"       the watcher's resident memory after the run: {r['rss_mib']:.0f} MiB")
        if "new_same_id" in r:
            what = f"{r['placed_quotes']} quotes placed" if r["placed_quotes"] else "UMAP fitted"
            print(f"       {what}; against the seed-42 full refit: new quotes' same topic id "
                  f"{r['new_same_id']:.1%}, ARI new {r['new_ari']:.2f}, all {r['all_ari']:.2f}")
        if "server_start_s" in r:
            print(f"       prefect server start, once: {r['server_start_s']:.1f} s wall to healthy, "
                  f"{r['server_start_cpu_s']:.1f} s CPU")
        if "server_cpu_s" in r:
            print(f"       the running server's CPU during the run: {r['server_cpu_s']:.1f} s")
        if r.get("stages"):
            print("       stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description="Rerun cost beside a cold run, through the CLI, the flow and a served flow")
    parser.add_argument("--only", nargs="+", choices=tuple(ENTRY_POINTS), default=list(ENTRY_POINTS))
    args = parser.parse_args()
    try:
        rows = run(tuple(args.only))
    except FileNotFoundError as exc:
        print(f"skipped: {exc}")
        return
    print_table(rows)


if __name__ == "__main__":
    main()
