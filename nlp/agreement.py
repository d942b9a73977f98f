"""Agreement between two codings of the same material, as a coding team discusses it.

Per code: Cohen's kappa (scikit-learn), percent agreement and prevalence (the share of units
each coder gave the code). Overall: Krippendorff's alpha (the ``krippendorff`` package) over
every unit x code decision, nominal, so a code both coders leave off a unit counts as
agreement just as one both apply; this is how multi-code coding is usually pooled into one
figure, and it stays comparable across codebooks of different sizes. The disagreements, one row
per unit x code that only one coder applied, go to a table with the unit's text.

The two codings are matched unit by unit on whatever they share, tried in this order: the
units' own ids (CSV ids, quote ids, ``.qdpx`` spans), their response ids, then their text
(case and whitespace ignored). The key that matches most units is used; units that only one
coding has are counted and left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nlp.codings import Coding, CodingError, CodedUnit, normalise_text

__all__ = [
    "AgreementResult",
    "CodeAgreement",
    "Disagreement",
    "agreement_frames",
    "compare_codings",
    "write_agreement",
]


@dataclass(frozen=True)
class CodeAgreement:
    """How two coders agree on one code.

    Attributes:
        code: the code's name.
        kappa: Cohen's kappa; ``None`` when undefined (both coders gave the code to all units
            or to none, so chance agreement is total).
        percent_agreement: share of units on which both coders made the same decision.
        prevalence_a: share of units coder A gave the code.
        prevalence_b: share of units coder B gave the code.
        n_a: units coder A gave the code.
        n_b: units coder B gave the code.
    """

    code: str
    kappa: float | None
    percent_agreement: float
    prevalence_a: float
    prevalence_b: float
    n_a: int
    n_b: int


@dataclass(frozen=True)
class Disagreement:
    """One unit x code that only one of the two coders applied."""

    unit: str
    text: str
    code: str
    coded_by: str
    codes_a: tuple[str, ...]
    codes_b: tuple[str, ...]


@dataclass(frozen=True)
class AgreementResult:
    """Everything ``interviews agreement`` reports."""

    path_a: Path
    path_b: Path
    matched_on: str
    n_units: int
    only_in_a: int
    only_in_b: int
    alpha: float | None
    per_code: tuple[CodeAgreement, ...]
    disagreements: tuple[Disagreement, ...]

    @property
    def mean_kappa(self) -> float | None:
        """Mean of the defined per-code kappas."""
        values = [c.kappa for c in self.per_code if c.kappa is not None]
        return float(np.mean(values)) if values else None


@dataclass(frozen=True)
class _Aligned:
    key: str
    text: str
    codes_a: frozenset[str]
    codes_b: frozenset[str]


def _index(units: tuple[CodedUnit, ...], level: str) -> dict[str, tuple[str, frozenset[str]]]:
    """Units by one matching key; units sharing a key (quotes of one response) are pooled."""
    out: dict[str, tuple[str, frozenset[str]]] = {}
    for unit in units:
        if level == "id":
            key = unit.key
        elif level == "response":
            key = unit.response_id
        else:
            key = normalise_text(unit.text) if unit.text.strip() else None
        if not key:
            continue
        if key in out:
            text, codes = out[key]
            out[key] = (f"{text} {unit.text}".strip() if unit.text not in text else text, codes | unit.codes)
        else:
            out[key] = (unit.text, unit.codes)
    return out


def align(a: Coding, b: Coding) -> tuple[str, list[_Aligned], int, int]:
    """Match the units of two codings on the key they share most.

    Returns:
        The key used (``id``, ``response`` or ``text``), the matched units in A's order, and
        how many units only A and only B have.

    Raises:
        CodingError: naming both files, when no unit matches.
    """
    best: tuple[int, str] | None = None
    for level in ("id", "response", "text"):
        shared = _index(a.units, level).keys() & _index(b.units, level).keys()
        if shared and (best is None or len(shared) > best[0]):
            best = (len(shared), level)
    if best is None:
        raise CodingError(
            f"{a.path} and {b.path}: no unit in common (compared ids, response ids and text); "
            "are they codings of the same material?"
        )
    level = best[1]
    index_a, index_b = _index(a.units, level), _index(b.units, level)
    rows = [
        _Aligned(key, text or index_b[key][0], codes, index_b[key][1])
        for key, (text, codes) in index_a.items()
        if key in index_b
    ]
    return level, rows, len(index_a) - len(rows), len(index_b) - len(rows)


def _kappa(x: np.ndarray, y: np.ndarray) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if len(set(x.tolist()) | set(y.tolist())) < 2:
        return None  # both coders constant and equal: kappa is 0/0
    # One coder constant and the other not is defined (kappa 0): only 0/0 is ruled out above.
    return float(cohen_kappa_score(x, y, labels=[0, 1]))


def _alpha(matrix_a: np.ndarray, matrix_b: np.ndarray) -> float | None:
    import krippendorff

    data = np.vstack([matrix_a.ravel(), matrix_b.ravel()]).astype(float)
    if len(np.unique(data)) < 2:
        return None
    value = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    return None if math.isnan(value) else float(value)


def compare_codings(a: Coding, b: Coding, codes: list[str] | None = None) -> AgreementResult:
    """Agreement figures and disagreements between coding A and coding B.

    Args:
        a: the first coding.
        b: the second coding of the same material.
        codes: the codes to compare; default every code either coder applied to a matched unit.
    """
    level, rows, only_a, only_b = align(a, b)
    if codes is None:
        used = set().union(*(r.codes_a | r.codes_b for r in rows))
        declared = [c for c in (*a.code_names, *b.code_names) if c in used]
        codes = list(dict.fromkeys(declared + sorted(used - set(declared))))
    matrix_a = np.array([[c in r.codes_a for c in codes] for r in rows], dtype=np.int8).reshape(len(rows), len(codes))
    matrix_b = np.array([[c in r.codes_b for c in codes] for r in rows], dtype=np.int8).reshape(len(rows), len(codes))
    per_code = tuple(
        CodeAgreement(
            code=code,
            kappa=_kappa(matrix_a[:, j], matrix_b[:, j]),
            percent_agreement=float(np.mean(matrix_a[:, j] == matrix_b[:, j])),
            prevalence_a=float(matrix_a[:, j].mean()),
            prevalence_b=float(matrix_b[:, j].mean()),
            n_a=int(matrix_a[:, j].sum()),
            n_b=int(matrix_b[:, j].sum()),
        )
        for j, code in enumerate(codes)
    )
    disagreements = tuple(
        Disagreement(
            unit=r.key, text=r.text, code=code, coded_by="A only" if code in r.codes_a else "B only",
            codes_a=tuple(sorted(r.codes_a)), codes_b=tuple(sorted(r.codes_b)),
        )
        for r in rows
        for code in codes
        if (code in r.codes_a) != (code in r.codes_b)
    )
    return AgreementResult(
        Path(a.path), Path(b.path), level, len(rows), only_a, only_b,
        _alpha(matrix_a, matrix_b) if codes else None, per_code, disagreements,
    )


def agreement_frames(result: AgreementResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-code table and the disagreements table, as written to disk."""
    per_code = pd.DataFrame(
        [
            {"code": c.code, "kappa": c.kappa, "percent_agreement": c.percent_agreement,
             "prevalence_a": c.prevalence_a, "prevalence_b": c.prevalence_b, "n_a": c.n_a, "n_b": c.n_b}
            for c in result.per_code
        ],
        columns=["code", "kappa", "percent_agreement", "prevalence_a", "prevalence_b", "n_a", "n_b"],
    ).astype({"kappa": "float64"})
    disagreements = pd.DataFrame(
        [
            {"unit": d.unit, "text": d.text, "code": d.code, "coded_by": d.coded_by,
             "codes_a": "; ".join(d.codes_a), "codes_b": "; ".join(d.codes_b)}
            for d in result.disagreements
        ],
        columns=["unit", "text", "code", "coded_by", "codes_a", "codes_b"],
    )
    return per_code, disagreements


