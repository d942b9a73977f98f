"""Where things live by default: the one place that names the project's folders.

As in cookiecutter-data-science's ``config.py``, every default path is declared here and
nowhere else. They are relative to the working directory, which is the repository root when
``make run`` or ``interviews`` run; pass other folders through ``PipelineConfig``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_DIR", "INTERIM_DIR", "PROCESSED_DIR", "RAW_DIR", "REPORTS_DIR"]

DATA_DIR = Path("data")
# Input interview files; never written.
RAW_DIR = DATA_DIR / "raw"
# Outputs of the last successful run, replaced whole by the next one.
PROCESSED_DIR = DATA_DIR / "processed"
# State that survives runs: the embedding cache. The ONNX export of the bundled model belongs to
# the machine, not the project: it lives in nlp.machine_cache.cache_home() / "onnx".
INTERIM_DIR = DATA_DIR / "interim"
# Reports written by ``interviews report`` and ``interviews export-qdpx``.
REPORTS_DIR = Path("reports")
