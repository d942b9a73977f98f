"""Theme cards as a report writer reads them: ours beside BERTopic's representative documents, in one run.

    nice -n 10 python -m bench.theme_cards [RAW_DIR ...] [--cache-dir data/interim]

For each raw folder (default: the seed's ``data/raw`` and, when present, the auto-transcribed
interviews in ``../shared/data/interviews-mlsys``) the pipeline runs in-process into a temporary
folder (bundled model, default settings), and BERTopic with its defaults (UMAP seeded) is fitted
on the same analysable quotes and vectors: the peer. A peer card is one BERTopic topic, its
description the first of its representative documents and its evidence all three of them, as a
naive tool would show them.

Figures per system, over every card (ours: top-level themes and sub-themes):

* descriptions holding a content word (lemma) of their card's name (the peer's name is its first
  four c-TF-IDF words, as BERTopic names a topic);
* descriptions that open on speech a clean verbatim transcript leaves out (a discourse marker,
  a restart or a false start: ``nlp.topics.cards.clean_start`` would cut it), or hold a
  hesitation ("um", "uh");
* evidence quotes holding a whole keyword of their card (its first eight keywords; the peer's
  are its c-TF-IDF words), holding a hesitation, or repeating the card's own description quote;
* cards whose evidence comes from fewer respondents than it has quotes;
* ours only (BERTopic has none): boundary quotes holding a keyword of their card, and boundary
  quotes of fewer than six words or with a hesitation;
* ours only: top-level descriptions that repeat one of their sub-themes', and top-level evidence
  quotes that are a sub-theme's description quote (the report prints both, one under the other).

Nothing is written outside the temporary folder except the embedding cache.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp import tables
from nlp.analysable import analysable
from nlp.config import PipelineConfig
from nlp.sequence import InProcess, run_stages
from nlp.topics.cards import DESCRIPTION_KEYWORDS, clean_start, is_hesitant, keywords_held
from nlp.topics.phrases import PhraseTokenizer

REPO = Path(__file__).resolve().parents[1]
TRANSCRIPTS = REPO.parent / "shared" / "data" / "interviews-mlsys"


@dataclass(frozen=True)
class Card:
    """One card as a reader sees it: ids of the quotes it shows, and its keywords."""

    level: str  # "theme", "sub-theme" or "topic" (the peer's)
    theme_id: int
    parent_id: int | None
    keywords: tuple[str, ...]
    description: str
    description_quote_id: str
    evidence: tuple[str, ...]
    boundary: str | None = None  # the peer has none
    label: str = ""  # the peer's is BERTopic's own: its first four words


class _Capture(InProcess):
    """Plain calls, keeping what the topic stage was given."""

    def run(self, name, fn, /, *args, **kwargs):
        if name == "model_topics":
            self.quotes, self.vectors = args[0], args[1]
        return super().run(name, fn, *args, **kwargs)


def our_cards(raw_dir: Path, cache_dir: Path) -> tuple[list[Card], dict[str, tuple[str, str]], _Capture]:
    """Our cards of one run on ``raw_dir``, quote id -> (text, respondent), and the topic stage's input."""
    runner = _Capture()
    with tempfile.TemporaryDirectory() as tmp:
        config = PipelineConfig(raw_dir=raw_dir, out_dir=Path(tmp) / "processed", cache_dir=cache_dir)
        run_stages(config, runner, force=True)
        quotes = tables.QUOTES.read(config.out_dir)
        topics = tables.TOPICS.read(config.out_dir)
        parents = tables.PARENTS.read(config.out_dir)
    cards = [
        Card("theme", int(p.parent_id), None, tuple(p.keywords), str(p.description), str(p.description_quote_id),
             tuple(p.evidence_quote_ids), p.boundary_quote_id, str(p.label))
        for p in parents.itertuples()
    ] + [
        Card("sub-theme", int(t.topic_id), int(t.parent_id), tuple(t.keywords), str(t.description),
             str(t.description_quote_id), tuple(t.evidence_quote_ids), t.boundary_quote_id, str(t.label))
        for t in topics.itertuples() if t.topic_id != -1
    ]
    said = {str(q): (str(t), str(r)) for q, t, r in zip(quotes["quote_id"], quotes["text"], quotes["respondent_id"])}
    return cards, said, runner


