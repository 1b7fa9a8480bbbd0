"""Apply killed at random instants, interrupted by Ctrl-C, or started twice: nothing is lost,
nothing is uploaded twice, the lockfile stays valid (subprocesses against the emulator)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

import videosync
from tests.apply.conftest import assert_converged, child_env, command, remote_videos, run, spawn
from tests.conftest import API_KEY
from videosync.emulator import RunningEmulator
from videosync.lockfile import load_lockfile, lockfile_path
from videosync.recovery import journal_path

CHURN = """\
version: 1
groups:
  clips:
    name: Clips
    metadata: {{round: {round}}}
videos:
  - glob: media/*.mp4
    group: clips
  - path: extra/x.mp4
    group: {extra_group}
"""


class _Lines:
    """The lines a subprocess writes to one of its pipes, read in a thread as they come."""

    def __init__(self, pipe: object) -> None:
        self.lines: list[str] = []
        self._event = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: object) -> None:
        for line in pipe:  # type: ignore[attr-defined]
            self.lines.append(line)
            self._event.set()

    def wait_for(self, prefix: str, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(line.startswith(prefix) for line in self.lines):
                return True
            self._event.wait(0.01)
            self._event.clear()
        return False

    def text(self) -> str:
        self._thread.join(timeout=10)
        return "".join(self.lines)


def _churn(folder: Path, videos: list[Path], round_: int, rng: random.Random) -> None:
    """Give the next apply work of every kind: replaces, a create or delete, a group update."""
    media = folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    for name in ("a", "b", "c", "d"):
        if round_ == 0 or rng.random() < 0.5:
            shutil.copyfile(rng.choice(videos), media / f"{name}.mp4")
    extra = media / "e.mp4"
    if extra.exists() and round_ % 2:
        extra.unlink()
    elif not extra.exists():
        shutil.copyfile(rng.choice(videos), extra)
    (folder / "extra").mkdir(exist_ok=True)
    shutil.copyfile(videos[round_ % len(videos)], folder / "extra" / "x.mp4")
    manifest = CHURN.format(round=round_, extra_group="clips" if round_ % 3 else "default")
    (folder / "videosync.yaml").write_text(manifest, encoding="utf-8")


@pytest.mark.slow
def test_kill_9_at_20_random_instants_then_one_apply_converges(
    tmp_path: Path, emulator: RunningEmulator, more_videos: list[Path]
) -> None:
    folder = tmp_path / "churn"
    manifest = folder / "videosync.yaml"
    rng = random.Random(20)
    emulator.set_faults(latency_ms=15)
    killed_mid_run = 0
    for round_ in range(20):
        _churn(folder, more_videos, round_, rng)
        proc = spawn(manifest, emulator.url, "apply", "--yes", "--parallelism", "2")
        out = _Lines(proc.stdout)
        assert out.wait_for("Plan: "), out.text()
        time.sleep(rng.uniform(0.0, 0.3))
        proc.kill()
        proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
        killed_mid_run += not any(line.startswith("Apply complete") for line in out.text())
        done = videosync.apply(manifest, api_url=emulator.url, api_key=API_KEY)
        assert done.ok, (round_, done.result)
        assert_converged(manifest, emulator)
        assert not journal_path(folder).exists()
    assert killed_mid_run >= 15  # the instants fell inside the runs, not after them


def test_first_ctrl_c_lets_the_upload_in_flight_finish_saves_and_exits_130(
    catalog: Path, emulator: RunningEmulator
) -> None:
    emulator.set_faults(latency_ms=300)
    proc = spawn(catalog, emulator.url, "apply", "--yes", "--parallelism", "1")
    out, err = _Lines(proc.stdout), _Lines(proc.stderr)
    assert out.wait_for("+ created group marketing"), out.text() + err.text()
    time.sleep(0.1)  # the first upload is on its way (each call takes 300 ms)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 130
    stdout, stderr = out.text(), err.text()
    assert "stopping: no new work; waiting for 1 action(s) in flight" in stderr
    created = [line for line in stdout.splitlines() if line.startswith("+ created media/")]
    assert len(created) == 1  # the upload in flight finished; no other started
    assert stderr.splitlines()[-1].startswith(
        "Apply interrupted: 1 created, 0 replaced, 0 deleted, 0 adopted; groups: 1 created"
    )
    recorded = load_lockfile(lockfile_path(catalog))
    assert len(recorded.videos) == 1
    assert {e.video_id for e in recorded.videos.values()} == {
        v.video_id for v in remote_videos(emulator)
    }
    emulator.set_faults(latency_ms=0)
    assert videosync.apply(catalog, api_url=emulator.url, api_key=API_KEY).ok
    assert_converged(catalog, emulator)


def test_second_ctrl_c_aborts_the_uploads_in_flight_and_the_next_run_finishes(
    catalog: Path, emulator: RunningEmulator
) -> None:
    emulator.set_faults(latency_ms=1500)
    proc = spawn(catalog, emulator.url, "apply", "--yes", "--parallelism", "2")
    out, err = _Lines(proc.stdout), _Lines(proc.stderr)
    assert out.wait_for("+ created group marketing"), out.text() + err.text()
    time.sleep(0.2)  # two uploads are on their way (each call takes 1.5 s)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert err.wait_for("stopping: no new work; waiting for 2 action(s) in flight")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 130
    assert time.monotonic() - started < 1.5  # did not wait for the uploads to end
    stderr = err.text()
    assert "aborting the actions in flight" in stderr
    assert stderr.splitlines()[-1].startswith("Apply interrupted: 0 created")
    out.text()
    # The aborted uploads' intents are journaled: if a copy landed, it is adopted.
    assert journal_path(catalog.parent).exists()
    emulator.set_faults(latency_ms=0)
    time.sleep(1.5)  # let the server finish the requests it had
    assert videosync.apply(catalog, api_url=emulator.url, api_key=API_KEY).ok
    assert_converged(catalog, emulator)


def test_second_apply_is_refused_within_a_second_naming_the_holder(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.set_faults(latency_ms=200)
    proc = spawn(catalog, emulator.url, "apply", "--yes")
    note = catalog.parent / ".videosync" / "apply.lock.json"
    deadline = time.monotonic() + 20
    while not note.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    code, out, err = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "apply", "--yes")
    assert time.monotonic() - started < 1.0
    assert (code, out) == (1, "")
    assert err.startswith(
        f"error: videosync.lock is locked by another videosync run: pid {proc.pid} on "
        f"{os.uname().nodename} since "
    )
    assert err.endswith("(videosync apply); wait for it to finish and try again\n")
    assert proc.wait(timeout=30) == 0
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    proc.stderr.close()
    assert_converged(catalog, emulator)


def test_the_key_is_in_no_output_lockfile_journal_or_plan_file(
    catalog: Path, emulator: RunningEmulator, tmp_path: Path
) -> None:
    seen: list[str] = []
    emulator.set_faults(latency_ms=100)
    proc = spawn(catalog, emulator.url, "-v", "apply", "--yes", "--parallelism", "1")
    out, err = _Lines(proc.stdout), _Lines(proc.stderr)
    assert out.wait_for("+ created media/")
    proc.kill()
    proc.wait()
    seen += [out.text(), err.text()]
    journal = journal_path(catalog.parent)
    assert journal.exists()  # killed mid-run: the intents are there to be checked
    seen.append(journal.read_text(encoding="utf-8"))
    emulator.set_faults(latency_ms=0, fault_rate=0.3, seed=3)
    plan_file = tmp_path / "plan.json"
    for args in (("-vv", "plan", "--out", str(plan_file)), ("-vv", "apply", "--yes")):
        done = subprocess.run(
            command(catalog, emulator.url, *args),
            capture_output=True,
            text=True,
            env=child_env(),
            check=False,
        )
        seen += [done.stdout, done.stderr]
    emulator.set_faults(fault_rate=0.0)
    seen += [plan_file.read_text(encoding="utf-8"), lockfile_path(catalog).read_text("utf-8")]
    assert "DEBUG" in seen[-3]  # -vv did log
    for text in seen:
        assert API_KEY not in text
    assert_converged(catalog, emulator)
