"""What can change on the server without a new upload, by API version, and what cannot.

v1 has no update call: a changed name, start, index or thumbnails needs a new upload, but a
video's group can change with the move call (`POST …/groups/{id}/videos`), keeping its id.
v2 changes name, title, description and group in place (`PATCH /v2/videos/{id}`), and runs
features (transcript, captions, embeddings, objects) on a video already there. What only v1
carries (start, thumbnails; `index`, which v2 reads as features) is not managed under v2:
v2 cannot set it, so a difference there is never a reason to upload again.

The server is the source of truth for what changes in place: the desired attributes are
compared with the copy the server holds, not with the lockfile, so an update cut short by
a kill is simply planned again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from videosync.model import FEATURES, ApiVersion, RemoteVideo, VideoSpec
from videosync.planning.plan import Change

__all__ = [
    "FEATURE_PREFIX",
    "RUNNING",
    "feature_changes",
    "needs_upload",
    "required_features",
    "server_changes",
    "unrecordable",
]

FEATURE_PREFIX = "features."
"""A feature to start is the change `features.<name>`: its server status → `ready`."""

RUNNING = frozenset({"pending", "processing", "ready"})
"""Feature statuses that need nothing from videosync."""

_ALWAYS_UPLOAD = ("hash", "size", "source")
_V1_UPLOAD = ("name", "start", "index", "thumbnails")
_V2_ONLY = ("title", "description", "features")
_V1_ONLY = ("start", "index", "thumbnails")


def needs_upload(change: Change, version: ApiVersion) -> bool:
    """Whether a difference between the recorded and the desired spec takes a new upload."""
    top = change.attribute.split(".", 1)[0]
    if top in _ALWAYS_UPLOAD:
        return True
    return version == "v1" and top in _V1_UPLOAD


def unrecordable(change: Change, version: ApiVersion) -> bool:
    """A difference the API version cannot act on and the lockfile need not wait for:
    v2's fields under v1 (refused earlier where the manifest sets them), v1's under v2."""
    top = change.attribute.split(".", 1)[0]
    return top in (_V2_ONLY if version == "v1" else _V1_ONLY)


def server_changes(
    spec: VideoSpec, current: RemoteVideo, version: ApiVersion
) -> tuple[Change, ...]:
    """What the copy on the server lacks of `spec`, to set in place (old → new).

    v1 can move a video only; v2 sets name, title and description too. A title or
    description the manifest leaves out is not managed (the server's own stays).
    """
    changes: list[Change] = []
    if version == "v2":
        if current.name != spec.name:
            changes.append(Change("name", current.name, spec.name))
        if spec.title is not None and current.title != spec.title:
            changes.append(Change("title", current.title, spec.title))
        if spec.description is not None and current.description != spec.description:
            changes.append(Change("description", current.description, spec.description))
    if spec.group_id is None or current.group_id != spec.group_id:
        changes.append(Change("group_id", current.group_id, spec.group_id))
    return tuple(changes)


def required_features(
    wanted: Iterable[str], depends_on: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """`wanted` with every feature they depend on (the catalog's `depends_on`), in
    dependency order (`FEATURES` order, which the catalog follows)."""
    needed: set[str] = set()
    todo = list(wanted)
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(depends_on.get(name, ()))
    ordered = [f for f in FEATURES if f in needed]
    return tuple(ordered + sorted(needed - set(FEATURES)))


def feature_changes(required: Sequence[str], current: RemoteVideo) -> tuple[Change, ...]:
    """The features to start on the server's copy of those `required` (a video's declared
    features with their dependencies, `required_features`): each one that has not run
    (`none`), or whose run failed or was blocked (started again)."""
    statuses = current.features or {}
    for name in required:  # the common case, all running or ready, builds nothing
        if statuses.get(name) not in RUNNING:
            break
    else:
        return ()
    return tuple(
        Change(FEATURE_PREFIX + name, statuses.get(name, "none"), "ready")
        for name in required
        if statuses.get(name, "none") not in RUNNING
    )
