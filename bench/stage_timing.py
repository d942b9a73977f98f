"""What the benchmarks share: timing a stage or a child process, and comparing two trees' outputs.

``child_seconds`` times a whole command in a fresh process (``bench.startup``, ``bench.reruns``).
``bench.quote_stage`` and ``bench.rec_stage`` use the rest: each of those benchmarks saves one stage's inputs (``prepare``), times the stage alone from
whichever code tree ``PYTHONPATH`` names (``time``) and checks that two trees' saved outputs are
equal (``compare``). Run as scripts, they import this file as their sibling, so the tree under
test needs no copy of it.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["child_seconds", "first_difference", "main", "print_parts", "time_parts", "timed"]


def child_seconds(cmd: Sequence[str], env: Mapping[str, str], cwd: Path) -> dict[str, float]:
    """Wall and CPU seconds (user + system) of one child process run to its end; raises if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(list(cmd), cwd=cwd, env=dict(env), capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({done.returncode}): {done.stderr[-1500:]}")
    return {"wall_s": wall, "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)}


def time_parts(parts: Sequence[tuple[str, str]]) -> dict[str, list[float]]:
    """Wrap each ``(module, function)`` where it is looked up so that its calls add up.

    Returns ``name -> [wall s, CPU s, calls, items]``, filled while the stage runs; items are
    the lengths of the first arguments. Times include what a function calls. A function the
    tree under test does not have is skipped.
    """
    totals: dict[str, list[float]] = {}
    for module_name, name in parts:
        module = importlib.import_module(module_name)
        fn = getattr(module, name, None)
        if fn is None:  # another tree
            continue
        total = totals.setdefault(name, [0.0, 0.0, 0, 0])

        @functools.wraps(fn)
        def wrapped(*args, _fn=fn, _total=total, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return _fn(*args, **kwargs)
            finally:
                _total[0] += time.perf_counter() - wall
                _total[1] += time.process_time() - cpu
                _total[2] += 1
                _total[3] += len(args[0]) if args and hasattr(args[0], "__len__") else 0

        setattr(module, name, wrapped)
    return totals


def timed(fn: Callable[[], Any], profile: Path | None = None) -> tuple[Any, float, float]:
    """``fn()``'s result, wall seconds and CPU seconds; under cProfile, dumped to ``profile``, when given."""
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = fn()
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler:
        profiler.dump_stats(profile)
    return result, seconds, cpu


def print_parts(totals: Mapping[str, list[float]]) -> None:
    for name, (part_s, part_cpu, calls, n) in totals.items():
        print(f"  {name:<28} {part_s:7.1f} s {part_cpu:7.2f} CPU s  {calls:5d} calls  {n:7d} items")


def first_difference(left: Mapping, right: Mapping, keys: Sequence[str]) -> bool:
    """Whether ``left`` and ``right`` hold equal values under ``keys``; prints where they first differ."""
    for key in keys:
        if left[key] != right[key]:
            a, b = left[key], right[key]
            if isinstance(a, Sequence) and isinstance(b, Sequence):
                n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
                print(f"{key} differ (lengths {len(a)} / {len(b)}; first at {n})")
            else:
                print(f"{key} differ")
            return False
    return True


def main(
    description: str,
    prepare: Callable[..., None],
    time_stage: Callable[..., float],
    compare: Callable[[Path, Path], bool],
    argv: list[str] | None = None,
) -> None:
    """The ``prepare`` / ``time`` / ``compare`` command line of a stage benchmark."""
    parser = argparse.ArgumentParser(description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--size", type=int, help="quotes of bench.scale's corpus")
    source.add_argument("--raw", type=Path, help="an input folder instead (the seed: data/raw)")
    p.add_argument("--dir", type=Path, required=True)
    t = sub.add_parser("time")
    t.add_argument("--dir", type=Path, required=True)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--profile", type=Path, default=None)
    t.add_argument("--parts", action="store_true", help="also time the stage's main steps")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(args.size, args.dir, raw=args.raw)
    elif args.command == "time":
        time_stage(args.dir, args.out, args.profile, args.parts)
    elif not compare(args.a, args.b):
        sys.exit(1)
