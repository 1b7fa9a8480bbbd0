"""Storing uploaded files: one thread probes them and commits them in batches.

An upload is answered only once it is durable: its file's data, its name under `videos/`
and its SQLite row. One upload at a time, that is three journal commits of the file system
(the file's fsync, the directory's, the WAL's) and hand-overs between threads that cost
more CPU than a small upload's own work. So the event loop hands each complete upload to
one thread, which takes every upload waiting at once: probes each, then stores them as one
batch (`Store.add_file_videos`: one directory fsync, one transaction), then answers each.
Uploads that arrive while it works make up the next batch. The answer still waits for the
commit, so a kill -9 loses nothing that was answered.
"""

from __future__ import annotations

import asyncio
import copy
import threading
import time
from concurrent.futures import Future
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from videosync.emulator.media import NotAVideo, probe
from videosync.emulator.store import Store, VideoRecord

__all__ = ["UploadCommitter"]


@dataclass(frozen=True)
class _Upload:
    temp: Path
    video: VideoRecord
    size: int
    stored: Future[VideoRecord]


class UploadCommitter:
    """The thread that probes and stores uploaded files; started by the first upload."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._changed = threading.Condition()
        self._waiting: list[_Upload] = []
        self._thread: threading.Thread | None = None
        self._closed = False

    async def store(self, temp: Path, video: VideoRecord, size: int) -> VideoRecord:
        """Probe the complete file at `temp` and store it with `video`'s row; the stored row.

        Returns once it is durable. Cancelled before its batch starts, the upload is not
        stored; later, it is (as a request whose answer was lost).
        """
        stored: Future[VideoRecord] = Future()
        with self._changed:
            if self._closed:
                raise RuntimeError("the emulator is stopping: no upload is stored now")
            self._waiting.append(_Upload(temp, video, size, stored))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="videosync-emulator-commits", daemon=True
                )
                self._thread.start()
            self._changed.notify()
        return await asyncio.wrap_future(stored)

    def close(self) -> None:
        """Store what is waiting, then stop the thread. Blocking."""
        with self._changed:
            self._closed = True
            self._changed.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while (batch := self._take(wait=True)) is not None:
            try:
                probed = self._probe(batch)
                # Uploads that came while those were probed join the same commit.
                while more := self._take(wait=False):
                    batch += more
                    probed += self._probe(more)
                self._store_all(probed)
            except BaseException as exc:  # the thread must live on: no upload may hang
                for upload in batch:
                    if not upload.stored.done():
                        upload.stored.set_exception(copy.copy(exc))

    def _take(self, *, wait: bool) -> list[_Upload] | None:
        """The uploads waiting (their requests not cancelled); None once closed and done."""
        with self._changed:
            while wait and not self._waiting and not self._closed:
                self._changed.wait()
            if wait and not self._waiting:
                return None
            taken, self._waiting = self._waiting, []
        return [upload for upload in taken if upload.stored.set_running_or_notify_cancel()]

    @staticmethod
    def _probe(uploads: list[_Upload]) -> list[tuple[_Upload, VideoRecord]]:
        probed = []
        for upload in uploads:
            try:
                probed.append((upload, _probed(upload)))
            except Exception as exc:
                upload.stored.set_exception(exc)
        return probed

    def _store_all(self, probed: list[tuple[_Upload, VideoRecord]]) -> None:
        try:
            outcomes = self._store.add_file_videos(
                [(upload.temp, record) for upload, record in probed]
            )
        except BaseException as exc:
            # Each upload raises its own copy: one exception object raised by many requests
            # would collect all their tracebacks.
            for i, (upload, _) in enumerate(probed):
                upload.stored.set_exception(exc if i == 0 else copy.copy(exc))
            return
        for (upload, record), error in zip(probed, outcomes, strict=True):
            if error is None:
                upload.stored.set_result(record)
            else:
                upload.stored.set_exception(error)


def _probed(upload: _Upload) -> VideoRecord:
    """The upload's row with what the file is: its media metadata, or why it is no video."""
    try:
        measured: dict[str, Any] = asdict(probe(upload.temp))
    except NotAVideo as exc:
        measured = {"error": str(exc)}
    now = time.time()
    return replace(upload.video, created_at=now, ready_at=now, size=upload.size, **measured)
