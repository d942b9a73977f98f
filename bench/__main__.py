"""Every benchmark in one run, and one table: benchmark, metric, value, target, met?

    python -m bench [--full] [--only scale prefect_overhead] [--json FILE]

``make bench`` runs this. The scale benchmark runs 1k and 10k quotes; ``--full`` adds 100k
(about half an hour on 2 cores). Each benchmark's own ``run()`` is called and its rows,
which differ in shape, are turned into table rows here. A benchmark that fails shows as one
``error`` row; the others still run. The table is Markdown, ready for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

__all__ = ["Row", "collect", "main", "render"]


@dataclass(frozen=True)
class Row:
    """One line of the combined table; ``met`` is None when the metric has no target."""

    benchmark: str
    metric: str
    value: str
    target: str = ""
    met: bool | None = None


def _at_least(value: float, target: float) -> tuple[str, bool]:
    return f"≥ {target:g}", value >= target


def _at_most(value: float, target: float, unit: str = "") -> tuple[str, bool]:
    return f"≤ {target:g}{unit}", value <= target


def _topics_quality(full: bool) -> list[Row]:
    from bench import topics_quality

    rows = topics_quality.run()
    by = {(r["size"], r["config"]): r for r in rows}
    out = []
    for (size, config), r in by.items():
        if config != "pipeline":
            continue
        default = by.get((size, "bertopic-default"))
        target, met = _at_least(r["nmi"], round(default["nmi"], 3)) if default else ("", None)
        out.append(Row("topics_quality", f"NMI pipeline, {size} posts (target: BERTopic default)", f"{r['nmi']:.3f}",
                       target, met))
        out.append(Row("topics_quality", f"ARI pipeline, {size} posts", f"{r['ari']:.3f}",
                       f"default {default['ari']:.3f}" if default else ""))
    return out


def _reruns(full: bool) -> list[Row]:
    from bench import reruns

    try:
        rows = reruns.run()
    except FileNotFoundError as exc:
        return [Row("reruns", "skipped", str(exc))]
    out = []
    for r in rows:
        value = f"{r['wall_s']:.1f}; {r['cpu_s']:.1f} ({r['ratio_wall']:.2f}x; {r['ratio_cpu']:.2f}x)"
        if "server_cpu_s" in r:  # the running server's, paid by the server process, not the run
            value += f"; server {r['server_cpu_s']:.1f}"
        # Issue 17's targets, judged on CPU seconds, which other jobs' load moves less than wall.
        target, met = "", None
        if r["step"] == "rerun, no change":
            target, met = _at_most(r["ratio_cpu"], reruns.TARGET_NO_CHANGE, "x")
        elif r["step"] == "rerun, one new file":
            target, met = _at_most(r["ratio_cpu"], reruns.TARGET_ADD_ONE, "x")
        out.append(Row("reruns", f"{r['entry']}, {r['step']}: wall s; CPU s (x cold)", value, target, met))
        if "kept_topic_id" in r:
            # The stability target of nlp/topics/stability.py.
            target, met = _at_least(r["kept_topic_id"], 0.8)
            out.append(Row("reruns", f"{r['entry']}, one new file: old quotes keeping their topic id",
                           f"{r['kept_topic_id']:.3f}", target, met))
    return out


def _sentiment_quality(full: bool) -> list[Row]:
    from bench import sentiment_quality

    out = []
    for r in sentiment_quality.run():
        if r["method"] == "default":
            target, met = _at_least(r["value"], 0.85)  # bench/analysis_quality.py's target
            out.append(Row("sentiment_quality", f"accuracy, {r['dataset']}", f"{r['value']:.3f}", target, met))
        else:
            out.append(Row("sentiment_quality", f"accuracy VADER baseline, {r['dataset']}", f"{r['value']:.3f}"))
    return out


def _recommendation_quality(full: bool) -> list[Row]:
    from bench import recommendation_quality

    # Issue 14: F1 >= 0.70 on forum text at a 10 % suggestion rate; hotel reviews stay >= 0.83.
    targets = {"semeval_trial_a_forum": 0.75, "semeval_trial_b_hotels": 0.83, "forum_heldout_rate10": 0.70}
    values: dict[str, dict[str, float]] = {}
    for r in recommendation_quality.run():
        values.setdefault(r["dataset"], {})[r["metric"]] = r["value"]
    out = []
    for dataset, v in values.items():
        if "pairwise_precision" in v:
            out.append(Row("recommendation_quality", f"same-ask pairs P (R), {dataset}",
                           f"{v['pairwise_precision']:.3f} ({v['pairwise_recall']:.3f})"))
            continue
        if "f1" not in v:
            continue
        target, met = _at_least(v["f1"], targets[dataset]) if dataset in targets else ("", None)
        out.append(Row("recommendation_quality", f"F1 (P, R), {dataset}",
                       f"{v['f1']:.3f} ({v.get('precision', 0):.3f}, {v.get('recall', 0):.3f})", target, met))
        if "keyword_baseline_f1" in v:
            out.append(Row("recommendation_quality", f"F1 keyword baseline, {dataset}", f"{v['keyword_baseline_f1']:.3f}"))
    return out


def _embed_speed(full: bool) -> list[Row]:
    from bench import embed_speed
    from nlp.config import PipelineConfig

    out = []
    for r in embed_speed.run():
        if r["corpus"] == "export":
            out.append(Row("embed_speed", f"one-off {r['backend']}, seconds", f"{r['seconds']:.1f}"))
            continue
        # Issue 7's speed target (3.5x torch; issue 17 asks 2.5x) applies to the pipeline's
        # default backend ("onnx-fp32" is embed_speed's "onnx fp32").
        default = r["backend"].replace(" ", "-") == PipelineConfig().backend
        target, met = _at_least(r["ratio"], 3.5) if default else ("", None)
        out.append(Row(
            "embed_speed",
            f"{r['backend']}{' (default)' if default else ''}, {r['corpus']}: texts/s (x torch; min cosine to torch)",
            f"{r['texts_per_s']:.0f} ({r['ratio']:.2f}x; {r['cos_min']:.4f})", target, met,
        ))
    return out


def _topic_robustness(full: bool) -> list[Row]:
    from bench import topic_robustness
    from nlp.backends import build_embedder
    from nlp.config import PipelineConfig

    out = []
    # Issue 17: topics that hold still agree at ARI >= 0.9 between fits that differ only in the
    # seed; each layout's quality on the same fits is printed beside it (F1/NMI per seed).
    for r in topic_robustness.reseed_rows(build_embedder(PipelineConfig()), banking_sample=0 if full else 1500):
        target, met = _at_least(r["ari_mean"], 0.9)
        out.append(Row("topic_robustness", f"{r['data']}, {r['layout']} layout: ARI between seeds (quality per seed)",
                       f"{r['ari_mean']:.3f} ({' '.join(r['quality'])})", target, met))
    for r in topic_robustness.run():
        speed = f"; {r['speed']:.2f}x torch" if r["speed"] is not None else ""
        # Issue 17: topics that hold still agree at ARI >= 0.9 when only the UMAP seed changes.
        # int8 is judged against gold labels instead (embedder_quality), not by agreement.
        target, met = _at_least(r["ari_pipeline"], 0.9) if "UMAP seed" in r["vectors"] else ("", None)
        out.append(Row("topic_robustness", f"seed topics ARI to torch fp32: {r['vectors']} (cos mean{speed})",
                       f"{r['ari_pipeline']:.3f} ({r['cos_mean']:.4f})", target, met))
    return out


def _scale(full: bool) -> list[Row]:
    from bench import scale

    sizes = scale.FULL_SIZES if full else scale.DEFAULT_SIZES
    rows = scale.run(sizes)
    out = []
    for r in rows:
        name = f"{r['size'] // 1000}k quotes, {r['cache']} cache"
        t = r["timings"]
        out.append(Row("scale", f"{name}: seconds (embed, topics)",
                       f"{r['total_s']:.0f} ({t.get('embed', 0):.0f}, {t.get('topics', 0):.0f})",
                       *(_at_most(r["total_s"], scale.TARGET_100K_S) if r["size"] == 100_000 else ("", None))))
        target, met = _at_most(r["peak_rss_gib"], scale.TARGET_RSS_GIB, " GiB")
        out.append(Row("scale", f"{name}: peak RSS GiB", f"{r['peak_rss_gib']:.2f}", target, met))
        if "ratio" in r:
            target, met = (
                _at_most(r["ratio"], scale.TARGET_RATIO) if r["size"] == 100_000 else ("", None)
            )
            out.append(Row("scale", f"{name}: time ratio {r['ratio_of']}", f"{r['ratio']:.1f}x", target, met))
    return out


def _prefect_overhead(full: bool) -> list[Row]:
    from bench import prefect_overhead

    rows = prefect_overhead.run()
    out = []
    for r in rows:
        if "stages_s" in r:
            out.append(Row("prefect_overhead", f"{r['row']} ({r['server']} server): process s (stages / orchestration)",
                           f"{r['process_s']:.1f} ({r['stages_s']:.1f} / {r['orchestration_s']:.1f})"))
    for key, value in prefect_overhead.summary(rows).items():
        # A cold run's 20-40 s varies by more than Prefect adds, so its difference is noise;
        # the orchestration column above carries the cold-run split instead.
        if "cold" in key or key.endswith("cpu_s"):
            continue
        if key.startswith("per_"):
            out.append(Row("prefect_overhead", key.replace("_", " ")[:-2] + " ms", f"{value * 1000:.1f}"))
        else:
            out.append(Row("prefect_overhead", key.replace("_", " "), f"{value:.2f}"))
    return out


def _learned_coding(full: bool) -> list[Row]:
    from bench import learned_coding

    rows = learned_coding.run(splits=5)
    out = []
    for r in rows:
        target, met = _at_least(r["mean_kappa"], 0.70) if r["method"] == "learned" else ("", None)
        out.append(Row("learned_coding", f"mean per-code kappa, {r['method']}, {r['dataset']} ({r['n_codes']} codes)",
                       f"{r['mean_kappa']:.3f}", target, met))
    return out


def _startup(full: bool) -> list[Row]:
    from bench import startup

    out = []
    for r in startup.run(repeats=3 if full else 2):
        value = f"{r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU"
        if r["ratio_cpu"] is None:
            out.append(Row("startup", f"{r['row']}: whole run, fresh process", value))
            continue
        target_ratio = startup.TARGET_WARM if r["of"] == "peer" else startup.TARGET_FRESH
        target, met = _at_most(r["ratio_cpu"], target_ratio, f"x {r['of']}")
        out.append(Row("startup", f"{r['row']}: whole run (x {r['of']}, wall; CPU)",
                       f"{value} ({r['ratio_wall']:.2f}x; {r['ratio_cpu']:.2f}x)", target, met))
    return out


def _embedder_quality(full: bool) -> list[Row]:
    from bench import embedder_quality

    rows = embedder_quality.run(seeds=5 if full else 3)
    out = []
    for v in embedder_quality.verdicts(rows):
        out.append(Row("embedder_quality", f"{v['task']}, {v['dataset']}: int8 vs fp32 (difference; 2x noise)",
                       f"{v['int8']:.3f} vs {v['fp32']:.3f} ({v['delta']:+.3f}; {v['noise']:.3f})",
                       "int8 not below fp32 beyond noise", v["within_noise"]))
    return out


def _theme_cards(full: bool) -> list[Row]:
    from bench import theme_cards

    return [Row("theme_cards", f"{r['figure']}, {r['data']}: ours (BERTopic defaults)", f"{r['ours']} ({r['peer']})")
            for r in theme_cards.run()]


BENCHMARKS: dict[str, Callable[[bool], list[Row]]] = {
    "startup": _startup,
    "embedder_quality": _embedder_quality,
    "topics_quality": _topics_quality,
    "reruns": _reruns,
    "sentiment_quality": _sentiment_quality,
    "recommendation_quality": _recommendation_quality,
    "embed_speed": _embed_speed,
    "topic_robustness": _topic_robustness,
    "scale": _scale,
    "prefect_overhead": _prefect_overhead,
    "learned_coding": _learned_coding,
    "theme_cards": _theme_cards,
}


def collect(names: list[str], full: bool = False) -> list[Row]:
    """Run the named benchmarks in order; a failure becomes one ``error`` row."""
    rows: list[Row] = []
    for name in names:
        started = time.perf_counter()
        print(f"[bench] {name} ...", flush=True)
        try:
            rows += BENCHMARKS[name](full)
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            traceback.print_exc()
            rows.append(Row(name, "error", f"{type(exc).__name__}: {exc}"[:120], met=False))
        print(f"[bench] {name} done in {time.perf_counter() - started:.0f} s", flush=True)
    return rows


def machine() -> str:
    """CPU model and core count, as ``lscpu`` reports them."""
    model = platform.processor() or "unknown CPU"
    try:
        info = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        pass
    return f"{model}, {len(os.sched_getaffinity(0))} cores"


def render(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    lines = ["| benchmark | metric | value | target | met? |", "|---|---|---|---|---|"]
    for r in rows:
        met = "" if r.met is None else "yes" if r.met else "**no**"
        lines.append(f"| {r.benchmark} | {r.metric} | {r.value} | {r.target} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="All benchmarks, one table")
    parser.add_argument("--full", action="store_true", help="scale benchmark at 100k quotes too")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS))
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    rows = collect(args.only, args.full)
    print(f"\n{date.today().isoformat()}, {machine()}\n")
    print(render(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
