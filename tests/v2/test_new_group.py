"""Videos moved into a group the same apply creates: in place under both API versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.v2.conftest import MakeCatalog, RequestLog
from videosync.api.versions import ApiVersionChoice
from videosync.emulator import RunningEmulator
from videosync.state.lockfile import load_lockfile

BEFORE = """\
version: 1
groups:
  spring: {name: Spring}
videos:
  - path: media/clip-00.mp4
    group: spring
  - path: media/clip-01.mp4
"""
AFTER = """\
version: 1
groups:
  spring: {name: Spring}
  autumn: {name: Autumn}
videos:
  - path: media/clip-00.mp4
    group: autumn
  - path: media/clip-01.mp4
    group: autumn
"""


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_videos_move_into_a_group_created_by_the_same_apply_keeping_their_ids(
    make_catalog: MakeCatalog,
    emulator: RunningEmulator,
    fifty_videos: list[Path],
    requests_seen: RequestLog,
    version: ApiVersionChoice,
) -> None:
    catalog = make_catalog(emulator.url, fifty_videos[:2])
    catalog.write(BEFORE)
    catalog.ok(version, "apply", "--yes")
    ids = {k: e.video_id for k, e in load_lockfile(catalog.lockfile).videos.items()}
    catalog.write(AFTER)
    requests_seen.mark()

    planned = catalog.ok(version, "plan")
    assert "  + create group autumn\n" in planned
    catalog.ok(version, "apply", "--yes")

    assert requests_seen.uploads() == []
    assert requests_seen.deletes() == []
    lock = load_lockfile(catalog.lockfile)
    assert {k: e.video_id for k, e in lock.videos.items()} == ids
    remote = catalog.remote(version)
    assert {v.group_id for v in remote.values()} == {lock.groups["autumn"].group_id}
    assert {v.video_id for v in remote.values()} == set(ids.values())
    # The group is new in the manifest, not recreated: the reason must not say it is.
    assert "recreated" not in planned
