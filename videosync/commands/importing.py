"""`videosync import KEY VIDEO_ID`: record an existing remote video for a manifest entry.

For a catalog that existed before videosync: the video is checked (one get call), the
entry's local file hashed, and the lockfile records the video under KEY with the attributes
the manifest wants, exactly as if apply had uploaded it. So the next plan is a no-op when
the video matches the entry, and a replace (with the reason) where its name or group differ,
which `import` warns about at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from videosync.api.sync import SyncVisionClient
from videosync.commands.plan import make_plan, require_api_key
from videosync.content.localfiles import HashCache
from videosync.errors import NotFound, UsageError
from videosync.model import LockEntry, Lockfile, RemoteGroup, RemoteState, utc_now
from videosync.state.journal import Journal
from videosync.state.lockfile import load_lockfile, lockfile_path, save_lockfile
from videosync.state.runlock import RunLock
from videosync.workdir import journal_path, workdir

__all__ = ["Imported", "import_video"]


@dataclass(frozen=True)
class Imported:
    entry: LockEntry
    lockfile: Path
    warnings: tuple[str, ...]


def import_video(
    manifest_path: Path, key: str, video_id: str, *, api_url: str, api_key: str | None
) -> Imported:
    """Record remote video `video_id` as the upload of manifest entry `key`."""
    api_key = require_api_key(api_key)
    manifest_path = manifest_path.absolute()
    root = manifest_path.parent
    lock_path = lockfile_path(manifest_path)
    with RunLock(lock_path, workdir(root), "import"):
        if Journal(journal_path(root)).records():
            raise UsageError(
                "an interrupted apply left its journal in .videosync/: run `videosync apply` "
                "to finish it before importing"
            )
        recorded = load_lockfile(lock_path)
        version = recorded.api_version or "v1"  # the catalog's: an import changes no version
        with SyncVisionClient(api_url, api_key, api_version=version) as client:
            found = client.get_videos([video_id])
        if not found:
            raise NotFound(
                f"video {video_id} does not exist (or belongs to another API key); "
                "check the id with `videosync status` or the API"
            )
        video = found[0]
        for other, entry in recorded.videos.items():
            if entry.video_id == video_id and other != key:
                raise UsageError(f"video {video_id} is already recorded as {other}")
        # The planner works out the spec the manifest wants for `key`, with the recorded
        # groups taken as they are (only one video is fetched, not the whole catalog).
        groups = tuple(
            RemoteGroup(g.group_id, g.name, dict(g.metadata)) for g in recorded.groups.values()
        )
        run = make_plan(
            manifest_path,
            api_url=api_url,
            api_key=api_key,
            remote=RemoteState(videos=(video,), groups=groups, api_version=version),
            api_version=version,
        )
        action = next(
            (a for a in run.plan.actions if a.resource == "video" and a.key == key and a.spec),
            None,
        )
        if action is None or action.spec is None:
            raise UsageError(f"{key!r} is not an entry of {manifest_path.name}")
        spec = action.spec
        warnings: list[str] = []
        if video.name != spec.name:
            warnings.append(
                f"its name is {video.name!r}, the manifest says {spec.name!r}: "
                "the next apply replaces it"
            )
        if spec.group_id is None or video.group_id != spec.group_id:
            warnings.append(
                f"it is in group {video.group_id}, the manifest wants {spec.group}: "
                "the next apply replaces it"
            )
        if spec.group_id is None:
            spec = replace(spec, group_id=video.group_id)
        size = digest = None
        if spec.source.path is not None:
            path = root / spec.source.path
            size = path.stat().st_size
            cache = HashCache.for_manifest_dir(root)
            digest = cache.digest(path)
            cache.save()
        old = recorded.videos.get(key)
        if old is not None and old.video_id != video_id:
            warnings.append(
                f"{key} was recorded as {old.video_id}, which videosync no longer manages "
                "(it stays on the server)"
            )
        entry = LockEntry(
            video_id=video_id,
            spec=spec,
            size=size,
            hash=digest,
            uploaded_at=utc_now(),
            protect=action.protect,
        )
        save_lockfile(
            lock_path,
            Lockfile(
                videos=dict(sorted({**recorded.videos, key: entry}.items())),
                groups=recorded.groups,
                api_version=recorded.api_version,
            ),
        )
    return Imported(entry, lock_path, tuple(warnings))
