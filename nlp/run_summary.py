"""What a run reports back to its caller, and how a run is named and found up to date."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlp.config import PipelineConfig
from nlp.previous import Previous
from nlp.store import outputs_whole
from nlp.topics.stability import placed_count

if TYPE_CHECKING:
    from nlp.outputs import RunResults

__all__ = ["RunSummary", "finished", "run_identity", "unchanged_since_last_run"]

logger = logging.getLogger("nlp.run")


@dataclass
class RunSummary:
    """What a run did, as the flow and ``run_pipeline`` return it."""

    run_id: str
    status: str  # "ok" or "up-to-date"
    out_dir: str
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the manifest's notes: what a reader must know


def run_identity(previous: Previous, fingerprint: str) -> tuple[int, str]:
    """Run number and run id; the id is deterministic, so identical histories give identical outputs."""
    number = previous.run_number + 1
    return number, f"run-{number:04d}-{fingerprint[:10]}"


def unchanged_since_last_run(
    previous: Previous, fingerprint: str, config: PipelineConfig, timings: dict[str, float]
) -> RunSummary | None:
    """The up-to-date summary when inputs and settings match the last run's and its outputs are whole."""
    if fingerprint != previous.fingerprint or not outputs_whole(Path(config.out_dir)):
        return None
    logger.info("inputs unchanged since %s; outputs are up to date", previous.manifest.run_id)
    return RunSummary(
        previous.manifest.run_id, "up-to-date", str(config.out_dir), {"new_quotes_embedded": 0}, timings
    )


def finished(run: RunResults, timings: dict[str, float]) -> RunSummary:
    """The summary of a run that wrote its outputs."""
    return RunSummary(
        run.run_id,
        "ok",
        str(run.config.out_dir),
        {
            "quotes": len(run.quotes),
            "new_quotes_embedded": run.new_quotes_embedded,
            "placed_quotes": placed_count(run.topics.plan),
            "topics": len(run.topics.topics),
            "recommendations": len(run.recommendations.candidates),
        },
        timings,
        [{"file": r.file, "error": r.error} for r in run.ingested.inputs if r.status == "error"],
        list(run.notes),
    )
