"""The plain values that flow between the manifest, the lockfile, the API and the planner.

Data flows one way: manifest → desired (`DesiredVideo`, `DesiredGroup`), API → remote
(`RemoteVideo`, `RemoteGroup`), lockfile → recorded. All frozen, all typed, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_GROUP",
    "DesiredGroup",
    "DesiredVideo",
    "Location",
    "RemoteGroup",
    "RemoteVideo",
]

DEFAULT_GROUP = "default"
"""The group every video is in when it names none (the API's own word for it)."""


@dataclass(frozen=True, order=True)
class Location:
    """Where a value came from in the manifest: `file:line:column` (1-based)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class DesiredGroup:
    """A group the manifest references, by the name it has under `groups:`.

    A *managed* group (`name` and `metadata` given) is created and kept in sync by
    videosync; a *referenced* group (`group_id` given) already exists and is only used.
    """

    ref: str
    """The name the manifest's entries use to point at this group (its key under `groups:`)."""
    name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    group_id: str | None = None
    location: Location | None = field(default=None, compare=False)

    @property
    def managed(self) -> bool:
        return self.group_id is None


@dataclass(frozen=True)
class DesiredVideo:
    """One video the manifest wants on the server, after defaults and globs are resolved."""

    key: str
    """Unique across the manifest: `id:` when given, else the POSIX path relative to the
    manifest's folder, else the URL. Sent as the multipart filename, kept by the server
    as `metadata.source`."""
    name: str
    path: Path | None
    """Absolute path of a local file (exactly one of `path` and `url` is set)."""
    url: str | None
    group: str
    """`default`, a group UUID, or a `ref` from the manifest's `groups:`."""
    start: datetime | None
    """Absolute start timestamp, timezone-aware (a timestamp without offset is UTC)."""
    index: bool = True
    thumbnails: bool = False
    protect: bool = False
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RemoteVideo:
    """A video as the API lists it (`api/NOTES.md`, "The Video object")."""

    video_id: str
    name: str | None
    group_id: str
    indexing_status: str | None
    source: str | None
    """The multipart filename or `video_url` sent at upload: videosync sends the key."""
    start_ms: int | None
    """`metadata.video_start_timestamp_utc_ms`."""
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    avg_fps: float | None = None
    indexing_type: str | None = None


@dataclass(frozen=True)
class RemoteGroup:
    """A video group as the API lists it."""

    group_id: str
    name: str
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: str | None = None
    updated_at: str | None = None
