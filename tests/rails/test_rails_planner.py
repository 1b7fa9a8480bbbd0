"""The mass-delete rails as the planner applies them, on plain values."""

from __future__ import annotations

from tests.plan.states import entry, lock, plan_of, remote, video
from videosync.content.localfiles import LocalFileState

TEN = [video(f"v{n}.mp4") for n in range(10)]
RECORDED = lock(*(entry(v, f"id{n}") for n, v in enumerate(TEN)))
REMOTE = [remote(f"id{n}", f"v{n}.mp4") for n in range(10)]


def test_deleting_more_than_half_is_refused_naming_numbers_and_flag() -> None:
    plan = plan_of(TEN[:4], RECORDED, REMOTE)
    assert plan.problems == (
        "this plan deletes 6 of the 10 managed videos (60%), more than --max-delete-percent "
        "50 allows; review it, then rerun with --max-delete-percent 60 (or 100 to turn the "
        "rail off)",
    )
    assert plan_of(TEN[:4], RECORDED, REMOTE, max_delete_percent=60).applicable
    assert plan_of(TEN[:4], RECORDED, REMOTE, max_delete_percent=100).applicable


def test_exactly_half_is_allowed_at_the_default() -> None:
    assert plan_of(TEN[:5], RECORDED, REMOTE).applicable


def test_the_suggested_percentage_is_rounded_up() -> None:
    three = lock(*(entry(v, f"id{n}") for n, v in enumerate(TEN[:3])))
    plan = plan_of(TEN[:1], three, REMOTE[:3])
    assert "deletes 2 of the 3 managed videos (67%)" in plan.problems[0]
    assert "rerun with --max-delete-percent 67 " in plan.problems[0]
    assert plan_of(TEN[:1], three, REMOTE[:3], max_delete_percent=67).applicable


def test_a_single_delete_is_never_refused_by_the_percentage() -> None:
    two = lock(entry(TEN[0], "id0"), entry(TEN[1], "id1"))
    assert plan_of([TEN[0]], two, REMOTE[:2], max_delete_percent=0).applicable


def test_deletes_already_gone_remotely_and_replaces_do_not_count() -> None:
    # 6 removed, but 5 of them are already gone: 1 real delete.
    plan = plan_of(TEN[:4], RECORDED, REMOTE[:5])
    assert plan.applicable
    changed = {v.key: "sha256:" + "ee" * 32 for v in TEN}  # every file edited: 10 replaces
    local = {key: LocalFileState(1000, digest) for key, digest in changed.items()}
    assert plan_of(TEN, RECORDED, REMOTE, local=local).summary().replace == 10
    assert plan_of(TEN, RECORDED, REMOTE, local=local).applicable


def test_an_empty_manifest_is_refused_outright() -> None:
    one = lock(entry(TEN[0], "id0"))
    plan = plan_of([], one, REMOTE[:1], allow_empty=False)
    assert plan.problems == (
        "the manifest resolves to 0 videos while the lockfile manages 1: applying it would "
        "delete all 1; check the manifest's path and globs, or rerun with --allow-empty if "
        "the catalog is meant to be emptied",
    )
    # even with every other rail off
    plan = plan_of([], one, REMOTE[:1], allow_empty=False, max_delete_percent=100)
    assert not plan.applicable


def test_allow_empty_empties_the_catalog_without_the_percentage() -> None:
    plan = plan_of([], RECORDED, REMOTE, allow_empty=True)
    assert plan.applicable
    assert plan.summary().delete == 10


def test_an_empty_manifest_with_an_empty_lockfile_is_fine() -> None:
    assert plan_of([], allow_empty=False).applicable
