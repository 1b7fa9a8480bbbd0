"""The mass-delete rails as the planner applies them, on plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.plan.states import entry, lock, plan_of, remote, video
from videosync.content.localfiles import LocalFileState
from videosync.model import DesiredVideo, LockEntry, Lockfile, RemoteVideo, orphan_key
from videosync.planning.plan import Plan

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


def test_deletes_already_gone_remotely_do_not_count() -> None:
    # 6 removed, but 5 of them are already gone: 1 real delete.
    plan = plan_of(TEN[:4], RECORDED, REMOTE[:5])
    assert plan.applicable


def test_replacing_every_video_is_refused() -> None:
    # A changed default (or every file edited) replaces all: each replace deletes its old copy.
    changed = {v.key: "sha256:" + "ee" * 32 for v in TEN}
    local = {key: LocalFileState(1000, digest) for key, digest in changed.items()}
    plan = plan_of(TEN, RECORDED, REMOTE, local=local)
    assert plan.summary().replace == 10
    assert plan.problems == (
        "this plan deletes 10 of the 10 managed videos (100%), more than --max-delete-percent "
        "50 allows; review it, then rerun with --max-delete-percent 100 (or 100 to turn the "
        "rail off)",
    )


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


# --- every delete counts toward both rails (issue 13) --------------------------------------


@dataclass
class Deleting:
    """A plan that deletes two videos on the server, both for one cause."""

    id: str
    videos: list[DesiredVideo]
    recorded: Lockfile
    remote: list[RemoteVideo]
    percent: str
    """The percent rail's refusal up to "more than --max-delete-percent"."""
    enough: int
    """The percentage the refusal suggests."""
    counts: str
    """The --max-delete refusal's breakdown."""
    local: dict[str, LocalFileState] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


A, B, C = video("a.mp4"), video("b.mp4"), video("c.mp4")
EDITED = {key: LocalFileState(1000, "sha256:" + "ee" * 32) for key in ("a.mp4", "b.mp4")}


def _orphan(key: str, video_id: str) -> tuple[str, LockEntry]:
    """The lockfile record of a replace's old copy of `key`, still to delete."""
    return orphan_key(key, video_id), entry(video(key), video_id)[1]


DELETE_CAUSES = [
    Deleting(
        "removed from the manifest",
        [A],
        lock(entry(A, "v1"), entry(B, "v2"), entry(C, "v3")),
        [remote("v1"), remote("v2", "b.mp4"), remote("v3", "c.mp4")],
        "this plan deletes 2 of the 3 managed videos (67%)",
        67,
        "2 deleted, 0 replaced",
    ),
    Deleting(
        "replaced: the old copies",
        [A, B],
        lock(entry(A, "v1"), entry(B, "v2")),
        [remote("v1"), remote("v2", "b.mp4")],
        "this plan deletes 2 of the 2 managed videos (100%)",
        100,
        "0 deleted, 2 replaced",
        local=EDITED,
    ),
    Deleting(
        "adopted over the recorded copies",
        [video("a.mp4", name="New"), video("b.mp4", name="New")],
        lock(entry(A, "v1"), entry(B, "v2")),
        [
            remote("v1"),
            remote("v2", "b.mp4"),
            remote("v8", "a.mp4", name="New"),
            remote("v9", "b.mp4", name="New"),
        ],
        "this plan deletes 2 of the 2 managed videos (100%)",
        100,
        "0 deleted, 0 replaced, 2 old copies",
    ),
    Deleting(
        "old copies a replace left",
        [A],
        lock(entry(A, "v1"), _orphan("a.mp4", "o1"), _orphan("b.mp4", "o2")),
        [remote("v1"), remote("o1"), remote("o2", "b.mp4")],
        "this plan deletes 2 of the 3 managed videos (67%)",
        67,
        "0 deleted, 0 replaced, 2 old copies",
    ),
    Deleting(
        "duplicates",
        [A],
        lock(entry(A, "v1")),
        [remote("v1"), remote("v8"), remote("v9")],
        "this plan deletes 2 of the 3 videos it can reach (67%: the 1 managed, "
        "plus 2 duplicates of managed entries)",
        67,
        "0 deleted, 0 replaced, 2 duplicates",
    ),
    Deleting(
        "unmanaged, pruned",
        [A],
        lock(entry(A, "v1")),
        [remote("v1"), remote("v5", "x.mp4"), remote("v6", "y.mp4")],
        "this plan deletes 2 of the 3 videos it can reach (67%: the 1 managed, "
        "plus 2 unmanaged that --prune deletes)",
        67,
        "0 deleted, 0 replaced, 2 pruned",
        options={"prune": True, "prune_default": True},
    ),
]


def _plan(case: Deleting, **rails: Any) -> Plan:
    return plan_of(
        case.videos, case.recorded, case.remote, local=case.local, **case.options, **rails
    )


@pytest.mark.parametrize("case", DELETE_CAUSES, ids=lambda c: c.id)
def test_every_delete_counts_toward_the_percentage(case: Deleting) -> None:
    assert _plan(case).problems == (
        f"{case.percent}, more than --max-delete-percent 50 allows; review it, then rerun "
        f"with --max-delete-percent {case.enough} (or 100 to turn the rail off)",
    )
    assert _plan(case, max_delete_percent=100).applicable


@pytest.mark.parametrize("case", DELETE_CAUSES, ids=lambda c: c.id)
def test_every_delete_counts_toward_max_delete(case: Deleting) -> None:
    assert _plan(case, max_delete=1, max_delete_percent=100).problems == (
        f"this plan deletes 2 videos ({case.counts}), more than --max-delete 1 allows; "
        "review it, then raise --max-delete",
    )
    assert _plan(case, max_delete=2, max_delete_percent=100).applicable
