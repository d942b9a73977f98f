"""The served deployment against a real Prefect server on 127.0.0.1.

A ``prefect server start`` and a ``python -m flows.deploy`` run as subprocesses with their own
``PREFECT_HOME``; the test checks the deployment carries its daily schedule, triggers a run of
it and waits until that run has written the outputs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
DEPLOYMENT = "interview-pipeline/test-daily"
CRON = "0 6 * * *"
# Bounded waits, generous because two cores are shared with other people's work.
SERVER_START_S = 120
DEPLOYMENT_UP_S = 120
RUN_DONE_S = 600


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return f"--- {log.name} ---\n" + "\n".join(text.splitlines()[-lines:])


def _stop(proc: subprocess.Popen, sig: signal.Signals) -> None:
    """Stop a process this test started, and whatever it started in turn (e.g. a flow run)."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(children, timeout=10)


def _wait_for(what: str, ready: Callable[[], bool], timeout: float, alive: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if alive.poll() is not None:
            pytest.fail(f"{what}: process exited with {alive.returncode}\n{_tail(log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not ready after {timeout:.0f} s\n{_tail(log)}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A real Prefect server on a free port of 127.0.0.1; yields the environment that uses it."""
    home = tmp_path_factory.mktemp("prefect-home")
    log = home / "server.log"
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    # Only this server's settings: inherited PREFECT_* variables (a developer's profile, a
    # harness of another test) must not point the processes elsewhere.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=api,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="false",
        # serve asks the server for due runs this often; the default 10 s is dead time here.
        PREFECT_RUNNER_POLL_FREQUENCY="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    prefect = Path(sys.executable).with_name("prefect")
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    try:
        def healthy() -> bool:
            try:
                return httpx.get(f"{api}/health", timeout=2, trust_env=False).status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for("prefect server", healthy, SERVER_START_S, server, log)
        yield env
    finally:
        # The server and its database are thrown away, so it needs no graceful shutdown.
        _stop(server, signal.SIGTERM)


@pytest.fixture
def served(prefect_server, seed_path, tmp_path, shared_onnx) -> Iterator[tuple[Path, Path, subprocess.Popen]]:
    """``python -m flows.deploy`` serving the deployment over a copy of the seed."""
    raw, out, cache = tmp_path / "raw", tmp_path / "out", tmp_path / "cache"
    raw.mkdir()
    shutil.copy(seed_path, raw)
    shared_onnx(cache)
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.deploy", "--raw-dir", str(raw), "--out-dir", str(out),
             "--cache-dir", str(cache), "--cron", CRON, "--name", DEPLOYMENT.split("/")[1]],
            cwd=REPO, env=prefect_server, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    try:
        yield out, log, proc
    finally:
        # Ctrl-C, as a user stops it: serve pauses the schedule, then exits.
        _stop(proc, signal.SIGINT)


def _read_deployment(client: Any):
    from prefect.exceptions import ObjectNotFound

    try:
        return client.read_deployment_by_name(DEPLOYMENT)
    except ObjectNotFound:
        return None


def test_served_deployment_runs_on_a_real_server(prefect_server, served):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    out, log, serve = served
    with (
        temporary_settings(updates={PREFECT_API_URL: prefect_server["PREFECT_API_URL"]}),
        get_client(sync_client=True) as client,
    ):
        _wait_for("deployment", lambda: _read_deployment(client) is not None, DEPLOYMENT_UP_S, serve, log)
        deployment = _read_deployment(client)
        assert [s.schedule.cron for s in deployment.schedules if s.active] == [CRON]
        assert Path(deployment.parameters["config"]["out_dir"]) == out

        flow_run = run_deployment(name=DEPLOYMENT, timeout=0)

        def finished() -> bool:
            nonlocal flow_run
            flow_run = client.read_flow_run(flow_run.id)
            return flow_run.state is not None and flow_run.state.is_final()

        _wait_for("flow run", finished, RUN_DONE_S, serve, log)

    assert flow_run.state.is_completed(), f"{flow_run.state!r}\n{_tail(log)}"
    assert (out / "quotes.parquet").is_file()
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["counts"]["quotes"] > 100
    assert manifest["inputs"][0]["status"] == "ok"
