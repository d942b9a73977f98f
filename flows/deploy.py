"""Serve the interview pipeline as a scheduled Prefect deployment.

This process registers the deployment ``interview-pipeline/<name>`` with the Prefect server of
``PREFECT_API_URL``, then runs every scheduled or manually triggered run of it in a subprocess
until stopped (Ctrl-C pauses the schedule)::

    python -m flows.server                     # in another terminal (prefect server start,
                                               # telemetry off), or a shared server
    python -m flows.deploy --raw-dir data/raw --out-dir data/processed --cron "0 6 * * *"
    prefect deployment run interview-pipeline/daily   # a run now, besides the schedule
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from prefect.client.schemas.schedules import CronSchedule
from pydantic import ValidationError

from flows.interview_pipeline import interview_pipeline
from nlp.config import PipelineConfig, add_config_arguments, config_from_args, jsonable_config

__all__ = ["DEFAULT_CRON", "DEFAULT_NAME", "deployment_parameters", "main"]

DEFAULT_CRON = "0 6 * * *"
DEFAULT_NAME = "daily"


def deployment_parameters(config: PipelineConfig) -> dict[str, object]:
    """Flow parameters every run of the deployment gets: the whole config, as JSON.

    Paths are made absolute: a run executes in a subprocess whose working directory is not
    guaranteed to be this one's.
    """
    absolute = {
        f.name: Path(getattr(config, f.name)).resolve()
        for f in dataclasses.fields(config)
        if isinstance(getattr(config, f.name), Path)
    }
    return {"config": jsonable_config(dataclasses.replace(config, **absolute))}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument("--cron", default=DEFAULT_CRON, help=f"schedule, cron syntax (default {DEFAULT_CRON!r})")
    parser.add_argument("--timezone", default=None, help="of the cron schedule, e.g. Europe/London (default UTC)")
    parser.add_argument("--name", default=DEFAULT_NAME, help=f"deployment name (default {DEFAULT_NAME!r})")
    args = parser.parse_args(argv)
    # A typo in the schedule should stop here, not after the deployment is half registered.
    try:
        schedule = CronSchedule(cron=args.cron, timezone=args.timezone)
    except ValidationError as err:
        parser.error(f"--cron {args.cron!r} / --timezone {args.timezone!r}: {err.errors()[0]['msg']}")

    interview_pipeline.serve(
        name=args.name,
        schedule=schedule,
        parameters=deployment_parameters(config_from_args(args)),
        description="Daily analysis of the raw interview folder into the out folder.",
        tags=["interview-insights"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
