"""Properties of planning and applying over random catalogs: deterministic, and convergent.

Each example lays out a manifest's folder with real files in a temporary directory, a
lockfile, and a remote catalog: `testing.fakeapi.FakeCatalog`, seeded with what is already
on the server. The real `Applier` carries the plan out against it, with its journal and
lockfile on disk; the next plan, made from the lockfile read back from disk and from the
catalog the run left, must find nothing to do.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from testing.fakeapi import FakeCatalog
from videosync.applying.applier import Applier
from videosync.commands.plan import local_states
from videosync.content.digest import LEGACY_ALGORITHM, new_hasher, prefixed
from videosync.model import (
    DEFAULT_GROUP,
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
    format_start,
    start_to_ms,
)
from videosync.planning.plan import Plan
from videosync.planning.planner import compute_plan
from videosync.schemas import schema_error
from videosync.state.lockfile import LOCKFILE_NAME, load_lockfile

FILES = ["a.mp4", "b.mp4", "media/c.mp4"]
IDS = ["clip-1", "clip-2"]
"""`id:` keys: each names one of FILES, not always the one it was uploaded from."""
URLS = ["https://x.test/u1.mp4", "https://x.test/u2.mp4"]
KEYS = [*FILES, *IDS, *URLS]
CONTENTS = [b"\x00" * 10, b"\x01" * 10, b"\x00" * 20]
"""What a file holds: two sizes, and two contents of one size that only a digest tells apart."""
NAMES = ["One", "Two"]
STARTS = [None, datetime(2025, 4, 12, 19, 5, 45, tzinfo=timezone.utc)]
METADATA: list[dict[str, Any]] = [{}, {"campaign": "x"}]
MANAGED = ["m1", "m2"]
REFERENCED_ID = "ref-0001"
GROUP_IDS = [DEFAULT_GROUP, REFERENCED_ID, "g-m1", "g-m2", "g-other"]
UPLOADED_AT = "2026-01-01T00:00:00Z"


def recorded_hash(data: bytes, algorithm: str) -> str:
    """The `hash` a lockfile records for `data`: `blake3:`, or `sha256:` as version 1 did."""
    if algorithm == LEGACY_ALGORITHM:
        return f"{LEGACY_ALGORITHM}:{hashlib.sha256(data).hexdigest()}"
    hasher = new_hasher(len(data))
    hasher.update(data)
    return prefixed(hasher.hexdigest())


@dataclass(frozen=True)
class Scenario:
    """A manifest (entries' paths relative to its folder) and the world it is applied to."""

    videos: tuple[DesiredVideo, ...]
    groups: tuple[DesiredGroup, ...]
    files: dict[str, bytes]
    """The content of each of FILES."""
    prune: bool
    recorded: Lockfile
    remote_videos: tuple[RemoteVideo, ...]
    remote_groups: tuple[RemoteGroup, ...]

    def catalog(self) -> FakeCatalog:
        return FakeCatalog(self.remote_videos, self.remote_groups)


@st.composite
def manifest_entry(draw: st.DrawFn, key: str, refs: list[str]) -> DesiredVideo:
    """The manifest's entry for `key`: a file, a URL, or an `id:` naming one of FILES."""
    file = draw(st.sampled_from(FILES)) if key in IDS else key
    return DesiredVideo(
        key=key,
        name=draw(st.sampled_from(NAMES)),
        path=None if key in URLS else Path(file),
        url=key if key in URLS else None,
        group=draw(st.sampled_from(refs)),
        start=draw(st.sampled_from(STARTS)),
        index=draw(st.booleans()),
        thumbnails=draw(st.booleans()),
        protect=draw(st.booleans()),
    )


def recorded_copy(draw: st.DrawFn, video_id: str, key: str, spec: VideoSpec) -> RemoteVideo | None:
    """The remote copy of a recorded upload: as uploaded, or gone, failed, renamed or moved."""
    copy = draw(st.sampled_from(["indexed", "pending", "gone", "failed", "renamed", "moved"]))
    if copy == "gone":
        return None
    assert spec.group_id is not None
    renamed = next(name for name in NAMES if name != spec.name)
    return RemoteVideo(
        video_id=video_id,
        name=renamed if copy == "renamed" else spec.name,
        group_id="g-other" if copy == "moved" else spec.group_id,
        indexing_status=copy if copy in ("pending", "failed") else "indexed",
        source=key,
        start_ms=start_to_ms(spec.start) if spec.start else None,
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    groups = [DesiredGroup(ref="r1", group_id=REFERENCED_ID)]
    for ref in MANAGED:
        if draw(st.booleans()):
            name = draw(st.sampled_from(NAMES))
            groups.append(DesiredGroup(ref, name, draw(st.sampled_from(METADATA))))
    refs = [DEFAULT_GROUP, REFERENCED_ID] + [g.ref for g in groups]
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True))
    videos = [draw(manifest_entry(key, refs)) for key in keys]
    files = {name: draw(st.sampled_from(CONTENTS)) for name in FILES}

    # m1 may have been recorded as the group the manifest now references by id: released.
    lock_groups = {
        ref: LockGroup(
            draw(st.sampled_from([f"g-{ref}", REFERENCED_ID] if ref == "m1" else [f"g-{ref}"])),
            draw(st.sampled_from(NAMES)),
        )
        for ref in draw(st.lists(st.sampled_from(MANAGED), unique=True))
    }
    known_ids = {"r1": REFERENCED_ID} | {ref: g.group_id for ref, g in lock_groups.items()}

    def group_id_of(ref: str) -> str | None:
        return known_ids.get(ref, ref if ref in GROUP_IDS else None)

    wanted = {v.key: v for v in videos}
    file_entries = [v for v in videos if v.path is not None]
    lock: dict[str, LockEntry] = {}
    remote: dict[str, RemoteVideo] = {}
    for n, key in enumerate(draw(st.lists(st.sampled_from(KEYS), unique=True))):
        source = (
            Source(url=key)
            if key in URLS
            else Source(path=draw(st.sampled_from(FILES)) if key in IDS else key)
        )
        # Uploaded as the manifest wants it now under this key (so often unchanged; an
        # `id:` entry maybe from another file), as it wants it under a new key (a file
        # renamed, or given an `id:`: a move), or as anything.
        origin = draw(st.sampled_from(["as wanted", "as wanted", "as another", "other"]))
        like = wanted.get(key) if origin == "as wanted" else None
        if origin == "as another" and key not in URLS and key not in wanted and file_entries:
            like = draw(st.sampled_from(file_entries))
        if like is not None:
            spec = VideoSpec(
                name=like.name,
                group=like.group,
                group_id=group_id_of(like.group) or draw(st.sampled_from(GROUP_IDS)),
                start=format_start(like.start) if like.start else None,
                index=like.index,
                thumbnails=like.thumbnails,
                source=source,
            )
            protect = draw(st.sampled_from([like.protect, not like.protect]))
            if like.path is not None and draw(st.booleans()):  # the file is as uploaded
                content = files[like.path.as_posix()]
            else:
                content = draw(st.sampled_from(CONTENTS))
        else:
            spec = VideoSpec(
                name=draw(st.sampled_from(NAMES)),
                group=draw(st.sampled_from(refs)),
                group_id=draw(st.sampled_from(GROUP_IDS)),
                start=draw(st.sampled_from([None, "2025-04-12T19:05:45Z"])),
                index=draw(st.booleans()),
                thumbnails=draw(st.booleans()),
                source=source,
            )
            protect = draw(st.booleans())
            content = draw(st.sampled_from(CONTENTS))
        algorithm = draw(st.sampled_from(["blake3", LEGACY_ALGORITHM]))
        is_url = source.url is not None
        video_id = f"rec-{n}"
        lock[key] = LockEntry(
            video_id,
            spec,
            size=None if is_url else len(content),
            hash=None if is_url else recorded_hash(content, algorithm),
            uploaded_at=UPLOADED_AT,
            protect=protect,
        )
        copy = recorded_copy(draw, video_id, key, spec)
        if copy is not None:
            remote[video_id] = copy
    for n in range(draw(st.integers(0, 3))):  # unmanaged videos
        start = draw(st.sampled_from(STARTS))
        remote[f"un-{n}"] = RemoteVideo(
            video_id=f"un-{n}",
            name=draw(st.sampled_from(NAMES)),
            group_id=draw(st.sampled_from(GROUP_IDS)),
            indexing_status=draw(st.sampled_from(["indexed", "failed"])),
            source=draw(st.sampled_from([*KEYS, "stray.mp4"])),
            start_ms=round(start.timestamp() * 1000) if start else None,
        )
    for n, v in enumerate(videos):  # uploads a crash left unrecorded, ready to adopt
        group_id = group_id_of(v.group)
        if group_id is not None and v.key not in lock and draw(st.booleans()):
            start_ms = round(v.start.timestamp() * 1000) if v.start else None
            name = draw(st.sampled_from([v.name, *NAMES]))
            remote[f"crash-{n}"] = RemoteVideo(
                video_id=f"crash-{n}",
                name=name,
                group_id=group_id,
                indexing_status="indexing",
                source=v.key,
                start_ms=start_ms,
            )

    # A referenced group exists, and so does every group a video is in: the server
    # refuses to delete a group that holds videos.
    remote_groups = {REFERENCED_ID: RemoteGroup(REFERENCED_ID, "Referenced")}
    in_use = [v.group_id for v in remote.values() if v.group_id != DEFAULT_GROUP]
    for gid in [*draw(st.lists(st.sampled_from(GROUP_IDS[2:]), unique=True)), *in_use]:
        if gid not in remote_groups:
            name = draw(st.sampled_from(NAMES))
            remote_groups[gid] = RemoteGroup(gid, name, draw(st.sampled_from(METADATA)))
    return Scenario(
        videos=tuple(videos),
        groups=tuple(groups),
        files=files,
        prune=draw(st.booleans()),
        recorded=Lockfile(videos=lock, groups=lock_groups),
        remote_videos=tuple(remote.values()),
        remote_groups=tuple(remote_groups.values()),
    )


