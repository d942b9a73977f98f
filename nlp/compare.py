"""Themes by group, themes raised together, and saturation, counted over respondents.

Pure functions over a ``quotes.parquet`` frame (and ``topics.parquet`` for ``parent_id``).
Counting follows the themes rules (``nlp.analysable``): a respondent counts once per theme
however many of their turns raise it; only analysable quotes count (``is_substantive``, and a
``language`` the model places, where those columns exist); a duplicated response counts once
(``duplicate_of`` set means a second copy). A respondent is
``respondent_id`` where the column exists, else ``nlp.participants.respondent_key``.

Themes come at two levels: ``topic`` is a ``topic_id`` (outliers, -1, are no theme) and
``parent`` a top-level theme, the ``parent_id`` of topics.parquet, where that column exists.

The test of one theme across an attribute's groups is on the 2 x k table (raised, not raised)
x groups, over the respondents whose group is known ("unknown" is shown, never tested):

- every expected count at least 5: Pearson's chi-square (``scipy.stats.chi2_contingency``,
  with scipy's default Yates correction when the table is 2 x 2);
- otherwise, 2 x 2: Fisher's exact test (``scipy.stats.fisher_exact``);
- otherwise: the Fisher-Freeman-Halton test, its p-value by Monte Carlo with 9,999 tables
  drawn with the observed margins (``fisher_exact`` with ``MonteCarloMethod``), seeded, so a
  rerun gives the same p-value. Exact enumeration grows too fast with k and n to promise.

p-values are corrected for the number of themes with Benjamini-Hochberg (``multipletests``,
``fdr_bh``) within each attribute and level. A cell is ``over`` or ``under``-represented when
its adjusted standardised residual (statsmodels ``Table.standardized_resids``) is beyond
±1.96 and the theme's corrected q-value is below 0.05. Shares carry Wilson 95% intervals.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nlp.participants import UNKNOWN, respondent_key

__all__ = [
    "ALPHA",
    "MAX_GROUPS",
    "ComparisonTables",
    "IndependenceTest",
    "SaturationPoint",
    "compare_tables",
    "comparable_attributes",
    "countable_quotes",
    "independence_test",
    "respondent_groups",
    "respondent_ids",
    "respondent_themes",
    "saturation",
    "saturation_point",
    "theme_by_attribute",
    "theme_cooccurrence",
]

logger = logging.getLogger("nlp.compare")

ALPHA = 0.05
# More groups than this is an identifier or a free-text column, not a grouping.
MAX_GROUPS = 12
_RESIDUAL = 1.96
_MONTE_CARLO_TABLES = 9_999
RESPONDENT = "respondent_id"

BY_ATTRIBUTE_COLUMNS = [
    "attribute", "value", "level", "theme_id", "n_respondents", "group_size", "share", "ci_low",
    "ci_high", "test", "statistic", "p_value", "q_value", "residual", "representation",
]
COOCCURRENCE_COLUMNS = ["level", "theme_a", "theme_b", "n_a", "n_b", "n_both", "jaccard", "lift"]
SATURATION_COLUMNS = [
    "level", "position", "respondent_id", "source_file", "date", "new_themes", "new_theme_ids",
    "cumulative_themes",
]


@dataclass(frozen=True)
class IndependenceTest:
    """One theme's test of independence across groups: which test, its statistic and p-value."""

    test: str  # "chi2" | "fisher" | "fisher-freeman-halton" | "none"
    statistic: float
    p_value: float


@dataclass(frozen=True)
class SaturationPoint:
    """Where new themes stopped: the last interview that added one."""

    level: str
    n_interviews: int
    n_themes: int
    last_new_position: int
    last_new_respondent: str
    reached: bool  # later interviews added no theme


@dataclass(frozen=True)
class ComparisonTables:
    """The three comparison tables of a run."""

    theme_by_attribute: pd.DataFrame
    theme_cooccurrence: pd.DataFrame
    saturation: pd.DataFrame


