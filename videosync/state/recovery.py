"""Crash recovery: the apply journal replayed over the lockfile, interrupted uploads adopted.

The applier journals (in `<manifest folder>/.videosync/journal.jsonl`, fsynced) an *intent*
before each upload or group creation and a *done* record after each finished action. A done
record is a set of lockfile changes (`key → entry` or `key → null`), so replaying the journal
over the lockfile is idempotent: a checkpoint that wrote the lockfile but was killed before
trimming the journal replays to the same state.

An intent with no done record is a call that may have reached the server. Recovery looks for
it in the remote catalog and records it rather than uploading it again: a remote video whose
`metadata.source` is the entry's key, with the intended name, group and start, that nobody
records (exactly one candidate); a group of the intended name nobody records (exactly one).

A replace whose new copy is recorded keeps its old copy in the lockfile under
`orphan_key(key, old_id)`: a key no manifest has, so the next plan deletes it. That covers a
crash between the upload and the delete of a replace (and between a delete and its done
record: the key is still there, the delete is sent again and finds the video gone).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from videosync.content.localfiles import (
    CACHE_DIR_NAME,
    HashCache,
    LocalFileState,
    local_file_states,
)
from videosync.errors import JournalError
from videosync.model import RemoteGroup, RemoteVideo
from videosync.planning.plan import GroupSpec
from videosync.state.journal import Journal
from videosync.state.lockfile import (
    LockEntry,
    Lockfile,
    LockGroup,
    VideoSpec,
    dumps_lockfile,
    start_to_ms,
)

if TYPE_CHECKING:
    from videosync.commands.plan import RemoteState
    from videosync.planning.planner import DesiredState

__all__ = [
    "JOURNAL_NAME",
    "GroupIntent",
    "Replayed",
    "UploadIntent",
    "adopt_pending",
    "done_record",
    "is_orphan_key",
    "journal_path",
    "lockfile_text",
    "matches_upload",
    "orphan_key",
    "recover_inputs",
    "replay",
    "unseen_recent_uploads",
    "utc_now",
]

log = logging.getLogger(__name__)

JOURNAL_NAME = "journal.jsonl"
_ORPHAN_MARK = " (replaced copy "


def journal_path(root: Path) -> Path:
    """The apply journal of the manifest in folder `root`."""
    return root / CACHE_DIR_NAME / JOURNAL_NAME


def orphan_key(key: str, video_id: str) -> str:
    """The lockfile key of a replaced copy still to delete: in no manifest, so plans delete it."""
    return f"{key}{_ORPHAN_MARK}{video_id})"


def is_orphan_key(key: str) -> bool:
    return key.endswith(")") and _ORPHAN_MARK in key


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        return GroupIntent(record["id"], record["ref"], GroupSpec(g["name"], g["metadata"]),
                           record["at"])  # fmt: skip
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
        Lockfile(videos=dict(sorted(videos.items())), groups=dict(sorted(groups.items()))),
        tuple(intents.values()),
        len(records),
    )


def matches_upload(video: RemoteVideo, key: str, spec: VideoSpec) -> bool:
    """Whether `video` is an upload of entry `key` with `spec` (never matched on name alone)."""
    start_ms = start_to_ms(spec.start) if spec.start else None
    return (
        video.source == key
        and video.indexing_status != "failed"
        and video.name == spec.name
        and video.group_id == spec.group_id
        and video.start_ms == start_ms
    )


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
    return [
        v for v in remote_videos
        if v.video_id not in known and matches_upload(v, intent.key, intent.spec)
    ]  # fmt: skip


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
            namesakes = [
                g for g in remote_groups if g.name == intent.spec.name and g.group_id not in known
            ]
            if len(namesakes) == 1:
                g = namesakes[0]
                groups[intent.ref] = LockGroup(g.group_id, g.name, dict(g.metadata))
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
    lockfile = Lockfile(videos=dict(sorted(videos.items())), groups=dict(sorted(groups.items())))
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
            at = datetime.strptime(intent.at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
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
        key for key, entry in lockfile.videos.items()
        if recorded.videos.get(key) != entry and entry.size is not None
    }  # fmt: skip
    paths = {v.key: v.path for v in manifest.videos if v.path is not None and v.key in changed}
    if paths:
        sizes = {key: lockfile.videos[key].size or 0 for key in paths}
        local = {**local, **local_file_states(paths, sizes, cache)}
    cache.save()
    return lockfile, local, True


def lockfile_text(lockfile: Lockfile) -> bytes:
    """The bytes the lockfile will have once the recovered state is saved (for fingerprints)."""
    return dumps_lockfile(lockfile).encode("utf-8")