def peer_cards(runner: _Capture, seed: int = 42) -> list[Card]:
    """BERTopic with its defaults on the quotes and vectors our topic stage was given."""
    from bertopic import BERTopic
    from umap import UMAP

    from nlp.topics import import_bertopic

    import_bertopic()
    kept = [i for i, ok in enumerate(analysable(runner.quotes)) if ok and runner.quotes[i].duplicate_of is None]
    quotes = [runner.quotes[i] for i in kept]
    vectors = np.asarray(runner.vectors)[kept]
    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # UMAP's n_jobs notice
        model = BERTopic(umap_model=umap, embedding_model=None, verbose=False)
        model.fit_transform([q.text for q in quotes], embeddings=vectors)
    first_id = {}
    for q in quotes:
        first_id.setdefault(q.text, q.quote_id)
    cards = []
    for topic, docs in sorted((model.get_representative_docs() or {}).items()):
        if topic == -1 or not docs:
            continue
        ids = tuple(first_id[d] for d in docs)
        words = tuple(w for w, _ in model.get_topic(topic) or ())
        cards.append(Card("topic", int(topic), None, words, docs[0], ids[0], ids, label=" ".join(words[:4])))
    return cards


def figures(cards: Sequence[Card], said: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The figures of the module docstring for one system's cards."""
    evidence = [(c, q) for c in cards for q in c.evidence]
    wanted = {c.theme_id: c.keywords[:DESCRIPTION_KEYWORDS] for c in cards}

    def share(hits: int, n: int) -> str:
        return f"{hits}/{n} ({hits / n:.0%})" if n else "n/a"

    words_of = PhraseTokenizer().lemmas
    out = {
        "cards": str(len(cards)),
        "descriptions holding a word of their card's name": share(
            sum(bool(words_of(c.label) & words_of(c.description)) for c in cards), len(cards)),
        "descriptions opening on speech": share(
            sum(clean_start(c.description) != c.description for c in cards), len(cards)),
        "descriptions with a hesitation": share(sum(is_hesitant(c.description) for c in cards), len(cards)),
        "evidence holding a keyword of its card": share(
            sum(keywords_held(said[q][0], wanted[c.theme_id]) > 0 for c, q in evidence), len(evidence)),
        "evidence with a hesitation": share(sum(is_hesitant(said[q][0]) for _, q in evidence), len(evidence)),
        "evidence repeating its description's quote": share(
            sum(q == c.description_quote_id for c, q in evidence), len(evidence)),
        "cards with two evidence quotes of one respondent": share(
            sum(len({said[q][1] for q in c.evidence}) < len(c.evidence) for c in cards), len(cards)),
    }
    edges = [(c, c.boundary) for c in cards if isinstance(c.boundary, str)]
    if edges:
        out["boundary quotes holding a keyword of its card"] = share(
            sum(keywords_held(said[q][0], wanted[c.theme_id]) > 0 for c, q in edges), len(edges))
        out["boundary quotes under six words or with a hesitation"] = share(
            sum(len(said[q][0].split()) < 6 or is_hesitant(said[q][0]) for _, q in edges), len(edges))
    tops = [c for c in cards if c.level == "theme"]
    if tops:
        below = {c.theme_id: {s.description_quote_id for s in cards if s.parent_id == c.theme_id} for c in tops}
        out["top-level descriptions repeating a sub-theme's"] = share(
            sum(c.description_quote_id in below[c.theme_id] for c in tops), len(tops))
        top_evidence = [(c, q) for c in tops for q in c.evidence]
        out["top-level evidence repeating a sub-theme's description"] = share(
            sum(q in below[c.theme_id] for c, q in top_evidence), len(top_evidence))
    return out


def run(raw_dirs: Sequence[Path] = (), cache_dir: Path = REPO / "data" / "interim") -> list[dict[str, str]]:
    """One row per raw folder and figure: ``data``, ``figure``, ``ours``, ``peer`` ("-" where the
    peer has no such card). ``raw_dirs`` defaults to the seed and, when present, the mlsys transcripts."""
    raw_dirs = list(raw_dirs) or [REPO / "data" / "raw", *([TRANSCRIPTS] if TRANSCRIPTS.is_dir() else [])]
    rows = []
    for raw_dir in raw_dirs:
        ours, said, runner = our_cards(Path(raw_dir), cache_dir)
        mine, theirs = figures(ours, said), figures(peer_cards(runner), said)
        data = "seed" if Path(raw_dir).resolve() == (REPO / "data" / "raw").resolve() else Path(raw_dir).name
        rows += [{"data": data, "figure": name, "ours": value, "peer": theirs.get(name, "-")}
                 for name, value in mine.items()]
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_dirs", nargs="*", type=Path,
                        help="raw folders (default: the seed and the mlsys transcripts)")
    parser.add_argument("--cache-dir", type=Path, default=REPO / "data" / "interim")
    args = parser.parse_args(argv)
    print("| data | figure | ours | BERTopic defaults |\n|---|---|---|---|")
    for r in run(args.raw_dirs, args.cache_dir):
        print(f"| {r['data']} | {r['figure']} | {r['ours']} | {r['peer']} |", flush=True)


if __name__ == "__main__":
    main()
