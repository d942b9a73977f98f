"""What the last successful run left in the output folder, read back for the next run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nlp import tables
from nlp.manifest import Manifest, read_manifest
from nlp.topics.label_memory import PreviousLabel
from nlp.topics.lineage import PreviousTopic
from nlp.topics.stability import TopicMemory

__all__ = ["Previous", "load_previous"]


@dataclass(frozen=True)
class Previous:
    """The last successful run: its manifest, its topics and each quote's layout and topic."""

    manifest: Manifest | None
    topics: tuple[PreviousTopic, ...] = ()
    memory: TopicMemory = field(default_factory=TopicMemory)
    # The last run's top-level themes as the machine made them (before the curation), which
    # this run's continue (nlp.topics.hierarchy), and the quotes each held.
    parents: tuple[PreviousTopic, ...] = ()
    parent_quotes: dict[int, frozenset[str]] = field(default_factory=dict)
    # The machine labels a reader saw, ("t", topic id) / ("p", parent id) -> label and quotes,
    # which themes still holding the same quotes keep (nlp.topics.label_memory).
    labels: dict[tuple[str, int], PreviousLabel] = field(default_factory=dict)
    # Each quote's is_substantive, by (quote id, text), which the filler model keeps (nlp.filler_model).
    substantive: dict[tuple[str, str], bool] = field(default_factory=dict)

    def substance_kept(self, filler_examples: int) -> dict[tuple[str, str], bool]:
        """The last run's ``is_substantive`` per (quote id, text), if it read filler with the same setting."""
        same = self.manifest is not None and self.manifest.config.get("filler_examples") == filler_examples
        return self.substantive if same else {}

    @property
    def run_number(self) -> int:
        return self.manifest.run_number if self.manifest else 0

    @property
    def next_topic_id(self) -> int:
        return self.manifest.next_topic_id if self.manifest else 0

    @property
    def fingerprint(self) -> str | None:
        return self.manifest.fingerprint if self.manifest else None


def load_previous(out_dir: Path) -> Previous:
    """Read the last run's manifest, topics and per-quote layout; a first run gets an empty record."""
    manifest = read_manifest(out_dir)
    if manifest is None:
        return Previous(None)
    try:
        frame = tables.TOPICS.read(out_dir)
        quotes = tables.QUOTES.read(out_dir)[["quote_id", "topic_id", "text", "is_substantive"]]
    except FileNotFoundError:
        return Previous(manifest)
    topics = tuple(
        PreviousTopic(int(r.topic_id), np.asarray(r.centroid, dtype=np.float32), str(r.first_seen_run))
        for r in frame.itertuples()
        if r.centroid is not None and len(r.centroid)
    )
    lineage_file = Path(out_dir) / tables.TOPIC_LINEAGE.filename
    if lineage_file.is_file():
        # Topics a curation merged away still match the machine's topics of the next run.
        known = {t.topic_id for t in topics}
        topics += tuple(
            PreviousTopic(int(r.topic_id), np.asarray(r.centroid, dtype=np.float32), str(r.first_seen_run))
            for r in tables.TOPIC_LINEAGE.read(out_dir).itertuples()
            if int(r.topic_id) not in known
        )
    layout, key, placed, machine, order = {}, "", frozenset(), {}, quotes.quote_id
    if (Path(out_dir) / tables.LAYOUT.filename).is_file():
        # Read as it is: a layout written before ``fit_key`` or ``placed`` existed still warm-starts the fit.
        table = pd.read_parquet(Path(out_dir) / tables.LAYOUT.filename)
        layout = {q: np.asarray(v, dtype=np.float64) for q, v in zip(table.quote_id, table.layout)}
        keys = set(table.get("fit_key", pd.Series([None])))
        key = str(keys.pop()) if len(keys) == 1 and None not in keys else ""
        placed = frozenset(table.quote_id[table["placed"]]) if "placed" in table else frozenset()
        machine = dict(zip(table.quote_id, table.topic_id.astype(int))) if "topic_id" in table else {}
        # Its rows are in the last fit's order, which the next fit keeps for old quotes.
        order = pd.concat([table.quote_id, quotes.quote_id[~quotes.quote_id.isin(table.quote_id)]])
    memory = TopicMemory(
        layout,
        dict(zip(quotes.quote_id, quotes.topic_id.astype(int))),
        {q: i for i, q in enumerate(order)},
        key,
        placed,
        machine,
    )
    parents, parent_quotes = _previous_parents(Path(out_dir))
    substantive = dict(zip(zip(quotes.quote_id, quotes.text), quotes.is_substantive.astype(bool)))
    labels = _previous_labels(Path(out_dir), frame, quotes)
    return Previous(manifest, topics, memory, parents, parent_quotes, labels, substantive)


def _previous_labels(out_dir: Path, topics: pd.DataFrame, quotes: pd.DataFrame) -> dict[tuple[str, int], PreviousLabel]:
    """Each machine-named theme of the last run, both levels, with the quotes it held."""
    members = quotes[quotes.topic_id != -1].groupby("topic_id").quote_id.agg(frozenset)
    out = {
        ("t", int(r.topic_id)): PreviousLabel(str(r.label), members.get(r.topic_id, frozenset()))
        for r in topics.itertuples() if getattr(r, "label_source", "machine") == "machine"
    }
    if "parent_id" not in topics or not (out_dir / tables.PARENTS.filename).is_file():
        return out
    parent_of = quotes.topic_id.map(dict(zip(topics.topic_id, topics.parent_id)))
    by_parent = quotes.quote_id[parent_of.notna()].groupby(parent_of.dropna().astype(int)).agg(frozenset)
    for r in tables.PARENTS.read(out_dir).itertuples():
        if getattr(r, "label_source", "machine") == "machine":
            out[("p", int(r.parent_id))] = PreviousLabel(str(r.label), by_parent.get(r.parent_id, frozenset()))
    return out


def _previous_parents(out_dir: Path) -> tuple[tuple[PreviousTopic, ...], dict[int, frozenset[str]]]:
    """The last run's machine-made top-level themes; none for a run from before they existed."""
    if not (out_dir / tables.PARENT_LINEAGE.filename).is_file():
        return (), {}
    frame = tables.PARENT_LINEAGE.read(out_dir)
    parents = tuple(
        PreviousTopic(int(r.parent_id), np.asarray(r.centroid, dtype=np.float32), str(r.first_seen_run))
        for r in frame.itertuples()
    )
    return parents, {int(r.parent_id): frozenset(str(q) for q in r.quote_ids) for r in frame.itertuples()}
