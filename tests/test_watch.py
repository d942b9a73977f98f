"""`interviews watch`: what a user sees when files arrive, break, or a curation is edited while it waits."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from nlp import pipeline
from nlp.config import PipelineConfig
from nlp.guards import NothingUsableError
from nlp.run import run_pipeline
from nlp.watch import WatchedRun, watch_runs
from tests.test_reruns import NEW_INTERVIEW, _tree_digest

REPO = Path(__file__).resolve().parents[1]
QUIET_MS = 300


class Watcher:
    """``watch_runs`` in a thread with the fake embedder; ``wait(n)`` until it has made n runs."""

    def __init__(self, config: PipelineConfig, models) -> None:
        self.runs: list[WatchedRun] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=watch_runs, args=(config, self.runs.append), kwargs={"models": models, "stop": self.stop, "quiet_ms": QUIET_MS}
        )

    def __enter__(self) -> Watcher:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the watcher did not stop"

    def wait(self, n: int, timeout: float = 90) -> WatchedRun:
        deadline = time.monotonic() + timeout
        while len(self.runs) < n:
            assert self.thread.is_alive(), "the watcher died"
            assert time.monotonic() < deadline, f"no run {n} within {timeout} s (runs: {self.runs})"
            time.sleep(0.05)
        return self.runs[n - 1]


def _config(root: Path, **kw) -> PipelineConfig:
    return PipelineConfig(raw_dir=root / "raw", out_dir=root / "processed", cache_dir=root / "interim", **kw)


@pytest.fixture
def seeded(tmp_path, seed_path) -> PipelineConfig:
    (tmp_path / "raw").mkdir()
    shutil.copy(seed_path, tmp_path / "raw" / "interview_summary.txt")
    return _config(tmp_path)


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {str(p.relative_to(out)): pd.read_parquet(p) for p in sorted(out.rglob("*.parquet"))}


def test_a_file_added_while_watching_gives_the_outputs_of_interviews_run(seeded, fake_models, tmp_path):
    with Watcher(seeded, fake_models(seeded)) as w:
        first = w.wait(1)
        assert first.error is None and first.summary.status == "ok" and first.changed == ()
        # The state `interviews run` would find, copied while the watcher waits.
        other = tmp_path / "other"
        for name in ("raw", "processed", "interim"):
            shutil.copytree(tmp_path / name, other / name, symlinks=True)
        for root in (tmp_path, other):
            (root / "raw" / "followup.md").write_text(NEW_INTERVIEW, encoding="utf-8")
        raw_before = _tree_digest(seeded.raw_dir)
        second = w.wait(2)
    assert second.error is None and second.summary.status == "ok"
    assert [Path(p).name for p in second.changed] == ["followup.md"]
    assert second.summary.counts["new_quotes_embedded"] >= 3  # only the new file's quotes
    assert _tree_digest(seeded.raw_dir) == raw_before  # the watcher never writes into the raw folder
    direct = run_pipeline(_config(other), models=fake_models(_config(other)))
    assert direct.run_id == second.summary.run_id and direct.counts == second.summary.counts
    watched, ran = _tables(seeded.out_dir), _tables(_config(other).out_dir)
    assert watched.keys() == ran.keys() and "quotes.parquet" in watched
    for name in watched:
        pd.testing.assert_frame_equal(watched[name], ran[name], obj=name)


def test_bad_input_and_a_failed_run_are_reported_and_the_watcher_goes_on(tmp_path, seed_path, fake_models, monkeypatch):
    config = _config(tmp_path)
    config.raw_dir.mkdir()
    (config.raw_dir / "scan.pdf").write_bytes(b"\x00\x01\x02 not an interview")
    with Watcher(config, fake_models(config)) as w:
        nothing = w.wait(1)
        assert isinstance(nothing.error, NothingUsableError) and "scan.pdf" in str(nothing.error)
        assert not config.out_dir.exists()
        shutil.copy(seed_path, config.raw_dir / "interview_summary.txt")
        good = w.wait(2)
        assert good.error is None and good.summary.status == "ok"
        assert [e["file"] for e in good.summary.errors] == ["scan.pdf"]  # named, and the batch went on
        outputs = _tree_digest(config.out_dir)

        def broken(*args, **kwargs):
            raise RuntimeError("recommendation stage crashed")

        monkeypatch.setattr(pipeline, "find_recommendations", broken)
        (config.raw_dir / "followup.md").write_text(NEW_INTERVIEW, encoding="utf-8")
        failed = w.wait(3)
        assert isinstance(failed.error, RuntimeError) and _tree_digest(config.out_dir) == outputs  # last good outputs
        monkeypatch.undo()
        (config.raw_dir / "followup.md").write_text(NEW_INTERVIEW + "\nRespondent: One more thing.\n", encoding="utf-8")
        recovered = w.wait(4)
    assert recovered.error is None and recovered.summary.status == "ok"
    assert set(pd.read_parquet(config.out_dir / "quotes.parquet").source_file) == {"interview_summary.txt", "followup.md"}


def test_an_edited_curation_file_takes_effect_in_the_next_run(seeded, fake_models, tmp_path):
    from nlp import tables

    elsewhere = tmp_path / "decisions"
    elsewhere.mkdir()
    curation = elsewhere / "curation.yaml"
    curation.write_text("themes: []\n", encoding="utf-8")
    config = _config(tmp_path, curation=curation)
    with Watcher(config, fake_models(config)) as w:
        assert w.wait(1).error is None
        topic = int(tables.TOPICS.read(config.out_dir).sort_values("size", ascending=False)["topic_id"].iloc[0])
        for n, label in ((2, "Funding the network"), (3, "Training the officials")):
            # As an editor saves: a new file renamed over the old one.
            (elsewhere / ".curation.yaml.tmp").write_text(f"themes:\n  - id: {topic}\n    label: {label}\n", encoding="utf-8")
            os.replace(elsewhere / ".curation.yaml.tmp", curation)
            run = w.wait(n)
            assert run.error is None and run.summary.status == "ok", run
            topics = tables.TOPICS.read(config.out_dir).set_index("topic_id")
            assert (topics.loc[topic, "label"], topics.loc[topic, "label_source"]) == (label, "researcher")


def test_a_copy_of_several_files_gives_one_run(seeded, fake_models):
    with Watcher(seeded, fake_models(seeded)) as w:
        w.wait(1)
        for i in range(3):
            (seeded.raw_dir / f"followup-{i}.md").write_text(NEW_INTERVIEW.replace("Follow-up", f"Follow-up {i}"), encoding="utf-8")
        second = w.wait(2)
        (seeded.raw_dir / ".followup-3.md.swp").write_text("an editor's swap file", encoding="utf-8")
        (seeded.raw_dir / "~$followup-0.docx").write_bytes(b"\x05ana")  # Word's owner file of an open document
        time.sleep(3 * QUIET_MS / 1000 + 1)
        assert len(w.runs) == 2  # neither a second run for the same copy nor one for a hidden or owner file
    assert sorted(Path(p).name for p in second.changed) == [f"followup-{i}.md" for i in range(3)]


def test_a_raw_folder_replaced_by_a_new_one_is_watched_in_its_place(seeded, fake_models, tmp_path):
    # A sync tool or a checkout puts a new folder where the old one was: the old one's watch
    # sees nothing more, so a file added to the new folder must still give a run.
    with Watcher(seeded, fake_models(seeded)) as w:
        w.wait(1)
        staged = tmp_path / "raw.new"
        shutil.copytree(seeded.raw_dir, staged)
        shutil.rmtree(seeded.raw_dir)
        staged.rename(seeded.raw_dir)
        w.wait(2)
        time.sleep(3 * QUIET_MS / 1000 + 1)  # the replacement's own runs are over
        before = len(w.runs)
        (seeded.raw_dir / "followup.md").write_text(NEW_INTERVIEW, encoding="utf-8")
        run = w.wait(before + 1, timeout=30)
    assert [Path(p).name for p in run.changed] == ["followup.md"]
    assert run.error is None and run.summary.status == "ok"
    assert set(pd.read_parquet(seeded.out_dir / "quotes.parquet").source_file) == {"interview_summary.txt", "followup.md"}


def test_watch_command_says_it_runs_without_prefect():
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["watch", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "without Prefect" in result.output and "--curation" in result.output



def test_the_quiet_ms_the_help_shows_is_the_one_the_watcher_uses():
    # In a child, so that changing the library's default cannot leak into other tests.
    script = (
        "import nlp.watch\n"
        "nlp.watch.DEFAULT_QUIET_MS = 2345\n"
        "from typer.testing import CliRunner\n"
        "from flows.cli import app\n"
        "print(CliRunner().invoke(app, ['watch', '--help'], env={'COLUMNS': '200'}).output)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    shown = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    quiet = next(line for line in shown.stdout.splitlines() if "--quiet-ms" in line)
    assert "default: 2345" in quiet

@pytest.mark.slow
def test_ctrl_c_stops_the_watch_command_cleanly(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "scan.pdf").write_bytes(b"\x00\x01 not an interview")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "flows.cli", "watch", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "out"),
           "--cache-dir", str(tmp_path / "interim")]
    child = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in child.stdout:  # the first run fails on the bad file; the watcher goes on waiting
            if "watching" in line:
                break
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 0, err
    assert "scan.pdf" in err and "stopped watching" in out and "Traceback" not in err


def test_a_removed_raw_folder_ends_the_watch_with_a_message(seeded, fake_models, tmp_path):
    from nlp.watch import WatchError

    outcome: list[BaseException] = []

    def watching() -> None:
        try:
            watch_runs(seeded, runs.append, models=fake_models(seeded), quiet_ms=QUIET_MS)
        except WatchError as exc:
            outcome.append(exc)

    runs: list[WatchedRun] = []
    thread = threading.Thread(target=watching)
    thread.start()
    deadline = time.monotonic() + 90
    while not runs and time.monotonic() < deadline:
        time.sleep(0.05)
    outputs = _tree_digest(seeded.out_dir)
    seeded.raw_dir.rename(tmp_path / "moved")
    thread.join(timeout=60)
    assert not thread.is_alive() and len(runs) == 2 and runs[1].error is not None
    assert "raw folder is gone" in str(outcome[0]) and _tree_digest(seeded.out_dir) == outputs
