"""`videosync remote`: what is on the server, managed or not.

Every video the API key can see, split in two: those `videosync.lock` records (shown by
their key) and the others (by name and source, the upload's file name or URL), each with
its group and indexing status. It reads the lockfile and the catalog, not the manifest, so
a catalog whose manifest does not load (mid-edit) can still be listed. A video counts as
managed as `status` counts it: the lockfile records it, with an interrupted apply's
journal replayed over it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from videosync.api.versions import ApiVersionChoice
from videosync.commands.plan import fetch_remote, require_api_key
from videosync.model import DEFAULT_GROUP, Lockfile, RemoteState
from videosync.state.journal import Journal, replay
from videosync.state.lockfile import LOCKFILE_NAME, lockfile_path, read_lockfile
from videosync.workdir import journal_path

__all__ = ["RemoteEntry", "RemoteListing", "remote_listing", "render_remote"]


@dataclass(frozen=True)
class RemoteEntry:
    """One video on the server."""

    key: str | None
    """The key the lockfile records it under; None for a video it does not manage."""
    video_id: str
    name: str | None
    source: str | None
    """`metadata.source`: the file name or URL it was uploaded from (videosync sends the key)."""
    group: str
    """The group's name (`default` for the default group; the id of a group not listed)."""
    group_id: str
    indexing_status: str | None
    """v1's indexing status (under v2: `failed` for a failed upload, else null)."""
    status: str = "unknown"
    """What the table shows (`RemoteVideo.remote_status`): v1's indexing status, or v2's
    upload status with how many features are ready."""
    features: dict[str, str] | None = None
    """v2: each feature requested and its status; null under v1."""


@dataclass(frozen=True)
class RemoteListing:
    """The remote catalog: managed videos by key, the others by name, source and id."""

    managed: tuple[RemoteEntry, ...]
    unmanaged: tuple[RemoteEntry, ...]
    missing: int
    """Videos the lockfile records that are not on the server (`status` shows them)."""

    def to_json(self) -> str:
        data = {
            "managed": [asdict(entry) for entry in self.managed],
            "unmanaged": [asdict(entry) for entry in self.unmanaged],
            "missing": self.missing,
        }
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def remote_listing(
    manifest_path: Path,
    *,
    api_url: str,
    api_key: str | None,
    api_version: ApiVersionChoice = "v1",
) -> RemoteListing:
    """List the catalog the API key sees, split by the lockfile beside `manifest_path`."""
    key = require_api_key(api_key)
    recorded = _recorded(lockfile_path(manifest_path.absolute()))
    return listing_of(recorded, fetch_remote(api_url, key, api_version=api_version))


def listing_of(recorded: Lockfile, remote: RemoteState) -> RemoteListing:
    """The listing of `remote` as the recorded state splits it (a pure function)."""
    keys = {entry.video_id: key for key, entry in recorded.videos.items()}
    groups = {g.group_id: g.name for g in remote.groups}
    entries = [
        RemoteEntry(
            key=keys.get(v.video_id),
            video_id=v.video_id,
            name=v.name,
            source=v.source,
            group=DEFAULT_GROUP
            if v.group_id == DEFAULT_GROUP
            else groups.get(v.group_id, v.group_id),
            group_id=v.group_id,
            indexing_status=v.indexing_status,
            status=v.remote_status,
            features=dict(v.features) if v.features is not None else None,
        )
        for v in remote.videos
    ]
    present = {v.video_id for v in remote.videos}
    return RemoteListing(
        managed=tuple(sorted((e for e in entries if e.key), key=lambda e: e.key or "")),
        unmanaged=tuple(
            sorted(
                (e for e in entries if not e.key),
                key=lambda e: (e.name or "", e.source or "", e.video_id),
            )
        ),
        missing=sum(1 for id_ in keys if id_ not in present),
    )


def _recorded(lock_path: Path) -> Lockfile:
    recorded, _ = read_lockfile(lock_path)
    journal = Journal(journal_path(lock_path.parent))
    records = journal.records()
    return replay(records, recorded, str(journal.path)).lockfile if records else recorded


def render_remote(listing: RemoteListing) -> str:
    """Two aligned tables, managed then unmanaged, and what is recorded but gone."""
    lines: list[str] = []
    count = len(listing.managed)
    if count:
        lines.append(f"{count} managed video{_s(count)} (recorded in {LOCKFILE_NAME}):")
        lines += _table(
            ("KEY", "VIDEO ID", "GROUP", "STATUS"),
            [(e.key or "", e.video_id, e.group, e.status) for e in listing.managed],
        )
    else:
        lines.append(f"No managed videos: {LOCKFILE_NAME} records none.")
    count = len(listing.unmanaged)
    if count:
        if listing.managed:
            lines.append("")
        lines.append(f"{count} unmanaged video{_s(count)}:")
        lines += _table(
            ("NAME", "SOURCE", "VIDEO ID", "GROUP", "STATUS"),
            [
                (
                    e.name or "-",
                    e.source or "-",
                    e.video_id,
                    e.group,
                    e.status,
                )
                for e in listing.unmanaged
            ],
        )
    else:
        lines.append("No unmanaged videos.")
    if listing.missing:
        one = listing.missing == 1
        lines.append(
            f"{listing.missing} video{_s(listing.missing)} recorded in {LOCKFILE_NAME} "
            f"{'is' if one else 'are'} not on the server: `videosync status` shows "
            f"{'it' if one else 'them'}, `videosync apply` uploads {'it' if one else 'them'} "
            "again."
        )
    return "\n".join(lines) + "\n"


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    last = len(header) - 1
    return [
        "  ".join(cell if i == last else cell.ljust(widths[i]) for i, cell in enumerate(row))
        for row in [header, *rows]
    ]
