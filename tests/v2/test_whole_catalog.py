"""A whole catalog of 50 videos under API v2: everything but the content changes in place.

Issue 15, "Done when": renaming, retitling, redescribing and moving to another group all
50 videos is one apply with nothing uploaded, nothing deleted and every video_id kept;
declaring `captions` in `defaults` starts exactly the missing features, dependencies
first, and `apply --wait` returns once they are ready.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from tests.v2.conftest import Catalog, MakeCatalog, RequestLog
from videosync.emulator import RunningEmulator
from videosync.state.lockfile import load_lockfile

pytestmark = pytest.mark.slow  # 50 uploads, then features that take 0.6 s each

COUNT = 50


def _manifest(*, name: str, title: str, description: str, group: str, features: str) -> str:
    """The 50-video manifest; `name` and `title` are formats of the video's number."""
    lines = [
        "version: 1",
        "groups:",
        "  spring: {name: Spring}",
        "  autumn: {name: Autumn}",
        "defaults:",
        f"  group: {group}",
        f"  description: {description}",
        f"  features: {features}",
        "videos:",
    ]
    for i in range(COUNT):
        lines += [
            f"  - path: media/clip-{i:02d}.mp4",
            f"    name: {name.format(i)}",
            f"    title: {title.format(i)}",
        ]
    return "\n".join(lines) + "\n"


FIRST = _manifest(
    name="Clip {:02d}",
    title="Clip {:02d}, first cut",
    description="Spring catalog",
    group="spring",
    features="[]",
)
RENAMED = _manifest(
    name="Clip {:02d} (final)",
    title="Clip {:02d}, final cut",
    description="Autumn catalog",
    group="autumn",
    features="[]",
)
CAPTIONED = RENAMED.replace("  features: []\n", "  features: [captions]\n")
EMBEDDED = RENAMED.replace("  features: []\n", "  features: [transcript, captions, embeddings]\n")


def _ids(catalog: Catalog) -> dict[str, str]:
    return {key: e.video_id for key, e in load_lockfile(catalog.lockfile).videos.items()}


@pytest.fixture
def catalog(
    make_catalog: MakeCatalog,
    slow_emulator: RunningEmulator,
    fifty_videos: list[Path],
    requests_seen: RequestLog,
) -> Catalog:
    """The 50 videos uploaded under v2 in group `spring`, no feature declared."""
    catalog = make_catalog(slow_emulator.url, fifty_videos)
    catalog.write(FIRST)
    out = catalog.ok("v2", "apply", "--yes")
    assert f"Apply complete: {COUNT} created, 0 replaced, 0 deleted" in out
    assert len(requests_seen.uploads()) == COUNT
    return catalog


def test_rename_retitle_redescribe_and_move_of_50_videos_uploads_nothing(
    catalog: Catalog, requests_seen: RequestLog
) -> None:
    before = _ids(catalog)
    catalog.write(RENAMED)
    requests_seen.mark()

    planned = catalog.ok("v2", "plan")
    assert "Vision API v2: names, titles, descriptions and groups change in place." in planned
    assert planned.splitlines()[-1] == (
        f"Plan: 0 to create, 0 to replace, 0 to delete, 0 to adopt, {COUNT} to update "
        "(0 B to upload)."
    )
    applied = catalog.ok("v2", "apply", "--yes")
    assert applied.splitlines()[-1] == (
        f"Apply complete: 0 created, 0 replaced, 0 deleted, 0 adopted, {COUNT} updated; "
        "groups: 0 created, 0 updated, 0 deleted."
    )

    assert requests_seen.uploads() == []
    assert requests_seen.deletes() == []
    assert _ids(catalog) == before
    lock = load_lockfile(catalog.lockfile)
    autumn = lock.groups["autumn"].group_id
    remote = catalog.remote()
    assert {v.video_id for v in remote.values()} == set(before.values())
    for i in range(COUNT):
        video = remote[f"media/clip-{i:02d}.mp4"]
        assert video.video_id == before[f"media/clip-{i:02d}.mp4"]
        assert (video.name, video.title, video.description, video.group_id) == (
            f"Clip {i:02d} (final)",
            f"Clip {i:02d}, final cut",
            "Autumn catalog",
            autumn,
        )
    assert catalog.videosync("v2", "plan", "--detailed-exitcode")[0] == 0


def test_declaring_captions_starts_the_missing_features_in_order_and_wait_sees_them_ready(
    catalog: Catalog, requests_seen: RequestLog
) -> None:
    catalog.write(CAPTIONED)
    planned = catalog.ok("v2", "plan")
    assert planned.count("features: +transcript +captions\n") == COUNT
    requests_seen.mark()

    applied = catalog.ok("v2", "apply", "--yes", "--wait", "--timeout", "30")
    assert f"all {COUNT} videos are uploaded with their features ready" in applied

    runs: dict[str, list[str]] = defaultdict(list)
    for video_id, feature, status in requests_seen.triggers():
        # A feature asked for before what it needs is ready is refused (409): none was.
        assert status.startswith("2"), (video_id, feature, status)
        runs[video_id].append(feature)
    ids = _ids(catalog)
    assert runs == {video_id: ["transcript", "captions"] for video_id in ids.values()}
    assert requests_seen.uploads() == []
    assert requests_seen.deletes() == []
    for video in catalog.remote().values():
        assert video.features == {"transcript": "ready", "captions": "ready"}, video.source

    # Only what is missing: embeddings, on top of the two that are ready.
    catalog.write(EMBEDDED)
    planned = catalog.ok("v2", "plan")
    assert planned.count("features: +embeddings\n") == COUNT
    assert "+transcript" not in planned
    assert "+captions" not in planned
    requests_seen.mark()
    catalog.ok("v2", "apply", "--yes")
    assert sorted(requests_seen.triggers()) == sorted(
        (video_id, "embeddings", "200") for video_id in ids.values()
    )
    assert catalog.videosync("v2", "plan", "--detailed-exitcode")[0] == 0
    assert _ids(catalog) == ids
