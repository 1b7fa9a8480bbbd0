"""What is on the server, and whether it drifted, for CI and for people (issue 13, item 14).

`videosync remote` lists the remote videos, managed (by key) and not (by name and source);
`status --detailed-exitcode` exits 2 on drift as plan does on changes; a glob entry without
a name is named as `init` would name its file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import API_KEY
from tests.gitops.conftest import EXAMPLE_VIDEOS, run
from videosync.api.sync import SyncVisionClient
from videosync.commands.init import init_manifest, readable_name
from videosync.emulator import RunningEmulator
from videosync.manifest.loader import load_manifest
from videosync.state.lockfile import load_lockfile


@pytest.fixture
def applied(
    catalog: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Path, str]:
    """The example catalog applied to the emulator; (catalog, the emulator's URL)."""
    monkeypatch.setenv("REKA_API_KEY", API_KEY)
    code, _, err = run(capsys, "--api-url", emulator.url, "apply", "--yes")
    assert code == 0, err
    return catalog, emulator.url


def _upload_by_hand(url: str, video: Path) -> str:
    with SyncVisionClient(url, API_KEY) as client:
        return client.upload_file(video, name="Old promo", filename="promo.mp4").video_id


# --- videosync remote --------------------------------------------------------------------------


def test_remote_lists_managed_videos_by_key_and_the_others_by_name_and_source(
    applied: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, url = applied
    stranger = _upload_by_hand(url, catalog / "media" / "intro.mp4")
    lock = load_lockfile(catalog / "videosync.lock")
    launch = lock.groups["launch"].group_id

    code, out, err = run(capsys, "--api-url", url, "remote")

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{EXAMPLE_VIDEOS} managed videos (recorded in videosync.lock):"
    assert lines[1].split() == ["KEY", "VIDEO", "ID", "GROUP", "STATUS"]
    managed = lines[2 : 2 + EXAMPLE_VIDEOS]
    assert [row.split()[0] for row in managed] == sorted(lock.videos)
    intro = next(row for row in managed if row.startswith("media/intro.mp4 "))
    assert intro.split() == [
        "media/intro.mp4",
        lock.videos["media/intro.mp4"].video_id,
        "Launch",
        "event",
        "indexed",
    ]
    assert lines[2 + EXAMPLE_VIDEOS] == ""
    assert lines[3 + EXAMPLE_VIDEOS] == "1 unmanaged video:"
    assert lines[4 + EXAMPLE_VIDEOS].split() == ["NAME", "SOURCE", "VIDEO", "ID", "GROUP", "STATUS"]
    assert lines[5 + EXAMPLE_VIDEOS].split()[:3] == ["Old", "promo", "promo.mp4"]
    assert lines[5 + EXAMPLE_VIDEOS].split()[3] == stranger
    assert lines[5 + EXAMPLE_VIDEOS].split()[4] == "default"
    assert len(lines) == 6 + EXAMPLE_VIDEOS
    assert launch not in out  # groups are shown by name


def test_remote_json_has_both_lists(
    applied: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, url = applied
    stranger = _upload_by_hand(url, catalog / "media" / "outro.mp4")
    lock = load_lockfile(catalog / "videosync.lock")

    code, out, _ = run(capsys, "--api-url", url, "remote", "--json")

    assert code == 0
    data = json.loads(out)
    assert sorted(data) == ["managed", "missing", "unmanaged"]
    assert [v["key"] for v in data["managed"]] == sorted(lock.videos)
    assert data["managed"][0].keys() == {
        "key",
        "video_id",
        "name",
        "source",
        "group",
        "group_id",
        "indexing_status",
        "status",
        "features",
    }
    intro = next(v for v in data["managed"] if v["key"] == "media/intro.mp4")
    assert intro["group"] == "Launch event"
    assert intro["status"] == intro["indexing_status"]  # v1: the indexing status
    assert intro["features"] is None  # v1 has no features
    assert intro["group_id"] == lock.groups["launch"].group_id
    assert intro["video_id"] == lock.videos["media/intro.mp4"].video_id
    assert data["unmanaged"] == [
        {
            "key": None,
            "video_id": stranger,
            "name": "Old promo",
            "source": "promo.mp4",
            "group": "default",
            "group_id": "default",
            "indexing_status": data["unmanaged"][0]["indexing_status"],
            "status": data["unmanaged"][0]["indexing_status"],
            "features": None,
        }
    ]
    assert data["missing"] == 0


def test_remote_counts_recorded_videos_gone_from_the_server(
    applied: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, url = applied
    lock = load_lockfile(catalog / "videosync.lock")
    with SyncVisionClient(url, API_KEY) as client:
        client.delete_videos([lock.videos["outro"].video_id])

    code, out, _ = run(capsys, "--api-url", url, "remote")

    assert code == 0
    assert f"{EXAMPLE_VIDEOS - 1} managed videos (recorded in videosync.lock):" in out
    assert out.endswith(
        "No unmanaged videos.\n"
        "1 video recorded in videosync.lock is not on the server: `videosync status` "
        "shows it, `videosync apply` uploads it again.\n"
    )


def test_remote_on_an_empty_catalog(
    catalog: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REKA_API_KEY", API_KEY)

    assert run(capsys, "--api-url", emulator.url, "remote") == (
        0,
        "No managed videos: videosync.lock records none.\nNo unmanaged videos.\n",
        "",
    )


def test_remote_needs_no_valid_manifest(
    applied: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, url = applied
    (catalog / "videosync.yaml").write_text("version: 1\nvideos: {oops\n")

    code, out, _ = run(capsys, "--api-url", url, "remote")

    assert code == 0
    assert f"{EXAMPLE_VIDEOS} managed videos" in out


# --- status --detailed-exitcode ----------------------------------------------------------------


def test_status_detailed_exitcode_is_2_on_drift_and_0_without(
    applied: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, url = applied

    assert run(capsys, "--api-url", url, "status", "--detailed-exitcode")[0] == 0

    lock = load_lockfile(catalog / "videosync.lock")
    with SyncVisionClient(url, API_KEY) as client:
        client.delete_videos([lock.videos["outro"].video_id])

    code, out, _ = run(capsys, "--api-url", url, "status", "--detailed-exitcode")
    assert code == 2
    assert "missing" in out
    # Without the flag, drift is still exit 0: status reports, CI opts in.
    assert run(capsys, "--api-url", url, "status")[0] == 0


def test_status_detailed_exitcode_is_2_for_an_entry_not_uploaded(
    applied: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, url = applied
    shutil.copyfile(catalog / "media" / "intro.mp4", catalog / "media" / "clips" / "new.mp4")

    code, out, _ = run(capsys, "--api-url", url, "status", "--detailed-exitcode")

    assert code == 2
    assert out.endswith("1 manifest entry not uploaded yet.\n")


# --- a glob entry's default name ------------------------------------------------------------------


def test_a_glob_entry_without_name_keeps_its_files_name(catalog: Path) -> None:
    """Not init's readable name: the v1 API cannot rename, so a new default would replace
    every nameless glob video uploaded before (docs/manifest.md)."""
    manifest = load_manifest(catalog / "videosync.yaml")
    clips = {v.key: v.name for v in manifest.videos if v.key.startswith("media/clips/")}

    assert clips == {
        "media/clips/clip-01.mp4": "clip-01.mp4",
        "media/clips/clip-02.mp4": "clip-02.mp4",
        "media/clips/extra/clip-03.mp4": "clip-03.mp4",
    }


def test_init_writes_a_readable_name_for_each_file(tmp_path: Path, catalog: Path) -> None:
    shutil.copytree(catalog / "media", tmp_path / "media")
    from_init = load_manifest(init_manifest(tmp_path).manifest)

    assert {v.key: v.name for v in from_init.videos} == {
        v.key: readable_name(v.key) for v in from_init.videos
    }
    assert readable_name("media/clips/clip-01.mp4") == "Clip 01"


def test_a_glob_entrys_name_still_wins(tmp_path: Path, catalog: Path) -> None:
    shutil.copytree(catalog / "media", tmp_path / "media")
    (tmp_path / "videosync.yaml").write_text(
        "version: 1\nvideos:\n  - glob: 'media/clips/*.mp4'\n    name: Clip\n"
    )

    assert {v.name for v in load_manifest(tmp_path / "videosync.yaml").videos} == {"Clip"}
