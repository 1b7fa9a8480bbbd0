"""The lockfile, `videosync.lock`: what videosync uploaded, recorded beside the manifest.

It is read by people as much as by videosync: JSON with sorted keys, two-space indent and a
trailing newline, one block per key, so a `git diff` shows exactly what changed in the
catalog. It holds per manifest key the video_id, the attributes sent at upload, the file's
size and content hash; per managed group its group_id and attributes. Never the API key,
absolute paths or stat data (those live in the git-ignored `.videosync/`).

A lockfile that cannot be trusted (corrupt, truncated, from a newer videosync) is an error
that stops the run before any API call, and it is never overwritten.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from videosync.errors import LockError
from videosync.schemas import schema_validator

__all__ = [
    "LOCKFILE_NAME",
    "LOCKFILE_VERSION",
    "LockEntry",
    "LockGroup",
    "Lockfile",
    "Source",
    "VideoSpec",
    "dumps_lockfile",
    "format_start",
    "load_lockfile",
    "lockfile_path",
    "parse_lockfile",
    "save_lockfile",
    "schema_error",
    "start_to_ms",
    "write_atomic",
]

LOCKFILE_NAME = "videosync.lock"
LOCKFILE_VERSION = 2
"""Version 2: content hashes are `blake3:`, and entries may carry `git_oid` and `sha256`.

A version 1 lockfile (`sha256:` hashes, no git identities) is read as it is; its entries keep
their sha256 until they are next uploaded (hashing.py), and it is written back as version 2.
"""


@dataclass(frozen=True, slots=True)
class Source:
    """Where an upload's bytes come from: a path relative to the manifest's folder, or a URL."""

    path: str | None = None
    """POSIX path relative to the manifest's folder (never absolute)."""
    url: str | None = None

    def to_json(self) -> dict[str, str]:
        return {"path": self.path} if self.path is not None else {"url": self.url or ""}

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Source:
        return cls(path=data["path"]) if "path" in data else cls(url=data["url"])

    def __str__(self) -> str:
        return self.path if self.path is not None else f"{self.url}"


@dataclass(frozen=True, slots=True)
class VideoSpec:
    """The attributes a video is uploaded with; the API cannot change them afterwards."""

    name: str
    group: str
    """The manifest's group: `default`, a UUID, or a name under `groups:`."""
    group_id: str | None
    """The group the upload goes to; None while a managed group is still to be created."""
    start: str | None
    """Absolute start timestamp, ISO 8601 in UTC (`format_start`)."""
    index: bool
    thumbnails: bool
    source: Source

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "group": self.group,
            "group_id": self.group_id,
            "start": self.start,
            "index": self.index,
            "thumbnails": self.thumbnails,
            "source": self.source.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VideoSpec:
        return cls(
            name=data["name"],
            group=data["group"],
            group_id=data["group_id"],
            start=data["start"],
            index=data["index"],
            thumbnails=data["thumbnails"],
            source=Source.from_json(data["source"]),
        )


@dataclass(frozen=True, slots=True)
class LockEntry:
    """One uploaded video, under its manifest key."""

    video_id: str
    spec: VideoSpec
    size: int | None
    """Bytes of the local file uploaded; None for URL entries."""
    hash: str | None
    """`blake3:<hex>` (`sha256:<hex>` in entries from version 1) of the file uploaded; None
    for URL entries."""
    uploaded_at: str | None = None
    protect: bool = False
    git_oid: str | None = None
    """The git blob id of the bytes uploaded (`git hash-object FILE`), when known: a plan in
    a git checkout takes an unmodified tracked file with this blob as unchanged unread."""
    sha256: str | None = None
    """The sha256 hex of the bytes uploaded, when known: what a git-LFS pointer names."""

    def __post_init__(self) -> None:
        # A digest from the hasher (`hashing.ContentDigest`) carries the git identities of
        # the same bytes: every place that records a hash records them with it.
        if self.hash is not None and type(self.hash) is not str:
            git_oid = getattr(self.hash, "git_oid", None)
            sha256 = getattr(self.hash, "sha256", None)
            object.__setattr__(self, "hash", str.__str__(self.hash))
            if self.git_oid is None:
                object.__setattr__(self, "git_oid", git_oid)
            if self.sha256 is None:
                object.__setattr__(self, "sha256", sha256)

    def to_json(self) -> dict[str, Any]:
        out = self.spec.to_json()
        out.update(
            video_id=self.video_id,
            size=self.size,
            hash=self.hash,
            uploaded_at=self.uploaded_at,
            protect=self.protect,
        )
        # Only where known: a version 1 entry or a URL entry has neither.
        if self.git_oid is not None:
            out["git_oid"] = self.git_oid
        if self.sha256 is not None:
            out["sha256"] = self.sha256
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LockEntry:
        return cls(
            video_id=data["video_id"],
            spec=VideoSpec.from_json(data),
            size=data["size"],
            hash=data["hash"],
            uploaded_at=data["uploaded_at"],
            protect=data["protect"],
            git_oid=data.get("git_oid"),
            sha256=data.get("sha256"),
        )


