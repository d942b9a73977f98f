"""One whole run without an orchestrator: the stage sequence with plain calls in this process.

``flows/interview_pipeline.py`` runs the same sequence (``nlp.sequence.run_stages``) with
Prefect tasks. This entry point serves ``interviews run --no-prefect``, notebooks, benchmarks
and tests that want no Prefect server.
"""

from __future__ import annotations

from nlp.config import PipelineConfig
from nlp.loaded import LoadedModels
from nlp.run_summary import RunSummary
from nlp.sequence import InProcess, run_stages

__all__ = ["RunSummary", "run_pipeline"]


def run_pipeline(
    config: PipelineConfig | None = None, force: bool = False, models: LoadedModels | None = None
) -> RunSummary:
    """Run every stage in order, in this process, and write the outputs atomically.

    Args:
        config: run settings; defaults to ``data/raw`` into ``data/processed``.
        force: re-analyse even if inputs and settings are unchanged since the last run.
        models: the loaded models; by default ``nlp.loaded.load_models(config)``. Tests pass
            a record with a fake embedder.
    """
    return run_stages(config or PipelineConfig(), InProcess(), force=force, models=models)