@contextmanager
def catalog_folder() -> Iterator[Path]:
    """A fresh folder for one example's manifest, files, lockfile and `.videosync/`."""
    with tempfile.TemporaryDirectory(prefix="videosync-properties-") as folder:
        yield Path(folder)


# Each write gets an mtime of its own: the stat cache trusts (inode, size, mtime), and a
# same-size rewrite within one tick of the file system's clock would look unchanged.
_MTIMES = itertools.count(1_700_000_000_000_000_000, 1_000_000)


def lay_out(s: Scenario, folder: Path) -> Desired:
    """Write the scenario's files into `folder` (those that changed); its manifest there."""
    for name, data in s.files.items():
        path = folder / name
        if path.exists() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        stamp = next(_MTIMES)
        os.utime(path, ns=(stamp, stamp))
    videos = [v if v.path is None else replace(v, path=folder / v.path) for v in s.videos]
    return Desired(root=folder, videos=videos, groups=s.groups)


def plan_for(desired: Desired, recorded: Lockfile, catalog: FakeCatalog, prune: bool) -> Plan:
    return compute_plan(
        desired,
        recorded,
        list(catalog.videos.values()),
        list(catalog.groups.values()),
        local=local_states(desired, recorded, use_git=False),
        prune=prune,
        allow_protected=True,
        max_delete_percent=None,
        allow_empty=True,
    )


