"""Rename and move detection: an entry whose key changed is recorded anew, not re-uploaded.

When a key leaves the manifest and a new key arrives with the same content digest and the
same upload attributes (name, group, start, index, thumbnails; the URL for a URL entry), the
plan `move`s the recorded video to the new key: apply rewrites the lockfile, no upload, no
delete. The name must match too: the API cannot rename a video, so a renamed file whose
name comes from its file name (the default) is a new upload and a delete; give
the entry an explicit `name:` to keep it. The server keeps the old key as the video's
`metadata.source`, which nothing but crash recovery reads (and only for unrecorded copies).

Only the candidates are hashed: new keys whose file has the size of a vanished entry
(`move_candidates`), so a new file is still read once, as it uploads.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from videosync.content.localfiles import LocalFileState
from videosync.model import DesiredVideo, LockEntry, Lockfile, RemoteVideo, VideoSpec, is_orphan_key
from videosync.planning.plan import Action

__all__ = ["MoveMatch", "movable_entries", "move_action", "move_candidates", "take_move"]

# size, digest, then the upload attributes: name, group, group_id, start, index,
# thumbnails, URL. A plain tuple, not a spec copied with dataclasses.replace per entry:
# that made plans of many moves markedly slower (bench/README.md, "Measured choices").
MoveMatch = tuple[int | None, str | None, str, str, str | None, str | None, bool, bool, str | None]


def move_candidates(
    recorded: Lockfile, desired_keys: Collection[str], sizes: Mapping[str, int]
) -> dict[str, LockEntry]:
    """The new keys whose file must be hashed because it may be a vanished entry, moved.

    `sizes` maps the manifest's file keys to their size on disk. A key the lockfile does
    not know is a candidate only when a file entry that left the manifest had the same
    size: everything else new is a create without reading a byte (DESIGN.md, "one read
    pass"). Each candidate comes with the vanished entry of its size (the first by key):
    its digest is to be made in the algorithm that entry was recorded with, and git may
    prove it equal to that entry without a read
    (`content.localfiles.local_file_states(recorded=…)`).
    """
    vanished: dict[int, LockEntry] = {}
    for key in sorted(recorded.videos.keys() - set(desired_keys)):
        entry = recorded.videos[key]
        if entry.size is None or entry.spec.source.path is None or is_orphan_key(key):
            continue
        vanished.setdefault(entry.size, entry)
    if not vanished:
        return {}
    return {
        key: vanished[size]
        for key, size in sizes.items()
        if size in vanished and key not in recorded.videos
    }


def _match_of(spec: VideoSpec, size: int | None, digest: str | None) -> MoveMatch:
    # A file's path is not sent to the API (the key is), so it is no part of the match;
    # a URL is what is uploaded, so it is.
    return (
        size,
        digest,
        spec.name,
        spec.group,
        spec.group_id,
        spec.start,
        spec.index,
        spec.thumbnails,
        spec.source.url,
    )


def movable_entries(
    recorded: Lockfile, desired_keys: Collection[str], remote: Mapping[str, RemoteVideo]
) -> dict[MoveMatch, list[str]]:
    """The vanished entries a new key can take over, by what a match must equal.

    Only an entry whose remote copy is still there as recorded: a copy that is gone,
    failed, renamed or moved on the server is not what the lockfile says it is.
    """
    movable: dict[MoveMatch, list[str]] = {}
    for key in sorted(recorded.videos.keys() - desired_keys):
        rec = recorded.videos[key]
        current = remote.get(rec.video_id)
        if (
            is_orphan_key(key)
            or current is None
            or current.indexing_status == "failed"
            or current.group_id != rec.spec.group_id
            or (current.name is not None and current.name != rec.spec.name)
        ):
            continue
        if rec.spec.source.path is not None and (rec.size is None or rec.hash is None):
            continue
        movable.setdefault(_match_of(rec.spec, rec.size, rec.hash), []).append(key)
    return movable


def take_move(
    movable: dict[MoveMatch, list[str]], spec: VideoSpec, state: LocalFileState | None
) -> str | None:
    """The vanished key this new entry is a move of (taken, so it matches once), or None."""
    if not movable or spec.group_id is None:
        return None
    if state is not None:
        if state.digest is None:
            return None  # not a candidate (no vanished entry of its size): a create
        match = _match_of(spec, state.size, state.digest)
    else:
        match = _match_of(spec, None, None)
    keys = movable.get(match)
    return keys.pop(0) if keys else None


def move_action(dv: DesiredVideo, spec: VideoSpec, old_key: str, rec: LockEntry) -> Action:
    return Action(
        resource="video",
        kind="move",
        key=dv.key,
        cause="moved",
        reason=(
            "same content and upload attributes: only the lockfile changes (no upload, no delete)"
        ),
        video_id=rec.video_id,
        spec=spec,
        protect=dv.protect,
        moved_from=old_key,
    )
