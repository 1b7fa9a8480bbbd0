"""What an apply run has done so far: in memory, journaled durably, checkpointed to the lockfile.

Every intent and done record is fsynced to the journal before the caller goes on, but not
one fsync each: records from concurrent tasks are written and fsynced together, in a
worker thread, while the event loop keeps the other uploads moving (a group commit). The
lockfile is rewritten (atomically, also off the loop) every `every_seconds` or
`every_records` done records and at the end, and the journal then trimmed to the intents
still open, so the cost stays O(n) per checkpoint and O(n²/every_records) per run, never
O(n²) per action.

A write that fails (a full disk) raises `StateWriteFailed` to the caller, and so does every
later record: the journal never skips one, and nothing is done on the strength of a record
that was not written. A checkpoint is still tried (the run's last one, from memory), and a
failed one leaves the old lockfile and journal whole.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from videosync.errors import StateWriteFailed
from videosync.model import ApiVersion, LockEntry, Lockfile, LockGroup
from videosync.state.journal import Intent, Journal, done_record
from videosync.state.lockfile import save_lockfile

__all__ = ["RunRecord"]


async def _finish_in_thread(fn: Callable[..., None], *args: Any) -> None:
    """Run `fn` in a worker thread to its end, even if the awaiting task is cancelled.

    A cancelled await would release the I/O lock while the thread still writes to the
    journal's file descriptor, and the next checkpoint could close it under the thread.
    """
    work = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    cancelled = False
    while not work.done():
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    work.result()


class RunRecord:
    """The recorded state of one run, its journal and its lockfile."""

    def __init__(
        self,
        recorded: Lockfile,
        *,
        journal: Journal,
        lock_path: Path,
        every_seconds: float = 5.0,
        every_records: int = 200,
    ) -> None:
        self.videos: dict[str, LockEntry] = dict(recorded.videos)
        self.groups: dict[str, LockGroup] = dict(recorded.groups)
        self.api_version: ApiVersion | None = recorded.api_version
        """The API version the lockfile says it was applied under (set by the applier)."""
        self._journal = journal
        self._lock_path = lock_path
        self._every_seconds = every_seconds
        self._every_records = every_records
        self._open: dict[int, Intent] = {}
        self._next_id = 0
        self._pending: list[Mapping[str, Any]] = []
        self._queued = 0  # sequence number of the last record queued
        self._written = 0  # ... and of the last one written and fsynced
        self._io = asyncio.Lock()  # one journal or lockfile write at a time
        self._since_checkpoint = 0
        self._last_checkpoint = time.monotonic()
        self._failed: StateWriteFailed | None = None
        """The first write that failed; every record after it is refused with it."""

    async def _write(self, record: Mapping[str, Any]) -> None:
        """Return once `record` is on disk; records queued meanwhile share the fsync.

        `StateWriteFailed` when it is not: its batch failed, or an earlier write did.
        """
        self._pending.append(record)
        self._queued += 1
        mine = self._queued
        async with self._io:
            if self._failed is not None:
                raise self._failed
            if self._written >= mine:
                return  # an earlier holder's batch carried it
            batch, upto = self._pending, self._queued
            self._pending = []
            try:
                await _finish_in_thread(self._journal.append_many, batch)
            except StateWriteFailed as exc:
                self._failed = exc
                raise
            self._written = upto

    async def intent(self, make: Callable[[int], Intent]) -> int:
        """Journal an intent (durably) before the call it announces; its id.

        `StateWriteFailed` when it cannot be written: the call must not be sent.
        """
        self._next_id += 1
        intent = make(self._next_id)
        self._open[intent.id] = intent
        try:
            await self._write(intent.record())
        except StateWriteFailed:
            del self._open[intent.id]  # never sent, never on disk: nothing to look for
            raise
        return intent.id

    async def done(
        self,
        intent: int | None,
        videos: Mapping[str, LockEntry | None] | None = None,
        groups: Mapping[str, LockGroup | None] | None = None,
    ) -> None:
        """Record a finished action (closing `intent`), durably; checkpoint when due.

        The change is kept in memory even when its write fails (`StateWriteFailed`): it
        happened, and the run's last checkpoint may still record it.
        """
        if intent is not None:
            self._open.pop(intent, None)
        for key, entry in (videos or {}).items():
            if entry is None:
                self.videos.pop(key, None)
            else:
                self.videos[key] = entry
        for ref, group in (groups or {}).items():
            if group is None:
                self.groups.pop(ref, None)
            else:
                self.groups[ref] = group
        await self._write(done_record(intent, videos, groups))
        self._since_checkpoint += 1
        if (
            self._since_checkpoint >= self._every_records
            or time.monotonic() - self._last_checkpoint >= self._every_seconds
        ):
            await self.checkpoint()

    def lockfile(self) -> Lockfile:
        return Lockfile(
            videos=dict(sorted(self.videos.items())),
            groups=dict(sorted(self.groups.items())),
            api_version=self.api_version,
        )

    async def checkpoint(self) -> None:
        """Rewrite the lockfile atomically, then trim the journal to the intents still open.

        Tried even after a failed write (the lockfile is written from memory); when it
        fails too, `StateWriteFailed`, and the old lockfile and journal are left whole.
        """
        self._since_checkpoint = 0
        self._last_checkpoint = time.monotonic()
        async with self._io:
            # Taken under the lock, so every intent written so far is either still open
            # (kept) or done (in the snapshot). Records still queued go in the next batch:
            # replaying them over this lockfile changes nothing.
            snapshot = self.lockfile()
            still_open = [i.record() for i in self._open.values()]
            try:
                await _finish_in_thread(self._save, snapshot, still_open)
            except StateWriteFailed as exc:
                self._failed = self._failed or exc
                raise

    def _save(self, snapshot: Lockfile, still_open: list[dict[str, Any]]) -> None:
        save_lockfile(self._lock_path, snapshot)
        self._journal.rewrite(still_open)

    def close(self) -> None:
        self._journal.close()
