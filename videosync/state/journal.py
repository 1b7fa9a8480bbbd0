"""The apply journal: an append-only, fsynced record of what a run is about to do and did.

The applier writes an *intent* before each upload and a record after each finished action,
each flushed to disk before the run goes on. A run killed at any instant leaves at most one
torn line at the end; the next run reads the rest, keeps the finished work and adopts the
uploads that reached the server (DESIGN.md, "Reliability").
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from videosync.errors import JournalError
from videosync.state.lockfile import write_atomic

__all__ = ["Journal"]


class Journal:
    """JSON lines in one file, each appended and fsynced before `append` returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record durably: it survives a kill -9 the instant this returns."""
        self.append_many([record])

    def append_many(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Write several records durably with one write and one fsync (a group commit)."""
        if not records:
            return
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        lines = "".join(
            json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in records
        )
        # One write() of whole lines with O_APPEND: a crash leaves them whole, or one torn
        # line at the end.
        os.write(self._fd, lines.encode("utf-8"))
        os.fsync(self._fd)

    def records(self) -> list[dict[str, Any]]:
        """Every complete record, in order. A torn last line (a crash mid-write) is dropped."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise JournalError(
                f"{self.path}: cannot read the apply journal: {exc.strerror}"
            ) from exc
        lines = data.split(b"\n")
        out: list[dict[str, Any]] = []
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                if number == len(lines):  # no newline after it: the write was cut short
                    break
                raise JournalError(
                    f"{self.path}:{number}: the apply journal is corrupt; move it aside and run "
                    "`videosync plan` to see what the catalog needs"
                ) from None
            if isinstance(record, dict):
                out.append(record)
        return out

    def rewrite(self, records: list[dict[str, Any]]) -> None:
        """Replace the whole journal by `records`, atomically (a checkpoint keeps only what
        the lockfile does not hold yet: the intents of uploads still in flight)."""
        self.close()
        if not records:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = "".join(
            json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in records
        )
        write_atomic(self.path, lines.encode("utf-8"))

    def clear(self) -> None:
        """Forget everything: called once the lockfile holds all the journal says."""
        self.close()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
