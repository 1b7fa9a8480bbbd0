"""The planner: a pure function of desired, recorded and remote state, returning a `Plan`.

No I/O happens here: the caller loads the manifest, the lockfile, lists the remote catalog
once and stats (and where needed hashes) the local files, then passes plain values in. The
decision table is DESIGN.md's, "The plan"; managed groups are decided in `groups.py`,
renames in `moves.py`, what refuses a plan in `safety.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from videosync.content.localfiles import LocalFileState
from videosync.model import (
    DEFAULT_GROUP,
    ApiVersion,
    DesiredGroup,
    DesiredState,
    DesiredVideo,
    LockEntry,
    Lockfile,
    RemoteGroup,
    RemoteVideo,
    Source,
    VideoSpec,
    duplicate_key,
    format_start,
    is_orphan_key,
)
from videosync.ownership import canonical, is_upload_of
from videosync.planning.diff import diff_attributes
from videosync.planning.groups import plan_groups, resolve_group
from videosync.planning.inplace import (
    FEATURE_PREFIX,
    feature_changes,
    needs_upload,
    required_features,
    server_changes,
)
from videosync.planning.moves import MoveMatch, movable_entries, move_action, take_move
from videosync.planning.plan import Action, Change, Plan, apply_order, human_bytes, short_id
from videosync.planning.safety import (
    DEFAULT_MAX_DELETE_PERCENT,
    guard_group_delete,
    guard_protect,
    problems_of,
    rail_problems,
)

__all__ = ["compute_plan"]


def compute_plan(
    desired: DesiredState,
    recorded: Lockfile,
    remote_videos: Iterable[RemoteVideo],
    remote_groups: Iterable[RemoteGroup],
    *,
    local: Mapping[str, LocalFileState],
    prune: bool = False,
    prune_default: bool = False,
    allow_protected: bool = False,
    max_delete: int | None = None,
    max_delete_percent: int | None = DEFAULT_MAX_DELETE_PERCENT,
    allow_empty: bool = False,
    api_version: ApiVersion = "v1",
    feature_dependencies: Mapping[str, Sequence[str]] | None = None,
) -> Plan:
    """Decide one action per video and per managed group, with a reason, in apply order.

    `api_version` says what can change in place (`inplace.py`); under v2,
    `feature_dependencies` is the API's feature catalog (name → the features it needs).

    `local` holds the state of every local file the manifest names, by key: its size, and
    its digest wherever the lockfile recorded the same size for that key, and for the new
    keys `move_candidates` names (elsewhere the digest is not needed: a new key is a
    create, a new size a replace).

    `prune` deletes the unmanaged videos in the groups the manifest uses, but those in the
    shared `default` group only with `prune_default` too: other catalogs keep theirs there.
    """
    remote_videos = sorted(remote_videos, key=lambda v: v.video_id)
    remote_by_id = {v.video_id: v for v in remote_videos}
    remote_groups_by_id = {g.group_id: g for g in remote_groups}
    wanted = {g.ref: g for g in desired.groups}
    literal_groups = {v.group for v in desired.videos if v.group not in wanted}
    group_actions, group_ids = plan_groups(wanted, recorded, remote_groups_by_id, literal_groups)

    recorded_ids = {e.video_id for e in recorded.videos.values()}
    unrecorded = [v for v in remote_videos if v.video_id not in recorded_ids]
    by_source = _by_source(unrecorded)
    # Groups the server marks as this manifest's (kept or duplicate): a copy of an entry
    # found there is videosync's upload whatever its other attributes.
    ours = set(group_ids.values())  # plan_groups gives ids of managed groups only
    ours |= {a.group_id for a in group_actions if a.cause == "duplicate" and a.group_id}

    version = _Version(api_version, feature_dependencies or {})
    root_prefix = str(desired.root).rstrip(os.sep) + os.sep  # "/catalog/"
    desired_keys = {v.key for v in desired.videos}
    movable = movable_entries(recorded, desired_keys, remote_by_id)
    moved: set[str] = set()
    video_actions: list[Action] = []
    for dv in sorted(desired.videos, key=lambda v: v.key):
        spec = _spec(dv, desired.root, root_prefix, wanted, group_ids, api_version=api_version)
        state = None
        if dv.path is not None:
            state = local.get(dv.key)
            if state is None:
                raise ValueError(f"no local file state given for {dv.key!r}")
        video_actions += _plan_video(
            dv,
            spec,
            state,
            recorded=recorded,
            same_source=by_source.get(dv.key, []),
            remote_by_id=remote_by_id,
            movable=movable,
            moved=moved,
            ours=ours,
            version=version,
        )
    gone_keys = sorted(recorded.videos.keys() - desired_keys - moved)
    video_actions += [_delete(key, recorded.videos[key], remote_by_id) for key in gone_keys]

    planned = {a.video_id for a in video_actions if a.kind in ("adopt", "delete")}
    unmanaged = [v for v in unrecorded if v.video_id not in planned]
    if prune:
        in_use = {a.spec.group_id for a in video_actions if a.spec and a.spec.group_id}
        in_use |= {gid for ref, gid in group_ids.items() if ref in wanted}
        if not prune_default:
            in_use.discard(DEFAULT_GROUP)
        video_actions += [_prune(v) for v in unmanaged if v.group_id in in_use]
        unmanaged = [v for v in unmanaged if v.group_id not in in_use]

    video_actions = [guard_protect(a, allow_protected, remote_by_id) for a in video_actions]
    deleted = {
        a.video_id
        for a in video_actions
        if a.kind in ("delete", "replace") and a.blocked is None and a.video_id
    } | {a.replaces for a in video_actions if a.kind == "adopt" and a.replaces}
    # A video moved to another group in place leaves its old group as a deleted one does.
    deleted |= {
        a.video_id
        for a in video_actions
        if a.video_id and any(c.attribute == "group_id" for c in a.changes)
    }
    group_actions = [guard_group_delete(a, remote_videos, deleted) for a in group_actions]
    actions = tuple(sorted(group_actions + video_actions, key=apply_order))
    problems = problems_of(actions, remote_by_id, max_delete)
    problems += rail_problems(
        actions,
        recorded,
        desired_keys,
        remote_by_id.keys(),
        max_delete_percent=max_delete_percent,
        allow_empty=allow_empty,
    )
    migrating = (recorded.api_version or "v1") != api_version and bool(recorded.videos)
    return Plan(
        actions=actions,
        problems=problems,
        unmanaged=len(unmanaged),
        api_version=api_version,
        migrate_from=(recorded.api_version or "v1") if migrating else None,
    )


@dataclass(frozen=True)
class _Version:
    """The API version planned for, and (v2) what each feature depends on."""

    name: ApiVersion
    depends_on: Mapping[str, Sequence[str]]
    _required: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)

    def required(self, features: tuple[str, ...]) -> tuple[str, ...]:
        """`features` with their dependencies, worked out once per distinct list (a large
        catalog has a handful of them)."""
        found = self._required.get(features)
        if found is None:
            found = self._required[features] = required_features(features, self.depends_on)
        return found


def _plan_video(
    dv: DesiredVideo,
    spec: VideoSpec,
    state: LocalFileState | None,
    *,
    recorded: Lockfile,
    same_source: list[RemoteVideo],
    remote_by_id: Mapping[str, RemoteVideo],
    movable: dict[MoveMatch, list[str]],
    moved: set[str],
    ours: set[str],
    version: _Version,
) -> list[Action]:
    """The action of one entry, then the deletes of its duplicates on the server.

    The server is the source of truth: an upload of the entry it already holds (its
    source, name, group and start match; `ownership.is_upload_of`) is adopted rather than
    uploaded again, even where the lockfile records an older copy or none at all. Any
    other unrecorded copy with the entry's source, in a group of this manifest, or itself
    such an upload, is a duplicate.
    """
    rec = recorded.videos.get(dv.key)
    uploads = [v for v in same_source if is_upload_of(v, dv.key, spec)]
    if rec is not None:
        action = _plan_recorded(dv, spec, rec, state, remote_by_id, version=version)
        if uploads and action.kind in ("create", "replace"):
            # The server holds the upload this plan would send: an earlier run's, whose
            # record did not reach this lockfile.
            action = _adopt(dv, spec, canonical(uploads), replaces=action.video_id, version=version)
    elif uploads:
        action = _adopt(dv, spec, canonical(uploads), replaces=None, version=version)
    else:
        old_key = take_move(movable, spec, state)
        if old_key is None:
            action = _create(dv, spec, state)
        else:
            moved.add(old_key)
            action = move_action(dv, spec, old_key, recorded.videos[old_key])
    kept = action.video_id if action.kind in ("adopt", "noop", "update") else None
    duplicates = [
        _duplicate(dv.key, v)
        for v in same_source
        if v.video_id != kept and (v.group_id in ours or v in uploads)
    ]
    return [action, *duplicates]


def _by_source(videos: Iterable[RemoteVideo]) -> dict[str, list[RemoteVideo]]:
    by_source: dict[str, list[RemoteVideo]] = {}
    for v in videos:
        if v.source:
            by_source.setdefault(v.source, []).append(v)
    return by_source


def _delete(key: str, rec: LockEntry, remote: Mapping[str, RemoteVideo]) -> Action:
    gone = "" if rec.video_id in remote else " (already gone remotely)"
    why = "removed from the manifest"
    if is_orphan_key(key):  # a replace's old copy (model.orphan_key), kept until deleted
        why = "an old copy a replace left to delete"
    return Action(
        resource="video",
        kind="delete",
        key=key,
        cause="removed",
        reason=f"{why}{gone}",
        video_id=rec.video_id,
        protect=rec.protect,
    )


def _relative(path: Path, root: Path, root_prefix: str) -> str:
    """The manifest-relative POSIX path of `path`, by string slicing (`relative_to` costs
    far more, once per entry of a large manifest)."""
    text = str(path)
    if text.startswith(root_prefix):
        return text[len(root_prefix) :].replace(os.sep, "/")
    if not path.is_absolute():
        return path.as_posix()
    raise ValueError(f"{path} is outside the manifest's folder {root}")


def _spec(
    dv: DesiredVideo,
    root: Path,
    root_prefix: str,
    wanted: Mapping[str, DesiredGroup],
    ids: Mapping[str, str],
    *,
    api_version: ApiVersion,
) -> VideoSpec:
    if dv.path is not None:
        source = Source(path=_relative(dv.path, root, root_prefix))
    else:
        source = Source(url=dv.url)
    return VideoSpec(
        name=dv.name,
        group=dv.group,
        group_id=resolve_group(dv.group, wanted, ids),
        start=format_start(dv.start) if dv.start is not None else None,
        index=dv.index,
        thumbnails=dv.thumbnails,
        source=source,
        title=dv.title if api_version == "v2" else None,
        description=dv.description if api_version == "v2" else None,
        features=dv.wanted_features() if api_version == "v2" else (),
    )


def _adopt(
    dv: DesiredVideo,
    spec: VideoSpec,
    found: RemoteVideo,
    replaces: str | None,
    version: _Version,
) -> Action:
    """Record the copy the server holds for this entry instead of uploading it again; under
    v2, with what it still lacks set in place (an upload cut short before its title or
    features were sent)."""
    reason = (
        "the lockfile is behind the server: it holds this entry's upload (same source, name, "
        "group and start), which is recorded instead of uploaded again"
    )
    changes: tuple[Change, ...] = ()
    if version.name == "v2":
        changes = server_changes(spec, found, "v2") + feature_changes(
            version.required(spec.features), found
        )
        changes = tuple(c for c in changes if c.attribute != "group_id" or c.new is not None)
    if changes:
        reason += f"; then {_describe_in_place(changes)}"
    if replaces is not None:
        reason += f"; the recorded copy {short_id(replaces)} is deleted after"
    return Action(
        resource="video",
        kind="adopt",
        key=dv.key,
        cause="behind",
        reason=reason,
        changes=changes,
        video_id=found.video_id,
        spec=spec,
        protect=dv.protect,
        replaces=replaces,
    )


def _create(dv: DesiredVideo, spec: VideoSpec, state: LocalFileState | None) -> Action:
    return Action(
        resource="video",
        kind="create",
        key=dv.key,
        cause="new",
        reason="new in the manifest",
        spec=spec,
        size=state.size if state else None,
        protect=dv.protect,
    )


def _duplicate(key: str, v: RemoteVideo) -> Action:
    """Delete a second copy of a managed entry (its source, in a group of this manifest)."""
    return Action(
        resource="video",
        kind="delete",
        key=duplicate_key(key),
        cause="duplicate",
        reason=f"a duplicate of {key}: another copy on the server uploaded for this entry",
        video_id=v.video_id,
    )


def _plan_recorded(
    dv: DesiredVideo,
    spec: VideoSpec,
    rec: LockEntry,
    state: LocalFileState | None,
    remote: Mapping[str, RemoteVideo],
    *,
    version: _Version,
) -> Action:
    size = state.size if state else None
    current = remote.get(rec.video_id)
    if current is None:
        return Action(
            resource="video",
            kind="create",
            key=dv.key,
            cause="gone",
            reason=f"recorded video {short_id(rec.video_id)} no longer exists remotely",
            spec=spec,
            size=size,
            protect=dv.protect,
        )
    if current.indexing_status == "failed":
        return Action(
            resource="video",
            kind="replace",
            key=dv.key,
            cause="failed",
            reason="remote copy's indexing failed"
            if version.name == "v1"
            else "remote copy's upload failed",
            video_id=rec.video_id,
            spec=spec,
            size=size,
            protect=dv.protect,
        )
    differences = _spec_changes(dv.key, rec, spec, state)
    upload = tuple(c for c in differences if needs_upload(c, version.name))
    # v1 cannot rename a video: a remote copy named otherwise is not the upload videosync made.
    if version.name == "v1" and current.name is not None and current.name != rec.spec.name:
        upload += (Change("remote.name", current.name, rec.spec.name),)
    if upload:
        return Action(
            resource="video",
            kind="replace",
            key=dv.key,
            cause="changed",
            reason=_describe(upload, version.name),
            changes=upload,
            video_id=rec.video_id,
            spec=spec,
            size=size,
            protect=dv.protect,
        )
    in_place = server_changes(spec, current, version.name)
    if version.name == "v2":
        in_place += feature_changes(version.required(spec.features), current)
    recorded_only = _recorded_only(dv, spec, rec, version.name)
    if in_place:
        cause = "changed" if any(not _is_feature(c) for c in in_place) else "features"
        return Action(
            resource="video",
            kind="update",
            key=dv.key,
            cause=cause,
            reason=_describe_in_place(in_place),
            changes=in_place + recorded_only,
            video_id=rec.video_id,
            spec=spec,
            protect=dv.protect,
        )
    if recorded_only:
        return Action(
            resource="video",
            kind="update",
            key=dv.key,
            cause="protect" if recorded_only[-1].attribute == "protect" else "recorded",
            reason=_describe_recorded(recorded_only),
            changes=recorded_only,
            video_id=rec.video_id,
            spec=spec,
            protect=dv.protect,
        )
    return Action(
        resource="video",
        kind="noop",
        key=dv.key,
        cause="unchanged",
        reason="unchanged",
        video_id=rec.video_id,
        spec=spec,
        protect=dv.protect,
    )


def _is_feature(change: Change) -> bool:
    return change.attribute.startswith(FEATURE_PREFIX)


def _recorded_only(
    dv: DesiredVideo, spec: VideoSpec, rec: LockEntry, api_version: ApiVersion
) -> tuple[Change, ...]:
    """What only the lockfile must learn: nothing is sent for it.

    A file moved under an `id:` key (the path is not sent), `protect` (recorded, so that
    protection outlives the entry's removal from the manifest: lifting it takes an apply
    of `protect: false` first, or --allow-protected), and features no longer declared
    (the API has no call to remove a feature's results: they stay on the server).
    """
    changes: list[Change] = []
    if rec.spec.source != spec.source:
        changes.append(Change("source.path", rec.spec.source.path, spec.source.path))
    dropped = api_version == "v2" and rec.spec.features != spec.features
    if dropped and set(rec.spec.features) - set(spec.features):
        changes.append(Change("features", list(rec.spec.features), list(spec.features)))
    if dv.protect != rec.protect:
        changes.append(Change("protect", rec.protect, dv.protect))
    return tuple(changes)


def _describe_recorded(changes: Sequence[Change]) -> str:
    parts = []
    for c in changes:
        if c.attribute == "source.path":
            parts.append("the file moved")
        elif c.attribute == "protect":
            parts.append("protect changed")
        else:
            parts.append(_no_longer_declared(c))
    return f"{' and '.join(parts)}: recorded in the lockfile only (nothing is sent)"


def _no_longer_declared(change: Change) -> str:
    """What a `features` change recorded in the lockfile says: nothing is removed."""
    dropped = ", ".join(sorted(set(change.old) - set(change.new)))
    return (
        f"{dropped} no longer declared (the API cannot remove a feature's results: they "
        "stay on the server)"
    )


def _describe_in_place(changes: Sequence[Change]) -> str:
    """The reason of an in-place update: what is set, and that the video_id is kept."""
    parts = []
    shown = []
    for c in changes:
        if c.attribute == "group_id":
            new = "" if c.new is not None else " (to a group this apply creates)"
            shown.append(f"group changed{new}")
        elif c.attribute in _SENT:
            shown.append(f"{c.attribute} changed")
    if shown:
        parts.append(f"{', '.join(shown)}: updated in place (the video_id is kept)")
    parts += [_no_longer_declared(c) for c in changes if c.attribute == "features"]
    started = [c for c in changes if _is_feature(c)]
    if started:
        names = ", ".join(
            c.attribute.removeprefix(FEATURE_PREFIX)
            + (f" (it {c.old}: run again)" if c.old in ("failed", "blocked") else "")
            for c in started
        )
        parts.append(f"features to start: {names}")
    return "; ".join(parts)


_SENT = ("name", "title", "description", "group_id")


def _spec_changes(
    key: str, rec: LockEntry, spec: VideoSpec, state: LocalFileState | None
) -> tuple[Change, ...]:
    if rec.spec == spec:  # the common case, without building dicts
        changes: tuple[Change, ...] = ()
        return _content_changes(key, rec, state) if spec.source.path is not None else changes
    old, new = rec.spec.to_json(), spec.to_json()
    both_files = rec.spec.source.path is not None and spec.source.path is not None
    if both_files:
        # The path is not sent to the API (the key is): a file moved under an `id:` key
        # with the same content needs no new upload.
        del old["source"], new["source"]
    changes = diff_attributes(old, new)
    return changes + _content_changes(key, rec, state) if both_files else changes


def _content_changes(key: str, rec: LockEntry, state: LocalFileState | None) -> tuple[Change, ...]:
    if state is None:
        return ()
    if rec.size != state.size:
        return (Change("size", rec.size, state.size),)
    if state.digest is None:
        raise ValueError(f"the digest of {key!r} is needed: its size is the recorded one")
    if state.digest != rec.hash:
        return (Change("hash", rec.hash, state.digest),)
    return ()


def _describe(changes: Sequence[Change], api_version: ApiVersion = "v1") -> str:
    """The reason for a replace, in the user's terms, content first."""
    parts: list[str] = []
    by_attr = {c.attribute: c for c in changes}
    if "hash" in by_attr:
        c = by_attr["hash"]
        algo = str(c.new).split(":", 1)[0]
        parts.append(f"file content changed ({algo} {short_id(c.old)} → {short_id(c.new)})")
    if "size" in by_attr:
        c = by_attr["size"]
        parts.append(f"file size changed ({human_bytes(c.old or 0)} → {human_bytes(c.new or 0)})")
    if "remote.name" in by_attr:
        parts.append(f"the remote copy is named {by_attr['remote.name'].old!r}")
    rest = sorted(
        {c.attribute.split(".")[0] for c in changes}
        - {"hash", "size", "group", "group_id", "remote", "title", "description", "features"}
    )
    parts += [f"{attr} changed" for attr in rest]
    fixed = [attr for attr in rest if attr in ("name", "start", "index", "thumbnails")]
    if fixed and api_version == "v1":
        parts[-1] += f" (API v1 cannot change {'it' if len(fixed) == 1 else 'them'} in place)"
    return "; ".join(parts)


def _prune(v: RemoteVideo) -> Action:
    named = f" ({v.name!r}, source {v.source!r})" if v.name or v.source else ""
    return Action(
        resource="video",
        kind="delete",
        key=v.video_id,
        cause="unmanaged",
        reason=f"not in the manifest or the lockfile{named}; --prune deletes it",
        video_id=v.video_id,
        group_id=v.group_id,  # `default` only with --prune-default
    )
