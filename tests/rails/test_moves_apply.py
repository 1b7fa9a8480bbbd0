"""A renamed or moved file is recorded under its new key: no upload, no delete."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.apply.conftest import remote_videos, run
from tests.conftest import API_KEY
from tests.plan.catalog import apply_catalog
from tests.rails.conftest import write_manifest
from videosync.commands.plan import make_plan
from videosync.content.localfiles import BYTES_READ
from videosync.emulator import RunningEmulator
from videosync.state.lockfile import load_lockfile, lockfile_path


def _catalog(folder: Path, videos: list[Path], entries: dict[str, str]) -> Path:
    """Files at the keys of `entries` (copies of distinct videos), each entry as given."""
    for n, key in enumerate(entries):
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(videos[n], folder / key)
    return write_manifest(folder, list(entries.values()))


def _apply(capsys: pytest.CaptureFixture[str], manifest: Path, url: str) -> str:
    code, out, err = run(capsys, "-f", str(manifest), "--api-url", url, "apply", "--yes")
    assert (code, err) == (0, ""), out + err
    return out


def _remote_state(emulator: RunningEmulator) -> dict[str, str | None]:
    return {v.video_id: v.name for v in remote_videos(emulator)}


def test_a_file_moved_to_another_folder_is_a_move(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = _catalog(
        tmp_path,
        distinct_videos,
        {
            "media/a.mp4": "{path: media/a.mp4}",
            "media/b.mp4": "{path: media/b.mp4}",
        },
    )
    _apply(capsys, manifest, emulator.url)
    before = load_lockfile(lockfile_path(manifest))
    remote_before = _remote_state(emulator)

    (tmp_path / "archive").mkdir()
    (tmp_path / "media" / "a.mp4").rename(tmp_path / "archive" / "a.mp4")
    write_manifest(tmp_path, ["{path: archive/a.mp4}", "{path: media/b.mp4}"])
    code, out, _ = run(capsys, "-f", str(manifest), "--api-url", emulator.url, "plan")
    video_id = before.videos["media/a.mp4"].video_id
    assert code == 0
    assert f"  > move media/a.mp4 → archive/a.mp4  (video {video_id[:8]}…)\n" in out
    assert "Plan: 0 to create, 0 to replace, 0 to delete, 0 to adopt, 1 to move (0 B to " in out

    code, out, _ = run(capsys, "-f", str(manifest), "--api-url", emulator.url, "status")
    assert code == 0
    assert [line.split()[::3] for line in out.splitlines()[1:3]] == [
        ["media/a.mp4", "moved"],
        ["media/b.mp4", "ok"],
    ]

    out = _apply(capsys, manifest, emulator.url)
    assert f"moved archive/a.mp4 ({video_id[:8]}…)" in out
    assert _remote_state(emulator) == remote_before  # nothing uploaded, nothing deleted
    after = load_lockfile(lockfile_path(manifest))
    assert set(after.videos) == {"archive/a.mp4", "media/b.mp4"}
    moved = after.videos["archive/a.mp4"]
    assert (moved.video_id, moved.hash, moved.spec.source.path) == (
        video_id,
        before.videos["media/a.mp4"].hash,
        "archive/a.mp4",
    )
    code, out, _ = run(
        capsys, "-f", str(manifest), "--api-url", emulator.url, "plan", "--detailed-exitcode"
    )
    assert (code, out) == (0, "No changes. The catalog matches the manifest.\n")


def test_a_rename_in_place_with_an_explicit_name_is_a_move(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = _catalog(
        tmp_path, distinct_videos, {"media/a.mp4": "{path: media/a.mp4, name: Intro}"}
    )
    _apply(capsys, manifest, emulator.url)
    video_id = load_lockfile(lockfile_path(manifest)).videos["media/a.mp4"].video_id
    remote_before = _remote_state(emulator)

    (tmp_path / "media" / "a.mp4").rename(tmp_path / "media" / "intro.mp4")
    write_manifest(tmp_path, ["{path: media/intro.mp4, name: Intro}"])
    out = _apply(capsys, manifest, emulator.url)
    assert "  > move media/a.mp4 → media/intro.mp4  (video " in out
    assert _remote_state(emulator) == remote_before == {video_id: "Intro"}
    lockfile = load_lockfile(lockfile_path(manifest))
    assert {k: e.video_id for k, e in lockfile.videos.items()} == {"media/intro.mp4": video_id}


def test_a_rename_in_place_with_the_default_name_is_a_replace(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = _catalog(tmp_path, distinct_videos, {"media/a.mp4": "{path: media/a.mp4}"})
    _apply(capsys, manifest, emulator.url)
    (tmp_path / "media" / "a.mp4").rename(tmp_path / "media" / "b.mp4")
    write_manifest(tmp_path, ["{path: media/b.mp4}"])
    out = _apply(capsys, manifest, emulator.url)
    assert "  + create media/b.mp4" in out and "  - delete media/a.mp4" in out
    assert list(_remote_state(emulator).values()) == ["b.mp4"]


def test_only_the_move_candidates_are_read(
    tmp_path: Path, emulator: RunningEmulator, distinct_videos: list[Path]
) -> None:
    manifest = _catalog(tmp_path, distinct_videos, {"media/a.mp4": "{path: media/a.mp4}"})
    apply_catalog(manifest, emulator.url, API_KEY)
    # A copy (a new inode: the stat cache cannot know it) in another folder, and a new file
    # of another size: only the copy, whose size a vanished entry had, may be read.
    (tmp_path / "archive").mkdir()
    shutil.copyfile(tmp_path / "media" / "a.mp4", tmp_path / "archive" / "a.mp4")
    (tmp_path / "media" / "a.mp4").unlink()
    other = tmp_path / "media" / "other.mp4"
    shutil.copyfile(distinct_videos[5], other)
    assert other.stat().st_size != (tmp_path / "archive" / "a.mp4").stat().st_size
    write_manifest(tmp_path, ["{path: archive/a.mp4}", "{path: media/other.mp4}"])
    before = BYTES_READ.total
    run_ = make_plan(manifest, api_url=emulator.url, api_key=API_KEY)
    assert BYTES_READ.total - before == (tmp_path / "archive" / "a.mp4").stat().st_size
    assert [(a.kind, a.key) for a in run_.plan.changes] == [
        ("move", "archive/a.mp4"),
        ("create", "media/other.mp4"),
    ]
