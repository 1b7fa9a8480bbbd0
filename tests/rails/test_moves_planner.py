"""Move detection on plain values: what counts as a move, and which files get hashed."""

from __future__ import annotations

from typing import Any

from tests.plan.states import H2, SIZE, entry, lock, plan_of, remote, video
from videosync.content.localfiles import LocalFileState
from videosync.model import DesiredVideo, Lockfile
from videosync.planning.moves import move_candidates

OLD = video("media/a.mp4", name="Intro")
RECORDED = lock(entry(OLD, "v1"))
REMOTE = [remote("v1", "media/a.mp4", name="Intro")]


def kinds(videos: list[DesiredVideo], **options: Any) -> list[tuple[str, str]]:
    plan = plan_of(videos, RECORDED, REMOTE, **options)
    return [(a.kind, a.key) for a in plan.actions if a.resource == "video"]


def test_same_content_and_attributes_under_a_new_key_is_a_move() -> None:
    new = video("archive/a.mp4", name="Intro")
    plan = plan_of([new], RECORDED, REMOTE)
    [action] = plan.actions
    assert (action.kind, action.key, action.moved_from, action.video_id) == (
        "move",
        "archive/a.mp4",
        "media/a.mp4",
        "v1",
    )
    assert action.reason == (
        "same content and upload attributes: only the lockfile changes (no upload, no delete)"
    )
    assert plan.applicable and plan.summary().move == 1
    assert [s.op for s in plan.steps()] == ["move"]


def test_a_new_name_is_not_a_move_the_api_cannot_rename() -> None:
    renamed = video("media/b.mp4", name="b.mp4")  # the default name follows the file name
    assert kinds([renamed]) == [("create", "media/b.mp4"), ("delete", "media/a.mp4")]


def test_another_upload_attribute_is_not_a_move() -> None:
    assert kinds([video("b.mp4", name="Intro", index=False)]) == [
        ("create", "b.mp4"),
        ("delete", "media/a.mp4"),
    ]
    assert kinds([video("b.mp4", name="Intro", thumbnails=True)])[0] == ("create", "b.mp4")


def test_other_content_of_the_same_size_is_not_a_move() -> None:
    local = {"b.mp4": LocalFileState(SIZE, H2)}
    assert kinds([video("b.mp4", name="Intro")], local=local)[0] == ("create", "b.mp4")


def test_a_new_file_that_was_not_hashed_is_a_create() -> None:
    local = {"b.mp4": LocalFileState(SIZE + 1)}  # another size: never a candidate
    assert kinds([video("b.mp4", name="Intro")], local=local)[0] == ("create", "b.mp4")


def test_one_vanished_entry_moves_to_one_new_key_only() -> None:
    first, second = video("x/a.mp4", name="Intro"), video("y/a.mp4", name="Intro")
    assert kinds([first, second]) == [("move", "x/a.mp4"), ("create", "y/a.mp4")]


def test_an_entry_gone_remotely_is_not_moved() -> None:
    plan = plan_of([video("archive/a.mp4", name="Intro")], RECORDED, [])
    assert [(a.kind, a.key) for a in plan.actions] == [
        ("create", "archive/a.mp4"),
        ("delete", "media/a.mp4"),
    ]


def test_a_url_entry_moves_with_its_url() -> None:
    url = "https://example.com/k.mp4"
    old = video("keynote", name="Keynote", url=url)
    plan = plan_of(
        [video("keynote-2025", name="Keynote", url=url)],
        lock(entry(old, "v9")),
        [remote("v9", "keynote", name="Keynote")],
    )
    assert [(a.kind, a.moved_from) for a in plan.actions] == [("move", "keynote")]


def test_a_protected_entry_can_move_without_allow_protected() -> None:
    recorded = lock(entry(OLD, "v1", protect=True))
    plan = plan_of([video("b/a.mp4", name="Intro", protect=True)], recorded, REMOTE)
    assert plan.applicable and [a.kind for a in plan.actions] == ["move"]


def test_only_new_keys_of_a_vanished_size_are_hash_candidates() -> None:
    recorded = lock(entry(OLD, "v1", size=500), entry(video("kept.mp4"), "v2", size=700))
    desired = {"kept.mp4", "new-same-size.mp4", "new-other-size.mp4"}
    sizes = {"kept.mp4": 500, "new-same-size.mp4": 500, "new-other-size.mp4": 700}
    assert move_candidates(recorded, desired, sizes) == {
        "new-same-size.mp4": recorded.videos["media/a.mp4"]
    }
    assert move_candidates(Lockfile(), desired, sizes) == {}


def test_a_protect_change_is_an_update_recorded_in_the_lockfile_only() -> None:
    recorded = lock(entry(OLD, "v1", protect=True))
    plan = plan_of([OLD], recorded, REMOTE)
    [action] = plan.actions
    assert (action.kind, action.cause, action.protect) == ("update", "protect", False)
    assert [c.to_json() for c in action.changes] == [
        {"attribute": "protect", "old": True, "new": False}
    ]
    assert [s.op for s in plan.steps()] == ["update_video"]
    assert plan.summary().update == 1 and plan.has_changes
