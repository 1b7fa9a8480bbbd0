"""One `apply` at a time per lockfile: an OS file lock plus a note of who holds it.

The lock is an `flock` taken through the filelock library, so the kernel releases it the
moment its holder dies (kill -9 included): a crashed run never leaves a stuck lock on the
same machine. Beside it, a small JSON note says who holds it (pid, host, since when), so
the run that is refused can tell the user whom it is waiting for.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

import filelock

from videosync.errors import VideosyncError

__all__ = ["LockHeld", "LockHolder", "RunLock"]


@dataclass(frozen=True)
class LockHolder:
    """Who holds the run lock: enough for a person to find the process."""

    pid: int
    host: str
    since: str
    command: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.since} ({self.command})"


class LockHeld(VideosyncError):
    """Another videosync run holds the lock for this lockfile."""

    exit_code = 1

    def __init__(self, lockfile: Path, holder: LockHolder | None) -> None:
        self.lockfile = lockfile
        self.holder = holder
        super().__init__(str(self))

    def __str__(self) -> str:
        who = self.holder.describe() if self.holder else "a process that left no note"
        return (
            f"{self.lockfile.name} is locked by another videosync run: {who}; "
            "wait for it to finish and try again"
        )


class RunLock:
    """Exclusive, non-blocking lock for runs that change the catalog of one lockfile.

    Use as a context manager; entering raises `LockHeld` at once when another run holds it.
    """

    def __init__(self, lockfile: Path, state_dir: Path, command: str = "apply") -> None:
        self.lockfile = lockfile
        self._lock_path = state_dir / "apply.lock"
        self._note_path = state_dir / "apply.lock.json"
        self._command = command
        self._lock = filelock.FileLock(self._lock_path, timeout=0)

    def holder(self) -> LockHolder | None:
        """The note left by the current holder, if one can be read."""
        try:
            raw = json.loads(self._note_path.read_text(encoding="utf-8"))
            return LockHolder(**raw)
        except (OSError, ValueError, TypeError):
            return None

    def __enter__(self) -> RunLock:
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        ignore = self._lock_path.parent / ".gitignore"
        if not ignore.exists():
            # The lock, its note and the journal are machine-local: never to be committed.
            ignore.write_text("# videosync's machine-local cache\n*\n", encoding="utf-8")
        try:
            self._lock.acquire()
        except filelock.Timeout as exc:
            raise LockHeld(self.lockfile, self.holder()) from exc
        me = LockHolder(
            pid=os.getpid(),
            host=socket.gethostname(),
            since=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            command=f"videosync {self._command}",
        )
        tmp = self._note_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(me)), encoding="utf-8")
        tmp.replace(self._note_path)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._note_path.unlink(missing_ok=True)
        self._lock.release()
