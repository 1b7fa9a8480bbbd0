"""Every planner action and reason, from plain values (no I/O, no server)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.plan.states import (
    H1,
    H2,
    SIZE,
    entry,
    lock,
    managed,
    plan_of,
    referenced,
    remote,
    rgroup,
    video,
)
from videosync.content.localfiles import LocalFileState
from videosync.model import (
    DesiredGroup,
    DesiredVideo,
    Lockfile,
    LockGroup,
    RemoteGroup,
    RemoteVideo,
    Source,
)
from videosync.planning.plan import Change

A = video("a.mp4")
U = video("https://example.com/k.mp4", url="https://example.com/k.mp4", name="Keynote")
G_LEGACY = "20f4bc2d-3ebe-4fd2-829f-9d88c79e8a37"
START = datetime(2025, 4, 12, 19, 5, 45, tzinfo=timezone.utc)


@dataclass
class Case:
    """One row of the decision table: inputs, then the action and reason a user reads."""

    id: str
    videos: list[DesiredVideo]
    recorded: Lockfile
    remote: list[RemoteVideo]
    kind: str
    cause: str
    reason: str
    key: str = "a.mp4"
    groups: list[DesiredGroup] = field(default_factory=list)
    local: dict[str, LocalFileState] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


VIDEO_CASES = [
    Case("new entry", [A], lock(), [], "create", "new", "new in the manifest"),
    Case(
        "recorded video gone remotely",
        [A],
        lock(entry(A, "1234567890ab")),
        [],
        "create",
        "gone",
        "recorded video 12345678… no longer exists remotely",
    ),
    Case("unchanged", [A], lock(entry(A, "v1")), [remote("v1")], "noop", "unchanged", "unchanged"),
    Case(
        "content changed",
        [A],
        lock(entry(A, "v1", digest=H2)),
        [remote("v1")],
        "replace",
        "changed",
        "file content changed (sha256 9f8e7d6c… → 1a2b3c4d…)",
    ),
    Case(
        "size changed",
        [A],
        lock(entry(A, "v1", size=900)),
        [remote("v1")],
        "replace",
        "changed",
        "file size changed (900 B → 1.0 kB)",
    ),
    Case(
        "indexing failed",
        [A],
        lock(entry(A, "v1")),
        [remote("v1", status="failed")],
        "replace",
        "failed",
        "remote copy's indexing failed",
    ),
    Case(
        "name changed",
        [A],
        lock(entry(A, "v1", name="Old")),
        [remote("v1", name="Old")],
        "replace",
        "changed",
        "name changed (API v1 cannot change it in place)",
    ),
    Case(
        "group changed",
        [video("a.mp4", group="legacy")],
        lock(entry(A, "v1")),
        [remote("v1")],
        "update",
        "changed",
        "group changed: updated in place (the video_id is kept)",
        groups=[referenced("legacy", G_LEGACY)],
    ),
    Case(
        "start, index and thumbnails changed",
        [video("a.mp4", start=START, index=False, thumbnails=True)],
        lock(entry(A, "v1")),
        [remote("v1")],
        "replace",
        "changed",
        "index changed; start changed; thumbnails changed (API v1 cannot change them in place)",
    ),
    Case(
        "URL changed",
        [U],
        lock(entry(U, "v1", source=Source(url="https://example.com/old.mp4"))),
        [remote("v1", U.key, name="Keynote")],
        "replace",
        "changed",
        "source changed",
        key=U.key,
    ),
    Case(
        "URL entry unchanged needs no local file",
        [U],
        lock(entry(U, "v1")),
        [remote("v1", U.key, name="Keynote")],
        "noop",
        "unchanged",
        "unchanged",
        key=U.key,
    ),
    Case(
        "remote copy moved to another group",
        [A],
        lock(entry(A, "v1")),
        [remote("v1", group_id="elsewhere-123456")],
        "update",
        "changed",
        "group changed: updated in place (the video_id is kept)",
    ),
    Case(
        "its managed group is gone and will be recreated",
        [video("a.mp4", group="marketing")],
        lock(
            entry(A, "v1", group="marketing", group_id="g-gone-01"),
            groups={"marketing": LockGroup("g-gone-01", "Marketing", {})},
        ),
        [remote("v1", group_id="g-gone-01")],
        "update",
        "changed",
        "group changed (to a group this apply creates): updated in place (the video_id is kept)",
        groups=[managed("marketing", "Marketing")],
    ),
    Case(
        "a file entry that was a URL",
        [A],
        lock(entry(A, "v1", source=Source(url="https://example.com/a.mp4"))),
        [remote("v1")],
        "replace",
        "changed",
        "source changed",
    ),
    Case(
        "remote copy has another name",
        [A],
        lock(entry(A, "v1")),
        [remote("v1", name="Renamed")],
        "replace",
        "changed",
        "the remote copy is named 'Renamed'",
    ),
    Case(
        "file moved under an id: key, same content",
        [video("intro", path="new/intro.mp4")],
        lock(entry(video("intro", path="old/intro.mp4"), "v1")),
        [remote("v1", "intro")],
        "update",
        "recorded",
        "the file moved: recorded in the lockfile only (nothing is sent)",
        key="intro",
    ),
    Case(
        "removed from the manifest",
        [],
        lock(entry(A, "v1")),
        [remote("v1")],
        "delete",
        "removed",
        "removed from the manifest",
    ),
    Case(
        "removed, and already gone remotely",
        [],
        lock(entry(A, "v1")),
        [],
        "delete",
        "removed",
        "removed from the manifest (already gone remotely)",
    ),
    Case(
        "interrupted upload adopted",
        [A],
        lock(),
        [remote("v9")],
        "adopt",
        "behind",
        "the lockfile is behind the server: it holds this entry's upload (same source, name, "
        "group and start), which is recorded instead of uploaded again",
    ),
    Case(
        "interrupted upload with its start adopted",
        [video("a.mp4", start=START)],
        lock(),
        [remote("v9", start_ms=1744484745000)],
        "adopt",
        "behind",
        "the lockfile is behind the server: it holds this entry's upload (same source, name, "
        "group and start), which is recorded instead of uploaded again",
    ),
    Case(
        "same source but another name is not adopted",
        [A],
        lock(),
        [remote("v9", name="Other")],
        "create",
        "new",
        "new in the manifest",
    ),
    Case(
        "same source but another group is not adopted",
        [A],
        lock(),
        [remote("v9", group_id=G_LEGACY)],
        "create",
        "new",
        "new in the manifest",
    ),
    Case(
        "a failed upload is not adopted",
        [A],
        lock(),
        [remote("v9", status="failed")],
        "create",
        "new",
        "new in the manifest",
    ),
    Case(
        "two candidates: the smallest id adopted",
        [A],
        lock(),
        [remote("v9"), remote("v8")],
        "adopt",
        "behind",
        "the lockfile is behind the server: it holds this entry's upload (same source, name, "
        "group and start), which is recorded instead of uploaded again",
    ),
    Case(
        "two candidates: the other is a duplicate",
        [A],
        lock(),
        [remote("v9"), remote("v8")],
        "delete",
        "duplicate",
        "a duplicate of a.mp4: another copy on the server uploaded for this entry",
        key="a.mp4 (duplicate)",
    ),
    Case(
        "recorded copy gone, the server holds a newer upload (a stale lockfile)",
        [A],
        lock(entry(A, "v1")),
        [remote("v9")],
        "adopt",
        "behind",
        "the lockfile is behind the server: it holds this entry's upload (same source, name, "
        "group and start), which is recorded instead of uploaded again",
    ),
    Case(
        "a replace whose new copy landed: adopted, the recorded copy deleted after",
        [video("a.mp4", name="New")],
        lock(entry(A, "v1")),
        [remote("v1"), remote("v9", name="New")],
        "adopt",
        "behind",
        "the lockfile is behind the server: it holds this entry's upload (same source, name, "
        "group and start), which is recorded instead of uploaded again; the recorded copy v1 is "
        "deleted after",
    ),
    Case(
        "a second copy of an unchanged entry is a duplicate",
        [A],
        lock(entry(A, "v1")),
        [remote("v1"), remote("v9")],
        "delete",
        "duplicate",
        "a duplicate of a.mp4: another copy on the server uploaded for this entry",
        key="a.mp4 (duplicate)",
    ),
    Case(
        "unmanaged video pruned",
        [],
        lock(),
        [remote("v5", "stray.mp4")],
        "delete",
        "unmanaged",
        "not in the manifest or the lockfile ('stray', source 'stray.mp4'); --prune deletes it",
        key="v5",
        options={"prune": True, "prune_default": True},
    ),
]


@pytest.mark.parametrize("case", VIDEO_CASES, ids=lambda c: c.id)
def test_video_action_and_reason(case: Case) -> None:
    # `[]` desired with prune still has to "use" the default group: give it an unrelated entry.
    videos = case.videos
    if case.options.get("prune") and not videos:
        videos = [video("other.mp4")]
    plan = plan_of(
        videos, case.recorded, case.remote, groups=case.groups, local=case.local, **case.options
    )
    [action] = [a for a in plan.actions if a.resource == "video" and a.key == case.key]
    assert (action.kind, action.cause, action.reason) == (case.kind, case.cause, case.reason)
    assert plan.applicable


def test_content_change_shows_old_and_new_digest() -> None:
    plan = plan_of([A], lock(entry(A, "v1", digest=H2)), [remote("v1")])
    [action] = plan.changes
    assert action.changes == (Change("hash", H2, H1),)
    assert action.video_id == "v1"
    assert action.size == SIZE


def test_attribute_changes_old_to_new() -> None:
    plan = plan_of([video("a.mp4", name="New")], lock(entry(A, "v1")), [remote("v1")])
    assert plan.changes[0].changes == (Change("name", "a", "New"),)


def test_unmanaged_left_alone_and_counted_without_prune() -> None:
    plan = plan_of([A], lock(entry(A, "v1")), [remote("v1"), remote("v5", "stray.mp4")])
    assert not plan.has_changes
    assert plan.unmanaged == 1


def test_prune_only_deletes_within_the_groups_the_manifest_uses() -> None:
    plan = plan_of(
        [A],
        lock(entry(A, "v1")),
        [remote("v1"), remote("v5", "x.mp4"), remote("v6", "y.mp4", group_id=G_LEGACY)],
        prune=True,
        prune_default=True,
    )
    assert [(a.kind, a.key) for a in plan.changes] == [("delete", "v5")]
    assert plan.unmanaged == 1


def test_prune_leaves_the_shared_default_group_alone_without_prune_default() -> None:
    recorded = lock(entry(A, "v1"))
    remote_videos = [remote("v1"), remote("v5", "x.mp4")]
    plan = plan_of([A], recorded, remote_videos, prune=True)
    assert not plan.has_changes
    assert plan.unmanaged == 1
    plan = plan_of([A], recorded, remote_videos, prune=True, prune_default=True)
    assert [(a.kind, a.key, a.group_id) for a in plan.changes] == [("delete", "v5", "default")]


def test_prune_deletes_in_a_managed_group_without_prune_default() -> None:
    clip = video("a.mp4", group="marketing")
    recorded = lock(entry(clip, "v1", group_id="g-mkt-0001"), groups=LOCK_MKT)
    plan = plan_of(
        [clip],
        recorded,
        [
            remote("v1", group_id="g-mkt-0001"),
            remote("v5", "x.mp4", group_id="g-mkt-0001"),
            remote("v6", "y.mp4"),
        ],
        groups=[MKT],
        remote_groups=[
            rgroup("g-mkt-0001", "Marketing clips", campaign="launch", videosync="marketing")
        ],
        prune=True,
    )
    assert [(a.kind, a.key, a.group_id) for a in plan.changes] == [("delete", "v5", "g-mkt-0001")]
    assert plan.unmanaged == 1


def test_adopted_video_is_not_pruned() -> None:
    plan = plan_of([A], lock(), [remote("v9")], prune=True)
    assert [(a.kind, a.key) for a in plan.changes] == [("adopt", "a.mp4")]


def test_url_entry_bytes_are_not_counted_as_upload() -> None:
    plan = plan_of([A, U])
    assert plan.summary().upload_bytes == SIZE


@pytest.mark.parametrize(
    ("recorded", "videos", "remote_videos", "verb"),
    [
        (lock(entry(A, "v1", protect=True)), [], [remote("v1")], "deleted"),
        (
            lock(entry(A, "v1", digest=H2)),
            [video("a.mp4", protect=True)],
            [remote("v1")],
            "replaced",
        ),
    ],
    ids=["delete", "replace"],
)
def test_protected_entry_is_blocked_without_allow_protected(
    recorded: Lockfile, videos: list[DesiredVideo], remote_videos: list[RemoteVideo], verb: str
) -> None:
    plan = plan_of(videos, recorded, remote_videos)
    [action] = plan.changes
    assert action.blocked == f"protected (protect: true): not {verb} without --allow-protected"
    assert not plan.applicable
    assert plan.problems == (
        "1 protected entry would be replaced or deleted (a.mp4); "
        "rerun with --allow-protected to allow it",
    )
    allowed = plan_of(videos, recorded, remote_videos, allow_protected=True)
    assert allowed.applicable
    assert allowed.changes[0].blocked is None


def test_protected_entry_gone_remotely_is_not_blocked() -> None:
    plan = plan_of([], lock(entry(A, "v1", protect=True)), [])
    assert plan.applicable


def test_max_delete_counts_deletes_and_replaced_copies() -> None:
    b, c = video("b.mp4"), video("c.mp4")
    recorded = lock(entry(A, "v1", digest=H2), entry(b, "v2"), entry(c, "v3"))
    remote_videos = [remote("v1"), remote("v2", "b.mp4"), remote("v3", "c.mp4")]
    # 2 of 3 deleted is the percent rail's too (tests/rails): not what this test is about
    assert plan_of([A], recorded, remote_videos, max_delete=3, max_delete_percent=100).applicable
    plan = plan_of([A], recorded, remote_videos, max_delete=2, max_delete_percent=100)
    assert plan.problems == (
        "this plan deletes 3 videos (2 deleted, 1 replaced), more than --max-delete 2 allows; "
        "review it, then raise --max-delete",
    )


def test_max_delete_zero_allows_a_plan_without_deletes() -> None:
    assert plan_of([A], max_delete=0).applicable


# --- groups ---------------------------------------------------------------------------------

MKT = managed("marketing", "Marketing clips", campaign="launch")
LOCK_MKT = {"marketing": LockGroup("g-mkt-0001", "Marketing clips", {"campaign": "launch"})}


@dataclass
class GroupCase:
    id: str
    groups: list[DesiredGroup]
    recorded: dict[str, LockGroup]
    remote: list[RemoteGroup]
    kind: str
    cause: str
    reason: str
    changes: tuple[Change, ...] = ()
    remote_videos: list[RemoteVideo] = field(default_factory=list)
    videos: list[DesiredVideo] = field(default_factory=list)


GROUP_CASES = [
    GroupCase("new group", [MKT], {}, [], "create", "new", "new in the manifest"),
    GroupCase(
        "new group with a namesake videosync did not create",
        [MKT],
        {},
        [rgroup("g-theirs-01", "Marketing clips")],
        "create",
        "new",
        "new in the manifest; a remote group named 'Marketing clips' (g-theirs…) exists that "
        "videosync did not create: reference it with `id:` to use it instead",
    ),
    GroupCase(
        "recorded group gone remotely",
        [MKT],
        LOCK_MKT,
        [],
        "create",
        "gone",
        "recorded group g-mkt-00… no longer exists remotely",
    ),
    GroupCase(
        "unchanged group",
        [MKT],
        LOCK_MKT,
        [rgroup("g-mkt-0001", "Marketing clips", campaign="launch", videosync="marketing")],
        "noop",
        "unchanged",
        "unchanged",
    ),
    GroupCase(
        "a group made before the marker existed is marked",
        [MKT],
        LOCK_MKT,
        [rgroup("g-mkt-0001", "Marketing clips", campaign="launch")],
        "update",
        "changed",
        "marked as videosync's (metadata key 'videosync')",
        (Change("metadata.videosync", None, "marketing"),),
    ),
    GroupCase(
        "a group the server marks as this entry's is adopted (a stale lockfile)",
        [MKT],
        {},
        [
            rgroup("g-theirs-01", "Marketing clips"),
            rgroup("g-mkt-0002", "Marketing clips", campaign="launch", videosync="marketing"),
        ],
        "adopt",
        "behind",
        "the lockfile is behind the server: it holds this group (marked as videosync's "
        "'marketing'), which is recorded instead of created again",
    ),
    GroupCase(
        "an adopted group that differs is brought in line",
        [MKT],
        LOCK_MKT,
        [rgroup("g-mkt-0002", "Marketing clips", campaign="old", videosync="marketing")],
        "adopt",
        "behind",
        "the lockfile is behind the server: it holds this group (marked as videosync's "
        "'marketing'), which is recorded instead of created again (the recorded g-mkt-00… is "
        "gone); then metadata changed",
        (Change("metadata.campaign", "old", "launch"),),
    ),
    GroupCase(
        "renamed group",
        [managed("marketing", "Marketing", campaign="launch")],
        LOCK_MKT,
        [rgroup("g-mkt-0001", "Marketing clips", campaign="launch", videosync="marketing")],
        "update",
        "changed",
        "name changed",
        (Change("name", "Marketing clips", "Marketing"),),
    ),
    GroupCase(
        "metadata changed, also when changed on the server",
        [MKT],
        LOCK_MKT,
        [rgroup("g-mkt-0001", "Marketing clips", campaign="x", extra=1, videosync="marketing")],
        "update",
        "changed",
        "metadata changed",
        (Change("metadata.campaign", "x", "launch"), Change("metadata.extra", 1, None)),
    ),
    GroupCase(
        "group removed from the manifest",
        [],
        LOCK_MKT,
        [rgroup("g-mkt-0001", "Marketing clips")],
        "delete",
        "removed",
        "removed from the manifest",
    ),
    GroupCase(
        "group removed, and already gone remotely",
        [],
        LOCK_MKT,
        [],
        "delete",
        "removed",
        "removed from the manifest (already gone remotely)",
    ),
    GroupCase(
        "group now referenced by id is kept",
        [referenced("marketing", "g-mkt-0001")],
        LOCK_MKT,
        [rgroup("g-mkt-0001", "Marketing clips")],
        "noop",
        "released",
        "now referenced by id, no longer managed: the group is kept",
    ),
]


@pytest.mark.parametrize("case", GROUP_CASES, ids=lambda c: c.id)
def test_group_action_and_reason(case: GroupCase) -> None:
    plan = plan_of(
        case.videos,
        lock(groups=case.recorded),
        case.remote_videos,
        groups=case.groups,
        remote_groups=case.remote,
    )
    [action] = [a for a in plan.actions if a.resource == "group"]
    assert (action.kind, action.cause, action.reason) == (case.kind, case.cause, case.reason)
    assert action.changes == case.changes


def test_group_delete_blocked_while_videos_remain_in_it() -> None:
    plan = plan_of(
        [],
        lock(groups=LOCK_MKT),
        [remote("v7", "x.mp4", group_id="g-mkt-0001")],
        remote_groups=[rgroup("g-mkt-0001", "Marketing clips")],
    )
    assert plan.problems == (
        "group marketing cannot be deleted: it still holds 1 video(s) this plan does not "
        "delete; move or delete them first",
    )


def test_videos_in_a_new_group_wait_for_its_id() -> None:
    plan = plan_of([video("a.mp4", group="marketing")], groups=[MKT])
    upload = next(a for a in plan.actions if a.resource == "video")
    assert upload.spec is not None
    assert (upload.spec.group, upload.spec.group_id) == ("marketing", None)


def test_moving_a_video_to_a_new_group_moves_it_in_place_once_the_group_exists() -> None:
    b = video("b.mp4", group="marketing")
    recorded = lock(
        entry(A, "v1", group_id="g-old-0001", group="old"),
        entry(b, "v2"),
        groups={"old": LockGroup("g-old-0001", "Old", {})},
    )
    plan = plan_of(
        [video("a.mp4", group="marketing")],
        recorded,
        [remote("v1", group_id="g-old-0001"), remote("v2", "b.mp4")],
        groups=[MKT],
        remote_groups=[rgroup("g-old-0001", "Old")],
        max_delete_percent=100,  # 2 of 2 deleted is the percent rail's (tests/rails)
    )
    assert [(s.op, s.action.key) for s in plan.steps()] == [
        ("create_group", "marketing"),
        ("update_video", "a.mp4"),
        ("delete_video", "b.mp4"),
        ("delete_group", "old"),
    ]
    assert plan.applicable


def test_no_changes_when_everything_matches() -> None:
    recorded = lock(entry(A, "v1", group="marketing", group_id="g-mkt-0001"), groups=LOCK_MKT)
    plan = plan_of(
        [video("a.mp4", group="marketing")],
        recorded,
        [remote("v1", group_id="g-mkt-0001")],
        groups=[MKT],
        remote_groups=[
            rgroup("g-mkt-0001", "Marketing clips", campaign="launch", videosync="marketing")
        ],
    )
    assert not plan.has_changes
    assert plan.summary().unchanged == 1


def test_missing_digest_for_a_same_size_file_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match=r"digest of 'a\.mp4' is needed"):
        plan_of([A], lock(entry(A, "v1")), [remote("v1")], local={"a.mp4": LocalFileState(SIZE)})


def test_a_create_needs_no_digest() -> None:
    plan = plan_of([A], local={"a.mp4": LocalFileState(SIZE)})
    assert plan.changes[0].kind == "create"


def test_a_second_group_marked_for_the_same_entry_is_deleted_with_its_copies() -> None:
    recorded = lock(entry(A, "v1", group="marketing", group_id="g-mkt-0001"), groups=LOCK_MKT)
    plan = plan_of(
        [video("a.mp4", group="marketing")],
        recorded,
        [remote("v1", group_id="g-mkt-0001"), remote("v2", group_id="g-mkt-0002")],
        groups=[MKT],
        remote_groups=[
            rgroup("g-mkt-0001", "Marketing clips", campaign="launch", videosync="marketing"),
            rgroup("g-mkt-0002", "Marketing clips", campaign="launch", videosync="marketing"),
        ],
    )
    assert [(s.op, s.action.key) for s in plan.steps()] == [
        ("delete_video", "a.mp4 (duplicate)"),
        ("delete_group", "marketing (duplicate)"),
    ]
    assert plan.applicable


def test_videos_of_an_adopted_group_are_adopted_not_uploaded_again() -> None:
    plan = plan_of(
        [video("a.mp4", group="marketing")],
        lock(),
        [remote("v1", group_id="g-mkt-0002")],
        groups=[MKT],
        remote_groups=[
            rgroup("g-mkt-0002", "Marketing clips", campaign="launch", videosync="marketing")
        ],
    )
    assert [(a.resource, a.kind, a.key) for a in plan.changes] == [
        ("group", "adopt", "marketing"),
        ("video", "adopt", "a.mp4"),
    ]
    summary = plan.summary()
    assert (summary.adopt, summary.group_adopt, summary.create) == (1, 1, 0)


def test_an_adopt_that_supersedes_the_recorded_copy_deletes_it_after() -> None:
    plan = plan_of(
        [video("a.mp4", name="New")], lock(entry(A, "v1")), [remote("v1"), remote("v9", name="New")]
    )
    assert [(s.op, s.action.key, s.action.replaces) for s in plan.steps()] == [
        ("adopt", "a.mp4", "v1"),
        ("delete_video", "a.mp4", "v1"),
    ]


def test_a_copy_of_the_same_key_in_a_group_of_someone_else_is_not_a_duplicate() -> None:
    plan = plan_of(
        [A], lock(entry(A, "v1")), [remote("v1"), remote("v9", name="Other", group_id=G_LEGACY)]
    )
    assert not plan.has_changes
    assert plan.unmanaged == 1
