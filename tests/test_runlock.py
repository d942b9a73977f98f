"""The output folder's lock, across real processes: the second run waits or refuses, clearly."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

HOLD = """
import sys, time
from nlp.runlock import output_lock
with output_lock(sys.argv[1], timeout=float(sys.argv[2])):
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
print("released", flush=True)
"""


def _start(out: Path, timeout: float, hold: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out), str(timeout), str(hold)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_second_holder_refuses_or_waits(tmp_path: Path) -> None:
    out = tmp_path / "processed"
    first = _start(out, 0, 6)
    assert first.stdout.readline().strip() == "held"

    refused = _start(out, 0, 0)
    _, err = refused.communicate(timeout=120)
    assert refused.returncode != 0
    assert f"RunInProgressError: another run is in progress on {out} (process {first.pid} on " in err
    assert "this run was not started" in err

    started = time.monotonic()
    waiting = _start(out, 120, 0)
    stdout, err = waiting.communicate(timeout=180)
    assert waiting.returncode == 0, err
    assert stdout.split() == ["held", "released"]
    first.communicate(timeout=60)
    assert first.returncode == 0
    assert time.monotonic() - started > 1  # it waited for the first to let go

    # A killed holder frees the lock with its process: no stale lock to clean up by hand.
    killed = _start(out, 0, 60)
    assert killed.stdout.readline().strip() == "held"
    killed.kill()
    killed.communicate(timeout=60)
    after = _start(out, 0, 0)
    assert after.communicate(timeout=120)[0].split() == ["held", "released"]
