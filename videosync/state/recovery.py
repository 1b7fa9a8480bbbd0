"""Crash recovery: the apply journal replayed over the lockfile, interrupted uploads adopted.

The applier journals (in `<manifest folder>/.videosync/journal.jsonl`, fsynced) an *intent*
before each upload or group creation and a *done* record after each finished action
(`journal.py` has the records and `replay`).

An intent with no done record is a call that may have reached the server. Recovery looks for
it in the remote catalog and records it rather than uploading it again: a remote video whose
`metadata.source` is the entry's key, with the intended name, group and start, that nobody
records (exactly one candidate); a group marked as made for the intended ref nobody records:
the rules of `videosync.ownership`. Without a journal (a CI runner's fresh checkout) the
planner finds the same copies from the server alone; the journal only makes it certain which
upload an open intent sent.

A replace whose new copy is recorded keeps its old copy in the lockfile under
`model.orphan_key(key, old_id)`: a key no manifest has, so the next plan deletes it. That
covers a crash between the upload and the delete of a replace (and between a delete and its
done record: the key is still there, the delete is sent again and finds the video gone).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from videosync.content.localfiles import HashCache, LocalFileState, local_file_states
from videosync.model import (
    DesiredState,
    LockEntry,
    Lockfile,
    RemoteGroup,
    RemoteState,
    RemoteVideo,
    orphan_key,
    parse_utc,
)
from videosync.ownership import marked_groups, recorded_group, unrecorded_uploads
from videosync.state.journal import GroupIntent, Journal, Replayed, UploadIntent, replay
from videosync.state.lockfile import dumps_lockfile
from videosync.workdir import journal_path

__all__ = [
    "adopt_pending",
    "lockfile_text",
    "recover_inputs",
    "unseen_recent_uploads",
]

log = logging.getLogger(__name__)


def _uploaded_hash(root: Path, intent: UploadIntent, cache: HashCache) -> str | None:
    """The hash of the bytes the intent's upload sent, if the file is provably unchanged.

    None (which makes the next plan replace the copy) when the file changed since.
    """
    if intent.spec.source.path is None:
        return None
    path = root / intent.spec.source.path
    try:
        st = path.stat()
    except OSError:
        return None
    if st.st_size != intent.size or st.st_mtime_ns != intent.mtime_ns:
        return None
    return cache.digest(path)


def _landed_copies(
    intent: UploadIntent, videos: Mapping[str, LockEntry], remote_videos: Sequence[RemoteVideo]
) -> list[RemoteVideo] | None:
    """The unrecorded remote copies that match an open upload intent; None when the intent
    is settled already (the key moved on since: a later done record)."""
    current = videos.get(intent.key)
    if (current.video_id if current else None) != intent.replaces:
        return None
    known = {e.video_id for e in videos.values()}
    return unrecorded_uploads(remote_videos, intent.key, intent.spec, known)


def adopt_pending(
    replayed: Replayed,
    remote_videos: Iterable[RemoteVideo],
    remote_groups: Iterable[RemoteGroup],
    root: Path,
    cache: HashCache,
) -> tuple[Lockfile, list[str]]:
    """Record the open intents that reached the server; the lockfile and what was adopted."""
    videos = dict(replayed.lockfile.videos)
    groups = dict(replayed.lockfile.groups)
    notes: list[str] = []
    remote_videos = list(remote_videos)
    remote_groups = list(remote_groups)
    for intent in replayed.pending:
        if isinstance(intent, GroupIntent):
            if intent.ref in groups:
                continue
            known = {g.group_id for g in groups.values()}
            marked = marked_groups(remote_groups, intent.ref, known)
            if marked:
                g = marked[0]
                groups[intent.ref] = recorded_group(g)
                notes.append(
                    f"group {intent.ref}: adopted {g.group_id}, created by an interrupted run"
                )
            continue
        current = videos.get(intent.key)
        found = _landed_copies(intent, videos, remote_videos)
        if found is None:
            continue
        if len(found) != 1:
            if len(found) > 1:
                notes.append(f"{intent.key}: {len(found)} unrecorded copies match; none adopted")
            continue
        entry = LockEntry(
            video_id=found[0].video_id,
            spec=intent.spec,
            size=intent.size,
            hash=_uploaded_hash(root, intent, cache),
            uploaded_at=intent.at,
            protect=intent.protect,
        )
        videos[intent.key] = entry
        if current is not None:
            videos[orphan_key(intent.key, current.video_id)] = replace(current, protect=False)
        notes.append(f"{intent.key}: adopted {entry.video_id}, uploaded by an interrupted run")
    lockfile = Lockfile(
        videos=dict(sorted(videos.items())),
        groups=dict(sorted(groups.items())),
        api_version=replayed.lockfile.api_version,
    )
    return lockfile, notes


def unseen_recent_uploads(
    root: Path, recorded: Lockfile, remote_videos: Iterable[RemoteVideo], within: float
) -> int:
    """How many uploads an interrupted run announced in the last `within` seconds that the
    catalog does not list yet.

    A run killed right after sending an upload's body leaves the request in the server's
    hands: the copy may appear a moment after the next run lists the catalog, and that run
    would upload the entry again. The caller lists again after a pause while this is not 0.
    """
    records = Journal(journal_path(root)).records()
    if not records:
        return 0
    replayed = replay(records, recorded)
    remote_videos = list(remote_videos)
    now = datetime.now(timezone.utc)
    unseen = 0
    for intent in replayed.pending:
        if not isinstance(intent, UploadIntent):
            continue
        try:
            at = parse_utc(intent.at)
        except ValueError:
            continue  # no usable time: nothing says the request may still be in flight
        if (now - at).total_seconds() <= within and _landed_copies(
            intent, replayed.lockfile.videos, remote_videos
        ) == []:
            unseen += 1
    return unseen


def recover_inputs(
    manifest: DesiredState,
    recorded: Lockfile,
    remote: RemoteState,
    local: dict[str, LocalFileState],
) -> tuple[Lockfile, dict[str, LocalFileState], bool]:
    """The recorded state with the journal replayed, for the planner (changes no file).

    Returns the recovered lockfile, the local file states completed with the digests the
    planner now needs (for keys recovery recorded), and whether there was a journal.
    """
    journal = Journal(journal_path(manifest.root))
    records = journal.records()
    if not records:
        return recorded, local, False
    cache = HashCache.for_manifest_dir(manifest.root)
    replayed = replay(records, recorded, str(journal.path))
    lockfile, notes = adopt_pending(replayed, remote.videos, remote.groups, manifest.root, cache)
    for note in notes:
        log.warning("recovered: %s", note)
    changed = {
        key
        for key, entry in lockfile.videos.items()
        if recorded.videos.get(key) != entry and entry.size is not None
    }
    paths = {v.key: v.path for v in manifest.videos if v.path is not None and v.key in changed}
    if paths:
        sizes = {key: lockfile.videos[key].size or 0 for key in paths}
        local = {**local, **local_file_states(paths, sizes, cache)}
    cache.save()
    return lockfile, local, True


def lockfile_text(lockfile: Lockfile) -> bytes:
    """The bytes the lockfile will have once the recovered state is saved (for fingerprints)."""
    return dumps_lockfile(lockfile).encode("utf-8")
