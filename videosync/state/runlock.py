"""One `apply` at a time per lockfile: an OS file lock plus a note of who holds it.

The lock is an `flock` taken through the filelock library, so the kernel releases it the
moment its holder dies (kill -9 included): a crashed run never leaves a stuck lock on the
same machine. Beside it, a small JSON note says who holds it (pid, host, since when, and a
heartbeat the holder refreshes while it runs), so the run that is refused can tell the user
whom it is waiting for, and the run that comes after a crash can say whose lock it takes.

Across machines the OS lock may be invisible (a network file system that does not pass
`flock` on, or a CI cache restoring `.videosync/` with a note from a killed job). There the
note decides: a holder on another host whose heartbeat is older than `lock_timeout` is
taken to be gone, and its lock is taken over with a warning; a fresher one refuses the run.
When such a holder's OS lock is still visible, the lock file is replaced (a new inode, a new
lock) so the takeover can happen at all. `videosync unlock` removes a lock by hand.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

import filelock

from videosync.errors import LockHeld, UsageError, WorkdirError
from videosync.workdir import make_cache_dir, writing

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "LockHolder",
    "RunLock",
    "lock_holder",
    "remove_lock",
]

log = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT = 3600.0
"""Seconds without a heartbeat after which a holder on another host is taken to be gone."""
_LOCK_NAME = "apply.lock"
_NOTE_NAME = "apply.lock.json"
_NOTE_TMP_NAME = "apply.lock.tmp"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_GONE_WAIT = 2.0
"""Seconds a run waits for the OS lock whose holder's process is gone (module `_break_stale`)."""
_NOTE_WAIT = 1.0
"""Seconds a refused run waits for the note of a holder that has just taken the lock."""


def _now() -> str:
    return datetime.now(timezone.utc).strftime(_TIME_FORMAT)


def _this_host() -> str:
    return socket.gethostname()


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) is a Ctrl-C there, not a probe: cannot tell
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    except OSError:
        return True  # cannot tell: assume it may be alive (never take a live lock)
    return True


@dataclass(frozen=True)
class LockHolder:
    """Who holds the run lock: enough for a person to find the process."""

    pid: int
    host: str
    since: str
    command: str
    heartbeat: str | None = None
    """When the holder last said it is still running (UTC); None in notes from before."""

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.since} ({self.command})"

    def silent_for(self, now: datetime | None = None) -> float:
        """Seconds since the holder last showed life (its heartbeat, else its start)."""
        try:
            seen = datetime.strptime(self.heartbeat or self.since, _TIME_FORMAT)
        except ValueError:
            return float("inf")  # an unreadable time proves nothing about life
        now = now or datetime.now(timezone.utc)
        return (now - seen.replace(tzinfo=timezone.utc)).total_seconds()

    def gone_here(self) -> bool:
        """On this host, and its process no longer exists."""
        return self.host == _this_host() and not _pid_alive(self.pid)


def _described(holder: LockHolder | None) -> str | None:
    return holder.describe() if holder else None


def _read_note(path: Path) -> LockHolder | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return LockHolder(**raw)
    except (OSError, ValueError, TypeError):
        return None


def _refuse_folders(state_dir: Path) -> None:
    """`WorkdirError` when a folder sits where the lock, its note or the note's temp file go."""
    for name in (_LOCK_NAME, _NOTE_NAME, _NOTE_TMP_NAME):
        if (state_dir / name).is_dir():
            raise WorkdirError(
                state_dir / name,
                "is a folder, where the run lock keeps a file; remove it and run again "
                "(nothing was changed)",
            )


def _takeover_message(holder: LockHolder, why: str) -> str:
    return (
        f"taking over the lock left by pid {holder.pid} on {holder.host} "
        f"since {holder.since}; {why}"
    )


