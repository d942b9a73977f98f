"""Human-coded answers as the pipeline sees them, and how well a set of themes recovers the codes.

An answer is one survey row. It goes through the pipeline's own reader and quote splitter, so a
long answer becomes several quotes, as it would in a real run; an answer's themes are the themes
of its quotes.

* **Code recovery**: for each human code given to at least ``min_answers`` answers, the best F1
  of any one theme's answer set against the code's answer set; the mean over those codes,
  weighted by how many answers carry each code. A theme is "one theme's answer set": outliers
  (``-1``) are no theme and never count as one.
* **NMI**: each answer's first code against its majority theme (the theme most of its quotes
  fall in; ties go to the earliest quote's). Outliers are one more cluster, as a reader sees them.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nlp.schemas import Quote

__all__ = [
    "CodedSet",
    "SEED_THEMES",
    "answer_themes",
    "code_recovery",
    "first_code_nmi",
    "load_coded_csv",
    "load_newsgroups",
    "newsgroup_family",
    "seed_theme_homes",
]


@dataclass(frozen=True)
class CodedSet:
    """Quotes of human-coded answers and each answer's codes, in the coder's order.

    Attributes:
        name: short name for the table.
        quotes: the pipeline's quotes of every answer.
        codes: answer id (the quote's ``response_id``) -> the first coder's codes.
        second: the same for a second coder, when the data has one.
        second_name: what the second coding is, for the table ("second coder" by default).
        groupings: further codings of the same answers, scored as row sets of their own, e.g.
            why-art's ``human_themes`` (the researcher's grouping of codes into themes).
    """

    name: str
    quotes: tuple[Quote, ...]
    codes: Mapping[str, tuple[str, ...]]
    second: Mapping[str, tuple[str, ...]] | None = None
    second_name: str = "second coder"
    groupings: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    def coverage(self, min_answers: int = 3) -> tuple[int, int, int]:
        """(distinct codes, codes held by >= ``min_answers`` answers, answers holding one of those).

        Code recovery scores only the codes with enough answers: on finely open-coded data most
        codes and answers take no part, which this shows beside the score.
        """
        held = Counter(c for cs in self.codes.values() for c in set(cs))
        kept = {c for c, n in held.items() if n >= min_answers}
        return len(held), len(kept), sum(1 for cs in self.codes.values() if kept & set(cs))


def _split_codes(cell, sep: str | None) -> tuple[str, ...]:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ()
    parts = [cell] if sep is None else str(cell).split(sep)
    return tuple(p.strip().lower() for p in map(str, parts) if p.strip())


def load_coded_csv(
    path: Path,
    text_column: str,
    codes_column: str,
    *,
    sep: str | None = ";",
    second_column: str | None = None,
    second_name: str = "second coder",
    grouping_columns: Sequence[str] = (),
    name: str | None = None,
) -> CodedSet:
    """Read a coded survey export (CSV, TSV or .xlsx) through the pipeline's reader and quote splitter.

    The codes are read from the same parsed rows as the answers (each response keeps its row's
    cells), so they line up with the answers whatever the file's encoding, delimiter or export
    rows (a Qualtrics export's question rows are no answers, and no codes either).

    Args:
        path: the coded file.
        text_column: column with the answers.
        codes_column: column with the first coder's codes.
        sep: separator between codes in one cell; ``None`` for one code per cell (a label).
        second_column: a second coder's codes, if any.
        second_name: what that second coding is, for the table.
        grouping_columns: further codings of the same answers (e.g. themes grouping the codes),
            each scored as a row set of its own.
        name: name shown in the table; the file's stem by default.

    Raises:
        ValueError: a codes column the file does not have (the message lists its columns).
    """
    from nlp.ingest import ingest_file
    from nlp.quotes import split_quotes

    data = Path(path).read_bytes()
    source = Path(path).name
    doc = ingest_file(data, source, hashlib.sha256(data).hexdigest(), text_column=text_column)
    quotes = tuple(split_quotes([doc]))
    columns = doc.metadata.get("columns", [])

    def by_answer(column: str) -> dict[str, tuple[str, ...]]:
        if column not in columns:
            raise ValueError(f"{source}: no column {column!r} to read codes from; its columns: {', '.join(columns)}")
        coded = ((r.response_id, _split_codes(r.metadata.get(column), sep)) for r in doc.responses)
        return {answer: codes for answer, codes in coded if codes}

    return CodedSet(
        name or Path(path).stem,
        quotes,
        by_answer(codes_column),
        by_answer(second_column) if second_column else None,
        second_name,
        {column: by_answer(column) for column in grouping_columns},
    )


def newsgroup_family(label: str) -> str:
    """The 20 Newsgroups' own six-way grouping of its groups: comp, rec, sci, misc, politics, religion."""
    if "religion" in label or label == "alt.atheism":
        return "religion"
    if label.startswith("talk.politics"):
        return "politics"
    return label.split(".")[0]


def load_newsgroups(n: int, seed: int = 0) -> CodedSet:
    """A seeded sample of 20 Newsgroups posts, one quote each, coded by newsgroup.

    The newsgroups are the fine codes; their six families (``newsgroup_family``) are a grouping
    scored as a row set of its own, the one coded set here with a real second level.
    """
    from bench.newsgroups import sample_posts

    posts = sample_posts(n, seed)
    quotes = tuple(
        Quote(f"p{i}", "20news", "", "", f"p{i}", None, False, p.text, 0, len(p.text)) for i, p in enumerate(posts)
    )
    codes = {f"p{i}": (p.label,) for i, p in enumerate(posts)}
    family = {a: (newsgroup_family(c[0]),) for a, c in codes.items()}
    return CodedSet(f"20news[{len(posts)}]", quotes, codes, groupings={"family": family})


def answer_themes(quotes: Sequence[Quote], assignments: Sequence[int]) -> dict[str, list[int]]:
    """Answer id -> its quotes' themes, in quote order (outliers included as -1)."""
    out: dict[str, list[int]] = {}
    for q, t in zip(quotes, assignments):
        out.setdefault(q.response_id, []).append(int(t))
    return out


def _majority(themes: Sequence[int]) -> int:
    counts = Counter(themes)
    best = max(counts.values())
    return next(t for t in themes if counts[t] == best)


def code_recovery(
    codes: Mapping[str, Sequence[str]], themes: Mapping[str, Sequence], min_answers: int = 3
) -> tuple[float, int]:
    """Weighted mean best-F1 over codes with at least ``min_answers`` answers, and their number.

    ``themes`` maps an answer to the themes (or codes of another coder) it has; ``-1`` is
    ignored. Only answers the first coder coded take part.
    """
    answers = [a for a in codes if codes[a]]
    code_sets: dict[str, set[str]] = {}
    theme_sets: dict[object, set[str]] = {}
    for a in answers:
        for c in set(codes[a]):
            code_sets.setdefault(c, set()).add(a)
        for t in set(themes.get(a, ())):
            if t != -1:
                theme_sets.setdefault(t, set()).add(a)
    kept = {c: s for c, s in code_sets.items() if len(s) >= min_answers}
    if not kept:
        return float("nan"), 0
    total = weights = 0.0
    for members in kept.values():
        best = max((2 * len(members & s) / (len(members) + len(s)) for s in theme_sets.values()), default=0.0)
        total += best * len(members)
        weights += len(members)
    return total / weights, len(kept)


def first_code_nmi(codes: Mapping[str, Sequence[str]], themes: Mapping[str, Sequence]) -> float:
    """NMI of each coded answer's first code against its majority theme."""
    from sklearn.metrics import normalized_mutual_info_score

    answers = [a for a in codes if codes[a]]
    firsts = [codes[a][0] for a in answers]
    majors = [str(_majority(themes[a])) if themes.get(a) else "-1" for a in answers]
    return float(normalized_mutual_info_score(firsts, majors))


# The six themes a reader of the seed sees, each as the quotes that name it. The patterns are
# the words a reader would look for, written once from the seed's text, not fitted to any output.
# "planning" is the partners' wish that the OCP plan ahead and share its plans ("more advanced
# planning", "an advanced agenda or planning sharing system"). Until 2026-12-02 its pattern was
# r"\bplan(?:s|ning)?\b", which also took governments' "open action plan"s and "a plan on how to
# bring in civil society" (the civil-society theme): it measured the word, not the theme.
SEED_THEMES: dict[str, str] = {
    "private sector": r"private sector|business sector",
    "civil society": r"civil society|\bcsos?\b|\bngos?\b",
    "helpdesk": r"help ?desk",
    "evidence of impact": r"evidence|demonstrate (?:their )?impact",
    "networking": r"network|connected with|people together",
    "planning": r"\bplanning\b",
}


def seed_theme_homes(quotes: Sequence[Quote], assignments: Sequence[int]) -> dict[str, float]:
    """For each seed theme, the share of its quotes in its most common theme (outliers excluded).

    Copies (``duplicate_of``) count once, as everywhere else in the pipeline.
    """
    out = {}
    for name, pattern in SEED_THEMES.items():
        regex = re.compile(pattern, re.IGNORECASE)
        hits = [t for q, t in zip(quotes, assignments) if q.duplicate_of is None and regex.search(q.text)]
        homes = Counter(t for t in hits if t != -1)
        out[name] = homes.most_common(1)[0][1] / len(hits) if homes and hits else 0.0
    return out
