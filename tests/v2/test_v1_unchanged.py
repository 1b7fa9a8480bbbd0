"""The same catalog under API v1: v1's behaviour, but a group change is the move call.

Issue 15, "Done when": under v1 nothing else changes (a rename still uploads again and
deletes the old copy), and moving videos to another group keeps their video_ids, with no
upload: the move call (`POST /videos/groups/{group_id}/videos`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.v2.conftest import Catalog, MakeCatalog, RequestLog
from videosync.emulator import RunningEmulator
from videosync.state.lockfile import load_lockfile

pytestmark = pytest.mark.slow  # 50 uploads

COUNT = 50
_MOVE = re.compile(r"^POST (/v1)?/videos/groups/([0-9a-f-]+)/videos 200$")


def _manifest(group: str, first_name: str = "Clip 00") -> str:
    lines = [
        "version: 1",
        "groups:",
        "  spring: {name: Spring}",
        "  autumn: {name: Autumn}",
        "defaults:",
        f"  group: {group}",
        "videos:",
    ]
    for i in range(COUNT):
        name = first_name if i == 0 else f"Clip {i:02d}"
        lines += [f"  - path: media/clip-{i:02d}.mp4", f"    name: {name}"]
    return "\n".join(lines) + "\n"


def _ids(catalog: Catalog) -> dict[str, str]:
    return {key: e.video_id for key, e in load_lockfile(catalog.lockfile).videos.items()}


@pytest.fixture
def catalog(
    make_catalog: MakeCatalog,
    emulator: RunningEmulator,
    fifty_videos: list[Path],
    requests_seen: RequestLog,
) -> Catalog:
    """The 50 videos applied under v1 in group `spring`."""
    catalog = make_catalog(emulator.url, fifty_videos)
    catalog.write(_manifest("spring"))
    out = catalog.ok("v1", "apply", "--yes")
    assert f"Apply complete: {COUNT} created, 0 replaced, 0 deleted" in out
    assert len(requests_seen.uploads()) == COUNT
    return catalog


def test_v1_moves_a_whole_catalog_to_another_group_with_the_move_call(
    catalog: Catalog, requests_seen: RequestLog
) -> None:
    before = _ids(catalog)
    catalog.write(_manifest("autumn"))
    requests_seen.mark()

    planned = catalog.ok("v1", "plan")
    assert "Vision API v2" not in planned
    assert planned.splitlines()[-1] == (
        f"Plan: 0 to create, 0 to replace, 0 to delete, 0 to adopt, {COUNT} to update "
        "(0 B to upload)."
    )
    applied = catalog.ok("v1", "apply", "--yes")
    assert f"Apply complete: 0 created, 0 replaced, 0 deleted, 0 adopted, {COUNT} updated" in (
        applied
    )

    assert requests_seen.uploads() == []
    assert requests_seen.deletes() == []
    seen = requests_seen.since_mark()
    assert not [line for line in seen if " /v2/" in line], "v1 run spoke v2"
    autumn = load_lockfile(catalog.lockfile).groups["autumn"].group_id
    moves = [m for line in seen if (m := _MOVE.match(line))]
    assert moves, f"no move call in {seen}"
    assert {m.group(2) for m in moves} == {autumn}
    assert _ids(catalog) == before
    remote = catalog.remote("v1")
    assert {v.video_id for v in remote.values()} == set(before.values())
    assert {v.group_id for v in remote.values()} == {autumn}
    assert catalog.videosync("v1", "plan", "--detailed-exitcode")[0] == 0


def test_v1_still_replaces_a_renamed_video(catalog: Catalog, requests_seen: RequestLog) -> None:
    before = _ids(catalog)
    catalog.write(_manifest("spring", first_name="Clip zero"))
    requests_seen.mark()

    applied = catalog.ok("v1", "apply", "--yes")
    assert "Apply complete: 0 created, 1 replaced, 0 deleted, 0 adopted;" in applied
    assert len(requests_seen.uploads()) == 1
    assert len(requests_seen.deletes()) == 1
    after = _ids(catalog)
    assert after["media/clip-00.mp4"] != before["media/clip-00.mp4"]
    assert {k: v for k, v in after.items() if k != "media/clip-00.mp4"} == {
        k: v for k, v in before.items() if k != "media/clip-00.mp4"
    }
    assert catalog.remote("v1")["media/clip-00.mp4"].name == "Clip zero"
