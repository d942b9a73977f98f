"""Typer options derived from ``PipelineConfig``, so a command can set every setting of a run."""

from __future__ import annotations

import functools
import inspect
from pathlib import Path
from typing import Annotated, Literal

import typer

__all__ = ["ProcessedDir", "Top", "config_parameters", "with_config_options"]

# Options the reading commands share (themes, quotes, codes, compare, ...).
ProcessedDir = Annotated[
    Path,
    typer.Option("--processed-dir", "-p", envvar="INTERVIEWS_PROCESSED_DIR", help="Outputs of a run."),
]
Top = Annotated[int, typer.Option("--top", "-n", min=1, help="How many to show.")]


def config_parameters() -> list[inspect.Parameter]:
    """One ``--option`` per ``PipelineConfig`` setting (``nlp.config.config_options``)."""
    from nlp.config import config_options

    params = []
    for o in config_options():
        kind = Literal[o.choices] if o.choices else o.type
        kind = kind | None if o.optional else kind
        default = o.default
        if o.name == "progress":
            # On a terminal a run shows progress unless told not to; in a pipe or file it never does.
            kind, default = bool | None, None
        flag = f"{o.flag}/--no-{o.flag[2:]}" if o.type is bool else o.flag
        option = typer.Option(flag, help=o.help, rich_help_panel="Settings", show_default=default is not None)
        params.append(inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, option]))
    return params


def with_config_options(command):
    """``command(**own, **settings)`` with the settings as options beside its own.

    ``command``'s last parameter must be ``**settings``; it receives every setting by the name
    ``nlp.config.config_from_options`` takes.
    """
    own = list(inspect.signature(command, eval_str=True).parameters.values())[:-1]  # drop **settings
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]

    @functools.wraps(command)
    def wrapper(**kwargs):
        return command(**kwargs)

    wrapper.__signature__ = inspect.Signature(own + config_parameters())
    wrapper.__annotations__ = {}
    del wrapper.__wrapped__
    return wrapper
