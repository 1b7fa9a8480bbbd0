"""Properties of the planner over random states: deterministic, and applying converges.

The in-memory catalog below applies a plan's steps the way an applier must (groups, then
uploads, then deletes, then group deletes); planning again from the result must find
nothing to do.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.plan.states import ROOT
from videosync.content.localfiles import LocalFileState
from videosync.model import (
    Desired,
    DesiredGroup,
    DesiredVideo,
    LockEntry,
    Lockfile,
    LockGroup,
    RemoteGroup,
    RemoteVideo,
    Source,
    VideoSpec,
    start_to_ms,
)
from videosync.planning.plan import Plan
from videosync.planning.planner import compute_plan
from videosync.schemas import schema_error

KEYS = ["a.mp4", "b.mp4", "c.mp4", "d.mp4", "https://x.test/u1.mp4", "https://x.test/u2.mp4"]
NAMES = ["One", "Two"]
STARTS = [None, datetime(2025, 4, 12, 19, 5, 45, tzinfo=timezone.utc)]
DIGESTS = ["sha256:" + c * 64 for c in "ab"]
MANAGED = ["m1", "m2"]
REFERENCED_ID = "ref-0001"
GROUP_IDS = ["default", REFERENCED_ID, "g-m1", "g-m2", "g-other"]


@dataclass
class World:
    """A catalog and its lockfile, changed only by applying plans."""

    lock: dict[str, LockEntry]
    lock_groups: dict[str, LockGroup]
    remote: dict[str, RemoteVideo]
    remote_groups: dict[str, RemoteGroup]
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def lockfile(self) -> Lockfile:
        return Lockfile(videos=dict(self.lock), groups=dict(self.lock_groups))


@dataclass(frozen=True)
class Scenario:
    videos: list[DesiredVideo]
    groups: list[DesiredGroup]
    local: dict[str, LocalFileState]
    world: World
    prune: bool


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    groups = [DesiredGroup(ref="r1", group_id=REFERENCED_ID)]
    for ref in MANAGED:
        if draw(st.booleans()):
            meta = draw(st.sampled_from([{}, {"campaign": "x"}]))
            groups.append(DesiredGroup(ref=ref, name=draw(st.sampled_from(NAMES)), metadata=meta))
    refs = ["default", REFERENCED_ID] + [g.ref for g in groups]
    videos, local = [], {}
    for key in draw(st.lists(st.sampled_from(KEYS), unique=True)):
        is_url = key.startswith("https:")
        videos.append(
            DesiredVideo(
                key=key,
                name=draw(st.sampled_from(NAMES)),
                path=None if is_url else ROOT / key,
                url=key if is_url else None,
                group=draw(st.sampled_from(refs)),
                start=draw(st.sampled_from(STARTS)),
                index=draw(st.booleans()),
                thumbnails=draw(st.booleans()),
                protect=draw(st.booleans()),
            )
        )
        if not is_url:
            local[key] = LocalFileState(
                draw(st.sampled_from([10, 20])), draw(st.sampled_from(DIGESTS))
            )

    lock_groups = {
        ref: LockGroup(f"g-{ref}", draw(st.sampled_from(NAMES)), {})
        for ref in draw(st.lists(st.sampled_from(MANAGED), unique=True))
    }
    remote_groups = {
        gid: RemoteGroup(
            gid, draw(st.sampled_from(NAMES)), draw(st.sampled_from([{}, {"campaign": "x"}]))
        )
        for gid in draw(st.lists(st.sampled_from(GROUP_IDS[1:]), unique=True))
    }
    lock: dict[str, LockEntry] = {}
    remote: dict[str, RemoteVideo] = {}
    for n, key in enumerate(draw(st.lists(st.sampled_from(KEYS), unique=True))):
        is_url = key.startswith("https:")
        group_id = draw(st.sampled_from(GROUP_IDS))
        spec = VideoSpec(
            name=draw(st.sampled_from(NAMES)),
            group=draw(st.sampled_from(refs)),
            group_id=group_id,
            start=draw(st.sampled_from([None, "2025-04-12T19:05:45Z"])),
            index=draw(st.booleans()),
            thumbnails=draw(st.booleans()),
            source=Source(url=key) if is_url else Source(path=key),
        )
        video_id = f"rec-{n}"
        lock[key] = LockEntry(
            video_id, spec,
            size=None if is_url else draw(st.sampled_from([10, 20])),
            hash=None if is_url else draw(st.sampled_from(DIGESTS)),
            protect=draw(st.booleans()),
        )  # fmt: skip
        if draw(st.booleans()):  # the recorded copy may be gone remotely (drift)
            remote[video_id] = RemoteVideo(
                video_id, spec.name,
                draw(st.sampled_from([group_id, "g-other"])),
                draw(st.sampled_from(["indexed", "pending", "failed"])),
                key, start_to_ms(spec.start) if spec.start else None,
            )  # fmt: skip
    for n in range(draw(st.integers(0, 3))):  # unmanaged videos, some left by a crash
        source = draw(st.sampled_from([*KEYS, "stray.mp4"]))
        start = draw(st.sampled_from(STARTS))
        remote[f"un-{n}"] = RemoteVideo(
            f"un-{n}", draw(st.sampled_from(NAMES)), draw(st.sampled_from(GROUP_IDS)),
            draw(st.sampled_from(["indexed", "failed"])), source,
            round(start.timestamp() * 1000) if start else None,
        )  # fmt: skip
    for n, v in enumerate(videos):  # uploads a crash left unrecorded, ready to adopt
        if v.group in ("default", REFERENCED_ID) and v.key not in lock and draw(st.booleans()):
            start_ms = round(v.start.timestamp() * 1000) if v.start else None
            name = draw(st.sampled_from([v.name, *NAMES]))
            remote[f"crash-{n}"] = RemoteVideo(
                f"crash-{n}", name, v.group, "indexing", v.key, start_ms
            )
    world = World(lock, lock_groups, remote, remote_groups)
    return Scenario(videos, groups, local, world, draw(st.booleans()))


def plan_for(s: Scenario, world: World) -> Plan:
    return compute_plan(
        Desired(root=ROOT, videos=s.videos, groups=s.groups),
        world.lockfile(),
        list(world.remote.values()),
        list(world.remote_groups.values()),
        local=s.local,
        prune=s.prune,
        allow_protected=True,
        max_delete_percent=None,
        allow_empty=True,
    )


def apply(plan: Plan, world: World, local: dict[str, LocalFileState]) -> None:
    """What an applier does, step by step, against an in-memory catalog."""
    for step in plan.steps():
        a = step.action
        if step.op == "create_group":
            assert a.group is not None
            gid = f"new-{next(world.ids)}"
            world.remote_groups[gid] = RemoteGroup(gid, a.group.name, dict(a.group.metadata))
            world.lock_groups[a.key] = LockGroup(gid, a.group.name, dict(a.group.metadata))
        elif step.op == "update_group":
            assert a.group is not None and a.group_id is not None
            world.remote_groups[a.group_id] = RemoteGroup(
                a.group_id, a.group.name, dict(a.group.metadata)
            )
            world.lock_groups[a.key] = LockGroup(a.group_id, a.group.name, dict(a.group.metadata))
        elif step.op in ("upload", "adopt"):
            assert a.spec is not None
            gid = a.spec.group_id or world.lock_groups[a.spec.group].group_id
            spec = replace(a.spec, group_id=gid)
            if step.op == "upload":
                video_id = f"new-{next(world.ids)}"
                start_ms = start_to_ms(spec.start) if spec.start else None
                world.remote[video_id] = RemoteVideo(
                    video_id, spec.name, gid, "pending", a.key, start_ms
                )
            else:
                assert a.video_id is not None
                video_id = a.video_id
            state = local.get(a.key)
            world.lock[a.key] = LockEntry(
                video_id, spec, state.size if state else None, state.digest if state else None,
                protect=a.protect,
            )  # fmt: skip
        elif step.op == "move":
            assert a.spec is not None and a.moved_from is not None
            old = world.lock.pop(a.moved_from)
            world.lock[a.key] = replace(old, spec=a.spec, protect=a.protect)
        elif step.op == "update_video":
            world.lock[a.key] = replace(world.lock[a.key], protect=a.protect)
        elif step.op == "delete_video":
            assert a.video_id is not None
            world.remote.pop(a.video_id, None)
            if a.kind == "delete" and a.cause != "unmanaged":
                del world.lock[a.key]
        elif step.op == "delete_group":
            assert a.group_id is not None
            world.remote_groups.pop(a.group_id, None)
            del world.lock_groups[a.key]
    for a in plan.actions:  # unchanged entries are re-recorded; released groups forgotten
        if a.kind == "noop" and a.resource == "video" and a.spec is not None:
            world.lock[a.key] = replace(world.lock[a.key], spec=a.spec, protect=a.protect)
        if a.kind == "noop" and a.cause == "released":
            del world.lock_groups[a.key]


PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(scenarios())
def test_same_inputs_give_byte_identical_json(s: Scenario) -> None:
    first = plan_for(s, s.world)
    assert first.to_json() == plan_for(s, s.world).to_json()
    data: Any = json.loads(first.to_json())
    assert schema_error("plan", data) is None
    assert Plan.from_dict(data) == first


def converges(s: Scenario, world: World) -> bool:
    """Apply the plan for `s` to `world`; assert the next plan is empty. False if blocked."""
    plan = plan_for(s, world)
    if not plan.applicable:
        # Only a group that still holds videos nobody deletes can block here.
        assert all("cannot be deleted" in p for p in plan.problems)
        return False
    apply(plan, world, s.local)
    again = plan_for(s, world)
    assert not again.has_changes, again.to_json()
    return True


@PROPERTY_SETTINGS
@given(scenarios(), scenarios())
def test_applying_a_plan_leaves_nothing_to_do(s: Scenario, then: Scenario) -> None:
    if converges(s, s.world):
        # A second manifest over the catalog the first apply left: noops, replaces, deletes
        # of entries that were really uploaded.
        converges(then, s.world)
