"""Theme names before and after the latest naming rules, in one run: the README's label table and
figures on gold-labelled data that the names cannot be tuned to.

    nice -n 10 python -m bench.theme_labels [RAW_DIR] [--cache-dir data/interim] [--banking-sample 600]

* **Seed** (``RAW_DIR``, default ``data/raw``): the whole pipeline runs in-process with the
  bundled model into a temporary folder. Every time the themes stage names its themes, the same
  themes are also named with ``SESSION5_RULES`` (the names before the grammar and
  shared-parent rules of ``nlp.topics.naming``), so both columns name identical groups. The Markdown table lists each
  top-level theme (by respondents) and its sub-themes: the name after, the name before, and the
  keyword label the topic stage gave the sub-theme (still in ``keywords``). Below it: how much
  of a top-level theme its name covers, before and after (the share of its quotes holding a
  word of its name, and of its sub-themes with such a quote), mean over top-level themes.
* **Banking77** (``../shared/data/banking77/test.csv``, a seeded sample of
  ``--banking-sample`` messages; 0 leaves it out): topics and themes are fitted as the pipeline
  does (``fit_topics`` then ``build_themes``), and for both namings it prints the share of
  sub-theme names holding a lemma of their majority intent's name ("card_arrival" -> card,
  arrival), the same for top-level themes (any intent among their sub-themes' majorities), the
  share of sub-theme names holding one of their own first three keywords, and the share of
  unique names of 2-6 words.

Nothing is written outside the temporary folder except the embedding cache.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from collections import Counter
from pathlib import Path
from unittest import mock

import numpy as np

from nlp import tables
from nlp.config import PipelineConfig
from nlp.sequence import InProcess, run_stages
from nlp.topics import naming, themes

BANKING = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77" / "test.csv"


class _BothNamings:
    """Stands in for ``name_themes`` in the themes module: names with the rules (returned, as
    the pipeline would) and with ``SESSION5_RULES`` on the same arguments (kept, after name -> before)."""

    def __init__(self) -> None:
        self.before: dict[str, str] = {}

    def __call__(self, *args, **kwargs) -> dict[int, str]:
        after = naming.name_themes(*args, **kwargs)
        before = naming.name_themes(*args, **{**kwargs, "rules": naming.SESSION5_RULES})
        self.before.update({after[k]: before[k] for k in after})
        return after


class _Capture(InProcess):
    """Plain calls, keeping the topic stage's own keyword labels."""

    def __init__(self) -> None:
        super().__init__()
        self.keywords: dict[int, str] = {}

    def run(self, name, fn, /, *args, **kwargs):
        out = super().run(name, fn, *args, **kwargs)
        if name == "model_topics":
            self.keywords = {t.topic_id: t.label for t in out.topics}
        return out


def label_table(raw_dir: Path, cache_dir: Path) -> str:
    """The seed's before/after names of one run on ``raw_dir``, as a Markdown table."""
    both, runner = _BothNamings(), _Capture()
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(themes, "name_themes", both):
        config = PipelineConfig(raw_dir=raw_dir, out_dir=Path(tmp) / "processed", cache_dir=cache_dir)
        run_stages(config, runner, force=True)
        topics = tables.TOPICS.read(config.out_dir).set_index("topic_id")
        parents = tables.PARENTS.read(config.out_dir).sort_values(["n_respondents", "size"], ascending=False, kind="stable")
        quotes = tables.QUOTES.read(config.out_dir)
    lines = ["| top-level theme: after | before | sub-theme: after | before | keyword label |", "|---|---|---|---|---|"]
    for p in parents.itertuples():
        ranked = sorted(p.topic_ids, key=lambda t: (-topics.loc[t, "n_respondents"], t))
        for k, t in enumerate(ranked):
            after = topics.loc[t, "label"]
            head = f"{p.label} | {both.before.get(p.label, p.label)}" if k == 0 else " | "
            lines.append(f"| {head} | {after} | {both.before.get(after, after)} | {runner.keywords.get(t, '')} |")
    changed = sum(a != b for a, b in both.before.items())
    lines.append(f"\n{len(topics)} sub-themes under {len(parents)} top-level themes; {changed} of "
                 f"{len(both.before)} names changed.")
    tok = naming.PhraseTokenizer()
    texts = {t: quotes.loc[quotes["topic_id"] == t, "text"].tolist() for t in topics.index}
    for column in ("before", "after"):
        share, subs = [], []
        for p in parents.itertuples():
            words = tok.lemmas(both.before.get(p.label, p.label) if column == "before" else p.label)
            held = {t: [bool(words & tok.lemmas(x)) for x in texts[t]] for t in p.topic_ids}
            share.append(np.mean([h for v in held.values() for h in v] or [0.0]))
            subs.append(np.mean([any(v) for v in held.values()]))
        lines.append(f"top-level names {column}: a word of the name in {np.mean(share):.0%} of the theme's quotes, "
                     f"in {np.mean(subs):.0%} of its sub-themes (mean over top-level themes)")
    return "\n".join(lines)


