"""The plain values that flow between the manifest, the lockfile, the API and the planner.

Data flows one way: manifest → desired (`DesiredVideo`, `DesiredGroup`, `DesiredState`),
API → remote (`RemoteVideo`, `RemoteGroup`, `RemoteState`), lockfile → recorded
(`Lockfile` of `LockEntry` and `LockGroup`). All frozen, all typed, no I/O; the
conventions they share (start timestamps, the key of a replaced copy) live beside them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Protocol

__all__ = [
    "API_VERSIONS",
    "DEFAULT_GROUP",
    "FEATURES",
    "INDEX_FEATURES",
    "LOCKFILE_VERSION",
    "LOCKFILE_VERSION_V2",
    "ApiVersion",
    "Desired",
    "DesiredGroup",
    "DesiredState",
    "DesiredVideo",
    "GroupSpec",
    "Location",
    "LockEntry",
    "LockGroup",
    "Lockfile",
    "RemoteGroup",
    "RemoteState",
    "RemoteVideo",
    "Source",
    "VideoSpec",
    "duplicate_key",
    "format_start",
    "is_orphan_key",
    "orphan_key",
    "parse_start",
    "parse_utc",
    "start_to_ms",
    "utc_now",
]

DEFAULT_GROUP = "default"
"""The group every video is in when it names none (the API's own word for it)."""

ApiVersion = Literal["v1", "v2"]
API_VERSIONS: tuple[ApiVersion, ...] = ("v1", "v2")
"""The Vision API's versions: v1 (the seed's video management calls; no update call) and
v2 (in-place PATCH of name, title, description and group; per-video features)."""

FEATURES: tuple[str, ...] = ("transcript", "captions", "embeddings", "objects")
"""The v2 features a manifest can declare (those the API can trigger), dependencies first."""

INDEX_FEATURES: tuple[str, ...] = ("transcript", "captions", "embeddings")
"""What `index: true` stands for under v2: v1's search-and-QA indexing is these features."""


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
    title: str | None = None
    """v2 only: the video's title (its name when unset)."""
    description: str | None = None
    """v2 only: the video's description."""
    features: tuple[str, ...] | None = None
    """v2 only: the features declared (`FEATURES` names); None when the manifest declares
    none, in which case `index: true` stands for `INDEX_FEATURES` under v2."""

    def wanted_features(self) -> tuple[str, ...]:
        """The features this entry wants under v2, in `FEATURES` order."""
        if self.features is None:
            return INDEX_FEATURES if self.index else ()  # in FEATURES order already
        return tuple(f for f in FEATURES if f in self.features)


class DesiredState(Protocol):
    """What the planner reads of a manifest (`videosync.manifest.loader.Manifest` is one)."""

    @property
    def root(self) -> Path: ...
    @property
    def videos(self) -> Sequence[DesiredVideo]: ...
    @property
    def groups(self) -> Sequence[DesiredGroup]: ...


@dataclass(frozen=True)
class Desired:
    """A desired state from plain values (tests, library callers without a manifest file)."""

    root: Path
    videos: Sequence[DesiredVideo]
    groups: Sequence[DesiredGroup] = ()


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
    title: str | None = None
    """`metadata.title` (v2 sets it; v1 shows the name there)."""
    description: str | None = None
    """`metadata.description`."""
    status: str | None = None
    """v2's upload status (`uploading`, `uploaded`, `failed`); None from v1."""
    features: Mapping[str, str] | None = None
    """v2's per-feature statuses (`none`, `pending`, `processing`, `ready`, `failed`,
    `blocked`); None from v1, which has none."""

    @property
    def remote_status(self) -> str:
        """One word or two for a listing: v1's indexing status; under v2 the upload status
        and, once uploaded, how many of its features are ready (`uploaded, 2/3 ready`)."""
        if self.features is None or self.status is None:
            return self.indexing_status or self.status or "unknown"
        if self.status != "uploaded" or not self.features:
            return self.status
        ready = sum(1 for status in self.features.values() if status == "ready")
        failed = [name for name, status in self.features.items() if status == "failed"]
        word = f"{self.status}, {ready}/{len(self.features)} ready"
        return word + (f", {'+'.join(failed)} failed" if failed else "")


@dataclass(frozen=True)
class RemoteGroup:
    """A video group as the API lists it."""

    group_id: str
    name: str
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class RemoteState:
    """The catalog as listed at the start of a run."""

    videos: tuple[RemoteVideo, ...]
    groups: tuple[RemoteGroup, ...]
    api_version: ApiVersion = "v1"
    """The API version it was listed with (and the run speaks)."""
    feature_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """v2: the API's feature catalog, each feature with those it depends on."""


# --- recorded state: what the lockfile holds --------------------------------------------

LOCKFILE_VERSION = 2
"""Version 2: content hashes are `blake3:`, and entries may carry `git_oid` and `sha256`.

A version 1 lockfile (`sha256:` hashes, no git identities) is read as it is; its entries keep
their sha256 until they are next uploaded (`content/localfiles.py`), and it is written back
as version 2.
"""


LOCKFILE_VERSION_V2 = 3
"""Version 3: written by an apply under API v2 (`api_version: v2`); entries may carry
`title`, `description` and `features`. Version 2 is still what an apply under v1 writes."""


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
    title: str | None = None
    description: str | None = None
    features: tuple[str, ...] = ()
    """v2: the features wanted (`DesiredVideo.wanted_features`); always () under v1."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "group": self.group,
            "group_id": self.group_id,
            "start": self.start,
            "index": self.index,
            "thumbnails": self.thumbnails,
            "source": self.source.to_json(),
        }
        # Only where set, so what v1 writes stays as it was.
        if self.title is not None:
            out["title"] = self.title
        if self.description is not None:
            out["description"] = self.description
        if self.features:
            out["features"] = list(self.features)
        return out

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
            title=data.get("title"),
            description=data.get("description"),
            features=tuple(data.get("features", ())),
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
        # A digest from the hasher (`content.digest.ContentDigest`) carries the git identities of
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
    api_version: ApiVersion | None = None
    """The API version the last apply used; None: v1 (lockfiles from before v2)."""

    def to_json(self) -> dict[str, Any]:
        if self.api_version == "v2":
            # A version older videosyncs refuse: they would take v2's in-place updates
            # and features for drift and replace every video.
            return {
                "version": LOCKFILE_VERSION_V2,
                "api_version": "v2",
                "videos": {key: entry.to_json() for key, entry in self.videos.items()},
                "groups": {ref: group.to_json() for ref, group in self.groups.items()},
            }
        return {
            "version": LOCKFILE_VERSION,
            "videos": {key: entry.to_json() for key, entry in self.videos.items()},
            "groups": {ref: group.to_json() for ref, group in self.groups.items()},
        }


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """The attributes of a managed group: what `create` sends and `update` sets."""

    name: str
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "metadata": dict(self.metadata)}


_ORPHAN_MARK = " (replaced copy "


def orphan_key(key: str, video_id: str) -> str:
    """The lockfile key of a replace's old copy still to delete.

    A replace records its new copy under the entry's key and keeps the old copy under this
    key, which no manifest has, so the next plan deletes it: a crash between the upload and
    the delete neither leaks the old copy nor deletes the new one.
    """
    return f"{key}{_ORPHAN_MARK}{video_id})"


def is_orphan_key(key: str) -> bool:
    """Whether `key` is one `orphan_key` made (a replaced copy, not a managed entry)."""
    return key.endswith(")") and _ORPHAN_MARK in key


def duplicate_key(key: str) -> str:
    """How a plan names the delete of a duplicate of entry (or group) `key`: a second copy
    on the server of what videosync made for it (the action's id says which). Never a
    lockfile key."""
    return f"{key} (duplicate)"


# --- timestamps ---------------------------------------------------------------------------


def format_start(when: datetime) -> str:
    """A start timestamp as the lockfile and the plan write it: ISO 8601, UTC, `Z`.

    Milliseconds are kept when present, since the API stores milliseconds.
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    utc = when.astimezone(timezone.utc)
    spec = "milliseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def parse_start(start: str) -> datetime:
    """The timezone-aware datetime of a `format_start` timestamp."""
    return datetime.fromisoformat(start.removesuffix("Z")).replace(tzinfo=timezone.utc)


def start_to_ms(start: str) -> int:
    """Milliseconds since the epoch of a `format_start` timestamp (how the API reports it)."""
    return round(parse_start(start).timestamp() * 1000)


_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> str:
    """Now, as videosync records when something happened: `2025-04-12T19:05:45Z`."""
    return datetime.now(timezone.utc).strftime(_UTC_FORMAT)


def parse_utc(text: str) -> datetime:
    """The time `utc_now` wrote (`ValueError` for anything else)."""
    return datetime.strptime(text, _UTC_FORMAT).replace(tzinfo=timezone.utc)
