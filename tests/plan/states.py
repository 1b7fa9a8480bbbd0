"""Plain-value builders for planner tests: desired, recorded and remote states in one line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from videosync.content.localfiles import LocalFileState
from videosync.model import (
    Desired,
    DesiredGroup,
    DesiredVideo,
    LockEntry,
    Lockfile,
    LockGroup,
    RemoteGroup,
    RemoteVideo,
    Source,
    VideoSpec,
)
from videosync.planning.plan import Plan
from videosync.planning.planner import compute_plan

ROOT = Path("/catalog")
H1 = "sha256:" + "1a2b3c4d" * 8
H2 = "sha256:" + "9f8e7d6c" * 8
SIZE = 1000


def video(
    key: str = "a.mp4",
    *,
    name: str | None = None,
    url: str | None = None,
    group: str = "default",
    start: datetime | None = None,
    index: bool = True,
    thumbnails: bool = False,
    protect: bool = False,
    path: str | None = None,
) -> DesiredVideo:
    """A manifest entry; a file at `ROOT/key` unless `url` is given."""
    return DesiredVideo(
        key=key,
        name=name if name is not None else Path(key).stem,
        path=None if url else ROOT / (path or key),
        url=url,
        group=group,
        start=start,
        index=index,
        thumbnails=thumbnails,
        protect=protect,
    )


def spec_of(v: DesiredVideo, group_id: str | None = None) -> VideoSpec:
    return VideoSpec(
        name=v.name,
        group=v.group,
        group_id=group_id or v.group,
        start=None if v.start is None else v.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        index=v.index,
        thumbnails=v.thumbnails,
        source=Source(path=v.path.relative_to(ROOT).as_posix()) if v.path else Source(url=v.url),
    )


def entry(
    v: DesiredVideo,
    video_id: str,
    *,
    size: int = SIZE,
    digest: str = H1,
    group_id: str | None = None,
    protect: bool = False,
    **spec_changes: Any,
) -> tuple[str, LockEntry]:
    """The lockfile entry of `v` as uploaded, optionally with different upload attributes."""
    spec = spec_of(v, group_id)
    if spec_changes:
        spec = replace(spec, **spec_changes)
    is_file = v.path is not None
    return v.key, LockEntry(
        video_id=video_id,
        spec=spec,
        size=size if is_file else None,
        hash=digest if is_file else None,
        uploaded_at="2026-01-01T00:00:00Z",
        protect=protect,
    )


def lock(
    *entries: tuple[str, LockEntry], groups: Mapping[str, LockGroup] | None = None
) -> Lockfile:
    return Lockfile(videos=dict(entries), groups=dict(groups or {}))


def remote(
    video_id: str,
    source: str | None = "a.mp4",
    *,
    name: str | None = None,
    group_id: str = "default",
    status: str = "indexed",
    start_ms: int | None = None,
) -> RemoteVideo:
    return RemoteVideo(
        video_id=video_id,
        name=name if name is not None else (Path(source).stem if source else None),
        group_id=group_id,
        indexing_status=status,
        source=source,
        start_ms=start_ms,
    )


def managed(ref: str, name: str | None = None, **metadata: Any) -> DesiredGroup:
    return DesiredGroup(ref=ref, name=name or ref.title(), metadata=dict(metadata))


def referenced(ref: str, group_id: str) -> DesiredGroup:
    return DesiredGroup(ref=ref, group_id=group_id)


def rgroup(group_id: str, name: str, **metadata: Any) -> RemoteGroup:
    return RemoteGroup(group_id=group_id, name=name, metadata=dict(metadata))


def plan_of(
    videos: Iterable[DesiredVideo] = (),
    recorded: Lockfile | None = None,
    remote_videos: Iterable[RemoteVideo] = (),
    *,
    groups: Iterable[DesiredGroup] = (),
    remote_groups: Iterable[RemoteGroup] = (),
    local: Mapping[str, LocalFileState] | None = None,
    **options: Any,
) -> Plan:
    """`compute_plan` where every local file is `SIZE` bytes with digest `H1` unless told.

    The empty-manifest rail is off unless asked for (`allow_empty=False`): these tests empty
    small manifests on purpose; tests/rails tests the rails themselves.
    """
    options.setdefault("allow_empty", True)
    videos = list(videos)
    states = {v.key: LocalFileState(SIZE, H1) for v in videos if v.path is not None}
    states.update(local or {})
    return compute_plan(
        Desired(root=ROOT, videos=videos, groups=list(groups)),
        recorded or Lockfile(),
        list(remote_videos),
        list(remote_groups),
        local=states,
        **options,
    )