def write_agreement(result: AgreementResult, out_dir: Path) -> tuple[Path, Path, Path]:
    """Write ``agreement_per_code.csv``, ``disagreements.csv`` and ``agreement.xlsx`` into ``out_dir``.

    The workbook has a ``summary`` sheet (files, units, alpha), ``per code`` and
    ``disagreements``. Each file is written to a temporary name and renamed.
    """
    from nlp.atomic import atomic_write

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    per_code, disagreements = agreement_frames(result)
    summary = pd.DataFrame(
        [
            ("coding A", str(result.path_a)), ("coding B", str(result.path_b)),
            ("units matched on", result.matched_on), ("units compared", result.n_units),
            ("units only in A", result.only_in_a), ("units only in B", result.only_in_b),
            ("Krippendorff's alpha (nominal, unit x code)", result.alpha),
            ("mean Cohen's kappa over codes", result.mean_kappa),
        ],
        columns=["figure", "value"],
    )
    paths = (out_dir / "agreement_per_code.csv", out_dir / "disagreements.csv", out_dir / "agreement.xlsx")
    atomic_write(paths[0], lambda p: per_code.to_csv(p, index=False))
    atomic_write(paths[1], lambda p: disagreements.to_csv(p, index=False))
    atomic_write(paths[2], lambda p: _write_xlsx(p, {"summary": summary, "per code": per_code, "disagreements": disagreements}))
    return paths


def _write_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    from openpyxl import Workbook

    from nlp.report.xlsx import _sheet

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, frame in sheets.items():
        rows = [[None if isinstance(v, float) and math.isnan(v) else v for v in row] for row in frame.itertuples(index=False)]
        _sheet(workbook, title, list(frame.columns), rows)
    workbook.save(path)
