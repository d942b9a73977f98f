"""Nothing leaves the machine: a whole flow run, temporary Prefect server included, under audit.

A ``sitecustomize`` on ``PYTHONPATH`` installs ``sys.addaudithook`` in every Python process the
run starts (the flow and Prefect's temporary server, a subprocess). The hook writes each host
name resolution and socket connection to a log, marked ``OUT`` unless it stays on loopback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.offline import OFFLINE_ENV
from tests.fakes import ANSWERS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]

SITECUSTOMIZE = r'''
import ipaddress
import os
import socket
import sys

_LOG = os.environ["NETWORK_AUDIT_LOG"]
_busy = False


def _local(host):
    if host is None or host in ("", "localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        ip = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or ip.is_unspecified or bool(mapped and mapped.is_loopback)


def _host(event, args):
    if event == "socket.getaddrinfo":
        return True, args[0]
    if event in ("socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
        return True, args[0]
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[-1]
        if getattr(sock, "family", None) == getattr(socket, "AF_UNIX", None):
            return True, None
        if isinstance(address, tuple) and address:
            return True, address[0]
        return True, None
    return False, None


def _hook(event, args):
    global _busy
    if _busy or not event.startswith("socket."):
        return
    relevant, host = _host(event, args)
    if not relevant:
        return
    _busy = True
    try:
        mark = "ok" if _local(host) else "OUT"
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(f"{mark} {os.getpid()} {event} {host!r}\n")
    finally:
        _busy = False


with open(_LOG, "a", encoding="utf-8") as _f:
    _f.write(f"start {os.getpid()} {' '.join(sys.argv)[:200]!r}\n")
sys.addaudithook(_hook)
'''


def _audited_env(tmp_path: Path) -> dict[str, str]:
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    # A fresh machine: no Prefect settings from outside, not even the offline ones this project
    # sets itself, and an empty Prefect home (the telemetry race happens on first start).
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith("PREFECT_") and k not in OFFLINE_ENV and k != "PYTHONPATH"
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(hook_dir), str(REPO)]),
        NETWORK_AUDIT_LOG=str(tmp_path / "network.log"),
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300",
        PYTHONUNBUFFERED="1",
    )
    return env


def _log(tmp_path: Path) -> list[str]:
    path = tmp_path / "network.log"
    return path.read_text(encoding="utf-8").splitlines() if path.is_file() else []


def test_the_audit_hook_sees_a_lookup_beyond_loopback(tmp_path: Path) -> None:
    """The check below could not fail if the hook saw nothing: here it must see a lookup."""
    code = "import socket\ntry:\n    socket.getaddrinfo('telemetry.example.invalid', 443)\nexcept OSError:\n    pass\n"
    subprocess.run([sys.executable, "-c", code], env=_audited_env(tmp_path), check=True, timeout=120)
    assert any(line.startswith("OUT ") and "telemetry.example.invalid" in line for line in _log(tmp_path))


def test_a_whole_flow_run_stays_on_loopback(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "interview.txt").write_text(
        "".join(f"Interviewer: Question {i}?\nP{i % 3}: {a}\n" for i, a in enumerate(ANSWERS[:8])),
        encoding="utf-8",
    )
    env = _audited_env(tmp_path)
    proc = subprocess.run(
        [
            sys.executable, "-m", "flows.interview_pipeline", "--raw-dir", str(raw),
            "--out-dir", str(tmp_path / "processed"), "--cache-dir", str(tmp_path / "interim"),
            "--backend", "torch",
        ],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=1200,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert (tmp_path / "processed" / "quotes.parquet").is_file()

    log = _log(tmp_path)
    started = {line.split()[1] for line in log if line.startswith("start ")}
    assert any("prefect" in line and "server" in line for line in log if line.startswith("start ")), log[:5]
    assert len(started) >= 2  # the flow and its temporary server were both audited
    assert any(line.startswith("ok ") and "socket.connect" in line for line in log)  # client -> server
    assert [line for line in log if line.startswith("OUT ")] == []
    assert "Traceback" not in output, output[-4000:]
    assert "telemetry" not in output.lower(), output[-4000:]
