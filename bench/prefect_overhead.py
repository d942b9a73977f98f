"""What Prefect adds to a run of the pipeline on the seed, measured side by side in one go.

Every row is a fresh interpreter, as a ``make run`` or a scheduled run is:

* ``import nlp`` and ``import nlp + prefect``: the interpreter with ``nlp.run``, or with
  ``flows.interview_pipeline`` (Prefect too), imported and no run: the floor of the rows below;
* ``noop flow`` and ``50 tasks``: an empty flow, and one mapping a no-op task over 50 items
  (the embed/score tasks are mapped like this), to show the fixed and per-task cost;
* ``5 calls of 3,000 quotes`` and ``the same, quoted``: a flow calling a task five times with 3,000
  ``Quote`` records as its argument, passed as is (Prefect walks every record looking for
  futures) and wrapped in ``quote`` (as the pipeline's stages pass theirs);
* ``run_pipeline``: the stages in-process without Prefect, cold (empty cache and outputs) and
  rerun with nothing changed;
* ``prefect flow``: ``flows.interview_pipeline.interview_pipeline`` on the same input, cold
  and rerun.

The flow rows run twice: with Prefect's temporary API server (no ``PREFECT_API_URL``: each
process starts its own server, as ``make run`` does) and against a ``prefect server start`` on
127.0.0.1 started here beforehand (the set-up documented for scheduled runs). Both use a
throwaway ``PREFECT_HOME``, warmed by one untimed flow so database migrations are not counted.
Within a repeat the three cold runs go back to back, then the three reruns, so other jobs'
load falls on all of them alike; ``CPU s`` (the process's own, from ``os.wait4``) is the
steadier figure on a shared machine.

    python -m bench.prefect_overhead [--repeats 2]

``call s`` is the flow or ``run_pipeline`` call alone; ``stages s`` the sum of the run's stage
timings (the pipeline work); ``orchestration s`` = ``call s`` - ``stages s``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.prefect_server import prefect_env, start_server, stop_server

__all__ = ["print_table", "run"]

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "data" / "raw" / "interview_summary.txt"
N_TASKS = 50
N_QUOTES, N_CALLS = 3000, 5
QUOTES_ROW, QUOTED_ROW = f"{N_CALLS} calls of {N_QUOTES:,} quotes", "the same, quoted"


def _child(mode: str, raw: Path, out: Path, cache: Path) -> None:
    """One measured call in this fresh process; prints a JSON line."""
    started = time.perf_counter()
    # What each kind of run imports: no Prefect without the flow.
    from nlp.config import PipelineConfig

    if mode in ("pipeline", "import-nlp"):
        from nlp.run import run_pipeline
    else:
        from flows.interview_pipeline import interview_pipeline
    result: dict = {"import_s": time.perf_counter() - started}
    t = time.perf_counter()
    if mode == "pipeline":
        summary = run_pipeline(PipelineConfig(raw_dir=raw, out_dir=out, cache_dir=cache))
    elif mode == "flow":
        summary = interview_pipeline(PipelineConfig(raw_dir=raw, out_dir=out, cache_dir=cache))
    elif mode in ("noop", "tasks"):
        summary = _trivial_flow(N_TASKS if mode == "tasks" else 0)
    elif mode in ("quotes", "quotes-quoted"):
        summary = _quotes_flow(mode == "quotes-quoted")
    elif mode not in ("import", "import-nlp"):
        raise ValueError(mode)
    result["call_s"] = time.perf_counter() - t
    if mode in ("pipeline", "flow"):
        result.update(status=summary.status, stages_s=sum(summary.timings.values()), timings=summary.timings)
    print(json.dumps(result))


def _trivial_flow(n_tasks: int):
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    # The same task options as the pipeline's stages, so only orchestration is measured.
    @task(cache_policy=NO_CACHE, persist_result=False)
    def noop(i: int) -> int:
        return i

    @flow(name="bench-noop")
    def trivial(n: int) -> int:
        return sum(noop.map(range(n)).result()) if n else 0

    return trivial(n_tasks)


def _quotes_flow(quoted: bool) -> int:
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.utilities.annotations import quote

    from nlp.schemas import Quote

    @task(cache_policy=NO_CACHE, persist_result=False)
    def count(quotes: list) -> int:
        return len(quotes)

    @flow(name="bench-quotes")
    def calls(quoted: bool) -> int:
        quotes = [Quote(f"q{i}", "interview.txt", "1.1 Section", "What helps?", f"r{i % 40}", "Interviewee", False,
                        "They need more advanced planning and a shared agenda.", i * 60, i * 60 + 52)
                  for i in range(N_QUOTES)]
        return sum(count(quote(quotes) if quoted else quotes) for _ in range(N_CALLS))

    return calls(quoted)


def _measure(mode: str, raw: Path, out: Path, cache: Path, env: dict[str, str]) -> dict:
    cmd = [sys.executable, "-m", "bench.prefect_overhead", "--_child", mode, str(raw), str(out), str(cache)]
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
        # wait4: this child's CPU time, its temporary API server's included once reaped.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t
        stdout.seek(0)
        stderr.seek(0)
        lines, errors = stdout.read().strip().splitlines(), stderr.read()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{mode} failed ({proc.returncode}):\n{errors[-3000:]}")
    result = json.loads(lines[-1])
    result["process_s"] = wall
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


def run(repeats: int = 2) -> list[dict]:
    """Rows of {row, server, process_s, cpu_s, import_s, call_s, stages_s, orchestration_s, status}.

    Rows are averaged over ``repeats``. Within a repeat the variants run back to back, so load
    from other jobs on the machine falls on all of them alike.
    """
    work = Path(tempfile.mkdtemp(prefix="bench-prefect-"))
    raw = work / "raw"
    raw.mkdir()
    shutil.copy(SEED, raw / SEED.name)
    rows: list[dict] = []
    server_proc = None
    try:
        temp_home, server_home = work / "temporary-home", work / "server-home"
        temp_home.mkdir()
        server_home.mkdir()
        t = time.perf_counter()
        server_proc, api = start_server(server_home)
        rows.append({"row": "prefect server start", "server": "running", "call_s": time.perf_counter() - t})
        envs = {"-": prefect_env(temp_home, None), "temporary": prefect_env(temp_home, None),
                "running": prefect_env(server_home, api)}
        for server in ("temporary", "running"):  # untimed: database migrations, flow registration
            _measure("noop", raw, work / "x", work / "x", envs[server])
        for i in range(repeats):
            rows.append({"row": "import nlp", "server": "-", **_measure("import-nlp", raw, work, work, envs["-"])})
            rows.append({"row": "import nlp + prefect", "server": "-", **_measure("import", raw, work, work, envs["-"])})
            runs = [("pipeline", "run_pipeline", "-"), ("flow", "prefect flow", "temporary"),
                    ("flow", "prefect flow", "running")]
            for step in ("cold", "rerun"):
                for mode, label, server in runs:
                    out, cache = work / f"out-{mode}-{server}-{i}", work / f"cache-{mode}-{server}-{i}"
                    rows.append({"row": f"{label}, {step}", "server": server,
                                 **_measure(mode, raw, out, cache, envs[server])})
            for server in ("temporary", "running"):
                rows.append({"row": "noop flow", "server": server, **_measure("noop", raw, work, work, envs[server])})
                rows.append({"row": f"{N_TASKS} tasks", "server": server,
                             **_measure("tasks", raw, work, work, envs[server])})
                for mode, label in (("quotes", QUOTES_ROW), ("quotes-quoted", QUOTED_ROW)):
                    rows.append({"row": label, "server": server, **_measure(mode, raw, work, work, envs[server])})
    finally:
        if server_proc is not None:
            stop_server(server_proc)
        shutil.rmtree(work, ignore_errors=True)
    for r in rows:
        if "stages_s" in r:
            r["orchestration_s"] = r["call_s"] - r["stages_s"]
    return _mean_over_repeats(rows)


def _mean_over_repeats(rows: list[dict]) -> list[dict]:
    merged: dict[tuple[str, str], dict] = {}
    counts: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["row"], r["server"])
        if key not in merged:
            merged[key], counts[key] = dict(r), 1
            continue
        counts[key] += 1
        for k, v in r.items():
            if isinstance(v, float):
                merged[key][k] += v
    for key, r in merged.items():
        for k, v in r.items():
            if isinstance(v, float):
                r[k] = v / counts[key]
    return list(merged.values())


def summary(rows: list[dict]) -> dict[str, float]:
    """The split a reader wants: Prefect's extra seconds per run, cold and rerun, per server mode."""
    by = {(r["row"], r["server"]): r for r in rows}
    out: dict[str, float] = {}
    for step in ("cold", "rerun"):
        base = by.get((f"run_pipeline, {step}", "-"))
        for server in ("temporary", "running"):
            flow_row = by.get((f"prefect flow, {step}", server))
            if base and flow_row:
                out[f"prefect_extra_{step}_{server}_s"] = flow_row["process_s"] - base["process_s"]
                out[f"prefect_extra_{step}_{server}_cpu_s"] = flow_row["cpu_s"] - base["cpu_s"]
    for server in ("temporary", "running"):
        noop, tasks = by.get(("noop flow", server)), by.get((f"{N_TASKS} tasks", server))
        if noop and tasks:
            out[f"per_task_{server}_s"] = (tasks["call_s"] - noop["call_s"]) / N_TASKS
            out[f"noop_flow_call_{server}_s"] = noop["call_s"]
        walked, quoted = by.get((QUOTES_ROW, server)), by.get((QUOTED_ROW, server))
        if noop and walked and quoted:
            out[f"per_call_{N_QUOTES}_quotes_{server}_s"] = (walked["call_s"] - noop["call_s"]) / N_CALLS
            out[f"per_call_{N_QUOTES}_quotes_quoted_{server}_s"] = (quoted["call_s"] - noop["call_s"]) / N_CALLS
    return out


def print_table(rows: list[dict]) -> None:
    def cell(r: dict, k: str) -> str:
        return f"{r[k]:.2f}" if isinstance(r.get(k), float) else ""

    print(f"{'row':<24} {'server':<9} {'process s':>9} {'CPU s':>6} {'import s':>8} {'call s':>7} {'stages s':>8} "
          f"{'orch. s':>7} status")
    for r in rows:
        print(
            f"{r['row']:<24} {r['server']:<9} {cell(r, 'process_s'):>9} {cell(r, 'cpu_s'):>6} {cell(r, 'import_s'):>8} "
            f"{cell(r, 'call_s'):>7} {cell(r, 'stages_s'):>8} {cell(r, 'orchestration_s'):>7} {r.get('status', '')}"
        )
    for k, v in summary(rows).items():
        print(f"{k}: {v:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Prefect's overhead on a seed run")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument("--_child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child:
        mode, raw, out, cache = args._child
        _child(mode, Path(raw), Path(out), Path(cache))
        return
    rows = run(args.repeats)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
