"""Theme labels before and after the themes stage, from one real run: the README's label table.

    nice -n 10 python -m bench.theme_labels [RAW_DIR] [--cache-dir data/interim]

Runs the whole pipeline in-process with the bundled model on ``RAW_DIR`` (default
``data/raw``) into a temporary folder, and prints a Markdown table: each top-level theme (by
respondents) with its sub-themes, each sub-theme's name after the themes stage and the keyword
label the topic stage gave it before (the same topic, captured as the stage returned it).
Nothing is written outside the temporary folder except the embedding cache.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from nlp import tables
from nlp.config import PipelineConfig
from nlp.sequence import InProcess, run_stages


class _Capture(InProcess):
    """Plain calls, keeping the topic stage's own labels."""

    def __init__(self) -> None:
        super().__init__()
        self.before: dict[int, str] = {}

    def run(self, name, fn, /, *args, **kwargs):
        out = super().run(name, fn, *args, **kwargs)
        if name == "model_topics":
            self.before = {t.topic_id: t.label for t in out.topics}
        return out


def label_table(raw_dir: Path, cache_dir: Path) -> str:
    """The before/after table of one run on ``raw_dir``."""
    with tempfile.TemporaryDirectory() as tmp:
        config = PipelineConfig(raw_dir=raw_dir, out_dir=Path(tmp) / "processed", cache_dir=cache_dir)
        runner = _Capture()
        run_stages(config, runner, force=True)
        topics = tables.TOPICS.read(config.out_dir).set_index("topic_id")
        parents = tables.PARENTS.read(config.out_dir).sort_values(["n_respondents", "size"], ascending=False, kind="stable")
    lines = ["| top-level theme (after) | sub-theme (after) | label before |", "|---|---|---|"]
    for p in parents.itertuples():
        ranked = sorted(p.topic_ids, key=lambda t: (-topics.loc[t, "n_respondents"], t))
        for k, t in enumerate(ranked):
            lines.append(f"| {p.label if k == 0 else ''} | {topics.loc[t, 'label']} | {runner.before.get(t, '')} |")
    lines.append(f"\n{len(topics)} sub-themes under {len(parents)} top-level themes.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", nargs="?", type=Path, default=Path("data/raw"))
    parser.add_argument("--cache-dir", type=Path, default=Path("data/interim"))
    args = parser.parse_args(argv)
    print(label_table(args.raw_dir, args.cache_dir))


if __name__ == "__main__":
    main()
