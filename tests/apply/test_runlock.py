"""One apply at a time per lockfile; a dead holder never leaves the lock stuck."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.lockholder import start_holder
from videosync.errors import LockHeld
from videosync.state.runlock import RunLock


def _hold_in_subprocess(tmp_path: Path) -> subprocess.Popen[str]:
    return start_holder(tmp_path / "videosync.lock", tmp_path / "state")


def test_second_run_is_refused_at_once_naming_the_holder(tmp_path: Path) -> None:
    proc = _hold_in_subprocess(tmp_path)
    try:
        start = time.monotonic()
        with (
            pytest.raises(LockHeld) as refused,
            RunLock(tmp_path / "videosync.lock", tmp_path / "state"),
        ):
            pass
        assert time.monotonic() - start < 1.0
        message = str(refused.value)
        assert message.startswith("videosync.lock is locked by another videosync run: ")
        assert f"pid {proc.pid} on {os.uname().nodename} since " in message
        assert message.endswith("(videosync apply); wait for it to finish and try again")
    finally:
        proc.kill()
        proc.wait()


def test_lock_of_a_killed_holder_is_free_again(tmp_path: Path) -> None:
    proc = _hold_in_subprocess(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with RunLock(tmp_path / "videosync.lock", tmp_path / "state") as lock:
        holder = lock.holder()
        assert holder is not None
        assert holder.pid == os.getpid()


def test_lock_is_released_and_note_removed_on_exit(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with RunLock(tmp_path / "videosync.lock", state):
        assert (state / "apply.lock.json").exists()
    assert not (state / "apply.lock.json").exists()
    with RunLock(tmp_path / "videosync.lock", state):
        pass


def test_a_killed_holders_lock_kept_a_moment_by_its_child_is_waited_for(tmp_path: Path) -> None:
    """A holder killed while forking leaves a child with a copy of the lock's descriptor
    for a moment: the next run waits for the lock (briefly) instead of refusing."""
    proc = _hold_in_subprocess(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()  # gone, its note left behind
    lock_file = tmp_path / "state" / "apply.lock"
    script = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(lock_file)!r}, os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(0.5)\n"
    )
    child = subprocess.Popen(["python3", "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "held\n"
        with RunLock(tmp_path / "videosync.lock", tmp_path / "state") as lock:
            assert lock.took_over is not None and lock.took_over.pid == proc.pid
    finally:
        child.kill()
        child.wait()
