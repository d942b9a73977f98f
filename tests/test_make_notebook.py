"""`make notebook`: JupyterLab comes from an extra, installed on first use; no server starts here."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_jupyterlab_is_an_extra_not_a_dependency():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(d.startswith("jupyterlab") for d in project["optional-dependencies"]["notebook"])
    assert not any(d.startswith("jupyterlab") for d in project["dependencies"])


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_notebook_installs_jupyterlab_if_missing_then_opens_the_notebooks(tmp_path):
    # -n prints the recipe without running it; STAMP points at an existing file so the set-up
    # step is up to date.
    stamp = tmp_path / "stamp"
    stamp.touch()
    result = subprocess.run(
        ["make", "-n", "notebook", f"STAMP={stamp}"], cwd=REPO, capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    install = next(k for k, line in enumerate(lines) if "import jupyterlab" in line)
    assert "|| " in lines[install] and ".[dev,notebook]" in lines[install]
    assert "jupyter lab --notebook-dir=notebooks" in lines[install + 1]
