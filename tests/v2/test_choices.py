"""Which API version a run speaks, what each refuses, and what the plans say under v2.

Issue 15, "Done when": a manifest field the version cannot carry is refused (exit 3, one
line at its `file:line`), never dropped; `auto` picks v1 for a manifest only v1 can carry;
the plan in every format (text, --json, --format markdown, a saved plan) says v2; a failed
feature is run again by the next apply; a feature no longer declared deletes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.v2.conftest import Catalog, MakeCatalog, RequestLog
from videosync.emulator import RunningEmulator
from videosync.state.lockfile import load_lockfile

V2_HEADER = "Vision API v2: names, titles, descriptions and groups change in place."

WITH_START = """\
version: 1
videos:
  - path: media/clip-00.mp4
  - path: media/clip-01.mp4
    name: Keynote
    start: 2025-04-12T19:05:45
"""
WITH_TITLE = """\
version: 1
videos:
  - path: media/clip-00.mp4
  - path: media/clip-01.mp4
    title: Opening keynote
"""
FEATURES = """\
version: 1
defaults:
  features: [transcript, captions]
videos:
  - path: media/clip-00.mp4
  - path: media/clip-01.mp4
    title: Opening keynote
"""


@pytest.fixture
def catalog(
    make_catalog: MakeCatalog, emulator: RunningEmulator, fifty_videos: list[Path]
) -> Catalog:
    return make_catalog(emulator.url, fifty_videos[:2])


@pytest.fixture
def slow_catalog(
    make_catalog: MakeCatalog, slow_emulator: RunningEmulator, fifty_videos: list[Path]
) -> Catalog:
    """Two videos against an emulator whose features take a while (pending, processing)."""
    return make_catalog(slow_emulator.url, fifty_videos[:2])


def test_v2_refuses_a_manifest_with_start_in_one_line_at_its_place(catalog: Catalog) -> None:
    catalog.write(WITH_START)
    code, out, err = catalog.videosync("v2", "plan")
    assert (code, out) == (3, "")
    assert err == (
        f"error: {catalog.manifest}:6:5: videos[1].start: API v2 cannot carry `start` "
        "(v2's upload takes no start time): remove `start:` or plan with --api-version v1\n"
    )
    assert not catalog.lockfile.exists()


def test_auto_picks_v1_for_a_manifest_with_start(
    catalog: Catalog, requests_seen: RequestLog
) -> None:
    catalog.write(WITH_START)
    planned = catalog.ok("auto", "plan")
    assert V2_HEADER not in planned
    assert '      start:      "2025-04-12T19:05:45Z"\n' in planned
    assert json.loads(catalog.ok("auto", "plan", "--json"))["api_version"] == "v1"
    assert not [line for line in requests_seen.since_mark() if " /v2/" in line]
    catalog.ok("auto", "apply", "--yes")
    assert load_lockfile(catalog.lockfile).api_version in (None, "v1")


def test_v1_refuses_a_manifest_with_title_in_one_line_at_its_place(catalog: Catalog) -> None:
    catalog.write(WITH_TITLE)
    code, out, err = catalog.videosync("v1", "plan")
    assert (code, out) == (3, "")
    assert err == (
        f"error: {catalog.manifest}:5:5: videos[1].title: API v1 cannot carry `title` "
        "(v1 has no way to set a title): remove `title:` or plan with --api-version v2\n"
    )


@pytest.mark.parametrize(
    ("version", "manifest"), [("v2", WITH_START), ("v1", WITH_TITLE)], ids=["start", "title"]
)
def test_a_field_the_chosen_version_cannot_carry_is_refused_before_any_api_call(
    catalog: Catalog, requests_seen: RequestLog, version: str, manifest: str
) -> None:
    # docs/manifest.md, "API versions": "the plan is refused, before any API call (exit 3)";
    # with --api-version given, the version is known without asking the server.
    catalog.write(manifest)
    assert catalog.videosync(version, "plan")[0] == 3
    assert requests_seen.since_mark() == []


def test_auto_picks_v2_for_a_manifest_with_title(catalog: Catalog) -> None:
    catalog.write(WITH_TITLE)
    planned = catalog.ok("auto", "plan")
    assert planned.startswith(V2_HEADER + "\n")
    assert '      title:    "Opening keynote"\n' in planned


def test_every_plan_format_says_v2_and_a_saved_v2_plan_applies(
    catalog: Catalog, tmp_path: Path
) -> None:
    catalog.write(WITH_TITLE)
    as_json = json.loads(catalog.ok("v2", "plan", "--json"))
    assert as_json["api_version"] == "v2"
    assert "migrate_from" not in as_json  # nothing recorded yet: nothing to migrate
    markdown = catalog.ok("v2", "plan", "--format", "markdown")
    assert markdown.startswith(f"### videosync plan\n\n_{V2_HEADER}_\n")

    saved = tmp_path / "release.plan"
    catalog.ok("v2", "plan", "--out", str(saved))
    # The plan file carries its version: the run's own (v1 here) does not change it.
    # --wait: captions and embeddings start once transcript is ready, not in this apply.
    applied = catalog.ok("v1", "apply", "--yes", "--wait", "--timeout", "30", str(saved))
    assert applied.startswith(V2_HEADER + "\n")
    assert "Apply complete: 2 created, 0 replaced, 0 deleted, 0 adopted" in applied
    lockfile = json.loads(catalog.lockfile.read_text(encoding="utf-8"))
    assert (lockfile["version"], lockfile["api_version"]) == (3, "v2")
    keynote = catalog.remote()["media/clip-01.mp4"]
    assert keynote.title == "Opening keynote"
    assert catalog.videosync("v2", "plan", "--detailed-exitcode")[0] == 0


@pytest.mark.slow  # features take 0.6 s each, and --wait looks once a second
def test_a_failed_feature_is_planned_again_and_the_next_apply_runs_it_to_ready(
    slow_catalog: Catalog, slow_emulator: RunningEmulator, requests_seen: RequestLog
) -> None:
    slow_catalog.write(FEATURES)
    slow_emulator.set_feature_failures(1.0, ("captions",))
    code, out, err = slow_catalog.videosync("v2", "apply", "--yes", "--wait", "--timeout", "30")
    assert code == 1, out + err
    assert "captions failed for 2: " in err
    slow_emulator.set_feature_failures(0.0)
    for video in slow_catalog.remote().values():
        assert video.features == {"transcript": "ready", "captions": "failed"}

    planned = slow_catalog.ok("v2", "plan")
    assert planned.count("      features: !captions (failed: run again)\n") == 2
    assert "+transcript" not in planned
    requests_seen.mark()
    applied = slow_catalog.ok("v2", "apply", "--yes", "--wait", "--timeout", "30")
    assert "all 2 videos are uploaded with their features ready" in applied

    runs = [feature for _, feature, status in requests_seen.triggers() if status.startswith("2")]
    assert runs == ["captions", "captions"]
    assert requests_seen.uploads() == []
    for video in slow_catalog.remote().values():
        assert video.features == {"transcript": "ready", "captions": "ready"}
    assert slow_catalog.videosync("v2", "plan", "--detailed-exitcode")[0] == 0


def test_a_feature_no_longer_declared_stays_on_the_server(
    catalog: Catalog, requests_seen: RequestLog
) -> None:
    catalog.write(FEATURES)
    catalog.ok("v2", "apply", "--yes", "--wait", "--timeout", "30")
    ids = {k: e.video_id for k, e in load_lockfile(catalog.lockfile).videos.items()}
    catalog.write(FEATURES.replace("[transcript, captions]", "[transcript]"))
    requests_seen.mark()

    planned = catalog.ok("v2", "plan")
    assert (
        planned.count(
            "      # captions no longer declared (the API cannot remove a feature's results: they "
            "stay on the server): recorded in the lockfile only (nothing is sent)\n"
        )
        == 2
    )
    assert planned.splitlines()[-1] == (
        "Plan: 0 to create, 0 to replace, 0 to delete, 0 to adopt, 2 to update (0 B to upload)."
    )
    catalog.ok("v2", "apply", "--yes")

    assert requests_seen.deletes() == []
    assert requests_seen.uploads() == []
    assert requests_seen.triggers() == []
    assert not [line for line in requests_seen.since_mark() if line.startswith("PATCH ")]
    lock = load_lockfile(catalog.lockfile)
    assert {k: e.video_id for k, e in lock.videos.items()} == ids
    assert {e.spec.features for e in lock.videos.values()} == {("transcript",)}
    for video in catalog.remote().values():
        assert video.features == {"transcript": "ready", "captions": "ready"}
    assert catalog.videosync("v2", "plan", "--detailed-exitcode")[0] == 0


def test_import_into_a_v2_catalog_speaks_the_lockfile_s_version(catalog: Catalog) -> None:
    catalog.write(WITH_TITLE)
    catalog.ok("v2", "apply", "--yes", "--wait")  # features too: the last plan is empty
    recorded = load_lockfile(catalog.lockfile)
    video_id = recorded.videos["media/clip-01.mp4"].video_id
    # The entry's record lost (a lockfile edited by hand, a bad merge): import it again.
    text = json.loads(catalog.lockfile.read_text(encoding="utf-8"))
    del text["videos"]["media/clip-01.mp4"]
    catalog.lockfile.write_text(json.dumps(text), encoding="utf-8")

    # The manifest's title is v2's: an import planned under v1 would refuse it.
    catalog.ok("v2", "import", "media/clip-01.mp4", video_id)

    assert load_lockfile(catalog.lockfile).videos["media/clip-01.mp4"].video_id == video_id
    assert load_lockfile(catalog.lockfile).api_version == "v2"
    assert "No changes" in catalog.ok("v2", "plan")
