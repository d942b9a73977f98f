"""The exploration notebook runs headless, in the project's venv, against a fresh run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "01-explore-topics.ipynb"

pytestmark = pytest.mark.slow


def test_notebook_is_committed_without_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code)


def test_notebook_executes_against_a_fresh_run(processed_dir, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.prefix)"))
    monkeypatch.setenv("INTERVIEWS_PROCESSED_DIR", str(processed_dir))
    client = NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # The kernel is this venv's python, not whatever "python" is first on PATH.
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    assert printed.strip().splitlines()[0] == sys.prefix
    mimetypes = {m for o in outputs for m in o.get("data", {})}
    assert "application/vnd.plotly.v1+json" in mimetypes  # BERTopic's charts
    assert "image/svg+xml" in mimetypes  # the section sentiment chart
    quotes_table = next(
        o["data"]["text/plain"]
        for c in nb.cells if c.cell_type == "code" and "topic_quotes" in c.source
        for o in c.outputs
        if o.output_type == "execute_result"
    )
    assert "interview_summary.txt" in quotes_table