def _lemmas(text: str, tok: naming.PhraseTokenizer) -> set[str]:
    return {t.lemma for t in tok.tokens(text) if t.word}


def banking_scores(n: int, seed: int = 42) -> str:
    """Both namings on a seeded sample of ``n`` Banking77 messages: shares a reader can check."""
    from bench.coded_data import load_coded_csv
    from bench.human_coding import _subset
    from nlp.backends import build_embedder
    from nlp.topics import TopicConfig, fit_topics

    data = _subset(load_coded_csv(BANKING, "text", "category", sep=None, name="banking77"), n, seed)
    quotes = list(data.quotes)
    vectors = build_embedder(PipelineConfig()).embed([q.text for q in quotes])
    both = _BothNamings()
    with warnings.catch_warnings(), mock.patch.object(themes, "name_themes", both):
        warnings.simplefilter("ignore")  # UMAP's n_jobs notice
        fit = fit_topics(quotes, vectors, build_embedder(PipelineConfig()), TopicConfig(seed=seed))
        built = themes.build_themes(quotes, vectors, fit.assignments, fit.topics)
    tok = naming.PhraseTokenizer()
    intent = {}
    for t in built.topics:
        codes = Counter(c for q, a in zip(quotes, fit.assignments) if a == t.topic_id for c in data.codes[q.response_id])
        intent[t.topic_id] = codes.most_common(1)[0][0]
    rows = []
    for column in ("before", "after"):
        def name(label: str) -> str:
            return both.before.get(label, label) if column == "before" else label

        subs = [(name(t.label), t) for t in built.topics]
        intent_hit = [bool(_lemmas(s, tok) & _lemmas(intent[t.topic_id].replace("_", " "), tok)) for s, t in subs]
        keyword_hit = [bool(tok.lemmas(s) & {x for kw in t.keywords[:3] for x in tok.lemmas(kw)}) for s, t in subs]
        top = [(name(p.label), {intent[c] for c in p.topic_ids}) for p in built.parents]
        top_hit = [bool(_lemmas(s, tok) & {x for i in ints for x in _lemmas(i.replace("_", " "), tok)}) for s, ints in top]
        every = [s for s, _ in subs] + [s for s, _ in top]
        good = len({s.lower() for s in every}) == len(every) and all(2 <= len(s.split()) <= 6 for s in every)
        rows.append(f"| {column} | {np.mean(intent_hit):.0%} | {np.mean(top_hit):.0%} | {np.mean(keyword_hit):.0%} | "
                    f"{'yes' if good else 'no'} |")
    head = (f"Banking77, {len(quotes)} messages: {len(built.topics)} sub-themes, {len(built.parents)} top-level themes\n\n"
            "| names | sub-theme name holds a word of its majority intent | top-level name holds a word of one of "
            "its sub-themes' intents | sub-theme name holds one of its 3 first keywords | all unique, 2-6 words |\n"
            "|---|---|---|---|---|")
    return "\n".join([head, *rows])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", nargs="?", type=Path, default=Path("data/raw"))
    parser.add_argument("--cache-dir", type=Path, default=Path("data/interim"))
    parser.add_argument("--banking-sample", type=int, default=600, help="Banking77 messages to name (0: none)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    print(label_table(args.raw_dir, args.cache_dir), flush=True)
    if args.banking_sample and BANKING.exists():
        print()
        print(banking_scores(args.banking_sample, args.seed))


if __name__ == "__main__":
    main()
