"""Nothing leaves the machine: Prefect's phone-home switched off before Prefect is imported.

Interview data is sensitive and the runtime is promised to be offline, yet Prefect, left to its
defaults, reaches out in two ways:

- the server (the temporary one every flow run starts without ``PREFECT_API_URL``, or
  ``prefect server start``) sends a telemetry heartbeat to Prefect's host; on a fresh machine
  its first attempt also races the database migration and logs a ``database is locked``
  traceback. ``PREFECT_SERVER_ANALYTICS_ENABLED=false`` stops the service;
- the client library sends usage events (amplitude) unless ``DO_NOT_TRACK`` is set.

The UI's promotional content (fetched by a browser that opens a server's UI) is switched off as
well. ``keep_offline`` runs when the ``flows`` package is imported, so every way this project
starts Prefect (``python -m flows.interview_pipeline``, the ``interviews`` CLI, ``flows.deploy``
and the runs it spawns, the tests) sets these before Prefect reads its settings; the server
subprocess inherits them through the environment. They are set, not defaulted: a profile or
shell that turned telemetry on does not win over the offline promise.
"""

from __future__ import annotations

import os
import sys

__all__ = ["OFFLINE_ENV", "keep_offline"]

OFFLINE_ENV: dict[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
}


def keep_offline() -> None:
    """Set ``OFFLINE_ENV`` in this process's environment (inherited by its subprocesses).

    If Prefect was imported before this ran, its global settings are reloaded so that they
    see the variables too.
    """
    changed = False
    for key, value in OFFLINE_ENV.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
            changed = True
    if changed and "prefect.context" in sys.modules:
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()
