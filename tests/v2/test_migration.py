"""A catalog applied under API v1, then planned and applied under v2: nothing uploaded.

Issue 15, "Done when": v1 and v2 are one service with the same video ids, so the first
plan under v2 of a v1 lockfile says it migrates and changes nothing else; its apply
records the lockfile as version 3 under v2, and the plan after that is empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.v2.conftest import Catalog, MakeCatalog, RequestLog
from videosync.emulator import RunningEmulator
from videosync.state.lockfile import load_lockfile

MIGRATION = (
    "The lockfile was recorded under API v1: apply records the catalog under v2 "
    "(same videos, same ids: nothing is uploaded for that)."
)
V1_MANIFEST = """\
version: 1
groups:
  launch: {name: Launch}
videos:
  - path: media/clip-00.mp4
    name: Keynote
    group: launch
  - path: media/clip-01.mp4
    name: Outro
  - glob: media/clip-0[2-5].mp4
    group: launch
  - path: media/clip-06.mp4
    index: false
"""
KEYS = {f"media/clip-{i:02d}.mp4" for i in range(7)}


def _ids(catalog: Catalog) -> dict[str, str]:
    return {key: e.video_id for key, e in load_lockfile(catalog.lockfile).videos.items()}


@pytest.fixture
def v1_catalog(
    make_catalog: MakeCatalog,
    emulator: RunningEmulator,
    fifty_videos: list[Path],
    requests_seen: RequestLog,
) -> Catalog:
    """Seven videos applied under v1 (`index` left at its default, no `start`)."""
    catalog = make_catalog(emulator.url, fifty_videos[:7])
    catalog.write(V1_MANIFEST)
    catalog.ok("v1", "apply", "--yes")
    lockfile = json.loads(catalog.lockfile.read_text(encoding="utf-8"))
    assert "api_version" not in lockfile or lockfile["api_version"] == "v1"
    assert set(_ids(catalog)) == KEYS
    requests_seen.mark()
    return catalog


def test_a_v1_catalog_planned_under_auto_migrates_without_uploading(
    v1_catalog: Catalog, requests_seen: RequestLog
) -> None:
    before = _ids(v1_catalog)

    # auto picks v2: the emulator serves it and the manifest writes nothing only v1 carries
    planned = v1_catalog.ok("auto", "plan")
    assert planned == (
        "Vision API v2: names, titles, descriptions and groups change in place.\n"
        f"{MIGRATION}\n"
        "\n"
        "No changes. The catalog matches the manifest.\n"
        "Apply records the lockfile under API v2.\n"
    )
    # CI's `plan --detailed-exitcode` says there is something to apply: the record.
    assert v1_catalog.videosync("auto", "plan", "--detailed-exitcode")[0] == 2
    assert f"_{MIGRATION}_\n" in v1_catalog.ok("auto", "plan", "--format", "markdown")
    as_json = json.loads(v1_catalog.ok("auto", "plan", "--json"))
    assert (as_json["api_version"], as_json["migrate_from"]) == ("v2", "v1")
    kinds = {a["action"] for a in as_json["actions"]}
    assert not kinds & {"create", "replace", "delete"}, as_json
    summary = as_json["summary"]
    assert (summary["create"], summary["replace"], summary["delete"]) == (0, 0, 0)
    assert summary["upload_bytes"] == 0

    applied = v1_catalog.ok("auto", "apply", "--yes")
    assert "Apply complete: 0 created, 0 replaced, 0 deleted, 0 adopted" in applied
    assert requests_seen.uploads() == []
    assert requests_seen.deletes() == []

    lockfile = json.loads(v1_catalog.lockfile.read_text(encoding="utf-8"))
    assert (lockfile["version"], lockfile["api_version"]) == (3, "v2")
    assert _ids(v1_catalog) == before
    assert {v.video_id for v in v1_catalog.remote().values()} == set(before.values())

    code, out, _ = v1_catalog.videosync("auto", "plan", "--detailed-exitcode")
    assert (code, MIGRATION in out) == (0, False), out
    assert requests_seen.uploads() == []


def test_a_v1_catalog_retitled_and_renamed_on_its_first_v2_plan_is_updated_in_place(
    v1_catalog: Catalog, requests_seen: RequestLog
) -> None:
    before = _ids(v1_catalog)
    v1_catalog.write(
        V1_MANIFEST.replace("    name: Keynote\n", "    name: Opening keynote\n    title: Hi\n")
    )

    planned = v1_catalog.ok("v2", "plan")
    assert MIGRATION in planned
    assert "  ~ update media/clip-00.mp4\n" in planned
    assert planned.splitlines()[-1] == (
        "Plan: 0 to create, 0 to replace, 0 to delete, 0 to adopt, 1 to update (0 B to upload)."
    )
    v1_catalog.ok("v2", "apply", "--yes")

    assert requests_seen.uploads() == []
    assert requests_seen.deletes() == []
    assert _ids(v1_catalog) == before
    keynote = v1_catalog.remote()["media/clip-00.mp4"]
    assert (keynote.video_id, keynote.name, keynote.title) == (
        before["media/clip-00.mp4"],
        "Opening keynote",
        "Hi",
    )
    assert load_lockfile(v1_catalog.lockfile).api_version == "v2"
    assert v1_catalog.videosync("v2", "plan", "--detailed-exitcode")[0] == 0