def countable_quotes(quotes: pd.DataFrame) -> pd.DataFrame:
    """Quotes that count, with a ``respondent_id`` column: analysable, first copies only.

    Analysable as ``nlp.analysable`` says: substantive, and in a language the embedding model
    places (or of unknown language), where the columns exist.
    """
    from nlp.analysable import MODEL_LANGUAGES

    keep = pd.Series(True, index=quotes.index)
    if "duplicate_of" in quotes:
        keep &= quotes["duplicate_of"].isna()
    if "is_substantive" in quotes:
        keep &= quotes["is_substantive"].fillna(False).astype(bool)
    if "language" in quotes:
        language = quotes["language"].fillna("").astype(str)
        keep &= (language == "") | language.isin(MODEL_LANGUAGES)
    out = quotes[keep].copy()
    out[RESPONDENT] = respondent_ids(out)
    return out


def respondent_ids(quotes: pd.DataFrame) -> pd.Series:
    """Each quote's respondent: ``respondent_id`` where recorded, else ``respondent_key``."""
    if RESPONDENT in quotes:
        return quotes[RESPONDENT].astype(str)
    speakers = quotes["speaker"] if "speaker" in quotes else pd.Series(None, index=quotes.index)
    return pd.Series(
        [respondent_key(f, s if isinstance(s, str) else None, r)
         for f, s, r in zip(quotes["source_file"], speakers, quotes["response_id"])],
        index=quotes.index, dtype="object",
    )


