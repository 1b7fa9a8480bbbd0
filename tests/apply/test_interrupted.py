"""Apply killed at random instants, interrupted by Ctrl-C, or started twice: nothing is lost,
nothing is uploaded twice, the lockfile stays valid (subprocesses against the emulator)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

import videosync
from tests.apply.churn import Lines, churn, kill_at_random_instant
from tests.apply.conftest import assert_converged, child_env, command, remote_videos, run, spawn
from tests.conftest import API_KEY
from videosync.emulator import RunningEmulator
from videosync.state.lockfile import load_lockfile, lockfile_path
from videosync.workdir import journal_path


# 20 instants inside a run in all: two series of 10 with their own seeds, which run side by
# side under pytest-xdist (most of a round is waiting on the emulator and on processes).
@pytest.mark.slow
@pytest.mark.parametrize("seed", [20, 21])
def test_kill_9_at_random_instants_then_one_apply_converges(
    tmp_path: Path, emulator: RunningEmulator, more_videos: list[Path], seed: int
) -> None:
    folder = tmp_path / "churn"
    manifest = folder / "videosync.yaml"
    rng = random.Random(seed)
    emulator.set_faults(latency_ms=40)  # widens the windows between the calls
    killed_mid_run = round_ = 0
    while killed_mid_run < 10:  # 10 instants inside a run (a kill after its end is spare)
        assert round_ < 20, f"only {killed_mid_run} of {round_} kills fell inside a run"
        churn(folder, more_videos, round_, rng)
        killed_mid_run += kill_at_random_instant(manifest, emulator.url, API_KEY, rng, window=0.2)
        # churn replaces most of its 6 videos each round: an ordinary edit, not a rail test
        done = videosync.apply(
            manifest, api_url=emulator.url, api_key=API_KEY, max_delete_percent=100
        )
        assert done.ok, (round_, done.result)
        assert_converged(manifest, emulator)
        assert not journal_path(folder).exists()
        round_ += 1


def test_first_ctrl_c_lets_the_upload_in_flight_finish_saves_and_exits_130(
    catalog: Path, emulator: RunningEmulator
) -> None:
    emulator.set_faults(latency_ms=300)
    proc = spawn(catalog, emulator.url, "apply", "--yes", "--parallelism", "1")
    out, err = Lines(proc.stdout), Lines(proc.stderr)
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


@pytest.mark.slow
def test_second_ctrl_c_aborts_the_uploads_in_flight_and_the_next_run_finishes(
    catalog: Path, emulator: RunningEmulator
) -> None:
    emulator.set_faults(latency_ms=1500)
    proc = spawn(catalog, emulator.url, "apply", "--yes", "--parallelism", "2")
    out, err = Lines(proc.stdout), Lines(proc.stderr)
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
    assert (code, out) == (4, "")  # lock held
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


@pytest.mark.slow
def test_the_key_is_in_no_output_lockfile_journal_or_plan_file(
    catalog: Path, emulator: RunningEmulator, tmp_path: Path
) -> None:
    seen: list[str] = []
    emulator.set_faults(latency_ms=100)
    proc = spawn(catalog, emulator.url, "-v", "apply", "--yes", "--parallelism", "1")
    out, err = Lines(proc.stdout), Lines(proc.stderr)
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