def apply(plan: Plan, recorded: Lockfile, desired: Desired, catalog: FakeCatalog) -> Lockfile:
    """Carry `plan` out with the real applier; the lockfile it wrote, read back from disk."""
    lock_path = desired.root / LOCKFILE_NAME
    applier = Applier(
        plan,
        recorded,
        root=desired.root,
        lock_path=lock_path,
        client=catalog,
        remote_videos=list(catalog.videos.values()),
        remote_group_ids=set(catalog.groups),
    )
    result = asyncio.run(applier.run())
    assert [(o.key, o.error) for o in result.failed] == []
    assert result.ok and result.not_started == 0
    return load_lockfile(lock_path)


def apply_and_replan(
    s: Scenario, folder: Path, catalog: FakeCatalog, recorded: Lockfile
) -> tuple[Lockfile, Plan] | None:
    """Apply the plan for `s`; the lockfile left and the next plan. None if it is refused."""
    desired = lay_out(s, folder)
    plan = plan_for(desired, recorded, catalog, s.prune)
    if not plan.applicable:
        # Only a group that still holds videos nobody deletes can block here.
        assert all("cannot be deleted" in p for p in plan.problems), plan.problems
        return None
    after = apply(plan, recorded, desired, catalog)
    return after, plan_for(desired, after, catalog, s.prune)


