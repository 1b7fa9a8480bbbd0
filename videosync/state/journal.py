"""The apply journal: an append-only, fsynced record of what a run is about to do and did.

The applier writes an *intent* (`UploadIntent`, `GroupIntent`) before each upload or group
creation and a *done* record (`done_record`) after each finished action, each flushed to
disk before the run goes on. A done record is a set of lockfile changes (`key → entry` or
`key → null`), so replaying the journal over the lockfile (`replay`) is idempotent: a
checkpoint that wrote the lockfile but was killed before trimming the journal replays to the
same state. A run killed at any instant leaves at most one torn line at the end; the next
run reads the rest, keeps the finished work and adopts the uploads that reached the server
(`recovery.py`; DESIGN.md, "Reliability").
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videosync.errors import JournalError
from videosync.model import GroupSpec, LockEntry, Lockfile, LockGroup, VideoSpec
from videosync.workdir import append_whole, write_atomic, writing

__all__ = ["GroupIntent", "Intent", "Journal", "Replayed", "UploadIntent", "done_record", "replay"]


class Journal:
    """JSON lines in one file, each appended and fsynced before `append` returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record durably: it survives a kill -9 the instant this returns."""
        self.append_many([record])

    def append_many(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Write several records durably with one write and one fsync (a group commit).

        `StateWriteFailed` when they cannot be written; the file is then as it was before.
        """
        if not records:
            return
        lines = "".join(
            json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in records
        )
        with writing(self.path):
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            # One write() of whole lines with O_APPEND: a crash leaves them whole, or one
            # torn line at the end; a failed write (a full disk) leaves none.
            append_whole(self._fd, lines.encode("utf-8"))

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
        the lockfile does not hold yet: the intents of uploads still in flight).

        `StateWriteFailed` when it cannot be written; the old journal is then left whole.
        """
        self.close()
        with writing(self.path):
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
        with writing(self.path):
            self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass(frozen=True)
class UploadIntent:
    """An upload about to be sent: enough to recognise and record it if it landed."""

    id: int
    key: str
    spec: VideoSpec
    """With `group_id` resolved: the group the upload is sent to."""
    replaces: str | None
    """The video_id of the copy this upload replaces (a replace), else None."""
    size: int | None
    mtime_ns: int | None
    protect: bool
    at: str

    def record(self) -> dict[str, Any]:
        return {
            "op": "intent",
            "kind": "upload",
            "id": self.id,
            "key": self.key,
            "spec": self.spec.to_json(),
            "replaces": self.replaces,
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "protect": self.protect,
            "at": self.at,
        }


@dataclass(frozen=True)
class GroupIntent:
    """A group creation about to be sent."""

    id: int
    ref: str
    spec: GroupSpec
    at: str

    def record(self) -> dict[str, Any]:
        return {
            "op": "intent",
            "kind": "group",
            "id": self.id,
            "ref": self.ref,
            "group": self.spec.to_json(),
            "at": self.at,
        }


Intent = UploadIntent | GroupIntent


def done_record(
    intent: int | None,
    videos: Mapping[str, LockEntry | None] | None = None,
    groups: Mapping[str, LockGroup | None] | None = None,
) -> dict[str, Any]:
    """A finished action: the lockfile changes it makes, and the intent it closes."""
    return {
        "op": "done",
        "intent": intent,
        "videos": {k: (e.to_json() if e else None) for k, e in (videos or {}).items()},
        "groups": {k: (g.to_json() if g else None) for k, g in (groups or {}).items()},
    }


def _intent(record: Mapping[str, Any]) -> Intent:
    if record["kind"] == "group":
        g = record["group"]
        return GroupIntent(
            id=record["id"],
            ref=record["ref"],
            spec=GroupSpec(g["name"], g["metadata"]),
            at=record["at"],
        )
    return UploadIntent(
        id=record["id"],
        key=record["key"],
        spec=VideoSpec.from_json(record["spec"]),
        replaces=record["replaces"],
        size=record["size"],
        mtime_ns=record["mtime_ns"],
        protect=record["protect"],
        at=record["at"],
    )


@dataclass(frozen=True)
class Replayed:
    """The lockfile with every finished action of the journal, and the intents left open."""

    lockfile: Lockfile
    pending: tuple[Intent, ...]
    records: int
    """How many journal records there were (0: nothing to recover)."""


def replay(records: Sequence[Mapping[str, Any]], lockfile: Lockfile, where: str = "") -> Replayed:
    """Apply the journal's done records to `lockfile`, in order; pure."""
    videos = dict(lockfile.videos)
    groups = dict(lockfile.groups)
    intents: dict[int, Intent] = {}
    try:
        for record in records:
            if record.get("op") == "intent":
                intent = _intent(record)
                intents[intent.id] = intent
            elif record.get("op") == "done":
                if record.get("intent") is not None:
                    intents.pop(record["intent"], None)
                for key, value in record["videos"].items():
                    if value is None:
                        videos.pop(key, None)
                    else:
                        videos[key] = LockEntry.from_json(value)
                for ref, value in record["groups"].items():
                    if value is None:
                        groups.pop(ref, None)
                    else:
                        groups[ref] = LockGroup(value["group_id"], value["name"], value["metadata"])
    except (KeyError, TypeError, ValueError) as exc:
        raise JournalError(
            f"{where or 'the apply journal'}: a record is unreadable ({exc!r}); move the journal "
            "aside and run `videosync plan` to see what the catalog needs"
        ) from None
    return Replayed(
        Lockfile(
            videos=dict(sorted(videos.items())),
            groups=dict(sorted(groups.items())),
            api_version=lockfile.api_version,
        ),
        tuple(intents.values()),
        len(records),
    )
