"""The rails on the command line: refused with exit 5 and the flag named, allowed with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apply.conftest import remote_videos, run
from tests.rails.conftest import make_catalog, write_manifest
from videosync.emulator import RunningEmulator
from videosync.state.lockfile import load_lockfile, lockfile_path


def _cli(
    capsys: pytest.CaptureFixture[str], manifest: Path, url: str, *args: str
) -> tuple[int, str, str]:
    return run(capsys, "-f", str(manifest), "--api-url", url, *args)


def _applied(capsys: pytest.CaptureFixture[str], manifest: Path, url: str) -> None:
    code, out, err = _cli(capsys, manifest, url, "apply", "--yes")
    assert (code, err) == (0, ""), out + err


def test_an_empty_manifest_is_refused_until_allow_empty(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 3)
    _applied(capsys, manifest, emulator.url)
    write_manifest(tmp_path, [])  # the wrong-path accident
    refusal = (
        "error: the plan cannot be applied: the manifest resolves to 0 videos while the "
        "lockfile manages 3: applying it would delete all 3; check the manifest's path and "
        "globs, or rerun with --allow-empty if the catalog is meant to be emptied\n"
    )
    code, out, err = _cli(capsys, manifest, emulator.url, "plan")
    assert (code, err) == (5, refusal)
    assert "Plan: 0 to create, 0 to replace, 3 to delete" in out  # still shown
    assert "the manifest resolves to 0 videos" not in out  # said once, in the error line
    code, _, err = _cli(capsys, manifest, emulator.url, "apply", "--yes")
    assert (code, err) == (5, refusal)
    assert len(remote_videos(emulator)) == 3
    assert len(load_lockfile(lockfile_path(manifest)).videos) == 3

    assert _cli(capsys, manifest, emulator.url, "plan", "--allow-empty")[0] == 0
    code, _, err = _cli(capsys, manifest, emulator.url, "apply", "--yes", "--allow-empty")
    assert (code, err) == (0, "")
    assert remote_videos(emulator) == []
    assert load_lockfile(lockfile_path(manifest)).videos == {}


def test_deleting_more_than_half_is_refused_until_the_percentage_is_raised(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 10)
    _applied(capsys, manifest, emulator.url)
    write_manifest(tmp_path, [f"{{path: media/v{n}.mp4}}" for n in range(4)])
    refusal = (
        "error: the plan cannot be applied: this plan deletes 6 of the 10 managed videos "
        "(60%), more than --max-delete-percent 50 allows; review it, then rerun with "
        "--max-delete-percent 60 (or 100 to turn the rail off)\n"
    )
    for command in (("plan",), ("apply", "--yes")):
        code, _, err = _cli(capsys, manifest, emulator.url, *command)
        assert (code, err) == (5, refusal), command
    assert len(remote_videos(emulator)) == 10
    code, out, err = _cli(
        capsys, manifest, emulator.url, "apply", "--yes", "--max-delete-percent", "60"
    )
    assert (code, err) == (0, "")
    assert "6 deleted" in out
    assert len(remote_videos(emulator)) == 4


def test_a_protected_entry_removed_from_the_manifest_stays_protected(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 2, extra=", protect: true")
    _applied(capsys, manifest, emulator.url)
    recorded = load_lockfile(lockfile_path(manifest))
    assert [e.protect for e in recorded.videos.values()] == [True, True]
    ids = {v.video_id for v in remote_videos(emulator)}

    write_manifest(tmp_path, ["{path: media/v0.mp4, protect: true}"])  # v1's lines deleted
    code, out, err = _cli(capsys, manifest, emulator.url, "apply", "--yes")
    assert code == 5
    assert "  - delete media/v1.mp4  (video " in out
    assert (
        "      ! blocked: protected (protect: true): not deleted without --allow-protected" in out
    )
    assert err == (
        "error: the plan cannot be applied: 1 protected entry would be replaced or deleted "
        "(media/v1.mp4); rerun with --allow-protected to allow it\n"
    )
    assert {v.video_id for v in remote_videos(emulator)} == ids

    # Lift it the long way: protect: false, applied (the lockfile only), then remove.
    write_manifest(tmp_path, ["{path: media/v0.mp4, protect: true}", "{path: media/v1.mp4}"])
    code, out, _ = _cli(capsys, manifest, emulator.url, "plan", "--detailed-exitcode")
    assert code == 2
    assert "  ~ update media/v1.mp4  (video " not in out  # an update names no copy to replace
    assert "  ~ update media/v1.mp4\n" in out
    assert "      protect: true → false\n" in out
    assert "Plan: 0 to create, 0 to replace, 0 to delete, 0 to adopt, 1 to update" in out
    _applied(capsys, manifest, emulator.url)
    assert {v.video_id for v in remote_videos(emulator)} == ids  # nothing was sent
    assert not load_lockfile(lockfile_path(manifest)).videos["media/v1.mp4"].protect
    write_manifest(tmp_path, ["{path: media/v0.mp4, protect: true}"])
    _applied(capsys, manifest, emulator.url)
    assert len(remote_videos(emulator)) == 1

    # Or the short way, once: --allow-protected.
    write_manifest(tmp_path, ["{path: media/v1.mp4}"])  # v0 (protected) removed, v1 back
    assert _cli(capsys, manifest, emulator.url, "plan")[0] == 5
    code, _, err = _cli(capsys, manifest, emulator.url, "apply", "--yes", "--allow-protected")
    assert (code, err) == (0, "")
    assert set(load_lockfile(lockfile_path(manifest)).videos) == {"media/v1.mp4"}


def test_a_changed_default_that_replaces_every_video_is_refused(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 4)
    _applied(capsys, manifest, emulator.url)
    before = {v.video_id for v in remote_videos(emulator)}
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("videos:", "defaults: {thumbnails: true}\nvideos:", 1))
    code, out, err = _cli(capsys, manifest, emulator.url, "apply", "--yes")
    assert "Plan: 0 to create, 4 to replace, 0 to delete" in out
    assert (code, err) == (
        5,
        "error: the plan cannot be applied: this plan deletes 4 of the 4 managed videos "
        "(100%), more than --max-delete-percent 50 allows; review it, then rerun with "
        "--max-delete-percent 100 (or 100 to turn the rail off)\n",
    )
    code, _, err = _cli(
        capsys,
        manifest,
        emulator.url,
        "apply",
        "--yes",
        "--max-delete-percent",
        "100",
        "--max-delete",
        "3",
    )
    assert (code, err) == (
        5,
        "error: the plan cannot be applied: this plan deletes 4 videos (0 deleted, 4 replaced), "
        "more than --max-delete 3 allows; review it, then raise --max-delete\n",
    )
    assert {v.video_id for v in remote_videos(emulator)} == before
    code, out, err = _cli(
        capsys, manifest, emulator.url, "apply", "--yes", "--max-delete-percent", "100"
    )
    assert (code, err) == (0, ""), out
    assert not before & {v.video_id for v in remote_videos(emulator)}
