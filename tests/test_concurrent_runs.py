"""Two runs on the same folders, started together in two processes: the outputs are one whole run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.test_hostile_runs import GOOD

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]

# Each process imports everything, says it is ready, and starts its run when the test says go,
# so the two runs really start together rather than one after the other's import.
RUN = """
import sys, time
from pathlib import Path
from nlp.config import PipelineConfig
from nlp.run import run_pipeline
from nlp.runlock import RunInProgressError
from tests.fakes import fake_models

root, name, timeout = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
config = PipelineConfig(raw_dir=root / "raw", out_dir=root / "processed", cache_dir=root / "interim",
                        lock_timeout_s=timeout)
models = fake_models(config)
(root / f"ready-{name}").touch()
while not (root / "go").exists():
    time.sleep(0.01)
try:
    print(run_pipeline(config, models=models).status, flush=True)
except RunInProgressError as exc:
    print(f"refused: {exc}", flush=True)
    sys.exit(3)
"""


def _together(root: Path, timeout: float) -> list[tuple[int, str]]:
    (root / "go").unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RUN, str(root), name, str(timeout)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        )
        for name in ("a", "b")
    ]
    deadline = time.monotonic() + 600
    while not all((root / f"ready-{n}").exists() for n in ("a", "b")):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [
            p.communicate() for p in procs if p.poll() is not None
        ]
        time.sleep(0.05)
    (root / "go").touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=900)
        results.append((p.returncode, out.strip() or err[-2000:]))
    for n in ("a", "b"):
        (root / f"ready-{n}").unlink()
    return sorted(results)


def _whole(out: Path) -> None:
    manifest = json.loads((out / "run_manifest.json").read_text(encoding="utf-8"))
    quotes = pd.read_parquet(out / "quotes.parquet")
    assert manifest["counts"]["quotes"] == len(quotes)
    assert not [p.name for p in out.parent.iterdir() if ".staging-" in p.name or ".previous-" in p.name]


def test_two_runs_started_together(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "interview.txt").write_text(GOOD, encoding="utf-8")

    # With a wait: the second run waits for the first, then finds the outputs up to date.
    assert _together(tmp_path, timeout=600) == [(0, "ok"), (0, "up-to-date")]
    _whole(tmp_path / "processed")

    # Without a wait: the second run refuses, naming the folder, and the first one's outputs stand.
    (tmp_path / "raw" / "more.txt").write_text(GOOD.replace("Question", "Topic"), encoding="utf-8")
    (ok_code, ok_out), (refused_code, refused_out) = _together(tmp_path, timeout=0)
    assert (ok_code, ok_out, refused_code) == (0, "ok", 3)
    assert refused_out.startswith(f"refused: another run is in progress on {tmp_path / 'processed'} (process ")
    _whole(tmp_path / "processed")