@dataclass(frozen=True, slots=True)
class LockGroup:
    """A managed group videosync created, under the name the manifest gives it."""

    group_id: str
    name: str
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"group_id": self.group_id, "name": self.name, "metadata": dict(self.metadata)}


@dataclass(frozen=True, slots=True)
class Lockfile:
    """The recorded state: what the last apply left on the server, by manifest key."""

    videos: Mapping[str, LockEntry] = field(default_factory=dict)
    groups: Mapping[str, LockGroup] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": LOCKFILE_VERSION,
            "videos": {key: entry.to_json() for key, entry in self.videos.items()},
            "groups": {ref: group.to_json() for ref, group in self.groups.items()},
        }


def lockfile_path(manifest: Path) -> Path:
    """The lockfile that belongs to `manifest`: `videosync.lock` in the same folder."""
    return manifest.parent / LOCKFILE_NAME


def format_start(when: datetime) -> str:
    """A start timestamp as the lockfile and the plan write it: ISO 8601, UTC, `Z`.

    Milliseconds are kept when present, since the API stores milliseconds.
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    utc = when.astimezone(timezone.utc)
    spec = "milliseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def start_to_ms(start: str) -> int:
    """Milliseconds since the epoch of a `format_start` timestamp (how the API reports it)."""
    when = datetime.fromisoformat(start.removesuffix("Z")).replace(tzinfo=timezone.utc)
    return round(when.timestamp() * 1000)


def schema_error(name: str, data: Any) -> str | None:
    """`at PATH: MESSAGE` for the first place `data` breaks schema `name`, or None if valid."""
    validator = schema_validator(name)
    if validator.is_valid(data):
        return None
    first = min(validator.iter_errors(data), key=lambda e: [str(p) for p in e.instance_path])
    at = "/".join(str(p) for p in first.instance_path) or "(top level)"
    return f"at {at}: {first.message}"


def dumps_lockfile(lockfile: Lockfile) -> str:
    """The lockfile's text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(lockfile.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_RESTORE = "restore it from git (git checkout -- {name}) or move it aside to start over"


def parse_lockfile(text: str, where: str = LOCKFILE_NAME) -> Lockfile:
    """Read a lockfile's text; `LockError` (exit 3) says what is wrong and what to do."""
    name = Path(where).name
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockError(
            f"{where}:{exc.lineno}:{exc.colno}: the lockfile is corrupt or truncated "
            f"({exc.msg}); {_RESTORE.format(name=name)}"
        ) from None
    version = data.get("version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > LOCKFILE_VERSION:
        raise LockError(
            f"{where}: lockfile version {version} was written by a newer videosync "
            f"(this one reads version {LOCKFILE_VERSION}); upgrade videosync"
        )
    error = schema_error("lockfile", data)
    if error is not None:
        raise LockError(f"{where}: the lockfile is not valid {error}; {_RESTORE.format(name=name)}")
    return Lockfile(
        videos={key: LockEntry.from_json(v) for key, v in sorted(data["videos"].items())},
        groups={
            ref: LockGroup(group_id=g["group_id"], name=g["name"], metadata=g["metadata"])
            for ref, g in sorted(data["groups"].items())
        },
    )


def load_lockfile(path: Path) -> Lockfile:
    """The recorded state in `path`; an empty `Lockfile` when there is none yet."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Lockfile()
    except OSError as exc:
        raise LockError(f"{path}: cannot read the lockfile: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LockError(
            f"{path}: the lockfile is not UTF-8 text; {_RESTORE.format(name=path.name)}"
        ) from None
    return parse_lockfile(text, str(path))


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a reader sees the old bytes or the new, never a mix.

    Temp file in the same folder (same file system, so the rename is atomic), fsync of the
    file before the rename and of the folder after, so a power cut keeps one whole version.
    """
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            Path(tmp).chmod(path.stat().st_mode & 0o777)
        else:
            Path(tmp).chmod(0o666 & ~_umask())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_lockfile(path: Path, lockfile: Lockfile) -> None:
    """Write the lockfile atomically.

    Refuses (`LockError`) to overwrite a lockfile that cannot be read: it may hold the only
    record of what was uploaded, and the person must decide what to do with it.
    """
    if path.exists():
        load_lockfile(path)
    write_atomic(path, dumps_lockfile(lockfile).encode("utf-8"))
