"""Two catalogs share the `default` group: `--prune` in one never deletes the other's videos.

Issue 13: `apply --yes --prune` in a 2-entry catalog deleted the other catalog's 10 videos
and exited 0. Pruning `default` now takes `--prune-default` too, and even then the prunes
count toward every rail.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from tests.apply.conftest import remote_videos, run
from tests.rails.conftest import make_catalog, write_manifest
from videosync.emulator import RunningEmulator
from videosync.state.lockfile import load_lockfile, lockfile_path


@pytest.fixture
def two_catalogs(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> tuple[Path, Path]:
    """Theirs (10 videos) and ours (2), both applied to one account's `default` group."""
    theirs = make_catalog(tmp_path / "theirs", distinct_videos, 10)
    ours_dir = tmp_path / "ours"
    (ours_dir / "clips").mkdir(parents=True)
    for n in range(2):
        shutil.copyfile(distinct_videos[n], ours_dir / "clips" / f"ours{n}.mp4")
    ours = write_manifest(ours_dir, ["{path: clips/ours0.mp4}", "{path: clips/ours1.mp4}"])
    for manifest in (theirs, ours):
        code, out, err = run(capsys, "-f", str(manifest), "--api-url", emulator.url, "apply", "-y")
        assert (code, err) == (0, ""), out + err
    assert len(remote_videos(emulator)) == 12
    return theirs, ours


def _theirs_on_the_server(emulator: RunningEmulator, theirs: Path) -> int:
    ids = {e.video_id for e in load_lockfile(lockfile_path(theirs)).videos.values()}
    return len(ids & {v.video_id for v in remote_videos(emulator)})


def test_prune_leaves_the_shared_default_group_alone_and_says_so_once(
    two_catalogs: tuple[Path, Path],
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    theirs, ours = two_catalogs
    caplog.set_level(logging.WARNING, logger="videosync.commands.plan")
    code, out, err = run(
        capsys, "-f", str(ours), "--api-url", emulator.url, "apply", "-y", "--prune"
    )
    assert code == 0, out + err
    assert "No changes. The catalog matches the manifest." in out
    notes = [r.getMessage() for r in caplog.records if r.name == "videosync.commands.plan"]
    assert notes == [
        "--prune leaves the 10 unmanaged videos in the shared group `default` alone (other "
        "catalogs may keep theirs there); add --prune-default to delete them too"
    ]
    assert _theirs_on_the_server(emulator, theirs) == 10


def test_pruning_default_is_an_opt_in_that_every_rail_still_counts(
    two_catalogs: tuple[Path, Path],
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    theirs, ours = two_catalogs
    cli = ("-f", str(ours), "--api-url", emulator.url, "apply", "-y", "--prune", "--prune-default")
    code, out, err = run(capsys, *cli)
    assert "Plan: 0 to create, 0 to replace, 10 to delete" in out  # shown, and refused
    assert (code, err) == (
        5,
        "error: the plan cannot be applied: this plan deletes 10 of the 12 videos it can "
        "reach (83%: the 2 managed, plus 10 unmanaged that --prune deletes), more than "
        "--max-delete-percent 50 allows; review it, then rerun with --max-delete-percent 84 "
        "(or 100 to turn the rail off)\n",
    )
    code, _, err = run(capsys, *cli, "--max-delete-percent", "100", "--max-delete", "9")
    assert (code, err) == (
        5,
        "error: the plan cannot be applied: this plan deletes 10 videos (0 deleted, "
        "0 replaced, 10 pruned), more than --max-delete 9 allows; review it, then raise "
        "--max-delete\n",
    )
    assert _theirs_on_the_server(emulator, theirs) == 10

    code, out, err = run(capsys, *cli, "--max-delete-percent", "100")  # asked for, twice
    assert (code, err) == (0, ""), out
    assert _theirs_on_the_server(emulator, theirs) == 0
    assert len(remote_videos(emulator)) == 2


def test_prune_default_without_prune_is_bad_input(
    two_catalogs: tuple[Path, Path],
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, ours = two_catalogs
    code, out, err = run(
        capsys, "-f", str(ours), "--api-url", emulator.url, "plan", "--prune-default"
    )
    assert (code, out) == (3, "")
    assert err == "error: --prune-default widens --prune to `default`: give both\n"
