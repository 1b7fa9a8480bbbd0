"""Inputs that once ended in an internal error: each is one line saying what and what to do,
with the exit code of its kind (issue 13, item 7)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import filelock
import pytest

from tests.apply.conftest import remote_videos, run
from tests.rails.conftest import make_catalog
from videosync.api.retry import RetryPolicy
from videosync.api.sync import SyncVisionClient
from videosync.emulator import RunningEmulator
from videosync.errors import ConnectionFailed, LockError, LockHeld
from videosync.state.lockfile import parse_lockfile
from videosync.state.runlock import RunLock


def _cli(manifest: Path, emulator: RunningEmulator) -> tuple[str, ...]:
    return ("-f", str(manifest), "--api-url", emulator.url)


def _one_line(err: str) -> str:
    assert err.startswith("error: "), err
    assert err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err, err
    return err.removeprefix("error: ").rstrip("\n")


# --- a lockfile JSON cannot hold ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"version": ' + "9" * 100_000 + "}", "a number too long"),
        ('{"version": 2, "videos": {"k": {"size": ' + "1" * 5000 + "}}}", "a number too long"),
    ],
    ids=["deep", "long-number", "long-number-inside"],
)
def test_a_lockfile_json_cannot_hold_is_a_lock_error(text: str, what: str) -> None:
    with pytest.raises(LockError) as refused:
        parse_lockfile(text, "videosync.lock")
    assert str(refused.value) == (
        f"videosync.lock: the lockfile is corrupt ({what}); restore it from git "
        "(git checkout -- videosync.lock) or move it aside to start over"
    )


def test_plan_on_a_lockfile_of_nested_brackets_exits_3(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 1)
    (tmp_path / "videosync.lock").write_text("[" * 100_000 + "]" * 100_000)

    code, _, err = run(capsys, *_cli(manifest, emulator), "plan")

    assert code == 3
    assert _one_line(err) == (
        f"{tmp_path / 'videosync.lock'}: the lockfile is corrupt (nested too deeply); restore "
        "it from git (git checkout -- videosync.lock) or move it aside to start over"
    )


# --- a start the API cannot take ---------------------------------------------------------------


@pytest.mark.parametrize(
    "start", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:30:00+01:00"]
)
def test_a_start_outside_the_utc_calendar_is_refused_by_validate_where_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], start: str, distinct_videos: list[Path]
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 1, extra=f", start: '{start}'")

    code, _, err = run(capsys, "-f", str(manifest), "validate")

    assert code == 3
    # validate's own format: one FILE:LINE:COLUMN: KEY: MESSAGE line per problem.
    assert err == (
        f"{manifest}:3:33: videos[0].start: '{start}' is out of range: in UTC it falls "
        "outside the years 1 to 9999; write a time between 0001-01-01T00:00:00Z and "
        "9999-12-31T23:59:59Z\n"
    )


def test_plan_refuses_that_start_before_any_call(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(
        tmp_path, distinct_videos, 1, extra=", start: 0001-01-01T00:00:00+14:00"
    )

    code, _, err = run(capsys, *_cli(manifest, emulator), "plan")

    assert code == 3
    assert "videos[0].start: '0001-01-01T00:00:00+14:00' is out of range" in _one_line(err)


# --- .videosync/ and the run lock's files ------------------------------------------------------

WORKDIR_FILE = (
    " is a file, where videosync keeps its machine-local folder (hash cache, journal, run "
    "lock); move the file aside and run again"
)


@pytest.mark.parametrize("command", ["plan", "status", "apply"])
def test_videosync_as_a_file_is_one_line_exit_3(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
    command: str,
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 1)
    (tmp_path / ".videosync").write_text("not a folder\n")
    args = ("apply", "--yes") if command == "apply" else (command,)

    code, _, err = run(capsys, *_cli(manifest, emulator), *args)

    assert (code, _one_line(err)) == (3, f"{tmp_path / '.videosync'}" + WORKDIR_FILE)
    assert (tmp_path / ".videosync").read_text() == "not a folder\n"


def test_videosync_as_a_file_with_the_embedded_emulator_is_one_line_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], distinct_videos: list[Path]
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 1)
    (tmp_path / ".videosync").write_text("not a folder\n")

    code, _, err = run(capsys, "-f", str(manifest), "--api-url", "local", "plan")

    assert (code, _one_line(err)) == (3, f"{tmp_path / '.videosync'}" + WORKDIR_FILE)


@pytest.mark.parametrize("name", ["apply.lock", "apply.lock.json", "apply.lock.tmp"])
def test_a_folder_in_place_of_a_run_lock_file_is_one_line_exit_3(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
    name: str,
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 1)
    folder = tmp_path / ".videosync" / name
    folder.mkdir(parents=True)

    code, _, err = run(capsys, *_cli(manifest, emulator), "apply", "--yes")

    assert (code, _one_line(err)) == (
        3,
        f"{folder} is a folder, where the run lock keeps a file; remove it and run again "
        "(nothing was changed)",
    )
    assert remote_videos(emulator) == []


def test_a_leftover_note_tmp_file_does_not_stop_apply(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 1)
    (tmp_path / ".videosync").mkdir()
    (tmp_path / ".videosync" / "apply.lock.tmp").write_text('{"pid": 1, "host"')

    code, _, err = run(capsys, *_cli(manifest, emulator), "apply", "--yes")

    assert code == 0, err


# --- a read-only project -----------------------------------------------------------------------


def _can_mount_read_only() -> bool:
    if shutil.which("unshare") is None or sys.platform != "linux":
        return False
    done = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    return done.returncode == 0


def _in_read_only_project(project: Path, *args: str, env: dict[str, str]) -> tuple[int, str]:
    """`videosync ARGS` in `project` mounted read-only (a private mount namespace)."""
    script = textwrap.dedent(
        """\
        set -e
        mount --bind "$1" "$1"
        mount -o remount,bind,ro "$1"
        cd "$1"
        shift
        exec "$@"
        """
    )
    done = subprocess.run(
        [
            "unshare",
            "-rm",
            "sh",
            "-c",
            script,
            "sh",
            str(project),
            sys.executable,
            "-m",
            "videosync",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    return done.returncode, done.stderr


needs_read_only_mount = pytest.mark.skipif(
    not _can_mount_read_only(), reason="needs unshare -rm (user and mount namespaces)"
)


@needs_read_only_mount
@pytest.mark.parametrize(
    "case",
    [
        (
            ("apply", "--yes"),
            1,
            "read-only file system writing .videosync; make it writable and run again: the "
            "next run picks up where this one stopped",
        ),
        (
            ("--api-url", "local", "plan"),
            1,
            "read-only file system writing .videosync; make it writable and run again: the "
            "next run picks up where this one stopped",
        ),
        (
            ("init", "--force"),
            3,
            "videosync.yaml: cannot write it (read-only file system); run init on a folder "
            "you can write to",
        ),
    ],
    ids=["apply", "plan-local", "init"],
)
def test_a_read_only_project_is_one_line(
    tmp_path: Path,
    emulator: RunningEmulator,
    distinct_videos: list[Path],
    case: tuple[tuple[str, ...], int, str],
) -> None:
    args, code, message = case
    make_catalog(tmp_path, distinct_videos, 1)
    env = {**os.environ, "REKA_API_KEY": "test-key", "VIDEOSYNC_API_URL": emulator.url}

    got, err = _in_read_only_project(tmp_path, *args, env=env)

    assert (got, _one_line(err)) == (code, message)


# --- two applies started together ------------------------------------------------------------


def test_a_run_refused_while_the_holder_writes_its_note_names_the_holder(tmp_path: Path) -> None:
    """The holder has the OS lock but no note yet (it started a moment before): wait for it."""
    state = tmp_path / ".videosync"
    state.mkdir()
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    note = {
        "pid": 4242,
        "host": "ci-runner",
        "since": now,
        "command": "videosync apply",
        "heartbeat": now,
    }
    holder = filelock.FileLock(state / "apply.lock", timeout=0)
    holder.acquire()
    try:
        threading.Timer(
            0.1, lambda: (state / "apply.lock.json").write_text(json.dumps(note))
        ).start()
        with pytest.raises(LockHeld) as refused, RunLock(tmp_path / "videosync.lock", state):
            pass
    finally:
        holder.release()
    assert str(refused.value) == (
        f"videosync.lock is locked by another videosync run: pid 4242 on ci-runner since {now} "
        "(videosync apply); wait for it to finish and try again"
    )


def test_a_holder_that_never_writes_its_note_is_a_run_starting(tmp_path: Path) -> None:
    state = tmp_path / ".videosync"
    state.mkdir()
    holder = filelock.FileLock(state / "apply.lock", timeout=0)
    holder.acquire()
    try:
        started = time.monotonic()
        with pytest.raises(LockHeld) as refused, RunLock(tmp_path / "videosync.lock", state):
            pass
        waited = time.monotonic() - started
    finally:
        holder.release()
    assert waited < 2.0
    assert str(refused.value) == (
        "videosync.lock is locked by another videosync run, one that is starting (it has not "
        "said who it is yet); wait for it to finish and try again"
    )


# --- a key the server refuses before reading the upload ---------------------------------------


@contextmanager
def _refusing_server() -> Iterator[str]:
    """A server that answers 401 to each request as soon as its headers are in, and closes
    without reading the body (as gateways do to a large unauthorised upload)."""
    body = b'{"detail": "Invalid API key"}'
    answer = (
        b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


def test_an_upload_refused_before_its_body_was_read_names_the_key_first(tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * (16 * 1024 * 1024))
    with (
        _refusing_server() as url,
        SyncVisionClient(url, "wrong-key", retry=RetryPolicy(attempts=1)) as client,
        pytest.raises(ConnectionFailed) as caught,
    ):
        client.upload_file(big, name="Big", filename="media/big.mp4")

    assert str(caught.value) == (
        "POST /videos/upload: the connection broke while sending the request (the server "
        "may have refused it before reading it all, as it does a wrong API key or a file "
        "over its size limit: check REKA_API_KEY and the file, then the network and --api-url)"
    )
