"""A lock whose holder is gone is taken over with a warning; a live one is refused."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.lockholder import held_by_another_process, start_holder
from videosync.cli import main
from videosync.errors import LockHeld
from videosync.state.runlock import RunLock


def _hold(tmp_path: Path) -> subprocess.Popen[str]:
    return start_holder(tmp_path / "videosync.lock", tmp_path / "state")


def _stamp(ago: timedelta) -> str:
    return (datetime.now(timezone.utc) - ago).strftime("%Y-%m-%dT%H:%M:%SZ")


def _note_from_elsewhere(state: Path, ago: timedelta) -> None:
    state.mkdir(parents=True, exist_ok=True)
    note = {
        "pid": 4242,
        "host": "ci-runner-7",
        "since": _stamp(ago + timedelta(hours=1)),
        "command": "videosync apply",
        "heartbeat": _stamp(ago),
    }
    (state / "apply.lock.json").write_text(json.dumps(note), encoding="utf-8")


def test_a_killed_holders_lock_is_taken_over_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    proc = _hold(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with (
        caplog.at_level(logging.WARNING, logger="videosync.state.runlock"),
        RunLock(tmp_path / "videosync.lock", tmp_path / "state") as lock,
    ):
        holder = lock.holder()
        assert holder is not None and holder.pid == os.getpid()
    assert lock.took_over is not None and lock.took_over.pid == proc.pid
    [message] = [r.getMessage() for r in caplog.records]
    assert message.startswith(
        f"taking over the lock left by pid {proc.pid} on {socket.gethostname()} since "
    )
    assert message.endswith("; that process is gone")


def test_a_live_holders_lock_is_refused(tmp_path: Path) -> None:
    proc = _hold(tmp_path)
    try:
        with (
            pytest.raises(LockHeld, match=f"pid {proc.pid} on "),
            RunLock(tmp_path / "videosync.lock", tmp_path / "state", lock_timeout=0),
        ):
            pass
    finally:
        proc.kill()
        proc.wait()


def test_a_silent_holder_on_another_host_is_taken_over_after_the_timeout(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state"
    _note_from_elsewhere(state, ago=timedelta(hours=2))
    with (
        caplog.at_level(logging.WARNING, logger="videosync.state.runlock"),
        RunLock(tmp_path / "videosync.lock", state, lock_timeout=3600) as lock,
    ):
        assert lock.took_over is not None and lock.took_over.host == "ci-runner-7"
    [message] = [r.getMessage() for r in caplog.records]
    assert message.startswith("taking over the lock left by pid 4242 on ci-runner-7 since ")
    assert "no sign of life for over 3600 s" in message


def test_a_recent_holder_on_another_host_is_refused(tmp_path: Path) -> None:
    # Its OS lock may be invisible from here (network file system, restored CI cache).
    state = tmp_path / "state"
    _note_from_elsewhere(state, ago=timedelta(minutes=5))
    with (
        pytest.raises(LockHeld, match="pid 4242 on ci-runner-7 since "),
        RunLock(tmp_path / "videosync.lock", state, lock_timeout=3600),
    ):
        pass
    with RunLock(tmp_path / "videosync.lock", state, lock_timeout=60) as lock:
        assert lock.took_over is not None  # a shorter --lock-timeout takes it


def test_a_held_lock_whose_note_says_silent_elsewhere_is_broken(tmp_path: Path) -> None:
    # The OS lock is visible (a shared file system that passes flock on) but its holder
    # stopped beating: the lock file is replaced, so the new run gets a lock of its own.
    proc = _hold(tmp_path)
    try:
        _note_from_elsewhere(tmp_path / "state", ago=timedelta(hours=2))
        with RunLock(tmp_path / "videosync.lock", tmp_path / "state") as lock:
            assert lock.took_over is not None and lock.took_over.pid == 4242
    finally:
        proc.kill()
        proc.wait()


def _unlock(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(["-f", str(folder / "videosync.yaml"), "unlock", *args])
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_unlock_shows_the_holder_and_removes_the_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / ".videosync"
    _note_from_elsewhere(state, ago=timedelta(minutes=1))
    code, out, err = _unlock(capsys, tmp_path)  # no terminal in tests: needs --yes
    assert code == 3
    assert out.startswith("videosync.lock is locked by pid 4242 on ci-runner-7 since ")
    assert err == "error: unlock needs confirmation and there is no terminal: add --yes\n"
    assert (state / "apply.lock.json").exists()
    code, out, _ = _unlock(capsys, tmp_path, "--yes")
    assert code == 0
    assert out.endswith("(videosync apply)\nlock removed\n")
    assert not (state / "apply.lock.json").exists()
    assert _unlock(capsys, tmp_path)[:2] == (0, "videosync.lock is not locked\n")


def test_unlock_refuses_a_live_holder_on_this_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with held_by_another_process(tmp_path / "videosync.lock", tmp_path / ".videosync") as proc:
        code, _, err = _unlock(capsys, tmp_path, "--yes")
        assert code == 3
        assert f"locked by a running videosync: pid {proc.pid} on " in err
        assert err.endswith("stop that process (or let it finish) instead of unlocking\n")
        assert (tmp_path / ".videosync" / "apply.lock.json").exists()


def test_a_running_holder_keeps_its_note_fresh(tmp_path: Path) -> None:
    # So a long run on another host is never taken for a dead one.
    state = tmp_path / "state"
    with RunLock(tmp_path / "videosync.lock", state, lock_timeout=0.2) as lock:
        first = lock.holder()
        assert first is not None and first.heartbeat is not None
        deadline = time.monotonic() + 5
        while (now := lock.holder()) is None or now.heartbeat == first.heartbeat:
            assert time.monotonic() < deadline, "the heartbeat never moved"
            time.sleep(0.05)
        assert now.since == first.since and now.pid == os.getpid()
