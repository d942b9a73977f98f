"""A ``prefect server start`` on 127.0.0.1 for benchmarks, in a throwaway ``PREFECT_HOME``.

The set-up README "Scheduled runs and scale-out" documents for scheduled runs: a running server
that flow runs report to through ``PREFECT_API_URL``. Used by ``bench.prefect_overhead`` and
``bench.reruns``; the server runs in its own process group, so stopping it stops its workers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["SERVER_START_S", "prefect_env", "server_cpu_s", "start_server", "stop_server"]

SERVER_START_S = 180


def prefect_env(home: Path, api_url: str | None) -> dict[str, str]:
    """This process's environment with only the benchmark's Prefect settings.

    A developer's profile must not point elsewhere. Without ``api_url`` a flow starts Prefect's
    temporary server, as ``make run`` does.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="false",
        # The default 20 s is too short for a first start (migrations) on a loaded 2-core box.
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    """Start the server with ``home`` as its ``PREFECT_HOME``; the process and its API URL once healthy.

    Raises:
        RuntimeError: the server exited, or was not healthy after ``SERVER_START_S`` (its log is
            ``home/server.log``).
    """
    import httpx

    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    log = (home / "server.log").open("wb")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("prefect")), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=prefect_env(home, None), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so stopping it stops its workers too
    )
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"prefect server exited with {server.returncode}; see {home / 'server.log'}")
        try:
            if httpx.get(f"{api}/health", timeout=2, trust_env=False).status_code == 200:
                return server, api
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_server(server)
    raise RuntimeError(f"prefect server not healthy after {SERVER_START_S} s")


def server_cpu_s(server: subprocess.Popen) -> float:
    """CPU seconds (user + system) the running server and its live child processes have used so far."""
    import psutil

    try:
        root = psutil.Process(server.pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return float("nan")
    total = 0.0
    for p in procs:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def stop_server(server: subprocess.Popen) -> None:
    """Stop the server's process group (the one this benchmark started, nothing else)."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
