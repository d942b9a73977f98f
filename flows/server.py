"""A Prefect server for the deployment, started with telemetry off.

``prefect server start`` on its own would send Prefect's telemetry heartbeat; this wrapper runs
it with ``flows.offline.OFFLINE_ENV`` in its environment. Options go through unchanged::

    python -m flows.server --host 127.0.0.1 --port 4200
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from flows.offline import keep_offline

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``prefect server start`` with the given options until it stops; its exit code."""
    keep_offline()
    prefect = Path(sys.executable).with_name("prefect")
    args = list(sys.argv[1:] if argv is None else argv)
    return subprocess.call([str(prefect), "server", "start", *args])


if __name__ == "__main__":
    sys.exit(main())