def respondent_themes(quotes: pd.DataFrame, topics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Distinct (respondent_id, level, theme_id) rows of countable quotes, in input order."""
    counted = countable_quotes(quotes)
    counted = counted[counted["topic_id"] != -1]
    frames = [pd.DataFrame({RESPONDENT: counted[RESPONDENT], "level": "topic", "theme_id": counted["topic_id"]})]
    if topics is not None and "parent_id" in topics:
        parents = topics.dropna(subset=["parent_id"]).set_index("topic_id")["parent_id"]
        parent = counted["topic_id"].map(parents)
        has = parent.notna()
        frames.append(pd.DataFrame({RESPONDENT: counted.loc[has, RESPONDENT], "level": "parent", "theme_id": parent[has]}))
    out = pd.concat(frames, ignore_index=True).drop_duplicates()
    out["theme_id"] = out["theme_id"].astype("int64")
    return out.reset_index(drop=True)


def respondent_groups(quotes: pd.DataFrame, attribute: str) -> pd.Series:
    """respondent_id -> their value of ``attribute``, in input order.

    A respondent whose quotes disagree (survey rows of one author) gets their most frequent
    known value; ``"unknown"`` only when nothing is known.
    """
    counted = countable_quotes(quotes)
    values = counted[attribute].fillna(UNKNOWN).astype(str).str.strip().replace("", UNKNOWN)
    out: dict[str, str] = {}
    for rid, group in values.groupby(counted[RESPONDENT], sort=False):
        known = [v for v in group if v != UNKNOWN]
        out[str(rid)] = Counter(known).most_common(1)[0][0] if known else UNKNOWN
    return pd.Series(out, name=attribute, dtype="object")


def comparable_attributes(quotes: pd.DataFrame, attributes: Sequence[str]) -> list[str]:
    """The attributes that group respondents: 1 to ``MAX_GROUPS`` known values, two or more
    respondents per value on average (a date or a name per respondent is no grouping)."""
    out = []
    for attribute in attributes:
        groups = respondent_groups(quotes, attribute)
        known = groups[groups != UNKNOWN]
        n_values = known.nunique()
        if 1 <= n_values <= MAX_GROUPS and len(known) >= 2 * n_values:
            out.append(attribute)
        else:
            logger.info("not comparing by %r: %d values over %d respondents", attribute, n_values, len(known))
    return out


def independence_test(table: np.ndarray, seed: int = 0) -> IndependenceTest:
    """Test of independence of a 2 x k table of counts (see the module docstring for the choice).

    Returns test ``"none"`` with NaN p-value when a row or column is empty or k < 2.
    """
    from scipy.stats import MonteCarloMethod, chi2_contingency, fisher_exact
    from scipy.stats.contingency import expected_freq

    table = np.asarray(table, dtype=np.int64)
    if table.shape[1] < 2 or (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        return IndependenceTest("none", float("nan"), float("nan"))
    if (expected_freq(table) >= 5).all():
        result = chi2_contingency(table)
        return IndependenceTest("chi2", float(result.statistic), float(result.pvalue))
    if table.shape == (2, 2):
        result = fisher_exact(table)
        return IndependenceTest("fisher", float(result.statistic), float(result.pvalue))
    method = MonteCarloMethod(n_resamples=_MONTE_CARLO_TABLES, rng=np.random.default_rng(seed))
    result = fisher_exact(table, method=method)
    return IndependenceTest("fisher-freeman-halton", float(result.statistic), float(result.pvalue))


def _adjusted_residuals(table: np.ndarray) -> np.ndarray:
    from statsmodels.stats.contingency_tables import Table

    if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        return np.full(table.shape, np.nan)
    return np.asarray(Table(table, shift_zeros=False).standardized_resids, dtype=float)


def theme_by_attribute(
    quotes: pd.DataFrame, topics: pd.DataFrame | None, attributes: Sequence[str], seed: int = 0
) -> pd.DataFrame:
    """One row per theme x attribute x value: who raised the theme in each group, and the test.

    Args:
        quotes: ``quotes.parquet`` rows, with the attribute columns.
        topics: ``topics.parquet`` rows, for ``parent_id``; ``None`` for topic level only.
        attributes: quote columns to compare by; see ``comparable_attributes``.
        seed: seeds the Monte Carlo p-values.

    Returns:
        Columns ``BY_ATTRIBUTE_COLUMNS``, sorted by attribute, level, theme, value.
    """
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import proportion_confint

    pairs = respondent_themes(quotes, topics)
    rows: list[dict] = []
    for attribute in attributes:
        groups = respondent_groups(quotes, attribute)
        sizes = groups.value_counts()
        values = sorted(v for v in sizes.index if v != UNKNOWN) + ([UNKNOWN] if UNKNOWN in sizes.index else [])
        known = [v for v in values if v != UNKNOWN]
        for level, of_level in pairs.groupby("level", sort=True):
            block: list[dict] = []
            for theme_id, members in of_level.groupby("theme_id", sort=True):
                raised = groups.reindex(members[RESPONDENT].unique()).value_counts()
                counts = np.array([int(raised.get(v, 0)) for v in known])
                table = np.vstack([counts, sizes[known].to_numpy() - counts]) if known else np.zeros((2, 0), int)
                test = independence_test(table, seed)
                residuals = _adjusted_residuals(table) if test.test != "none" else np.full(table.shape, np.nan)
                for value in values:
                    n, size = int(raised.get(value, 0)), int(sizes[value])
                    low, high = proportion_confint(n, size, alpha=ALPHA, method="wilson")
                    k = known.index(value) if value in known else None
                    block.append({
                        "attribute": attribute, "value": value, "level": level, "theme_id": int(theme_id),
                        "n_respondents": n, "group_size": size, "share": n / size, "ci_low": float(low),
                        "ci_high": float(high), "test": test.test, "statistic": test.statistic,
                        "p_value": test.p_value, "residual": float(residuals[0, k]) if k is not None else np.nan,
                    })
            frame = pd.DataFrame(block)
            if frame.empty:
                continue
            per_theme = frame.drop_duplicates("theme_id")[["theme_id", "p_value"]]
            tested = per_theme["p_value"].notna()
            q = pd.Series(np.nan, index=per_theme.index)
            if tested.any():
                q[tested] = multipletests(per_theme.loc[tested, "p_value"], alpha=ALPHA, method="fdr_bh")[1]
            frame["q_value"] = frame["theme_id"].map(dict(zip(per_theme["theme_id"], q)))
            significant = frame["q_value"] < ALPHA
            frame["representation"] = np.where(
                significant & (frame["residual"] > _RESIDUAL), "over",
                np.where(significant & (frame["residual"] < -_RESIDUAL), "under", None),
            )
            rows += frame.to_dict("records")
    out = pd.DataFrame(rows, columns=BY_ATTRIBUTE_COLUMNS)
    return out.astype({"theme_id": "int64", "n_respondents": "int64", "group_size": "int64"})


def theme_cooccurrence(quotes: pd.DataFrame, topics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every pair of themes of one level: respondents raising each, both, Jaccard and lift.

    Lift is ``n_both * N / (n_a * n_b)`` over the N respondents with a countable quote: 1 when
    the two themes are raised together as often as chance predicts, above 1 when more often.
    """
    pairs = respondent_themes(quotes, topics)
    n_total = countable_quotes(quotes)[RESPONDENT].nunique()
    rows = []
    for level, of_level in pairs.groupby("level", sort=True):
        members = {int(t): set(g[RESPONDENT]) for t, g in of_level.groupby("theme_id", sort=True)}
        ids = sorted(members)
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                both = len(members[a] & members[b])
                n_a, n_b = len(members[a]), len(members[b])
                rows.append({
                    "level": level, "theme_a": a, "theme_b": b, "n_a": n_a, "n_b": n_b, "n_both": both,
                    "jaccard": both / len(members[a] | members[b]), "lift": both * n_total / (n_a * n_b),
                })
    out = pd.DataFrame(rows, columns=COOCCURRENCE_COLUMNS)
    return out.astype({c: "int64" for c in ("theme_a", "theme_b", "n_a", "n_b", "n_both")})


def _order(quotes: pd.DataFrame, date_column: str | None) -> pd.DataFrame:
    """Respondents in input order, or by ``date_column`` (ISO dates; unparsed ones last)."""
    counted = countable_quotes(quotes)
    first = counted.drop_duplicates(RESPONDENT)[[RESPONDENT, "source_file"]].reset_index(drop=True)
    first["date"] = None
    if date_column is not None:
        dates = respondent_groups(quotes, date_column).reindex(first[RESPONDENT]).replace(UNKNOWN, None)
        first["date"] = dates.to_numpy()
        parsed = pd.to_datetime(dates, errors="coerce", format="ISO8601").to_numpy()
        first = first.assign(_when=parsed).sort_values("_when", kind="stable", na_position="last")
        first = first.drop(columns="_when").reset_index(drop=True)
    return first


def saturation(
    quotes: pd.DataFrame, topics: pd.DataFrame | None = None, date_column: str | None = None
) -> pd.DataFrame:
    """For each level, respondents in order with the themes each raised first.

    Args:
        quotes: ``quotes.parquet`` rows.
        topics: for ``parent_id``.
        date_column: order by this attribute (ISO dates) instead of input order; by default a
            column named ``date`` (any case) if there is one.
    """
    if date_column is None:
        date_column = next((c for c in quotes.columns if str(c).lower() == "date"), None)
    order = _order(quotes, date_column)
    pairs = respondent_themes(quotes, topics)
    people, files, dates = (order[c].tolist() for c in (RESPONDENT, "source_file", "date"))
    columns: dict[str, list] = {name: [] for name in SATURATION_COLUMNS}
    for level in sorted(pairs["level"].unique()):
        of_level = pairs[pairs["level"] == level]
        themes_of: dict[str, set[int]] = {}
        for who, theme in zip(of_level[RESPONDENT], of_level["theme_id"]):
            themes_of.setdefault(who, set()).add(int(theme))
        seen: set[int] = set()
        for who in people:
            new = sorted(themes_of.get(who, set()) - seen)
            seen.update(new)
            columns["new_theme_ids"].append(new)
            columns["new_themes"].append(len(new))
            columns["cumulative_themes"].append(len(seen))
        columns["level"] += [level] * len(people)
        columns["position"] += range(1, len(people) + 1)
        columns[RESPONDENT] += people
        columns["source_file"] += files
        columns["date"] += dates
    frame = pd.DataFrame(columns, columns=SATURATION_COLUMNS) if columns["level"] else pd.DataFrame(
        [], columns=SATURATION_COLUMNS)  # no rows: every column of objects, as a list column must be
    return frame.astype(
        {"position": "int64", "new_themes": "int64", "cumulative_themes": "int64"}
    )


def saturation_point(table: pd.DataFrame, level: str = "topic") -> SaturationPoint | None:
    """The last interview that added a theme at ``level``, or ``None`` without any theme."""
    mine = table[table["level"] == level]
    added = mine[mine["new_themes"] > 0]
    if added.empty:
        return None
    last = added.iloc[-1]
    return SaturationPoint(
        level, len(mine), int(mine["cumulative_themes"].iloc[-1]), int(last["position"]),
        str(last["respondent_id"]), int(last["position"]) < len(mine),
    )


def compare_tables(
    quotes: pd.DataFrame, topics: pd.DataFrame | None, attributes: Sequence[str], seed: int = 0
) -> ComparisonTables:
    """The three tables of a run, comparing by those ``attributes`` that group respondents."""
    return ComparisonTables(
        theme_by_attribute(quotes, topics, comparable_attributes(quotes, attributes), seed),
        theme_cooccurrence(quotes, topics),
        saturation(quotes, topics),
    )