PLAN_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Each example applies (journal and lockfile fsynced): about 40 ms, so fewer of them.
APPLY_SETTINGS = settings(PLAN_SETTINGS, max_examples=150)


@pytest.mark.slow
@PLAN_SETTINGS
@given(scenarios())
def test_same_inputs_give_byte_identical_json(s: Scenario) -> None:
    with catalog_folder() as folder:
        desired = lay_out(s, folder)
        first = plan_for(desired, s.recorded, s.catalog(), s.prune)
        assert first.to_json() == plan_for(desired, s.recorded, s.catalog(), s.prune).to_json()
    data: Any = json.loads(first.to_json())
    assert schema_error("plan", data) is None
    assert Plan.from_dict(data) == first


@pytest.mark.slow
@APPLY_SETTINGS
@given(scenarios(), scenarios())
def test_applying_a_plan_leaves_nothing_to_do(s: Scenario, then: Scenario) -> None:
    with catalog_folder() as folder:
        catalog = s.catalog()
        applied = apply_and_replan(s, folder, catalog, s.recorded)
        if applied is None:
            return
        after, again = applied
        assert not again.has_changes, again.to_json()
        # A second manifest and new file contents over what the first apply left: noops,
        # replaces and deletes of entries that were really uploaded.
        applied = apply_and_replan(then, folder, catalog, after)
        if applied is not None:
            assert not applied[1].has_changes, applied[1].to_json()


def _moved_file() -> Scenario:
    """`clip-1` names b.mp4 now; it was uploaded from a.mp4, whose bytes b.mp4 holds."""
    content = CONTENTS[0]
    spec = VideoSpec("One", DEFAULT_GROUP, DEFAULT_GROUP, None, True, False, Source(path="a.mp4"))
    entry = LockEntry("rec-0", spec, len(content), recorded_hash(content, "blake3"), UPLOADED_AT)
    return Scenario(
        videos=(DesiredVideo("clip-1", "One", Path("b.mp4"), None, DEFAULT_GROUP, None),),
        groups=(),
        files={"a.mp4": CONTENTS[1], "b.mp4": content, "media/c.mp4": CONTENTS[2]},
        prune=False,
        recorded=Lockfile(videos={"clip-1": entry}),
        remote_videos=(RemoteVideo("rec-0", "One", DEFAULT_GROUP, "indexed", "clip-1", None),),
        remote_groups=(RemoteGroup(REFERENCED_ID, "Referenced"),),
    )


@APPLY_SETTINGS
@given(scenarios())
@example(_moved_file())
def test_after_an_apply_unchanged_entries_are_recorded_as_planned(s: Scenario) -> None:
    """The lockfile records an unchanged entry as the plan says it is: an `id:` entry whose
    file moved (a.mp4 → b.mp4) records b.mp4 after an apply, not a.mp4 forever."""
    with catalog_folder() as folder:
        applied = apply_and_replan(s, folder, s.catalog(), s.recorded)
    if applied is None:
        return
    after, again = applied
    noops = [a for a in again.actions if a.resource == "video" and a.kind == "noop"]
    assert [(a.key, after.videos[a.key].spec) for a in noops] == [(a.key, a.spec) for a in noops]
