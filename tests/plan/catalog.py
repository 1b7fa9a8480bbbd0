"""Catalogs on disk and "already applied" states for command tests over the emulator.

Apply is not built yet (a later issue), so an applied state is made here the plain way:
upload each entry with the API client, then write the lockfile that apply would write.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from videosync.api.client import SyncVisionClient
from videosync.content.localfiles import hash_file
from videosync.manifest.loader import load_manifest
from videosync.model import LockEntry, Lockfile, LockGroup, Source, VideoSpec, format_start
from videosync.state.lockfile import lockfile_path, save_lockfile

MANIFEST = """\
version: 1
groups:
  marketing:
    name: Marketing clips
    metadata: {campaign: launch}
videos:
  - path: media/intro.mp4
    name: Intro
    start: 2025-04-12T19:05:45
    group: marketing
  - path: media/b.mp4
  - path: media/c.mp4
    protect: true
"""


def write_catalog(folder: Path, samples: list[Path], manifest: str = MANIFEST) -> Path:
    """A manifest and its media files in `folder`; returns the manifest's path."""
    media = folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    for name, sample in zip(("intro.mp4", "b.mp4", "c.mp4"), samples, strict=True):
        shutil.copyfile(sample, media / name)
    path = folder / "videosync.yaml"
    path.write_text(manifest, encoding="utf-8")
    return path


def apply_by_hand(manifest_path: Path, url: str, api_key: str) -> Lockfile:
    """Upload every entry and write the lockfile, as `videosync apply` will."""
    manifest = load_manifest(manifest_path)
    groups: dict[str, LockGroup] = {}
    videos: dict[str, LockEntry] = {}
    with SyncVisionClient(url, api_key) as client:
        for group in manifest.groups:
            if group.managed:
                made = client.create_group(group.name or group.ref, group.metadata)
                groups[group.ref] = LockGroup(made.group_id, made.name, dict(made.metadata))
        for v in manifest.videos:
            assert v.path is not None
            group_id = groups[v.group].group_id if v.group in groups else v.group
            result = client.upload_file(
                v.path, name=v.name, filename=v.key, index=v.index,
                thumbnails=v.thumbnails, start=v.start, group_id=group_id,
            )  # fmt: skip
            spec = VideoSpec(
                name=v.name, group=v.group, group_id=group_id,
                start=format_start(v.start) if v.start else None, index=v.index,
                thumbnails=v.thumbnails,
                source=Source(path=v.path.relative_to(manifest.root).as_posix()),
            )  # fmt: skip
            videos[v.key] = LockEntry(
                result.video_id, spec, v.path.stat().st_size, hash_file(v.path),
                uploaded_at="2026-01-01T00:00:00Z", protect=v.protect,
            )  # fmt: skip
    lockfile = Lockfile(videos=videos, groups=groups)
    save_lockfile(lockfile_path(manifest.path), lockfile)
    return lockfile
