"""``interviews watch``: run once, then rerun in this process whenever the inputs change.

The command line of ``nlp.watch``. It takes every setting ``interviews run`` takes and runs
the stages in this process, without Prefect: a Prefect deployment starts each run in a new
process, which is what the watcher exists to avoid.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Annotated

import typer

from flows.options import with_config_options
from nlp.watch import DEFAULT_QUIET_MS

__all__ = ["watch"]

_QUIET_HELP = "Start a run once no change has arrived for this many milliseconds (a copy of several files: one run)."


def _show(run, watched: str) -> None:
    """One run's outcome as ``interviews run`` prints it; a failure as an error line."""
    from flows.cli import _console, _escape, _show_summary

    if run.changed:
        names = ", ".join(Path(p).name for p in run.changed[:5]) + (f" and {len(run.changed) - 5} more" if len(run.changed) > 5 else "")
        _console().print(f"[dim]{time.strftime('%H:%M:%S', time.localtime(run.started))} changed: {_escape(names)}[/dim]", highlight=False)
    stamp = time.strftime("%H:%M:%S")
    if run.error is None:
        _show_summary(run.summary)
    else:
        _console(stderr=True).print(
            f"[bold red]error:[/] {stamp} run failed, outputs unchanged: {_escape(run.error)} "
            f"({type(run.error).__name__}); waiting for the next change", highlight=False,
        )
    _console().print(f"[dim]{stamp} watching {_escape(watched)} (Ctrl-C to stop)[/dim]", highlight=False)


def _watched(config) -> str:
    from nlp.watch import watched_paths

    raw, files = watched_paths(config)
    return ", ".join(str(p) for p in (raw, *files))


def watch(
    quiet_ms: Annotated[int, typer.Option("--quiet-ms", min=50, help=_QUIET_HELP)] = DEFAULT_QUIET_MS,
    **settings,
) -> None:
    """Run once, then rerun in this process whenever the raw folder (or the curation or participants file) changes.

    Runs without Prefect, in this process: imports, models and compiled kernels load once, so a rerun costs what changed.

    A failed run is reported and the last good outputs stay; the watcher waits for the next change. Stop with Ctrl-C. For scheduled runs with a run history, use the Prefect deployment (README, "Watching a folder").
    """
    from flows.cli import _console, _escape, _fail, _interactive
    from nlp.config import config_from_options
    from nlp.watch import WatchError, watch_runs

    if settings.get("progress") is None:
        settings["progress"] = _interactive()
    config = config_from_options(**settings)
    if not Path(config.raw_dir).is_dir():
        raise _fail(f"{config.raw_dir}: no such folder of interview files")
    try:
        watch_runs(config, functools.partial(_show, watched=_watched(config)), quiet_ms=quiet_ms)
    except KeyboardInterrupt:
        _console().print("stopped watching", highlight=False)
    except WatchError as exc:
        raise _fail(_escape(str(exc))) from None


watch = with_config_options(watch)