class RunLock:
    """Exclusive, non-blocking lock for runs that change the catalog of one lockfile.

    Use as a context manager; entering raises `LockHeld` at once when another run holds it.
    A lock whose holder is gone is taken over, with a warning logged (module docstring).
    """

    def __init__(
        self,
        lockfile: Path,
        state_dir: Path,
        command: str = "apply",
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        self.lockfile = lockfile
        self._lock_path = state_dir / _LOCK_NAME
        self._note_path = state_dir / _NOTE_NAME
        self._command = command
        self._timeout = lock_timeout
        self._lock = filelock.FileLock(self._lock_path, timeout=0)
        self._me: LockHolder | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self.took_over: LockHolder | None = None
        """The holder whose lock this run took over, if any."""

    def holder(self) -> LockHolder | None:
        """The note left by the current holder, if one can be read."""
        return _read_note(self._note_path)

    def __enter__(self) -> RunLock:
        make_cache_dir(self._lock_path.parent)
        _refuse_folders(self._lock_path.parent)
        try:
            self._lock.acquire()
        except filelock.Timeout as exc:
            self._break_stale(self.holder(), exc)
        else:
            self._check_left(self.holder())
        self._me = LockHolder(
            pid=os.getpid(),
            host=_this_host(),
            since=_now(),
            command=f"videosync {self._command}",
            heartbeat=_now(),
        )
        self._write_note(self._me)
        # Refreshed well within the timeout, so a long run on another host is never
        # mistaken for a dead one.
        interval = max(0.05, min(60.0, self._timeout / 4))
        self._beat = threading.Thread(
            target=self._heartbeat, args=(interval,), name="runlock-heartbeat", daemon=True
        )
        self._beat.start()
        return self

    def _stale_elsewhere(self, holder: LockHolder | None) -> bool:
        return (
            holder is not None
            and holder.host != _this_host()
            and holder.silent_for() > self._timeout
        )

    def _await_note(self) -> LockHolder | None:
        """The holder's note, waiting briefly for one that took the lock a moment ago and is
        writing it now (two runs started together)."""
        deadline = time.monotonic() + _NOTE_WAIT
        holder = self.holder()
        while holder is None and time.monotonic() < deadline:
            time.sleep(0.02)
            holder = self.holder()
        return holder

    def _break_stale(self, holder: LockHolder | None, exc: filelock.Timeout) -> None:
        """The OS lock is held: only a silent holder on another host is taken over."""
        holder = holder or self._await_note()
        gone = holder is not None and holder.host == _this_host() and not _pid_alive(holder.pid)
        # Its holder is gone, yet the lock is held a moment longer: a process it was forking
        # when it was killed holds a copy of the lock's file descriptor until that child
        # closes it (a few ms). Wait for the OS lock, never take it.
        if gone and self._acquired_within(_GONE_WAIT):
            self._check_left(holder)
            return
        if holder is None or not self._stale_elsewhere(holder):
            raise LockHeld(self.lockfile, _described(holder)) from exc
        log.warning(_takeover_message(holder, f"no sign of life for over {self._timeout:.0f} s"))
        # Its lock lives on the old file's inode: a new file is a new lock.
        self._lock_path.unlink(missing_ok=True)
        self._lock = filelock.FileLock(self._lock_path, timeout=0)
        try:
            self._lock.acquire()
        except filelock.Timeout as again:  # another run broke it first
            raise LockHeld(self.lockfile, _described(self.holder())) from again
        self.took_over = holder

    def _acquired_within(self, seconds: float) -> bool:
        """Wait up to `seconds` for the OS lock; whether it was taken."""
        try:
            self._lock.acquire(timeout=seconds, poll_interval=0.05)
        except filelock.Timeout:
            return False
        return True

    def _check_left(self, holder: LockHolder | None) -> None:
        """The OS lock was free: say whose note was left, or refuse if it may be live."""
        if holder is None:
            return
        if holder.host == _this_host():
            why = (
                "that process is gone"
                if not _pid_alive(holder.pid)
                else "that process no longer holds it"
            )
        elif holder.silent_for() > self._timeout:
            why = f"no sign of life for over {self._timeout:.0f} s (it ran on another host)"
        else:
            # The lock of another host may be invisible from here: a fresh note is a run.
            self._lock.release()
            raise LockHeld(self.lockfile, _described(holder))
        log.warning(_takeover_message(holder, why))
        self.took_over = holder

    def _write_note(self, holder: LockHolder) -> None:
        tmp = self._note_path.parent / _NOTE_TMP_NAME
        with writing(self._note_path):  # a full disk is named as such, before any work
            tmp.write_text(json.dumps(asdict(holder)), encoding="utf-8")
            tmp.replace(self._note_path)

    def _heartbeat(self, interval: float) -> None:
        while not self._stop.wait(interval):
            if self._me is None:
                return
            # A missed beat only makes a takeover from another host come sooner.
            with contextlib.suppress(OSError):
                self._write_note(replace(self._me, heartbeat=_now()))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        self._note_path.unlink(missing_ok=True)
        self._lock.release()


def lock_holder(state_dir: Path) -> LockHolder | None:
    """Who the note in `state_dir` says holds the run lock (None: no note)."""
    return _read_note(state_dir / _NOTE_NAME)


def remove_lock(lockfile: Path, state_dir: Path) -> LockHolder | None:
    """Remove the run lock and its note by hand (`videosync unlock`); the holder it named.

    Refuses (`UsageError`) while the holder is a live process on this host that still has
    the OS lock: removing it would let two runs change the catalog at once.
    """
    lock_path, note_path = state_dir / _LOCK_NAME, state_dir / _NOTE_NAME
    _refuse_folders(state_dir)
    holder = _read_note(note_path)
    probe = filelock.FileLock(lock_path, timeout=0)
    held_here = False
    if lock_path.exists():
        try:
            probe.acquire()
        except filelock.Timeout:
            held_here = True
        else:
            probe.release()
    if held_here and (holder is None or holder.host == _this_host()):
        who = holder.describe() if holder else "a process on this host"
        raise UsageError(
            f"{lockfile.name} is locked by a running videosync: {who}; "
            "stop that process (or let it finish) instead of unlocking"
        )
    note_path.unlink(missing_ok=True)
    lock_path.unlink(missing_ok=True)
    return holder
