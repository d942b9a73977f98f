"""A researcher's decisions about the themes, kept in a YAML file and applied on every run.

::

    themes:
      - id: 3                                  # a stable topic_id
        label: "Engaging the private sector"   # a pinned name, never overwritten
      - merge: [4, 7]                          # one theme; the first id is kept
        label: "Evidence of impact"
      - id: 12
        noise: true                            # not a theme: its quotes leave the themes
      - split: 9                               # refit this theme into sub-themes
        into: 2                                # optional; how many
    moves:
      - quote: 1f3a9c0e55d2b7a1                # a quote_id
        to: 5

Decisions are keyed on the stable ids the pipeline keeps across runs, so they hold after new
interviews arrive: a pinned label stays, merged themes stay merged under one id, a moved quote
stays where it was put. A decision whose id no longer exists is skipped and reported; it never
stops a run. ``load_curation`` checks the file's shape; ``apply_curation`` is pure and works on
the typed topic records and the quote -> topic assignment.

Order of application, so that later decisions can name the ids earlier ones leave: merges,
noise, splits, moves, then labels (a label may name a merged id, a merged-away id, or a split).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nlp.schemas import Topic

__all__ = [
    "Curation",
    "CurationError",
    "CurationResult",
    "Merge",
    "Move",
    "SubTheme",
    "MergePlan",
    "apply_curation",
    "load_curation",
    "parse_curation",
    "plan_merges",
]

OUTLIER = -1
MACHINE = "machine"
RESEARCHER = "researcher"


class CurationError(ValueError):
    """A curation file that cannot be used; the message names the file, the entry and the reason."""


@dataclass(frozen=True)
class Merge:
    """Themes to become one; ``topic_ids[0]`` is the id kept."""

    topic_ids: tuple[int, ...]
    label: str | None = None


@dataclass(frozen=True)
class Move:
    """A quote put into a theme by hand (``to=-1`` takes it out of the themes)."""

    quote_id: str
    to: int


@dataclass(frozen=True)
class Curation:
    """The decisions of one curation file.

    Attributes:
        labels: topic id -> pinned label.
        merges: themes merged into one.
        noise: topic ids that are not themes.
        splits: topic id -> how many sub-themes (``None``: let the refit decide).
        moves: quotes put into a theme by hand.
        sha256: hash of the file's bytes, for the run manifest and the fingerprint.
        path: where it was read from.
    """

    labels: Mapping[int, str] = dataclasses.field(default_factory=dict)
    merges: tuple[Merge, ...] = ()
    noise: tuple[int, ...] = ()
    splits: Mapping[int, int | None] = dataclasses.field(default_factory=dict)
    moves: tuple[Move, ...] = ()
    sha256: str = ""
    path: Path | None = None


@dataclass(frozen=True)
class SubTheme:
    """One part of a split theme, as the refit returns it."""

    quote_ids: tuple[str, ...]
    label: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class CurationResult:
    """Themes and assignments after the decisions, and what could not be applied.

    Attributes:
        topics: the curated topic records (outliers excluded, as in the input).
        assignments: quote_id -> topic id after the decisions.
        label_source: topic id -> ``researcher`` for pinned labels, ``machine`` otherwise.
        problems: one sentence per decision that could not be applied, naming it.
    """

    topics: tuple[Topic, ...]
    assignments: Mapping[str, int]
    label_source: Mapping[int, str]
    problems: tuple[str, ...]


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().lstrip("-").isdigit():
        raise CurationError(f"{where}: {value!r} is not a theme id (a whole number)")
    return int(value)


def _label(value: object, where: str) -> str:
    if not isinstance(value, str | int | float) or not str(value).strip():
        raise CurationError(f"{where}: label must be non-empty text")
    return str(value).strip()


def parse_curation(data: object, source: str = "curation") -> Curation:
    """Check and type the decisions of a parsed YAML document.

    Raises:
        CurationError: naming ``source``, the entry and what is wrong with it.
    """
    if data is None:
        return Curation()
    if not isinstance(data, dict) or set(data) - {"themes", "moves"}:
        raise CurationError(f"{source}: expected a mapping with 'themes:' and/or 'moves:' lists")
    labels: dict[int, str] = {}
    merges: list[Merge] = []
    noise: list[int] = []
    splits: dict[int, int | None] = {}
    for i, entry in enumerate(data.get("themes") or [], 1):
        where = f"{source}: themes entry {i}"
        if not isinstance(entry, dict):
            raise CurationError(f"{where}: expected a mapping such as {{id: 3, label: ...}}")
        unknown = set(entry) - {"id", "label", "merge", "noise", "split", "into"}
        if unknown:
            raise CurationError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        kinds = [k for k in ("id", "merge", "split") if k in entry]
        if len(kinds) != 1:
            raise CurationError(f"{where}: needs exactly one of 'id', 'merge' or 'split'")
        if "merge" in entry:
            ids = entry["merge"]
            if not isinstance(ids, list) or len(ids) < 2:
                raise CurationError(f"{where}: merge needs a list of at least two theme ids, e.g. [4, 7]")
            topic_ids = tuple(dict.fromkeys(_int(t, where) for t in ids))
            label = _label(entry["label"], where) if "label" in entry else None
            merges.append(Merge(topic_ids, label))
        elif "split" in entry:
            into = entry.get("into")
            if into is not None and (_int(into, where) < 2):
                raise CurationError(f"{where}: 'into' must be at least 2")
            splits[_int(entry["split"], where)] = None if into is None else int(into)
        else:
            topic_id = _int(entry["id"], where)
            if entry.get("noise") is True:
                if "label" in entry:
                    raise CurationError(f"{where}: theme {topic_id} cannot be both noise and labelled")
                noise.append(topic_id)
            elif "label" in entry:
                label = _label(entry["label"], where)
                if labels.get(topic_id, label) != label:
                    raise CurationError(f"{where}: theme {topic_id} is labelled twice, differently")
                labels[topic_id] = label
            else:
                raise CurationError(f"{where}: an 'id' entry needs 'label' or 'noise: true'")
    moves: list[Move] = []
    for i, entry in enumerate(data.get("moves") or [], 1):
        where = f"{source}: moves entry {i}"
        if not isinstance(entry, dict) or set(entry) != {"quote", "to"}:
            raise CurationError(f"{where}: expected {{quote: <quote_id>, to: <theme id>}}")
        moves.append(Move(str(entry["quote"]).strip(), _int(entry["to"], where)))
    return Curation(labels, tuple(merges), tuple(dict.fromkeys(noise)), splits, tuple(moves))


def load_curation(path: Path) -> Curation:
    """Read and check a curation YAML file.

    Raises:
        CurationError: naming the file, when it is missing, not YAML, or a decision is malformed.
    """
    import yaml

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CurationError(f"{path}: cannot read the curation file ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CurationError(f"{path}: not valid UTF-8 YAML ({exc})") from None
    curation = parse_curation(data, str(path))
    return dataclasses.replace(curation, sha256=hashlib.sha256(raw).hexdigest(), path=path)


@dataclass(frozen=True)
class MergePlan:
    """Which ids fold into which, in the order the merges were listed.

    Attributes:
        redirect: absorbed id -> the id it went into (a later merge can absorb that one too).
        pinned: kept id -> the label its merge gave it.
        problems: the merges that named ids no longer present.
    """

    redirect: dict[int, int]
    pinned: dict[int, str]
    problems: tuple[str, ...]

    def resolve(self, theme_id: int) -> int:
        """The id ``theme_id`` ended up in after every merge."""
        while theme_id in self.redirect:
            theme_id = self.redirect[theme_id]
        return theme_id


def plan_merges(merges: Sequence[Merge], present: Iterable[int], kind: str = "theme") -> MergePlan:
    """Plan ``merges`` over the ids ``present``; each keeps its first id still present.

    An id a merge names that is gone (never there, or absorbed by an earlier merge) is reported
    as a problem naming it as a ``kind``, and the merge goes ahead with the ids that are left.
    """
    present = set(present)
    redirect: dict[int, int] = {}
    pinned: dict[int, str] = {}
    problems: list[str] = []
    for merge in merges:
        here = [i for i in merge.topic_ids if i in present]
        gone = [i for i in merge.topic_ids if i not in present]
        if gone:
            problems.append(f"merge {list(merge.topic_ids)}: {kind}(s) {', '.join(map(str, gone))} no longer exist")
        if not here:
            continue
        for other in here[1:]:
            redirect[other] = here[0]
            present.discard(other)
        if merge.label is not None:
            pinned[here[0]] = merge.label
    return MergePlan(redirect, pinned, tuple(problems))


Splitter = Callable[[Topic, Sequence[str], int | None], Sequence[SubTheme]]


def apply_curation(
    topics: Sequence[Topic],
    assignments: Mapping[str, int],
    curation: Curation,
    next_topic_id: int,
    splitter: Splitter | None = None,
    responses: Mapping[str, str] | None = None,
    respondents: Mapping[str, str] | None = None,
) -> CurationResult:
    """Apply a researcher's decisions to one run's themes.

    Args:
        topics: the machine's topic records (the outlier topic, if listed, is left alone).
        assignments: quote_id -> topic id from the topic model.
        curation: the decisions (``load_curation``).
        next_topic_id: first id free for sub-themes of a split.
        splitter: refits one theme's quotes into sub-themes; without it a split is reported
            as not applied.
        responses: quote_id -> response_id, to recount ``n_responses`` after changes.
        respondents: quote_id -> respondent_id, to recount ``n_respondents`` likewise.

    Returns:
        The curated topics and assignments, label sources, and the decisions skipped.
    """
    by_id = {t.topic_id: t for t in topics}
    assign = dict(assignments)
    plan = plan_merges(curation.merges, by_id)
    problems = list(plan.problems)
    pinned = dict(plan.pinned)
    resolve = plan.resolve
    # Absorbed in the order merged, so a theme absorbed by a later merge brings what it gathered.
    for other, keep in plan.redirect.items():
        kept, absorbed = by_id[keep], by_id.pop(other)
        by_id[keep] = dataclasses.replace(
            kept,
            keywords=tuple(dict.fromkeys((*kept.keywords, *absorbed.keywords))),
            representative_quote_ids=(*kept.representative_quote_ids, *absorbed.representative_quote_ids),
            status="merged",
        )
    assign = {quote_id: resolve(topic) for quote_id, topic in assign.items()}

    for topic_id in curation.noise:
        target = resolve(topic_id)
        if target not in by_id:
            problems.append(f"noise {topic_id}: theme {topic_id} no longer exists")
            continue
        del by_id[target]
        for quote_id, topic in assign.items():
            if topic == target:
                assign[quote_id] = OUTLIER

    for topic_id, into in curation.splits.items():
        target = resolve(topic_id)
        if target not in by_id:
            problems.append(f"split {topic_id}: theme {topic_id} no longer exists")
            continue
        if splitter is None:
            problems.append(f"split {topic_id}: no refit available here; theme left whole")
            continue
        members = [q for q, t in assign.items() if t == target]
        parts = list(splitter(by_id[target], members, into))
        if len(parts) < 2:
            problems.append(f"split {topic_id}: its {len(members)} quotes do not separate into sub-themes")
            continue
        parent = by_id.pop(target)
        for k, part in enumerate(parts):
            new_id = target if k == 0 else next_topic_id
            next_topic_id += 0 if k == 0 else 1
            by_id[new_id] = dataclasses.replace(
                parent, topic_id=new_id, label=part.label, keywords=part.keywords or parent.keywords,
                representative_quote_ids=tuple(q for q in parent.representative_quote_ids if q in set(part.quote_ids)),
                status="split",
            )
            for quote_id in part.quote_ids:
                assign[quote_id] = new_id

    for move in curation.moves:
        target = resolve(move.to)
        if move.quote_id not in assign:
            problems.append(f"move {move.quote_id} -> {move.to}: quote {move.quote_id} no longer exists")
        elif target != OUTLIER and target not in by_id:
            problems.append(f"move {move.quote_id} -> {move.to}: theme {move.to} no longer exists")
        else:
            assign[move.quote_id] = target

    for topic_id, label in curation.labels.items():
        target = resolve(topic_id)
        if target in by_id:
            pinned[target] = label
        else:
            problems.append(f"label {topic_id} {label!r}: theme {topic_id} no longer exists")

    curated = tuple(
        _recount(dataclasses.replace(t, label=pinned.get(tid, t.label)), assign, responses, respondents)
        for tid, t in sorted(by_id.items())
    )
    sources = {t.topic_id: RESEARCHER if t.topic_id in pinned else MACHINE for t in curated}
    return CurationResult(curated, assign, sources, tuple(problems))


def _recount(
    topic: Topic, assign: Mapping[str, int], responses: Mapping[str, str] | None, respondents: Mapping[str, str] | None
) -> Topic:
    members = [q for q, t in assign.items() if t == topic.topic_id]
    if not members and topic.topic_id == OUTLIER:
        return topic
    # ``responses`` holds distinct quotes only: duplicates do not count a response twice.
    n_responses = len({responses[q] for q in members if q in responses}) if responses is not None else topic.n_responses
    representatives = tuple(q for q in topic.representative_quote_ids if q in set(members))
    extra = {}
    if respondents is not None and hasattr(topic, "n_respondents"):
        extra["n_respondents"] = len({respondents[q] for q in members if q in respondents})
    return dataclasses.replace(
        topic, size=len(members), n_responses=n_responses, representative_quote_ids=representatives, **extra
    )
