"""House rules of the code layout: small modules, a library without Prefect, a thin flow."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODULES = sorted([*REPO.joinpath("nlp").rglob("*.py"), *REPO.joinpath("flows").rglob("*.py")])
# Benchmarks and training scripts are read and changed as often as the library.
SCRIPTS = sorted([*REPO.joinpath("bench").rglob("*.py"), *REPO.joinpath("training").rglob("*.py")])


@pytest.mark.parametrize("path", MODULES + SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_is_over_400_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_library_never_imports_prefect():
    library = [p for p in MODULES if p.relative_to(REPO).parts[0] == "nlp"]
    offenders = [str(p.relative_to(REPO)) for p in library if {"prefect", "prefect_dask"} & _imports(p)]
    assert offenders == []


def test_the_flow_file_is_thin_wiring():
    assert len((REPO / "flows" / "interview_pipeline.py").read_text(encoding="utf-8").splitlines()) <= 120
